"""What students and instructors receive for ps1: feedback pages (in a real browser), CSVs, the class report.

The feedback of the engine's faults and of student markup is checked on the engine
assignment (test_engine_corpus.py)."""

import csv

import nbformat
import pytest

import course_config
from coursetools.workflow import leak_checks
from coursetools.workflow.scores import step_scores

from .browser import chromium, screenshot
from .conftest import NOTEBOOK, SAMPLE_SCORES, run_cli

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def delivered(graded):
    course, _ = graded
    for command in ("feedback", "export"):
        result = run_cli(course, command, "--assignment", "ps1")
        assert result.returncode == 0, result.stdout + result.stderr
    return course


def hidden_test_lines():
    source = nbformat.read(course_config.COURSE_ROOT / "source" / "ps1" / NOTEBOOK, as_version=4)
    return {line for line in leak_checks.secret_lines(source) if "assert" in line or "_fm" in line}


@pytest.mark.parametrize("student", sorted(SAMPLE_SCORES))
def test_feedback_has_scores_reasons_and_no_hidden_tests(delivered, student):
    page = (delivered / "feedback" / student / "ps1" / "fashion_mnist.html").read_text()
    assert f"Your result: {SAMPLE_SCORES[student]:g} / 15" in page
    assert "BEGIN HIDDEN TESTS" not in page and "_graded_accuracy" not in page
    assert not [line for line in hidden_test_lines() if line in page]


def test_feedback_explains_a_failed_hidden_check_in_plain_words(delivered):
    # Its printed accuracy passes the visible check; the grader's own evaluation fails it.
    page = (delivered / "feedback" / "hardcoded-accuracy" / "ps1" / "fashion_mnist.html").read_text()
    # The hidden check ran none of the student's code, so its own words reach the student.
    assert "The model has no weights yet: build and train it." in page


def test_feedback_says_when_the_grader_could_not_check_a_step(delivered):
    page = (delivered / "feedback" / "crafted-keras-archive" / "ps1" / "fashion_mnist.html").read_text()
    assert "Your result: 10 / 15</h1>" in page, "an uncarriable model fails in fixed words, no manual review forced"
    assert "This step could not be checked: the grader cannot carry a value it uses" in page


def test_step_csv_has_one_row_per_student_and_one_column_per_step(delivered):
    with open(delivered / "reports" / "ps1-steps.csv") as fh:
        rows = {row["student_id"]: row for row in csv.DictReader(fh)}
    for student, points in SAMPLE_SCORES.items():
        steps = step_scores(delivered, "ps1", student)
        assert float(rows[student]["total"]) == points
        assert [float(rows[student][s.label]) for s in steps] == [s.score for s in steps]
    assert (delivered / "reports" / "grades.csv").is_file()


def test_class_report_has_both_charts(delivered):
    page = (delivered / "reports" / "ps1-class-report.html").read_text()
    assert page.count("data:image/png;base64,") == 2 and "Steps most often failed" in page


@pytest.mark.browser
@pytest.mark.parametrize("student", ["reference-solution", "undertrained-model"])
def test_feedback_page_renders_in_a_real_browser(delivered, student):
    with chromium(1200, 2400) as driver:
        driver.get((delivered / "feedback" / student / "ps1" / "fashion_mnist.html").as_uri())
        text = driver.find_element("tag name", "body").text
        assert "Your result" in text and "9. Test accuracy" in text
        images = driver.execute_script(
            "return Array.from(document.images).map(i => [i.alt, i.complete && i.naturalWidth > 0]);"
        )
        assert len(images) >= 3 and all(ok for _, ok in images), images
        assert "_graded_accuracy" not in driver.page_source
        screenshot(driver, f"feedback-{student}")
