"""Feedback students receive shows why a test failed, never the hidden test code.

Stock nbgrader copies hidden tests into the feedback HTML verbatim (nbgrader
#917, #1363), both as cell source and inside tracebacks, which quote the
failing line. Here hidden regions are cut from the source and a failed test
shows only its error name and message, which the tests write in plain words.
"""

import re

from nbformat.v4 import new_output
from nbgrader.preprocessors import ClearHiddenTests
from nbgrader.preprocessors.base import NbGraderPreprocessor
from traitlets import List

from coursetools.course.assignments import is_autograder_test
from coursetools.course.language import N_
from coursetools.preprocessors.manual_review import CANNOT_CHECK
from coursetools.preprocessors.sanitize_outputs import plain_text


class HideHiddenTests(ClearHiddenTests):
    """Test cells in the feedback: hidden regions cut from the source, and outputs that carry
    nothing a hidden test passed to or got back from the student's code.

    A student function called by a hidden test can print its input, put it in an exception
    message, or keep it in a global that a later cell shows. So once a hidden region has run
    (in this cell or an earlier one) a test cell shows only its verdict: passed, or failed with
    the error's name, and its message only when every line of the test cell the traceback
    names is visible and comes before any hidden test ran. Outputs of the student's own cells
    come from their submitted run (submitted_outputs.py), not the grader's.
    Hidden-test markers mean something only in the instructor's test cells: a student's cell
    that contains the marker text is left alone (nbgrader's parser would fail on it).
    """

    enforce_metadata = False
    # nbgrader's base preprocessor redefines nbconvert's display_data_priority without
    # making it configurable, so the HTML exporter's setting for it would be refused with
    # a warning; configurable again, as in nbgrader's own GetGrades.
    display_data_priority = List(NbGraderPreprocessor.display_data_priority.default_value).tag(config=True)

    def preprocess(self, nb, resources):
        self._hidden_ran = False
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, cell_index):
        if not is_autograder_test(cell):
            return cell, resources
        hidden = self._hidden_lines(cell.source)
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        cell.metadata["nbgrader"]["hidden_tests"] = bool(hidden)  # for WithholdHiddenSteps, before the due date
        # Hidden inputs reach the student's code only through calls: a hidden test that made
        # none (a model evaluated on the grader's data) may say what it found.
        meta = cell.metadata.get("coursetools")
        called = not (isinstance(meta, dict) and meta.get("student_code_called") is False)
        if hidden or self._hidden_ran:
            cell.outputs = verdict(cell.outputs, hidden if called else set(), self._hidden_ran)
        else:
            cell.outputs = [self._plain(output) for output in cell.outputs]
        self._hidden_ran = self._hidden_ran or (bool(hidden) and called)
        return cell, resources

    def _hidden_lines(self, source: str) -> set[int]:
        """Line numbers (from 1) of the hidden regions, markers included."""
        hidden, inside = set(), False
        for number, line in enumerate(source.split("\n"), start=1):
            if self.begin_test_delimeter in line:
                inside = True
            if inside:
                hidden.add(number)
            if self.end_test_delimeter in line:
                inside = False
        return hidden

    @staticmethod
    def _plain(output):
        if output.output_type != "error":
            return output
        return plain_error(output.ename, output.evalue or "")


def plain_error(ename, evalue):
    ename, evalue = plain_text(ename), plain_text(evalue)
    message = f"{ename}: {evalue}" if evalue else ename
    return new_output("error", ename=ename, evalue=evalue, traceback=[message])


# Errors the grader writes itself (faults.py, execute.py): fixed sentences, shown as they are.
GRADER_ERRORS = {
    "NotGraded",
    "GraderError",
    "CellTimeoutError",
    "CallTimeoutError",
    "NotebookTimeLimit",
    "KernelDied",
    "GradingStopped",
    CANNOT_CHECK,  # rewritten in fixed words when the grades are saved (manual_review.py)
}
CELL_FRAME = re.compile(r"Cell In\[\d+\], line (\d+)")
PASSED = N_("This check passed.")
HIDDEN_FAILED = N_("a hidden check of this step failed.")
MESSAGE_WITHHELD = N_(
    "this check failed; run the test cell in your notebook to see its message "
    "(it is not shown here because hidden checks ran before it)."
)


def verdict(outputs, hidden: set[int], hidden_ran_before: bool) -> list:
    """A test cell's outputs reduced to its verdict (see HideHiddenTests): `hidden` are the
    cell's hidden line numbers, `hidden_ran_before` whether an earlier cell had hidden tests."""
    errors = [o for o in outputs if o.get("output_type") == "error"]
    if not errors:
        return [new_output("stream", name="stdout", text=PASSED + "\n")]
    error = errors[0]
    ename, evalue = str(error.get("ename", "")), str(error.get("evalue", "") or "")
    traceback = [str(line) for line in error.get("traceback") or []]
    if ename in GRADER_ERRORS and traceback == [f"{ename}: {evalue}"]:
        return [plain_error(ename, evalue)]
    lines = [int(n) for n in CELL_FRAME.findall(plain_text("\n".join(traceback)))]
    if not lines or any(n in hidden for n in lines):
        return [plain_error(ename, HIDDEN_FAILED)]
    if hidden_ran_before or max(lines) > min(hidden, default=max(lines)):
        return [plain_error(ename, MESSAGE_WITHHELD)]
    return [plain_error(ename, evalue)]
