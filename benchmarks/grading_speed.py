"""Grading speed benchmark: `./course benchmark` (see benchmarks/README.md).

Measures, side by side on this machine:
  1. this course: one reference submission autograded end to end, several runs;
  2. stock nbgrader: the tutorial's settings (10 epochs, batch 32) with nbgrader's
     default Execute step (only its 30 s cell timeout raised so training can finish);
  3. a batch of submissions (the sample class, repeated) graded by one worker
     and by the worker pool;
  4. nbgrader's documentation course (two notebooks, tests that call student
     functions): stock nbgrader and this grader, runs interleaved;
and prints one table: median/min/max seconds, peak memory, accuracy, ratios.
`./course benchmark --service [--assignment ps1] [--burst 40]` runs only the grading service's
rows instead (benchmarks/service_speed.py: a burst through `./course serve`, local pool and
Celery; every option after --service is passed to it).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import course_config  # noqa: E402
from coursetools.course import plugins  # noqa: E402
from coursetools.workflow import samples  # noqa: E402
from coursetools.workflow.autograde import grade_students  # noqa: E402
from coursetools.workflow.course_copy import make_course_copy  # noqa: E402
from coursetools.workflow.nbgrader_runner import nbgrader  # noqa: E402
from coursetools.workflow.scores import step_scores  # noqa: E402
from coursetools.workflow.submissions import submit  # noqa: E402
from tests.docs_course import DocsCourseMissing, add_docs_assignment, copy_submissions, stock_course  # noqa: E402

NOTEBOOK = "fashion_mnist.ipynb"
SETTINGS = course_config.ASSIGNMENTS["ps1"]["settings"]
STOCK_CONFIG = """\
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "stock"
c.Execute.timeout = 900  # stock default is 30 s, which the tutorial's training cell exceeds
"""


class PeakMemory:
    """Peak resident memory of a process tree, sampled every 0.2 s."""

    def __init__(self):
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        me = psutil.Process()
        while not self._stop.wait(0.2):
            try:
                rss = sum(p.memory_info().rss for p in me.children(recursive=True))
            except psutil.Error:
                continue
            self.peak = max(self.peak, rss)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def timed_autograde(course: Path, student: str, assignment: str = "ps1") -> tuple[float, int]:
    with PeakMemory() as memory:
        start = time.perf_counter()
        nbgrader(course, "autograde", assignment, "--student", student, "--force")
        elapsed = time.perf_counter() - start
    return elapsed, memory.peak


def printed_accuracy(course: Path, student: str, assignment: str = "ps1") -> float | None:
    notebook = course_config.ASSIGNMENTS[assignment]["notebooks"][0] + ".ipynb"
    nb = nbformat.read(course / "autograded" / student / assignment / notebook, as_version=4)
    text = json.dumps([c.get("outputs", []) for c in nb.cells if c.cell_type == "code"])
    found = re.findall(r"Test accuracy: ([0-9.]+)%", text)
    return float(found[-1]) / 100 if found else None


def reference_notebook(course: Path, assignment: str = "ps1"):
    notebook = course_config.ASSIGNMENTS[assignment]["notebooks"][0] + ".ipynb"
    source = nbformat.read(course / "source" / assignment / notebook, as_version=4)
    release = nbformat.read(course / "release" / assignment / notebook, as_version=4)
    return samples.fill(release, samples.solution_code(source)), release, source


def grade_reference_repeatedly(course: Path, runs: int, label: str, assignment: str = "ps1") -> dict:
    """Release, submit the reference solution, autograde it `runs` times."""
    nbgrader(course, "generate_assignment", assignment, "--force")
    reference, _, _ = reference_notebook(course, assignment)
    notebook = course_config.ASSIGNMENTS[assignment]["notebooks"][0]
    submit(course, assignment, "reference", {notebook: reference})
    times, peaks = [], []
    for i in range(runs):
        elapsed, peak = timed_autograde(course, "reference", assignment)
        times.append(elapsed)
        peaks.append(peak)
        print(f"  {label} run {i + 1}/{runs}: {elapsed:.1f} s", flush=True)
    score = sum(s.score or 0 for s in step_scores(course, assignment, "reference"))
    accuracy = printed_accuracy(course, "reference", assignment)
    return {"times": times, "peak": max(peaks), "accuracy": accuracy, "score": score}


def bench_ps2(work: Path, runs: int) -> dict:
    return grade_reference_repeatedly(make_course_copy(work / "ps2"), runs, "ps2", "ps2")


def bench_course(work: Path, runs: int) -> dict:
    return grade_reference_repeatedly(make_course_copy(work / "course"), runs, "course")


@contextlib.contextmanager
def course_data_for_stock_kernels():
    """Stock nbgrader's kernels inherit the environment: point Keras at the course's data."""
    env_home = os.environ.get("KERAS_HOME")
    os.environ["KERAS_HOME"] = str(course_config.KERAS_HOME)
    try:
        yield
    finally:
        if env_home is None:
            os.environ.pop("KERAS_HOME", None)
        else:
            os.environ["KERAS_HOME"] = env_home


def stock_ps1_course(folder: Path, settings: dict) -> Path:
    """A stock nbgrader course with ps1's source notebook, its locked settings replaced by `settings`."""
    (folder / "source" / "ps1").mkdir(parents=True)
    source = nbformat.read(ROOT / "source" / "ps1" / NOTEBOOK, as_version=4)
    for cell in source.cells:
        if cell.metadata.get("nbgrader", {}).get("locked"):
            for name, value in settings.items():
                cell.source = re.sub(rf"^{name} = [^#\n]*", f"{name} = {value!r} ", cell.source, flags=re.M)
    nbformat.write(source, folder / "source" / "ps1" / NOTEBOOK)
    (folder / "nbgrader_config.py").write_text(STOCK_CONFIG)
    return folder


def bench_stock(work: Path, runs: int) -> dict:
    """nbgrader as shipped, grading the tutorial's notebook (10 epochs of 32)."""
    course = stock_ps1_course(work / "stock", plugins.load("ps1").STOCK_BENCHMARK_SETTINGS)
    with course_data_for_stock_kernels():
        return grade_reference_repeatedly(course, runs, "stock")


def bench_same_notebook(work: Path, runs: int) -> dict:
    """The same ps1 reference notebook, course settings: stock nbgrader and this grader, interleaved."""
    stock = stock_ps1_course(work / "same-stock", {})
    ours = make_course_copy(work / "same-course")
    for course in (stock, ours):
        nbgrader(course, "generate_assignment", "ps1", "--force")
        reference, _, _ = reference_notebook(course)
        submit(course, "ps1", "reference", {NOTEBOOK.removesuffix(".ipynb"): reference})
    with course_data_for_stock_kernels():
        return interleaved(stock, ours, ["reference"], "ps1", runs, "same notebook")


def interleaved(stock: Path, ours: Path, students: list[str], assignment: str, runs: int, label: str) -> dict:
    """Grade the same students with stock nbgrader and with this course, alternating, `runs` rounds."""
    result = {"stock": [], "course": [], "stock_peak": 0, "course_peak": 0}
    for i in range(runs):
        for side, course in (("stock", stock), ("course", ours)):
            for student in students:
                elapsed, peak = timed_autograde(course, student, assignment)
                result[side].append(elapsed)
                result[f"{side}_peak"] = max(result[f"{side}_peak"], peak)
        print(
            f"  {label} run {i + 1}/{runs}: stock {statistics.median(result['stock']):.1f} s, "
            f"course {statistics.median(result['course']):.1f} s (medians so far)",
            flush=True,
        )
    return result


def bench_batch(work: Path, size: int, workers: int) -> dict:
    course = make_course_copy(work / "batch")
    nbgrader(course, "generate_assignment", "ps1", "--force")
    _, release, source = reference_notebook(course)
    answers = samples.solution_code(source)
    sample_class = plugins.sample_class("ps1")
    kinds = list(sample_class.items())
    students = []
    for i in range(size):
        name, (build, _) = kinds[i % len(kinds)]
        student = f"{name}-{i:02d}"
        submit(course, "ps1", student, {NOTEBOOK.removesuffix(".ipynb"): samples.fill(release, build(answers))})
        students.append(student)
    result = {}
    for label, n in (("sequential", 1), ("pool", workers)):
        start = time.perf_counter()
        failures = grade_students(course, "ps1", students, workers=n, quiet=True)
        result[label] = time.perf_counter() - start
        expected = {s: sample_class[s.rsplit("-", 1)[0]][1] for s in students}
        wrong = [s for s in students if sum(x.score or 0 for x in step_scores(course, "ps1", s)) != expected[s]]
        result[f"{label}_problems"] = len(failures) + len(wrong)
        print(
            f"  batch of {size}, {n} worker(s): {result[label]:.0f} s, "
            f"{len(failures)} failed, {len(wrong)} wrong scores",
            flush=True,
        )
    log_text = "".join(p.read_text() for p in (course / "logs" / "ps1").glob("*.log"))
    result["locked"] = log_text.count("database is locked")
    return result


def bench_docs(work: Path, runs: int) -> dict:
    """nbgrader's documentation course (installed with nbgrader), per submission: stock nbgrader
    vs this grader, interleaved."""
    assignment = "docs"
    ours = make_course_copy(work / "docs-course")
    add_docs_assignment(ours, assignment)
    stock = stock_course(work / "docs-stock", assignment)
    for course in (ours, stock):
        nbgrader(course, "generate_assignment", assignment, "--force")
        students = copy_submissions(course / "submitted", assignment)
    return interleaved(stock, ours, students, assignment, runs, "docs course")


def print_side_by_side(title: str, result: dict) -> None:
    ratio = statistics.median(result["course"]) / statistics.median(result["stock"])
    print(f"\n{title}:\n")
    print("| setting | median s | min / max s | peak memory | test accuracy | ratio |")
    print("|---|---|---|---|---|---|")
    print(row("stock nbgrader", result["stock"], result["stock_peak"], None, "1.0x"))
    print(
        row(
            "this course (sandbox, checker, call relay)",
            result["course"],
            result["course_peak"],
            None,
            f"{ratio:.2f}x stock",
        )
    )


def data_load_seconds() -> float:
    code = (
        "import time, keras; t = time.perf_counter(); keras.datasets.fashion_mnist.load_data(); "
        "print(time.perf_counter() - t)"
    )
    env = {**os.environ, "KERAS_HOME": str(course_config.KERAS_HOME), "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def row(label, times, peak=None, accuracy=None, ratio=""):
    med = statistics.median(times)
    acc = f"{accuracy:.4f}" if accuracy is not None else "-"
    mem = f"{peak / 2**20:,.0f} MB" if peak else "-"
    return f"| {label} | {med:.1f} | {min(times):.1f} / {max(times):.1f} | {mem} | {acc} | {ratio} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="runs of the course grader (default 5)")
    parser.add_argument("--stock-runs", type=int, default=3, help="runs of stock nbgrader (default 3)")
    parser.add_argument("--batch", type=int, default=30, help="submissions in the batch (default 30)")
    parser.add_argument("--workers", type=int, default=course_config.GRADING_WORKERS)
    parser.add_argument("--docs-runs", type=int, default=5, help="runs over the documentation course (default 5)")
    parser.add_argument(
        "--same-runs", type=int, default=5, help="runs of the same notebook, stock vs course (default 5)"
    )
    parser.add_argument("--ps2-runs", type=int, default=5, help="runs of ps2's reference (default 5)")
    parser.add_argument(
        "--service",
        action="store_true",
        help="only the grading service's rows: the other options go to benchmarks/service_speed.py "
        "(--assignment, --burst, --singles, --backends; see its --help)",
    )
    if "--service" in sys.argv[1:]:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import service_speed

        service_speed.main([arg for arg in sys.argv[1:] if arg != "--service"])
        return
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        work = Path(tmp)
        print(f"data load from the local cache: {data_load_seconds():.2f} s", flush=True)
        print("grading one reference submission with this course's grader ...", flush=True)
        course = bench_course(work, max(1, args.runs))
        print("grading the tutorial's notebook with stock nbgrader ...", flush=True)
        stock = bench_stock(work, args.stock_runs) if args.stock_runs else None
        print(f"grading a batch of {args.batch} ...", flush=True)
        batch = bench_batch(work, args.batch, args.workers) if args.batch else None
        print("grading nbgrader's documentation course, stock and this grader ...", flush=True)
        try:
            docs = bench_docs(work, args.docs_runs) if args.docs_runs else None
        except DocsCourseMissing as missing:
            print(f"  skipped: {missing}", flush=True)
            docs = None
        print("grading ps2's reference submission ...", flush=True)
        ps2 = bench_ps2(work, args.ps2_runs) if args.ps2_runs else None
        print("grading the same ps1 reference notebook, stock and this grader ...", flush=True)
        same = bench_same_notebook(work, args.same_runs) if args.same_runs else None
        shutil.rmtree(work, ignore_errors=True)

    print(
        f"\nmachine: {os.cpu_count()} cores; course settings: {SETTINGS['EPOCHS']} epochs, "
        f"batch {SETTINGS['BATCH_SIZE']}; reference score {course['score']:g}/15\n"
    )
    print("| setting | median s | min / max s | peak memory | test accuracy | ratio |")
    print("|---|---|---|---|---|---|")
    course_median = statistics.median(course["times"])
    if stock:
        speedup = statistics.median(stock["times"]) / course_median
        print(
            row(
                "stock nbgrader, tutorial settings (10 epochs, batch 32)",
                stock["times"],
                stock["peak"],
                stock["accuracy"],
                "1.0x",
            )
        )
        print(
            row(
                f"this course ({SETTINGS['EPOCHS']} epochs, batch {SETTINGS['BATCH_SIZE']}, sandbox, checker)",
                course["times"],
                course["peak"],
                course["accuracy"],
                f"{speedup:.1f}x faster than stock",
            )
        )
    else:
        print(row("this course", course["times"], course["peak"], course["accuracy"]))
    if batch:
        gain = batch["sequential"] / batch["pool"]
        print(f"| batch of {args.batch}, 1 worker | {batch['sequential']:.0f} (total) | | | | 1.0x |")
        print(
            f"| batch of {args.batch}, {args.workers} workers | {batch['pool']:.0f} (total) | | | | "
            f"{gain:.2f}x throughput |"
        )
        print(
            f"\nbatch problems: {batch['sequential_problems'] + batch['pool_problems']} failed or wrong scores, "
            f"{batch['locked']} 'database is locked' messages"
        )
    if ps2:
        print(f"\nps2, reference submission end to end ({ps2['score']:g}/13 autograded):\n")
        print("| setting | median s | min / max s | peak memory | test accuracy | ratio |")
        print("|---|---|---|---|---|---|")
        print(row("ps2 reference (this course)", ps2["times"], ps2["peak"], ps2["accuracy"]))
    for title, side_by_side in (
        ("The same ps1 reference notebook, course settings, one submission", same),
        ("nbgrader's documentation course, one submission (2 notebooks)", docs),
    ):
        if side_by_side:
            print_side_by_side(title, side_by_side)


if __name__ == "__main__":
    main()
