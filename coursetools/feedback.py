"""Feedback students receive shows why a test failed, never the hidden test code.

Stock nbgrader copies hidden tests into the feedback HTML verbatim (nbgrader
#917, #1363), both as cell source and inside tracebacks, which quote the
failing line. Here hidden regions are cut from the source and a failed test
shows only its error name and message, which the tests write in plain words.
"""

import base64
import html
import io
import re

from nbconvert.preprocessors import Preprocessor
from nbconvert.preprocessors.sanitize import SanitizeHTML
from nbformat.v4 import new_markdown_cell, new_output
from nbgrader import utils
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import ClearHiddenTests
from nbgrader.preprocessors.base import NbGraderPreprocessor
from traitlets import List

from coursetools import plugins
from coursetools.manual_review import could_not_check

# Terminal colour and cursor codes (Keras and IPython put them in error messages).
ANSI_CODES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]")


def plain_text(text: str) -> str:
    """Text fit for a web page: no terminal codes, no control characters."""
    text = ANSI_CODES.sub("", str(text))
    return "".join(c if c.isprintable() or c in "\n\t" else " " for c in text)


def table_cell(text: str, limit: int = 400) -> str:
    """One cell of the summary's Markdown table: escaped, on one line, bounded."""
    text = " ".join(plain_text(text).split())
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return html.escape(text).replace("|", "&#124;")


class HideHiddenTests(ClearHiddenTests):
    enforce_metadata = False
    # nbgrader's base preprocessor redefines nbconvert's display_data_priority without
    # making it configurable, so the HTML exporter's setting for it would be refused with
    # a warning; configurable again, as in nbgrader's own GetGrades.
    display_data_priority = List(NbGraderPreprocessor.display_data_priority.default_value).tag(config=True)

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code":
            return cell, resources
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if utils.is_grade(cell) and not utils.is_solution(cell):
            cell.outputs = [self._plain(output) for output in cell.outputs]
        return cell, resources

    @staticmethod
    def _plain(output):
        if output.output_type != "error":
            return output
        ename, evalue = plain_text(output.ename), plain_text(output.evalue or "")
        message = f"{ename}: {evalue}" if evalue else ename
        return new_output("error", ename=ename, evalue=evalue, traceback=[message])


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


class SanitizeStudentMarkup(SanitizeHTML):
    """nbconvert's SanitizeHTML, on in nbgrader's feedback pipeline (nbgrader does not enable
    preprocessors by itself): student Markdown and HTML lose scripts and event handlers,
    JavaScript outputs are dropped."""

    enabled = True


class FeedbackSummary(Preprocessor):
    """Put a summary at the top of the feedback: points per graded cell as the
    gradebook has them (manual grades included), the reason for each lost point,
    and the pictures the assignment's plugin draws from what the checker
    measured (plugins.py)."""

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
            rows.append(f"| {table_cell(plugins.step_title(assignment, grade_id))} | {points} | {table_cell(reason)} |")
        meta = nb.metadata.get("coursetools", {})
        pending = f" (+ {by_hand:g} points still to be graded by your instructor)" if by_hand else ""
        parts = [f"# Your result: {total:g} / {max_total:g}{pending}", ""]
        if meta.get("fault"):
            parts += [f"**Grading stopped early:** {table_cell(meta['fault'], 600)}.", ""]
        parts += ["| step | points | what the grader found |", "|---|---|---|", *rows, ""]
        parts += [
            f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{png}"/>'
            for alt, png in plugins.pictures(assignment, meta.get("insights") or {})
        ]
        nb.cells.insert(0, new_markdown_cell("\n".join(parts)))
        return nb, resources


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


def figure_png(fig) -> str:
    from matplotlib import pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80)
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()
