"""A scratch course with the engine tests' small assignment added (plain Python, no TensorFlow).

The grading engine's cases that are not about Keras (tampering, faults, limits, outputs,
feedback, collecting) grade this assignment: seconds per submission instead of ps1's
TensorFlow start-up. It lives in tests/, is added to a course copy only, and is never
released to students.
"""

from __future__ import annotations

import atexit
import functools
import json
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import nbformat
import psutil

from coursetools.workflow import samples
from coursetools.workflow.course_copy import make_course_copy

ASSIGNMENT = "engine"
NOTEBOOK = "warmup"
FOLDER = Path(__file__).parent / "engine_assignment"
ENTRY = {"notebooks": [NOTEBOOK], "settings": {"SCALE": 3}}
# Short limits: the engine cases' faults (loops, floods) end in seconds.
LIMITS = {"CELL_TIMEOUT_SECONDS": 20, "NOTEBOOK_TIMEOUT_SECONDS": 120, "FUNCTION_CALL_TIMEOUT_SECONDS": 10}
AUTOGRADED_POINTS = 4
POINTS_BY_HAND = 1


def run_cli(course: Path, *args: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "coursetools", *args], cwd=course, env=env, capture_output=True, text=True
    )


def make_engine_course(dest: Path, limits: dict | None = None, release: bool = True) -> Path:
    """A course copy with the engine assignment in source/ and course_config, released.

    A released course is a copy of one released once per test process (the release depends
    on source/ and the assignment's settings, not on the limits), with `limits` appended to
    its course_config: every engine module would otherwise pay nbgrader's generate_assignment."""
    if not release:
        return unreleased_engine_course(dest, {**LIMITS, **(limits or {})})
    shutil.copytree(released_template(), dest, symlinks=True)
    with open(dest / "course_config.py", "a") as config:
        for key, value in (limits or {}).items():
            config.write(f"{key} = {value!r}\n")
    return dest


def unreleased_engine_course(dest: Path, settings: dict) -> Path:
    course = make_course_copy(dest)
    shutil.copytree(FOLDER, course / "source" / ASSIGNMENT, ignore=shutil.ignore_patterns("make_notebook.py"))
    with open(course / "course_config.py", "a") as config:
        config.write(f"\nASSIGNMENTS[{ASSIGNMENT!r}] = {ENTRY!r}\n")
        for key, value in settings.items():
            config.write(f"{key} = {value!r}\n")
    return course


@functools.cache
def released_template() -> Path:
    """The engine course released with the default LIMITS, made once per test process."""
    base = Path(tempfile.mkdtemp(prefix="engine-course-template-"))
    atexit.register(shutil.rmtree, base, ignore_errors=True)
    course = unreleased_engine_course(base / "course", LIMITS)
    done = run_cli(course, "release", "--assignment", ASSIGNMENT)
    assert done.returncode == 0, done.stdout + done.stderr
    return course


def release_notebook(course: Path):
    return nbformat.read(course / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)


def reference_answers(course: Path) -> dict[str, str]:
    return samples.solution_code(nbformat.read(course / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4))


def submit(course: Path, student: str, nb_or_text) -> Path:
    path = course / "submitted" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(nb_or_text, str):
        path.write_text(nb_or_text)
    else:
        nbformat.write(nb_or_text, path)
    return path


def submission(course: Path, **answers: str):
    """The release notebook with the reference's answers, some replaced (grade_id with '_' for '-')."""
    chosen = {**reference_answers(course), **{k.replace("_", "-"): v for k, v in answers.items()}}
    return samples.fill(release_notebook(course), chosen)


SCORES_SCRIPT = """
import json, sys
from coursetools.workflow.scores import step_scores
print(json.dumps({s: {x.grade_id: x.score for x in step_scores('.', sys.argv[1], s)} for s in sys.argv[2:]}))
"""


def scores_of(course: Path, students: list[str], assignment: str = ASSIGNMENT) -> dict[str, dict[str, float | None]]:
    """student -> {grade_id: score or None}, read in one process from the course copy's own
    gradebook and config (its course_config knows the engine assignment; this process's does not)."""
    done = subprocess.run(
        [sys.executable, "-c", SCORES_SCRIPT, assignment, *students], cwd=course, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def step_scores(course: Path, student: str, assignment: str = ASSIGNMENT) -> dict[str, float | None]:
    """grade_id -> score (None: needs a manual grade) of one student."""
    return scores_of(course, [student], assignment)[student]


def autograded_notebook(course: Path, student: str):
    return nbformat.read(course / "autograded" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)


def peak_rss_of_grading(course: Path, student: str, assignment: str = ASSIGNMENT) -> int:
    """Peak resident memory of the nbgrader process alone (not its kernels), grading one student."""
    process = subprocess.Popen(
        [sys.executable, "-m", "nbgrader", "autograde", assignment, "--student", student, "--force"],
        cwd=course,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    watched, peak, done = psutil.Process(process.pid), 0, threading.Event()

    def sample():
        nonlocal peak
        while not done.wait(0.02):
            try:
                peak = max(peak, watched.memory_info().rss)
            except psutil.Error:
                return

    thread = threading.Thread(target=sample)
    thread.start()
    process.wait(timeout=600)
    done.set()
    thread.join()
    return peak
