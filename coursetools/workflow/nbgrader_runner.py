"""Run nbgrader's command line for a course folder, with this interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from coursetools.errors import CommandError


def nbgrader(
    root: Path, *args: str, check: bool = True, log: Path | None = None, workers: int = 1
) -> subprocess.CompletedProcess:
    """Run `nbgrader ARGS` in the course folder `root` with this interpreter.

    nbgrader reads root/nbgrader_config.py, which loads root/course_config.py.
    """
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env["COURSETOOLS_WORKERS"] = str(workers)  # kernels share the cores with the other workers
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(result.stdout)
    if check and result.returncode != 0:
        tail = "\n".join(result.stdout.strip().splitlines()[-15:])
        raise CommandError(f"`nbgrader {' '.join(args)}` failed (exit {result.returncode}):\n{tail}")
    return result
