"""The course's one rule for grades still to be entered by hand (coursetools/workflow/scores.py),
against nbgrader's own gradebook."""

from types import SimpleNamespace

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from coursetools.course.assignments import heading_titles
from coursetools.workflow.scores import StepScore, is_pending, total

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("auto", "manual", "flag", "pending", "why"),
    [
        (None, None, True, True, "a written answer nobody graded: nbgrader's score reads 0"),
        (0.0, None, True, True, "an automatic 0 nbgrader flagged for a manual grade"),
        (None, 0.5, True, False, "entered with manual_score alone: the flag is stale"),
        (1.0, 0.0, True, False, "regraded after a manual grade: nbgrader flags it again, the grade stands"),
        (1.0, None, False, False, "an automatic grade"),
        (0.0, None, False, False, "an unchanged answer: nbgrader's automatic 0"),
        (None, None, False, True, "no score at all is never a 0"),
    ],
)
def test_pending_means_nobody_entered_a_grade_nbgrader_needs(auto, manual, flag, pending, why):
    grade = SimpleNamespace(auto_score=auto, manual_score=manual, needs_manual_grade=flag)
    assert is_pending(grade) is pending, why


def test_totals_count_pending_points_apart():
    steps = [StepScore("nb", "a", 1.0, 1.0), StepScore("nb", "b", None, 2.0), StepScore("nb", "c", 0.5, 1.0)]
    assert total(steps) == (1.5, 4.0, 2.0)
    assert total(steps).pending == 2.0 and [s.shown() for s in steps] == ["1/1", "?/2", "0.5/1"]


def test_steps_are_titled_by_the_nearest_heading_above_them():
    grade = {"grade": True, "solution": False, "points": 1}
    nb = new_notebook(
        cells=[
            new_markdown_cell("# Homework\n\nIntro"),
            new_code_cell("x = 1", metadata={"nbgrader": {**grade, "grade_id": "first"}}),
            new_markdown_cell("Text, then\n## Part *two*\nmore text\n### 2b. Details"),
            new_code_cell("y = 2"),
            new_code_cell("assert y", metadata={"nbgrader": {**grade, "grade_id": "second"}}),
            new_markdown_cell("An answer", metadata={"nbgrader": {**grade, "solution": True, "grade_id": "essay"}}),
        ]
    )
    nb = nbformat.from_dict(nb)
    assert heading_titles(nb) == {"first": "Homework", "second": "2b. Details", "essay": "2b. Details"}
