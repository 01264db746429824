"""Submissions in nbgrader's layout: writing one, listing the students, and whether a
submission (and the gradebook) is ready to be graded, in words the instructor can act on."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry

import course_config
from coursetools.course.assignments import notebook_path, notebooks
from coursetools.course.nbgrader_settings import gradebook_url


def submit(root: Path, assignment: str, student: str, nbs: dict) -> list[Path]:
    """Write `student`'s submission (notebook name -> nb) in nbgrader's submitted/ layout."""
    written = []
    for name, nb in nbs.items():
        path = notebook_path(root, "submitted", assignment, name, student)
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, path)
        written.append(path)
    return written


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


def has_graded_submission(root: Path, assignment: str, student: str) -> bool:
    """Whether the gradebook holds a submission of this student (from an earlier grading)."""
    if not course_config.GRADEBOOK_URL and not (Path(root) / "gradebook.db").exists():
        return False
    with Gradebook(gradebook_url(Path(root))) as gb:
        try:
            gb.find_submission(assignment, student)
            return True
        except MissingEntry:
            return False


def forget_submission(root: Path, assignment: str, student: str) -> None:
    """Remove what a stopped first grading half-recorded (the gradebook's submission and
    autograded/), so the student reads as not graded, with the reason, never as scored or
    waiting for a grade by hand."""
    with Gradebook(gradebook_url(Path(root))) as gb:
        try:
            gb.remove_submission(assignment, student)
        except MissingEntry:
            pass
    shutil.rmtree(Path(root) / "autograded" / student / assignment, ignore_errors=True)
