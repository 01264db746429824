"""Rosters the LMS exports refuse, with a message that says what to do (no gradebook needed:
these checks come before any score is read or written)."""

import pytest

from coursetools import cli
from coursetools.classtools import lms_export
from coursetools.errors import CommandError
from coursetools.workflow.scores import StepScore

pytestmark = pytest.mark.unit

HEADER = "Student,ID,SIS User ID,SIS Login ID,Section,hw (77)\n"
# One graded student; only the error paths read it, no score is checked here.
SCORES = {"alice": [StepScore("nb", "test-a", 1.0, 1.0, "test-a")]}


def canvas(tmp_path, text, **options):
    roster = tmp_path / "roster.csv"
    roster.write_text(text)
    return lms_export.write_canvas(tmp_path / "out.csv", roster, "hw", SCORES, **options)


def test_a_missing_roster_is_named(tmp_path):
    with pytest.raises(CommandError, match="does not exist: download it"):
        lms_export.write_canvas(tmp_path / "out.csv", tmp_path / "nope.csv", "hw", SCORES)


def test_a_roster_without_canvas_identity_columns_names_them(tmp_path):
    with pytest.raises(CommandError, match="'SIS User ID', 'SIS Login ID'"):
        canvas(tmp_path, "Student,ID,Section\nx,1,A\n")


def test_a_student_on_two_rows_is_refused(tmp_path):
    with pytest.raises(CommandError, match="on two rows"):
        canvas(tmp_path, HEADER + "a,1,s1,alice,A,\nb,2,s2,alice,A,\n")
    assert not (tmp_path / "out.csv").exists()


def test_without_the_assignment_column_the_instructor_names_it(tmp_path):
    with pytest.raises(CommandError, match="--lms-column"):
        canvas(tmp_path, "Student,ID,SIS User ID,SIS Login ID,Section\na,1,s1,alice,A\n")
    canvas(tmp_path, "Student,ID,SIS User ID,SIS Login ID,Section\na,1,s1,alice,A\n", column="Homework (77)")
    assert (tmp_path / "out.csv").read_text().splitlines()[0].endswith(",Homework (77)")


def test_moodle_refuses_a_matched_student_without_the_identifier(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("Email address,Username\n,alice\n")
    with pytest.raises(CommandError, match="no 'Email address' for: alice"):
        lms_export.write_moodle(tmp_path / "out.csv", roster, "hw", SCORES)


def test_a_roster_that_is_not_text_is_a_clear_error(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(CommandError, match="not a UTF-8 CSV"):
        lms_export.write_canvas(tmp_path / "out.csv", roster, "hw", SCORES)


def test_an_lms_format_without_a_roster_is_a_usage_error(capsys):
    assert cli.main(["export", "--assignment", "ps1", "--format", "canvas"]) == 1
    assert "--format canvas needs --roster FILE" in capsys.readouterr().err
