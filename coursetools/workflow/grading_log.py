"""Where the details of one grading run go: logs/<assignment>/<student>.<notebook>.debug.log.

nbgrader's formgrader shows in its Autograde dialog everything the run logs at DEBUG
level (its API takes the server logger's level, which traitlets leaves at DEBUG and
filters in the handler), so nbclient's chatter about every kernel message, hidden
tests included, filled the dialog. The sandboxed grader writes its details, and what
both kernels print on their own stdout and stderr (TensorFlow's start-up lines), to
the student's debug log; nbgrader's log (the dialog, `nbgrader autograde`'s output)
keeps INFO and above: what nbgrader did and the one-line summary per notebook.

The debug log holds hidden tests: only the instructor may read it. What the kernels
print there is student-controlled, so it passes through a pipe and stops at
KERNEL_OUTPUT_LIMIT bytes instead of filling the disk.
"""

from __future__ import annotations

import logging
import os
import threading
from contextlib import contextmanager
from pathlib import Path

import course_config

FORMAT = "%(asctime)s %(levelname)s %(message)s"
KERNEL_OUTPUT_LIMIT = 1_000_000  # bytes of the kernels' own stdout and stderr kept per run


class _Forward(logging.Handler):
    """Pass records at INFO and above on to nbgrader's own log."""

    def __init__(self, target: logging.Logger | logging.LoggerAdapter):
        super().__init__(logging.INFO)
        self.target = target

    def emit(self, record: logging.LogRecord) -> None:
        self.target.log(record.levelno, record.getMessage(), exc_info=record.exc_info)


class KernelOutput:
    """A pipe for the kernels' stdout and stderr that keeps the first bytes in the log."""

    def __init__(self, stream, limit: int = KERNEL_OUTPUT_LIMIT):
        self._read, self.fd = os.pipe()  # kernels write to self.fd
        self._stream, self._limit = stream, limit
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        kept = dropped = 0
        with os.fdopen(self._read, "rb") as pipe:
            while chunk := pipe.read1(65536):
                keep = chunk[: max(0, self._limit - kept)]
                kept, dropped = kept + len(keep), dropped + len(chunk) - len(keep)
                if keep:
                    self._write(keep.decode("utf-8", "replace"))
        if dropped:
            self._write(f"\n[{dropped} more bytes of kernel output dropped]\n")

    def _write(self, text: str) -> None:
        try:
            self._stream.write(text)
        except ValueError:  # the run is over and its log closed; a straggler's output is dropped
            pass

    def close(self) -> None:
        os.close(self.fd)
        self._thread.join(timeout=10)  # kernels still holding the pipe are being shut down


def log_folder(root: Path, assignment: str) -> Path:
    """logs/<assignment>/ of a course, readable by the instructor only (made so if it was not)."""
    folder = Path(root) / "logs" / assignment
    for each in (folder.parent, folder):
        each.mkdir(mode=0o700, exist_ok=True)
        each.chmod(0o700)
    return folder


def debug_log_path(assignment: str, student: str, notebook: str) -> Path:
    return log_folder(course_config.COURSE_ROOT, assignment) / f"{student}.{notebook}.debug.log"


@contextmanager
def details(resources: dict, nbgrader_log):
    """(logger, file descriptor for the kernels' own output) for one notebook's grading run."""
    info = resources.get("nbgrader", {})
    path = debug_log_path(info.get("assignment", "unknown"), info.get("student", "unknown"), info.get("notebook", "nb"))
    stream = open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", buffering=1)
    logger = logging.Logger("coursetools.workflow.autograde")  # not registered: one per run, then gone
    to_file = logging.StreamHandler(stream)
    to_file.setFormatter(logging.Formatter(FORMAT))
    logger.addHandler(to_file)
    logger.addHandler(_Forward(nbgrader_log))
    kernels = KernelOutput(stream)
    try:
        yield logger, kernels.fd
    finally:
        kernels.close()
        stream.close()
