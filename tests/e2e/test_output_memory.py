"""The grading process's memory does not grow with what a student prints."""

import pytest

from tests.engine_course import autograded_notebook, make_engine_course, peak_rss_of_grading, submission, submit

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_a_flood_of_output_costs_the_grader_no_memory(tmp_path):
    course = make_engine_course(tmp_path / "course")
    floods = {"prints-1-mb": 'print("x" * 1_000_000)', "prints-300-mb": 'print("x" * 300_000_000)'}
    for student, code in floods.items():
        submit(course, student, submission(course, normalize=code))
    small, big = (peak_rss_of_grading(course, student) for student in floods)
    assert big - small < 80 * 2**20, f"grading 300 MB of output took {(big - small) / 2**20:.0f} MB more"
    graded = autograded_notebook(course, "prints-300-mb")
    assert len(str(graded)) < 2_000_000
    assert "[output limit]" in str(graded)
