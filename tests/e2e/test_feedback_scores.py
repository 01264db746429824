"""Every report agrees on grades entered by hand and on grades still pending (scores.py's one
rule), and the feedback page reads right: an answer graded by hand says so with the instructor's
comment, a pending grade is "?" everywhere on the page (nbgrader's header and badges included),
steps without plugin titles are named by the heading above them. On the engine assignment
(seconds to grade), its plugin (step titles only) removed."""

import csv
import subprocess
import sys

import pytest
from bs4 import BeautifulSoup

from tests.engine_course import ASSIGNMENT, NOTEBOOK, make_engine_course, run_cli, step_scores, submission, submit

pytestmark = [pytest.mark.e2e]

COMMENT = "Say why one scale helps the optimiser."
# nbgrader's API with manual_score alone, as a script or a TA's import would: the
# needs_manual_grade flag stays set (stale); the grade counts as entered all the same.
ENTER_GRADE = """
import sys
from pathlib import Path
from nbgrader.api import Gradebook
from coursetools.course.nbgrader_settings import gradebook_url
with Gradebook(gradebook_url(Path('.'))) as gb:
    grade = gb.find_grade('reflection', sys.argv[1], sys.argv[2], sys.argv[3])
    grade.manual_score = float(sys.argv[4])
    gb.find_comment('reflection', sys.argv[1], sys.argv[2], sys.argv[3]).manual_comment = sys.argv[5]
    gb.db.commit()
"""


@pytest.fixture(scope="module")
def delivered(tmp_path_factory):
    course = make_engine_course(tmp_path_factory.mktemp("scores") / "course")
    (course / "source" / ASSIGNMENT / "course_plugin.py").unlink()  # no STEP_TITLES: headings name the steps
    submit(course, "graded-by-hand", submission(course))
    submit(course, "pending", submission(course))
    done = run_cli(course, "autograde", "--assignment", ASSIGNMENT)
    assert done.returncode == 0, done.stdout + done.stderr
    entered = subprocess.run(
        [sys.executable, "-c", ENTER_GRADE, NOTEBOOK, ASSIGNMENT, "graded-by-hand", "0.5", COMMENT],
        cwd=course,
        capture_output=True,
        text=True,
    )
    assert entered.returncode == 0, entered.stderr
    for command in ("feedback", "export"):
        done = run_cli(course, command, "--assignment", ASSIGNMENT)
        assert done.returncode == 0, done.stdout + done.stderr
    return course


def page(course, student) -> BeautifulSoup:
    html = (course / "feedback" / student / ASSIGNMENT / f"{NOTEBOOK}.html").read_text()
    return BeautifulSoup(html, "html.parser")


def summary_rows(soup) -> list[list[str]]:
    table = soup.find("table")
    return [[" ".join(td.get_text().split()) for td in tr.find_all("td")] for tr in table.find("tbody").find_all("tr")]


def test_a_grade_entered_with_manual_score_alone_counts_everywhere(delivered):
    assert step_scores(delivered, "graded-by-hand")["reflection"] == 0.5, "entered, although the flag is stale"
    assert step_scores(delivered, "pending")["reflection"] is None, "nbgrader stores 0; nobody graded it"
    with open(delivered / "reports" / f"{ASSIGNMENT}-steps.csv") as fh:
        rows = {row["student_id"]: row for row in csv.DictReader(fh)}
    assert (rows["graded-by-hand"]["reflection"], rows["graded-by-hand"]["total"]) == ("0.5", "4.5")
    assert rows["graded-by-hand"]["needs_manual_grade"] == "0"
    assert (rows["pending"]["reflection"], rows["pending"]["needs_manual_grade"]) == ("needs manual grade", "1")


def test_feedback_of_an_answer_graded_by_hand_shows_the_grade_and_the_comment(delivered):
    soup = page(delivered, "graded-by-hand")
    text = " ".join(soup.get_text().split())
    assert "Your result: 4.5 / 5" in text and "still to be graded" not in text
    reflection = summary_rows(soup)[-1]
    assert reflection[1:] == ["0.5 / 1", f"graded by your instructor: 0.5 / 1. Their comment: {COMMENT}"]
    assert "no answer was given" not in text
    assert "(Score: 4.5 / 5.0)" in text, "nbgrader's header counts the grade entered"


def test_a_pending_grade_is_a_question_mark_everywhere_on_the_page(delivered):
    soup = page(delivered, "pending")
    text = " ".join(soup.get_text().split())
    assert "Your result: 4 / 5 (+ 1 points still to be graded by your instructor)" in text
    assert summary_rows(soup)[-1][1:] == ["? / 1", "to be graded by your instructor"]
    assert "(Score: ? / 5.0: 4.0 so far, 1.0 points still to be graded by your instructor)" in text
    assert "Written response (Score: ? / 1.0)" in text, "nbgrader's table of contents"
    badge = soup.find("a", attrs={"name": "reflection"}).find_next("span", class_="pull-right")
    assert " ".join(badge.get_text().split()) == "Score: ? / 1.0 (Top)", "nbgrader's badge on the cell"
    assert "0.0 / 1.0" not in text


def test_steps_without_plugin_titles_are_named_by_the_heading_above_them(delivered):
    titles = [row[0] for row in summary_rows(page(delivered, "pending"))]
    assert titles == [
        "1. Squares (1 point)",
        "2. Values (1 point)",
        "3. Normalize (2 points)",
        "4. Reflection (1 point, graded by hand)",
    ]
