"""ps1's accuracy step against models that memorise the test images: graded end to end.

ps1 grades the student's own trained model, so what stops memorisation is the size and
layer limits (MAX_PARAMETERS, ALLOWED_LAYERS) and the comparison with training images the
grader picks at grading time. The cases (corpus.MODEL_LIMIT_CASES) are graded in the session's
one ps1 batch (conftest.graded_ps1); ps2's cases are in ps2_cases.py.
"""

import nbformat
import pytest

from coursetools.workflow.scores import step_scores

from .conftest import NOTEBOOK
from .corpus import MODEL_LIMIT_CASES as CASES

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def accuracy_step_output(course, student):
    nb = nbformat.read(course / "autograded" / student / "ps1" / NOTEBOOK, as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test-evaluate-model")
    return "\n".join(str(o.get("evalue", "")) + "".join(o.get("traceback", [])) for o in cell.get("outputs", []))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_memorising_or_oversized_models_lose_the_accuracy_step(graded_ps1, case):
    course, result = graded_ps1
    steps = step_scores(course, "ps1", case.name)
    assert steps, result.stdout[-2000:] + result.stderr[-2000:]
    lost = {s.grade_id for s in steps if s.score != s.max_score}
    assert sum(s.score or 0 for s in steps) == case.expected, f"{case.why}; lost {lost}"
    assert lost == {"test-evaluate-model"}
    assert case.says in accuracy_step_output(course, case.name)
