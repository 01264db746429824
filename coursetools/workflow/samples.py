"""Sample submissions built from the release notebook and the source's solutions.

Each sample is what a student of a given kind would hand in: the release
notebook with some answer cells filled in, as the assignment's plugin says
(SAMPLE_CLASS in source/<assignment>/course_plugin.py). The bundled class under
examples/submitted/ is written by `python -m coursetools samples` and a test
checks it matches what this module builds, so it never drifts from source/.
The students of the plugin's TRANSLATED_SAMPLES also hand in each translated version, as
<student>-<language> (e.g. reference-solution-zh-CN): the same answers in the other language's
release, to be graded exactly as their English twin.
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
from nbgrader import utils

import course_config
from coursetools.course import plugins, translations
from coursetools.course.assignments import notebook_path, notebooks
from coursetools.workflow.leak_checks import SOLUTION_BEGIN, SOLUTION_END


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


def build_sample_class(assignment: str, root: Path | None = None) -> dict[str, dict]:
    """student id -> {notebook name: notebook}, for every student of the plugin's SAMPLE_CLASS."""
    root = Path(root or course_config.COURSE_ROOT)
    names = notebooks(assignment)
    source = {n: nbformat.read(notebook_path(root, "source", assignment, n), as_version=4) for n in names}
    release = {n: nbformat.read(notebook_path(root, "release", assignment, n), as_version=4) for n in names}
    built = {
        student: {n: fill(release[n], build(solution_code(source[n]))) for n in names}
        for student, (build, _) in plugins.sample_class(assignment, root).items()
    }
    for language in translations.translated_languages(root, assignment):
        for student in plugins.translated_samples(assignment, root):
            built[twin(student, language)] = {
                n: translations.in_language(nb, n, assignment, language, root) for n, nb in built[student].items()
            }
    return built


def twin(student: str, language: str) -> str:
    """The student id of a sample student's submission in another language."""
    return f"{student}-{language}"


def write_sample_class(dest: Path, assignment: str, root: Path | None = None) -> list[Path]:
    """Write the sample class in nbgrader's submitted/<student>/<assignment>/ layout."""
    written = []
    for student, nbs in build_sample_class(assignment, root).items():
        for name, nb in nbs.items():
            path = Path(dest) / student / assignment / f"{name}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, path)
            written.append(path)
    return written
