"""A student's self-check: run their notebook and say which visible checks pass.

`nbgrader validate` prints a similar report but always exits 0 (nbgrader #1908);
this one exits non-zero when any check fails, so it can gate a submission.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient

import course_config
from coursetools.course import plugins
from coursetools.course.assignments import assignment_of_notebook, is_autograder_test
from coursetools.preprocessors.earlier_failures import EarlierFailures


@dataclass
class CheckResult:
    step: str
    passed: bool
    message: str


def run_checks(path: Path, timeout: int | None = None) -> list[CheckResult]:
    """Execute the notebook top to bottom in a fresh kernel and report each check cell."""
    nb = nbformat.read(path, as_version=4)
    os.environ.setdefault("KERAS_HOME", str(course_config.KERAS_HOME))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    client = NotebookClient(
        nb,
        timeout=timeout or course_config.CELL_TIMEOUT_SECONDS,
        allow_errors=True,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    results = []
    assignment = assignment_of_notebook(path)
    failures = EarlierFailures()
    for index, cell in enumerate(nb.cells):
        failures.after_cell(cell, index)
        if not is_autograder_test(cell):
            continue
        grade_id = cell.metadata["nbgrader"]["grade_id"]
        errors = [o for o in cell.outputs if o.output_type == "error"]
        message = f"{errors[0].ename}: {errors[0].evalue}" if errors else "ok"
        results.append(CheckResult(plugins.step_title(assignment, grade_id, path.stem), not errors, message))
    return results
