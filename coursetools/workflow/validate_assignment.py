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
from coursetools.course import translations
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
    """release/<id>/ by nbgrader and, translated from it, release/<id>-<language>/ (translations.py).
    Returns the English folder."""
    nbgrader(root, "generate_assignment", assignment, "--force")
    translations.write_releases(root, assignment)
    return root / "release" / assignment


def untranslated_notes(root: Path, assignment: str) -> list[str]:
    """The cells a translated release shows in English (no translation, or one of an older English text)."""
    return [
        f"{problem} (its release shows the English; run `./course translations` and translate it)"
        for language in translations.translated_languages(root, assignment)
        for problem in translations.problems(root, assignment, language)
    ]


def leak_problems(root: Path, assignment: str, release_dir: Path) -> list[str]:
    """Leaks in every language's release of the assignment (`release_dir` is the English one)."""
    problems = []
    for language in translations.release_folders(root, assignment):
        folder = release_dir.parent / translations.release_id(assignment, language)
        for name in notebooks(assignment):
            release_path = folder / f"{name}.ipynb"
            source_nb = nbformat.read(notebook_path(root, "source", assignment, name), as_version=4)
            release_nb = nbformat.read(release_path, as_version=4)
            problems += [f"{release_path}: {p}" for p in leak_checks.find_leaks(source_nb, release_nb)]
        problems += [
            f"{path}: the assignment's grading plugin must not be released" for path in folder.rglob(PLUGIN_FILE)
        ]
        problems += [
            f"{path}: the assignment's translations must not be released" for path in folder.rglob(translations.FOLDER)
        ]
        problems += [
            f"{path}: the assignment's message catalogue (its hidden tests' messages) must not be released"
            for path in folder.rglob(CATALOGUE_PATTERN)
        ]
    return problems


def stale_releases(fresh_root: Path, assignment: str) -> list[str]:
    """Differences between a fresh generation (in a course copy) and the committed release folders."""
    problems = []
    for language, fresh in translations.release_folders(fresh_root, assignment).items():
        committed = course_config.COURSE_ROOT / "release" / translations.release_id(assignment, language)
        problems += leak_checks.stale_release_files(fresh, committed)
    return problems


@dataclass
class Validation:
    problems: list[str] = field(default_factory=list)
    reference: list = field(default_factory=list)  # StepScores of the reference solution
    student_kernel_tests: list[tuple[str, str]] = field(default_factory=list)  # (notebook, grade_id)
    notes: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)  # translated versions graded like the English one


def validate(assignment: str, progress=print) -> Validation:
    names = notebooks(assignment)
    result = Validation()
    with tempfile.TemporaryDirectory(prefix="validate-") as tmp:
        copy_root = make_course_copy(Path(tmp) / "course")
        progress("1/3 generating a fresh release ...")
        fresh = generate(copy_root, assignment)
        result.problems += leak_problems(copy_root, assignment, fresh)
        result.problems += stale_releases(copy_root, assignment)
        result.notes += untranslated_notes(copy_root, assignment)
        if differences := stale_tests.stale_tests(course_config.COURSE_ROOT, assignment):
            result.problems.append(stale_tests.stale_message(assignment, differences))
        progress("2/3 grading the reference solution (in each language) and the unchanged release ...")
        source = {n: nbformat.read(notebook_path(copy_root, "source", assignment, n), as_version=4) for n in names}
        released = {n: nbformat.read(notebook_path(copy_root, "release", assignment, n), as_version=4) for n in names}
        reference = {n: samples.fill(released[n], samples.solution_code(source[n])) for n in names}
        # The reference in every other language too: it must score exactly what the English one does.
        twins = {
            f"validate-reference-{lang}": {
                n: translations.in_language(reference[n], n, assignment, lang, copy_root) for n in names
            }
            for lang in translations.translated_languages(copy_root, assignment)
        }
        scores = grade_in_copy(
            copy_root,
            assignment,
            {"validate-reference": reference, "validate-unchanged": released, **twins},
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
        for twin in twins:
            result.problems += language_problems(twin, scores["validate-reference"], scores[twin])
        result.languages = translations.translated_languages(copy_root, assignment)
        result.student_kernel_tests = [(n, g) for n in names for g in marked_for_student_kernel(source[n])]
    return result


def language_problems(twin: str, english: list, translated: list) -> list[str]:
    """Steps a translated reference scores differently from the English one."""
    mine = {step.label: step.score for step in english}
    theirs = {step.label: step.score for step in translated}
    if not translated:
        return [f"{twin} was not graded"]
    return [
        f"{twin} scores {theirs.get(label)} on '{label}', the English reference {score}"
        for label, score in mine.items()
        if theirs.get(label) != score
    ]


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
