"""What the course knows about its assignments: notebooks, paths, and cells
the instructor marked to run in the student's kernel.

An assignment is a folder under source/ and one entry in course_config.ASSIGNMENTS
listing its notebooks (nbgrader grades each notebook of the folder).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbgrader import utils

import course_config
from coursetools.errors import CommandError

# Cell tag for a test that cannot run in the clean checker kernel (for example one
# that deletes or rebinds a student's global name). Such a test runs in the
# student's kernel, as stock nbgrader runs every test, and is not tamper-proof.
STUDENT_KERNEL_TAG = "run-in-student-kernel"
# Cell tag for a test whose values the grader may be unable to carry to the checker (see
# manual_review.py): such a test then waits for a grade by hand instead of scoring 0.
MANUAL_REVIEW_TAG = "manual-review-if-uncheckable"


def entry(assignment: str) -> dict:
    """course_config's entry for the assignment; a bare list is its notebooks."""
    try:
        found = course_config.ASSIGNMENTS[assignment]
    except KeyError:
        known = ", ".join(course_config.ASSIGNMENTS)
        raise CommandError(f"Unknown assignment '{assignment}'. Known assignments: {known}.") from None
    return {"notebooks": list(found)} if isinstance(found, (list, tuple)) else dict(found)


def notebooks(assignment: str) -> list[str]:
    """The assignment's notebook names (without .ipynb), in course_config's order."""
    return list(entry(assignment)["notebooks"])


def settings(assignment: str) -> dict:
    """Names the checker defines from the course before every test of the assignment."""
    return dict(entry(assignment).get("settings", {}))


def assignment_of_notebook(path: Path) -> str | None:
    """The assignment a notebook file belongs to, from its folder or else its name."""
    path = Path(path)
    candidates = [a for a in course_config.ASSIGNMENTS if path.stem in notebooks(a)]
    return path.parent.name if path.parent.name in candidates else (candidates[0] if candidates else None)


def notebook_path(root: Path, folder: str, assignment: str, notebook: str, student: str | None = None) -> Path:
    """Where nbgrader keeps a notebook: <root>/<folder>[/<student>]/<assignment>/<notebook>.ipynb."""
    base = Path(root) / folder / student if student else Path(root) / folder
    return base / assignment / f"{notebook}.ipynb"


def graded_cell_ids(nb) -> list[str]:
    """grade_ids of the cells that carry points (tests, graded answers, tasks), in order."""
    return [
        c.metadata["nbgrader"]["grade_id"]
        for c in nb.cells
        if (utils.is_grade(c) or utils.is_task(c)) and c.metadata.get("nbgrader", {}).get("grade_id")
    ]


def is_autograder_test(cell) -> bool:
    return cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell)


def tagged_tests(nb, tag: str) -> list[str]:
    """grade_ids of the test cells the instructor tagged `tag` (read from source/, never a submission)."""
    return [
        c.metadata["nbgrader"]["grade_id"]
        for c in nb.cells
        if is_autograder_test(c) and tag in c.metadata.get("tags", [])
    ]


def marked_for_student_kernel(nb) -> list[str]:
    """grade_ids of the test cells the instructor tagged to run in the student's kernel."""
    return tagged_tests(nb, STUDENT_KERNEL_TAG)


def marked_for_manual_review(nb) -> list[str]:
    """grade_ids of the test cells the instructor lets go to manual grading when a value cannot be checked."""
    return tagged_tests(nb, MANUAL_REVIEW_TAG)


def heading_titles(nb) -> dict[str, str]:
    """grade_id -> the text of the nearest Markdown heading above the graded cell (the cell's
    own heading for a written answer), for steps the assignment's plugin gives no title."""
    titles, heading = {}, None
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            lines = [line.strip() for line in cell.source.splitlines() if re.match(r"#{1,6}\s", line.strip())]
            heading = lines[-1].lstrip("#").strip() if lines else heading
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id and heading and (utils.is_grade(cell) or utils.is_task(cell)):
            titles[grade_id] = heading
    return titles


def source_notebook(assignment: str, notebook: str, root: Path | None = None):
    return nbformat.read(notebook_path(root or course_config.COURSE_ROOT, "source", assignment, notebook), as_version=4)
