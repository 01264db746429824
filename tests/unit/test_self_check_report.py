"""The self-check's report: hidden checks, answers still to write, the student's own numbers, one line each."""

import nbformat
from nbgrader import utils

from coursetools.course import plugins
from coursetools.student.self_check import (
    FAILED,
    PASSED,
    TO_ANSWER,
    WHEN_GRADED,
    CheckResult,
    hidden_only,
    numbers_cell,
    read_numbers,
    report_line,
    summary,
    unanswered,
)


def test_a_test_cell_with_only_comments_left_is_hidden():
    assert hidden_only(nbformat.v4.new_code_cell("# The grader calls it with other arguments here.\n\n"))
    assert not hidden_only(nbformat.v4.new_code_cell("# a comment\nassert x == 1"))


def test_an_answer_is_unanswered_while_it_matches_the_released_checksum():
    cell = nbformat.v4.new_markdown_cell("YOUR ANSWER HERE")
    cell.metadata["nbgrader"] = {"grade": True, "solution": True, "grade_id": "reflection", "points": 3}
    cell.metadata["nbgrader"]["checksum"] = utils.compute_checksum(cell)
    assert unanswered(cell)
    cell.source = "The validation loss rose after epoch 6."
    assert not unanswered(cell)


def test_numbers_come_back_from_the_cells_last_marked_line_and_failing_expressions_are_left_out():
    cell = numbers_cell({"a": "1 + 1", "b": "undefined_name"})
    namespace = {}
    printed = []
    exec(cell.source, {"print": printed.append, "__builtins__": __builtins__}, namespace)  # what the kernel runs
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="student noise\n" + printed[-1] + "\n")]
    assert read_numbers(cell) == {"a": "2"}
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="no marker here\n")]
    assert read_numbers(cell) == {}


def test_report_lines_say_what_a_student_can_do():
    assert report_line(CheckResult("2. build_model with other arguments", WHEN_GRADED, "")) == (
        "  LATER 2. build_model with other arguments: runs when graded (a hidden check)"
    )
    assert report_line(CheckResult("4. Reflection", TO_ANSWER, "")) == (
        "  TODO  4. Reflection: still to answer; graded by your instructor"
    )
    assert report_line(CheckResult("1c. Best epoch", PASSED, "ok", "best_epoch = 6")) == (
        "  PASS  1c. Best epoch  [yours: best_epoch = 6]"
    )
    assert report_line(CheckResult("3. Accuracy", FAILED, "AssertionError: low", "test accuracy 0.8")).startswith(
        "  FAIL  3. Accuracy: AssertionError: low"
    )


def test_the_summary_counts_visible_checks_and_names_what_is_left():
    results = [
        CheckResult("1", PASSED, "ok"),
        CheckResult("2", WHEN_GRADED, ""),
        CheckResult("4. Reflection", TO_ANSWER, ""),
    ]
    assert summary(results) == (
        False,
        "All 1 visible checks pass. 1 hidden check(s) run when graded. Still to answer: 4. Reflection.",
    )
    failed, text = summary([*results, CheckResult("3", FAILED, "x")])
    assert failed and text.startswith("1 of 2 checks failed")


def test_ps2_names_a_number_for_each_step_it_measures_and_they_are_expressions():
    numbers = plugins.self_check_numbers("ps2")
    assert set(numbers) <= set(plugins.step_titles("ps2"))
    for expression in numbers.values():
        compile(expression, "<self-check>", "eval")
