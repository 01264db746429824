"""`./course queue`: every submission the coordinator took, with its phase times (and when its
feedback was released to the student)."""

from __future__ import annotations

import datetime
import time
from pathlib import Path

from coursetools.service.coordinator import job_store


def _at(moment: float | None) -> str:
    return datetime.datetime.fromtimestamp(moment, datetime.UTC).strftime("%H:%M:%S") if moment else "-"


def rows(root: Path, assignment: str | None = None, now: float | None = None) -> list[str]:
    now = now or time.time()
    lines = [
        f"{'state':9} {'student':14} {'submitted':9} {'queued':8} {'started':8} {'finished':8} "
        f"{'recorded':8} {'feedback':8} worker / problem"
    ]
    for job in job_store(root).jobs(assignment=assignment):
        note = job.worker or ""
        if job.state == "running" and job.started:
            note += f" ({now - job.started:.0f} s)"
        if job.problem:
            note += f" {job.problem.splitlines()[0]}"
        lines.append(
            f"{job.state:9} {job.student:14} {_at(job.submitted):9} {_at(job.queued):8} {_at(job.started):8} "
            f"{_at(job.finished):8} {_at(job.recorded):8} {_at(job.released):8} {note.strip()}"
        )
    return lines
