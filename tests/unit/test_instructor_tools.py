"""The instructor's tools around an assignment: the scaffold, the choice of assignment, stale
tests, grades by hand, and a course kernel that prints no transport notices."""

import json
import os
import subprocess
import sys

import nbformat
import pytest
from nbgrader import utils
from nbgrader.api import Gradebook

import course_config
from coursetools import cli
from coursetools.course import kernelspec, plugins, scaffold
from coursetools.course.nbgrader_settings import gradebook_url
from coursetools.errors import CommandError
from coursetools.workflow import manual_grades, stale_tests
from coursetools.workflow.scores import step_scores, total

pytestmark = pytest.mark.unit
ID = "hw_unit"


@pytest.fixture
def course(tmp_path, monkeypatch):
    """A course root holding the scaffold's assignment, known to course_config."""
    monkeypatch.setattr(course_config, "ASSIGNMENTS", {**course_config.ASSIGNMENTS})
    monkeypatch.setattr(course_config, "GRADEBOOK_URL", None)
    # nbgrader runs `alembic` by name when it creates a gradebook (as nbgrader_settings.apply says)
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    scaffold.write(ID, tmp_path)
    exec(scaffold.config_entry(ID), {"ASSIGNMENTS": course_config.ASSIGNMENTS})  # the line an instructor pastes
    return tmp_path


def source_nb(root):
    return nbformat.read(root / "source" / ID / f"{ID}.ipynb", as_version=4)


def test_the_scaffold_holds_one_cell_of_each_kind_with_nbgrader_metadata(course):
    nb = source_nb(course)
    nbformat.validate(nb)
    cells = [c for c in nb.cells if "nbgrader" in c.metadata]
    kinds = {
        c.metadata.nbgrader.grade_id: (utils.is_grade(c), utils.is_solution(c), utils.is_locked(c), c.cell_type)
        for c in cells
    }
    assert kinds == {
        "settings": (False, False, True, "code"),
        "encode-labels": (False, True, False, "code"),
        "test-encode-labels": (True, False, True, "code"),
        "scaled": (False, True, False, "code"),
        "test-scaled": (True, False, True, "code"),
        "explain": (True, True, False, "markdown"),
    }
    assert any(c.cell_type == "code" and "nbgrader" not in c.metadata for c in nb.cells), "given code"
    (hidden,) = [c for c in cells if c.metadata.nbgrader.grade_id == "test-encode-labels"]
    assert hidden.source.index("### BEGIN HIDDEN TESTS") < hidden.source.index("### END HIDDEN TESTS")
    namespace = {}
    exec(cells[0].source, namespace)  # the locked cell shows the course's settings
    assert {k: namespace[k] for k in scaffold.SETTINGS} == course_config.ASSIGNMENTS[ID]["settings"]


def test_the_plugin_stub_names_every_graded_step(course):
    titles = plugins.step_titles(ID, course)
    graded = [c.metadata.nbgrader.grade_id for c in source_nb(course).cells if utils.is_grade(c)]
    assert sorted(titles) == sorted(graded)


@pytest.mark.parametrize("bad", ["", "PS3", "3rd", "hw-3", "../x", "a b", "x" * 41, "ps1"])
def test_a_bad_or_taken_id_is_refused_and_nothing_is_written(tmp_path, bad):
    with pytest.raises(CommandError, match="not a usable assignment id|already an assignment"):
        scaffold.write(bad, tmp_path)
    assert not (tmp_path / "source").exists()


def test_an_existing_folder_is_refused(course):
    with pytest.raises(CommandError, match="already"):
        scaffold.write(ID, course)
    (course / "source" / "hw_other").mkdir()
    with pytest.raises(CommandError, match="source/hw_other/ already exists"):
        scaffold.write("hw_other", course)


def test_adding_to_the_config_appends_one_line_that_python_reads(tmp_path):
    config = tmp_path / "course_config.py"
    config.write_text("ASSIGNMENTS = {'ps1': ['a']}")  # no final newline
    scaffold.write("hw9", tmp_path, add_to_config=True)
    namespace = {}
    exec(config.read_text(), namespace)
    assert namespace["ASSIGNMENTS"] == {"ps1": ["a"], "hw9": {"notebooks": ["hw9"], "settings": scaffold.SETTINGS}}


def test_with_several_assignments_none_is_chosen_silently(monkeypatch):
    monkeypatch.setattr(course_config, "ASSIGNMENTS", {"a1": ["n"], "a2": ["m"]})
    with pytest.raises(CommandError, match="Give --assignment with one of: a1, a2"):
        cli.chosen_assignment(None)
    assert cli.chosen_assignment("a2") == "a2"
    monkeypatch.setattr(course_config, "ASSIGNMENTS", {"only": ["n"]})
    assert cli.chosen_assignment(None) == "only"


def record_release(root):
    """What `nbgrader generate_assignment` stores (SaveCells), and alice's graded submission."""
    nb = source_nb(root)
    with Gradebook(gradebook_url(root)) as gb:
        gb.add_assignment(ID)
        gb.add_notebook(ID, ID)
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader")
            if not meta:
                continue
            name = meta["grade_id"]
            if utils.is_grade(cell):
                gb.add_grade_cell(name, ID, ID, max_score=meta["points"], cell_type=cell.cell_type)
            if utils.is_solution(cell):
                gb.add_solution_cell(name, ID, ID)
            gb.add_source_cell(name, ID, ID, cell_type=cell.cell_type, locked=utils.is_locked(cell), source=cell.source)
        gb.add_student("alice")
        gb.add_submission(ID, "alice")
        for grade_id, score in (("test-encode-labels", 2), ("test-scaled", 0)):
            grade = gb.find_grade(grade_id, ID, ID, "alice")
            grade.auto_score, grade.needs_manual_grade = score, False
        gb.db.commit()


def edit_cell(root, grade_id, change):
    path = root / "source" / ID / f"{ID}.ipynb"
    nb = nbformat.read(path, as_version=4)
    change(next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id))
    nbformat.write(nb, path)


def test_tests_changed_in_source_after_the_release_are_found(course):
    assert stale_tests.stale_tests(course, ID) == [], "never released: nothing to compare"
    record_release(course)
    assert stale_tests.stale_tests(course, ID) == []
    edit_cell(course, "test-encode-labels", lambda c: setattr(c, "source", c.source.replace("[1, 0, 3, 3]", "[1, 0]")))
    edit_cell(course, "test-scaled", lambda c: c.metadata.nbgrader.update(points=3))
    edit_cell(course, "settings", lambda c: setattr(c, "source", c.source + "\nEXTRA = 1"))
    edit_cell(course, "scaled", lambda c: setattr(c, "source", "scaled = 0"))  # an answer: not restored, not compared
    assert stale_tests.stale_tests(course, ID) == [  # in the notebook's order
        f"'settings' of {ID}.ipynb changed",
        f"'test-encode-labels' of {ID}.ipynb changed",
        f"'test-scaled' of {ID}.ipynb is worth 3 points now",
    ]
    message = stale_tests.stale_message(ID, stale_tests.stale_tests(course, ID))
    assert f"Run `./course release --assignment {ID}` first." in message


def test_a_removed_test_is_found(course):
    record_release(course)
    path = course / "source" / ID / f"{ID}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "test-scaled"]
    nbformat.write(nb, path)
    assert stale_tests.stale_tests(course, ID) == [f"'test-scaled' of {ID}.ipynb was removed"]


def test_a_grade_by_hand_clears_the_pending_flag_and_every_reader_agrees(course):
    record_release(course)
    assert [s.shown() for s in step_scores(course, ID, "alice")] == ["2/2", "0/1", "?/2"]
    entered = manual_grades.enter(course, ID, "alice", "explain", "1.5", "Say why.")
    assert str(entered) == 'alice, explain: 1.5/2 with the comment "Say why."'
    steps = step_scores(course, ID, "alice")
    assert [s.shown() for s in steps] == ["2/2", "0/1", "1.5/2"] and total(steps) == (3.5, 5, 0)
    with Gradebook(gradebook_url(course)) as gb:
        submission = gb.find_submission(ID, "alice")
        assert submission.score == 3.5 and not submission.needs_manual_grade  # what nbgrader's export reads
        assert gb.find_comment("explain", ID, ID, "alice").comment == "Say why."
    manual_grades.enter(course, ID, "alice", "test-scaled", 1)  # a test's score overridden by hand
    assert [s.shown() for s in step_scores(course, ID, "alice")] == ["2/2", "1/1", "1.5/2"]


def test_grading_by_hand_before_any_grading_creates_no_gradebook(course):
    with pytest.raises(CommandError, match="Nothing is graded yet"):
        manual_grades.enter(course, ID, "alice", "explain", 1)
    assert not (course / "gradebook.db").exists()


def test_a_csv_is_entered_whole_or_not_at_all(course, tmp_path):
    record_release(course)
    good = tmp_path / "good.csv"
    good.write_text("\ufeffStudent,Cell,Points,Comment\nalice,explain,2,Clear.\n,,,\n", encoding="utf-8")
    assert [str(g) for g in manual_grades.import_csv(course, ID, good)] == [
        'alice, explain: 2/2 with the comment "Clear."'
    ]
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "student,cell,points\nalice,explain,0\nbob,explain,1\nalice,explain,1\nalice,nothing,1\nalice,test-scaled,x\n"
    )
    with pytest.raises(CommandError) as error:
        manual_grades.import_csv(course, ID, bad)
    message = str(error.value)
    assert "Nothing was entered" in message
    assert "line 3 (bob, explain): No graded submission" in message
    assert "line 4 (alice, explain): the same cell is graded on line 2 too" in message
    assert "line 5 (alice, nothing): hw_unit has no graded cell 'nothing'" in message
    assert "line 6 (alice, test-scaled): points must be a number, not 'x'" in message
    assert step_scores(course, ID, "alice")[2].score == 2, "the good grade of line 2 was not entered either"


@pytest.mark.parametrize(
    "text, message",
    [
        ("name,points\nalice,1\n", "has no column student, cell"),
        ("student,cell,points\n", "has no grades in it"),
    ],
)
def test_a_csv_without_the_columns_or_rows_is_refused(course, tmp_path, text, message):
    record_release(course)
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(text)
    with pytest.raises(CommandError, match=message):
        manual_grades.import_csv(course, ID, sheet)


def test_the_course_kernel_prints_no_transport_notice(tmp_path):
    argv = [a.replace("{connection_file}", str(tmp_path / "kernel.json")) for a in kernelspec.wanted_argv()]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for _ in range(300):  # the kernel writes its connection file once its sockets are bound
            if (tmp_path / "kernel.json").exists() and json.loads((tmp_path / "kernel.json").read_text() or "{}"):
                break
            try:
                process.wait(timeout=0.1)
                break
            except subprocess.TimeoutExpired:
                continue
    finally:
        process.terminate()
    output = process.communicate(timeout=30)[0]
    assert (tmp_path / "kernel.json").exists(), output
    assert "TCP" not in output and "encryption" not in output, output
