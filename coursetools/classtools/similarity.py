"""Which students' answers are unusually alike: pairs for the instructor to look at, never a verdict.

Only what students wrote is compared: the answer cells they changed, without the release's
starter code and the course's given cells (copydetect's boilerplate exclusion, fed with every
code cell of the release) and without import statements (every student imports the same names
the tutorial shows; matching imports say nothing). copydetect (Lingenfelter, the winnowing of
MOSS) fingerprints Python tokens with identifiers, function names and strings normalised, so
renamed variables, comments and whitespace change nothing and reordered statements keep their
own fingerprints. The report escapes everything a student wrote and forbids scripts.
"""

from __future__ import annotations

import ast
import html
import io
import itertools
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import numpy as np
from copydetect import CodeFingerprint, compare_files
from copydetect.utils import highlight_overlap
from IPython.core.inputtransformer2 import TransformerManager
from nbgrader import utils

import course_config
from coursetools.course.assignments import notebook_path, notebooks
from coursetools.workflow.submissions import students_in

# Fingerprint settings: copydetect's window of 1 keeps every k-gram (classes are small).
WINDOW = 1


@dataclass
class StudentCode:
    """One student's own code: the answer cells they changed, import lines left out."""

    student: str
    text: str
    fingerprint: CodeFingerprint | None = None

    @property
    def tokens(self) -> int:
        """Normalised characters of the student's own code left after the boilerplate."""
        return int(self.fingerprint.token_coverage) if self.fingerprint else 0


@dataclass
class Pair:
    first: str
    second: str
    score: float  # share of both students' own code that matches the other's
    share_first: float  # share of the first student's own code found in the second's
    share_second: float
    matched_tokens: int
    first_html: str  # the first student's own code, escaped, matches highlighted
    second_html: str


@dataclass
class ClassSimilarity:
    assignment: str
    threshold: float
    noise_tokens: int
    compared: list[str] = field(default_factory=list)
    too_little: list[str] = field(
        default_factory=list
    )  # wrote nothing beyond the release, or less than one fingerprint
    unreadable: dict[str, str] = field(default_factory=dict)  # student -> why
    pairs: list[Pair] = field(default_factory=list)  # every compared pair, highest score first

    @property
    def flagged(self) -> list[Pair]:
        return [p for p in self.pairs if p.score >= self.threshold]


def _without_imports(code: str) -> str:
    """The cell without its import statements, as Python parses it (IPython magics included)."""
    try:
        python = TransformerManager().transform_cell(code)
    except Exception:  # IPython's transformers raise several kinds on malformed input
        return code
    lines = code.rstrip("\n").split("\n")
    if len(python.rstrip("\n").split("\n")) != len(lines):
        return code  # a cell magic rewrote the lines: line numbers would not map back
    try:
        tree = ast.parse(python)
    except (SyntaxError, ValueError):
        return code  # not Python: compared as written
    drop = {
        line
        for node in tree.body
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for line in range(node.lineno - 1, node.end_lineno or node.lineno)
    }
    return "\n".join(line for i, line in enumerate(lines) if i not in drop)


def _without_starter_lines(code: str, starter: str) -> str:
    """The cell without the lines the release's version of it already had (given code, placeholders)."""
    given = {line.strip() for line in starter.split("\n") if line.strip()}
    return "\n".join(line for line in code.split("\n") if line.strip() not in given)


def _release_cells(root: Path, assignment: str) -> dict[str, object]:
    return {
        name: nbformat.read(notebook_path(root, "release", assignment, name), as_version=4)
        for name in notebooks(assignment)
    }


def own_code(submission: dict[str, object], release: dict[str, object]) -> str:
    """What a student wrote in the answer code cells, in the release's order, labelled by the release:
    the lines the release gave them and import lines left out."""
    parts = []
    for name, release_nb in release.items():
        given = {
            c.metadata["nbgrader"]["grade_id"]: c.source
            for c in release_nb.cells
            if c.cell_type == "code" and utils.is_solution(c)
        }
        written = {}
        for cell in submission.get(name, nbformat.v4.new_notebook()).cells:
            grade_id = _grade_id(cell)
            if cell.get("cell_type") == "code" and grade_id in given and grade_id not in written:
                written[grade_id] = cell.get("source") if isinstance(cell.get("source"), str) else ""
        for grade_id, starter in given.items():
            code = _without_starter_lines(written.get(grade_id, starter), starter)
            code = _without_imports(code).strip("\n")
            if code.strip():
                # the label is the release's, never the student's text; comments are not compared
                parts.append(f"# ---- {name}: {grade_id}\n{code}\n")
    return "\n".join(parts)


def _grade_id(cell) -> str | None:
    """The cell's nbgrader grade id, if its (student-controlled) metadata has a plain one."""
    metadata = cell.get("metadata")
    nbgrader = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    grade_id = nbgrader.get("grade_id") if isinstance(nbgrader, dict) else None
    return grade_id if isinstance(grade_id, str) else None


def boilerplate_hashes(release: dict[str, object], noise_tokens: int) -> np.ndarray:
    """Fingerprints of every code cell of the release, each on its own: the starter code and given cells."""
    hashes: set = set()
    for release_nb in release.values():
        for cell in release_nb.cells:
            if cell.cell_type == "code" and cell.source.strip():
                hashes |= _fingerprint("release.py", cell.source, noise_tokens).hashes
    return np.unique(np.array(sorted(hashes), dtype=np.int64))


def _fingerprint(label: str, text: str, noise_tokens: int, boilerplate=None) -> CodeFingerprint:
    return CodeFingerprint(
        label, noise_tokens, WINDOW, boilerplate=boilerplate, language="python", fp=io.StringIO(text)
    )


def compare_class(
    root: Path,
    assignment: str,
    threshold: float | None = None,
    noise_tokens: int | None = None,
) -> ClassSimilarity:
    """Compare every pair of students who submitted `assignment` in root/submitted/."""
    root = Path(root)
    threshold = course_config.SIMILARITY_THRESHOLD if threshold is None else threshold
    noise_tokens = course_config.SIMILARITY_NOISE_TOKENS if noise_tokens is None else noise_tokens
    release = _release_cells(root, assignment)
    boilerplate = boilerplate_hashes(release, noise_tokens)
    result = ClassSimilarity(assignment, threshold, noise_tokens)
    codes = []
    for student in students_in(root / "submitted", assignment):
        submission = {}
        for name in release:
            path = notebook_path(root, "submitted", assignment, name, student)
            if not path.is_file():
                continue  # a missing notebook is compared as released
            try:
                submission[name] = nbformat.read(path, as_version=4)
            except Exception as error:  # nbformat raises several kinds for broken files
                result.unreadable[student] = f"{path.name} is not a notebook ({str(error).splitlines()[0][:120]})"
        if student in result.unreadable:
            continue
        code = StudentCode(student, own_code(submission, release))
        code.fingerprint = _fingerprint(f"{student}.py", code.text, noise_tokens, boilerplate)
        if code.tokens == 0:
            result.too_little.append(student)
        else:
            codes.append(code)
    result.compared = [c.student for c in codes]
    for a, b in itertools.combinations(codes, 2):
        result.pairs.append(_compare(a, b))
    result.pairs.sort(key=lambda p: (-p.score, p.first, p.second))
    return result


def _compare(a: StudentCode, b: StudentCode) -> Pair:
    matched, (share_a, share_b), (slices_a, slices_b) = compare_files(a.fingerprint, b.fingerprint)
    share_a, share_b = min(float(share_a), 1.0), min(float(share_b), 1.0)
    score = (share_a * a.tokens + share_b * b.tokens) / (a.tokens + b.tokens)
    return Pair(
        a.student,
        b.student,
        score,
        share_a,
        share_b,
        int(matched),
        _highlighted(a.text, slices_a),
        _highlighted(b.text, slices_b),
    )


def _highlighted(text: str, slices) -> str:
    """The code HTML-escaped, with the matching regions in <mark> (copydetect escapes the text)."""
    if slices.size == 0:
        return html.escape(text)
    marked, _ = highlight_overlap(text, slices, "<mark>", "</mark>", escape_html=True)
    return marked


# -- the report ------------------------------------------------------------------------------
# No script may run in the report, whatever a student wrote: the page allows none.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
STYLE = """
body { font-family: sans-serif; margin: 2em; max-width: 1400px; }
.notice { background: #fff8e1; border: 1px solid #e0c060; padding: .8em 1em; }
table.pairs td, table.pairs th { padding: .2em .8em; text-align: left; }
.side { display: flex; gap: 1em; }
.side > div { flex: 1; min-width: 0; }
pre { background: #f6f6f6; padding: .6em; overflow-x: auto; font-size: 12px; white-space: pre-wrap; }
mark { background: #f5b7b1; }
"""


def write_report(path: Path, result: ClassSimilarity) -> Path:
    e = html.escape
    flagged = result.flagged
    rows = "".join(
        f"<tr><td><a href='#pair-{i}'>{e(p.first)}</a></td><td><a href='#pair-{i}'>{e(p.second)}</a></td><td>{p.score:.0%}</td>"
        f"<td>{p.share_first:.0%} / {p.share_second:.0%}</td><td>{p.matched_tokens}</td></tr>"
        for i, p in enumerate(flagged, 1)
    )
    details = "".join(
        f"<h3 id='pair-{i}'>{e(p.first)} and {e(p.second)}: {p.score:.0%} alike</h3>"
        f"<div class='side'><div><h4>{e(p.first)} ({p.share_first:.0%} of it matches)</h4><pre>{p.first_html}</pre></div>"
        f"<div><h4>{e(p.second)} ({p.share_second:.0%} of it matches)</h4><pre>{p.second_html}</pre></div></div>"
        for i, p in enumerate(flagged, 1)
    )
    highest_unflagged = next((p for p in result.pairs if p.score < result.threshold), None)
    notes = []
    if highest_unflagged:
        notes.append(
            f"Highest pair below the threshold: {e(highest_unflagged.first)} and {e(highest_unflagged.second)}, "
            f"{highest_unflagged.score:.0%}."
        )
    if result.too_little:
        notes.append(
            "Not compared, too little code of their own beyond the release (shorter than one fingerprint): "
            + ", ".join(e(s) for s in result.too_little)
            + "."
        )
    if result.unreadable:
        notes.append(
            "Not compared, notebook unreadable: "
            + "; ".join(f"{e(s)}: {e(why)}" for s, why in sorted(result.unreadable.items()))
            + "."
        )
    table = (
        "<table class='pairs'><tr><th>student</th><th>student</th><th>similarity</th>"
        "<th>share of each one's code</th><th>matching tokens</th></tr>" + rows + "</table>"
        if flagged
        else "<p><b>No pair reaches the threshold.</b></p>"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<meta http-equiv='Content-Security-Policy' content=\"{CSP}\">"
        f"<title>{e(result.assignment)}: similarity report</title><style>{STYLE}</style></head><body>"
        f"<h1>{e(result.assignment)}: similarity report</h1>"
        "<p class='notice'><b>This report flags pairs of submissions for a person to look at; it is not a verdict.</b> "
        "Similar code has honest causes (the same tutorial, a worked example, a study group the course allows). "
        "Read both sides before drawing any conclusion, and talk to the students.</p>"
        f"<p>{len(result.compared)} submissions compared, {len(result.pairs)} pairs; "
        f"{len(flagged)} pair(s) at or above the threshold of {result.threshold:.0%} "
        "(SIMILARITY_THRESHOLD in course_config.py). Compared: what each student wrote in the answer cells, "
        "without the release's lines and import lines; variable names, comments and whitespace are ignored "
        f"(copydetect fingerprints of {result.noise_tokens} normalised characters). Highlighted: the code "
        "found in the other submission.</p>"
        + table
        + "".join(f"<p>{n}</p>" for n in notes)
        + details
        + "</body></html>"
    )
    return path
