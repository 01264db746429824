import nbformat
import pytest
from traitlets.config.loader import PyFileConfigLoader

import course_config
from coursetools.course import assignments
from coursetools.engine.execute import SandboxedExecute
from coursetools.preprocessors.hide_hidden_tests import HideHiddenTests

pytestmark = pytest.mark.unit
ROOT = course_config.COURSE_ROOT


# The locked settings cells match course_config.py: tests/unit/test_model_checks.py (every assignment).


def test_nbgrader_config_loads_the_sandboxed_grader():
    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    assert SandboxedExecute in config.Autograde.autograde_preprocessors
    assert "Execute" not in [p.__name__ for p in config.Autograde.autograde_preprocessors]
    assert HideHiddenTests in config.GenerateFeedback.preprocessors
    assert config.Execute.timeout == course_config.CELL_TIMEOUT_SECONDS > 30
    assert config.CourseDirectory.root == str(ROOT)


def test_points_add_up_to_the_total_the_notebook_announces():
    nb = nbformat.read(ROOT / "source/ps1/fashion_mnist.ipynb", as_version=4)
    points = sum(
        c.metadata["nbgrader"].get("points", 0) for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")
    )
    assert f"Points: {points:g} in total" in nb.cells[0].source


@pytest.mark.parametrize("package, module", sorted(course_config.STUDENT_PACKAGES.items()))
def test_every_student_package_is_installed_and_named_in_the_notebooks(package, module):
    import importlib

    importlib.import_module(module)
    for assignment in course_config.ASSIGNMENTS:
        for name in assignments.notebooks(assignment):
            intro = nbformat.read(ROOT / "source" / assignment / f"{name}.ipynb", as_version=4).cells[0].source
            assert package in intro, f"{assignment}/{name}.ipynb should tell students they may use {package}"
