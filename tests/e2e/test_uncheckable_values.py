"""Values the grader cannot carry to its checker cannot force a grade by hand (issue 16, class 4).

A student's function or variable that gives a test something the grader cannot read (an
object of the student's own class, a generator, a list that contains itself, a list nested
10,000 deep, a numpy array of objects) fails that test with a fixed message naming what
tests can read; the other steps are graded as usual. Only a test the instructor tagged
`manual-review-if-uncheckable` in source/ goes to manual grading instead, with no automatic
point. The student's own words (their class's name, their text) are in no grader message.
"""

from __future__ import annotations

from dataclasses import dataclass

import nbformat
import pytest

from coursetools.course.assignments import MANUAL_REVIEW_TAG
from coursetools.engine.carriers import NOT_CARRIED, SUPPORTED_KINDS
from tests.engine_course import (
    ASSIGNMENT,
    NOTEBOOK,
    autograded_notebook,
    make_engine_course,
    run_cli,
    step_scores,
    submission,
    submit,
)

pytestmark = [pytest.mark.e2e]

MARK = "PWNED"  # in every name and text the student controls: it must reach no grader message
OWN_CLASS = f"""class {MARK}_Squares:
    \"\"\"<b>{MARK}</b>\"\"\"
    def __init__(self, n):
        self.items = [i * i for i in range(1, n + 1)]
    def __eq__(self, other):
        return True
    def __repr__(self):
        return "<img src=x onerror=alert('{MARK}')>"
"""


@dataclass
class Case:
    name: str
    why: str
    answers: dict[str, str]
    scores: dict[str, float | None]  # without the opt-in tag
    reason: str = ""  # the fixed reason the message gives, if one


CHECKED = {"test-squares": 0, "test-values": 1, "test-normalize": 2, "reflection": None}
CASES = [
    Case(
        "squares-returns-own-class",
        "an always-equal object of the student's own class: not carried, so squares fails",
        {"squares": OWN_CLASS + "def squares(n):\n    return PWNED_Squares(n)"},
        CHECKED,
        NOT_CARRIED["other-kind"],
    ),
    Case(
        "squares-returns-generator",
        "a generator of the right numbers: not carried, so squares fails",
        {"squares": "def squares(n):\n    return (i * i for i in range(1, n + 1))"},
        CHECKED,
        NOT_CARRIED["other-kind"],
    ),
    Case(
        "squares-returns-self-containing-list",
        "the right numbers plus the list itself",
        {"squares": "def squares(n):\n    out = [i * i for i in range(1, n + 1)]\n    out.append(out)\n    return out"},
        CHECKED,
        NOT_CARRIED["too-deep"],
    ),
    Case(
        "squares-returns-deep-list",
        "a list nested 10,000 levels deep",
        {"squares": "def squares(n):\n    out = []\n    for _ in range(10_000):\n        out = [out]\n    return out"},
        CHECKED,
        NOT_CARRIED["too-deep"],
    ),
    Case(
        "squares-returns-object-array",
        "the right numbers in a numpy array of Python objects",
        {"squares": "def squares(n):\n    return np.array([i * i for i in range(1, n + 1)], dtype=object)"},
        CHECKED,
        NOT_CARRIED["object-array"],
    ),
    Case(
        "values-is-own-class",
        "a variable (not a function's result) holding an always-equal object of the student's own class",
        {"values": OWN_CLASS + "values = PWNED_Squares(5)"},
        {"test-squares": 1, "test-values": 0, "test-normalize": 2, "reflection": None},
        NOT_CARRIED["other-kind"],
    ),
    # A list subclass travels as the list it holds (README): what it holds decides, not how it compares.
    Case(
        "squares-returns-own-list-subclass-right-values",
        "the right numbers in a list subclass of the student's own: carried as a list, so squares passes",
        {
            "squares": f"class {MARK}List(list):\n    pass\n\ndef squares(n):\n    return {MARK}List(i * i for i in range(1, n + 1))"
        },
        {"test-squares": 1, "test-values": 1, "test-normalize": 2, "reflection": None},
    ),
    Case(
        "squares-returns-always-equal-list-subclass",
        "wrong numbers in an always-equal list subclass: carried as the list it holds, so squares fails",
        {
            "squares": f"class {MARK}List(list):\n    def __eq__(self, other):\n        return True\n\n"
            f"def squares(n):\n    return {MARK}List([7])"
        },
        {"test-squares": 0, "test-values": 1, "test-normalize": 2, "reflection": None},
    ),
]
UNCHECKABLE = [c for c in CASES if c.reason]
TAGGED = ("test-squares", "test-values")


def grade(course, cases, edits=None):
    """Submit each case (edited by `edits[name]`, if any) and autograde them all."""
    for case in cases:
        nb = submission(course, **{k.replace("-", "_"): v for k, v in case.answers.items()})
        (edits or {}).get(case.name, lambda nb: None)(nb)
        submit(course, case.name, nb)
    done = run_cli(course, "autograde", "--assignment", ASSIGNMENT)
    assert done.returncode == 0, done.stdout + done.stderr


def summary_line(course, student):
    """The line SaveAutoGradesOrReview writes to the student's grading log."""
    log = (course / "logs" / ASSIGNMENT / f"{student}.log").read_text()
    return next(line for line in log.splitlines() if f"{student}, {ASSIGNMENT}/{NOTEBOOK}:" in line)


def tag_in_submission(nb):
    """A student adding the opt-in tag to their own copy of the tests changes nothing."""
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") in TAGGED:
            cell.metadata.setdefault("tags", []).append(MANUAL_REVIEW_TAG)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = make_engine_course(tmp_path_factory.mktemp("uncheckable") / "course")
    tagged = Case("generator-with-tag-in-submission", "", UNCHECKABLE[1].answers, CHECKED)
    grade(course, [*CASES, tagged], edits={tagged.name: tag_in_submission})
    return course


@pytest.fixture(scope="module")
def opted_in(tmp_path_factory):
    """A course whose source/ tags test-squares and test-values for manual review."""
    course = make_engine_course(tmp_path_factory.mktemp("opted-in") / "course", release=False)
    path = course / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    nb = nbformat.read(path, as_version=4)
    tag_in_submission(nb)
    nbformat.write(nb, path)
    released = run_cli(course, "release", "--assignment", ASSIGNMENT)
    assert released.returncode == 0, released.stdout + released.stderr
    grade(course, UNCHECKABLE)
    return course


def test_case_ids_are_unique():
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_an_uncheckable_value_fails_its_step_and_only_it(graded, case):
    course = graded
    assert step_scores(course, case.name) == case.scores, case.why


def test_a_tag_in_the_submission_does_not_opt_into_manual_review(graded):
    course = graded
    assert step_scores(course, "generator-with-tag-in-submission") == CHECKED


def error_of(nb, grade_id):
    (cell,) = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id]
    errors = [o for o in cell.outputs if o.output_type == "error"]
    assert len(errors) == 1, cell.outputs
    return cell, errors[0]


@pytest.mark.parametrize("case", UNCHECKABLE, ids=[c.name for c in UNCHECKABLE])
def test_the_message_is_fixed_names_what_tests_read_and_quotes_nothing_of_the_student(graded, case):
    course = graded
    nb = autograded_notebook(course, case.name)
    failed = next(g for g, s in case.scores.items() if s == 0)
    cell, error = error_of(nb, failed)
    assert error.ename == "NotCarried"
    assert error.evalue.startswith("This step could not be checked") and SUPPORTED_KINDS in error.evalue
    assert f"checking kernel: {case.reason}. Tests can read" in error.evalue
    assert "not a mistake" not in error.evalue and "by hand" not in error.evalue
    assert MARK not in str(cell.outputs)


def test_the_feedback_fails_the_step_in_fixed_words(graded):
    course = graded
    done = run_cli(course, "feedback", "--assignment", ASSIGNMENT)
    assert done.returncode == 0, done.stdout + done.stderr
    for case in UNCHECKABLE:
        page = (course / "feedback" / case.name / ASSIGNMENT / f"{NOTEBOOK}.html").read_text()
        summary = page[: page.index("A small assignment the grader")]
        assert "Your result: 3 / 5 (+ 1 points still to be graded by your instructor)" in page, case.name
        assert "not a mistake of yours" not in page
        assert "This step could not be checked" in page
        # The summary and the grader's messages hold nothing of the student's (their code cells
        # further down the page do, as the student wrote them).
        assert MARK not in summary


@pytest.mark.parametrize("case", UNCHECKABLE, ids=[c.name for c in UNCHECKABLE])
def test_the_instructors_summary_counts_could_not_check_apart(graded, case):
    line = summary_line(graded, case.name)
    assert "3/4 points" in line and "could not be checked: " in line and "(0/" in line, line
    assert "every automatic check passed" not in line and "(to grade by hand)" not in line
    assert MARK not in (graded / "logs" / ASSIGNMENT / f"{case.name}.log").read_text()


@pytest.mark.parametrize("case", UNCHECKABLE, ids=[c.name for c in UNCHECKABLE])
def test_with_the_opt_in_tag_the_step_waits_for_a_grade_by_hand(opted_in, case):
    course = opted_in
    expected = {g: (None if g in TAGGED and s == 0 else s) for g, s in case.scores.items()}
    assert step_scores(course, case.name) == expected, case.why
    cell, error = error_of(autograded_notebook(course, case.name), next(g for g, s in case.scores.items() if s == 0))
    assert "left to the instructor to grade by hand" in error.evalue and "safe_mode=False" in error.evalue
    assert MARK not in str(cell.outputs)


def test_with_the_opt_in_tag_the_summary_says_to_grade_by_hand(opted_in):
    line = summary_line(opted_in, "squares-returns-generator")
    assert "3/3 points" in line and "could not be checked: " in line and "(to grade by hand)" in line, line
    assert "every automatic check passed" not in line and "; 2 to grade by hand" in line


def test_validate_fails_when_a_test_cannot_check_the_reference(tmp_path):
    course = make_engine_course(tmp_path / "course", release=False)
    path = course / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    nb = nbformat.read(path, as_version=4)
    (cell,) = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "squares"]
    cell.source = cell.source.replace(
        "return [i * i for i in range(1, n + 1)]", "return (i * i for i in range(1, n + 1))"
    )
    nbformat.write(nb, path)
    assert run_cli(course, "release", "--assignment", ASSIGNMENT).returncode == 0
    done = run_cli(course, "validate", "--assignment", ASSIGNMENT)
    assert done.returncode != 0
    assert "test 'test-squares' of warmup.ipynb could not check the reference solution" in done.stderr
    assert NOT_CARRIED["other-kind"] in done.stderr
