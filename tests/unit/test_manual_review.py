"""A test that could not check its value: fixed words, and counted apart in the instructor's summary."""

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from coursetools.engine.carriers import NOT_CARRIED, SUPPORTED_KINDS
from coursetools.preprocessors import manual_review

pytestmark = pytest.mark.unit

INFO = {"student": "alice", "assignment": None, "notebook": "nb"}
STUDENT_TEXT = "<img src=x onerror=alert(1)> my MyClass"


def check_cell(grade_id, points=1, error=None, printed=None):
    cell = new_code_cell(
        "assert squares(3) == [1, 4, 9]",
        metadata={"nbgrader": {"grade": True, "solution": False, "grade_id": grade_id, "points": points}},
    )
    if printed:
        cell.outputs.append(new_output("stream", name="stdout", text=printed))
    if error:
        ename, evalue = error
        cell.outputs.append(new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"]))
    return cell


def not_carried(reason):
    return ("NotCarried", f"`squares` returned a {STUDENT_TEXT}, which the grader cannot carry ({reason})")


def written_answer(grade_id="reflection", points=1):
    return new_markdown_cell(
        "text", metadata={"nbgrader": {"grade": True, "solution": True, "grade_id": grade_id, "points": points}}
    )


@pytest.mark.parametrize("by_hand", [False, True])
def test_the_message_is_fixed_whatever_the_checker_said(by_hand):
    cell = check_cell("test-squares", error=not_carried(NOT_CARRIED["too-deep"]), printed="the test printed this\n")
    manual_review.state_in_fixed_words(cell, by_hand=by_hand)
    printed, error = cell.outputs
    assert printed.text == "the test printed this\n", "the test's other outputs stay"
    assert error.ename == "NotCarried" and error.traceback == [f"NotCarried: {error.evalue}"]
    assert "img" not in str(cell.outputs) and "MyClass" not in str(cell.outputs)
    assert f"checking kernel: {NOT_CARRIED['too-deep']}." in error.evalue
    if by_hand:
        assert "grade by hand" in error.evalue and "safe_mode=False" in error.evalue
    else:
        assert SUPPORTED_KINDS in error.evalue and "by hand" not in error.evalue


def test_a_reason_that_is_not_the_graders_own_is_left_out():
    cell = check_cell("test-squares", error=not_carried("[click me](http://evil.example)"))
    manual_review.state_in_fixed_words(cell, by_hand=False)
    assert "evil" not in cell.outputs[0].evalue
    assert cell.outputs[0].evalue.startswith("This step could not be checked: the grader cannot carry a value it uses")


def test_the_summary_counts_could_not_check_apart_from_passed_and_by_hand():
    nb = new_notebook(
        cells=[
            check_cell("test-squares", error=not_carried(NOT_CARRIED["other-kind"])),
            check_cell("test-values"),
            check_cell("test-normalize", points=2, error=("AssertionError", "wrong")),
            written_answer(),
        ]
    )
    line = manual_review.summary_line(nb, INFO)
    assert line == (
        "alice, None/nb: 1/4 points; failed: test-normalize (0/2); could not be checked: test-squares (0/1); "
        "1 to grade by hand"
    )


def test_every_automatic_check_passed_is_never_said_of_a_step_that_could_not_be_checked():
    nb = new_notebook(cells=[check_cell("test-squares", error=not_carried("x")), check_cell("test-values")])
    assert (
        manual_review.summary_line(nb, INFO) == "alice, None/nb: 1/2 points; could not be checked: test-squares (0/1)"
    )
    opted_in = manual_review.summary_line(nb, INFO, by_hand_tests={"test-squares"})
    assert (
        opted_in
        == "alice, None/nb: 1/1 points; could not be checked: test-squares (to grade by hand); 1 to grade by hand"
    )
    nb.cells[0].outputs = []
    assert manual_review.summary_line(nb, INFO) == "alice, None/nb: 2/2 points; every automatic check passed"


def test_only_test_cells_can_be_could_not_check():
    answer = written_answer()
    answer.outputs = [new_output("error", ename="NotCarried", evalue="", traceback=[])]
    assert not manual_review.could_not_check(answer)
    assert manual_review.could_not_check(check_cell("t", error=not_carried("x")))
