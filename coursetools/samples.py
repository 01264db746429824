"""Sample submissions built from the release notebook and the source's solutions.

Each sample is what a student of a given kind would hand in: the release
notebook with some answer cells filled in. The bundled class under
examples/submitted/ is written by `python -m coursetools samples` and a test
checks it matches what this module builds, so it never drifts from source/.
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
from nbgrader import utils

import course_config
from coursetools.assignments import notebook_path, notebooks
from coursetools.release import SOLUTION_BEGIN, SOLUTION_END


def solution_code(source_nb) -> dict[str, str]:
    """grade_id -> the reference answer of each solution cell, markers removed."""
    answers = {}
    for cell in source_nb.cells:
        if utils.is_solution(cell):  # code, or a written answer in markdown
            lines = [
                line for line in cell.source.split("\n") if SOLUTION_BEGIN not in line and SOLUTION_END not in line
            ]
            answers[cell.metadata["nbgrader"]["grade_id"]] = "\n".join(lines)
    return answers


def fill(release_nb, answers: dict[str, str]):
    """A copy of the release notebook with the given answer cells replaced."""
    nb = copy.deepcopy(release_nb)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    return nb


def _partial(answers: dict[str, str], steps: list[str]) -> dict[str, str]:
    return {k: v for k, v in answers.items() if k in steps}


def _undertrained(answers: dict[str, str]) -> dict[str, str]:
    changed = dict(answers)
    # One epoch on 1,000 images: a trained model, far below the threshold.
    changed["train-model"] = "history = model.fit(train_x[:1000], train_y[:1000], epochs=1, batch_size=BATCH_SIZE)"
    return changed


# student id -> (how to build its answers from the reference, points it must get)
SAMPLE_CLASS = {
    "reference-solution": (lambda a: a, 15),
    "unchanged-release": (lambda a: {}, 0),
    "partial-first-five-steps": (
        lambda a: _partial(a, ["imports", "load-data", "show-images", "normalize", "one-hot"]),
        7,
    ),
    "undertrained-model": (_undertrained, 11),
}


def build_sample_class(root: Path | None = None, assignment: str = "ps1") -> dict[str, dict]:
    """student id -> {notebook name: notebook}, for every student of SAMPLE_CLASS."""
    root = Path(root or course_config.COURSE_ROOT)
    names = notebooks(assignment)
    source = {n: nbformat.read(notebook_path(root, "source", assignment, n), as_version=4) for n in names}
    release = {n: nbformat.read(notebook_path(root, "release", assignment, n), as_version=4) for n in names}
    return {
        student: {n: fill(release[n], build(solution_code(source[n]))) for n in names}
        for student, (build, _) in SAMPLE_CLASS.items()
    }


def write_sample_class(dest: Path, root: Path | None = None, assignment: str = "ps1") -> list[Path]:
    """Write the sample class in nbgrader's submitted/<student>/<assignment>/ layout."""
    written = []
    for student, nbs in build_sample_class(root, assignment).items():
        for name, nb in nbs.items():
            path = Path(dest) / student / assignment / f"{name}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, path)
            written.append(path)
    return written
