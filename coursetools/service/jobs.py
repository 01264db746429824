"""The coordinator's record of every submission it took: one row per exchange folder (the
timestamped submission), so the same submission is never enqueued twice, with the phase
times PrairieLearn's external grader records (submitted, queued, started, finished, recorded).

It is a SQLite file beside the gradebook, written by the coordinator alone; `./course queue`
reads it."""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    key TEXT PRIMARY KEY,          -- the exchange folder: <student>+<assignment>+<timestamp>+<random>
    assignment TEXT NOT NULL,
    student TEXT NOT NULL,
    state TEXT NOT NULL,           -- collected, sending, queued, running, done, failed, withheld
    submission TEXT,               -- the packed submission until it is graded (coordinator restarts resend it)
    worker TEXT,
    problem TEXT,
    submitted REAL, queued REAL, started REAL, finished REAL, recorded REAL, released REAL
)
"""
# sending: recorded before the task goes to the broker, so a coordinator that dies before it
# records "queued" knows to send it again (the worker drops a second send: celery_app.claim)
STATES = ("collected", "sending", "queued", "running", "done", "failed", "withheld")
OPEN = ("collected", "sending", "queued", "running")


@dataclass
class Job:
    key: str
    assignment: str
    student: str
    state: str
    submission: str | None
    worker: str | None
    problem: str | None
    submitted: float | None
    queued: float | None
    started: float | None
    finished: float | None
    recorded: float | None
    released: float | None


class JobStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        with closing(self._connect()) as db, db:
            db.execute(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=60)

    def add(self, key: str, assignment: str, student: str, submission: str, submitted: float) -> bool:
        """Record a newly collected submission; False if this exact submission was taken before."""
        with closing(self._connect()) as db, db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO jobs (key, assignment, student, state, submission, submitted)"
                " VALUES (?, ?, ?, 'collected', ?, ?)",
                (key, assignment, student, submission, submitted),
            )
            return cursor.rowcount == 1

    def has(self, key: str) -> bool:
        with closing(self._connect()) as db:
            return db.execute("SELECT 1 FROM jobs WHERE key = ?", (key,)).fetchone() is not None

    def counts(self) -> dict[str, int]:
        """How many jobs are in each state."""
        with closing(self._connect()) as db:
            return dict(db.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state"))

    def update(self, key: str, **fields) -> None:
        names = ", ".join(f"{name} = ?" for name in fields)
        with closing(self._connect()) as db, db:
            db.execute(f"UPDATE jobs SET {names} WHERE key = ?", (*fields.values(), key))

    def mark(self, key: str, state: str, **fields) -> None:
        assert state in STATES, state
        self.update(key, state=state, **fields)

    def jobs(self, *states: str, assignment: str | None = None) -> list[Job]:
        query, values = "SELECT * FROM jobs WHERE 1", []
        if states:
            query += f" AND state IN ({', '.join('?' * len(states))})"
            values += states
        if assignment:
            query += " AND assignment = ?"
            values.append(assignment)
        with closing(self._connect()) as db:
            return [Job(*row) for row in db.execute(query + " ORDER BY submitted, key", values)]

    def graded_today(self, assignment: str, student: str, now: float | None = None) -> int:
        """Submissions of this student taken for grading in the last 24 hours (the daily limit counts them)."""
        since = (now or time.time()) - 86400
        with closing(self._connect()) as db:
            (count,) = db.execute(
                "SELECT COUNT(*) FROM jobs WHERE assignment = ? AND student = ? AND submitted >= ?"
                " AND state != 'withheld'",
                (assignment, student, since),
            ).fetchone()
            return count

    def newest_recorded(self, assignment: str, student: str) -> float | None:
        with closing(self._connect()) as db:
            (newest,) = db.execute(
                "SELECT MAX(submitted) FROM jobs WHERE assignment = ? AND student = ? AND state = 'done'",
                (assignment, student),
            ).fetchone()
            return newest
