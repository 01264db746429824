"""Checks on generated student notebooks: no leaks, and release/ is fresh."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbgrader import utils

from coursetools.course.language import METADATA_KEY

MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
SOLUTION_BEGIN, SOLUTION_END = "### BEGIN SOLUTION", "### END SOLUTION"
# Lines shorter than this (after stripping) are too generic to count as a leak.
MIN_LEAK_LINE = 12


def _region_lines(source: str, begin: str, end: str) -> list[str]:
    lines, inside = [], False
    for line in source.split("\n"):
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif inside:
            lines.append(line.strip())
    return lines


def secret_lines(source_nb) -> set[str]:
    """Lines of reference solutions and hidden tests that students must never see
    (lines also given openly elsewhere in the notebook do not count)."""
    secrets, public = set(), set()
    for cell in source_nb.cells:
        public.update(line.strip() for line in _outside_regions(cell.source))
        if cell.cell_type != "code":
            continue
        if utils.is_solution(cell):
            secrets.update(_region_lines(cell.source, SOLUTION_BEGIN, SOLUTION_END))
        if utils.is_grade(cell):
            secrets.update(_region_lines(cell.source, HIDDEN_BEGIN, HIDDEN_END))
    return {line for line in secrets - public if len(line) >= MIN_LEAK_LINE and not line.startswith("#")}


def _outside_regions(source: str) -> list[str]:
    lines, inside = [], False
    for line in source.split("\n"):
        if SOLUTION_BEGIN in line or HIDDEN_BEGIN in line:
            inside = True
        elif SOLUTION_END in line or HIDDEN_END in line:
            inside = False
        elif not inside:
            lines.append(line)
    return lines


def find_leaks(source_nb, release_nb) -> list[str]:
    """Every way the release notebook gives away what it should not, as messages."""
    problems = []
    secrets = secret_lines(source_nb)
    for index, cell in enumerate(release_nb.cells):
        where = f"cell {index} ({cell.metadata.get('nbgrader', {}).get('grade_id', cell.cell_type)})"
        text = cell.source
        for marker in MARKERS:
            if marker in text:
                problems.append(f"{where} contains the marker '{marker}'")
        for line in {line.strip() for line in text.split("\n")} & secrets:
            problems.append(f"{where} contains solution or hidden-test code: {line!r}")
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count")):
            problems.append(f"{where} has outputs or an execution count")
    return problems


def comparable(nb) -> list[tuple]:
    """What matters in a generated notebook, without volatile metadata."""
    return [(c.cell_type, c.source, c.metadata.get("nbgrader", {})) for c in nb.cells] + [
        ("kernelspec", nb.metadata.get("kernelspec", {})),
        ("language", nb.metadata.get(METADATA_KEY)),  # the language a translated version is in
    ]


def stale_release_files(fresh_dir: Path, committed_dir: Path) -> list[str]:
    """Differences between a fresh generation and the committed release folder."""
    problems = []
    fresh = {p.relative_to(fresh_dir) for p in fresh_dir.rglob("*") if p.is_file()}
    committed = (
        {p.relative_to(committed_dir) for p in committed_dir.rglob("*") if p.is_file()}
        if committed_dir.is_dir()
        else set()
    )
    for rel in sorted(fresh - committed):
        problems.append(f"{committed_dir / rel} is missing")
    for rel in sorted(committed - fresh):
        problems.append(f"{committed_dir / rel} is not generated from source/")
    for rel in sorted(fresh & committed):
        if rel.suffix == ".ipynb":
            same = comparable(nbformat.read(fresh_dir / rel, as_version=4)) == comparable(
                nbformat.read(committed_dir / rel, as_version=4)
            )
        else:
            same = (fresh_dir / rel).read_bytes() == (committed_dir / rel).read_bytes()
        if not same:
            problems.append(f"{committed_dir / rel} differs from a fresh generation")
    return problems
