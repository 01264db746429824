"""`./course worker`: a grading machine. It needs the course at the coordinator's commit, its
virtualenv and the data, and no folder in common with the coordinator; it takes tasks only from
the queue of its own course version and refuses to start when the coordinator's differs."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time

import course_config
from coursetools.course import data
from coursetools.errors import CommandError
from coursetools.service import grading
from coursetools.service.celery_app import announced, make_app
from coursetools.service.settings import broker_url, course_version, queue_name, version_mismatch


def run(concurrency: int, assignment: str, name: str | None = None) -> None:
    url = broker_url()
    if not url:
        raise CommandError(
            "No broker: set GRADING_BROKER_URL in course_config.py (or COURSE_BROKER_URL here), "
            "e.g. redis://<the coordinator's address>:6379/0"
        )
    data.provision()
    version = course_version()
    app = make_app(url)
    theirs = announced(app)
    if theirs and (why := version_mismatch(version, theirs)):
        raise CommandError(f"This worker is refused: {why}.")
    grading.template(course_config.COURSE_ROOT, assignment)  # before any task: the others' come on first use
    node = name or f"grader-{os.getpid()}@{socket.gethostname()}"
    threading.Thread(target=_watch_coordinator, args=(app, version), daemon=True).start()
    print(
        f"Worker {node}: course {version['commit'][:12]}/{version['content']}, queue {queue_name(version)}", flush=True
    )
    app.worker_main(
        [
            "worker",
            "--queues",
            queue_name(version),
            "--concurrency",
            str(concurrency),
            "--hostname",
            node,
            "--loglevel",
            "INFO",
            "--pool",
            "prefork",
            "--without-gossip",
            "--without-mingle",
        ]
    )


WATCH_SECONDS = 5


def _watch_coordinator(app, version: dict) -> None:
    """A coordinator started later at another version sends its tasks to another queue: this
    worker would wait for nothing. It says why and stops (a warm shutdown: a grading under way ends)."""
    while True:
        time.sleep(WATCH_SECONDS)
        try:
            theirs = announced(app)
        except Exception:  # the broker restarting: look again later
            continue
        if theirs and (why := version_mismatch(version, theirs)):
            print(f"error: This worker is refused: {why}.", flush=True)
            os.kill(os.getpid(), signal.SIGTERM)
            return
