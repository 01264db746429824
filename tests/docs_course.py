"""nbgrader's documentation course (../shared/nbgrader-docs-course) as an assignment of a
scratch course: used by its e2e test and by the benchmark."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat

import course_config
from coursetools.assignments import STUDENT_KERNEL_TAG

DOCS = course_config.COURSE_ROOT.parent / "shared" / "nbgrader-docs-course"
NOTEBOOKS = ["problem1", "problem2"]
# The one test that deletes and restores a student's global name: the escape hatch's use.
ESCAPE_HATCH = "sum_of_squares_uses_squares"


def expected_scores() -> dict:
    return json.loads((DOCS / "expected-stock-nbgrader.json").read_text())


def add_docs_assignment(course: Path, assignment: str, tag_escape_hatch: bool = True) -> None:
    """Copy the course's source/ps1 to source/<assignment>; register it in course_config.py
    when the course has one (a stock nbgrader course has none)."""
    assert DOCS.is_dir(), f"{DOCS} is missing: the team's shared/ folder lies beside the repository"
    shutil.copytree(DOCS / "source" / "ps1", course / "source" / assignment)
    if tag_escape_hatch:
        path = course / "source" / assignment / "problem1.ipynb"
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") == ESCAPE_HATCH:
                cell.metadata.setdefault("tags", []).append(STUDENT_KERNEL_TAG)
        nbformat.write(nb, path)
    config = course / "course_config.py"
    if config.exists():
        config.write_text(config.read_text() + f"\nASSIGNMENTS[{assignment!r}] = {NOTEBOOKS!r}\n")


def copy_submissions(dest: Path, assignment: str, students=None) -> list[str]:
    """The sample submissions in nbgrader's layout: dest/<student>/<assignment>/."""
    students = list(students or expected_scores())
    for student in students:
        shutil.copytree(DOCS / "submitted" / student / "ps1", dest / student / assignment)
    return students


def recorded_grades(db_url: str, assignment: str, student: str) -> dict:
    """A student's grades in the shape of expected-stock-nbgrader.json."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        return {
            f"{nb}:{g.name}": {
                "auto_score": g.auto_score,
                "max": g.max_score,
                "needs_manual_grade": g.needs_manual_grade,
            }
            for nb in NOTEBOOKS
            for g in gb.find_submission_notebook(nb, assignment, student).grades
        }
