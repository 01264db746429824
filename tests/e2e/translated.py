"""The Chinese twins of sample students, added to the existing ps1 and ps2 batches (no batch of
their own: each grading trains Keras), and what must hold of them: a twin is its English sample's
answers in the translated release (translations.py), so it must score exactly what its English
twin does, cell by cell, and its autograded notebook must still read in its own language."""

import nbformat

from coursetools.course import plugins, translations
from coursetools.course.assignments import notebooks
from coursetools.course.language import ENGLISH, notebook_language
from coursetools.workflow import samples
from coursetools.workflow.scores import step_scores


def twins(course, assignment) -> dict[str, str]:
    """twin student id -> the English sample student it mirrors."""
    return {
        samples.twin(student, language): student
        for language in translations.translated_languages(course, assignment)
        for student in plugins.translated_samples(assignment, course)
    }


def write_twins(course, assignment, write) -> list[str]:
    """Submit each twin: its English sample's answers, in the translated release."""
    source = {
        n: nbformat.read(course / "source" / assignment / f"{n}.ipynb", as_version=4) for n in notebooks(assignment)
    }
    for twin, student in twins(course, assignment).items():
        language = twin.removeprefix(f"{student}-")
        build, _ = plugins.sample_class(assignment, course)[student]
        for name, src in source.items():
            release = nbformat.read(
                course / "release" / translations.release_id(assignment, language) / f"{name}.ipynb", as_version=4
            )
            write(course, twin, samples.fill(release, build(samples.solution_code(src))), f"{name}.ipynb", assignment)
    return list(twins(course, assignment))


def cell_by_cell(course, assignment, twin, student) -> tuple[list, list]:
    """(the twin's, the English student's) [(grade id, score, max score)] per graded cell."""

    def scores(who):
        return [(s.grade_id, s.score, s.max_score) for s in step_scores(course, assignment, who)]

    return scores(twin), scores(student)


def reads_in_its_language(course, assignment, twin, notebook) -> list[str]:
    """What of the twin's autograded notebook is not in its language (should be [])."""
    nb = nbformat.read(course / "autograded" / twin / assignment / notebook, as_version=4)
    language = notebook_language(nb)
    catalogue = translations.load(course, assignment, language)
    wanted = {m.context: m.string for m in catalogue if m.id}
    problems = [] if language != ENGLISH else ["the autograded notebook lost its language"]
    name = notebook.removesuffix(".ipynb")
    for cell in nb.cells:
        label = translations.context(name, cell)
        if label in wanted and cell.source != wanted[label]:
            problems.append(f"cell {label} is not its translation")
    return problems
