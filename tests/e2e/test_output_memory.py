"""The grading process's memory does not grow with what a student prints."""

import subprocess
import sys
import threading

import nbformat
import psutil
import pytest

from coursetools import samples
from coursetools.nbgrader_cli import make_course_copy

from .conftest import NOTEBOOK, run_cli, write

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
FIRST_FIVE = ["imports", "load-data", "show-images", "normalize", "one-hot"]


def peak_rss_of_grading(course, student) -> int:
    """Peak resident memory of the nbgrader process alone (not its kernels), grading one student."""
    process = subprocess.Popen(
        [sys.executable, "-m", "nbgrader", "autograde", "ps1", "--student", student, "--force"],
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


def test_a_flood_of_output_costs_the_grader_no_memory(tmp_path):
    course = make_course_copy(tmp_path / "course")
    assert run_cli(course, "release").returncode == 0
    release = nbformat.read(course / "release" / "ps1" / NOTEBOOK, as_version=4)
    reference = samples.solution_code(nbformat.read(course / "source" / "ps1" / NOTEBOOK, as_version=4))
    first_five = {k: v for k, v in reference.items() if k in FIRST_FIVE}
    floods = {"prints-1-mb": 'print("x" * 1_000_000)', "prints-300-mb": 'print("x" * 300_000_000)'}
    for student, code in floods.items():
        write(course, student, samples.fill(release, {**first_five, "build-model": code}))
    small, big = (peak_rss_of_grading(course, student) for student in floods)
    assert big - small < 80 * 2**20, f"grading 300 MB of output took {(big - small) / 2**20:.0f} MB more"
    graded = nbformat.read(course / "autograded" / "prints-300-mb" / "ps1" / NOTEBOOK, as_version=4)
    assert (course / "autograded" / "prints-300-mb" / "ps1" / NOTEBOOK).stat().st_size < 2_000_000
    assert "[output limit]" in str(graded)
