"""Prove an assignment works before students see it: `./course validate`.

A fresh release is generated in a scratch copy of the course and checked for leaks and
against the committed release/; the reference solution and the unchanged release are
graded there: the reference must earn every autograded point, the unchanged release none,
and every test must be able to check the reference (a value it reads that the grader cannot
carry to its checker is a problem of the assignment, named with its cell).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

import course_config
from coursetools.course.assignments import marked_for_student_kernel, notebook_path, notebooks
from coursetools.course.language import CATALOGUE_PATTERN
from coursetools.course.plugins import PLUGIN_FILE
from coursetools.engine.carriers import SUPPORTED_KINDS
from coursetools.preprocessors.manual_review import could_not_check, fixed_reason
from coursetools.workflow import leak_checks, samples, stale_tests
from coursetools.workflow.autograde import grade_in_copy
from coursetools.workflow.course_copy import make_course_copy
from coursetools.workflow.nbgrader_runner import nbgrader


def generate(root: Path, assignment: str) -> Path:
    nbgrader(root, "generate_assignment", assignment, "--force")
    return root / "release" / assignment


def leak_problems(root: Path, assignment: str, release_dir: Path) -> list[str]:
    problems = []
    for name in notebooks(assignment):
        release_path = release_dir / f"{name}.ipynb"
        source_nb = nbformat.read(notebook_path(root, "source", assignment, name), as_version=4)
        release_nb = nbformat.read(release_path, as_version=4)
        problems += [f"{release_path}: {p}" for p in leak_checks.find_leaks(source_nb, release_nb)]
    problems += [
        f"{path}: the assignment's grading plugin must not be released" for path in release_dir.rglob(PLUGIN_FILE)
    ]
    problems += [
        f"{path}: the assignment's message catalogue (its hidden tests' messages) must not be released"
        for path in release_dir.rglob(CATALOGUE_PATTERN)
    ]
    return problems


@dataclass
class Validation:
    problems: list[str] = field(default_factory=list)
    reference: list = field(default_factory=list)  # StepScores of the reference solution
    student_kernel_tests: list[tuple[str, str]] = field(default_factory=list)  # (notebook, grade_id)


def validate(assignment: str, progress=print) -> Validation:
    names = notebooks(assignment)
    result = Validation()
    with tempfile.TemporaryDirectory(prefix="validate-") as tmp:
        copy_root = make_course_copy(Path(tmp) / "course")
        progress("1/3 generating a fresh release ...")
        fresh = generate(copy_root, assignment)
        result.problems += leak_problems(copy_root, assignment, fresh)
        result.problems += leak_checks.stale_release_files(fresh, course_config.COURSE_ROOT / "release" / assignment)
        if differences := stale_tests.stale_tests(course_config.COURSE_ROOT, assignment):
            result.problems.append(stale_tests.stale_message(assignment, differences))
        progress("2/3 grading the reference solution and the unchanged release ...")
        source = {n: nbformat.read(notebook_path(copy_root, "source", assignment, n), as_version=4) for n in names}
        released = {n: nbformat.read(notebook_path(copy_root, "release", assignment, n), as_version=4) for n in names}
        scores = grade_in_copy(
            copy_root,
            assignment,
            {
                "validate-reference": {n: samples.fill(released[n], samples.solution_code(source[n])) for n in names},
                "validate-unchanged": released,
            },
        )
        progress("3/3 checking scores ...")
        unchecked = {}
        for n in names:
            graded = notebook_path(copy_root, "autograded", assignment, n, "validate-reference")
            if graded.is_file():  # else the reference was not graded: score_problems says so
                unchecked.update(uncheckable_tests(nbformat.read(graded, as_version=4), n, multiple=len(names) > 1))
        result.problems += list(unchecked.values())
        result.problems += score_problems(scores["validate-reference"], scores["validate-unchanged"], set(unchecked))
        result.reference = scores["validate-reference"]
        result.student_kernel_tests = [(n, g) for n in names for g in marked_for_student_kernel(source[n])]
    return result


def uncheckable_tests(graded_nb, notebook: str, multiple: bool = False) -> dict[str, str]:
    """Step label -> problem, for each test of the graded reference that could not be checked."""
    problems = {}
    for cell in graded_nb.cells:
        if could_not_check(cell):
            grade_id = cell.metadata["nbgrader"]["grade_id"]
            label = f"{notebook}:{grade_id}" if multiple else grade_id
            reason = fixed_reason(cell) or "it is of a kind the grader cannot carry to its checking kernel"
            problems[label] = (
                f"test '{grade_id}' of {notebook}.ipynb could not check the reference solution: a value it "
                f"reads cannot be checked ({reason}); tests can read {SUPPORTED_KINDS}"
            )
    return problems


def score_problems(reference: list, unchanged: list, unchecked=frozenset()) -> list[str]:
    """What the reference's and the unchanged release's scores say is wrong with the tests
    (the steps in `unchecked`, which could not check the reference, are reported apart)."""
    problems = [] if reference else ["the reference solution was not graded"]
    for step in reference:
        if step.label not in unchecked and step.score is not None and step.score != step.max_score:
            problems.append(f"the reference solution fails test '{step.label}' ({step.shown()})")
    for step in unchanged:
        if step.score:
            problems.append(
                f"the unchanged release passes test '{step.label}' ({step.shown()}): it checks nothing the student writes"
            )
    return problems
