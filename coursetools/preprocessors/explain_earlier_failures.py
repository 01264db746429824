"""nbgrader's Validate button: name the earlier cell whose failure made a check fail.

Validate runs the notebook with nbgrader's Execute preprocessor and lists the checks
that failed; when the data-loading cell failed, every later check only says
"name 'train_x' is not defined". The students' nbgrader settings (jupyter_roles.py)
install ExplainEarlierFailures as nbclient's `on_cell_error` hook (nbgrader's Execute
takes `on_cell_executed` for itself), which adds the earlier failure to the check's
error, as the grader and `./course check` do.
"""

from __future__ import annotations

import os

from coursetools.preprocessors.earlier_failures import EarlierFailures


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
