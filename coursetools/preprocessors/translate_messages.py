"""The grader's messages in the language of the notebook the student submitted.

Tests are written once, in English; their failures and the grader's own fixed messages (faults,
hidden checks, earlier failures) are stored in English and translated here, after grading, for
what the student reads: the feedback page (after HideHiddenTests) and nbgrader's Validate button
(after Execute, in the students' nbgrader settings). Only words change: scores were decided
before and nothing here reads them.
"""

from __future__ import annotations

import re
from pathlib import Path

from nbconvert.preprocessors import Preprocessor

from coursetools.course.assignments import is_autograder_test
from coursetools.course.language import ENGLISH, for_notebook, notebook_language

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def assignment_of(resources: dict) -> str | None:
    """The assignment: nbgrader's resources say it when grading; Validate runs in its folder."""
    named = resources.get("nbgrader", {}).get("assignment")
    if named:
        return named
    try:
        import course_config
    except ImportError:
        return None
    here = Path.cwd().name
    return here if here in getattr(course_config, "ASSIGNMENTS", {}) else None


def translate_outputs(outputs, messages) -> None:
    """Error messages, their traceback lines and stream lines of a test cell, translated in place."""
    for output in outputs:
        kind = output.get("output_type")
        if kind == "error":
            output["evalue"] = messages.translate(str(output.get("evalue", "")))
            lines = []
            for line in output.get("traceback") or []:
                plain = ANSI.sub("", str(line))
                translated = messages.translate(plain)
                lines.append(translated if translated != plain else line)
            if lines:
                output["traceback"] = lines
        elif kind == "stream":
            text = str(output.get("text", ""))
            output["text"] = "\n".join(messages.translate(line) for line in text.split("\n"))


class TranslateMessages(Preprocessor):
    enabled = True

    def preprocess(self, nb, resources):
        if notebook_language(nb) == ENGLISH:
            return nb, resources
        messages = for_notebook(nb, assignment_of(resources))
        for cell in nb.cells:
            if cell.get("cell_type") == "code" and is_autograder_test(cell):
                translate_outputs(cell.get("outputs", []), messages)
        return nb, resources
