"""Nothing lost when a machine dies: the grading service (coordinator, Celery workers, Redis)
against a real redis-server the test starts, on the engine assignment (seconds per grading).

Each case names the fault, then checks each submission's final state in the coordinator's job
store, its scores in the gradebook, and how many times the workers graded it (their logs)."""

import re
import signal
import time

import nbformat
import psutil
import pytest

from tests.engine_course import reference_answers, run_cli, scores_of, submission
from tests.service_course import (
    SUCCEEDED,
    jobs,
    put_in_inbound,
    stop,
    wait_for,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

FULL = {"test-squares": 1.0, "test-values": 1.0, "test-normalize": 2.0, "reflection": None}
WRONG_NORMALIZE = {**FULL, "test-normalize": 0.0}


def grading_child(worker):
    """The pool process grading for a Celery worker (the worker's main process supervises it)."""
    return [p for p in psutil.Process(worker.pid).children() if "python" in p.name()]


def test_worker_killed_mid_grading_is_graded_by_another_worker_and_recorded_once(service):
    """SIGKILL the process grading a submission (its machine leaving the queue first): acks_late and
    reject_on_worker_lost put the task back, the other worker grades it; the gradebook has it once,
    with the reference's full marks (the honest answer takes 12 s, a window to kill it in)."""
    workers = {"first": service.worker("first"), "second": service.worker("second")}
    for name in workers:
        wait_for(lambda n=name: "ready." in (service.folder / f"{n}.log").read_text(), f"{name} to be ready")
    slow = "import time\ntime.sleep(12)\n" + reference_answers(service.course)["squares"]
    put_in_inbound(service.course, "s01", squares=slow)
    service.serve()
    wait_for(lambda: service.states().get("s01") == "running", "s01 to be graded")
    shown = run_cli(service.course, "queue", "--assignment", "engine").stdout
    killed = next(name for name in workers if f"{name}@test" in shown)
    other = next(name for name in workers if name != killed)
    stop_consuming(service, f"{killed}@test")
    children = grading_child(workers[killed])
    assert children, "no grading process to kill"
    for child in children:
        child.send_signal(signal.SIGKILL)
    wait_for(lambda: service.all_in("done", "failed"), "s01 to be graded again")
    ((state, problem),) = jobs(service.course).values()
    assert (state, problem) == ("done", None)
    assert scores_of(service.course, ["s01"])["s01"] == FULL
    assert list(service.gradings().values()) == [1]  # finished once in all
    assert SUCCEEDED.search((service.folder / f"{other}.log").read_text()), "not graded by the other worker"
    assert "exited with 'signal 9 (SIGKILL)'" in (service.folder / f"{killed}.log").read_text()
    assert re.search(
        rf"^done +s01 .*{other}@test", run_cli(service.course, "queue", "--assignment", "engine").stdout, re.MULTILINE
    )


def stop_consuming(service, worker_name):
    from coursetools.service.celery_app import make_app
    from coursetools.service.settings import course_version, queue_name

    app = make_app(service.redis.url)
    replies = app.control.cancel_consumer(
        queue_name(course_version(service.course)), destination=[worker_name], reply=True, timeout=20
    )
    assert replies, "the first worker did not answer"


def test_broker_restarted_with_submissions_queued_loses_none_and_a_crashing_submission_fails_alone(service):
    """Redis is SIGKILLed with two submissions queued and no worker up, then started again on its
    append-only file: both are still there. One of them crashes nbgrader itself (a cell's nbgrader
    metadata of an unknown schema version): tried GRADING_MAX_ATTEMPTS (2) times, then failed
    with the reason; the other is graded and recorded."""
    crashing = submission(service.course)
    for cell in crashing.cells:
        if "nbgrader" in cell.metadata:
            cell.metadata["nbgrader"]["schema_version"] = 99
    put_in_inbound(service.course, "s01", normalize="def normalize(x):\n    return x\n")
    put_in_inbound(service.course, "s02", nb=crashing)
    service.serve()
    wait_for(lambda: service.states() == {"s01": "queued", "s02": "queued"}, "both to be queued")
    service.redis.kill()
    time.sleep(1)
    service.redis.start()
    service.worker("worker")
    wait_for(lambda: service.all_in("done", "failed") and len(service.states()) == 2, "both to end")
    found = {key.split("+")[0]: value for key, value in jobs(service.course).items()}
    assert found["s01"] == ("done", None)
    assert found["s02"][0] == "failed"
    assert "nbgrader could not grade it" in found["s02"][1] and "after 2 attempts" in found["s02"][1]
    assert scores_of(service.course, ["s01"])["s01"] == WRONG_NORMALIZE
    shown = run_cli(service.course, "queue", "--assignment", "engine").stdout
    assert re.search(r"^failed +s02 .*nbgrader could not grade it", shown, re.MULTILINE), shown
    assert re.search(r"^done +s01 .*worker@test", shown, re.MULTILINE), shown


def test_coordinator_killed_and_restarted_grades_each_submission_once_and_refuses_a_worker_at_another_version(
    service,
):
    """The coordinator is SIGKILLed while submissions are queued and being graded, then started
    again: every submission ends recorded, each graded exactly once. A worker whose course differs
    from the coordinator's is refused with the reason and grades nothing."""
    service.worker("worker")
    for student in ("s01", "s02", "s03"):
        put_in_inbound(service.course, student)
    coordinator = service.serve()
    wait_for(lambda: "running" in service.states().values(), "a grading to start")
    stop(coordinator, signal.SIGKILL)
    put_in_inbound(service.course, "s04", normalize="def normalize(x):\n    return x\n")
    other = service.worker("other", extra="SCALE_NOTE = 'another version of the course'\n")
    assert other.wait(timeout=120) == 1
    assert "This worker is refused" in (service.folder / "other.log").read_text()
    service.serve()
    wait_for(lambda: len(service.states()) == 4 and service.all_in("done"), "all four to be recorded")
    assert set(service.gradings().values()) == {1} and len(service.gradings()) == 4
    scores = scores_of(service.course, ["s01", "s02", "s03", "s04"])
    assert scores == {"s01": FULL, "s02": FULL, "s03": FULL, "s04": WRONG_NORMALIZE}
    feedback = service.course / "exchange" / "dl-intro" / "feedback"
    wait_for(lambda: len(list(feedback.glob("*.html"))) == 4, "each student's feedback in the exchange")
    assert nbformat.read(service.course / "autograded" / "s04" / "engine" / "warmup.ipynb", as_version=4).cells, (
        "the graded notebook the worker returned is in autograded/"
    )
