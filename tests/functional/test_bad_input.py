"""Every command answers bad input with one clear line and exit status 1, never a traceback."""

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from coursetools.workflow.course_copy import make_course_copy

pytestmark = [pytest.mark.functional, pytest.mark.slow]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = make_course_copy(tmp_path_factory.mktemp("bad") / "course")
    config = root / "course_config.py"  # an exchange that was never set up
    config.write_text(config.read_text() + f"\nEXCHANGE_ROOT = Path({str(root / 'no-exchange')!r})\n")
    inputs = root / "inputs"
    inputs.mkdir()
    (inputs / "broken.ipynb").write_text('{"cells": [ this is not json')
    (inputs / "empty.ipynb").write_text("")
    (inputs / "binary.ipynb").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (inputs / "a-folder").mkdir()
    (inputs / "downloads").mkdir()
    (inputs / "downloads" / "alice_fashion_mnist.zip").write_text("not a zip")
    return root


CASES = {
    "check-malformed-json": (["check", "inputs/broken.ipynb"], "is not a notebook Jupyter can open"),
    "check-empty-file": (["check", "inputs/empty.ipynb"], "is not a notebook Jupyter can open"),
    "check-binary-file": (["check", "inputs/binary.ipynb"], "is not a notebook Jupyter can open"),
    "check-a-folder": (["check", "inputs/a-folder"], "is a folder"),
    "check-missing": (["check", "inputs/nothing.ipynb"], "does not exist"),
    "check-no-argument": (["check"], "required: notebook"),
    "collect-damaged-zip": (["collect", "inputs/downloads", "--assignment", "ps1"], "is not a zip archive"),
    "collect-missing": (["collect", "inputs/nothing", "--assignment", "ps1"], "does not exist"),
    "collect-empty-folder": (["collect", "inputs/a-folder", "--assignment", "ps1"], "No submissions found"),
    "autograde-without-assignment": (["autograde"], "Give --assignment with one of: ps1, ps2"),
    "grade-without-points": (["grade", "--assignment", "ps1", "--student", "x", "--cell", "y"], "missing --points"),
    "new-assignment-bad-id": (["new-assignment", "PS 3"], "is not a usable assignment id"),
    "new-assignment-existing-id": (["new-assignment", "ps2"], "is already an assignment"),
    "release-unknown-assignment": (
        ["release", "--assignment", "ps9"],
        "Unknown assignment 'ps9'. Known assignments: ps1",
    ),
    "validate-unknown-assignment": (["validate", "--assignment", "ps9"], "Unknown assignment 'ps9'"),
    "autograde-unknown-assignment": (["autograde", "--assignment", "ps9"], "Unknown assignment 'ps9'"),
    "feedback-unknown-assignment": (["feedback", "--assignment", "ps9"], "Unknown assignment 'ps9'"),
    "export-unknown-assignment": (["export", "--assignment", "ps9"], "Unknown assignment 'ps9'"),
    "autograde-unknown-student": (
        ["autograde", "--assignment", "ps1", "--student", "nobody"],
        "No submission of ps1 for: nobody",
    ),
    "feedback-before-grading": (["feedback", "--assignment", "ps1"], "autograde --assignment ps1` first"),
    "publish-before-jupyter-setup": (
        ["publish", "--assignment", "ps1"],
        "does not exist: run `./course jupyter-setup` first",
    ),
    "collect-from-missing-exchange": (
        ["collect", "--assignment", "ps1"],
        "does not exist: run `./course jupyter-setup` first",
    ),
    "release-feedback-before-jupyter-setup": (
        ["release-feedback", "--assignment", "ps1"],
        "run `./course jupyter-setup` first",
    ),
    "unknown-command": (["grade-everything"], "invalid choice"),
    "unknown-option": (["autograde", "--assignment", "ps1", "--fast"], "unrecognized arguments"),
}


@pytest.fixture(scope="module")
def answers(course):
    """Every case's result; the commands run side by side (each is mostly interpreter start-up)."""

    def run(args):
        return subprocess.run([sys.executable, "-m", "coursetools", *args], cwd=course, capture_output=True, text=True)

    # `collect` cases share the download folder: they run one after another, in one task.
    collect = [case for case, (args, _) in CASES.items() if args[0] == "collect"]
    groups = [collect] + [[case] for case in CASES if case not in collect]
    with ThreadPoolExecutor(max_workers=4) as pool:
        done = pool.map(lambda group: [(case, run(CASES[case][0])) for case in group], groups)
        return dict(pair for group in done for pair in group)


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_gets_one_clear_line_and_exit_status_1(answers, case):
    _, message = CASES[case]
    result = answers[case]
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and message in result.stderr, result.stderr  # a refusal list follows its error line
