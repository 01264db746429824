"""The grading engine against attacks, faults and bad input, on the engine tests' small assignment.

One scratch course grades the whole engine corpus (tests/e2e/engine_corpus.py) and the bad
input in one batch of two workers, then builds the feedback pages: seconds per submission,
no TensorFlow. The cases about Keras stay on ps1 (tests/e2e/corpus.py).
"""

import json
import re
import subprocess
from pathlib import Path
from typing import NamedTuple

import nbformat
import pytest

from coursetools.workflow import samples
from tests.engine_course import (
    ASSIGNMENT,
    NOTEBOOK,
    autograded_notebook,
    make_engine_course,
    reference_answers,
    release_notebook,
    run_cli,
    scores_of,
    submission,
    submit,
)

from .engine_corpus import BAD_INPUT, COURSE_PLACEHOLDER, ENGINE_CORPUS

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# Low enough that the memory cases end in seconds on a shared machine, high enough for numpy.
MEMORY_LIMIT = {"KERNEL_MEMORY_LIMIT_MB": 1024}
POINTS = {"test-squares": 1, "test-values": 1, "test-normalize": 2, "reflection": 1}
AUTOGRADED_MAX = 4


def build(course, case):
    answers = case.answers(reference_answers(course))
    answers = {k: v.replace(COURSE_PLACEHOLDER, str(course)) for k, v in answers.items()}
    nb = samples.fill(release_notebook(course), answers)
    if case.edit_notebook:
        case.edit_notebook(nb)
    return nb


STUDENTS = ["reference", *(case.name for case in ENGINE_CORPUS), *BAD_INPUT]


class Graded(NamedTuple):
    course: Path
    autograde: subprocess.CompletedProcess
    feedback: subprocess.CompletedProcess
    scores: dict  # student -> {grade_id: score or None}; {} when not graded


def write_bad_input(course):
    release = release_notebook(course)
    submit(course, "malformed-json", '{"cells": [ this is not json')
    renamed = course / "submitted" / "renamed-notebook" / ASSIGNMENT / "my_homework.ipynb"
    renamed.parent.mkdir(parents=True)
    nbformat.write(submission(course), renamed)
    newer = json.loads(nbformat.writes(release))
    newer["nbformat"] = 6
    submit(course, "newer-nbformat", json.dumps(newer))
    stripped = submission(course)
    for cell in stripped.cells:
        cell.metadata.pop("nbgrader", None)
    submit(course, "stripped-metadata", stripped)


@pytest.fixture(scope="module")
def engine_graded(tmp_path_factory):
    course = make_engine_course(tmp_path_factory.mktemp("engine-corpus") / "course", limits=MEMORY_LIMIT)
    submit(course, "reference", submission(course))
    for case in ENGINE_CORPUS:
        submit(course, case.name, build(course, case))
    write_bad_input(course)
    result = run_cli(course, "autograde", "--assignment", ASSIGNMENT, "--workers", "2")
    feedback = run_cli(course, "feedback", "--assignment", ASSIGNMENT)
    return Graded(course, result, feedback, scores_of(course, STUDENTS))


def outputs_text(course, student):
    nb = autograded_notebook(course, student)
    return "\n".join(json.dumps(c.get("outputs", [])) for c in nb.cells if c.cell_type == "code")


def total(scores):
    return sum(score or 0 for score in scores.values())


def feedback_page(course, student):
    return (course / "feedback" / student / ASSIGNMENT / f"{NOTEBOOK}.html").read_text()


@pytest.mark.parametrize("case", ENGINE_CORPUS, ids=[c.name for c in ENGINE_CORPUS])
def test_attacks_and_faults_gain_nothing(engine_graded, case):
    scores = engine_graded.scores[case.name]
    if case.reported:
        assert case.reported in engine_graded.autograde.stderr and case.name in engine_graded.autograde.stderr
        assert scores == {}, "a tampered notebook must not be graded"
        return
    assert total(scores) == case.expected, f"{case.why}: {scores}"
    to_review = sum(POINTS[grade_id] for grade_id, score in scores.items() if score is None)
    assert to_review == case.review, f"{case.name}: points flagged for manual grading: {scores}"
    text = outputs_text(engine_graded.course, case.name)
    for expected in case.expect_in_outputs:
        assert expected in text


def test_the_reference_in_the_same_batch_gets_every_point(engine_graded):
    assert total(engine_graded.scores["reference"]) == AUTOGRADED_MAX, (
        engine_graded.autograde.stdout + engine_graded.autograde.stderr
    )


def test_student_code_never_sees_hidden_tests_source_or_gradebook(engine_graded):
    course = engine_graded.course
    nb = autograded_notebook(course, "snoops-disk-and-gradebook")
    snoop = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "values")
    lines = "".join(o.get("text", "") for o in snoop.outputs).splitlines()
    assert sum(line.startswith("NOWRITE") for line in lines) == 3, f"every write must fail: {lines}"
    assert not any(line.startswith("WROTE") for line in lines)
    found = [line for line in lines if line.startswith(("READ", "DENIED"))]
    assert not any("HIDDEN" in line or str(course) in line for line in found), found
    assert (course / "gradebook.db").read_bytes()[:16] == b"SQLite format 3\x00"
    assert b"corrupt" not in (course / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb").read_bytes()


@pytest.mark.parametrize("student, message", sorted(BAD_INPUT.items()))
def test_bad_submissions_are_reported_and_the_rest_graded(engine_graded, student, message):
    assert engine_graded.autograde.returncode != 0
    assert student in engine_graded.autograde.stderr and message in engine_graded.autograde.stderr
    assert engine_graded.scores[student] == {}
    assert total(engine_graded.scores["reference"]) == AUTOGRADED_MAX


def test_regrading_is_idempotent(engine_graded):
    students = ["reference", "exits-midway", "locked-cell-changed"]
    args = [arg for s in students for arg in ("--student", s)]
    result = run_cli(engine_graded.course, "autograde", "--assignment", ASSIGNMENT, *args)
    assert result.returncode == 0, result.stderr
    assert scores_of(engine_graded.course, students) == {s: engine_graded.scores[s] for s in students}


def test_student_markup_cannot_run_in_the_feedback_page(engine_graded):
    assert engine_graded.feedback.returncode == 0, engine_graded.feedback.stdout + engine_graded.feedback.stderr
    page = feedback_page(engine_graded.course, "scripts-in-outputs")
    graded = outputs_text(engine_graded.course, "scripts-in-outputs")
    assert "<b>bold</b>" in graded, "harmless markup is kept in the instructor's graded notebook"
    assert "PWNED-HTML" not in graded and "onerror" not in graded, "the graded notebook keeps no script"
    # The student's code is shown as text; no tag of theirs may run.
    assert not re.search(r"<script[^>]*>[^<]*PWNED", page), "a student script is in the page"
    assert not re.search(r"<img[^>]*onerror", page), "a student event handler is in the page"


def test_feedback_of_a_crashed_kernel_names_the_fault(engine_graded):
    page = feedback_page(engine_graded.course, "exits-midway")
    assert "Grading stopped early" in page and "exit code 3" in page


def test_feedback_says_when_the_grader_could_not_check_a_step(engine_graded):
    page = feedback_page(engine_graded.course, "forged-manifest")
    assert "This step could not be checked: the grader cannot carry a value it uses" in page
