"""The double-grade window: a coordinator killed after it sent a submission's task to the broker
and before it recorded it as queued. Started again, it cannot know whether the send reached the
broker, so it sends again (same task id, a new send mark); the worker grades the first send to
start and drops the other before grading (celery_app.claim), so the submission is graded once,
its result is the first send's, and it is recorded once. Against a real redis-server, on the
engine assignment. The kill is the coordinator's test hook (COURSETOOLS_TEST_CRASH_AFTER_SEND):
it SIGKILLs itself right after the send."""

import re

import pytest

from coursetools.service.coordinator import CRASH_AFTER_SEND_HOOK, task_id
from tests.engine_course import scores_of
from tests.service_course import SUCCEEDED, jobs, put_in_inbound, start, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

WRONG_NORMALIZE = {"test-squares": 1.0, "test-values": 1.0, "test-normalize": 0.0, "reflection": None}


def test_a_coordinator_killed_between_sending_and_recording_it_grades_the_submission_once(service):
    service.worker("worker")
    log = service.folder / "worker.log"
    wait_for(lambda: "ready." in log.read_text(), "the worker to be ready")
    key = put_in_inbound(service.course, "s01", normalize="def normalize(x):\n    return x\n")
    crashed = start(
        service.course,
        "serve",
        log=service.folder / "serve-crashed.log",
        env={**service.env, CRASH_AFTER_SEND_HOOK: "1"},
    )
    service.processes.append(crashed)
    assert crashed.wait(timeout=240) == -9, "the hook kills the coordinator right after the send"
    assert jobs(service.course) == {key: ("sending", None)}, "the send was not recorded"
    task = task_id(key)
    wait_for(lambda: task in SUCCEEDED.findall(log.read_text()), "the first send to be graded")

    service.serve()  # started again: sends it again, records the first send's result
    wait_for(lambda: service.all_in("done", "failed"), "s01 to be recorded")
    wait_for(lambda: f"coursetools.grade[{task}] ignored" in log.read_text(), "the second send to be dropped")
    assert jobs(service.course) == {key: ("done", None)}
    assert scores_of(service.course, ["s01"])["s01"] == WRONG_NORMALIZE
    received = re.findall(rf"Task coursetools\.grade\[{task}\] received", log.read_text())
    assert len(received) == 2, "the worker got both sends"
    assert service.gradings() == {task: 1}, "graded once"
    assert "s01: graded on worker@test and recorded" in (service.folder / "serve.log").read_text()
