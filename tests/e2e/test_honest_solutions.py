"""Honest ps1 solutions, written the ways real students write Keras, get every point they earned."""

import pytest

from coursetools.workflow.scores import step_scores

from .honest import HONEST

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.mark.parametrize("case", HONEST, ids=[c.name for c in HONEST])
def test_honest_solution_gets_its_points(graded_honest, case):
    course, result = graded_honest
    steps = step_scores(course, "ps1", case.name)
    lost = [(s.grade_id, s.shown()) for s in steps if s.score != s.max_score]
    assert steps, f"{case.name} was not graded:\n{result.stdout}\n{result.stderr}"
    assert sum(s.score or 0 for s in steps) == case.expected, f"{case.why}; lost: {lost}"


def test_an_honest_deviation_costs_only_its_own_step(graded_honest):
    course, _ = graded_honest
    lost = [s.grade_id for s in step_scores(course, "ps1", "flat-pixels-instead-of-flatten") if s.score != s.max_score]
    assert lost == ["test-build-model"]
