"""Grading-service benchmark (coursetools/service): a burst of submissions of the engine test
assignment (plain Python, no TensorFlow) through `./course serve`, with its local pool (no
broker) and with Celery workers on a Redis the benchmark starts (1, then 2 workers of
concurrency 1), beside a direct `./course autograde --student` of the same submission.

Rows per backend: throughput (submissions per minute over the burst), submit-to-feedback
latency p50/p95 (the exchange's submission time to the feedback released in the exchange),
result-to-recorded p50/p95 (a grading's end to its result in the gradebook: feedback is made
beside the loop, so this stays short however many feedbacks wait), the worker's grading time,
and the queue's own cost per job: before the burst, submissions one at a time to an idle
service, (recorded - submitted) - (finished - started), i.e. collect, send, pick-up, result and
recording, everything but the grading itself.
Run: `./course benchmark --service [--burst 40]` or `.venv/bin/python benchmarks/service_speed.py`.
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
    put_in_inbound,
    released_engine_course,
    start,
    stop,
    wait_for,
)

SINGLES = 3  # submissions one at a time to an idle service: the queue's own cost


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


def run(course: Path, size: int, singles: int) -> dict:
    """Submit `singles` one at a time, then `size` at once, to the serve already running on `course`."""
    for n in range(singles):
        put_in_inbound(course, f"single{n}")
        wait_for(lambda n=n: done(course, n + 1), "a single submission", 600, 0.2)
    alone = phases(course)
    start_time = time.time()
    for n in range(size):
        put_in_inbound(course, f"s{n:03d}")
    wait_for(lambda: done(course, singles + size), "the burst", 7200, 1)
    rows = [row for row in phases(course) if not row["key"].startswith("single")]
    last = max(row["released"] for row in rows)
    latency = [row["released"] - row["submitted"] for row in rows]
    recording = [row["recorded"] - row["finished"] for row in rows]
    return {
        "throughput_per_min": 60 * len(rows) / (last - start_time),
        "latency": (statistics.median(latency), percentile(latency, 0.95)),
        "recording": (statistics.median(recording), percentile(recording, 0.95)),
        "grading_median": statistics.median(row["finished"] - row["started"] for row in rows),
        "queue_cost": statistics.median(
            (row["recorded"] - row["submitted"]) - (row["finished"] - row["started"]) for row in alone
        ),
    }


def celery(template: Path, folder: Path, size: int, workers: int) -> dict:
    service = Service(template, folder)
    try:
        for n in range(workers):
            service.worker(f"w{n}")
        for n in range(workers):
            wait_for(lambda n=n: "ready." in (folder / f"w{n}.log").read_text(), "a worker", 300)
        service.serve()
        return run(service.course, size, SINGLES)
    finally:
        service.close()


def local(template: Path, folder: Path, size: int, workers: int) -> dict:
    course = course_copy(template, folder / "course")
    env = {key: value for key, value in os.environ.items() if key != "COURSE_BROKER_URL"}
    serve = start(course, "serve", "--workers", str(workers), log=folder / "serve.log", env=env)
    try:
        return run(course, size, SINGLES)
    finally:
        stop(serve, signal.SIGKILL)


def direct(template: Path, folder: Path) -> float:
    from tests.engine_course import submission, submit

    course = course_copy(template, folder)
    submit(course, "direct", submission(course))
    start_time = time.time()
    finished = run_cli(course, "autograde", "--assignment", "engine", "--student", "direct")
    assert finished.returncode == 0, finished.stderr
    return time.time() - start_time


def measure(size: int) -> None:
    with tempfile.TemporaryDirectory(prefix="service-bench-") as tmp:
        work = Path(tmp)
        template = released_engine_course(work / "template")
        alone = statistics.median(direct(template, work / f"direct{n}") for n in range(3))
        results = {}
        for label, backend, workers in (
            ("local pool, 2 workers", local, 2),
            ("Celery, 1 worker", celery, 1),
            ("Celery, 2 workers", celery, 2),
        ):
            print(f"{label}: {SINGLES} single submissions, then a burst of {size} ...", flush=True)
            folder = work / label.replace(" ", "").replace(",", "-")
            folder.mkdir()
            results[label] = backend(template, folder, size, workers)
    load = os.getloadavg()
    print(
        f"\nmachine: {platform.node()}, {os.cpu_count()} cores, load average at the end {load[0]:.1f} "
        f"(shared with other work); burst of {size} engine submissions\n"
    )
    print(f"direct `./course autograde --student` (engine, median of 3): {alone:.1f} s\n")
    print(
        "| backend | throughput | submit-to-feedback p50 / p95 | result-to-recorded p50 / p95 "
        "| grading (median) | queue cost per job |"
    )
    print("|---|---|---|---|---|---|")
    for label, r in results.items():
        print(
            f"| {label} | {r['throughput_per_min']:.1f} / min | {r['latency'][0]:.1f} s / {r['latency'][1]:.1f} s "
            f"| {r['recording'][0]:.2f} s / {r['recording'][1]:.2f} s | {r['grading_median']:.1f} s "
            f"| {r['queue_cost']:.2f} s |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--burst", type=int, default=40, help="submissions in the burst (default 40)")
    measure(parser.parse_args().burst)


if __name__ == "__main__":
    main()
