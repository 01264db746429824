"""Grades by hand from the command line: `./course grade`, one cell or a CSV of them.

They are written into nbgrader's gradebook as the formgrader writes them (its API handlers):
`manual_score` is the points given, `needs_manual_grade` is cleared (nbgrader's own CSV, the
step CSV, course totals and feedback all read these two), and the comment goes to the answer
cell's `manual_comment`, which nbgrader's feedback shows. A manual score takes precedence
over the autograder's in nbgrader's `Grade.score`, so a test's points can be overridden too.

A CSV is checked whole before anything is written: a bad row changes nothing.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

import course_config
from coursetools.course.assignments import notebooks
from coursetools.course.nbgrader_settings import gradebook_url
from coursetools.errors import CommandError

CSV_COLUMNS = ("student", "cell", "points", "comment")


@dataclass
class ManualGrade:
    student: str
    notebook: str
    grade_id: str
    points: float
    max_points: float
    comment: str | None

    def __str__(self) -> str:
        said = f' with the comment "{self.comment}"' if self.comment else ""
        return f"{self.student}, {self.grade_id}: {self.points:g}/{self.max_points:g}{said}"


def _locate(gb: Gradebook, assignment: str, student: str, cell: str):
    """(grade, comment or None, notebook) for `cell` ('grade_id' or 'notebook:grade_id')."""
    names = notebooks(assignment)
    wanted_notebook, _, grade_id = cell.rpartition(":")
    candidates = [wanted_notebook] if wanted_notebook else names
    if wanted_notebook and wanted_notebook not in names:
        raise CommandError(f"{assignment} has no notebook '{wanted_notebook}' (its notebooks: {', '.join(names)}).")
    try:
        gb.find_student(student)
        gb.find_submission(assignment, student)
    except MissingEntry:
        raise CommandError(
            f"No graded submission of {assignment} for '{student}' in the gradebook: "
            f"run `./course autograde --assignment {assignment} --student {student}` first."
        ) from None
    found = []
    for name in candidates:
        try:
            found.append((gb.find_grade(grade_id, name, assignment, student), name))
        except MissingEntry:
            continue
    if not found:
        known = sorted(
            {g.name for name in candidates for g in gb.find_submission_notebook(name, assignment, student).grades}
        )
        raise CommandError(f"{assignment} has no graded cell '{grade_id}'. Graded cells: {', '.join(known)}.")
    if len(found) > 1:
        raise CommandError(f"'{grade_id}' is in several notebooks: give the cell as <notebook>:{grade_id}.")
    grade, name = found[0]
    try:
        comment = gb.find_comment(grade_id, name, assignment, student)
    except MissingEntry:  # nbgrader keeps comments for answer cells only
        comment = None
    return grade, comment, name


def _points(value, grade) -> float:
    try:
        points = float(value)
    except (TypeError, ValueError):
        raise CommandError(f"points must be a number, not '{value}'.") from None
    if not math.isfinite(points) or not 0 <= points <= grade.max_score:
        raise CommandError(f"points must be between 0 and {grade.max_score:g} (the cell's maximum), not {value}.")
    return points


def _set(gb: Gradebook, assignment: str, student: str, cell: str, points, comment: str | None, where: str):
    try:
        grade, comment_entry, notebook = _locate(gb, assignment, student, cell)
        given = _points(points, grade)
    except CommandError as error:
        raise CommandError(f"{where}: {error}") from None
    if comment and comment_entry is None:
        raise CommandError(
            f"{where}: '{grade.name}' is a test cell; nbgrader keeps comments for answer cells only "
            "(comment on the answer the test checks, or leave the comment out)."
        )
    grade.manual_score = given
    grade.needs_manual_grade = False
    if comment_entry is not None and comment:  # no comment given: an earlier one stays
        comment_entry.manual_comment = comment
    return ManualGrade(student, notebook, grade.name, given, float(grade.max_score), comment or None)


def _gradebook(root: Path, assignment: str) -> Gradebook:
    """The course's gradebook; never a new one (opening a missing SQLite file would create it)."""
    if not course_config.GRADEBOOK_URL and not (Path(root) / "gradebook.db").exists():
        raise CommandError(
            f"Nothing is graded yet: run `./course autograde --assignment {assignment}` before grading by hand."
        )
    return Gradebook(gradebook_url(Path(root)))


def enter(root: Path, assignment: str, student: str, cell: str, points, comment: str | None = None) -> ManualGrade:
    """Give `student` `points` (and a comment) for one graded cell."""
    with _gradebook(root, assignment) as gb:
        entered = _set(gb, assignment, student, cell, points, comment, f"{student}, {cell}")
        gb.db.commit()
    return entered


def import_csv(root: Path, assignment: str, path: Path) -> list[ManualGrade]:
    """Enter every row of a CSV with columns student, cell, points[, comment]; all rows or none."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:  # -sig: spreadsheets add a BOM
            reader = csv.DictReader(fh)
            columns = [c.strip().lower() for c in reader.fieldnames or []]
            rows = [{k.strip().lower(): (v or "").strip() for k, v in row.items() if k} for row in reader]
    except OSError as error:
        raise CommandError(f"{path} cannot be read ({error.strerror}).") from None
    except (UnicodeDecodeError, csv.Error):
        raise CommandError(f"{path} is not a UTF-8 CSV file: save it from the spreadsheet as CSV (UTF-8).") from None
    missing = [c for c in CSV_COLUMNS[:3] if c not in columns]
    if missing:
        raise CommandError(
            f"{path} has no column {', '.join(missing)}: its first line must name the columns "
            f"{', '.join(CSV_COLUMNS)} (comment may be left out)."
        )
    rows = [r for r in rows if any(r.values())]  # blank lines at the end of a spreadsheet
    if not rows:
        raise CommandError(f"{path} has no grades in it.")
    entered, problems = [], []
    seen = {}
    with _gradebook(root, assignment) as gb:
        for number, row in enumerate(rows, start=2):  # line 1 holds the column names
            where = f"line {number} ({row.get('student') or '?'}, {row.get('cell') or '?'})"
            key = (row["student"], row["cell"])
            if key in seen:
                problems.append(f"{where}: the same cell is graded on line {seen[key]} too")
                continue
            seen[key] = number
            try:
                entered.append(
                    _set(gb, assignment, row["student"], row["cell"], row["points"], row.get("comment"), where)
                )
            except CommandError as error:
                problems.append(str(error))
        if problems:
            gb.db.rollback()
            raise CommandError(
                f"Nothing was entered from {path.name}: fix these rows and import it again:\n  " + "\n  ".join(problems)
            )
        gb.db.commit()
    return entered
