"""ps2 "Improving the network", graded end to end: sample class, honest variants, attacks, feedback, reports.

Every grading here trains three Keras models (Part 1, Part 3, the grader's copy), so one batch
grades only what is about ps2's own checks: the sample class less its unchanged release (an
unanswered notebook scores nothing and its written answer waits for no one: the engine
assignment shows that in seconds, tests/e2e/test_engine_course.py), and the cases of
ps2_cases.py, whose honest variants share submissions when they answer different cells.
"""

import csv

import nbformat
import pytest

from coursetools.course import plugins
from coursetools.workflow import samples
from coursetools.workflow.course_copy import make_course_copy
from coursetools.workflow.scores import step_scores

from .conftest import run_cli, write
from .ps2_cases import PS2_CASES
from .translated import cell_by_cell, reads_in_its_language, twins, write_twins

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
NOTEBOOK = "improving.ipynb"
# Sample students not graded here, and the test that shows the same on the engine assignment.
ON_THE_ENGINE = {"unchanged-release": "tests/e2e/test_engine_course.py::test_unchanged_release_gets_nothing"}
SAMPLES = {
    student: points for student, (_, points) in plugins.sample_class("ps2").items() if student not in ON_THE_ENGINE
}
AUTOGRADED, BY_HAND = 13, 3


@pytest.fixture(scope="module")
def graded_ps2(tmp_path_factory):
    """ps2's sample class and its honest and hostile cases, graded in one batch, with feedback and reports."""
    course = make_course_copy(tmp_path_factory.mktemp("ps2") / "course")
    assert run_cli(course, "release", "--assignment", "ps2").returncode == 0
    release = nbformat.read(course / "release" / "ps2" / NOTEBOOK, as_version=4)
    reference = samples.solution_code(nbformat.read(course / "source" / "ps2" / NOTEBOOK, as_version=4))
    for student, (build, _) in plugins.sample_class("ps2").items():
        if student in SAMPLES:
            write(course, student, samples.fill(release, build(reference)), name=NOTEBOOK, assignment="ps2")
    for case in PS2_CASES:
        write(course, case.name, samples.fill(release, case.answers(reference)), name=NOTEBOOK, assignment="ps2")
    write_twins(course, "ps2", write)  # the Chinese reference and one more Chinese sample student
    results = {
        command: run_cli(course, command, "--assignment", "ps2") for command in ("autograde", "feedback", "export")
    }
    return course, results


def scores(course, student):
    steps = step_scores(course, "ps2", student)
    assert steps, f"{student} was not graded"
    return steps


@pytest.mark.parametrize("student", sorted(SAMPLES))
def test_sample_class_scores(graded_ps2, student):
    course, results = graded_ps2
    steps = scores(course, student)
    lost = [(s.grade_id, s.shown()) for s in steps if s.score != s.max_score]
    assert sum(s.score or 0 for s in steps) == SAMPLES[student], (lost, results["autograde"].stdout[-2000:])
    assert sum(s.max_score for s in steps) == AUTOGRADED + BY_HAND


@pytest.mark.parametrize("case", PS2_CASES, ids=[c.name for c in PS2_CASES])
def test_honest_variants_and_attacks(graded_ps2, case):
    course, _ = graded_ps2
    steps = scores(course, case.name)
    lost = [(s.grade_id, s.shown()) for s in steps if s.score != s.max_score]
    assert sum(s.score or 0 for s in steps) == case.expected, f"{case.why}; lost: {lost}"


PART_3 = ("test-improved-model", "test-improved-accuracy")


def failed_outputs(course, student, grade_id):
    nb = nbformat.read(course / "autograded" / student / "ps2" / NOTEBOOK, as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    return "\n".join(str(o.get("evalue", "")) for o in cell.get("outputs", []) if o.get("output_type") == "error")


@pytest.mark.parametrize("case", [c for c in PS2_CASES if c.says], ids=[c.name for c in PS2_CASES if c.says])
def test_part_3_attacks_fail_with_the_graders_reason(graded_ps2, case):
    course, _ = graded_ps2
    failed = [s.grade_id for s in scores(course, case.name) if s.grade_id in PART_3 and s.score != s.max_score]
    assert failed, f"{case.name} lost no Part 3 step"
    # The first failed assertion speaks: a visible check (the student's own accuracy) may come first.
    assert any(case.says in failed_outputs(course, case.name, grade_id) for grade_id in failed), failed


def test_the_reflection_waits_for_the_instructor(graded_ps2):
    course, results = graded_ps2
    reflection = [s for s in scores(course, "reference-solution") if s.grade_id == "reflection"]
    assert reflection and reflection[0].needs_manual_grade
    assert "+ 3 by hand" in results["autograde"].stdout


def test_one_mistake_costs_one_step(graded_ps2):
    course, _ = graded_ps2

    def lost(student):
        return {s.grade_id for s in scores(course, student) if s.score is not None and s.score != s.max_score}

    assert lost("validation-from-test-set") == {"test-validation-split"}
    assert lost("build-model-ignores-an-argument") == {"test-build-model", "test-build-model-arguments"}
    assert lost("no-dropout") == {"test-improved-model"}


def test_feedback_shows_both_trainings_curves(graded_ps2):
    course, results = graded_ps2
    assert results["feedback"].returncode == 0, results["feedback"].stderr
    page = (course / "feedback" / "reference-solution" / "ps2" / "improving.html").read_text()
    assert "Part 1: the ps1 model trained longer: training and validation curves" in page
    assert "Part 3: your improved model: training and validation curves" in page
    assert "(+ 3 points still to be graded by your instructor)" in page


def test_reports_have_a_row_per_student_and_a_course_total(graded_ps2):
    course, results = graded_ps2
    assert results["export"].returncode == 0, results["export"].stderr
    with open(course / "reports" / "ps2-steps.csv") as fh:
        rows = {row["student_id"]: row for row in csv.DictReader(fh)}
    assert rows["reference-solution"]["reflection"] == "needs manual grade"
    assert rows["reference-solution"]["total"] == "13"
    with open(course / "reports" / "course-totals.csv") as fh:
        totals = {row["student_id"]: row for row in csv.DictReader(fh)}
    assert totals["reference-solution"]["ps2"] == "13" and totals["reference-solution"]["course_total"] == "13"


def test_chinese_twins_score_exactly_as_their_english_twins_cell_by_cell(graded_ps2):
    """The same answers in the Chinese release: every graded cell scores what the English one does
    (the executed code is the same: translations change text and comments only), and the graded
    notebook still reads in Chinese."""
    course, results = graded_ps2
    pairs = twins(course, "ps2")
    assert pairs, "ps2 has no Chinese sample students"
    for twin, student in pairs.items():
        chinese, english = cell_by_cell(course, "ps2", twin, student)
        assert chinese and chinese == english, (twin, chinese, english, results["autograde"].stdout[-2000:])
        assert reads_in_its_language(course, "ps2", twin, NOTEBOOK) == []
    # the reports count each twin once, under ps2, with its English twin's row
    with open(course / "reports" / "ps2-steps.csv") as fh:
        rows = [row for row in csv.DictReader(fh)]
    by_student = {row.pop("student_id"): row for row in rows}
    assert len(by_student) == len(rows)
    for twin, student in pairs.items():
        assert by_student[twin] == by_student[student]
