"""Several machines, for real: a worker in its own network namespace (its own loopback, one veth
link to the coordinator's side), with its own copy of the course, reaches the broker by IP address
only and grades a submission the coordinator took from its exchange: no folder in common. And the
whole of such a machine lost mid-grading."""

import contextlib
import os
import re
import subprocess
import sys
import time

import psutil
import pytest

from tests.engine_course import reference_answers, run_cli, scores_of
from tests.service_course import SUCCEEDED, NetworkNamespace, Service, jobs, put_in_inbound, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

HOST_ADDRESS = NetworkNamespace.HOST_ADDRESS
FULL = {"test-squares": 1.0, "test-values": 1.0, "test-normalize": 2.0, "reflection": None}


def reaches(namespace: NetworkNamespace, host: str, port: int) -> bool:
    probe = f"import socket; socket.create_connection(({host!r}, {port}), timeout=3)"
    done = subprocess.run([*namespace.enter, "python3", "-c", probe], capture_output=True, timeout=30)
    return done.returncode == 0


def test_a_worker_in_its_own_network_namespace_grades_through_the_broker_by_ip(namespace, template, tmp_path):
    service = Service(template, tmp_path / "run", bind=f"127.0.0.1 {HOST_ADDRESS}")
    try:
        # the worker's machine sees the broker only at its address on the link, not on its own loopback
        assert reaches(namespace, HOST_ADDRESS, service.redis.port)
        assert not reaches(namespace, "127.0.0.1", service.redis.port)
        service.env = {"COURSE_BROKER_URL": f"redis://{HOST_ADDRESS}:{service.redis.port}/0"}
        worker = service.worker("remote", prefix=namespace.enter)
        in_namespace = os.stat(f"/run/netns/{namespace.name}").st_ino
        wait_for(lambda: os.stat(f"/proc/{worker.pid}/ns/net").st_ino == in_namespace, "the worker to join it")
        put_in_inbound(service.course, "s01", normalize="def normalize(x):\n    return x\n")
        service.serve()
        wait_for(lambda: service.all_in("done", "failed") and service.states(), "s01 to be graded")
        ((state, problem),) = jobs(service.course).values()
        assert (state, problem) == ("done", None)
        assert scores_of(service.course, ["s01"])["s01"] == {
            "test-squares": 1.0,
            "test-values": 1.0,
            "test-normalize": 0.0,
            "reflection": None,
        }
        assert "remote@test" in run_cli(service.course, "queue", "--assignment", "engine").stdout
        assert not (service.folder / "remote" / "autograded").exists(), "the worker kept nothing in its course"
    finally:
        service.close()


def test_a_worker_machine_lost_mid_grading_returns_its_submission_to_another_and_it_is_recorded_once(
    namespace, template, tmp_path
):
    """The worker's whole machine stops mid-grading (every process frozen, its link dark: no connection
    is closed, as when it loses power): the broker hands its unacknowledged task to a worker on
    another machine once the visibility timeout (the grading time limit plus a minute) has passed,
    not before; that worker grades it and the coordinator records it once, with full marks."""
    service = Service(template, tmp_path / "run", bind=f"127.0.0.1 {HOST_ADDRESS}")
    frozen = []
    try:
        service.env = {"COURSE_BROKER_URL": f"redis://{HOST_ADDRESS}:{service.redis.port}/0"}
        remote = service.worker("remote", prefix=namespace.enter)
        wait_for(lambda: "ready." in (service.folder / "remote.log").read_text(), "the remote worker to be ready")
        slow = "import time\ntime.sleep(12)\n" + reference_answers(service.course)["squares"]
        put_in_inbound(service.course, "s01", squares=slow)
        service.serve()
        wait_for(lambda: service.states().get("s01") == "running", "the remote worker to start grading s01")
        lost_at = time.monotonic()
        frozen = [psutil.Process(remote.pid), *psutil.Process(remote.pid).children(recursive=True)]
        for process in frozen:
            process.suspend()
        namespace.unplug()
        service.worker("spare")
        visibility = task_time_limit_of(service.course) + 60
        wait_for(lambda: service.all_in("done", "failed"), "s01 to be graded on the spare", visibility + 180, 1)
        waited = time.monotonic() - lost_at
        ((state, problem),) = jobs(service.course).values()
        assert (state, problem) == ("done", None)
        assert scores_of(service.course, ["s01"])["s01"] == FULL
        assert waited >= visibility, f"taken back after {waited:.0f} s, before the visibility timeout"
        assert list(service.gradings().values()) == [1]
        assert SUCCEEDED.search((service.folder / "spare.log").read_text()), "not graded on the spare machine"
        assert re.search(
            r"^done +s01 .*spare@test", run_cli(service.course, "queue", "--assignment", "engine").stdout, re.M
        )
    finally:
        for process in frozen:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
        service.close()


def task_time_limit_of(course) -> int:
    """The course's grading time limit (coursetools.service.settings.task_time_limit), read in its folder."""
    code = "from coursetools.service.settings import task_time_limit; print(task_time_limit())"
    done = subprocess.run([sys.executable, "-c", code], cwd=course, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return int(done.stdout)
