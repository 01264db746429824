"""ps1 in Chinese, graded in the session's one ps1 batch (tests/e2e/conftest.py graded_ps1): the
Chinese reference and a Chinese partial submission score exactly what their English twins do, cell
by cell, and their graded notebooks still read in Chinese (ps2's twins: tests/e2e/test_ps2.py)."""

import pytest

from .conftest import NOTEBOOK
from .translated import cell_by_cell, reads_in_its_language, twins

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_ps1_has_chinese_twins_of_the_reference_and_another_sample(graded_ps1):
    course, _ = graded_ps1
    assert sorted(twins(course, "ps1")) == ["partial-first-five-steps-zh-CN", "reference-solution-zh-CN"]


@pytest.mark.parametrize("twin", ["reference-solution-zh-CN", "partial-first-five-steps-zh-CN"])
def test_a_chinese_submission_scores_exactly_as_its_english_twin_cell_by_cell(graded_ps1, twin):
    course, result = graded_ps1
    student = twins(course, "ps1")[twin]
    chinese, english = cell_by_cell(course, "ps1", twin, student)
    assert chinese, f"{twin} was not graded: {result.stdout[-2000:]}"
    assert chinese == english


@pytest.mark.parametrize("twin", ["reference-solution-zh-CN", "partial-first-five-steps-zh-CN"])
def test_the_graded_chinese_notebook_still_reads_in_chinese(graded_ps1, twin):
    """Autograde restores locked cells from the English source (so both languages run the same
    code); the translated comments are then put back."""
    course, _ = graded_ps1
    assert reads_in_its_language(course, "ps1", twin, NOTEBOOK) == []
