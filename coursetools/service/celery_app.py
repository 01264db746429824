"""The Celery application: one task, `coursetools.grade`, is one student's submission of one assignment.

Redis is the broker and the result store (Debian's redis-server, append-only file on: a queued
submission survives a broker restart). A task is acknowledged only when it has finished
(acks_late) and requeued if the process grading it dies (reject_on_worker_lost); each worker
process holds one task at a time (prefetch 1), so a long grading never holds others back.
Only infrastructure failures are tried again, and at most GRADING_MAX_ATTEMPTS times in all,
counted in the broker so a submission that kills its grading process also ends: a student's
own fault is a graded result of the grading, never a retry.

A submission's task id is derived from its exchange folder, and each time the coordinator sends
it the message carries a fresh `sent` mark. A coordinator that died between sending and
recording the send sends it again on restart; the first message of a task id that starts
claims it in the broker (SET NX), and a later message of another send is dropped before any
grading or state update (celery's Ignore), so the result stays the first one's. The same
message delivered again (a worker died, a retry) carries the same mark and grades.
"""

from __future__ import annotations

import json

from celery import Celery
from celery.exceptions import Ignore

from coursetools.service import grading
from coursetools.service.settings import max_attempts, task_time_limit

TASK = "coursetools.grade"
VERSION_KEY = "coursetools:coordinator-version"
ATTEMPTS_KEY = "coursetools:attempts:{}"
CLAIM_KEY = "coursetools:claimed-by-send:{}"
RETRY_SECONDS = 2
RESULT_DAYS = 14  # results wait this long for a stopped coordinator to come back


def make_app(url: str) -> Celery:
    app = Celery("coursetools", broker=url, backend=url)
    limit = task_time_limit()
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_soft_time_limit=limit,
        task_time_limit=limit + 30,
        # a message a dead worker machine held comes back after this, longer than any grading; every
        # worker looks for such messages every 10 s (kombu's default is every 100 s)
        broker_transport_options={"visibility_timeout": limit + 60, "unacked_restore_throttle": 1},
        result_backend_transport_options={"visibility_timeout": limit + 60},
        result_expires=RESULT_DAYS * 86400,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        worker_send_task_events=False,
    )

    @app.task(bind=True, name=TASK, max_retries=None)
    def grade(self, job: dict) -> dict:
        if not claim(self, job.get("sent")):
            raise Ignore()  # another send of this submission is (or was) graded: no second grading
        # what track_started would record, after the claim: a dropped duplicate must not overwrite a result
        self.update_state(state="STARTED", meta={"hostname": self.request.hostname})
        attempts = attempt(self)
        if attempts > max_attempts():
            return {
                "key": job["key"],
                "failed": f"the grading process died {attempts - 1} times on this submission "
                "(GRADING_MAX_ATTEMPTS); see the workers' logs",
            }
        try:
            return grading.grade(job, workers=self.app.conf.worker_concurrency or 1, worker=self.request.hostname)
        except grading.GradingFailed as failure:
            if attempts < max_attempts():
                raise self.retry(countdown=RETRY_SECONDS) from None
            return {"key": job["key"], "failed": f"{failure} (after {attempts} attempts)"}

    return app


def attempt(task) -> int:
    """Count this start of the task, in the broker: retries and redeliveries after a crash alike."""
    client = task.backend.client
    key = ATTEMPTS_KEY.format(task.request.id)
    count = client.incr(key)
    client.expire(key, RESULT_DAYS * 86400)
    return int(count)


def claim(task, sent: str | None) -> bool:
    """Whether this send of the task may grade: the first send to start claims the task id."""
    if sent is None:  # a message from before sends were marked
        return True
    client = task.backend.client
    key = CLAIM_KEY.format(task.request.id)
    if client.set(key, sent, nx=True, ex=RESULT_DAYS * 86400):
        return True
    owner = client.get(key)
    return owner is not None and owner.decode() == sent


def announce(app: Celery, version: dict) -> None:
    app.backend.client.set(VERSION_KEY, json.dumps(version))


def announced(app: Celery) -> dict | None:
    value = app.backend.client.get(VERSION_KEY)
    return json.loads(value) if value else None
