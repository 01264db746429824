"""The grading service's end-to-end tests share one released engine course (tests/service_course.py),
copied for each coordinator and worker: built once per session, not once per module."""

import os
import shutil

import pytest

from tests.service_course import NetworkNamespace, Service, released_engine_course


@pytest.fixture(scope="session")
def template(tmp_path_factory):
    return released_engine_course(tmp_path_factory.mktemp("service") / "template")


@pytest.fixture
def service(template, tmp_path):
    """A coordinator's course with its broker; its workers and serve are stopped after the test."""
    running = Service(template, tmp_path)
    yield running
    running.close()


@pytest.fixture
def namespace():
    """A worker machine's network, joined to this one by a veth pair; removed whatever happens."""
    if os.geteuid() != 0 or not shutil.which("ip") or not shutil.which("nsenter"):
        pytest.skip("network namespaces need root, iproute2 and nsenter (CI runs these tests as root)")
    machine = NetworkNamespace()
    try:
        yield machine.create()
    finally:
        machine.remove()
