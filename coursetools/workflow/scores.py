"""The course's scores: points per graded cell as the gradebook has them, and ONE rule for a
grade still to be entered by hand. Every total the course shows (the autograde summary, the
feedback, the class report and CSVs, the LMS exports, the autograde log line) comes from here.

nbgrader's gradebook (nbgrader.api.Grade) keeps `auto_score` (the autograder's), `manual_score`
(a person's, which wins when set), `extra_credit` and a `needs_manual_grade` flag; its `score`
is manual + extra, else auto + extra, else 0. Two traps:
* a grade nobody entered yet reads `score == 0`: it is pending, never a zero;
* the flag goes stale: nbgrader's own autograde sets it again on a cell that already has a
  manual grade ("review it"), and a grade written through the API with `manual_score` alone
  leaves it set. A grade a person entered counts as entered.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import NamedTuple

import nbformat
from nbgrader.api import Gradebook, MissingEntry

from coursetools.course.assignments import graded_cell_ids, notebook_path, notebooks
from coursetools.course.nbgrader_settings import gradebook_url


def is_pending(grade) -> bool:
    """Whether a gradebook grade still waits for a person: no manual score, and either no
    automatic score or one nbgrader flagged for a manual grade."""
    return grade.manual_score is None and (grade.auto_score is None or bool(grade.needs_manual_grade))


@dataclass(frozen=True)
class StepScore:
    """Points of one graded cell; `score` is None while a grade by hand is pending."""

    notebook: str
    grade_id: str
    score: float | None
    max_score: float
    label: str = ""  # the grade id, prefixed with the notebook when the assignment has several
    by_instructor: bool = False  # a person entered the score (nbgrader's manual_score)
    comment: str = ""  # the instructor's comment on the cell, if any

    @property
    def needs_manual_grade(self) -> bool:
        return self.score is None

    def shown(self) -> str:
        return f"{'?' if self.score is None else f'{self.score:g}'}/{self.max_score:g}"


class Totals(NamedTuple):
    earned: float  # points so far (a pending grade counts nothing yet)
    possible: float
    pending: float  # points still to be graded by hand


def total(steps: list[StepScore]) -> Totals:
    return Totals(
        sum(s.score or 0 for s in steps),
        sum(s.max_score for s in steps),
        sum(s.max_score for s in steps if s.score is None),
    )


def step_score(grade, notebook: str, label: str = "", comment: str = "") -> StepScore:
    score = None if is_pending(grade) else float(grade.score)
    return StepScore(
        notebook,
        grade.name,
        score,
        float(grade.max_score),
        label or grade.name,
        by_instructor=grade.manual_score is not None,
        comment=comment,
    )


def notebook_scores(gb: Gradebook, assignment: str, notebook: str, student: str) -> dict[str, StepScore]:
    """grade_id -> StepScore of one submitted notebook (raises MissingEntry if not graded)."""
    submitted = gb.find_submission_notebook(notebook, assignment, student)
    comments = {c.name: (c.manual_comment or "").strip() for c in submitted.comments}
    return {g.name: step_score(g, notebook, comment=comments.get(g.name, "")) for g in submitted.grades}


def step_scores(root: Path, assignment: str, student: str) -> list[StepScore]:
    """Points per graded cell, notebook by notebook in notebook order; [] if not graded."""
    names = notebooks(assignment)  # also rejects an unknown assignment
    steps = []
    with Gradebook(gradebook_url(Path(root))) as gb:
        for name in names:
            source = nbformat.read(notebook_path(root, "source", assignment, name), as_version=4)
            try:
                recorded = notebook_scores(gb, assignment, name, student)
            except MissingEntry:
                return []
            for grade_id in graded_cell_ids(source):
                if grade_id in recorded:
                    label = grade_id if len(names) == 1 else f"{name}:{grade_id}"
                    steps.append(replace(recorded[grade_id], label=label))
    return steps
