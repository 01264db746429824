"""The course's Jupyter kernel for students and instructors: it finds the course data.

`./course setup` installs the virtualenv's `python3` kernelspec with the course's
environment: KERAS_HOME pointing at the course's data cache (so `load_data()` works
with no extra step and never tries the network) and the settings of KERNEL_ENV that keep
TensorFlow's log noise out of cells. TensorFlow's C++ library also logs a few lines to the
process's stderr before it reads any setting (oneDNN, "Could not find cuda drivers"); the
kernel leaves such OS-level output in the Jupyter server's log instead of copying it into
the student's cells (and Validate's report). Python's own warnings and errors still show.
The grader's sandboxed kernels do not use this kernelspec.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import course_config

KERNEL_NAME = "python3"  # what the course's notebooks name in their metadata


# From the grading kernels' environment, what also suits an interactive kernel (not its
# matplotlib backend: Jupyter's inline backend shows the students' plots).
INTERACTIVE_ENV = ("TF_CPP_MIN_LOG_LEVEL", "CUDA_VISIBLE_DEVICES")


def wanted_env() -> dict[str, str]:
    quiet = {k: v for k, v in course_config.KERNEL_ENV.items() if k in INTERACTIVE_ENV}
    return {"KERAS_HOME": str(course_config.KERAS_HOME), **quiet}


def wanted_argv() -> list[str]:
    return [
        sys.executable,
        "-m",
        "ipykernel_launcher",
        "--IPKernelApp.capture_fd_output=False",  # C++ library logs stay out of cells
        # The kernel app's own notices (ipykernel 7 warns of TCP without encryption on every
        # start) are not the student's: they would fill `./course check`'s report. Errors still show.
        "--IPKernelApp.log_level=ERROR",
        "-f",
        "{connection_file}",
    ]


def spec_path() -> Path:
    return Path(sys.prefix) / "share" / "jupyter" / "kernels" / KERNEL_NAME / "kernel.json"


def install() -> Path:
    """(Re)write the kernelspec when its environment is not the course's."""
    path = spec_path()
    try:
        current = json.loads(path.read_text())
    except (OSError, ValueError):
        current = {}
    if current.get("env") == wanted_env() and current.get("argv") == wanted_argv():
        return path
    spec = {
        "argv": wanted_argv(),
        "display_name": f"Python 3 ({course_config.COURSE_ID})",
        "language": "python",
        "env": wanted_env(),
        "metadata": {"debugger": True},
        "kernel_protocol_version": "5.5",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(spec, indent=1))
    return path
