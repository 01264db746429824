"""Collecting from nbgrader's exchange: students write the inbound folder, so nothing in it
is trusted (coursetools/exchange_collect.py). Honest submissions are collected; links, FIFOs,
oversized folders, impostors and odd names are refused and nothing of theirs arrives."""

import os
import pwd
import subprocess
import sys

import nbformat
import pytest

from coursetools.workflow import exchange_collect
from coursetools.workflow.course_copy import make_course_copy

pytestmark = pytest.mark.functional

EARLY, LATE = "2026-11-28 09:00:00.000000 UTC", "2026-11-28 10:00:00.000000 UTC"


def submission(inbound, student, timestamp, files=None, name=None):
    folder = inbound / (name or f"{student}+ps1+{timestamp}+r4nd0m")
    folder.mkdir(parents=True)
    (folder / "timestamp.txt").write_text(timestamp)
    nbformat.write(nbformat.v4.new_notebook(), folder / "fashion_mnist.ipynb")
    (folder / "submission_secret.txt").write_text("secret")  # nbgrader submit writes it last
    for relative, content in (files or {}).items():
        (folder / relative).write_text(content)
    return folder


@pytest.fixture
def inbound(tmp_path):
    course_secret = tmp_path / "course" / "source" / "ps1" / "fashion_mnist.ipynb"
    course_secret.parent.mkdir(parents=True)
    course_secret.write_text("### BEGIN HIDDEN TESTS the solutions")
    box = tmp_path / "exchange" / "dl-intro" / "inbound"
    submission(box, "alice", EARLY, {"notes.txt": "first try"})
    submission(box, "alice", LATE, {"notes.txt": "final"})
    (submission(box, "bob", LATE) / "notes.txt").symlink_to(course_secret)
    os.mkfifo(submission(box, "carol", LATE) / "pipe")
    submission(box, "dave", LATE, {"big.csv": "x" * 50_000})
    (submission(box, "erin", LATE) / "data").symlink_to(course_secret.parent)
    submission(box, "daemon", LATE)  # an account of this machine; the folder is not its
    submission(box, "..", LATE, name=f"..+ps1+{LATE}+r4nd0m")
    submission(box, "frank", LATE, name=f"frank+ps2+{LATE}+r4nd0m")  # another assignment
    return box


def run_in_course_copy(tmp_path, module, *args):
    """`python -m MODULE ARGS` in a course copy whose exchange is tmp_path/exchange."""
    course = make_course_copy(tmp_path / "copy")
    config = course / "course_config.py"
    config.write_text(config.read_text() + f"\nEXCHANGE_ROOT = Path({str(tmp_path / 'exchange')!r})\n")
    return course, subprocess.run([sys.executable, "-m", module, *args], cwd=course, capture_output=True, text=True)


def test_only_plain_submissions_by_their_owner_are_collected(inbound, tmp_path):
    submitted = tmp_path / "course" / "submitted"
    result = exchange_collect.collect(inbound, submitted, "ps1", max_bytes=20_000)
    assert result.collected == ["alice"]
    assert (submitted / "alice" / "ps1" / "notes.txt").read_text() == "final"
    refused = {who.split("+")[0]: why for who, why in result.refused.items()}
    assert set(refused) == {"bob", "carol", "dave", "erin", "folder daemon", "folder .."}
    assert "contains a symbolic link (notes.txt)" in refused["bob"]
    assert "pipe is not a plain file" in refused["carol"]
    assert "larger than the course's limit" in refused["dave"]
    assert "contains a symbolic link (data)" in refused["erin"]
    assert "claims to be daemon's but was written by the account root" in refused["folder daemon"]
    assert "student id is not a plain name" in refused["folder .."]
    assert sorted(p.name for p in submitted.iterdir()) == ["alice"]  # no staging debris, no "..", no frank
    assert not any("HIDDEN TESTS" in p.read_text() for p in submitted.rglob("*") if p.is_file())
    assert sorted(p.name for p in (tmp_path / "course").iterdir()) == ["source", "submitted"]

    again = exchange_collect.collect(inbound, submitted, "ps1", max_bytes=20_000)
    assert again.collected == [] and again.unchanged == ["alice"]


@pytest.mark.slow
def test_the_collect_command_names_each_refused_student_and_exits_1(inbound, tmp_path):
    course, result = run_in_course_copy(tmp_path, "coursetools", "collect", "--assignment", "ps1")
    assert result.returncode == 1
    assert (
        "Collected the latest submission of 2 student(s) from the exchange into submitted/: alice, dave"
        in result.stdout
    )
    assert result.stderr.startswith("error: Not collected (the rest was):\n")
    assert "\n  bob: it contains a symbolic link (notes.txt)\n" in result.stderr


@pytest.mark.slow
def test_nbgrader_collect_and_the_formgrader_button_make_the_same_checks(inbound, tmp_path):
    course, result = run_in_course_copy(tmp_path, "nbgrader", "collect", "ps1", "--update")
    log = result.stdout + result.stderr
    assert sorted(p.name for p in (course / "submitted").iterdir()) == ["alice", "dave"], log
    assert "Not collected: bob: it contains a symbolic link (notes.txt)" in log
    assert "claims to be daemon's but was written by the account root" in log
    assert (course / "submitted" / "alice" / "ps1" / "notes.txt").read_text() == "final"


def test_no_folder_trick_stops_collect_or_backdates_a_submission(tmp_path):
    box, submitted = tmp_path / "inbound", tmp_path / "submitted"
    deep = submission(box, "grace", LATE)
    for _ in range(30):
        deep = deep / "d"
        deep.mkdir()
    locked = submission(box, "heidi", EARLY, {"timestamp.txt": "not a date"})
    (locked / "sub").mkdir()
    (locked / "sub" / "data.csv").write_text("1,2")
    (locked / "sub").chmod(0o555)
    daemon = pwd.getpwnam("daemon")
    own = submission(box, "daemon", EARLY)
    for path in [own, *own.iterdir()]:
        os.chown(path, daemon.pw_uid, daemon.pw_gid)
    submission(box, "daemon", "2099-01-01 00:00:00.000000 UTC")  # an impostor's "latest", written by root

    result = exchange_collect.collect(box, submitted, "ps1", max_bytes=10_000)
    assert result.collected == ["daemon", "heidi"]
    assert "nests folders more than 20 deep" in result.refused["grace"]
    assert "claims to be daemon's" in result.refused["folder daemon+ps1+2099-01-01 00:00:00.000000 UTC+r4nd0m"]
    # Written by the grader from the folder's inode change time, never the student's timestamp.txt.
    heidi = submitted / "heidi" / "ps1"
    assert (heidi / "timestamp.txt").read_text().endswith(" UTC") and "not a date" not in (
        heidi / "timestamp.txt"
    ).read_text()
    assert (heidi / "sub").stat().st_mode & 0o777 == 0o700  # the grader's modes, not the student's
    submission(box, "heidi", LATE)
    assert exchange_collect.collect(box, submitted, "ps1", max_bytes=10_000).collected == ["heidi"]  # replaced cleanly
    assert sorted(p.name for p in submitted.iterdir()) == ["daemon", "heidi"]


def test_either_language_is_collected_as_the_one_assignment_the_latest_counting(tmp_path):
    """A student fetches ps1 or ps1-zh-CN (translations.py) and may submit both: one submission of
    ps1 is collected, the one written last, whatever its language (so the gradebook, totals and
    exports count the student once)."""
    box = tmp_path / "inbound"
    submission(box, "gina", EARLY, {"notes.txt": "english"})
    submission(box, "gina", EARLY, {"notes.txt": "chinese, later"}, name=f"gina+ps1-zh-CN+{EARLY}+r4nd0m")
    submission(box, "hank", LATE, {"notes.txt": "chinese"}, name=f"hank+ps1-zh-CN+{LATE}+r4nd0m")
    submission(box, "hank", EARLY, {"notes.txt": "english, later"})
    submission(box, "ivy", LATE, {"notes.txt": "another language's ps2"}, name=f"ivy+ps2-zh-CN+{LATE}+r4nd0m")
    submitted = tmp_path / "submitted"
    result = exchange_collect.collect(box, submitted, "ps1", max_bytes=20_000)
    assert sorted(result.collected) == ["gina", "hank"]
    assert (submitted / "gina" / "ps1" / "notes.txt").read_text() == "chinese, later"
    assert (submitted / "hank" / "ps1" / "notes.txt").read_text() == "english, later"
    assert sorted(p.relative_to(submitted).as_posix() for p in submitted.glob("*/*")) == ["gina/ps1", "hank/ps1"]


def test_a_submission_nbgrader_submit_is_still_writing_waits_and_the_earlier_one_counts(tmp_path):
    """A collect run while `nbgrader submit` writes a folder (at the deadline, say) would copy it
    halfway and, its name unchanged, never collect it again: until its last file
    (submission_secret.txt) is there it waits, and the student's earlier submission counts."""
    box = tmp_path / "inbound"
    submitted = tmp_path / "submitted"
    submission(box, "gina", EARLY, {"notes.txt": "earlier, complete"})
    halfway = submission(box, "gina", LATE, {"notes.txt": "later, being written"})
    (halfway / "submission_secret.txt").unlink()
    only_halfway = submission(box, "hank", LATE)
    (only_halfway / "submission_secret.txt").unlink()
    result = exchange_collect.collect(box, submitted, "ps1", max_bytes=20_000)
    assert result.collected == ["gina"] and not result.refused
    assert sorted(result.waiting) == sorted([halfway.name, only_halfway.name])
    assert (submitted / "gina" / "ps1" / "notes.txt").read_text() == "earlier, complete"
    assert not (submitted / "hank").exists()
    (halfway / "submission_secret.txt").write_text("secret")  # nbgrader submit has finished
    result = exchange_collect.collect(box, submitted, "ps1", max_bytes=20_000)
    assert result.collected == ["gina"] and result.waiting == [only_halfway.name]
    assert (submitted / "gina" / "ps1" / "notes.txt").read_text() == "later, being written"
