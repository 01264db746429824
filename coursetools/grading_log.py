"""Where the details of one grading run go: logs/<assignment>/<student>.debug.log.

nbgrader's formgrader shows in its Autograde dialog everything the run logs at DEBUG
level (its API takes the server logger's level, which traitlets leaves at DEBUG and
filters in the handler), so nbclient's chatter about every kernel message, hidden
tests included, filled the dialog. The sandboxed grader writes its details, and what
both kernels print on their own stdout and stderr (TensorFlow's start-up lines), to
the student's debug log; nbgrader's log (the dialog, `nbgrader autograde`'s output)
keeps INFO and above: what nbgrader did and the one-line summary per notebook.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from pathlib import Path

import course_config

FORMAT = "%(asctime)s %(levelname)s %(message)s"


class _Forward(logging.Handler):
    """Pass records at INFO and above on to nbgrader's own log."""

    def __init__(self, target: logging.Logger | logging.LoggerAdapter):
        super().__init__(logging.INFO)
        self.target = target

    def emit(self, record: logging.LogRecord) -> None:
        self.target.log(record.levelno, record.getMessage())


def debug_log_path(assignment: str, student: str, notebook: str) -> Path:
    return Path(course_config.COURSE_ROOT) / "logs" / assignment / f"{student}.{notebook}.debug.log"


@contextmanager
def details(resources: dict, nbgrader_log):
    """(logger, file for the kernels' own output) for one notebook's grading run."""
    info = resources.get("nbgrader", {})
    path = debug_log_path(
        info.get("assignment", "unknown"), info.get("student", "unknown"), info.get("notebook", "notebook")
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    stream = open(path, "w", buffering=1)  # noqa: SIM115 - closed below, shared with the kernels
    logger = logging.getLogger(f"coursetools.grading.{id(stream)}")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    to_file = logging.StreamHandler(stream)
    to_file.setFormatter(logging.Formatter(FORMAT))
    handlers = [to_file, _Forward(nbgrader_log)]
    for handler in handlers:
        logger.addHandler(handler)
    try:
        yield logger, stream
    finally:
        for handler in handlers:
            logger.removeHandler(handler)
        stream.close()
