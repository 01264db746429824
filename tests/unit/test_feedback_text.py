"""Feedback text is safe to print: no terminal codes, no student markup that runs."""

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from coursetools.feedback import SanitizeStudentMarkup, plain_text, table_cell

pytestmark = pytest.mark.unit


def test_terminal_colour_codes_and_control_characters_are_removed():
    raw = "\x1b[1;31mValueError\x1b[0m: bad \x07input\x1b]0;title\x07"
    assert plain_text(raw) == "ValueError: bad  input0;title "


def test_a_table_cell_stays_one_bounded_escaped_line():
    cell = table_cell("line one\nline | two <script>alert(1)</script>" + "x" * 1000, limit=60)
    assert "\n" not in cell and "|" not in cell.replace("&#124;", "") and "<script>" not in cell
    assert len(cell) < 120


def test_student_markup_is_sanitized_before_the_summary():
    nb = new_notebook(
        cells=[
            new_markdown_cell("My answer <script>alert('md')</script> <img src=x onerror=alert(1)>"),
            new_code_cell("display(HTML(...))"),
        ]
    )
    nb.cells[1].outputs = [
        new_output("display_data", data={"text/html": "<b>hi</b><script>alert('out')</script>", "text/plain": "hi"}),
        new_output("display_data", data={"application/javascript": "alert('js')"}),
    ]
    assert SanitizeStudentMarkup.enabled, "nbgrader runs only enabled preprocessors"
    clean, _ = SanitizeStudentMarkup()(nb, {})
    text = str(clean)
    assert "<script" not in text and "<img src=x onerror" not in text and "alert('js')" not in text
    assert "<b>hi</b>" in text
