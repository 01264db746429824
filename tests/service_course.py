"""Courses, an exchange and a Redis broker for the grading service's tests (coursetools/service).

One engine course is released per test session (tests/engine_course.py) and copied for each
coordinator and each worker: every copy is its own course folder, none reads another's files.
The broker is Debian's redis-server, started by the test on a free port in a temporary folder
with its append-only file on, as the README's set-up configures it.
"""

from __future__ import annotations

import datetime
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

from tests.engine_course import ASSIGNMENT, NOTEBOOK, make_engine_course, submission

WAIT_SECONDS = 240  # every wait in these tests ends; a grading takes seconds (more on a busy machine)
SUCCEEDED = re.compile(r"Task coursetools\.grade\[([0-9a-f-]+)\] succeeded")  # a worker's log line per grading
SERVICE_SETTINGS = {"SERVE_POLL_SECONDS": 0.3, "GRADING_PROCESS_MARGIN_SECONDS": 30, "GRADING_MAX_ATTEMPTS": 2}


def released_engine_course(dest: Path) -> Path:
    """The engine course with the service's settings, its exchange inside each copy (so every copy,
    coordinator or worker, has the same course_config.py), and the workers' grading template made."""
    return released_course(dest, ASSIGNMENT)


def released_course(dest: Path, assignment: str) -> Path:
    """released_engine_course for any assignment: the engine one (tests/engine_course.py), or one of
    the course's own (ps1: a scratch copy of this course, released as tests/e2e/conftest.py does)."""
    if assignment == ASSIGNMENT:
        course = make_engine_course(dest)
    else:
        from coursetools.workflow.course_copy import make_course_copy
        from tests.engine_course import run_cli

        course = make_course_copy(dest)
        released = run_cli(course, "release", "--assignment", assignment)
        assert released.returncode == 0, released.stdout + released.stderr
    with open(course / "course_config.py", "a") as config:
        for key, value in SERVICE_SETTINGS.items():
            config.write(f"{key} = {value!r}\n")
        config.write('EXCHANGE_ROOT = Path(__file__).resolve().parent / "exchange"\n')
    done = subprocess.run(
        [sys.executable, "-c", f"from coursetools.service.grading import template; template('.', {assignment!r})"],
        cwd=course,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return course


def reference_submission(course: Path, assignment: str):
    """The release notebook with the reference solution's answers (of the course's first notebook)."""
    if assignment == ASSIGNMENT:
        return submission(course)
    import nbformat

    from coursetools.workflow import samples

    name = notebook_of(course, assignment)
    release = nbformat.read(course / "release" / assignment / f"{name}.ipynb", as_version=4)
    source = nbformat.read(course / "source" / assignment / f"{name}.ipynb", as_version=4)
    return samples.fill(release, samples.solution_code(source))


def notebook_of(course: Path, assignment: str) -> str:
    """The assignment's (first) notebook, as the course's release has it."""
    return sorted(path.stem for path in (course / "release" / assignment).glob("*.ipynb"))[0]


def course_copy(template: Path, dest: Path, extra: str = "") -> Path:
    """Another machine's course: a copy of its own (with `extra` settings appended), an empty exchange."""
    shutil.copytree(template, dest, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
    if extra:
        with open(dest / "course_config.py", "a") as config:
            config.write(extra)
    (dest / "exchange" / "dl-intro" / "inbound").mkdir(parents=True)
    (dest / "exchange" / "dl-intro" / "feedback").mkdir(parents=True)
    return dest


def put_in_inbound(course: Path, student: str, nb=None, assignment: str = ASSIGNMENT, **answers) -> str:
    """What `nbgrader submit` writes: <student>+<assignment>+<timestamp>+<random>/<notebook>.ipynb
    (an engine submission with `answers`, or the notebook `nb` of `assignment`)."""
    import nbformat

    now = datetime.datetime.now(datetime.UTC)
    name = f"{student}+{assignment}+{now.strftime('%Y-%m-%d %H:%M:%S.%f UTC')}+{uuid.uuid4().hex[:8]}"
    folder = course / "exchange" / "dl-intro" / "inbound" / name
    folder.mkdir()
    notebook = NOTEBOOK if assignment == ASSIGNMENT else notebook_of(course, assignment)
    nbformat.write(nb if nb is not None else submission(course, **answers), folder / f"{notebook}.ipynb")
    (folder / "timestamp.txt").write_text(now.strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
    (folder / "submission_secret.txt").write_text(uuid.uuid4().hex)  # nbgrader submit's, for feedback
    return name


class NetworkNamespace:
    """Another machine on the network, for real: a network namespace of its own joined to this one by
    a veth pair, HOST_ADDRESS on this side and WORKER_ADDRESS on its side (a private /24 of the tests')."""

    HOST_ADDRESS, WORKER_ADDRESS = "10.231.7.1", "10.231.7.2"

    def __init__(self):
        self.name, self.outside, self.inside = f"grader{os.getpid()}", f"vg{os.getpid()}h", f"vg{os.getpid()}n"

    def create(self) -> NetworkNamespace:
        ip("netns", "add", self.name)
        ip("link", "add", self.outside, "type", "veth", "peer", "name", self.inside)
        ip("link", "set", self.inside, "netns", self.name)
        ip("addr", "add", f"{self.HOST_ADDRESS}/24", "dev", self.outside)
        ip("link", "set", self.outside, "up")
        self.run("ip", "addr", "add", f"{self.WORKER_ADDRESS}/24", "dev", self.inside)
        self.run("ip", "link", "set", self.inside, "up")
        self.run("ip", "link", "set", "lo", "up")
        return self

    def run(self, *args: str) -> None:
        ip("netns", "exec", self.name, *args)

    @property
    def enter(self) -> list[str]:
        """A command prefix that runs in this machine's network. nsenter joins only the network
        namespace: `ip netns exec` also remounts /sys, hiding the cgroup hierarchies a real grading
        machine has (its kernels' limits would be refused)."""
        return ["nsenter", f"--net=/run/netns/{self.name}"]

    def unplug(self) -> None:
        """The link goes dark: no packet either way, no connection closed (a machine that lost power)."""
        ip("link", "set", self.outside, "down")

    def remove(self) -> None:
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True, timeout=30)
        subprocess.run(["ip", "link", "del", self.outside], capture_output=True, timeout=30)  # gone with it


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class Redis:
    """A redis-server of the test's own: append-only, every write synced, in a temporary folder."""

    def __init__(self, folder: Path, bind: str = "127.0.0.1", port: int | None = None):
        self.folder, self.bind = folder, bind
        self.port = port or free_port()
        self.host = bind.split()[-1]
        self.process: subprocess.Popen | None = None
        folder.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    def start(self) -> Redis:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                *self.bind.split(),
                "--dir",
                str(self.folder),
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
                "--protected-mode",
                "no",
            ],
            stdout=open(self.folder / "redis.log", "a"),
            stderr=subprocess.STDOUT,
        )
        wait_for(self._answers, "redis-server to answer", 20)
        return self

    def _answers(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=1) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=20)


class Service:
    """A broker, a coordinator's course and any number of worker machines' courses, all stopped at the end."""

    def __init__(self, template: Path, folder: Path, bind: str = "127.0.0.1", assignment: str = ASSIGNMENT):
        self.template, self.folder, self.assignment = template, folder, assignment
        self.redis = Redis(folder / "redis", bind=bind).start()
        self.env = {"COURSE_BROKER_URL": self.redis.url}
        self.course = course_copy(template, folder / "coordinator")
        self.processes = []
        self.coordinator = None

    def serve(self):
        self.coordinator = start(
            self.course, "serve", "--assignment", self.assignment, log=self.folder / "serve.log", env=self.env
        )
        self.processes.append(self.coordinator)
        return self.coordinator

    def worker(self, name, extra="", prefix=None):
        course = course_copy(self.template, self.folder / name, extra=extra)
        process = start(
            course,
            "worker",
            "--assignment",
            self.assignment,
            "--workers",
            "1",
            "--name",
            f"{name}@test",
            log=self.folder / f"{name}.log",
            env=self.env,
            prefix=prefix,
        )
        self.processes.append(process)
        return process

    def states(self):
        return {key.split("+")[0]: state for key, (state, _) in jobs(self.course).items()}

    def all_in(self, *states):
        found = self.states()
        return found and all(state in states for state in found.values())

    def gradings(self):
        """task id -> how many times a worker finished grading it, over every worker's log."""
        counts = {}
        for log in self.folder.glob("*.log"):
            for task in SUCCEEDED.findall(log.read_text(errors="replace")):
                counts[task] = counts.get(task, 0) + 1
        return counts

    def close(self):
        for process in self.processes:
            stop(process, signal.SIGKILL)
        self.redis.kill()


def wait_for(condition, what: str, seconds: float = WAIT_SECONDS, every: float = 0.3):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"gave up after {seconds} s waiting for {what}")


def start(course: Path, *args: str, log: Path, env: dict | None = None, prefix: list[str] | None = None):
    """`python -m coursetools ARGS` in its own process group (killed as one), output to `log`."""
    return subprocess.Popen(
        [*(prefix or []), sys.executable, "-m", "coursetools", *args],
        cwd=course,
        env={**os.environ, **(env or {})},
        stdout=open(log, "a"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def jobs(course: Path) -> dict[str, tuple[str, str | None]]:
    """student -> (state, problem) of each job the course's coordinator recorded, read from its job store."""
    import sqlite3

    path = course / "service.db"
    if not path.exists():
        return {}
    with sqlite3.connect(path, timeout=30) as db:
        return {key: (state, problem) for key, state, problem in db.execute("SELECT key, state, problem FROM jobs")}
