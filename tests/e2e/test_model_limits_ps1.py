"""ps1's accuracy step against models that memorise the test images: graded end to end.

ps1 grades the student's own trained model, so what stops memorisation is the size and
layer limits (MAX_PARAMETERS, ALLOWED_LAYERS) and the comparison with training images the
grader picks at grading time. ps2's cases are in ps2_cases.py.
"""

from dataclasses import dataclass

import nbformat
import pytest

from coursetools.workflow import samples
from coursetools.workflow.course_copy import make_course_copy
from coursetools.workflow.scores import step_scores

from .conftest import NOTEBOOK, run_cli, write
from .ps2_cases import POOLING

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# The reference's answers up to the evaluation; the attack replaces `model` there (after the
# build, compile and train steps have checked the honest one) and measures it.
EVALUATE = "test_loss, test_accuracy = model.evaluate(test_x, test_y)"


@dataclass
class Case:
    name: str
    why: str
    evaluate: str  # the answer of the evaluate-model cell
    expected: int
    says: str  # in the failed accuracy step's message


CASES = [
    Case(
        "memorises-test-images-and-the-old-fixed-slice",
        "no training: a nearest-neighbour lookup built from Dense layers holding the test images and the "
        "first 5,000 training images (the old check's fixed slice), 4x4-averaged: 938k parameters, within "
        "MAX_PARAMETERS, 100 % on the test images; on the 10,000 training images the grader draws at random "
        "most are not memorised, so the accuracy step (4 points) is lost",
        POOLING + "memory = np.concatenate([test_x, train_x[:5000]]).reshape(-1, 784).astype('float32') @ pool\n"
        "labels = np.concatenate([test_y, train_y[:5000]]).astype('float32')\n"
        "model = keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Flatten(), "
        "keras.layers.Dense(49, use_bias=False), keras.layers.Dense(len(memory)), "
        "keras.layers.Activation('softmax'), keras.layers.Dense(10, use_bias=False)])\n"
        "model.layers[1].set_weights([pool])\n"
        "model.layers[2].set_weights([2000 * memory.T, -1000 * (memory**2).sum(axis=1)])\n"
        "model.layers[4].set_weights([labels])\n"
        "model.compile(loss='categorical_crossentropy', metrics=['accuracy'])\n" + EVALUATE,
        expected=11,
        says="better on the test images than on the training images",
    ),
    Case(
        "fifty-million-parameters",
        "the honest model's accuracy reported, then `model` replaced by one of 50.9M parameters: the "
        "accuracy step refuses it with the limit before measuring anything",
        EVALUATE + "\nmodel = keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Flatten(), "
        "keras.layers.Dense(64000, activation='relu'), keras.layers.Dense(10, activation='softmax')])",
        expected=11,
        says="more than MAX_PARAMETERS = 2,000,000",
    ),
]


@pytest.fixture(scope="module")
def graded_ps1(tmp_path_factory):
    course = make_course_copy(tmp_path_factory.mktemp("ps1-limits") / "course")
    assert run_cli(course, "release", "--assignment", "ps1").returncode == 0
    release = nbformat.read(course / "release" / "ps1" / NOTEBOOK, as_version=4)
    reference = samples.solution_code(nbformat.read(course / "source" / "ps1" / NOTEBOOK, as_version=4))
    for case in CASES:
        write(course, case.name, samples.fill(release, {**reference, "evaluate-model": case.evaluate}))
    result = run_cli(course, "autograde", "--assignment", "ps1")
    return course, result


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
