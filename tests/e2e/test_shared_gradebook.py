"""The README's multi-machine recipe, for real: a PostgreSQL gradebook shared by two grading
processes writing at once gives the same scores as the SQLite gradebook.

The server is Debian's PostgreSQL, started by the test on a Unix socket in a scratch
folder (no TCP at all) and stopped after it. nbgrader's documentation course keeps it fast.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from coursetools.workflow.course_copy import make_course_copy
from tests.docs_course import add_docs_assignment, copy_submissions, expected_scores, recorded_grades

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
ASSIGNMENT = "docs-ps1"
PG_BIN = max(Path("/usr/lib/postgresql").glob("*/bin"), default=None, key=lambda p: int(p.parent.name))


def as_postgres(*args, **kwargs):
    """PostgreSQL's server tools refuse to run as root: run them as Debian's postgres user."""
    return subprocess.run(
        ["runuser", "-u", "postgres", "--", *args], check=True, capture_output=True, text=True, **kwargs
    )


@pytest.fixture(scope="module")
def postgres_url():
    assert PG_BIN is not None, "install Debian's postgresql (`./course setup` does)"
    base = Path(tempfile.mkdtemp(prefix="gradebook-pg-"))
    os.chmod(base, 0o777)
    data, socket_dir = base / "data", base / "socket"
    socket_dir.mkdir()
    shutil.chown(socket_dir, "postgres")
    as_postgres(str(PG_BIN / "initdb"), "-D", str(data), "-U", "grader", "--auth=trust")
    options = f"-k {socket_dir} -c listen_addresses=''"
    as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(base / "server.log"), "-w", "start")
    try:
        as_postgres(str(PG_BIN / "createdb"), "-h", str(socket_dir), "-U", "grader", "dl_intro")
        yield f"postgresql+psycopg2://grader@/dl_intro?host={socket_dir}"
    finally:
        as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(base, ignore_errors=True)


def test_two_graders_writing_at_once_to_postgresql_give_the_sqlite_scores(postgres_url, tmp_path):
    course = make_course_copy(tmp_path / "course")
    add_docs_assignment(course, ASSIGNMENT)
    config = course / "course_config.py"
    config.write_text(config.read_text() + f"\nGRADEBOOK_URL = {postgres_url!r}\n")
    copy_submissions(tmp_path / "incoming", ASSIGNMENT)

    def cli(*args):
        result = subprocess.run(
            [sys.executable, "-m", "coursetools", *args], cwd=course, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result

    cli("release", "--assignment", ASSIGNMENT)
    cli("collect", "--assignment", ASSIGNMENT, str(tmp_path / "incoming"))
    result = cli("autograde", "--assignment", ASSIGNMENT, "--workers", "2")  # one process per student, at once
    assert "2 worker(s)" in result.stdout
    assert not (course / "gradebook.db").exists(), "nothing may fall back to SQLite"
    got = {student: recorded_grades(postgres_url, ASSIGNMENT, student) for student in expected_scores()}
    assert got == expected_scores()
