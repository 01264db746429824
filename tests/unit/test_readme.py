"""The README's commands exist: every `./course X` it shows is a command of ./course."""

import re

import pytest

import course_config
from coursetools.cli import COMMANDS

pytestmark = pytest.mark.unit

README = (course_config.COURSE_ROOT / "README.md").read_text()
# Commands the ./course script itself handles before the Python CLI.
SCRIPT_COMMANDS = {"setup", "test", "benchmark", "benchmark-accuracy", "--help"}


def test_every_course_command_in_the_readme_exists():
    shown = set(re.findall(r"\./course ([a-z-]+)", README))
    assert shown, "the README shows ./course commands"
    assert shown - set(COMMANDS) - SCRIPT_COMMANDS == set()


def test_the_readme_shows_every_jupyter_server_command():
    section = README.split("## Running the course on a Jupyter server")[1].split("\n## ")[0]
    for command in ("jupyter-setup", "lab", "publish", "collect", "autograde", "release-feedback"):
        assert f"./course {command}" in section
    for step in ("fetch_assignment", "submit", "fetch_feedback"):
        assert f"nbgrader {step} ps1" in section
