"""Release generation and `validate`, in scratch copies of the course: ps1 passes validate (its
reference earns every point); validate's failures are shown on the engine tests' small assignment."""

import shutil
import subprocess
import sys

import nbformat
import pytest

import course_config
from coursetools.course import translations
from coursetools.workflow import leak_checks, validate_assignment
from coursetools.workflow.course_copy import make_course_copy
from tests.engine_course import ASSIGNMENT as ENGINE
from tests.engine_course import NOTEBOOK as ENGINE_NOTEBOOK
from tests.engine_course import make_engine_course

ROOT = course_config.COURSE_ROOT
NOTEBOOK = "fashion_mnist.ipynb"


@pytest.fixture
def course(tmp_path):
    copy = make_course_copy(tmp_path / "course")
    shutil.copytree(ROOT / "release", copy / "release")
    return copy


def cli(course, *args):
    return subprocess.run([sys.executable, "-m", "coursetools", *args], cwd=course, capture_output=True, text=True)


@pytest.mark.functional
@pytest.mark.parametrize("assignment", sorted(course_config.ASSIGNMENTS))
def test_committed_release_is_a_fresh_generation_of_source(tmp_path, assignment):
    """Every language's release folder (release/<id>/, release/<id>-zh-CN/), generated afresh,
    is what is committed and leaks nothing."""
    copy = make_course_copy(tmp_path / "course")
    fresh = validate_assignment.generate(copy, assignment)
    assert len(translations.release_folders(copy, assignment)) == 2, "English and Chinese"
    assert validate_assignment.stale_releases(copy, assignment) == [], (
        "release/ is stale: run `./course release` and commit it"
    )
    assert validate_assignment.leak_problems(copy, assignment, fresh) == []


@pytest.mark.unit
def test_a_hand_edited_release_is_detected(tmp_path):
    edited = tmp_path / "release"
    shutil.copytree(ROOT / "release" / "ps1", edited)
    nb = nbformat.read(edited / NOTEBOOK, as_version=4)
    nb.cells[0].source += "\nEdited by hand."
    nbformat.write(nb, edited / NOTEBOOK)
    (edited / "notes.txt").write_text("stray file")
    problems = leak_checks.stale_release_files(ROOT / "release" / "ps1", edited)
    assert any("differs" in p for p in problems) and any("notes.txt" in p for p in problems)


@pytest.mark.e2e
@pytest.mark.slow
def test_validate_passes_on_the_course(course):
    result = cli(course, "validate", "--assignment", "ps1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ps1 is valid: reference 15/15, unchanged release 0/15" in result.stdout
    assert "Its zh-CN version scores the same, cell by cell." in result.stdout


@pytest.mark.functional
@pytest.mark.slow
def test_validate_fails_when_a_test_checks_nothing_or_the_reference_fails(tmp_path):
    """On the engine tests' small assignment: validate's checks are the same for every assignment."""
    course = make_engine_course(tmp_path / "course")
    path = course / "source" / ENGINE / f"{ENGINE_NOTEBOOK}.ipynb"
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id == "test-values":
            cell.source = "assert True  # checks nothing"
        if grade_id == "test-normalize":
            cell.source += "\nassert normalize is None, 'impossible'"
    nbformat.write(nb, path)
    result = cli(course, "validate", "--assignment", ENGINE)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "the unchanged release passes test 'test-values'" in result.stderr
    assert "the reference solution fails test 'test-normalize'" in result.stderr
    assert "differs from a fresh generation" in result.stderr
