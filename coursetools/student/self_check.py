"""A student's self-check: run their notebook and report every step a student can act on.

`nbgrader validate` prints a similar report but always exits 0 (nbgrader #1908);
this one exits non-zero when any check fails, so it can gate a submission. Besides the
visible checks it names the checks that run only when graded (hidden ones, never shown as
passed), the answers graded by hand that are still to write, and, next to each step, the
student's own numbers that the assignment's plugin names (`SELF_CHECK_NUMBERS`).
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbgrader import utils

import course_config
from coursetools.course import plugins
from coursetools.course.assignments import assignment_of_notebook
from coursetools.course.language import N_, Messages, for_notebook
from coursetools.preprocessors.earlier_failures import EarlierFailures

PASSED, FAILED, WHEN_GRADED, TO_ANSWER, ANSWERED = "pass", "fail", "when graded", "to answer", "answered"
# The last line the numbers cell prints, so nothing the student printed is mistaken for it.
NUMBERS_MARKER = "@@self-check-numbers@@"


@dataclass
class CheckResult:
    step: str
    status: str  # one of PASSED, FAILED, WHEN_GRADED, TO_ANSWER, ANSWERED
    message: str
    numbers: str = ""  # the student's own numbers for this step, when the assignment names some

    @property
    def passed(self) -> bool:
        return self.status != FAILED


def hidden_only(cell) -> bool:
    """A test cell whose checks were all removed from the release: it runs only when graded."""
    return not any(line.strip() and not line.strip().startswith("#") for line in cell.source.splitlines())


def unanswered(cell) -> bool:
    """An answer cell still as released (nbgrader's checksum of the released cell matches)."""
    checksum = cell.metadata.get("nbgrader", {}).get("checksum")
    return bool(checksum) and utils.compute_checksum(cell) == checksum


def numbers_cell(expressions: dict[str, str]):
    """A cell that evaluates each expression in the student's kernel and prints the results as JSON."""
    code = (
        "import json as _self_check_json\n_self_check_found = {}\n"
        f"for _self_check_id, _self_check_expression in {expressions!r}.items():\n"
        "    try:\n"
        "        _self_check_found[_self_check_id] = str(eval(_self_check_expression))\n"
        "    except Exception:\n"
        "        pass\n"
        f"print({NUMBERS_MARKER!r} + _self_check_json.dumps(_self_check_found))"
    )
    return nbformat.v4.new_code_cell(code)


def read_numbers(cell) -> dict[str, str]:
    text = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")
    for line in reversed(text.splitlines()):
        if line.startswith(NUMBERS_MARKER):
            try:
                found = json.loads(line[len(NUMBERS_MARKER) :])
            except ValueError:
                return {}
            return {str(k): str(v)[:300] for k, v in found.items()} if isinstance(found, dict) else {}
    return {}


def messages_for(path: Path) -> Messages:
    """The self-check's words in the language of the student's notebook (language.py)."""
    return for_notebook(nbformat.read(path, as_version=4), assignment_of_notebook(path))


def run_checks(path: Path, timeout: int | None = None) -> list[CheckResult]:
    """Execute the notebook top to bottom in a fresh kernel and report each graded step, in the
    language of the notebook."""
    nb = nbformat.read(path, as_version=4)
    assignment = assignment_of_notebook(path)
    _ = for_notebook(nb, assignment)
    expressions = plugins.self_check_numbers(assignment) if assignment else {}
    if expressions:
        nb.cells.append(numbers_cell(expressions))
    os.environ.setdefault("KERAS_HOME", str(course_config.KERAS_HOME))
    for name, value in course_config.KERNEL_ENV.items():
        os.environ.setdefault(name, value)
    client = NotebookClient(
        nb,
        timeout=timeout or course_config.CELL_TIMEOUT_SECONDS,
        allow_errors=True,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    # The kernel's own stderr holds only log lines (a transport warning, TensorFlow's start-up);
    # whatever the student's code prints reaches the cells' outputs.
    client.execute(stderr=subprocess.DEVNULL)
    numbers = read_numbers(nb.cells.pop()) if expressions else {}
    results = []
    failures = EarlierFailures()
    for index, cell in enumerate(nb.cells):
        failures.after_cell(cell, index)
        if not utils.is_grade(cell):
            continue
        grade_id = cell.metadata["nbgrader"]["grade_id"]
        step = _(plugins.step_title(assignment, grade_id, path.stem))
        if utils.is_solution(cell):  # an answer graded by hand
            status = TO_ANSWER if unanswered(cell) else ANSWERED
            results.append(CheckResult(step, status, _("graded by your instructor")))
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if errors:
            results.append(
                CheckResult(
                    step, FAILED, f"{errors[0].ename}: {_.translate(errors[0].evalue)}", numbers.get(grade_id, "")
                )
            )
        elif hidden_only(cell):
            results.append(CheckResult(step, WHEN_GRADED, _("a hidden check: runs when graded")))
        else:
            results.append(CheckResult(step, PASSED, _("ok"), numbers.get(grade_id, "")))
    return results


LABELS = {PASSED: N_("PASS"), FAILED: N_("FAIL"), WHEN_GRADED: N_("LATER"), TO_ANSWER: N_("TODO"), ANSWERED: N_("DONE")}
DETAILS = {
    WHEN_GRADED: N_("runs when graded (a hidden check)"),
    TO_ANSWER: N_("still to answer; graded by your instructor"),
    ANSWERED: N_("answered; graded by your instructor"),
}


def report_line(result: CheckResult, _: Messages | None = None) -> str:
    """One step of the self-check: its state, its title, why, and the student's own numbers."""
    _ = _ or Messages()
    detail = (
        result.message if result.status == FAILED else _(DETAILS[result.status]) if result.status in DETAILS else None
    )
    numbers = _("  [yours: {numbers}]").format(numbers=result.numbers) if result.numbers else ""
    return f"  {_(LABELS[result.status]):<5} {result.step}" + (f": {detail}" if detail else "") + numbers


def summary(results: list[CheckResult], _: Messages | None = None) -> tuple[bool, str]:
    """(whether a visible check failed, the closing sentence of the report)."""
    _ = _ or Messages()
    checks = [r for r in results if r.status in (PASSED, FAILED)]
    failed = [r for r in checks if r.status == FAILED]
    if failed:
        return True, _("{failed} of {checks} checks failed. Fix the first one, then run this again.").format(
            failed=len(failed), checks=len(checks)
        )
    later = [r for r in results if r.status == WHEN_GRADED]
    to_answer = [r.step for r in results if r.status == TO_ANSWER]
    return False, (
        _("All {checks} visible checks pass.").format(checks=len(checks))
        + (_(" {later} hidden check(s) run when graded.").format(later=len(later)) if later else "")
        + (_(" Still to answer: {steps}.").format(steps=_(", ").join(to_answer)) if to_answer else "")
    )
