"""Run nbgrader commands for a course folder, and read its gradebook."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry

import course_config
from coursetools.course.assignments import graded_cell_ids, notebook_path, notebooks
from coursetools.course.nbgrader_settings import gradebook_url
from coursetools.errors import CommandError

__all__ = ["CommandError"]  # re-exported for the CLI


def nbgrader(
    root: Path, *args: str, check: bool = True, log: Path | None = None, workers: int = 1
) -> subprocess.CompletedProcess:
    """Run `nbgrader ARGS` in the course folder `root` with this interpreter.

    nbgrader reads root/nbgrader_config.py, which loads root/course_config.py.
    """
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env["COURSETOOLS_WORKERS"] = str(workers)  # kernels share the cores with the other workers
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(result.stdout)
    if check and result.returncode != 0:
        tail = "\n".join(result.stdout.strip().splitlines()[-15:])
        raise CommandError(f"`nbgrader {' '.join(args)}` failed (exit {result.returncode}):\n{tail}")
    return result


def make_course_copy(dest: Path, root: Path | None = None) -> Path:
    """A scratch course folder sharing this course's code, notebooks and data.

    Used by `validate` and the tests so they never touch the real gradebook.
    """
    root = Path(root or course_config.COURSE_ROOT)
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("course_config.py", "nbgrader_config.py"):
        shutil.copy(root / name, dest / name)
    for name in ("coursetools", ".keras"):
        (dest / name).symlink_to(root / name)
    shutil.copytree(root / "source", dest / "source")
    return dest


@dataclass
class StepScore:
    """Points of one graded cell; `score` is None while it needs grading by hand."""

    notebook: str
    grade_id: str
    score: float | None
    max_score: float
    label: str = ""

    @property
    def needs_manual_grade(self) -> bool:
        return self.score is None

    def shown(self) -> str:
        return f"{'?' if self.score is None else f'{self.score:g}'}/{self.max_score:g}"


def total(steps: list[StepScore]) -> tuple[float, float, float]:
    """(points so far, maximum, points still to be graded by hand)."""
    return (
        sum(s.score or 0 for s in steps),
        sum(s.max_score for s in steps),
        sum(s.max_score for s in steps if s.score is None),
    )


def submit(root: Path, assignment: str, student: str, nbs: dict) -> list[Path]:
    """Write `student`'s submission (notebook name -> nb) in nbgrader's submitted/ layout."""
    written = []
    for name, nb in nbs.items():
        path = notebook_path(root, "submitted", assignment, name, student)
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, path)
        written.append(path)
    return written


def step_scores(root: Path, assignment: str, student: str) -> list[StepScore]:
    """Points per graded cell, notebook by notebook in notebook order; [] if not graded."""
    names = notebooks(assignment)  # also rejects an unknown assignment
    steps = []
    with Gradebook(gradebook_url(Path(root))) as gb:
        for name in names:
            source = nbformat.read(notebook_path(root, "source", assignment, name), as_version=4)
            try:
                nb = gb.find_submission_notebook(name, assignment, student)
            except MissingEntry:
                return []
            grades = {g.name: g for g in nb.grades}
            for grade_id in graded_cell_ids(source):
                if grade_id in grades:
                    grade = grades[grade_id]
                    score = None if grade.needs_manual_grade else float(grade.score)
                    label = grade_id if len(names) == 1 else f"{name}:{grade_id}"
                    steps.append(StepScore(name, grade_id, score, float(grade.max_score), label))
    return steps


def students_in(folder: Path, assignment: str) -> list[str]:
    """Student ids with a folder for `assignment` under `folder` (nbgrader layout)."""
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith(".") and (p / assignment).is_dir())


def submission_problems(root: Path, assignment: str, student: str) -> list[str]:
    """Why a submission cannot be graded as it is, in words the instructor can act on."""
    problems = []
    for name in notebooks(assignment):
        problems += _notebook_problems(root, assignment, student, name)
    return problems


def _notebook_problems(root: Path, assignment: str, student: str, name: str) -> list[str]:
    expected = name + ".ipynb"
    folder = Path(root) / "submitted" / student / assignment
    path = folder / expected
    if not path.is_file():
        found = ", ".join(sorted(p.name for p in folder.glob("*.ipynb"))) or "no notebook"
        return [
            f"no {expected} in submitted/{student}/{assignment}/ (found: {found}); "
            f"rename the student's notebook to {expected}"
        ]
    try:
        nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    except Exception as error:  # nbformat raises several kinds for broken files
        message = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        return [
            f"{expected} is not a valid notebook ({message}); ask the student to re-download "
            "their notebook from Jupyter and resubmit"
        ]
    if nb.get("nbformat") != 4:
        return [
            f"{expected} uses nbformat {nb.get('nbformat')}, which this course's nbgrader cannot read "
            "(it reads nbformat 4); open and save it in the course's Jupyter"
        ]
    release = nbformat.read(notebook_path(root, "release", assignment, name), as_version=4)
    wanted = [c.metadata["nbgrader"]["grade_id"] for c in release.cells if "nbgrader" in c.metadata]
    present = [
        c.metadata["nbgrader"].get("grade_id")
        for c in nb.cells
        if isinstance(c.get("metadata", {}).get("nbgrader"), dict)
    ]
    problems = []
    if missing := sorted(set(wanted) - set(present)):
        problems.append(
            f"{expected} is missing {len(missing)} graded or locked cell(s) of the release "
            f"({', '.join(missing[:4])}): they were deleted, or another tool stripped their "
            "nbgrader metadata; have the student copy their answers into a fresh release notebook"
        )
    if extra := sorted({str(i) for i in present} - set(wanted)):
        problems.append(
            f"{expected} has cell(s) marked for grading that the release does not have "
            f"({', '.join(extra[:4])}): added by hand; review the submission"
        )
    if duplicated := sorted({i for i in present if present.count(i) > 1}):
        problems.append(
            f"{expected} has cells that appear more than once ({', '.join(duplicated[:4])}); review the submission"
        )
    return problems


def gradebook_knows(root: Path, assignment: str) -> bool:
    """Whether generate_assignment has recorded the assignment's notebooks."""
    if not course_config.GRADEBOOK_URL and not (Path(root) / "gradebook.db").exists():
        return False
    with Gradebook(gradebook_url(Path(root))) as gb:
        try:
            return bool(gb.find_assignment(assignment).notebooks)
        except MissingEntry:
            return False
