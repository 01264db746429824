"""Feedback for a class, student by student: one bad notebook costs only its student's feedback.

nbgrader's generate_feedback goes on after a student whose notebook fails, but it stops the
whole class on some errors (a cell's metadata schema, the database) and then exits non-zero
for everyone. The class is generated in one run (one start-up of nbgrader); if a student's
feedback is missing afterwards, that student is tried again alone, so a failure that stopped
the run stops no one else. Old feedback is removed first, so what exists afterwards is
exactly what this run wrote.

The grading service (coursetools/service/coordinator.py) makes the feedback of the students
whose results are waiting the same way: `generate(..., students=[...])` and `release(...)` select
them in one nbgrader run each (nbgrader's student glob with its student_id_exclude list), and
each student that run left without feedback is tried alone.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from coursetools.course.assignments import notebooks
from coursetools.preprocessors.sanitize_outputs import plain_text
from coursetools.workflow.grading_log import log_folder
from coursetools.workflow.nbgrader_runner import nbgrader
from coursetools.workflow.submissions import students_in

# The last line of a Python traceback in nbgrader's log: "SomeError: what happened".
ERROR_LINE = re.compile(r"^\s*(\w+(?:\.\w+)*(?:Error|Exception)\b.*)$", re.MULTILINE)


@dataclass
class FeedbackRun:
    written: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # student -> why, in one line


def has_feedback(root: Path, assignment: str, student: str) -> bool:
    folder = Path(root) / "feedback" / student / assignment
    return all((folder / f"{name}.html").is_file() for name in notebooks(assignment))


def selecting(students: list[str], others: Iterable[str]) -> list[str] | None:
    """nbgrader options that select exactly `students` when the course also has `others` (nbgrader's
    student option is one glob, its exclude list a comma-separated one), or None if they cannot."""
    students, others = sorted(set(students)), sorted(set(others) - set(students))
    if len(students) == 1:
        return ["--student", students[0]]
    if any("," in name for name in others):  # nbgrader's exclude list could not name it
        return None
    return ["--student", "*", f"--CourseDirectory.student_id_exclude={','.join(others)}"]


def generate(
    root: Path,
    assignment: str,
    students: list[str] | None = None,
    options: Sequence[str] = (),
    known: Iterable[str] = (),
) -> FeedbackRun:
    """The feedback of `students` (default: every graded one) in one nbgrader run, with
    generate_feedback's extra `options`; `known` are other students that may appear in autograded/
    while it runs (they are left out of it)."""
    root = Path(root)
    everyone = students_in(root / "autograded", assignment)
    chosen = sorted(set(students)) if students is not None else everyone
    for student in chosen:
        shutil.rmtree(root / "feedback" / student / assignment, ignore_errors=True)
    select = [] if students is None else selecting(chosen, [*everyone, *known])
    if select is not None and chosen:
        nbgrader(root, "generate_feedback", assignment, *select, "--force", *options, check=False)
    run = FeedbackRun()
    for student in chosen:
        if not has_feedback(root, assignment, student):
            log = log_folder(root, assignment) / f"{student}.feedback.log"
            alone = nbgrader(
                root,
                "generate_feedback",
                assignment,
                "--student",
                student,
                "--force",
                *options,
                check=False,
                log=log,
            )
            if not has_feedback(root, assignment, student):
                run.failed[student] = f"{failure(alone)} (details in {log.relative_to(root)})"
                continue
        run.written.append(student)
    return run


def release(root: Path, assignment: str, students: list[str], known: Iterable[str] = ()) -> FeedbackRun:
    """Release the feedback of `students` through the exchange in one nbgrader run; if it fails
    (release_feedback stops at the first student it cannot release), each student alone."""
    root = Path(root)
    chosen = sorted(set(students))
    run = FeedbackRun()
    if not chosen:
        return run
    select = selecting(chosen, [*students_in(root / "feedback", assignment), *known])
    if select is not None and nbgrader(root, "release_feedback", assignment, *select, check=False).returncode == 0:
        run.written = chosen
        return run
    for student in chosen:
        alone = nbgrader(root, "release_feedback", assignment, "--student", student, check=False)
        if alone.returncode == 0:
            run.written.append(student)
        else:
            run.failed[student] = failure(alone)
    return run


def failure(run: subprocess.CompletedProcess) -> str:
    """Why an nbgrader run failed, in one line: the last error its log names."""
    errors = ERROR_LINE.findall(run.stdout)
    return " ".join(plain_text(errors[-1], 200).split()) if errors else f"nbgrader exited with status {run.returncode}"
