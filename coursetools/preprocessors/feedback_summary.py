"""The summary at the top of a student's feedback: points per step, why each was lost,
and the assignment plugin's pictures."""

import html

from nbconvert.preprocessors import Preprocessor
from nbformat.v4 import new_markdown_cell
from nbgrader import utils
from nbgrader.api import Gradebook, MissingEntry

from coursetools.course import plugins
from coursetools.course.language import N_, Messages, for_notebook
from coursetools.preprocessors.manual_review import could_not_check
from coursetools.preprocessors.sanitize_outputs import picture, plain_text
from coursetools.preprocessors.withhold_hidden_steps import withheld_grade_ids
from coursetools.workflow.scores import StepScore, notebook_scores, total

# Characters Markdown or MathJax would read as syntax, written as HTML character references:
# a reference is never syntax, so student text stays text even inside the Markdown cell.
MARKUP_CHARACTERS = {c: f"&#{ord(c)};" for c in "\\`*_[]()!|$~"}


def table_cell(text: str, limit: int = 400) -> str:
    """One piece of the summary's HTML: escaped (HTML, Markdown, MathJax), on one line, bounded."""
    text = " ".join(plain_text(text).split())
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return "".join(MARKUP_CHARACTERS.get(c, c) for c in html.escape(text))


WITHHELD_FOUND = N_("checked when your submission is graded after the due date (it has hidden checks)")
LATER = N_(
    "Steps with hidden checks ({points} points) are graded after the due date: "
    "this total leaves them out, and your feedback then shows them."
)
MATHJAX_IGNORE = "tex2jax_ignore mathjax_ignore"  # MathJax 2's and 3's class for "no TeX in here"
# Jupyter's table style right-aligns every cell, which runs the points into the text after them.
LEFT = ' style="text-align: left; vertical-align: top"'
POINTS = (
    ' style="text-align: center; vertical-align: top; white-space: nowrap; padding-left: 1.5em; padding-right: 1.5em"'
)


class FeedbackSummary(Preprocessor):
    """Put a summary at the top of the feedback: points per graded cell as the
    gradebook has them (scores.py: grades by hand with the instructor's comment, pending
    ones as ?), the reason for each lost point, and the pictures the assignment's plugin
    draws from what the checker measured (plugins.py).

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
        assignment, notebook = info.get("assignment"), info.get("notebook")
        recorded = _recorded_scores(info)
        _ = for_notebook(nb, assignment)  # the words in the language of the student's notebook
        withheld = withheld_grade_ids(resources)  # before the due date: steps with hidden tests
        rows, steps, later = [], [], 0.0
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if not grade_id or not (grade_id in recorded or utils.is_grade(cell)):
                continue
            step = recorded.get(grade_id) or _unrecorded(cell, notebook)
            title = _.gettext(plugins.step_title(assignment, grade_id, notebook))
            if grade_id in withheld:  # nothing of its score, nor of why: only that it comes later
                later += step.max_score
                points, found = f"– / {step.max_score:g}", _.gettext(WITHHELD_FOUND)
            else:
                steps.append(step)
                points = f"{'?' if step.score is None else f'{step.score:g}'} / {step.max_score:g}"
                found = _found(cell, step, _)
            rows.append(
                f"<tr><td{LEFT}>{table_cell(title)}</td><td{POINTS}>{points}</td>"
                f"<td{LEFT}>{table_cell(found, 1200)}</td></tr>"
            )
        earned, possible, pending = total(steps)
        meta = nb.metadata.get("coursetools", {})
        meta = meta if isinstance(meta, dict) else {}
        still = (
            _(" (+ {pending} points still to be graded by your instructor)").format(pending=f"{pending:g}")
            if pending
            else ""
        )
        heading = (
            _("Your result on the visible checks: {earned} / {possible}")
            if withheld
            else _("Your result: {earned} / {possible}")
        )
        result = heading.format(earned=f"{earned:g}", possible=f"{possible:g}")
        parts = [
            f'<div class="{MATHJAX_IGNORE}">',
            f"<h1>{html.escape(result)}{html.escape(still)}</h1>",  # the grader's numbers only
        ]
        if withheld:
            parts.append(f"<p>{table_cell(_.gettext(LATER).format(points=f'{later:g}'))}</p>")
        if meta.get("fault"):
            fault = str(meta["fault"])
            stopped = _("Grading stopped early:")
            sentence = table_cell(_.translate(f"{fault[:1].upper()}{fault[1:]}."), 600)  # as faults.Fault.sentence
            parts.append(f"<p><strong>{stopped}</strong> {sentence}</p>")
        headings = _("step"), _("points"), _("what the grader found")  # outside f-strings, for Babel
        parts += [
            '<table class="table table-condensed">',
            f"<thead><tr><th{LEFT}>{headings[0]}</th><th{POINTS}>{headings[1]}</th>"
            f"<th{LEFT}>{headings[2]}</th></tr></thead>",
            "<tbody>",
            *rows,
            "</tbody></table>",
        ]
        # the plugin's pictures draw what the hidden checks measured: none while they are withheld
        parts += [
            f'<img alt="{table_cell(alt, 200)}" src="data:image/png;base64,{png}"/>'
            for alt, png in ([] if withheld else self._pictures(assignment, meta.get("insights"), info, _))
        ]
        parts.append("</div>")
        nb.cells.insert(0, new_markdown_cell("\n".join(parts)))
        return nb, resources

    def _pictures(self, assignment, insights, info, messages: Messages) -> list[tuple[str, str]]:
        """The plugin's pictures that are real PNGs; none when drawing fails on this student's numbers."""
        if not isinstance(insights, dict) or not insights:
            return []
        try:
            drawn = [
                (str(alt), picture("image/png", png)) for alt, png in plugins.pictures(assignment, insights, messages)
            ]
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


def _recorded_scores(info: dict) -> dict[str, StepScore]:
    """grade_id -> the gradebook's StepScore (scores.py's rule for pending grades); {} without one."""
    try:
        with Gradebook(info["db_url"]) as gb:
            return notebook_scores(gb, info["assignment"], info["notebook"], info["student"])
    except (KeyError, MissingEntry):
        return {}


def _unrecorded(cell, notebook) -> StepScore:
    """A graded cell the gradebook has no grade for: what nbgrader's autograder would give it."""
    score, max_score = utils.determine_grade(cell)
    grade_id = cell.metadata["nbgrader"]["grade_id"]
    return StepScore(notebook or "", grade_id, None if score is None else float(score), float(max_score), grade_id)


def _found(cell, step: StepScore, _: Messages) -> str:
    """What the grader found: the text of the step's last column, in the student's language."""
    if step.score is None:
        if could_not_check(cell):  # fixed words: nothing of the student's value is quoted
            return _("the grader could not check this step automatically; your instructor will grade it by hand")
        return _("to be graded by your instructor")
    if step.by_instructor:
        comment = _(". Their comment: {comment}").format(comment=step.comment) if step.comment else ""
        shown = _("graded by your instructor: {score} / {max_score}").format(
            score=f"{step.score:g}", max_score=f"{step.max_score:g}"
        )
        return shown + comment
    if step.score >= step.max_score:
        return _("passed")
    if cell.cell_type != "code" or utils.is_solution(cell):
        return _("no answer was given") if utils.is_solution(cell) else _("graded by your instructor")
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            evalue = _.translate(output.evalue) if output.evalue else ""
            return plain_text(f"{output.ename}: {evalue}" if evalue else output.ename)
        if output.output_type == "stream" and output.name == "stderr":
            return _("the check wrote an error message: ") + plain_text(output.text)[:200]
    return _("failed")
