"""scores.py reads nbgrader's own gradebook: grades entered by hand (flag stale or not), comments,
pending grades nbgrader stores as 0."""

import os
import sys

import pytest
from nbgrader.api import Gradebook

from coursetools.workflow.scores import StepScore, notebook_scores, total

pytestmark = pytest.mark.functional


def test_notebook_scores_read_nbgraders_gradebook(tmp_path, monkeypatch):
    # nbgrader runs `alembic` by name when it creates a gradebook: the one next to this interpreter
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gb:
        gb.add_assignment("hw")
        gb.add_notebook("nb", "hw")
        gb.add_grade_cell("test-a", "nb", "hw", max_score=1, cell_type="code")
        gb.add_grade_cell("essay", "nb", "hw", max_score=2, cell_type="markdown")
        gb.add_solution_cell("essay", "nb", "hw")
        gb.add_grade_cell("essay-2", "nb", "hw", max_score=2, cell_type="markdown")
        gb.add_student("alice")
        gb.add_submission("hw", "alice")
        auto = gb.find_grade("test-a", "nb", "hw", "alice")
        auto.auto_score, auto.needs_manual_grade = 1.0, False
        entered = gb.find_grade("essay", "nb", "hw", "alice")
        entered.manual_score = 0.5  # the flag left set, as nbgrader's API leaves it
        gb.find_comment("essay", "nb", "hw", "alice").manual_comment = "Name the optimiser. "
        gb.db.commit()
        found = notebook_scores(gb, "hw", "nb", "alice")
    assert found["test-a"] == StepScore("nb", "test-a", 1.0, 1.0, "test-a")
    assert found["essay"] == StepScore(
        "nb", "essay", 0.5, 2.0, "essay", by_instructor=True, comment="Name the optimiser."
    )
    assert found["essay-2"].needs_manual_grade, "nbgrader's score is 0; nobody graded it"
    assert total(found.values()) == (1.5, 5.0, 2.0)
