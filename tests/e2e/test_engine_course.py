"""The engine tests' small assignment grades as stock nbgrader would: the reference gets every
automatic point, the unchanged release none, and the written answer waits for the instructor."""

import pytest

from tests.engine_course import (
    make_engine_course,
    release_notebook,
    run_cli,
    step_scores,
    submission,
    submit,
)

pytestmark = [pytest.mark.e2e]


@pytest.fixture(scope="module")
def engine_graded(tmp_path_factory):
    course = make_engine_course(tmp_path_factory.mktemp("engine") / "course")
    submit(course, "reference", submission(course))
    submit(course, "unchanged", release_notebook(course))
    submit(course, "wrong-squares", submission(course, squares="def squares(n):\n    return [1, 4, 9]"))
    done = run_cli(course, "autograde", "--assignment", "engine")
    return course, done


def test_reference_gets_every_automatic_point(engine_graded):
    course, done = engine_graded
    assert step_scores(course, "reference") == {
        "test-squares": 1,
        "test-values": 1,
        "test-normalize": 2,
        "reflection": None,
    }, done.stdout + done.stderr


def test_unchanged_release_gets_nothing(engine_graded):
    course, _ = engine_graded
    assert step_scores(course, "unchanged") == {
        "test-squares": 0,
        "test-values": 0,
        "test-normalize": 0,
        "reflection": 0,
    }


def test_hidden_test_decides_the_step(engine_graded):
    course, _ = engine_graded
    assert step_scores(course, "wrong-squares")["test-squares"] == 0
