"""Feedback for a class, student by student: one bad notebook costs only its student's feedback.

nbgrader's generate_feedback goes on after a student whose notebook fails, but it stops the
whole class on some errors (a cell's metadata schema, the database) and then exits non-zero
for everyone. The class is generated in one run (one start-up of nbgrader); if a student's
feedback is missing afterwards, that student is tried again alone, so a failure that stopped
the run stops no one else. Old feedback is removed first, so what exists afterwards is
exactly what this run wrote.
"""

from __future__ import annotations

import re
import shutil
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


def generate(root: Path, assignment: str) -> FeedbackRun:
    root = Path(root)
    students = students_in(root / "autograded", assignment)
    for student in students:
        shutil.rmtree(root / "feedback" / student / assignment, ignore_errors=True)
    nbgrader(root, "generate_feedback", assignment, "--force", check=False)
    run = FeedbackRun()
    for student in students:
        if not has_feedback(root, assignment, student):
            log = log_folder(root, assignment) / f"{student}.feedback.log"
            alone = nbgrader(
                root, "generate_feedback", assignment, "--student", student, "--force", check=False, log=log
            )
            if not has_feedback(root, assignment, student):
                errors = ERROR_LINE.findall(alone.stdout)
                why = (
                    " ".join(plain_text(errors[-1], 200).split())
                    if errors
                    else f"nbgrader exited with status {alone.returncode}"
                )
                run.failed[student] = f"{why} (details in {log.relative_to(root)})"
                continue
        run.written.append(student)
    return run
