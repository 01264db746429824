"""The service's settings, read from course_config.py (each has a default, so older course
configs keep working), and the course version a worker must share with its coordinator."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import course_config


def broker_url() -> str | None:
    """GRADING_BROKER_URL (e.g. redis://10.0.0.1:6379/0); the environment's COURSE_BROKER_URL wins,
    so one machine can point its worker at a broker without editing the course."""
    return os.environ.get("COURSE_BROKER_URL") or getattr(course_config, "GRADING_BROKER_URL", None)


def task_time_limit() -> int:
    """What one grading may take on a worker: the notebook's limit plus the grading process's margin
    (the same bound the batch grader puts on one student's nbgrader process)."""
    return course_config.NOTEBOOK_TIMEOUT_SECONDS + course_config.GRADING_PROCESS_MARGIN_SECONDS


def max_attempts() -> int:
    """Gradings of one submission that may end in an infrastructure failure before it is marked failed."""
    return int(getattr(course_config, "GRADING_MAX_ATTEMPTS", 3))


def submission_max_bytes() -> int:
    return course_config.SUBMISSION_MAX_MB * 1_000_000


def poll_seconds() -> float:
    return float(getattr(course_config, "SERVE_POLL_SECONDS", 2.0))


def course_version(root: Path | None = None) -> dict[str, str]:
    """What must match between a coordinator and its workers: the code's git commit and a digest
    of the course's settings and assignment sources (a copy of the course has no .git of its own)."""
    root = Path(root or course_config.COURSE_ROOT)
    code = (root / "coursetools").resolve()
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=code, capture_output=True, text=True, timeout=30, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = "unknown"
    digest = hashlib.sha256()
    files = [root / "course_config.py", *sorted(p for p in (root / "source").rglob("*") if p.is_file())]
    for path in files:
        if "__pycache__" in path.parts or ".ipynb_checkpoints" in path.parts:
            continue
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return {"commit": commit, "content": digest.hexdigest()[:16]}


def version_mismatch(mine: dict[str, str], theirs: dict[str, str]) -> str | None:
    """Why a worker at `mine` must not grade for a coordinator at `theirs`, or None."""
    if mine == theirs:
        return None
    if mine.get("commit") != theirs.get("commit"):
        return (
            f"this worker's course is at commit {mine.get('commit', '?')[:12]}, the coordinator's at "
            f"{theirs.get('commit', '?')[:12]}: check out the coordinator's commit here and start the worker again"
        )
    return (
        f"this worker's course_config.py or source/ differ from the coordinator's (digest {mine.get('content')} "
        f"here, {theirs.get('content')} there) at the same commit: copy the coordinator's course settings here"
    )


def queue_name(version: dict[str, str]) -> str:
    """Tasks go to a queue named for the course version, so a worker at another version never takes one."""
    return "grade-" + hashlib.sha256(f"{version['commit']}:{version['content']}".encode()).hexdigest()[:12]
