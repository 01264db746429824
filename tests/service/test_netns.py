"""Several machines, for real: a worker in its own network namespace (its own loopback, one veth
link to the coordinator's side), with its own copy of the course, reaches the broker by IP address
only and grades a submission the coordinator took from its exchange: no folder in common."""

import os
import shutil
import subprocess

import pytest

from tests.engine_course import run_cli, scores_of
from tests.service_course import Service, jobs, put_in_inbound, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

HOST_ADDRESS, WORKER_ADDRESS = "10.231.7.1", "10.231.7.2"  # a private /24 of the test's own


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


@pytest.fixture
def namespace():
    """A network namespace joined to this one by a veth pair; removed whatever happens."""
    if os.geteuid() != 0 or not shutil.which("ip"):
        pytest.skip("network namespaces need root and iproute2 (CI runs this test as root)")
    name, outside, inside = f"grader{os.getpid()}", f"vg{os.getpid()}h", f"vg{os.getpid()}n"
    try:
        ip("netns", "add", name)
        ip("link", "add", outside, "type", "veth", "peer", "name", inside)
        ip("link", "set", inside, "netns", name)
        ip("addr", "add", f"{HOST_ADDRESS}/24", "dev", outside)
        ip("link", "set", outside, "up")
        ip("netns", "exec", name, "ip", "addr", "add", f"{WORKER_ADDRESS}/24", "dev", inside)
        ip("netns", "exec", name, "ip", "link", "set", inside, "up")
        ip("netns", "exec", name, "ip", "link", "set", "lo", "up")
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=30)
        subprocess.run(["ip", "link", "del", outside], capture_output=True, timeout=30)  # gone with the namespace


def reaches(namespace: str, host: str, port: int) -> bool:
    probe = f"import socket; socket.create_connection(({host!r}, {port}), timeout=3)"
    done = subprocess.run(["ip", "netns", "exec", namespace, "python3", "-c", probe], capture_output=True, timeout=30)
    return done.returncode == 0


def test_a_worker_in_its_own_network_namespace_grades_through_the_broker_by_ip(namespace, template, tmp_path):
    service = Service(template, tmp_path / "run", bind=f"127.0.0.1 {HOST_ADDRESS}")
    try:
        # the worker's machine sees the broker only at its address on the link, not on its own loopback
        assert reaches(namespace, HOST_ADDRESS, service.redis.port)
        assert not reaches(namespace, "127.0.0.1", service.redis.port)
        service.env = {"COURSE_BROKER_URL": f"redis://{HOST_ADDRESS}:{service.redis.port}/0"}
        # nsenter joins only the network namespace: `ip netns exec` also remounts /sys, hiding the
        # cgroup hierarchies a real grading machine has (its kernels' limits would be refused)
        worker = service.worker("remote", prefix=["nsenter", f"--net=/run/netns/{namespace}"])
        in_namespace = os.stat(f"/run/netns/{namespace}").st_ino
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
