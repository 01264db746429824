"""Release generation and `validate`, in scratch copies of the course: ps1 passes validate (its
reference earns every point); validate's failures are shown on the engine tests' small assignment."""

import shutil
import subprocess
import sys

import nbformat
import pytest

import course_config
from coursetools.workflow import leak_checks
from coursetools.workflow.course_copy import make_course_copy
from coursetools.workflow.nbgrader_runner import nbgrader
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
def test_committed_release_is_a_fresh_generation_of_source(tmp_path):
    copy = make_course_copy(tmp_path / "course")
    nbgrader(copy, "generate_assignment", "ps1", "--force")
    assert leak_checks.stale_release_files(copy / "release" / "ps1", ROOT / "release" / "ps1") == [], (
        "release/ is stale: run `./course release` and commit it"
    )


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
