"""Grading-service benchmark (coursetools/service): a burst of submissions of the engine test
assignment (plain Python, no TensorFlow) through `./course serve` and Celery workers on a Redis
the benchmark starts, with 1 and then 2 workers, beside a direct `./course autograde --student`.

Rows: throughput (submissions per minute), submit-to-recorded latency p50/p95, the worker's own
grading time, and the queue's cost per job (recorded - submitted, less the worker's grading time,
for a job that found an idle worker). Run: `.venv/bin/python benchmarks/service_speed.py --burst 40`.
"""

from __future__ import annotations

import argparse
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.engine_course import run_cli  # noqa: E402
from tests.service_course import Service, put_in_inbound, released_engine_course, wait_for  # noqa: E402


def phases(course: Path) -> list[tuple[float, float, float, float]]:
    """(submitted, started, finished, recorded) of each done job; submitted is the coordinator's
    collect time (queued), as the exchange folder's time has a second's resolution."""
    with sqlite3.connect(course / "service.db") as db:
        return list(db.execute("SELECT queued, started, finished, recorded FROM jobs WHERE state = 'done'"))


def burst(template: Path, folder: Path, size: int, workers: int) -> dict:
    service = Service(template, folder)
    try:
        for n in range(workers):
            service.worker(f"w{n}")
        for n in range(workers):
            wait_for(lambda n=n: "ready." in (folder / f"w{n}.log").read_text(), "a worker", 300)
        service.serve()
        start = time.time()
        for n in range(size):
            put_in_inbound(service.course, f"s{n:03d}")
        wait_for(lambda: len(service.states()) == size and service.all_in("done", "failed"), "the burst", 3600, 1)
        elapsed = time.time() - start
        rows = phases(service.course)
        latency = sorted(recorded - queued for queued, _, _, recorded in rows)
        grading = [finished - started for _, started, finished, _ in rows]
        first = min(rows)  # the first job found an idle worker
        return {
            "throughput_per_min": 60 * len(rows) / elapsed,
            "latency_p50": statistics.median(latency),
            "latency_p95": latency[max(0, round(0.95 * len(latency)) - 1)],
            "grading_median": statistics.median(grading),
            "queue_cost_first_job": (first[3] - first[0]) - (first[2] - first[1]),
        }
    finally:
        service.close()


def direct(template: Path, folder: Path) -> float:
    from tests.engine_course import submission, submit
    from tests.service_course import course_copy

    course = course_copy(template, folder)
    submit(course, "direct", submission(course))
    start = time.time()
    done = run_cli(course, "autograde", "--assignment", "engine", "--student", "direct")
    assert done.returncode == 0, done.stderr
    return time.time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--burst", type=int, default=40, help="submissions in the burst (default 40)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="service-bench-") as tmp:
        work = Path(tmp)
        template = released_engine_course(work / "template")
        results = {w: burst(template, work / f"burst{w}", args.burst, w) for w in (1, 2)}
        alone = direct(template, work / "direct")
    print(f"machine: {platform.node()}, {platform.processor() or platform.machine()}; burst of {args.burst}")
    print(f"direct `./course autograde --student` (engine): {alone:.1f} s")
    for workers, r in results.items():
        print(
            f"{workers} worker(s): {r['throughput_per_min']:.1f}/min, latency p50 {r['latency_p50']:.1f} s "
            f"p95 {r['latency_p95']:.1f} s, grading {r['grading_median']:.1f} s, "
            f"queue cost (first job) {r['queue_cost_first_job']:.2f} s"
        )


if __name__ == "__main__":
    main()
