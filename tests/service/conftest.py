"""The grading service's end-to-end tests share one released engine course (tests/service_course.py),
copied for each coordinator and worker: built once per session, not once per module."""

import pytest

from tests.service_course import released_engine_course


@pytest.fixture(scope="session")
def template(tmp_path_factory):
    return released_engine_course(tmp_path_factory.mktemp("service") / "template")
