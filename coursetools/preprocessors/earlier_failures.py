"""When a check fails because an earlier cell failed, say which cell and why.

A student whose training cell fails on a bad import otherwise sees only
"name 'history' is not defined" in every later check. The grader (execute.py),
the self-check (self_check.py) and nbgrader's Validate button (explain_earlier_failures.py)
call EarlierFailures.after_cell for each code cell: it records each student cell that raised
an error and adds to a failed check's message the earlier failure that explains it: the
latest failed cell that should have defined the missing name, or else one of the
names the check reads.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from coursetools.course.assignments import is_autograder_test
from coursetools.course.language import N_
from coursetools.engine.names_read import names_read_by

_NOT_DEFINED = re.compile(r"name '([^']+)' is not defined|`([^`]+)` (?:is not defined|cannot be checked)")


# A check's message with the earlier failure that may explain it (one template, so that it is
# translated as a whole: language.py).
EXPLAINED = N_("{message} (an earlier cell failed, which may be why: {label} raised {error})")
NOTE = N_("(an earlier cell failed, which may be why: {label} raised {error})")  # the traceback's last line


def cell_label(index: int) -> str:
    return N_("code cell {number}").format(number=index + 1)


@dataclass
class FailedCell:
    label: str
    error: str
    binds: frozenset[str]


def first_error(cell) -> tuple[str, str] | None:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return output.get("ename", "Error"), output.get("evalue", "")
    return None


def _bound_names(source: str) -> frozenset[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return frozenset()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return frozenset(names)


class EarlierFailures:
    """The student cells that failed so far, in order."""

    def __init__(self):
        self.failed: list[FailedCell] = []

    def after_cell(self, cell, index: int) -> None:
        """The one dispatch, after each code cell ran (grader, self-check, Validate button): a
        test's failure is explained, a student cell's failure is recorded."""
        if cell.get("cell_type") != "code":
            return
        if is_autograder_test(cell):
            self.explain(cell)
        else:
            self.record(cell, index)

    def record(self, cell, index: int) -> None:
        error = first_error(cell)
        if error is None:
            return
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        label = N_("your cell '{grade_id}'").format(grade_id=grade_id) if grade_id else cell_label(index)
        ename, evalue = error
        self.failed.append(FailedCell(label, f"{ename}: {evalue}"[:300], _bound_names(cell.get("source", ""))))

    def explain(self, check_cell) -> None:
        """Add the earlier failure that explains this check's error to its message."""
        if not self.failed:
            return
        for output in check_cell.get("outputs", []):
            if output.get("output_type") != "error":
                continue
            found = _NOT_DEFINED.search(output.get("evalue", ""))
            missing = {next(g for g in found.groups() if g)} if found else set()
            read = missing or set(names_read_by(check_cell.get("source", "")))
            culprit = next((f for f in reversed(self.failed) if read & f.binds), None)
            if culprit is None:
                return
            evalue = output.get("evalue", "")
            output["evalue"] = EXPLAINED.format(message=evalue, label=culprit.label, error=culprit.error)
            if output.get("traceback"):
                output["traceback"] = [*output["traceback"], NOTE.format(label=culprit.label, error=culprit.error)]
            return
