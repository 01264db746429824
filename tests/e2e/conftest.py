"""The graded scratch courses shared by the end-to-end tests (each graded once per session)."""

import subprocess
import sys

import nbformat
import pytest

from coursetools.course import plugins
from coursetools.workflow import samples
from coursetools.workflow.course_copy import make_course_copy

from .corpus import CORPUS, MODEL_LIMIT_CASES
from .honest import HONEST
from .translated import write_twins

NOTEBOOK = "fashion_mnist.ipynb"
MAX_SCORE = 15
SAMPLE_CLASS = plugins.sample_class("ps1")
SAMPLE_SCORES = {student: points for student, (_, points) in SAMPLE_CLASS.items()}
# The ps1 cases that train longest (Keras' default batch of 32: 8 to 16 times the reference's
# steps), graded first so the batch does not end with one worker training alone.
LONGEST_FIRST = ("tutorial-verbatim", "no-batch-size")


def run_cli(course, *args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "coursetools", *args], cwd=course, env=env, capture_output=True, text=True
    )


def write(course, student, nb_or_text, name=NOTEBOOK, assignment="ps1"):
    path = course / "submitted" / student / assignment / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(nb_or_text, str):
        path.write_text(nb_or_text)
    else:
        nbformat.write(nb_or_text, path)


@pytest.fixture(scope="session")
def graded_ps1(tmp_path_factory):
    """ps1's sample class (and Chinese twins of two), the Keras corpus, the model-limit cases and the honest corpus, graded
    in the session's one ps1 batch of two workers with the course's own limits (honest variants
    train for minutes): every ps1 case shares one course copy, one release and one autograde."""
    course = make_course_copy(tmp_path_factory.mktemp("ps1") / "course")
    assert run_cli(course, "release", "--assignment", "ps1").returncode == 0
    release = nbformat.read(course / "release" / "ps1" / NOTEBOOK, as_version=4)
    source = nbformat.read(course / "source" / "ps1" / NOTEBOOK, as_version=4)
    reference = samples.solution_code(source)
    cases = [*CORPUS, *MODEL_LIMIT_CASES, *HONEST]
    # the Chinese reference and one more Chinese sample student (tests/e2e/test_translated.py)
    twins = write_twins(course, "ps1", write)
    names = [*SAMPLE_CLASS, *(case.name for case in cases), *twins]
    assert len(names) == len(set(names)), "a student id is used twice"

    for student, (build, _) in SAMPLE_CLASS.items():
        write(course, student, samples.fill(release, build(reference)))
    for case in CORPUS:
        nb = samples.fill(release, case.answers(reference))
        if case.edit_notebook:
            case.edit_notebook(nb)
        write(course, case.name, nb)
    for case in MODEL_LIMIT_CASES:
        write(course, case.name, samples.fill(release, {**reference, "evaluate-model": case.evaluate}))
    for case in HONEST:
        write(course, case.name, samples.fill(release, case.answers(reference)))
    order = sorted(names, key=lambda name: (name not in LONGEST_FIRST, name))
    result = run_cli(
        course,
        "autograde",
        "--assignment",
        "ps1",
        "--workers",
        "2",
        *(arg for name in order for arg in ("--student", name)),
    )
    return course, result


@pytest.fixture(scope="session")
def graded(graded_ps1):
    """The sample class and the Keras corpus (graded with the honest corpus)."""
    return graded_ps1


@pytest.fixture(scope="session")
def graded_honest(graded_ps1):
    """The honest corpus (graded with the sample class and the Keras corpus)."""
    return graded_ps1
