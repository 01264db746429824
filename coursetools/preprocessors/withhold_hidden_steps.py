"""On-submit feedback before the due date: the results of the visible checks only.

A step whose test cell has hidden tests (HideHiddenTests marks it `hidden_tests`) is withheld
whole: its points, its outputs (hence the reason it failed) and its share of the totals. Its
visible part the student runs in their own notebook; its score mixes in the hidden part, so
even a partial score would say how the hidden tests went. The feedback says only that the step
is checked when the submission is graded after the due date: the hidden tests' names, code
and outcome stay out. Off by default; `./course serve` turns it on for an assignment whose
ASSIGNMENTS[<id>]["on_submit"]["feedback_before_due"] is "visible", before its due date
(`nbgrader generate_feedback --WithholdHiddenSteps.enabled=True`).

It runs after GetGrades and PendingGrades (the cells' scores are in) and before FeedbackSummary,
which reads `resources["nbgrader"]["withheld"]`, as the feedback template does.
"""

from nbformat.v4 import new_output
from nbgrader import utils
from nbgrader.preprocessors.base import NbGraderPreprocessor
from traitlets import Bool, List

from coursetools.course.assignments import is_autograder_test
from coursetools.course.language import N_, for_notebook

WITHHELD = N_(
    "This step has hidden checks: they run when your submission is graded after the due date, "
    "and this step's result is shown then."
)


def withheld_grade_ids(resources) -> set[str]:
    return set(resources.get("nbgrader", {}).get("withheld") or ())


class WithholdHiddenSteps(NbGraderPreprocessor):
    enabled = Bool(False, help="Withhold the steps with hidden tests (before the due date)").tag(config=True)
    # configurable again, or the HTML exporter's setting is refused with a warning (as in HideHiddenTests)
    display_data_priority = List(NbGraderPreprocessor.display_data_priority.default_value).tag(config=True)

    def preprocess(self, nb, resources):
        info = resources.setdefault("nbgrader", {})
        _ = for_notebook(nb, info.get("assignment"))  # the words in the language of the student's notebook
        withheld, withheld_points, score, max_score = [], 0.0, 0.0, 0.0
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if not (utils.is_grade(cell) or utils.is_task(cell)):
                continue
            points = float(meta.get("points") or 0)
            if is_autograder_test(cell) and meta.get("hidden_tests"):
                withheld.append(meta["grade_id"])
                withheld_points += points
                meta["withheld"] = True
                meta.pop("score", None)
                cell.outputs = [new_output("stream", name="stdout", text=_.gettext(WITHHELD) + "\n")]
            else:
                score += float(meta.get("score") or 0)
                max_score += points
        info["withheld"] = withheld
        info["withheld_points"] = withheld_points
        if withheld:  # the page's header: the visible steps' points only (a late penalty still counts)
            info["score"] = score - float(info.get("late_penalty") or 0)
            info["max_score"] = max_score
        return nb, resources
