"""The feedback shows the student's own cells with the outputs of the student's own run.

In the grader's run, the student's functions are called by hidden tests; a function can
keep a hidden input in a global that a later student cell prints, and the grader's output
of that cell would hand the hidden input to the student. The notebook the student
submitted holds what their cells printed before any hidden test existed for them, so the
feedback shows those outputs (made safe like the grader's, safe_outputs.py, and bounded)
for every code cell that is not an autograder test. The instructor's autograded notebook
keeps the grader's outputs. Cells are matched by cell id, then by nbgrader grade id, then
by position among code cells when both notebooks have as many.
"""

from __future__ import annotations

import json
import os

import nbformat
from nbconvert.preprocessors import Preprocessor
from nbformat.v4 import new_output
from traitlets import Integer, Unicode

from coursetools.course.assignments import is_autograder_test
from coursetools.preprocessors.sanitize_outputs import safe_outputs

LIMIT_NOTE = "[output limit] the rest of this cell's output from your run is not shown.\n"


class ShowSubmittedOutputs(Preprocessor):
    enabled = True
    submitted_directory = Unicode(
        "", help="The course's submitted/ folder (<student>/<assignment>/<notebook>.ipynb)."
    ).tag(config=True)
    max_cell_bytes = Integer(2_000_000, help="Largest output of one cell shown from the student's run.").tag(
        config=True
    )
    max_notebook_bytes = Integer(20_000_000, help="Largest total of outputs shown from the student's run.").tag(
        config=True
    )
    max_file_bytes = Integer(200_000_000, help="Submitted notebooks larger than this are not read.").tag(config=True)

    def preprocess(self, nb, resources):
        submitted = self._submitted_cells(resources.get("nbgrader", {}))
        by_id = _unique(submitted, lambda c: c.get("id"))
        by_grade_id = _unique(submitted, lambda c: c.get("metadata", {}).get("nbgrader", {}).get("grade_id"))
        code = [c for c in nb.cells if c.cell_type == "code"]
        by_position = dict(zip(map(id, code), submitted, strict=True)) if len(code) == len(submitted) else {}
        budget = self.max_notebook_bytes
        for cell in code:
            if is_autograder_test(cell):
                continue
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            own = by_id.get(cell.get("id")) or by_grade_id.get(grade_id) or by_position.get(id(cell))
            cell.outputs, used = self._bounded(safe_outputs(own.get("outputs")) if own else [], budget)
            cell.execution_count = (
                own.get("execution_count") if own and isinstance(own.get("execution_count"), int) else None
            )
            budget -= used
        return nb, resources

    def _submitted_cells(self, info: dict) -> list:
        path = os.path.join(
            self.submitted_directory,
            str(info.get("student")),
            str(info.get("assignment")),
            f"{info.get('notebook')}.ipynb",
        )
        try:
            if not self.submitted_directory or os.path.getsize(path) > self.max_file_bytes:
                raise ValueError("no submitted notebook to read, or too large")
            submitted = nbformat.read(path, as_version=4)
            return [c for c in submitted.cells if c.get("cell_type") == "code" and isinstance(c, dict)]
        except Exception as error:  # a missing or broken submission shows no outputs, and nothing else changes
            self.log.warning("Feedback shows no outputs of the student's own run (%s): %s", path, error)
            return []

    def _bounded(self, outputs: list, budget: int) -> tuple[list, int]:
        kept, used = [], 0
        for output in outputs:
            size = len(json.dumps(output))
            if used + size > min(self.max_cell_bytes, budget):
                kept.append(new_output("stream", name="stdout", text=LIMIT_NOTE))
                break
            kept.append(output)
            used += size
        return kept, used


def _unique(cells: list, key) -> dict:
    """key -> cell for the keys exactly one cell has."""
    seen: dict = {}
    for cell in cells:
        value = key(cell)
        if isinstance(value, str) and value:
            seen[value] = None if value in seen else cell
    return {k: v for k, v in seen.items() if v is not None}
