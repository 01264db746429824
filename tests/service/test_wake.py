"""A coordinator with a broker is woken by Celery's result store when a task's state is stored
(its Redis backend publishes each one), so it records a result at once instead of at its next
poll; and after the broker restarts it subscribes again. Against a real redis-server."""

import threading

import pytest

from coursetools.service.coordinator import CeleryQueue
from tests.service_course import Redis

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_a_stored_task_state_wakes_the_coordinator_also_after_a_broker_restart(tmp_path):
    redis = Redis(tmp_path / "redis").start()
    try:
        wake = threading.Event()
        backend = CeleryQueue(redis.url, {"commit": "test", "content": "test"}, wake)

        def store_until_woken(task: str) -> bool:
            """Store a task's result until the listener (subscribing in its own thread) hears one: a
            new task each time, since Celery's store leaves a task's SUCCESS as it is (no second publish)."""
            wake.clear()
            for attempt in range(60):
                backend.app.backend.store_result(f"{task}-{attempt}", {"key": task}, "SUCCESS")
                if wake.wait(1):
                    return True
            return False

        assert store_until_woken("first"), "a stored result did not wake the coordinator"
        redis.kill()
        redis.start()
        assert store_until_woken("after-restart"), "no wake-up after the broker restarted"
    finally:
        redis.kill()
