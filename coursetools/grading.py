"""Grade submissions: one nbgrader process per student, several at a time.

Each student is graded by its own `nbgrader autograde --student` process (sandboxed by
nbgrader_config.py), so one student's failure never stops the others; the same unit
scales out to several machines (README: "Grading on several machines").
"""

from __future__ import annotations

import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import course_config
from coursetools import grading_log
from coursetools.nbgrader_cli import CommandError, nbgrader, step_scores, submit


def grade_students(
    root: Path, assignment: str, students: list[str], workers: int, quiet: bool = False
) -> dict[str, str]:
    """Autograde each student in its own nbgrader process, `workers` at a time.

    One student's failure never stops the others; returns student -> problem.
    """
    failures: dict[str, str] = {}
    start = time.monotonic()
    done = 0
    progress = threading.Lock()

    def grade(student: str) -> None:
        nonlocal done
        t0 = time.monotonic()
        log = grading_log.log_folder(root, assignment) / f"{student}.log"
        try:
            nbgrader(root, "autograde", assignment, "--student", student, "--force", log=log, workers=workers)
            status = "graded"
        except CommandError:
            failures[student] = f"nbgrader could not grade it; see {log}"
            status = "FAILED"
        with progress:
            done += 1
            if not quiet:
                print(
                    f"  [{done}/{len(students)}] {student}: {status} in {time.monotonic() - t0:.1f} s "
                    f"(elapsed {time.monotonic() - start:.0f} s)",
                    flush=True,
                )

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        list(pool.map(grade, students))
    return failures


def grade_in_copy(copy_root: Path, assignment: str, submissions: dict[str, dict]) -> dict[str, list]:
    """Autograde the given student -> {notebook: nb} map inside a scratch course copy,
    each submission with the release's supporting files."""
    for student, nbs in submissions.items():
        shutil.copytree(copy_root / "release" / assignment, copy_root / "submitted" / student / assignment)
        submit(copy_root, assignment, student, nbs)
    grade_students(copy_root, assignment, list(submissions), workers=course_config.GRADING_WORKERS, quiet=True)
    return {student: step_scores(copy_root, assignment, student) for student in submissions}
