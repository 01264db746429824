"""Write a worker's result into the coordinator's course: the graded notebooks into autograded/
and the grades into the gradebook, as nbgrader's autograde would have (SaveAutoGrades' rules:
a grade an instructor gave by hand is kept and flagged for review). Recording the same result
twice writes the same values, so a coordinator restarted mid-recording cannot double anything.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from nbgrader.api import Gradebook
from nbgrader.utils import parse_utc

from coursetools.course.nbgrader_settings import gradebook_url
from coursetools.workflow.exchange_collect import SOURCE_FILE


def record(root: Path, assignment: str, student: str, result: dict) -> None:
    root = Path(root)
    submitted = root / "submitted" / student / assignment
    autograded = root / "autograded" / student / assignment
    staged = autograded.with_name(f".{assignment}.recording")
    shutil.rmtree(staged, ignore_errors=True)
    # the submission's other files (timestamp.txt, submission_secret.txt, data), as nbgrader's autograde copies them
    shutil.copytree(submitted, staged, symlinks=True, ignore=shutil.ignore_patterns(SOURCE_FILE))
    for name, text in result["graded"].items():
        (staged / f"{name}.ipynb").write_text(text)
    timestamp = submitted / "timestamp.txt"
    shutil.rmtree(autograded, ignore_errors=True)
    staged.rename(autograded)
    with Gradebook(gradebook_url(root)) as gb:
        gb.update_or_create_student(student)
        when = parse_utc(timestamp.read_text().strip()) if timestamp.is_file() else None
        if when is not None:
            gb.update_or_create_submission(assignment, student, timestamp=when)
        else:
            gb.update_or_create_submission(assignment, student)
        for entry in result["grades"]:
            grade = gb.find_grade(entry["name"], entry["notebook"], assignment, student)
            grade.auto_score = entry["auto_score"]
            grade.needs_manual_grade = grade.manual_score is not None or entry["needs_manual_grade"]
        for entry in result["comments"]:
            comment = gb.find_comment(entry["name"], entry["notebook"], assignment, student)
            comment.auto_comment = entry["auto_comment"]
        gb.db.commit()
