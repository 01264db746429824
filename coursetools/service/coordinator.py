"""`./course serve`: grade each submission as it arrives.

Each round it collects every assignment's latest submissions from the exchange's inbound
folder through the hardened collect (workflow/exchange_collect.py), records each new
timestamped submission once in the job store (jobs.py; its key is the exchange folder, so the
same submission is never taken twice, even across restarts), hands it to the grading backend,
records finished results in the gradebook (recording.py: the coordinator alone writes it) and
releases the student's feedback through the exchange. Everything it needs to resume is in the
job store, the collected folders and the broker, so a coordinator killed at any point and
started again finishes what was open and takes nothing twice.
"""

from __future__ import annotations

import datetime
import os
import queue
import signal
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import course_config
from coursetools.errors import CommandError
from coursetools.service import grading, payload
from coursetools.service.jobs import OPEN, JobStore
from coursetools.service.recording import record
from coursetools.service.settings import (
    broker_url,
    course_version,
    max_attempts,
    poll_seconds,
    queue_name,
    submission_max_bytes,
)
from coursetools.workflow import exchange_collect, feedback_runs
from coursetools.workflow.exchange_collect import SOURCE_FILE
from coursetools.workflow.safe_copy import TIMESTAMP_FORMAT

JOBS_FILE = "service.db"
CRASH_AFTER_SEND_HOOK = "COURSETOOLS_TEST_CRASH_AFTER_SEND"  # tests only: die between sending and recording it
WATCH_SECONDS = 0.05  # how often a waiting coordinator looks at the inbound folder's change time
NAMESPACE = uuid.UUID("6f1d2c1e-2f0b-4c55-9a55-3f3f1b8f9e21")  # task ids derived from submissions


def job_store(root: Path) -> JobStore:
    return JobStore(Path(root) / JOBS_FILE)


def task_id(key: str) -> str:
    return str(uuid.uuid5(NAMESPACE, key))


class LocalPool:
    """Without a broker: the coordinator's own pool of GRADING_WORKERS grades, in this machine's sandbox,
    with the same bound on attempts as the Celery task (GRADING_MAX_ATTEMPTS)."""

    def __init__(self, root: Path, workers: int, wake: threading.Event):
        self.root, self.workers, self.wake = root, workers, wake
        self.pool = ThreadPoolExecutor(max_workers=max(1, workers))
        self.running: dict[str, tuple[dict, int, Future]] = {}  # key -> (job, attempt, its grading)

    def send(self, job: dict, attempt: int = 1) -> None:
        future = self.pool.submit(grading.grade, job, self.root, self.workers)
        self.running[job["key"]] = (job, attempt, future)
        future.add_done_callback(lambda _: self.wake.set())  # the coordinator records it now, not at its next poll

    def status(self, key: str) -> tuple[str, dict | str | None]:
        if key not in self.running:
            return "lost", None  # sent before this coordinator started: send again
        job, attempt, future = self.running[key]
        if not future.done():  # waiting for one of the pool's threads is queued, not running
            return ("running", {"hostname": "local"}) if future.running() else ("queued", None)
        del self.running[key]
        error = future.exception()
        if error is None:
            return "done", future.result()
        if isinstance(error, grading.GradingFailed) and attempt < max_attempts():
            self.send(job, attempt + 1)
            return "running", {"hostname": "local"}
        return "failed", f"{error} (after {attempt} attempts)"

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


class CeleryQueue:
    """With GRADING_BROKER_URL: tasks on the broker, graded by `./course worker` anywhere."""

    def __init__(self, url: str, version: dict, wake: threading.Event):
        from coursetools.service.celery_app import TASK, announce, make_app

        self.app, self.task = make_app(url), TASK
        self.queue = queue_name(version)
        announce(self.app, version)
        threading.Thread(target=self.listen, args=(wake,), name="results", daemon=True).start()

    def listen(self, wake: threading.Event) -> None:
        """Wake the coordinator whenever a task's state is stored: Celery's Redis result store
        publishes each one on the task's key. Only a wake-up: the state itself is read by status(),
        and if the subscription is down the coordinator still polls."""
        prefix = self.app.backend.task_keyprefix  # celery-task-meta-
        prefix = prefix.decode() if isinstance(prefix, bytes) else prefix
        while True:
            try:
                listener = self.app.backend.client.pubsub(ignore_subscribe_messages=True)
                listener.psubscribe(f"{prefix}*")
                for _ in listener.listen():
                    wake.set()
            except Exception:  # the broker restarting: subscribe again once it is back
                time.sleep(1)

    def send(self, job: dict) -> None:
        self.app.send_task(self.task, args=[job], task_id=task_id(job["key"]), queue=self.queue)

    def status(self, key: str) -> tuple[str, dict | str | None]:
        result = self.app.AsyncResult(task_id(key))
        state = result.state
        if state == "SUCCESS":
            value = result.result
            return ("failed", value["failed"]) if "failed" in value else ("done", value)
        if state == "FAILURE":
            return "failed", f"{type(result.result).__name__}: {result.result}"
        if state in ("STARTED", "RETRY"):
            return "running", result.info if isinstance(result.info, dict) else {}
        return "queued", None  # PENDING: in the queue (the broker keeps it)

    def close(self) -> None:
        pass


FEEDBACK_BEFORE_DUE = ("all", "visible", "none")


def on_submit_policy(assignment: str) -> dict:
    """ASSIGNMENTS[<id>]["on_submit"]: due (ISO date), feedback_before_due ("all": everything;
    "visible": the steps without hidden tests only, withhold_hidden_steps.py; "none": nothing
    until the instructor releases it), daily_limit (graded submissions per student per day; None: no limit)."""
    policy = {"due": None, "feedback_before_due": "all", "daily_limit": None}
    policy.update(course_config.ASSIGNMENTS[assignment].get("on_submit", {}))
    if policy["feedback_before_due"] not in FEEDBACK_BEFORE_DUE:
        raise CommandError(
            f"course_config.py: ASSIGNMENTS[{assignment!r}]['on_submit']['feedback_before_due'] is "
            f"{policy['feedback_before_due']!r}; use one of {', '.join(map(repr, FEEDBACK_BEFORE_DUE))}"
        )
    return policy


def feedback_options(policy: dict, now: float) -> list[str] | None:
    """nbgrader generate_feedback's options for on-submit feedback now, or None: none to release yet."""
    if not before_due(policy, now) or policy["feedback_before_due"] == "all":
        return []
    if policy["feedback_before_due"] == "visible":
        return ["--WithholdHiddenSteps.enabled=True"]
    return None


def before_due(policy: dict, now: float) -> bool:
    if not policy["due"]:
        return False
    due = datetime.datetime.fromisoformat(policy["due"])
    if due.tzinfo is None:
        due = due.replace(tzinfo=datetime.UTC)
    return now < due.timestamp()


class Coordinator:
    def __init__(self, root: Path, assignments: list[str], workers: int, say=print):
        self.root, self.assignments, self.say = Path(root), assignments, say
        self.store = job_store(self.root)
        url = broker_url()
        self.uses_broker = bool(url)
        # set by the backends when a grading ends or changes state, so a result is recorded at once
        self.wake = threading.Event()
        self.backend = (
            CeleryQueue(url, course_version(self.root), self.wake) if url else LocalPool(self.root, workers, self.wake)
        )
        self.inbound_seen: tuple = ()
        self.writing: list[str] = []  # inbound folders `nbgrader submit` is still writing: watched too
        self.said_writing: set[str] = set()
        self.shown = ""
        self.inbound = Path(course_config.EXCHANGE_ROOT) / course_config.COURSE_ID / "inbound"
        # feedback is generated and released beside the rounds by one thread (its nbgrader runs never
        # overlap): a slow one holds up no recording, and every result that came in meanwhile is
        # made and released together in the next batch (feedback_runs: one nbgrader run each)
        self.waiting: queue.Queue = queue.Queue()
        for job in self.store.jobs("done"):  # recorded by a coordinator that stopped before releasing it
            if job.assignment in assignments and job.recorded and not job.released and not job.problem:
                self.waiting.put(job)
        self.feedback = threading.Thread(target=self.feedback_loop, name="feedback", daemon=True)
        self.feedback.start()

    def serve(self, rounds: int | None = None) -> None:
        done = 0
        while rounds is None or done < rounds:
            wait = self.wait_for_work
            try:
                self.round()
            except OSError as error:  # the broker restarting, the exchange briefly away: try again
                self.say(f"  waiting: {type(error).__name__}: {error}")
                wait = time.sleep
            except Exception as error:
                if type(error).__module__.split(".")[0] not in ("redis", "kombu", "celery"):
                    raise
                self.say(f"  waiting for the broker: {type(error).__name__}: {error}")
                wait = time.sleep
            done += 1
            if rounds is None or done < rounds:
                wait(poll_seconds())  # after a failed round, the full poll: no retrying in a tight loop
        self.waiting.put(None)  # a bounded run ends with its feedback out
        self.feedback.join()

    def wait_for_work(self, seconds: float) -> None:
        """Sleep until a backend reports a grading's state, the exchange's inbound folder changes
        (a submission arrives: its folder is made in it) or one that was still being written does
        (its last file written), or `seconds` pass (the poll, whatever the file system reports)."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if self.wake.wait(min(left, WATCH_SECONDS)) or self.inbound_state() != self.inbound_seen:
                return

    def inbound_state(self) -> tuple:
        return (_changed(self.inbound), *(_changed(self.inbound / name) for name in self.writing))

    def round(self) -> None:
        self.wake.clear()
        # the inbound folder seen before collecting: a folder made meanwhile wakes the next wait
        inbound = _changed(self.inbound)
        self.writing = []
        for assignment in self.assignments:
            self.writing += self.take_new(assignment)
        self.inbound_seen = (inbound, *self.inbound_state()[1:])
        self.send_collected()
        self.follow()

    def take_new(self, assignment: str) -> list[str]:
        """Take the assignment's new submissions; returns the folders still being written."""
        submitted = self.root / "submitted"
        result = exchange_collect.collect(self.inbound, submitted, assignment, submission_max_bytes())
        for who, why in result.refused.items():
            self.say(f"  not collected: {who}: {why}")
        for name in result.waiting:  # exchange_collect takes it once `nbgrader submit` has written it all
            if name not in self.said_writing:
                self.say(f"  waiting for nbgrader submit to finish writing {name}")
                self.said_writing.add(name)
        policy = on_submit_policy(assignment)
        # the unchanged too: a coordinator stopped after collecting resumes with what it collected
        for student in sorted({*result.collected, *result.unchanged}):
            folder = submitted / student / assignment
            key = (folder / SOURCE_FILE).read_text().strip()
            if self.store.has(key):  # taken in an earlier round: not packed again
                continue
            when = _submitted_at(folder)
            if self.store.add(key, assignment, student, payload.pack(folder, submission_max_bytes()), when):
                limit = policy["daily_limit"]
                if limit is not None and self.store.graded_today(assignment, student, when) > limit:
                    self.store.mark(
                        key,
                        "withheld",
                        submission=None,
                        problem=f"over the limit of {limit} graded submission(s) a day",
                    )
                    self.say(f"  {student}: {assignment} not graded now: over the daily limit of {limit}")
                    continue
                self.say(f"  {student}: took {key}")
        return result.waiting

    def send_collected(self) -> None:
        # "sending" ones were being sent when a coordinator stopped: maybe sent, maybe not; sent
        # again, a duplicate message of the same task id is dropped by the worker (celery_app.claim)
        for job in self.store.jobs("collected", "sending"):
            message = {
                "key": job.key,
                "assignment": job.assignment,
                "student": job.student,
                "submission": job.submission,
                "sent": uuid.uuid4().hex,
            }
            self.store.mark(job.key, "sending")
            self.backend.send(message)
            if os.environ.get(CRASH_AFTER_SEND_HOOK):  # the tests' kill in the window
                os.kill(os.getpid(), signal.SIGKILL)
            self.store.mark(job.key, "queued", queued=time.time())

    def follow(self) -> None:
        for job in self.store.jobs("queued", "running"):
            state, info = self.backend.status(job.key)
            if state == "lost":
                self.store.mark(job.key, "collected")
            elif state == "running" and job.state != "running":
                worker = (info or {}).get("hostname", "?")
                self.store.mark(job.key, "running", started=time.time(), worker=worker)
                self.say(f"  {job.student}: grading on {worker}")
            elif state == "failed":
                self.store.mark(job.key, "failed", finished=time.time(), problem=str(info))
                self.say(f"  {job.student}: FAILED: {str(info).splitlines()[0]}")
            elif state == "done":
                try:
                    self.finish(job, info)
                except Exception as error:  # e.g. the gradebook's server away: stays open, tried next round
                    self.say(f"  {job.student}: not recorded yet: {type(error).__name__}: {error}")
        self.progress()

    def finish(self, job, result: dict) -> None:
        newest = self.store.newest_recorded(job.assignment, job.student)
        fields = {
            "worker": result["worker"],
            "started": result["started"],
            "finished": result["finished"],
            "submission": None,
        }
        if newest is not None and newest > (job.submitted or 0):
            self.store.mark(job.key, "done", problem="superseded by a later submission", **fields)
            return
        record(self.root, job.assignment, job.student, result)
        self.store.mark(job.key, "done", recorded=time.time(), **fields)
        self.say(f"  {job.student}: graded on {result['worker']} and recorded")
        self.waiting.put(job)

    def feedback_loop(self) -> None:
        """The feedback thread: takes every recorded job waiting for feedback, as one batch per assignment."""
        while True:
            batch, last = [self.waiting.get()], False
            while True:
                try:
                    batch.append(self.waiting.get_nowait())
                except queue.Empty:
                    break
            if None in batch:
                batch, last = [job for job in batch if job is not None], True
            for assignment in sorted({job.assignment for job in batch}):
                jobs = [job for job in batch if job.assignment == assignment]
                try:
                    self.release_feedback(assignment, jobs)
                except Exception as error:  # said; tried again when the coordinator restarts
                    students = ", ".join(sorted({job.student for job in jobs}))
                    self.say(f"  {students}: feedback not released: {type(error).__name__}: {error}")
            if last:
                return

    def release_feedback(self, assignment: str, jobs: list) -> None:
        """Generate and release the feedback of these jobs' students, each nbgrader step in one run for
        all of them (feedback_runs: a student that run fails is tried alone, so no one blocks the others)."""
        options = feedback_options(on_submit_policy(assignment), time.time())
        if options is None:
            return
        students = sorted({job.student for job in jobs})
        known = {job.student for job in self.store.jobs(assignment=assignment)}  # may appear in autograded/ meanwhile
        made = feedback_runs.generate(self.root, assignment, students, options, known)
        sent = feedback_runs.release(self.root, assignment, made.written, known)
        now = time.time()
        for job in jobs:
            if job.student in sent.written:
                self.store.update(job.key, released=now)
        if sent.written:
            self.say(f"  {', '.join(sent.written)}: feedback released")
        for student, why in {**made.failed, **sent.failed}.items():
            self.say(f"  {student}: feedback not released: {why}")

    def progress(self) -> None:
        counts = self.store.counts()
        shown = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        if shown != self.shown and any(counts.get(s) for s in OPEN):
            self.say(f"  [{time.strftime('%H:%M:%S')}] {shown}")
        self.shown = shown


def _changed(folder: Path) -> tuple[int, int] | None:
    try:
        info = folder.stat()
    except OSError:
        return None
    return info.st_ino, info.st_mtime_ns


def _submitted_at(folder: Path) -> float:
    stamp = (folder / "timestamp.txt").read_text().strip()
    moment = datetime.datetime.strptime(stamp, TIMESTAMP_FORMAT).replace(tzinfo=datetime.UTC)
    return moment.timestamp()
