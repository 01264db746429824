"""The tests, the benchmark and the course's code run in any clone: nothing reads the team's
folder beside the repository or on the development machine (nbgrader's package installs the
documentation course the tests grade)."""

import re
from pathlib import Path

import pytest

import course_config

pytestmark = pytest.mark.unit

FOLDERS = ["tests", "benchmarks", "coursetools"]
TEXT_FILES = {".py", ".md", ".sh", ".txt", ".json", ".toml", ".cfg", ".ipynb"}
THIS_FILE = Path(__file__).resolve()
# The team folder's name, kept in one place so this file names no path into it itself.
TEAM_FOLDER = "shared"
# The name in a path ("<name>/", "../<name>"), or as a path component (Path(...) / "<name>").
SHARED_PATH = re.compile(
    rf"""{TEAM_FOLDER}/|/work/{TEAM_FOLDER}|\.\./{TEAM_FOLDER}|/\s*["']{TEAM_FOLDER}["']|["']{TEAM_FOLDER}["']\s*/|nbgrader-docs-course"""
)


def test_nothing_reads_a_shared_folder_outside_the_repository():
    found = []
    for folder in FOLDERS:
        for path in sorted((course_config.COURSE_ROOT / folder).rglob("*")):
            if path.suffix not in TEXT_FILES or path.resolve() == THIS_FILE:
                continue
            for number, line in enumerate(path.read_text(errors="ignore").splitlines(), 1):
                if SHARED_PATH.search(line):
                    found.append(f"{path.relative_to(course_config.COURSE_ROOT)}:{number}: {line.strip()}")
    assert found == [], "paths outside the repository:\n" + "\n".join(found)


def test_the_pattern_catches_the_ways_such_a_path_is_written():
    for line in [
        f'DOCS = ROOT.parent / "{TEAM_FOLDER}" / "nbgrader-docs-course"',
        f"open('../{TEAM_FOLDER}/design-notes.md')",
        f'Path("/work/{TEAM_FOLDER}")',
        f"Path('/work') / '{TEAM_FOLDER}'",
    ]:
        assert SHARED_PATH.search(line), line
    assert not SHARED_PATH.search(f"a gradebook {TEAM_FOLDER} by two graders (test_{TEAM_FOLDER}_gradebook.py)")
