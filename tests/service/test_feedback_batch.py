"""The coordinator makes the feedback of every result waiting for it in one batch (one nbgrader
generate_feedback and one release_feedback run for all of them), and a student whose feedback
fails costs only that student's feedback, on the engine assignment with the local pool.

Four students are graded while on-submit feedback is "none" (nothing released, their jobs wait
for feedback). The instructor's copy of s02's graded notebook is then unreadable (what a disk
fault or a bad hand edit leaves), and a coordinator started again with feedback "all" resumes:
s01, s03 and s04 get their feedback from the batch's one nbgrader run (none of them needed a run
of their own, whose log would be feedback.log under their name) and see it in the exchange;
s02 is tried alone, gets none, its job stays unreleased, and the coordinator says why.
Then release_feedback is shown to fall back too: when one student's feedback folder cannot be
released (its submission_secret.txt gone), the batch's release run stops, and each student is
released alone, the others all.
"""

import signal
import sqlite3

import pytest
from nbgrader.utils import notebook_hash

from coursetools.workflow import feedback_runs
from tests.engine_course import NOTEBOOK
from tests.service_course import course_copy, jobs, put_in_inbound, start, stop, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

STUDENTS = ["s01", "s02", "s03", "s04"]


def feedback_policy(course, shown: str) -> None:
    with open(course / "course_config.py", "a") as config:
        config.write(
            f'ASSIGNMENTS["engine"]["on_submit"] = {{"due": "2099-01-01", "feedback_before_due": {shown!r}}}\n'
        )


def released_in_exchange(course) -> set[str]:
    """The students whose feedback page is in the exchange (named by nbgrader from their submission's secret)."""
    exchange = course / "exchange" / "dl-intro" / "feedback"
    found = set()
    for student in STUDENTS:
        secret = (course / "submitted" / student / "engine" / "submission_secret.txt").read_text()
        if (exchange / f"{notebook_hash(secret=secret, notebook_id=NOTEBOOK)}.html").is_file():
            found.add(student)
    return found


def released_times(course) -> dict[str, float | None]:
    with sqlite3.connect(course / "service.db") as db:
        return {student: released for student, released in db.execute("SELECT student, released FROM jobs")}


def test_waiting_feedback_is_made_in_one_batch_and_a_failing_student_blocks_no_one(template, tmp_path):
    course = course_copy(template, tmp_path / "course")
    feedback_policy(course, "none")
    for student in STUDENTS:
        put_in_inbound(course, student)
    serve = start(course, "serve", "--assignment", "engine", "--workers", "2", log=tmp_path / "serve.log")
    try:
        wait_for(
            lambda: len(jobs(course)) == 4 and all(state == "done" for state, _ in jobs(course).values()),
            "the four gradings recorded",
        )
    finally:
        stop(serve, signal.SIGKILL)
    assert released_times(course) == dict.fromkeys(STUDENTS), "feedback 'none': nothing released yet"
    assert released_in_exchange(course) == set()

    (course / "autograded" / "s02" / "engine" / f"{NOTEBOOK}.ipynb").write_text("{ not a notebook")
    feedback_policy(course, "all")
    resumed = start(course, "serve", "--assignment", "engine", "--rounds", "1", log=tmp_path / "resumed.log")
    assert resumed.wait(timeout=600) == 0, (tmp_path / "resumed.log").read_text()

    said = (tmp_path / "resumed.log").read_text()
    assert "s01, s03, s04: feedback released" in said, said
    assert "s02: feedback not released" in said
    assert released_in_exchange(course) == {"s01", "s03", "s04"}
    times = released_times(course)
    assert times["s02"] is None, "s02's job stays waiting for feedback (tried again on the next restart)"
    assert times["s01"] == times["s03"] == times["s04"] is not None, "one batch released them"
    logs = {path.name for path in course.rglob("*.feedback.log")}
    assert logs == {"s02.feedback.log"}, "only s02 needed an nbgrader run of its own"

    # release_feedback's own fallback: s03's feedback folder cannot be released, the others still are
    exchange = course / "exchange" / "dl-intro" / "feedback"
    for page in exchange.glob("*.html"):
        page.unlink()
    (course / "feedback" / "s03" / "engine" / "submission_secret.txt").unlink()
    run = feedback_runs.release(course, "engine", ["s01", "s03", "s04"])
    assert run.written == ["s01", "s04"] and list(run.failed) == ["s03"], run
    assert released_in_exchange(course) == {"s01", "s04"}
