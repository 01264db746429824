"""One machine needs nothing extra: without a broker, `./course serve` grades with its local pool,
the same attempts bound included, records the results and releases the feedback."""

import signal

import pytest

from tests.engine_course import run_cli, scores_of, submission
from tests.service_course import course_copy, jobs, put_in_inbound, start, stop, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_serve_without_a_broker_grades_with_the_local_pool(template, tmp_path):
    course = course_copy(template, tmp_path / "course")
    crashing = submission(course)
    for cell in crashing.cells:
        if "nbgrader" in cell.metadata:
            cell.metadata["nbgrader"]["schema_version"] = 99  # nbgrader itself stops on it
    put_in_inbound(course, "s01", normalize="def normalize(x):\n    return x\n")
    put_in_inbound(course, "s02", nb=crashing)
    serve = start(course, "serve", "--assignment", "engine", "--workers", "2", log=tmp_path / "serve.log")
    try:
        wait_for(
            lambda: len(jobs(course)) == 2 and all(state in ("done", "failed") for state, _ in jobs(course).values()),
            "both submissions to end",
        )
        feedback = course / "exchange" / "dl-intro" / "feedback"
        wait_for(lambda: list(feedback.glob("*.html")), "s01's feedback in the exchange")
    finally:
        stop(serve, signal.SIGKILL)
    found = {key.split("+")[0]: value for key, value in jobs(course).items()}
    assert found["s01"] == ("done", None)
    assert found["s02"][0] == "failed" and "after 2 attempts" in found["s02"][1]
    assert scores_of(course, ["s01"])["s01"] == {
        "test-squares": 1.0,
        "test-values": 1.0,
        "test-normalize": 0.0,
        "reflection": None,
    }
    assert "with a local pool of 2" in (tmp_path / "serve.log").read_text()
    assert "local" in run_cli(course, "queue", "--assignment", "engine").stdout
