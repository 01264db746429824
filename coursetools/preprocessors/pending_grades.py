"""Grades still to be entered by hand, marked for the feedback page's template.

nbgrader's GetGrades copies each grade's `score` into the cell, and the gradebook's score of
a grade nobody entered yet is 0: its feedback page says "Score: 0.0 / 2.0" for an answer the
instructor has not read. This runs after GetGrades and marks such cells (scores.is_pending, the
course's one rule) and the notebook's pending points; the course's feedback template
(templates/course_feedback) shows them as "?".
"""

from pathlib import Path

import nbgrader
from nbconvert.exporters import HTMLExporter
from nbgrader import utils
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors.base import NbGraderPreprocessor
from traitlets import List, default

from coursetools.course.language import for_notebook
from coursetools.workflow.scores import notebook_scores, total

TEMPLATE_DIR = Path(__file__).parent / "templates"
TEMPLATE_NAME = "course_feedback"
NBGRADER_TEMPLATES = Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates"


class CourseFeedbackExporter(HTMLExporter):
    """nbgrader's feedback page through the course's template (course_feedback extends
    nbgrader's `feedback`). A class of its own, so that its settings (nbgrader_settings.py)
    win over HTMLExporter's, which nbgrader sets for the formgrader and its feedback button."""

    template_settings = {
        "template_name": TEMPLATE_NAME,
        "extra_template_basedirs": [str(TEMPLATE_DIR), str(NBGRADER_TEMPLATES)],
    }

    @default("template_paths")
    def _template_paths(self, prune=True, root_dirs=None):
        # nbgrader's template folder itself, where `{% extends 'feedback/index.html.j2' %}` is found
        return [*super()._template_paths(prune, root_dirs), str(NBGRADER_TEMPLATES)]


class PendingGrades(NbGraderPreprocessor):
    enabled = True
    # configurable again, or the HTML exporter's setting is refused with a warning (as in HideHiddenTests)
    display_data_priority = List(NbGraderPreprocessor.display_data_priority.default_value).tag(config=True)

    def preprocess(self, nb, resources):
        info = resources.get("nbgrader", {})
        # The template's words in the language of the student's notebook (its t() macro), and
        # that language on the page's <html lang> (fonts, screen readers, browsers' translation).
        words = for_notebook(nb, info.get("assignment"))
        resources["course_words"], resources["course_language"] = words.entries, words.language
        try:
            with Gradebook(info["db_url"]) as gb:
                recorded = notebook_scores(gb, info["assignment"], info["notebook"], info["student"])
        except (KeyError, MissingEntry):
            return nb, resources
        graded = []
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            step = recorded.get(meta.get("grade_id"))
            if step is None or not (utils.is_grade(cell) or utils.is_task(cell)):
                continue
            graded.append(step)
            meta["pending"] = step.needs_manual_grade
        info["pending_points"] = total(graded).pending
        return nb, resources
