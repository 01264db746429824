"""Nothing a student writes runs in a browser, nothing a hidden test passes to student code
reaches the student, and one bad notebook costs only its own student's feedback (issue 16,
classes 1, 3 and 6), graded end to end on the engine assignment.

Each case: its name, the answers it changes, the exact score per step, and why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbformat.v4 import new_code_cell, new_output

from tests.engine_course import (
    ASSIGNMENT,
    NOTEBOOK,
    make_engine_course,
    run_cli,
    step_scores,
    submission,
    submit,
)
from tests.formgrader_view import live_parts, render_as_formgrader

pytestmark = [pytest.mark.e2e]

FULL = {"test-squares": 1, "test-values": 1, "test-normalize": 2, "reflection": None}
REFERENCE_NORMALIZE = "    x = np.asarray(x, dtype=float)\n    return (x - x.mean()) / x.std()"
# The hidden test's input, np.array([2.0, 4.0, 6.0, 8.0]), as print(), repr() and str() of a list write it.
HIDDEN_INPUT = re.compile(r"2\.0*,? +4\.0*,? +6\.0*,? +8\.")
LINKS = "[click](javascript:alert(1)) ![t](http://tracker.example/p.png) $\\href{javascript:alert(2)}{x}$"
HOSTILE_DISPLAYS = """
from IPython.display import HTML, SVG, Javascript, Markdown, Latex, display
display(HTML("<img src=x onerror=alert('img')><script>alert('html')</script><b>kept</b>"))
display(SVG('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="1"/></svg>'))
display(Javascript("alert('js')"))
display(Markdown("[click](javascript:alert('md-output'))"))
display(Latex(r"$\\href{javascript:alert(1)}{x}$"))
display({"text/html": "<iframe src='javascript:alert(2)'></iframe>", "text/plain": "frame"}, raw=True)
display({"image/png": "PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+", "text/plain": "not a png"}, raw=True)
"""


@dataclass
class Case:
    name: str
    answers: dict[str, str] = field(default_factory=dict)
    scores: dict = field(default_factory=lambda: dict(FULL))
    why: str = ""
    later_cell: str | None = None  # a student cell added right after the normalize test
    later_cell_output: str | None = None  # what that cell printed in the student's own run


def normalize_doing(line: str) -> str:
    return f"def normalize(x):\n    {line}\n{REFERENCE_NORMALIZE}"


CASES = [
    Case("reference", why="the honest reference: every automatic point; the written answer waits for the instructor"),
    Case(
        "markdown-answer-with-script",
        {
            "reflection": "Scale matters <script>alert('md')</script> [see](javascript:alert(1)) <img src=x onerror=alert(2)>"
        },
        why="a written answer with a script, a javascript: link and a handler: graded by hand, shown as text",
    ),
    Case(
        "rich-outputs-that-run",
        {"squares": "def squares(n):\n    return [i * i for i in range(1, n + 1)]\n" + HOSTILE_DISPLAYS},
        why="HTML with onerror, SVG with onload, JavaScript, Markdown and LaTeX links: kept only as safe text",
    ),
    Case(
        "exception-message-with-markdown-link",
        {"squares": f"def squares(n):\n    raise ValueError({LINKS!r})"},
        {**FULL, "test-squares": 0},
        why="squares fails on the test's visible line, so its message (student text) is shown: as text, "
        "in no link or picture, in the test cell and in the summary",
    ),
    Case(
        "hidden-test-marker-in-own-cell",
        {"squares": "def squares(n):\n    ### BEGIN HIDDEN TESTS\n    return [i * i for i in range(1, n + 1)]"},
        why="the marker text in a student's cell is only a comment: full marks, feedback written",
    ),
    Case(
        "normalize-prints-its-input",
        {"normalize": normalize_doing("print('I was given', list(np.asarray(x, dtype=float)))")},
        why="correct, and prints the hidden input: full marks, the input not in the feedback",
    ),
    Case(
        "normalize-raises-its-input",
        {"normalize": "def normalize(x):\n    raise ValueError(repr(list(np.asarray(x, dtype=float))))"},
        {**FULL, "test-normalize": 0},
        why="raises with the hidden input as message: no points, the input not in the feedback",
    ),
    Case(
        "normalize-keeps-its-input-for-a-later-cell",
        {"normalize": normalize_doing("global seen\n    seen = list(np.asarray(x, dtype=float))")},
        why="correct, keeps the hidden input in a global that a later cell prints: full marks, the feedback "
        "shows that cell's output from the student's own run",
        later_cell="print('seen:', seen if 'seen' in globals() else 'nothing')",
        later_cell_output="seen: nothing (my own run)\n",
    ),
]
CORRUPT = "corrupt-graded-notebook"  # graded like the reference, then its graded file is cut short


def build(course, case: Case):
    nb = submission(course, **case.answers)
    if case.later_cell:
        at = next(
            i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "test-normalize"
        )
        cell = new_code_cell(case.later_cell)
        cell.outputs = [new_output("stream", name="stdout", text=case.later_cell_output)]
        nb.cells.insert(at + 1, cell)
    return nb


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = make_engine_course(tmp_path_factory.mktemp("outputs") / "course")
    for case in CASES:
        submit(course, case.name, build(course, case))
    submit(course, CORRUPT, submission(course))
    for folder in (course / "submitted").glob(f"*/{ASSIGNMENT}"):  # what nbgrader's exchange adds to a submission
        (folder / "timestamp.txt").write_text("2026-11-29 12:00:00.000000 UTC")
        (folder / "submission_secret.txt").write_text(f"secret-of-{folder.parent.name}")
    graded = run_cli(course, "autograde", "--assignment", ASSIGNMENT)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    return course


def graded_path(course, student):
    return course / "autograded" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb"


def feedback_page(course, student):
    return (course / "feedback" / student / ASSIGNMENT / f"{NOTEBOOK}.html").read_text()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_scores_are_exact(course, case):
    assert step_scores(course, case.name) == case.scores, case.why


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_the_formgrader_shows_nothing_that_runs(course, case):
    assert live_parts(render_as_formgrader(graded_path(course, case.name))) == [], case.why


@pytest.fixture(scope="module")
def feedback(course):
    done = run_cli(course, "feedback", "--assignment", ASSIGNMENT)
    return done


def test_feedback_for_the_whole_class(course, feedback):
    assert feedback.returncode == 0, feedback.stdout + feedback.stderr
    for case in CASES:
        assert "Your result" in feedback_page(course, case.name), case.name


def test_the_students_own_text_in_the_summary_is_inert(course, feedback):
    soup = BeautifulSoup(feedback_page(course, "exception-message-with-markdown-link"), "html.parser")
    summary = soup.find(class_="mathjax_ignore")
    assert summary is not None and LINKS in summary.get_text(), "shown word for word, where MathJax does not look"
    assert summary.find_all(["a", "img"]) == []
    test_cell_text = " ".join(soup.get_text().split())
    assert test_cell_text.count(f"ValueError: {LINKS}") >= 2, "the visible line's message: summary and test cell"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_the_feedback_shows_nothing_that_runs(course, feedback, case):
    assert live_parts(feedback_page(course, case.name)) == [], case.why


@pytest.mark.parametrize("case", [c for c in CASES if c.name.startswith("normalize-")], ids=lambda c: c.name)
def test_hidden_inputs_reach_the_graders_notebook_but_not_the_feedback(course, feedback, case):
    graded = nbformat.writes(nbformat.read(graded_path(course, case.name), as_version=4))
    assert HIDDEN_INPUT.search(graded), "the case leaks in the grader's run, so the check below can fail"
    assert not HIDDEN_INPUT.search(feedback_page(course, case.name)), case.why
    if case.later_cell_output:
        assert "seen: nothing (my own run)" in feedback_page(course, case.name)


def test_a_corrupt_graded_notebook_fails_only_its_students_feedback(course, feedback):
    path = graded_path(course, CORRUPT)
    path.write_text(path.read_text()[:500])
    done = run_cli(course, "feedback", "--assignment", ASSIGNMENT)
    assert done.returncode == 1 and CORRUPT in done.stderr, done.stdout + done.stderr
    assert re.findall(r"^  ([\w-]+): ", done.stderr, re.MULTILINE) == [CORRUPT], done.stderr
    for case in CASES:
        assert "Your result" in feedback_page(course, case.name), case.name
    assert not (course / "feedback" / CORRUPT / ASSIGNMENT / f"{NOTEBOOK}.html").exists()


def test_release_feedback_releases_everyone_with_feedback_and_names_the_others(course, feedback, tmp_path):
    path = graded_path(course, CORRUPT)
    path.write_text(path.read_text()[:500])
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    with open(course / "course_config.py", "a") as config:
        config.write(f"\nEXCHANGE_ROOT = {str(exchange)!r}\n")
    done = run_cli(course, "release-feedback", "--assignment", ASSIGNMENT)
    assert done.returncode == 1, done.stdout + done.stderr
    assert re.findall(r"^  ([\w-]+): ", done.stderr, re.MULTILINE) == [CORRUPT], done.stderr
    assert f"for {len(CASES)} student(s)" in done.stdout, done.stdout
    assert len(list(exchange.glob("*/feedback/*.html"))) == len(CASES)
