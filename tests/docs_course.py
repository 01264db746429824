"""nbgrader's documentation course, from the installed nbgrader package, as an assignment of a
scratch course: used by its e2e tests and by the benchmark.

nbgrader installs its user guide's example course with itself
(`nbgrader/docs/source/user_guide/` in site-packages): assignment ps1 (`problem1.ipynb`,
`problem2.ipynb`, `jupyter.png`) and the sample submissions of bitdiddle and hacker. Its
tests call the student's functions, expect a ValueError from bad input, and one test deletes
and restores a student's global name.

What stock nbgrader gives each graded cell is not recorded: `expected_scores()` grades the
submissions with the installed nbgrader as shipped (default Execute step, no course
settings), so the comparison follows nbgrader's version and never goes stale.
"""

from __future__ import annotations

import csv
import functools
import shutil
import tempfile
from pathlib import Path

import nbformat
import nbgrader

from coursetools.course.assignments import STUDENT_KERNEL_TAG
from coursetools.workflow.nbgrader_runner import nbgrader as run_nbgrader

DOCS = Path(nbgrader.__file__).resolve().parent / "docs" / "source" / "user_guide"
DOCS_ASSIGNMENT = "ps1"  # the assignment's name in nbgrader's user guide
NOTEBOOKS = ["problem1", "problem2"]
# The one test that deletes and restores a student's global name: the escape hatch's use.
ESCAPE_HATCH = "sum_of_squares_uses_squares"
STOCK_CONFIG = 'c = get_config()  # noqa: F821\nc.CourseDirectory.course_id = "stock"\n'


class DocsCourseMissing(RuntimeError):
    pass


def check_installed() -> None:
    if not (DOCS / "source" / DOCS_ASSIGNMENT).is_dir():
        raise DocsCourseMissing(
            f"nbgrader's documentation course is not in the installed package ({DOCS}): "
            "reinstall nbgrader from requirements.txt (`./course setup`)"
        )


def students() -> list[str]:
    check_installed()
    return sorted(p.name for p in (DOCS / "submitted").iterdir() if (p / DOCS_ASSIGNMENT).is_dir())


def add_docs_assignment(course: Path, assignment: str, tag_escape_hatch: bool = True) -> None:
    """Copy the documentation course's ps1 to source/<assignment>; register it in course_config.py
    when the course has one (a stock nbgrader course has none)."""
    check_installed()
    shutil.copytree(DOCS / "source" / DOCS_ASSIGNMENT, course / "source" / assignment)
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


def copy_submissions(dest: Path, assignment: str, chosen=None) -> list[str]:
    """The sample submissions in nbgrader's layout: dest/<student>/<assignment>/."""
    chosen = list(chosen or students())
    for student in chosen:
        shutil.copytree(DOCS / "submitted" / student / DOCS_ASSIGNMENT, dest / student / assignment)
    return chosen


def stock_course(folder: Path, assignment: str) -> Path:
    """A stock nbgrader course (no course settings at all) with the documentation assignment."""
    (folder / "source").mkdir(parents=True)
    (folder / "nbgrader_config.py").write_text(STOCK_CONFIG)
    add_docs_assignment(folder, assignment, tag_escape_hatch=False)
    return folder


def user_guide_raw_scores() -> dict[str, float]:
    """The raw totals nbgrader's user guide publishes for its sample students (grades.csv)."""
    with open(DOCS / "grades.csv") as fh:
        return {row["student_id"]: float(row["raw_score"]) for row in csv.DictReader(fh)}


@functools.cache
def expected_scores() -> dict:
    """student -> {"notebook:grade_id": {auto_score, max, needs_manual_grade}}, as stock nbgrader grades them."""
    with tempfile.TemporaryDirectory(prefix="stock-nbgrader-") as tmp:
        course = stock_course(Path(tmp) / "stock", DOCS_ASSIGNMENT)
        run_nbgrader(course, "generate_assignment", DOCS_ASSIGNMENT, "--force")
        graded = copy_submissions(course / "submitted", DOCS_ASSIGNMENT)
        run_nbgrader(course, "autograde", DOCS_ASSIGNMENT, "--force")
        url = f"sqlite:///{course / 'gradebook.db'}"
        return {student: recorded_grades(url, DOCS_ASSIGNMENT, student) for student in graded}


def recorded_grades(db_url: str, assignment: str, student: str) -> dict:
    """A student's grades in the shape of expected_scores()."""
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
