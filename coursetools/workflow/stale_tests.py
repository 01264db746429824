"""Tests in source/ that the gradebook does not grade with yet.

nbgrader's autograde does not read source/: it restores every test cell (hidden tests
included) and read-only cell from the copy `generate_assignment` stored in the gradebook
(SaveCells), and scores with the points stored there. After a test is fixed in source/, the
old one keeps grading until the next `./course release`; release/ cannot show it, since
hidden tests are not in it. So autograde and validate compare the two and stop.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbgrader import utils
from nbgrader.api import Gradebook, MissingEntry

import course_config
from coursetools.course.assignments import notebook_path, notebooks
from coursetools.course.nbgrader_settings import gradebook_url


def _kept_cells(nb) -> dict[str, tuple[str, float | None]]:
    """grade_id -> (source, points) of the cells nbgrader restores from the gradebook when it
    grades: tests and read-only cells (answer cells hold the student's text instead)."""
    kept = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade_id") and not utils.is_solution(cell) and (utils.is_grade(cell) or utils.is_locked(cell)):
            points = float(meta.get("points", 0)) if utils.is_grade(cell) else None
            kept[meta["grade_id"]] = (cell.source, points)
    return kept


def stale_tests(root: Path, assignment: str) -> list[str]:
    """What differs between source/'s tests and read-only cells and the gradebook's copy, one
    line each; [] when they agree or the assignment was never released to this gradebook."""
    root = Path(root)
    if not course_config.GRADEBOOK_URL and not (root / "gradebook.db").exists():
        return []  # never released here: opening the gradebook would create it
    names = notebooks(assignment)
    differences = []
    with Gradebook(gradebook_url(root)) as gb:
        try:
            recorded = {nb.name for nb in gb.find_assignment(assignment).notebooks}
        except MissingEntry:
            return []
        if not recorded:
            return []
        for name in names:
            label = f"{name}.ipynb"
            if name not in recorded:
                differences.append(f"{label} is not in the gradebook")
                continue
            source = _kept_cells(nbformat.read(notebook_path(root, "source", assignment, name), as_version=4))
            stored_nb = gb.find_notebook(name, assignment)
            stored = {c.name: c for c in stored_nb.source_cells}
            for grade_id, (text, points) in source.items():
                if grade_id not in stored:
                    differences.append(f"'{grade_id}' of {label} is new")
                    continue
                if stored[grade_id].source != text:
                    differences.append(f"'{grade_id}' of {label} changed")
                elif points is not None:
                    try:
                        stored_points = gb.find_graded_cell(grade_id, name, assignment).max_score
                    except MissingEntry:
                        stored_points = None
                    if stored_points is None or float(stored_points) != points:
                        differences.append(f"'{grade_id}' of {label} is worth {points:g} points now")
            answers = {c.name for c in stored_nb.solution_cells}
            restored = (
                {c.name for c in stored_nb.grade_cells} | {c.name for c in stored.values() if c.locked}
            ) - answers
            differences += [f"'{gone}' of {label} was removed" for gone in sorted(restored - set(source))]
    return differences


def stale_message(assignment: str, differences: list[str]) -> str:
    return (
        f"The tests of {assignment} in source/ are not the ones the gradebook grades with (the last release "
        f"recorded them; hidden tests are not in release/): {'; '.join(differences)}. "
        f"Run `./course release --assignment {assignment}` first."
    )
