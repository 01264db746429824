"""What a case of the corpora is: a submission built from the release and the reference's
answers, with the exact score it must get (tests/e2e/corpus.py for ps1, engine_corpus.py for
the engine tests' assignment)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Submission:
    name: str
    why: str
    answers: Callable[[dict], dict]
    expected: float
    edit_notebook: Callable | None = None
    expect_in_outputs: list[str] = field(default_factory=list)
    # Submissions that cannot be graded as they are: not graded, reported with this message.
    reported: str = ""
    # Points flagged for the instructor's manual grade (written answers, values the grader could not carry).
    review: float = 0


def only(steps, extra=None):
    def build(reference):
        chosen = {k: v for k, v in reference.items() if k in steps}
        chosen.update(extra or {})
        return chosen

    return build


def reference_with(**changes):
    def build(reference):
        return {**reference, **{k.replace("_", "-"): v for k, v in changes.items()}}

    return build
