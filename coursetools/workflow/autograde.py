"""Grade submissions: one nbgrader process per student, several at a time.

Each student is graded by its own `nbgrader autograde --student` process (sandboxed by
nbgrader_config.py), so one student's failure never stops the others; the same unit
scales out to several machines (README: "Grading on submit and on many machines"). That process
has limits of its own, like the kernels it starts (limits.py): GRADING_PROCESS_MEMORY_MB
and a wall-clock limit of NOTEBOOK_TIMEOUT_SECONDS + GRADING_PROCESS_MARGIN_SECONDS, so
whatever slips past the grader's own bounds fails that student only, with the reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import course_config
from coursetools.engine.kernel_limits import SAMPLES_ONLY_ENV, KernelLimits, unenforced_note
from coursetools.workflow import grading_log
from coursetools.workflow.scores import step_scores
from coursetools.workflow.submissions import forget_submission, has_graded_submission, submit


def grading_time_limit() -> int:
    return course_config.NOTEBOOK_TIMEOUT_SECONDS + course_config.GRADING_PROCESS_MARGIN_SECONDS


def autograde_one(
    root: Path, assignment: str, student: str, workers: int, log: Path, own_notebooks: bool = False
) -> str | None:
    """Run `nbgrader autograde` for one student under the grading process's limits; returns
    why it failed, or None. Its output goes to `log`. `own_notebooks`: the course's own (the
    reference, the release, the sample class), graded even where REQUIRE_KERNEL_LIMITS would
    refuse students (the logs still say which limits were off)."""
    limits = KernelLimits(
        memory_mb=course_config.GRADING_PROCESS_MEMORY_MB,
        max_tasks=course_config.KERNEL_MAX_TASKS,
        max_file_mb=course_config.KERNEL_MAX_FILE_MB,
        cpu_seconds=2 * grading_time_limit(),  # never below its kernels' own CPU limit
        cpu_shares=course_config.KERNEL_CPU_SHARES,
    )
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env["COURSETOOLS_WORKERS"] = str(workers)  # kernels share the cores with the other workers
    if own_notebooks:
        env[SAMPLES_ONLY_ENV] = "1"
    command = [sys.executable, "-m", "nbgrader", "autograde", assignment, "--student", student, "--force"]
    seconds = grading_time_limit()
    graded_before = has_graded_submission(root, assignment, student)
    try:
        done = subprocess.run(
            limits.wrap(command),
            cwd=root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            timeout=seconds,
        )
        output, code = done.stdout, done.returncode
    except subprocess.TimeoutExpired as expired:
        output, code = expired.stdout or "", None
        if isinstance(output, bytes):
            output = output.decode(errors="replace")
    finally:
        out_of_memory = limits.memory_exceeded()
        limits.remove()  # its kernels too, if it was stopped
    log.parent.mkdir(parents=True, exist_ok=True)
    note = unenforced_note()  # first, where nobody reading the log can miss it
    log.write_text(f"WARNING: {note}\n{output}" if note else output)
    if (code != 0 or out_of_memory) and not graded_before:
        # A regrade that stops keeps the earlier grading's record (and any grades by hand).
        forget_submission(root, assignment, student)
    if code is None:
        return (
            f"grading took longer than its limit of {seconds} s (NOTEBOOK_TIMEOUT_SECONDS + "
            f"GRADING_PROCESS_MARGIN_SECONDS) and was stopped; see {log}"
        )
    if out_of_memory:
        return (
            f"the grading process used more than GRADING_PROCESS_MEMORY_MB "
            f"({course_config.GRADING_PROCESS_MEMORY_MB} MB) and was stopped; see {log}"
        )
    if code != 0:
        return f"nbgrader could not grade it (exit {code}); see {log}"
    return None


def grade_students(
    root: Path, assignment: str, students: list[str], workers: int, quiet: bool = False, own_notebooks: bool = False
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
        problem = autograde_one(root, assignment, student, workers, log, own_notebooks)
        if problem:
            failures[student] = problem
        status = "FAILED" if problem else "graded"
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
    each submission with the release's supporting files (the course's own notebooks: see
    autograde_one's `own_notebooks`)."""
    for student, nbs in submissions.items():
        shutil.copytree(copy_root / "release" / assignment, copy_root / "submitted" / student / assignment)
        submit(copy_root, assignment, student, nbs)
    grade_students(
        copy_root, assignment, list(submissions), workers=course_config.GRADING_WORKERS, quiet=True, own_notebooks=True
    )
    return {student: step_scores(copy_root, assignment, student) for student in submissions}
