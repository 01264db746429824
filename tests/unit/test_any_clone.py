"""The tests, the benchmark and the course's code run in any clone: nothing reads a team
folder beside the repository (../shared) or on the development machine (/work/shared)."""

import re
from pathlib import Path

import pytest

import course_config

pytestmark = pytest.mark.unit

FOLDERS = ["tests", "benchmarks", "coursetools"]
TEXT_FILES = {".py", ".md", ".sh", ".txt", ".json", ".toml", ".cfg", ".ipynb"}
THIS_FILE = Path(__file__).resolve()
# "shared/" in a path, or "shared" as a path component (Path(...) / "shared").
SHARED_PATH = re.compile(
    r"""shared/|/work/shared|\.\./shared|/\s*["']shared["']|["']shared["']\s*/|nbgrader-docs-course"""
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
        'DOCS = ROOT.parent / "shared" / "nbgrader-docs-course"',
        "open('../shared/design-notes.md')",
        'Path("/work/shared")',
        "Path('/work') / 'shared'",
    ]:
        assert SHARED_PATH.search(line), line
    assert not SHARED_PATH.search("a gradebook shared by two graders (test_shared_gradebook.py)")
