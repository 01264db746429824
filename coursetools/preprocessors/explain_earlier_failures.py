"""nbgrader's Validate button: name the earlier cell whose failure made a check fail, in the
language of the student's notebook.

Validate runs the notebook with nbgrader's Execute preprocessor and lists the checks
that failed; when the data-loading cell failed, every later check only says
"name 'train_x' is not defined". The students' nbgrader settings (jupyter_roles.py)
install ExplainEarlierFailures as nbclient's `on_cell_error` hook (nbgrader's Execute
takes `on_cell_executed` for itself), which adds the earlier failure to the check's
error, as the grader and `./course check` do, and `notebook_started` as the
`on_notebook_start` hook, which reads the notebook's language (language.py): the check's
messages are then translated as the feedback's are (translate_messages.py).
"""

from __future__ import annotations

import os

from coursetools.course.assignments import is_autograder_test
from coursetools.course.language import Messages, for_notebook
from coursetools.preprocessors.earlier_failures import EarlierFailures
from coursetools.preprocessors.translate_messages import assignment_of, translate_outputs

# The language of the notebook being validated. Module state, not the hook's: traitlets copies
# each configured hook, so on_notebook_start and on_cell_error hold different objects. Validate
# runs one notebook at a time; at worst a concurrent one would pick the other's words.
_validating = {"messages": Messages()}


def notebook_started(notebook=None, **_) -> None:
    """nbclient's on_notebook_start hook (given the notebook): its language, for the messages."""
    # Validate runs in the notebook's folder, named for its assignment (assignment_of)
    _validating["messages"] = for_notebook(notebook, assignment_of({})) if notebook is not None else Messages()


class ExplainEarlierFailures:
    """nbclient hook, called for each cell that raised: record student cells, explain checks."""

    def __init__(self):
        self._failures = EarlierFailures()
        self._last_index = -1

    def __call__(self, cell, cell_index: int, **_) -> None:
        # Only while validating: the grader explains failures itself (execute.py).
        if os.environ.get("NBGRADER_VALIDATING") != "1" or cell.get("cell_type") != "code":
            return
        if cell_index <= self._last_index:  # the notebook is being run again
            self._failures = EarlierFailures()
        self._last_index = cell_index
        self._failures.after_cell(cell, cell_index)
        messages = _validating["messages"]
        if is_autograder_test(cell) and messages.entries:
            translate_outputs(cell.get("outputs", []), messages)
