"""The graded scratch courses shared by the end-to-end tests (each graded once per session)."""

import subprocess
import sys

import nbformat
import pytest

from coursetools.course import plugins
from coursetools.workflow import samples
from coursetools.workflow.nbgrader_runner import make_course_copy

from .corpus import CORPUS
from .honest import HONEST

NOTEBOOK = "fashion_mnist.ipynb"
MAX_SCORE = 15
SAMPLE_CLASS = plugins.sample_class("ps1")
SAMPLE_SCORES = {student: points for student, (_, points) in SAMPLE_CLASS.items()}


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
    """ps1's sample class, the Keras corpus and the honest corpus, graded in one batch of two
    workers with the course's own limits (honest variants train for minutes)."""
    course = make_course_copy(tmp_path_factory.mktemp("ps1") / "course")
    assert run_cli(course, "release").returncode == 0
    release = nbformat.read(course / "release" / "ps1" / NOTEBOOK, as_version=4)
    source = nbformat.read(course / "source" / "ps1" / NOTEBOOK, as_version=4)
    reference = samples.solution_code(source)
    names = [*SAMPLE_CLASS, *(case.name for case in CORPUS), *(case.name for case in HONEST)]
    assert len(names) == len(set(names)), "a student id is used twice"

    for student, (build, _) in SAMPLE_CLASS.items():
        write(course, student, samples.fill(release, build(reference)))
    for case in CORPUS:
        nb = samples.fill(release, case.answers(reference))
        if case.edit_notebook:
            case.edit_notebook(nb)
        write(course, case.name, nb)
    for case in HONEST:
        write(course, case.name, samples.fill(release, case.answers(reference)))
    result = run_cli(course, "autograde", "--workers", "2")
    return course, result


@pytest.fixture(scope="session")
def graded(graded_ps1):
    """The sample class and the Keras corpus (graded with the honest corpus)."""
    return graded_ps1


@pytest.fixture(scope="session")
def graded_honest(graded_ps1):
    """The honest corpus (graded with the sample class and the Keras corpus)."""
    return graded_ps1
