"""Time of the grader's output processing on adversarial outputs: `python benchmarks/output_processing.py`.

Each case is 1 MB of what a student's cell can print (carriage returns, backspaces, short
lines, many small displays), folded into a cell's budget as the grader does it, message by
message (coursetools/engine/output_limits.py). The old pass (regex until nothing changes) is timed
on 10 KB and 100 KB only: it is quadratic (68 s for 100 KB inside a grading).
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nbformat import from_dict  # noqa: E402

from coursetools.engine.output_limits import OutputBudget, OutputLimits, collapse_progress  # noqa: E402

_ERASED = re.compile(r"[^\n\x08]\x08")


def old_collapse(text: str) -> str:
    while _ERASED.search(text):
        text = _ERASED.sub("", text)
    text = text.replace("\x08", "")
    return "\n".join(line.rsplit("\r", 1)[-1] for line in text.split("\n"))


CASES = {
    "x then backspace": "x\x08",
    "nested backspaces": "x" * 500 + "\x08" * 500,
    "carriage returns": "12345\r",
    "short lines": "x\n",
    "progress bar": "\r[=====>    ] 12/100 \x08\x08",
}


def fold_messages(unit: str, total: int, chunk: int = 1_000) -> float:
    """Fold `total` characters of `unit` arriving in messages of `chunk` characters."""
    text = unit * (total // len(unit))
    budget = OutputBudget(OutputLimits.from_course())
    outs: list = []
    started = time.perf_counter()
    for start in range(0, len(text), chunk):
        outs.append(from_dict({"output_type": "stream", "name": "stdout", "text": text[start : start + chunk]}))
        budget.fold(outs, 0)
    budget.finish_cell(outs)
    return time.perf_counter() - started


def many_displays(count: int) -> float:
    budget = OutputBudget(OutputLimits.from_course())
    outs: list = []
    started = time.perf_counter()
    for i in range(count):
        outs.append(from_dict({"output_type": "display_data", "metadata": {}, "data": {"text/plain": str(i)}}))
        budget.fold(outs, 0)
    budget.finish_cell(outs)
    return time.perf_counter() - started


def main() -> None:
    print(f"{'case':<20} {'collapse 1 MB':>14} {'fold 1 MB':>10} {'old 10 KB':>10} {'old 100 KB':>11}")
    for name, unit in CASES.items():
        big = unit * (1_000_000 // len(unit))
        started = time.perf_counter()
        collapse_progress(big, 100_000, 1_000)
        collapse = time.perf_counter() - started
        old = []
        for size in (10_000, 100_000):
            text = unit * (size // len(unit))
            started = time.perf_counter()
            old_collapse(text)
            old.append(time.perf_counter() - started)
        print(f"{name:<20} {collapse:>13.3f}s {fold_messages(unit, 1_000_000):>9.3f}s {old[0]:>9.3f}s {old[1]:>10.3f}s")
    print(f"5000 small displays folded: {many_displays(5_000):.3f} s")


if __name__ == "__main__":
    main()
