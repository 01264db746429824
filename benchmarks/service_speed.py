"""Grading-service benchmark (coursetools/service): a burst of submissions of one assignment
through `./course serve`, with its local pool (no broker) and with Celery workers on a Redis the
benchmark starts (1, then 2 workers of concurrency 1), beside a direct `./course autograde
--student` of the same submission. The assignment is the engine test assignment (plain Python, no
TensorFlow; tests/engine_course.py) or one of the course's own, e.g. `--assignment ps1 --burst 6`
(its reference solution, in a released scratch copy of this course: tests/service_course.py).

Rows per backend: throughput (submissions per minute over the burst), submit-to-feedback
latency p50/p95 (the exchange's submission time to the feedback released in the exchange),
result-to-recorded p50/p95 (a grading's end to its result in the gradebook: feedback is made
beside the loop, so this stays short however many feedbacks wait), the worker's grading time,
and the queue's own cost per job: before the burst, submissions one at a time to an idle
service, (recorded - submitted) - (finished - started), i.e. collect, send, pick-up, result and
recording, everything but the grading itself, with its parts: submitted-to-queued (collect and
send), queued-to-started (pick-up) and finished-to-recorded (result and recording).
Run: `./course benchmark --service [--assignment ps1] [--burst 40]` or
`.venv/bin/python benchmarks/service_speed.py ...`; the issue's rows are `--burst 40` (engine) and
`--assignment ps1 --burst 6`.
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.engine_course import run_cli  # noqa: E402
from tests.service_course import (  # noqa: E402
    Service,
    course_copy,
    notebook_of,
    put_in_inbound,
    reference_submission,
    released_course,
    start,
    stop,
    wait_for,
)

SINGLES = 3  # submissions one at a time to an idle service (the queue's own cost), and direct gradings
BACKENDS = {
    "local": ("local pool, 2 workers", 2),
    "celery1": ("Celery, 1 worker", 1),
    "celery2": ("Celery, 2 workers", 2),
}


def phases(course: Path) -> list[dict]:
    if not (course / "service.db").is_file():  # the coordinator still starting
        return []
    query = "SELECT key, submitted, queued, started, finished, recorded, released FROM jobs WHERE state = 'done'"
    try:
        with sqlite3.connect(course / "service.db", timeout=30) as db:
            db.row_factory = sqlite3.Row
            return [dict(row) for row in db.execute(query)]
    except sqlite3.OperationalError:  # its table not made yet
        return []


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(share * len(ordered)) - 1)]


def done(course: Path, size: int) -> bool:
    rows = phases(course)
    return len(rows) == size and all(row["released"] for row in rows)


def run(course: Path, assignment: str, size: int, singles: int) -> dict:
    """Submit `singles` one at a time, then `size` at once, to the serve already running on `course`."""
    nb = reference_submission(course, assignment)
    for n in range(singles):
        put_in_inbound(course, f"single{n}", nb, assignment)
        wait_for(lambda n=n: done(course, n + 1), "a single submission", 1800, 0.2)
    alone = phases(course)
    start_time = time.time()
    for n in range(size):
        put_in_inbound(course, f"s{n:03d}", nb, assignment)
    wait_for(lambda: done(course, singles + size), "the burst", 7200, 1)
    rows = [row for row in phases(course) if not row["key"].startswith("single")]
    last = max(row["released"] for row in rows)
    latency = [row["released"] - row["submitted"] for row in rows]
    recording = [row["recorded"] - row["finished"] for row in rows]
    median = statistics.median
    return {
        "throughput_per_min": 60 * len(rows) / (last - start_time),
        "latency": (median(latency), percentile(latency, 0.95)),
        "recording": (median(recording), percentile(recording, 0.95)),
        "grading_median": median(row["finished"] - row["started"] for row in rows),
        "queue_cost": alone
        and median((row["recorded"] - row["submitted"]) - (row["finished"] - row["started"]) for row in alone),
        "queue_parts": alone
        and (
            median(row["queued"] - row["submitted"] for row in alone),
            median(row["started"] - row["queued"] for row in alone),
            median(row["recorded"] - row["finished"] for row in alone),
        ),
    }


def ready(log: Path) -> None:
    """Until `./course serve` has started (its start-up is not the queue's cost per job)."""
    wait_for(lambda: log.is_file() and "Serving " in log.read_text(), "serve to start", 300)


def celery(template: Path, folder: Path, assignment: str, size: int, singles: int, workers: int) -> dict:
    service = Service(template, folder, assignment=assignment)
    try:
        for n in range(workers):
            service.worker(f"w{n}")
        for n in range(workers):
            wait_for(lambda n=n: "ready." in (folder / f"w{n}.log").read_text(), "a worker", 300)
        service.serve()
        ready(folder / "serve.log")
        return run(service.course, assignment, size, singles)
    finally:
        service.close()


def local(template: Path, folder: Path, assignment: str, size: int, singles: int, workers: int) -> dict:
    course = course_copy(template, folder / "course")
    env = {key: value for key, value in os.environ.items() if key != "COURSE_BROKER_URL"}
    serve = start(
        course, "serve", "--assignment", assignment, "--workers", str(workers), log=folder / "serve.log", env=env
    )
    try:
        ready(folder / "serve.log")
        return run(course, assignment, size, singles)
    finally:
        stop(serve, signal.SIGKILL)


def direct(template: Path, folder: Path, assignment: str) -> float:
    import nbformat

    course = course_copy(template, folder)
    path = course / "submitted" / "direct" / assignment / f"{notebook_of(course, assignment)}.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(reference_submission(course, assignment), path)
    start_time = time.time()
    finished = run_cli(course, "autograde", "--assignment", assignment, "--student", "direct")
    assert finished.returncode == 0, finished.stdout + finished.stderr
    return time.time() - start_time


def measure(assignment: str, size: int, singles: int = SINGLES, backends: tuple[str, ...] = tuple(BACKENDS)) -> None:
    with tempfile.TemporaryDirectory(prefix="service-bench-") as tmp:
        work = Path(tmp)
        print(f"releasing {assignment} in a scratch course ...", flush=True)
        template = released_course(work / "template", assignment)
        runs = max(1, singles)
        alone = statistics.median(direct(template, work / f"direct{n}", assignment) for n in range(runs))
        results = {}
        for name in backends:
            label, workers = BACKENDS[name]
            print(f"{label}: {singles} single submission(s), then a burst of {size} ...", flush=True)
            folder = work / name
            folder.mkdir()
            backend = local if name == "local" else celery
            results[label] = backend(template, folder, assignment, size, singles, workers)
    load = os.getloadavg()
    print(
        f"\nmachine: {platform.node()}, {os.cpu_count()} cores, load average at the end {load[0]:.1f} "
        f"(shared with other work); burst of {size} {assignment} submissions\n"
    )
    print(f"direct `./course autograde --student` ({assignment}, median of {runs}): {alone:.1f} s\n")
    print(
        "| backend | throughput | submit-to-feedback p50 / p95 | result-to-recorded p50 / p95 "
        "| grading (median) | queue cost per job (collect + pick-up + recording) |"
    )
    print("|---|---|---|---|---|---|")
    for label, r in results.items():
        cost = "-"
        if r["queue_parts"]:
            cost = f"{r['queue_cost']:.2f} s ({' + '.join(f'{part:.2f}' for part in r['queue_parts'])})"
        print(
            f"| {label} | {r['throughput_per_min']:.1f} / min | {r['latency'][0]:.1f} s / {r['latency'][1]:.1f} s "
            f"| {r['recording'][0]:.2f} s / {r['recording'][1]:.2f} s | {r['grading_median']:.1f} s | {cost} |"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--assignment", default="engine", help="engine (default: no TensorFlow) or the course's, e.g. ps1"
    )
    parser.add_argument("--burst", type=int, default=40, help="submissions in the burst (default 40)")
    parser.add_argument(
        "--singles",
        type=int,
        default=SINGLES,
        help=f"submissions one at a time before the burst, and direct gradings (default {SINGLES})",
    )
    parser.add_argument(
        "--backends",
        default=",".join(BACKENDS),
        help=f"which rows, comma-separated (default {','.join(BACKENDS)})",
    )
    args = parser.parse_args(argv)
    backends = [name.strip() for name in args.backends.split(",") if name.strip()]
    unknown = sorted(set(backends) - set(BACKENDS))
    if unknown or not backends:
        parser.error(f"--backends: use some of {', '.join(BACKENDS)} (not {', '.join(unknown) or 'none'})")
    if args.burst < 1 or args.singles < 0:
        parser.error("--burst must be at least 1 and --singles at least 0")
    measure(args.assignment, args.burst, args.singles, backends)


if __name__ == "__main__":
    main()
