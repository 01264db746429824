"""Feedback text is safe to print: no terminal codes, no student markup that runs."""

import pytest
from bs4 import BeautifulSoup
from nbconvert.filters.markdown import markdown2html
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from coursetools.preprocessors import feedback_summary
from coursetools.preprocessors.feedback_summary import FeedbackSummary, table_cell
from coursetools.preprocessors.hide_hidden_tests import HideHiddenTests
from coursetools.preprocessors.sanitize_outputs import plain_text

pytestmark = pytest.mark.unit


def test_terminal_colour_codes_and_control_characters_are_removed():
    raw = "\x1b[1;31mValueError\x1b[0m: bad \x07input\x1b]0;title\x07"
    assert plain_text(raw) == "ValueError: bad  input0;title "


def test_a_table_cell_stays_one_bounded_escaped_line():
    cell = table_cell("line one\nline | two <script>alert(1)</script>" + "x" * 1000, limit=60)
    assert "\n" not in cell and "|" not in cell.replace("&#124;", "") and "<script>" not in cell
    assert len(cell) < 200


def _test_cell(source, outputs, grade_id="test-step"):
    cell = new_code_cell(source, metadata={"nbgrader": {"grade": True, "grade_id": grade_id, "points": 1}})
    cell.outputs = outputs
    return cell


def _error(ename, evalue, line):
    return new_output(
        "error", ename=ename, evalue=evalue, traceback=[f"\x1b[0;31m---\x1b[0m\nCell In[3], line {line}\n", "x"]
    )


def test_the_summary_shows_student_text_as_inert_text():
    hostile = "[click me](javascript:alert(1)) ![x](http://tracker.example/p.png) <img src=x onerror=alert(1)>"
    nb = new_notebook(cells=[_test_cell("assert f(1) == 2", [new_output("error", ename="ValueError", evalue=hostile)])])
    nb.metadata["coursetools"] = {"fault": "the kernel said [x](javascript:alert(2))", "insights": {}}
    summary, _ = FeedbackSummary()(nb, {})
    cell = summary.cells[0]
    page = markdown2html(cell.source)  # as nbconvert renders the feedback's Markdown cells
    soup = BeautifulSoup(page, "html.parser")
    assert [t.name for t in soup.find_all(["a", "img", "script"])] == []
    assert "[click me](javascript:alert(1))" in soup.get_text() and "<img src=x" in soup.get_text()
    assert "mathjax_ignore" in soup.div["class"], "MathJax would make a link of $\\href{...}$"


def test_a_plugin_that_fails_on_a_students_numbers_costs_only_the_pictures(monkeypatch):
    def broken(assignment, insights):
        raise ValueError("Axis limits cannot be NaN or Inf")

    monkeypatch.setattr(feedback_summary.plugins, "pictures", broken)
    nb = new_notebook(cells=[_test_cell("assert True", [])])
    nb.metadata["coursetools"] = {"insights": {"history": {"loss": [float("nan")]}}}
    summary, _ = FeedbackSummary()(nb, {"nbgrader": {"assignment": "any", "student": "s"}})
    assert "Your result: 1 / 1" in summary.cells[0].source and "<img" not in summary.cells[0].source


def test_a_test_with_hidden_parts_shows_only_its_verdict():
    source = "assert f(1) == 1, 'f(1) should be 1'\n### BEGIN HIDDEN TESTS\nassert f(SECRET) == 2, 'hidden'\n### END HIDDEN TESTS"
    printed = new_output("stream", name="stdout", text="SECRET=[2.0, 4.0]\n")
    cases = {
        "visible line": ([_error("AssertionError", "f(1) should be 1", 1)], "AssertionError: f(1) should be 1"),
        "hidden line": ([printed, _error("ValueError", "array([2.0, 4.0])", 3)], "a hidden check of this step failed"),
        "no line found": ([_error("ValueError", "array([2.0, 4.0])", "?")], "a hidden check of this step failed"),
        "passed": ([printed], "This check passed."),
    }
    for name, (outputs, shown) in cases.items():
        nb, _ = HideHiddenTests()(new_notebook(cells=[_test_cell(source, outputs)]), {})
        text = str(nb.cells[0].outputs)
        assert shown in text and "2.0" not in text and "SECRET" not in nb.cells[0].source, name


def test_after_a_hidden_test_a_visible_test_shows_no_message_a_student_function_could_fill():
    hidden = _test_cell("### BEGIN HIDDEN TESTS\ng(SECRET)\n### END HIDDEN TESTS", [], "test-one")
    later = _test_cell("assert h() == 0, f'h() gave {h()}'", [_error("AssertionError", "h() gave 4.0", 1)], "test-two")
    nb, _ = HideHiddenTests()(new_notebook(cells=[hidden, later]), {})
    assert "4.0" not in str(nb.cells[1].outputs) and "AssertionError" in str(nb.cells[1].outputs)


def test_a_visible_only_test_before_any_hidden_one_keeps_its_output():
    cell = _test_cell("print('ok'); assert x == 1, 'x should be 1'", [_error("AssertionError", "x should be 1", 1)])
    nb, _ = HideHiddenTests()(new_notebook(cells=[cell]), {})
    assert nb.cells[0].outputs[0].traceback == ["AssertionError: x should be 1"]


def test_hidden_test_markers_in_a_students_cell_break_nothing():
    student = new_code_cell("### BEGIN HIDDEN TESTS\nprint('mine')", metadata={"nbgrader": {"solution": True}})
    nb, _ = HideHiddenTests()(new_notebook(cells=[student, new_markdown_cell("### END HIDDEN TESTS")]), {})
    assert nb.cells[0].source == "### BEGIN HIDDEN TESTS\nprint('mine')"


def test_a_hidden_test_that_ran_no_student_code_says_what_it_found():
    # A model's accuracy measured on the grader's data: no hidden input reached the student's code.
    source = (
        "assert True\n### BEGIN HIDDEN TESTS\nassert acc >= 0.85, f'your accuracy was {acc:.3f}'\n### END HIDDEN TESTS"
    )
    cell = _test_cell(source, [_error("AssertionError", "your accuracy was 0.801", 3)])
    cell.metadata["coursetools"] = {"student_code_called": False}  # written by the grader for every test it runs
    nb, _ = HideHiddenTests()(new_notebook(cells=[cell]), {})
    assert "your accuracy was 0.801" in str(nb.cells[0].outputs)


def test_a_hidden_test_keeps_its_message_hidden_unless_the_grader_saw_no_call():
    source = "### BEGIN HIDDEN TESTS\nassert f(SECRET) == 2, f'f gave {f(SECRET)}'\n### END HIDDEN TESTS"
    for meta in ({"student_code_called": True}, "not a dict", {}, {"student_code_called": 0}):
        cell = _test_cell(source, [_error("AssertionError", "f gave [2.0, 4.0]", 2)])
        cell.metadata["coursetools"] = meta  # a submission's own metadata (never run) or the grader's
        nb, _ = HideHiddenTests()(new_notebook(cells=[cell]), {})
        assert "2.0" not in str(nb.cells[0].outputs), meta
