"""Grades in an LMS's own import format, written over the roster the instructor downloaded from it.

Canvas's gradebook import reads `Student,ID,SIS User ID,SIS Login ID,Section`, then one column per
assignment headed `Name (canvas id)`, and a `Points Possible` row under the header. Moodle's grade
import reads one identifier column (mapped to a user field: email, ID number or user id) and one
column per grade item. Neither may invent a student: each row of the instructor's roster is filled
with the gradebook's score of the nbgrader student named in one of its columns. Students on one
side only are listed, never dropped silently. Scores come from the gradebook through
workflow.scores (step_scores, total), like every other report of the course.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from coursetools.errors import CommandError
from coursetools.workflow.scores import StepScore, total

CANVAS_IDENTITY = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
CANVAS_POINTS_ROW = "Points Possible"
# Moodle's user fields its grade import can map an identifier column to, and the column
# Moodle's own exports give each one.
MOODLE_IDENTIFIERS = {"email": "Email address", "idnumber": "ID number", "userid": "User ID"}
# What the roster column holding the nbgrader student id is, unless the instructor says otherwise.
DEFAULT_MATCH = {"canvas": "SIS Login ID", "moodle": "Username"}
MISSING_MANUAL = ("refuse", "blank")


@dataclass
class Export:
    path: Path
    written: dict[str, float] = field(default_factory=dict)  # student -> points written
    not_in_roster: list[str] = field(default_factory=list)  # graded, no roster row to put them in
    no_grade: list[str] = field(default_factory=list)  # roster rows left blank: nothing graded
    left_blank_manual: list[str] = field(default_factory=list)  # graded, manual points still missing


def read_roster(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Header and student rows of an LMS's CSV export (a BOM, a Points Possible row and
    Canvas's read-only rows are tolerated)."""
    path = Path(path)
    if not path.is_file():
        raise CommandError(f"Roster {path} does not exist: download it from the LMS's gradebook (export as CSV).")
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh))
    except (UnicodeDecodeError, csv.Error) as error:
        raise CommandError(f"Roster {path} is not a UTF-8 CSV file ({error}); export it from the LMS again.") from None
    if not rows or not any(rows[0]):
        raise CommandError(f"Roster {path} is empty: export it from the LMS's gradebook again.")
    header = [h.strip() for h in rows[0]]
    students = []
    for row in rows[1:]:
        if not any(cell.strip() for cell in row):
            continue
        first = row[0].strip()
        if first == CANVAS_POINTS_ROW or first.startswith(("Points Possible", "Muted", "Manual Posting")):
            continue  # Canvas's rows under the header, not students
        students.append({h: (row[i].strip() if i < len(row) else "") for i, h in enumerate(header)})
    return header, students


def _require(header: list[str], columns: list[str], path: Path, what: str) -> None:
    missing = [c for c in columns if c not in header]
    if missing:
        raise CommandError(
            f"Roster {path} has no column {', '.join(repr(c) for c in missing)} ({what}); its columns are: "
            f"{', '.join(header)}."
        )


def _match(roster: list[dict[str, str]], match_column: str, path: Path) -> dict[int, str]:
    """Roster row index -> nbgrader student id, refusing a student named on two rows."""
    seen: dict[str, int] = {}
    matched = {}
    for i, row in enumerate(roster):
        student = row.get(match_column, "")
        if not student:
            continue
        if student in seen:
            raise CommandError(
                f"Roster {path} names {student!r} in {match_column!r} on two rows ({seen[student] + 2} and {i + 2}): "
                "fix the roster so each student has one row."
            )
        seen[student] = i
        matched[i] = student
    return matched


def _cells(roster, matched, scores: dict[str, list[StepScore]], missing_manual: str, result: Export) -> dict[int, str]:
    """The grade cell of each roster row: points, or blank (no grade yet, or manual points missing)."""
    if missing_manual not in MISSING_MANUAL:
        raise CommandError(f"--missing-manual must be one of {', '.join(MISSING_MANUAL)}.")
    waiting = sorted(s for s, steps in scores.items() if total(steps)[2])
    if waiting and missing_manual == "refuse":
        raise CommandError(
            f"{len(waiting)} student(s) still have answers to grade by hand: {', '.join(waiting)}. Grade them in "
            "the formgrader, or export with --missing-manual blank to leave their cells empty (the LMS then "
            "keeps them ungraded). Nothing was written."
        )
    cells = {}
    for i in range(len(roster)):
        student = matched.get(i)
        steps = scores.get(student) if student else None
        if not steps:
            cells[i] = ""
            result.no_grade.append(student or _describe(roster[i]))
        elif total(steps)[2]:
            cells[i] = ""
            result.left_blank_manual.append(student)
        else:
            earned = total(steps)[0]
            cells[i] = f"{earned:g}"
            result.written[student] = earned
    result.not_in_roster = sorted(set(scores) - set(matched.values()))
    return cells


def _describe(row: dict[str, str]) -> str:
    return next((v for v in row.values() if v), "an empty row")


def canvas_column(header: list[str], assignment: str, column: str | None, path: Path) -> str:
    """The assignment's Canvas column: as given, else the roster's `<assignment> (<canvas id>)`."""
    if column:
        return column
    found = [h for h in header if re.fullmatch(rf"{re.escape(assignment)} \(\d+\)", h)]
    if len(found) != 1:
        raise CommandError(
            f"Roster {path} has {'no' if not found else 'several'} column(s) named '{assignment} (<canvas id>)'. "
            "Give the Canvas assignment's column with --lms-column 'Name (id)' as Canvas's gradebook export "
            "heads it (a name without an id makes Canvas create a new assignment)."
        )
    return found[0]


def max_points(scores: dict[str, list[StepScore]], assignment: str) -> float:
    maxima = {total(steps)[1] for steps in scores.values() if steps}
    if not maxima:
        raise CommandError(f"No graded submissions of {assignment} in the gradebook yet: run autograde first.")
    return max(maxima)


def write_canvas(
    out: Path,
    roster_path: Path,
    assignment: str,
    scores: dict[str, list[StepScore]],
    column: str | None = None,
    match_column: str | None = None,
    missing_manual: str = "refuse",
) -> Export:
    """Canvas's gradebook import CSV: the roster's identity columns, the assignment's column, Points Possible."""
    header, roster = read_roster(roster_path)
    match_column = match_column or DEFAULT_MATCH["canvas"]
    _require(header, [*CANVAS_IDENTITY, match_column], roster_path, "Canvas's gradebook export has it")
    column = canvas_column(header, assignment, column, roster_path)
    result = Export(Path(out))
    matched = _match(roster, match_column, roster_path)
    cells = _cells(roster, matched, scores, missing_manual, result)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow([*CANVAS_IDENTITY, column])
        writer.writerow([CANVAS_POINTS_ROW, *[""] * (len(CANVAS_IDENTITY) - 1), f"{max_points(scores, assignment):g}"])
        for i, row in enumerate(roster):
            writer.writerow([*(row[c] for c in CANVAS_IDENTITY), cells[i]])
    return result


def write_moodle(
    out: Path,
    roster_path: Path,
    assignment: str,
    scores: dict[str, list[StepScore]],
    identifier: str = "email",
    column: str | None = None,
    match_column: str | None = None,
    missing_manual: str = "refuse",
) -> Export:
    """Moodle's grade import CSV: the chosen identifier column and the assignment's column."""
    if identifier not in MOODLE_IDENTIFIERS:
        raise CommandError(f"--identifier must be one of {', '.join(MOODLE_IDENTIFIERS)}.")
    id_column = MOODLE_IDENTIFIERS[identifier]
    header, roster = read_roster(roster_path)
    match_column = match_column or DEFAULT_MATCH["moodle"]
    _require(header, [id_column, match_column], roster_path, "Moodle's participants or grades export has it")
    max_points(scores, assignment)  # nothing graded is an error, as for Canvas
    result = Export(Path(out))
    matched = _match(roster, match_column, roster_path)
    without_id = [matched[i] for i in matched if not roster[i][id_column]]
    if without_id:
        raise CommandError(
            f"Roster {roster_path} has no {id_column!r} for: {', '.join(without_id)}; Moodle could not find them. "
            "Choose another --identifier or complete the roster."
        )
    cells = _cells(roster, matched, scores, missing_manual, result)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow([id_column, column or assignment])
        for i, row in enumerate(roster):
            if row[id_column]:
                writer.writerow([row[id_column], cells[i]])
    return result
