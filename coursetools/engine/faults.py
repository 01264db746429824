"""Why the grading of one submission stopped early, as types.

A fault stops only that submission: the cells before it keep their results,
the cells after it are reported as not run, with the fault's message, which
the feedback and the summary show to the student as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from coursetools.course.language import N_


@dataclass(frozen=True)
class Fault:
    message: str
    ename: str = "GradingStopped"  # the error name shown in the cell where it happened

    def __str__(self) -> str:
        return self.message

    def sentence(self) -> str:
        return f"{self.message[0].upper()}{self.message[1:]}."


def notebook_time_limit(seconds: int) -> Fault:
    return Fault(
        N_("the notebook ran longer than its time limit of {seconds} s").format(seconds=seconds), "NotebookTimeLimit"
    )


def cell_time_limit(seconds: int, interrupted: bool) -> Fault:
    if interrupted:
        return Fault(
            N_("a cell ran longer than its time limit of {seconds} s; cells after it were not run").format(
                seconds=seconds
            ),
            "CellTimeoutError",
        )
    return Fault(
        N_(
            "a cell ran longer than its time limit of {seconds} s and could not be interrupted; "
            "cells after it were not run"
        ).format(seconds=seconds),
        "CellTimeoutError",
    )


def memory_limit(megabytes: int) -> Fault:
    return Fault(
        N_("the kernel used more than the memory limit of {megabytes} MB and was stopped").format(megabytes=megabytes),
        "KernelDied",
    )


def kernel_exited(code: int | None) -> Fault:
    if code is None:
        return Fault(N_("the kernel stopped responding; cells after this one were not run"), "KernelDied")
    return Fault(
        N_("the kernel stopped unexpectedly (exit code {code}); cells after this one were not run").format(code=code),
        "KernelDied",
    )


def call_not_interruptible(seconds: float) -> Fault:
    return Fault(
        N_(
            "a function called by a test ran longer than its time limit of {seconds} s and could not be "
            "interrupted; cells after it were not run"
        ).format(seconds=f"{seconds:g}"),
        "CallTimeoutError",
    )


def kernel_died_during_call() -> Fault:
    return Fault(N_("the kernel stopped while a test was calling one of its functions"), "KernelDied")


def export_time_limit(seconds: int) -> Fault:
    return Fault(
        N_(
            "reading the values a test checks from the kernel took longer than the {seconds} s left for it; "
            "cells after it were not run"
        ).format(seconds=seconds),
        "CellTimeoutError",
    )


# Messages of a single test or cell (the submission goes on).
CHECK_TIME_LIMIT = N_("Checking this step took longer than the time left for it.")
CHECK_OUTPUT_LOST = N_("The grader did not receive all of this test's output in time; this test could not be checked.")
CHECKER_CRASHED = N_("The grader's checking kernel crashed on this submission's data; this test could not be checked.")
OUTPUT_LOST_NOTE = N_(
    "\n[output limit] some of this cell's output did not reach the grader (a single output larger than "
    "the grader accepts, or output still arriving after the cell ended); it is not shown.\n"
)
OUTPUT_LOST_TEST = N_("The grader did not receive all of this test's output, so it could not check it.")
