"""The student's self-check command and collecting submissions from LMS downloads."""

import subprocess
import sys
import zipfile

import pytest

import course_config
from coursetools.workflow.course_copy import make_course_copy

ROOT = course_config.COURSE_ROOT
EXAMPLES = ROOT / "examples" / "submitted"


def cli(cwd, *args):
    return subprocess.run([sys.executable, "-m", "coursetools", *args], cwd=cwd, capture_output=True, text=True)


@pytest.mark.functional
@pytest.mark.slow
def test_self_check_passes_a_complete_notebook(tmp_path):
    result = cli(ROOT, "check", str(EXAMPLES / "reference-solution" / "ps1" / "fashion_mnist.ipynb"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All 9 visible checks pass" in result.stdout


@pytest.mark.functional
@pytest.mark.slow
def test_self_check_lists_failures_and_exits_non_zero():
    result = cli(ROOT, "check", str(EXAMPLES / "partial-first-five-steps" / "ps1" / "fashion_mnist.ipynb"))
    assert result.returncode == 1
    assert "PASS  5. One-hot labels" in result.stdout
    assert "FAIL  6. Build the model: NameError" in result.stdout
    assert "4 of 9 checks failed" in result.stderr


@pytest.mark.functional
def test_self_check_of_a_missing_notebook_is_a_clear_error():
    result = cli(ROOT, "check", "no/such/notebook.ipynb")
    assert result.returncode == 1 and "does not exist" in result.stderr


@pytest.mark.functional
def test_collect_from_an_lms_zip(tmp_path):
    course = make_course_copy(tmp_path / "course")
    archive = tmp_path / "downloads.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for student in ("alice", "bob"):
            zf.write(EXAMPLES / "reference-solution" / "ps1" / "fashion_mnist.ipynb", f"{student}_fashion_mnist.ipynb")
    result = cli(course, "collect", str(archive), "--assignment", "ps1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Collected 2 submission(s) into submitted/: alice, bob" in result.stdout
    for student in ("alice", "bob"):
        assert (course / "submitted" / student / "ps1" / "fashion_mnist.ipynb").is_file()
    assert not (course / "downloaded").exists()  # unpacked in a private staging folder, removed
