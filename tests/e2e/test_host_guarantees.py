"""The sandbox's guarantees on the hosts instructors use: a non-root grading account, and a host
where bubblewrap cannot create its namespaces.

* A real account this test creates (useradd; it gets the course copy and passage to the
  interpreter, and is removed after) grades the engine assignment. Where that account cannot
  enforce the kernels' memory and process limits (on this machine: cgroup v1 written only by
  root, cgroup v2 without controllers), students are refused by default with one line and the
  fix; with REQUIRE_KERNEL_LIMITS = False they are graded with full marks, and the summary,
  the grading logs and the doctor name the limits that were off.
* A wrapper bwrap that fails as bubblewrap does where user namespaces are refused (AppArmor on
  Ubuntu 23.10+, a sysctl, a container's seccomp): `autograde` and nbgrader's own grading run
  name the cause instead of reporting a dead kernel.
"""

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.engine_course import make_engine_course, run_cli, step_scores, submission, submit
from tests.grading_account import can_create_accounts, run_as, temporary_account

pytestmark = [pytest.mark.e2e]

FULL_MARKS = {"test-squares": 1.0, "test-values": 1.0, "test-normalize": 2.0, "reflection": None}
NOT_ENFORCED = "NOT ENFORCED on this host: memory (files in RAM-backed folders included), processes and threads"


@pytest.fixture(scope="module")
def grader_account():
    """A fresh non-root account owning a released engine course with one reference submission."""
    if not can_create_accounts():
        pytest.skip("creating the grading account needs root, useradd and setpriv")
    folder = Path(tempfile.mkdtemp(prefix="ct-nonroot-", dir="/tmp"))
    try:
        with temporary_account() as name:
            folder.chmod(0o755)
            course = make_engine_course(folder / "course")
            submit(course, "alice", submission(course))
            (folder / "home").mkdir()
            account = pwd.getpwnam(name)
            owner = f"{account.pw_uid}:{account.pw_gid}"
            subprocess.run(["chown", "-R", owner, str(folder / "course"), str(folder / "home")], check=True)
            yield name, course, folder / "home"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def as_account(account, course: Path, *args: str) -> subprocess.CompletedProcess:
    name, _, home = account
    return run_as(name, [sys.executable, "-m", "coursetools", *args], cwd=course, home=home)


def test_a_non_root_grader_is_refused_by_default_then_graded_with_the_limits_named(grader_account):
    _, course, _ = grader_account
    doctor = as_account(grader_account, course, "doctor")
    if doctor.returncode == 0:
        pytest.skip(f"this host enforces every limit for a non-root account:\n{doctor.stdout}")
    print(f"the doctor as a non-root account:\n{doctor.stdout}")
    table = doctor.stdout.splitlines()
    assert any(line.split()[:2] == ["memory", "(files"] and " NO " in line for line in table), doctor.stdout
    assert any(line.strip().startswith("processes and threads") and " NO " in line for line in table), doctor.stdout
    assert "Verdict: NOT ready to grade students" in doctor.stdout

    refused = as_account(grader_account, course, "autograde", "--assignment", "engine")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    error = refused.stderr.strip()
    assert error.startswith("error: refusing to grade: this host cannot enforce") and "\n" not in error
    assert "REQUIRE_KERNEL_LIMITS = False" in error and "./course doctor" in error
    assert not (course / "autograded").exists(), "nothing was graded"

    with open(course / "course_config.py", "a") as config:
        config.write("REQUIRE_KERNEL_LIMITS = False\n")
    graded = as_account(grader_account, course, "autograde", "--assignment", "engine")
    assert graded.returncode == 0, graded.stdout + graded.stderr
    assert f"WARNING: graded with limits {NOT_ENFORCED}" in graded.stdout
    assert step_scores(course, "alice") == FULL_MARKS, "the reference gets every automatic point"
    log = course / "logs" / "engine" / "alice.log"
    assert log.read_text().startswith(f"WARNING: {NOT_ENFORCED}")
    assert NOT_ENFORCED in (course / "logs" / "engine" / "alice.warmup.debug.log").read_text()

    relaxed = as_account(grader_account, course, "doctor")
    assert relaxed.returncode == 0 and "Verdict: grading runs WITHOUT memory" in relaxed.stdout


@pytest.fixture(scope="module")
def course_without_namespaces(tmp_path_factory):
    """An engine course with one submission, and a PATH whose bwrap fails as bubblewrap does
    where unprivileged user namespaces are refused."""
    course = make_engine_course(tmp_path_factory.mktemp("no-namespaces") / "course")
    submit(course, "alice", submission(course))
    fake = tmp_path_factory.mktemp("fake-bwrap")
    (fake / "bwrap").write_text("#!/bin/sh\necho 'bwrap: setting up uid map: Permission denied' >&2\nexit 1\n")
    (fake / "bwrap").chmod(0o755)
    env = {**os.environ, "PATH": f"{fake}:{os.environ['PATH']}"}
    return course, env


def test_autograde_names_the_namespace_failure_before_grading(course_without_namespaces):
    course, env = course_without_namespaces
    done = run_cli(course, "autograde", "--assignment", "engine", env=env)
    assert done.returncode == 1
    assert "bubblewrap cannot create its namespaces on this host (bwrap: setting up uid map: Permission denied)" in (
        done.stderr
    )
    assert "Fix: " in done.stderr and "died" not in done.stderr


def test_nbgraders_own_grading_run_names_it_instead_of_a_dead_kernel(course_without_namespaces):
    """The formgrader's path: nbgrader autograde itself, without the course's command before it."""
    course, env = course_without_namespaces
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", "autograde", "engine", "--student", "alice", "--force"],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
    )
    said = done.stdout + done.stderr
    assert "bubblewrap cannot create its namespaces on this host" in said, said
    assert "died" not in said.lower()
    debug = (course / "logs" / "engine" / "alice.warmup.debug.log").read_text()
    assert "bubblewrap cannot create its namespaces" in debug
