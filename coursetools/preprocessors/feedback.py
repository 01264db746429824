"""Feedback students receive shows why a test failed, never the hidden test code.

Stock nbgrader copies hidden tests into the feedback HTML verbatim (nbgrader
#917, #1363), both as cell source and inside tracebacks, which quote the
failing line. Here hidden regions are cut from the source and a failed test
shows only its error name and message, which the tests write in plain words.
"""

import base64
import html
import io
import math
import re

from nbconvert.preprocessors import Preprocessor
from nbformat.v4 import new_markdown_cell, new_output
from nbgrader import utils
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import ClearHiddenTests
from nbgrader.preprocessors.base import NbGraderPreprocessor
from traitlets import List

from coursetools.course import plugins
from coursetools.course.assignments import is_autograder_test
from coursetools.preprocessors.manual_review import CANNOT_CHECK, could_not_check
from coursetools.preprocessors.sanitize_outputs import picture, plain_text

# Characters Markdown or MathJax would read as syntax, written as HTML character references:
# a reference is never syntax, so student text stays text even inside the Markdown cell.
MARKUP_CHARACTERS = {c: f"&#{ord(c)};" for c in "\\`*_[]()!|$~"}


def table_cell(text: str, limit: int = 400) -> str:
    """One piece of the summary's HTML: escaped (HTML, Markdown, MathJax), on one line, bounded."""
    text = " ".join(plain_text(text).split())
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return "".join(MARKUP_CHARACTERS.get(c, c) for c in html.escape(text))


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
PASSED = "This check passed."
HIDDEN_FAILED = "a hidden check of this step failed."
MESSAGE_WITHHELD = (
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


class DescribeStudentFigures(Preprocessor):
    """Give each image a student's cell drew an alternative text naming that cell, so the
    feedback page is readable with a screen reader (nbconvert otherwise warns and writes
    "No description has been provided for this image")."""

    enabled = True
    IMAGE_TYPES = ("image/png", "image/jpeg", "image/svg+xml", "image/gif")

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code":
            return cell, resources
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        where = f"your cell '{grade_id}'" if grade_id else f"code cell {cell_index + 1}"
        for output in cell.get("outputs", []):
            for mime in self.IMAGE_TYPES:
                if mime in output.get("data", {}):
                    described = output.setdefault("metadata", {}).setdefault(mime, {})
                    described.setdefault("alt", f"Figure drawn by {where}")
        return cell, resources


MATHJAX_IGNORE = "tex2jax_ignore mathjax_ignore"  # MathJax 2's and 3's class for "no TeX in here"


class FeedbackSummary(Preprocessor):
    """Put a summary at the top of the feedback: points per graded cell as the
    gradebook has them (manual grades included), the reason for each lost point,
    and the pictures the assignment's plugin draws from what the checker
    measured (plugins.py).

    The summary is one HTML block built with table_cell() around every piece of text:
    reasons quote student-controlled text (exception messages, type names), and Markdown
    would turn `[x](javascript:...)` or `![](http://...)` in them into a live link or an
    external picture, MathJax `$\\href{...}$` into a link. The block has no blank line, so
    Markdown passes it on untouched (an HTML block), and it is marked for MathJax to skip.
    (nbconvert's templates clean raw cells with a filter that escapes headings and pictures,
    so the summary is a Markdown cell.)"""

    enabled = True

    def preprocess(self, nb, resources):
        info = resources.get("nbgrader", {})
        assignment = info.get("assignment")
        recorded = _recorded_grades(info)
        rows, total, max_total, by_hand = [], 0.0, 0.0, 0.0
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if not grade_id or not (grade_id in recorded or utils.is_grade(cell)):
                continue
            score, max_score = recorded.get(grade_id) or utils.determine_grade(cell)
            max_total += max_score
            if score is None:
                by_hand += max_score
                points, reason = f"? / {max_score:g}", _why_by_hand(cell)
            else:
                total += score
                points = f"{score:g} / {max_score:g}"
                reason = "passed" if score == max_score else _reason(cell)
            title = plugins.step_title(assignment, grade_id)
            rows.append(f"<tr><td>{table_cell(title)}</td><td>{points}</td><td>{table_cell(reason)}</td></tr>")
        meta = nb.metadata.get("coursetools", {})
        meta = meta if isinstance(meta, dict) else {}
        pending = f" (+ {by_hand:g} points still to be graded by your instructor)" if by_hand else ""
        parts = [
            f'<div class="{MATHJAX_IGNORE}">',
            f"<h1>Your result: {total:g} / {max_total:g}{pending}</h1>",  # the grader's numbers only
        ]
        if meta.get("fault"):
            parts.append(f"<p><strong>Grading stopped early:</strong> {table_cell(meta['fault'], 600)}.</p>")
        parts += [
            "<table>",
            "<thead><tr><th>step</th><th>points</th><th>what the grader found</th></tr></thead>",
            "<tbody>",
            *rows,
            "</tbody></table>",
        ]
        parts += [
            f'<img alt="{table_cell(alt, 200)}" src="data:image/png;base64,{png}"/>'
            for alt, png in self._pictures(assignment, meta.get("insights"), info)
        ]
        parts.append("</div>")
        nb.cells.insert(0, new_markdown_cell("\n".join(parts)))
        return nb, resources

    def _pictures(self, assignment, insights, info) -> list[tuple[str, str]]:
        """The plugin's pictures that are real PNGs; none when drawing fails on this student's numbers."""
        if not isinstance(insights, dict) or not insights:
            return []
        try:
            drawn = [(str(alt), picture("image/png", png)) for alt, png in plugins.pictures(assignment, insights)]
        except Exception as error:  # a plugin's bug or odd numbers must not cost the student their feedback
            self.log.warning(
                "No feedback pictures for %s: the plugin of %s failed (%s: %s)",
                info.get("student"),
                assignment,
                type(error).__name__,
                error,
            )
            return []
        return [(alt, png) for alt, png in drawn if png]


def _recorded_grades(info: dict) -> dict[str, tuple[float | None, float]]:
    """grade_id -> (points, or None while a manual grade is pending; maximum), from the gradebook."""
    try:
        with Gradebook(info["db_url"]) as gb:
            notebook = gb.find_submission_notebook(info["notebook"], info["assignment"], info["student"])
            return {
                g.name: (
                    None if g.needs_manual_grade and g.manual_score is None else float(g.score),
                    float(g.max_score),
                )
                for g in notebook.grades
            }
    except (KeyError, MissingEntry):
        return {}


def _why_by_hand(cell) -> str:
    if could_not_check(cell):  # fixed words: nothing of the student's value is quoted
        return "the grader could not check this step automatically; your instructor will grade it by hand"
    return "graded by your instructor"


def _reason(cell) -> str:
    if cell.cell_type != "code" or utils.is_solution(cell):
        return "no answer was given" if utils.is_solution(cell) else "graded by your instructor"
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            return plain_text(f"{output.ename}: {output.evalue}" if output.evalue else output.ename)
        if output.output_type == "stream" and output.name == "stderr":
            return "the check wrote an error message: " + plain_text(output.text)[:200]
    return "failed"


def finite_curve(values, max_points: int = 500, bound: float = 1e6) -> list[float]:
    """A curve's values fit to draw: plain floats, at most `max_points`, each clipped to
    +-`bound`; values that are not finite numbers become gaps (NaN), so the epochs stay in place.
    Histories come from the student's objects: NaN, inf or 1e308 must not break a picture."""
    if not isinstance(values, (list, tuple)):
        return []
    curve = []
    for value in values[:max_points]:
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):
            number = math.nan
        curve.append(min(max(number, -bound), bound) if math.isfinite(number) else math.nan)
    return curve if any(math.isfinite(v) for v in curve) else []


def figure_png(fig) -> str:
    from matplotlib import pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80)
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()
