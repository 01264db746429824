"""What students see on submit, before and after the due date, on the engine assignment
(`./course serve` with its local pool: no broker needed).

ASSIGNMENTS["engine"]["on_submit"] = {"due": <future>, "feedback_before_due": "visible",
"daily_limit": 1}. The submission passes every visible check and fails hidden ones: squares(3)
is right but squares(0) and squares(6) are not (test-squares' hidden part), and normalize returns
its input (test-normalize's hidden input). Its true result is test-values 1/1, test-squares 0/1,
test-normalize 0/2, 1 point by hand pending.

Before the due date its feedback shows test-values' result and the total of the visible checks
(1 / 2, the reflection pending), and for test-squares and test-normalize only that they are
checked after the due date: no points, no reason, no hidden code, and a total that leaves them
out. A second submission the same day, taken by a coordinator started again, is withheld (the
daily limit is in the job store, not in the process). After the due date the instructor's
`./course release-feedback` shows everything: 1 / 5 and the hidden checks' failures.
`./course serve` runs without --assignment: one coordinator for every assignment of the course.
"""

import re
import signal

import pytest

from coursetools.preprocessors.hide_hidden_tests import HIDDEN_FAILED
from coursetools.preprocessors.withhold_hidden_steps import WITHHELD
from tests.engine_course import run_cli, step_scores
from tests.service_course import course_copy, jobs, put_in_inbound, start, stop, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

WRONG_ON_HIDDEN = {
    "squares": "def squares(n):\n    return [1, 4, 9]\n",
    "normalize": "def normalize(x):\n    return x\n",
}
ZERO_POINTS = re.compile(r"(?<![\d.])0(?:\.0)? / [12]")  # 0 / 1, 0.0 / 2.0: not 1.0 / 1.0
HIDDEN_CODE = ["squares(6)", "squares(0)", "_hidden_input", "normalize gives wrong values", "squares(6) is wrong"]


def on_submit(course, due: str) -> None:
    with open(course / "course_config.py", "a") as config:
        config.write(
            f'ASSIGNMENTS["engine"]["on_submit"] = {{"due": {due!r}, "feedback_before_due": "visible", '
            '"daily_limit": 1}\n'
        )


def serve_until(course, log, condition, what):
    serve = start(course, "serve", "--workers", "1", log=log)
    try:
        wait_for(condition, what)
    finally:
        stop(serve, signal.SIGKILL)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_hidden_checks_results_are_withheld_before_the_due_date_and_shown_after(template, tmp_path):
    course = course_copy(template, tmp_path / "course")
    on_submit(course, "2099-01-01T00:00:00+00:00")
    put_in_inbound(course, "s01", **WRONG_ON_HIDDEN)
    feedback = course / "feedback" / "s01" / "engine" / "warmup.html"
    released = course / "exchange" / "dl-intro" / "feedback"
    serve_until(course, tmp_path / "serve.log", lambda: list(released.glob("*.html")), "s01's feedback released")
    assert step_scores(course, "s01") == {
        "test-squares": 0.0,
        "test-values": 1.0,
        "test-normalize": 0.0,
        "reflection": None,
    }, "the gradebook has the whole result"
    (html,) = [path.read_text() for path in released.glob("*.html")]
    assert html == feedback.read_text()
    shown = text_of(html)
    assert "Your result on the visible checks: 1 / 2 (+ 1 points still to be graded" in shown
    assert "warmup (Score: ? / 2.0: 1.0 so far" in shown, "the page's header leaves the withheld steps out too"
    assert "Steps with hidden checks (3 points) are graded after the due date" in shown
    assert shown.count(WITHHELD) == 2  # the two steps with hidden tests, in place of their outputs
    for leak in [HIDDEN_FAILED, "/ 5", *HIDDEN_CODE]:
        assert leak not in shown, f"{leak!r} in the feedback before the due date"
    assert not ZERO_POINTS.search(shown), "a withheld step's 0 points in the feedback before the due date"
    assert re.search(r"2\. Values\s*1 / 1\s*passed", shown)
    assert re.search(r"3\. Normalize\s*– / 2\s*checked when your submission is graded after the due date", shown)

    # the same day, a coordinator started again: the daily limit holds
    put_in_inbound(course, "s01", **WRONG_ON_HIDDEN)
    serve_until(
        course, tmp_path / "serve2.log", lambda: "withheld" in [s for s, _ in jobs(course).values()], "the withheld"
    )
    states = sorted(state for state, _ in jobs(course).values())
    assert states == ["done", "withheld"]
    assert "over the daily limit of 1" in (tmp_path / "serve2.log").read_text()

    # after the due date: the instructor releases everything
    on_submit(course, "2000-01-01T00:00:00+00:00")
    done = run_cli(course, "release-feedback", "--assignment", "engine")
    assert done.returncode == 0, done.stdout + done.stderr
    shown = text_of(feedback.read_text())
    assert "Your result: 1 / 5 (+ 1 points still to be graded" in shown
    assert HIDDEN_FAILED in shown and WITHHELD not in shown
    assert re.search(r"3\. Normalize\s*0 / 2", shown)
    for code in HIDDEN_CODE[:3]:
        assert code not in shown, "hidden test code never appears, after the due date either"
