"""The class report draws every assignment's steps, long titles included, without a layout warning."""

import warnings

import pytest

import course_config
from coursetools.classtools.class_report import write_class_report
from coursetools.course import plugins
from coursetools.workflow.scores import StepScore

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("assignment", sorted(course_config.ASSIGNMENTS))
def test_the_class_report_fits_every_step_title(tmp_path, assignment):
    titles = plugins.step_titles(assignment)
    assert titles, f"{assignment} names its steps"
    scores = {
        student: [
            StepScore("nb", grade_id, score, 2.0, label=grade_id)
            for grade_id, score in zip(titles, [got] * len(titles), strict=True)
        ]
        for student, got in (("full", 2.0), ("half", 1.0), ("none", 0.0), ("waiting", None))
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib's "constrained_layout not applied" included
        page = write_class_report(tmp_path / "report.html", assignment, scores).read_text()
    assert page.count("data:image/png;base64,") == 2 and "4 students" in page
