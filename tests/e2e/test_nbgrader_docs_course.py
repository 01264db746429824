"""nbgrader's documentation course (installed with nbgrader), added as an assignment of a
scratch copy of this course, grades exactly as stock nbgrader does, cell by cell: stock
nbgrader grades the same submissions in this test session (tests/docs_course.py).

Its tests call the student's functions (they run in the student's sandbox through
the call relay), expect a ValueError from bad input, and one test deletes and
restores a student's global name: that one is tagged run-in-student-kernel in
source/, the only use of the escape hatch.
"""

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from coursetools.course.assignments import STUDENT_KERNEL_TAG
from coursetools.course.nbgrader_settings import gradebook_url
from coursetools.workflow.course_copy import make_course_copy
from tests.docs_course import (
    DOCS,
    DOCS_ASSIGNMENT,
    ESCAPE_HATCH,
    add_docs_assignment,
    copy_submissions,
    expected_scores,
    recorded_grades,
    students,
    user_guide_raw_scores,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ASSIGNMENT = "docs-ps1"
# A student who answers with an always-equal list and tags a test to run in their own kernel.
FORGED_TAG_STUDENT = "forged-tag-always-equal"
FORGED_SQUARES = """
class AlwaysEqualList(list):
    def __eq__(self, other):
        return True

def squares(n):
    if n < 1:
        raise ValueError("n must be positive")
    return AlwaysEqualList()
"""


def cli(course, *args):
    return subprocess.run([sys.executable, "-m", "coursetools", *args], cwd=course, capture_output=True, text=True)


def forged_submission(folder: Path) -> None:
    path = folder / "problem1.ipynb"
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id == "squares":
            cell.source = FORGED_SQUARES
        if grade_id == "correct_squares":
            cell.metadata.setdefault("tags", []).append(STUDENT_KERNEL_TAG)
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def docs_course(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("docs")
    course = make_course_copy(tmp / "course")
    add_docs_assignment(course, ASSIGNMENT)
    incoming = tmp / "incoming"
    copy_submissions(incoming, ASSIGNMENT)
    shutil.copytree(DOCS / "submitted" / "hacker" / DOCS_ASSIGNMENT, incoming / FORGED_TAG_STUDENT / ASSIGNMENT)
    forged_submission(incoming / FORGED_TAG_STUDENT / ASSIGNMENT)

    steps = {}
    for step, args in [
        ("release", ["release", "--assignment", ASSIGNMENT]),
        ("collect", ["collect", "--assignment", ASSIGNMENT, str(incoming)]),
        ("autograde", ["autograde", "--assignment", ASSIGNMENT]),
        ("feedback", ["feedback", "--assignment", ASSIGNMENT]),
        ("export", ["export", "--assignment", ASSIGNMENT]),
    ]:
        steps[step] = cli(course, *args)
        assert steps[step].returncode == 0, f"{step}: {steps[step].stdout}\n{steps[step].stderr}"
    return course, steps


def grades(course, student):
    return recorded_grades(gradebook_url(course), ASSIGNMENT, student)


def test_stock_nbgrader_gives_the_user_guides_totals():
    """The stock run the comparison below relies on grades as nbgrader's own documentation says."""
    stock = expected_scores()
    totals = {student: sum(g["auto_score"] or 0 for g in cells.values()) for student, cells in stock.items()}
    assert totals == user_guide_raw_scores()


@pytest.mark.parametrize("student", students())
def test_every_cell_scores_as_stock_nbgrader(docs_course, student):
    course, _ = docs_course
    assert grades(course, student) == expected_scores()[student]


def test_a_tag_added_by_the_student_does_not_move_a_test_into_their_kernel(docs_course):
    course, _ = docs_course
    got = grades(course, FORGED_TAG_STUDENT)
    assert got["problem1:correct_squares"]["auto_score"] == 0, "an always-equal list must not pass"
    assert got["problem1:squares_invalid_input"]["auto_score"] == 1


def test_manually_graded_cells_say_so_in_the_summary_and_the_csv(docs_course):
    course, steps = docs_course
    table = steps["autograde"].stdout
    assert "hacker" in table and "3/13" in table and "+ 10 by hand" in table, table
    assert "bitdiddle" in table and "1.5/13" in table and "+ 8 by hand" in table, table
    with open(course / "reports" / f"{ASSIGNMENT}-steps.csv") as fh:
        rows = {row["student_id"]: row for row in csv.DictReader(fh)}
    assert rows["hacker"]["problem1:sum_of_squares_application"] == "needs manual grade"
    assert rows["bitdiddle"]["problem1:sum_of_squares_application"] == "0"
    assert rows["hacker"]["needs_manual_grade"] == "10" and rows["hacker"]["total"] == "3"


def test_feedback_covers_every_notebook(docs_course):
    course, _ = docs_course
    for student in students():
        pages = sorted(p.name for p in (course / "feedback" / student / ASSIGNMENT).glob("*.html"))
        assert pages == ["problem1.html", "problem2.html"]


def test_validate_passes_and_names_the_escape_hatch(docs_course):
    course, _ = docs_course
    result = cli(course, "validate", "--assignment", ASSIGNMENT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert ESCAPE_HATCH in result.stdout and "NOT tamper-proof" in result.stdout
