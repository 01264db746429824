import copy

import nbformat
import pytest

import course_config
from coursetools.workflow import leak_checks

pytestmark = pytest.mark.unit
ROOT = course_config.COURSE_ROOT
SOURCE = nbformat.read(ROOT / "source/ps1/fashion_mnist.ipynb", as_version=4)
RELEASE = nbformat.read(ROOT / "release/ps1/fashion_mnist.ipynb", as_version=4)


def cell(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def test_committed_release_has_no_leaks():
    assert leak_checks.find_leaks(SOURCE, RELEASE) == []


def test_a_solution_line_left_in_the_release_is_found():
    leaky = copy.deepcopy(RELEASE)
    cell(leaky, "normalize").source = "train_x = train_x / 255.0"
    assert any("solution or hidden-test code" in p for p in leak_checks.find_leaks(SOURCE, leaky))


def test_a_hidden_test_line_left_in_the_release_is_found():
    leaky = copy.deepcopy(RELEASE)
    cell(leaky, "test-evaluate-model").source = cell(SOURCE, "test-evaluate-model").source
    problems = leak_checks.find_leaks(SOURCE, leaky)
    assert any("BEGIN HIDDEN TESTS" in p for p in problems)
    assert any("_graded_accuracy" in p for p in problems)


def test_outputs_in_the_release_are_found():
    leaky = copy.deepcopy(RELEASE)
    cell(leaky, "load-data").outputs = [nbformat.v4.new_output("stream", text="(60000, 28, 28)")]
    assert any("outputs" in p for p in leak_checks.find_leaks(SOURCE, leaky))


def test_lines_shown_openly_elsewhere_are_not_leaks():
    # `import keras` is in a hidden test but also in the visible settings cell.
    assert "import keras" not in leak_checks.secret_lines(SOURCE)


def test_committed_notebooks_have_no_outputs_or_execution_counts():
    for path in (
        list(ROOT.glob("source/*/*.ipynb"))
        + list(ROOT.glob("release/*/*.ipynb"))
        + list(ROOT.glob("examples/submitted/*/*/*.ipynb"))
    ):
        nb = nbformat.read(path, as_version=4)
        for c in nb.cells:
            if c.cell_type == "code":
                assert not c.outputs and c.execution_count is None, path
