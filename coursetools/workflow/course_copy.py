"""Scratch course folders: a copy of the course's code, notebooks and data for `validate`
and the tests, so they never touch the real gradebook."""

from __future__ import annotations

import shutil
from pathlib import Path

import course_config


def make_course_copy(dest: Path, root: Path | None = None) -> Path:
    """A scratch course folder sharing this course's code, notebooks and data.

    Used by `validate` and the tests so they never touch the real gradebook.
    """
    root = Path(root or course_config.COURSE_ROOT)
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("course_config.py", "nbgrader_config.py"):
        shutil.copy(root / name, dest / name)
    for name in ("coursetools", ".keras"):
        (dest / name).symlink_to(root / name)
    shutil.copytree(root / "source", dest / "source")
    return dest
