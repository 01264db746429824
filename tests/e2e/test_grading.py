"""Grade whole ps1 submissions through the real command (`python -m coursetools autograde`).

One scratch course is graded once per test session: the bundled sample class, the Keras
corpus and the honest corpus, all in one parallel batch. The engine's attacks, faults and
bad input grade a small assignment instead (test_engine_corpus.py).
"""

import json

import nbformat
import pytest

from coursetools.workflow.scores import step_scores

from .conftest import MAX_SCORE, NOTEBOOK, SAMPLE_SCORES
from .corpus import CORPUS

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def outputs_text(course, student):
    nb = nbformat.read(course / "autograded" / student / "ps1" / NOTEBOOK, as_version=4)
    return "\n".join(json.dumps(c.get("outputs", [])) for c in nb.cells if c.cell_type == "code")


def total(course, student):
    return sum(step.score or 0 for step in step_scores(course, "ps1", student))


def test_the_whole_batch_is_graded_without_a_failure(graded):
    _, result = graded
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


@pytest.mark.parametrize("student", sorted(SAMPLE_SCORES))
def test_sample_class_scores(graded, student):
    course, _ = graded
    steps = step_scores(course, "ps1", student)
    assert sum(s.max_score for s in steps) == MAX_SCORE
    assert sum(s.score for s in steps) == SAMPLE_SCORES[student], [(s.grade_id, s.score) for s in steps]


def test_reference_solution_gets_every_step(graded):
    course, _ = graded
    assert all(s.score == s.max_score for s in step_scores(course, "ps1", "reference-solution"))


def test_partial_submission_gets_exactly_its_completed_steps(graded):
    course, _ = graded
    earned = {s.grade_id for s in step_scores(course, "ps1", "partial-first-five-steps") if s.score}
    assert earned == {"test-imports", "test-load-data", "test-class-names", "test-normalize", "test-one-hot"}


def test_undertrained_model_loses_only_the_accuracy_points(graded):
    course, _ = graded
    lost = {s.grade_id for s in step_scores(course, "ps1", "undertrained-model") if s.score < s.max_score}
    assert lost == {"test-evaluate-model"}


@pytest.mark.parametrize("case", CORPUS, ids=[c.name for c in CORPUS])
def test_keras_attacks_gain_nothing(graded, case):
    course, result = graded
    assert total(course, case.name) == case.expected, case.why
    to_review = sum(s.max_score for s in step_scores(course, "ps1", case.name) if s.needs_manual_grade)
    assert to_review == case.review, f"{case.name}: points flagged for manual grading"
    if case.reported:
        assert case.reported in result.stderr and case.name in result.stderr
        assert step_scores(course, "ps1", case.name) == [], "a tampered notebook must not be graded"
        return
    text = outputs_text(course, case.name)
    for expected in case.expect_in_outputs:
        assert expected in text
