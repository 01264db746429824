"""The course on a shared Jupyter server: what students get, what the instructor gets.

nbgrader installs all of its extensions for everyone using its Python environment. Its
documented way to give a tool to one user only is to disable it for everyone (the
environment's configuration) and enable it again in that user's own configuration,
which takes precedence. `./course jupyter-setup` does that:

- for everyone (students): the formgrader and "create assignment" are disabled; the
  assignment list and Validate stay; nbgrader's settings point at the course's exchange
  and explain a failed check by the earlier cell that failed (explain_earlier_failures.py);
- for the user running it (the instructor): the formgrader and "create assignment" are
  enabled again in their ~/.jupyter.

Students choose their language by what they fetch: `./course publish` puts every language's
release in the exchange as its own entry of the Assignment List (<id> in English, <id>-zh-CN in
Simplified Chinese; coursetools/course/translations.py), and collect files a submission of
either as the one assignment <id> (the latest counts), so nothing here is per language.

Hiding a tool is not access control: a student could enable the formgrader in their own
~/.jupyter, where it runs with their rights; file permissions keep the course root private
(README: "Permissions on a multi-user server").

In a virtualenv Jupyter reads the environment's configuration before the user's
(JUPYTER_PREFER_ENV_PATH), so `./course lab` starts the instructor's JupyterLab with
their ~/.jupyter first on JUPYTER_CONFIG_PATH, where it takes precedence as nbgrader's
per-user instructions assume.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

from jupyter_core.paths import jupyter_config_dir

import course_config
from coursetools.errors import CommandError

INSTRUCTOR_LAB_EXTENSIONS = ("@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment")
INSTRUCTOR_SERVER_EXTENSIONS = ("nbgrader.server_extensions.formgrader",)
STUDENT_CONFIG_FILE = "nbgrader_config.py"
# nbgrader's exchange needs every user to write into it (nbgrader's docs: "chmod ugo+rw");
# the sticky bit keeps users from renaming or deleting each other's folders, in the exchange
# root and in inbound/ (which nbgrader creates without it).
EXCHANGE_MODE = 0o1777


def environment_config_dir() -> Path:
    """Jupyter's configuration for everyone using this Python environment (`--sys-prefix`)."""
    return Path(sys.prefix) / "etc" / "jupyter"


def _update_json(path: Path, update: dict) -> None:
    """Merge `update` into the JSON file at `path`, keeping what other tools wrote there."""
    try:
        current = json.loads(path.read_text()) if path.exists() else {}
    except (OSError, ValueError) as error:
        raise CommandError(f"{path} is not valid JSON ({error}); fix or remove it, then run this again.") from None
    for section, values in update.items():
        if not isinstance(current.get(section, {}), dict):
            raise CommandError(f"{path}: '{section}' is not a mapping; fix it, then run this again.")
        current.setdefault(section, {}).update(values)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(current, indent=2) + "\n")
    os.replace(partial, path)  # servers reading it never see half a file


def set_instructor_tools(config_dir: Path, enabled: bool) -> None:
    """Enable or disable the instructor's nbgrader extensions at one configuration level.

    The same two files `jupyter labextension disable --level=...` and
    `jupyter server extension disable ...` write; a level nearer the user wins.
    """
    _update_json(
        config_dir / "labconfig" / "page_config.json",
        {"disabledExtensions": {name: not enabled for name in INSTRUCTOR_LAB_EXTENSIONS}},
    )
    _update_json(
        config_dir / "jupyter_server_config.json",
        {"ServerApp": {"jpserver_extensions": {name: enabled for name in INSTRUCTOR_SERVER_EXTENSIONS}}},
    )


def student_nbgrader_config() -> str:
    root = course_config.COURSE_ROOT
    return f"""# Written by `./course jupyter-setup` for the course {course_config.COURSE_ID}: nbgrader's
# settings for everyone using this Jupyter (students). The instructor's course folder has its
# own nbgrader_config.py, which takes precedence there. Change course_config.py and run
# `./course jupyter-setup` again instead of editing this file.
import sys

c = get_config()  # noqa: F821 - traitlets provides get_config here
c.Exchange.root = {str(course_config.EXCHANGE_ROOT)!r}
c.CourseDirectory.course_id = {course_config.COURSE_ID!r}
c.Exchange.path_includes_course = True  # fetched into ~/{course_config.COURSE_ID}/<assignment>/
# Validate runs the whole notebook: nbgrader's 30 s per cell would stop an honest training.
c.Execute.timeout = {course_config.CELL_TIMEOUT_SECONDS}

# Validate names the earlier cell whose failure made a check fail (students need read
# access to {root}/coursetools for this; without it Validate works as stock nbgrader's).
sys.path.append({str(root)!r})
try:
    from coursetools.preprocessors.explain_earlier_failures import ExplainEarlierFailures, notebook_started

    c.Execute.on_cell_error = ExplainEarlierFailures()
    c.Execute.on_notebook_start = notebook_started  # ... in the language of the student's notebook
except ImportError:
    pass
"""


def instructor_env(env: dict[str, str]) -> dict[str, str]:
    """The environment of the instructor's Jupyter server: their own configuration first."""
    rest = env.get("JUPYTER_CONFIG_PATH")
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(p for p in (jupyter_config_dir(), rest) if p)
    return env


def protect_inbound(inbound: Path) -> None:
    if inbound.is_dir():
        os.chmod(inbound, inbound.stat().st_mode | stat.S_ISVTX)


def make_exchange(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, EXCHANGE_MODE)
    return root


def setup(everyone_dir: Path | None = None, instructor_dir: Path | None = None) -> dict[str, Path]:
    """Configure the students' and the instructor's Jupyter; returns what was written."""
    everyone_dir = Path(everyone_dir or environment_config_dir())
    instructor_dir = Path(instructor_dir or jupyter_config_dir())
    exchange = make_exchange(Path(course_config.EXCHANGE_ROOT))
    set_instructor_tools(everyone_dir, enabled=False)
    student_config = everyone_dir / STUDENT_CONFIG_FILE
    student_config.write_text(student_nbgrader_config())
    set_instructor_tools(instructor_dir, enabled=True)
    return {"exchange": exchange, "students": everyone_dir, "instructor": instructor_dir}
