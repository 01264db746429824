"""Assignment knowledge lives with the assignment: the engine finds it through plugins.py."""

import pytest

import course_config
from coursetools.course import assignments, plugins

pytestmark = pytest.mark.unit
ROOT = course_config.COURSE_ROOT
GENERIC_MODULES = sorted((ROOT / "coursetools").rglob("*.py"))


@pytest.mark.parametrize("module", GENERIC_MODULES, ids=lambda p: str(p.relative_to(ROOT / "coursetools")))
def test_generic_modules_name_no_assignment(module):
    text = module.read_text()
    for assignment in course_config.ASSIGNMENTS:
        assert assignment not in text, f"{module.name} names the assignment {assignment!r}"
        for notebook in assignments.notebooks(assignment):
            assert notebook not in text, f"{module.name} names the notebook {notebook!r}"
        for grade_id in plugins.step_titles(assignment):
            assert grade_id not in text, f"{module.name} names the grade id {grade_id!r}"


def test_an_assignment_without_a_plugin_has_plain_titles_and_no_pictures(tmp_path):
    (tmp_path / "source" / "bare").mkdir(parents=True)
    assert plugins.step_titles("bare", tmp_path) == {} and plugins.sample_class("bare", tmp_path) == {}
    assert plugins.step_title(None, "test-x") == "test-x" and plugins.pictures(None, {"a": 1}) == []


def test_a_bare_list_of_notebooks_is_an_assignment_entry(monkeypatch):
    monkeypatch.setitem(course_config.ASSIGNMENTS, "extra", ["one", "two"])
    assert assignments.notebooks("extra") == ["one", "two"] and assignments.settings("extra") == {}


def test_an_unknown_assignment_names_the_known_ones():
    with pytest.raises(assignments.CommandError, match="Known assignments: ps1"):
        assignments.notebooks("ps9")
