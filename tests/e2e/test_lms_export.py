"""`./course export --format canvas|moodle`: the LMS's own import files, read back with the formats'
rules and checked score by score against the gradebook (the engine assignment, graded for real).

The roster maps nbgrader ids to LMS identities the way an instructor's download does: one row per
enrolled student, the nbgrader id in Canvas's "SIS Login ID" (Moodle: "Username"). One enrolled
student never submitted; one student who submitted is not on the roster.
"""

import csv
import subprocess
import sys

import pytest

from tests.engine_course import (
    ASSIGNMENT,
    AUTOGRADED_POINTS,
    NOTEBOOK,
    POINTS_BY_HAND,
    make_engine_course,
    release_notebook,
    run_cli,
    step_scores,
    submission,
    submit,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CANVAS_COLUMN = f"{ASSIGNMENT} (48213)"
# nbgrader id -> (Student, ID, SIS User ID, SIS Login ID, Section, email, Moodle ID number)
ROSTER = {
    "alice": ("Lovelace, Ada", "1101", "S-1101", "alice", "Section 1", "ada@example.edu", "20261101"),
    "bob": ("Babbage, Charles", "1102", "S-1102", "bob", "Section 1", "charles@example.edu", "20261102"),
    "carol": ("Hopper, Grace", "1103", "S-1103", "carol", "Section 2", "grace@example.edu", "20261103"),
    "dave": ("Turing, Alan", "1104", "S-1104", "dave", "Section 2", "alan@example.edu", "20261104"),
}
NOT_ON_ROSTER = "eve"  # submitted, graded, not enrolled in the LMS course
NEVER_SUBMITTED = "dave"
MAX_POINTS = AUTOGRADED_POINTS + POINTS_BY_HAND


def write_canvas_roster(path):
    """What Canvas's gradebook export looks like: identity columns, assignment columns, Points Possible."""
    with open(path, "w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Quiz 1 (40001)", CANVAS_COLUMN])
        writer.writerow(["    Points Possible", "", "", "", "", "10", f"{MAX_POINTS}"])
        for name, sis_id, sis_user, login, section, *_ in ROSTER.values():
            writer.writerow([name, sis_id, sis_user, login, section, "7", ""])
        writer.writerow(["Student, Test", "9999", "", "", "Section 1", "", ""])  # Canvas's test student
    return path


def write_moodle_roster(path):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["First name", "Last name", "ID number", "Email address", "Username"])
        for username, (name, *_, email, idnumber) in ROSTER.items():
            last, first = name.split(", ")
            writer.writerow([first, last, idnumber, email, username])
    return path


SET_MANUAL = """
import sys
from nbgrader.api import Gradebook
from coursetools.course.nbgrader_settings import gradebook_url
from pathlib import Path
with Gradebook(gradebook_url(Path('.'))) as gb:
    for student in sys.argv[3:]:
        grade = gb.find_grade(sys.argv[1], sys.argv[2], 'engine', student)
        grade.manual_score = 1  # what the formgrader's Manual Grading does
        grade.needs_manual_grade = False
    gb.db.commit()
"""


def grade_by_hand(course, *students):
    done = subprocess.run(
        [sys.executable, "-c", SET_MANUAL, "reflection", NOTEBOOK, *students],
        cwd=course,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = make_engine_course(tmp_path_factory.mktemp("lms") / "course")
    submit(course, "alice", submission(course))
    submit(course, "bob", submission(course, squares="def squares(n):\n    return [1, 4, 9]"))
    submit(course, "carol", release_notebook(course))
    submit(course, NOT_ON_ROSTER, submission(course))
    done = run_cli(course, "autograde", "--assignment", ASSIGNMENT)
    assert done.returncode == 0, done.stdout + done.stderr
    rosters = {
        "canvas": write_canvas_roster(course / "canvas-roster.csv"),
        "moodle": write_moodle_roster(course / "moodle-roster.csv"),
    }
    return course, rosters


def export(course, fmt, roster, *extra):
    return run_cli(course, "export", "--assignment", ASSIGNMENT, "--format", fmt, "--roster", str(roster), *extra)


def gradebook_points(course, student):
    scores = step_scores(course, student)
    return None if None in scores.values() else sum(scores.values())


def read_canvas(path):
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", CANVAS_COLUMN]
    assert rows[1][0] == "Points Possible" and rows[1][1:5] == ["", "", "", ""]
    assert float(rows[1][5]) == MAX_POINTS
    for row in rows[2:]:
        assert len(row) == 6 and (row[5] == "" or float(row[5]) >= 0), row
    return rows[2:]


def test_missing_manual_grades_refuse_by_default_and_nothing_is_written(graded):
    course, rosters = graded
    # the reflection waits for a hand grade (carol's unchanged answer is already 0)
    assert step_scores(course, "alice")["reflection"] is None
    done = export(course, "canvas", rosters["canvas"])
    assert done.returncode == 1
    assert "still have answers to grade by hand: alice, bob, eve" in done.stderr
    assert "Nothing was written" in done.stderr
    assert not (course / "reports" / f"{ASSIGNMENT}-canvas.csv").exists()


def test_missing_manual_grades_left_blank_when_asked(graded):
    course, rosters = graded
    done = export(course, "canvas", rosters["canvas"], "--missing-manual", "blank")
    assert done.returncode == 0, done.stderr
    rows = {row[3]: row for row in read_canvas(course / "reports" / f"{ASSIGNMENT}-canvas.csv")}
    assert rows["alice"][5] == "" and rows["bob"][5] == ""  # waiting for the reflection's grade
    assert float(rows["carol"][5]) == gradebook_points(course, "carol") == 0
    assert "left blank, answers still to grade by hand: alice, bob" in done.stdout
    assert f"graded but NOT in the roster, so not in the file: {NOT_ON_ROSTER}" in done.stdout


@pytest.fixture(scope="module")
def hand_graded(graded):
    course, rosters = graded
    grade_by_hand(course, "alice", "bob", NOT_ON_ROSTER)
    return course, rosters


def test_canvas_file_fills_the_roster_with_the_gradebook_scores(hand_graded):
    course, rosters = hand_graded
    done = export(course, "canvas", rosters["canvas"])
    assert done.returncode == 0, done.stderr
    rows = read_canvas(course / "reports" / f"{ASSIGNMENT}-canvas.csv")
    # roster round trip: every roster row, in its order, identities unchanged, none invented
    expected = [list(v[:5]) for v in ROSTER.values()] + [["Student, Test", "9999", "", "", "Section 1"]]
    assert [row[:5] for row in rows] == expected
    by_login = {row[3]: row[5] for row in rows}
    assert float(by_login["alice"]) == gradebook_points(course, "alice") == MAX_POINTS
    assert float(by_login["bob"]) == gradebook_points(course, "bob") == MAX_POINTS - 1
    assert float(by_login["carol"]) == gradebook_points(course, "carol") == 0
    assert by_login[NEVER_SUBMITTED] == "" and by_login[""] == ""
    assert f"graded but NOT in the roster, so not in the file: {NOT_ON_ROSTER}" in done.stdout
    assert (
        f"in the roster without a grade of {ASSIGNMENT} (left blank): {NEVER_SUBMITTED}, Student, Test" in done.stdout
    )


@pytest.mark.parametrize("identifier, column, index", [("email", "Email address", 5), ("idnumber", "ID number", 6)])
def test_moodle_file_has_one_identifier_column_and_the_gradebook_scores(hand_graded, identifier, column, index):
    course, rosters = hand_graded
    done = export(course, "moodle", rosters["moodle"], "--identifier", identifier)
    assert done.returncode == 0, done.stderr
    with open(course / "reports" / f"{ASSIGNMENT}-moodle.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == [column, ASSIGNMENT]
    identity = {v[index]: student for student, v in ROSTER.items()}
    assert [row[0] for row in rows[1:]] == list(identity)  # one row per roster student, in its order
    for ident, cell in rows[1:]:
        points = gradebook_points(course, identity[ident]) if identity[ident] != NEVER_SUBMITTED else None
        assert (cell == "" and points is None) or float(cell) == points, (ident, cell, points)
    assert f"graded but NOT in the roster, so not in the file: {NOT_ON_ROSTER}" in done.stdout
