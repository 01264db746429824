"""Grade one submission on a worker: in a scratch copy of the worker's own course, by the same
sandboxed `nbgrader autograde --student` process the batch grader runs (workflow/autograde.py).

Nothing here reads or writes the coordinator's folders: the job carries the submission, the
result carries the graded notebooks and the grades nbgrader recorded in the scratch gradebook.
"""

from __future__ import annotations

import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook

import course_config
from coursetools.course.assignments import notebooks
from coursetools.service import payload
from coursetools.service.settings import course_version, submission_max_bytes
from coursetools.workflow.autograde import autograde_one
from coursetools.workflow.course_copy import make_course_copy
from coursetools.workflow.nbgrader_runner import nbgrader

LOG_TAIL_LINES = 20


class GradingFailed(Exception):
    """The grading process itself failed (not the student's code, whose faults are graded results)."""


TEMPLATES = ".grading-templates"  # in the worker's course: one generated course per version and assignment
_templates: dict[str, Path] = {}
_templates_lock = threading.Lock()


def _sqlite_url(course: Path) -> str:
    return f"sqlite:///{course / 'gradebook.db'}?timeout=120"


def template(root: Path, assignment: str) -> Path:
    """A scratch course with the assignment generated, made once per course version (kept in the
    worker's course, so a restarted worker reuses it): each grading copies it instead of running
    generate_assignment again. Its gradebook is always a local SQLite file, whatever GRADEBOOK_URL
    says: the coordinator alone writes the course's gradebook."""
    root = Path(root).resolve()
    with _templates_lock:
        if assignment not in _templates:
            version = course_version(root)
            folder = root / TEMPLATES / f"{version['commit'][:12]}-{version['content']}" / assignment
            if not (folder / "gradebook.db").is_file():
                folder.parent.mkdir(parents=True, exist_ok=True)
                building = Path(tempfile.mkdtemp(prefix=f".{assignment}-", dir=folder.parent))
                make_course_copy(building / "course", root)
                with open(building / "course" / "course_config.py", "a") as config:
                    config.write("\nGRADEBOOK_URL = None  # a worker's scratch gradebook (coursetools/service)\n")
                nbgrader(building / "course", "generate_assignment", assignment, "--force")
                try:
                    (building / "course").rename(folder)
                except OSError:  # another process of this worker made it first
                    pass
                shutil.rmtree(building, ignore_errors=True)
            _templates[assignment] = folder
        return _templates[assignment]


def grade(job: dict, root: Path | None = None, workers: int = 1, worker: str | None = None) -> dict:
    """Grade `job` (see coordinator.job_message); returns the result the coordinator records."""
    root = Path(root or course_config.COURSE_ROOT)
    assignment, student = job["assignment"], job["student"]
    names = notebooks(assignment)
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="grading-") as tmp:
        course = Path(tmp) / "course"
        shutil.copytree(template(root, assignment), course, symlinks=True)
        folder = course / "submitted" / student / assignment
        shutil.copytree(course / "release" / assignment, folder)  # the release's supporting files
        payload.unpack(job["submission"], folder, submission_max_bytes())
        log = course / "grading.log"
        problem = autograde_one(course, assignment, student, workers, log)
        if problem:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:])
            raise GradingFailed(f"{problem.split('; see ')[0]}\n{tail}")
        graded = {name: (course / "autograded" / student / assignment / f"{name}.ipynb").read_text() for name in names}
        grades, comments = _recorded(course, assignment, student)
    return {
        "key": job["key"],
        "graded": graded,
        "grades": grades,
        "comments": comments,
        "worker": worker or socket.gethostname(),
        "started": started,
        "finished": time.time(),
    }


def _recorded(course: Path, assignment: str, student: str) -> tuple[list[dict], list[dict]]:
    grades, comments = [], []
    with Gradebook(_sqlite_url(course)) as gb:
        for nb in gb.find_submission(assignment, student).notebooks:
            for g in nb.grades:
                grades.append(
                    {
                        "notebook": nb.name,
                        "name": g.name,
                        "auto_score": g.auto_score,
                        "max_score": g.max_score,
                        "needs_manual_grade": g.needs_manual_grade,
                    }
                )
            for c in nb.comments:
                comments.append({"notebook": nb.name, "name": c.name, "auto_comment": c.auto_comment})
    return grades, comments


def graded_notebook(result: dict, name: str):
    return nbformat.reads(result["graded"][name], as_version=4)
