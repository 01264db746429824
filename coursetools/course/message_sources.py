"""Where the students' messages are written, for the catalogues (language.py): Babel's extractor
over the course's code and each assignment's plugin, and an AST walk over the assertion messages
of each assignment's tests.

`update_catalogue` brings a .po file in line with its sources (Babel's Catalog.update: new
messages untranslated, removed ones obsolete, changed ones fuzzy); `catalogue_problems` lists
what a catalogue lacks or keeps that its sources no longer have (a unit test fails on them).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat

import course_config
from coursetools.course import language
from coursetools.course.assignments import is_autograder_test
from coursetools.course.plugins import PLUGIN_FILE

COURSETOOLS = Path(__file__).resolve().parents[1]
KEYWORDS = {"_": None, "N_": None}  # Messages called as `_`, and N_ (gettext_noop)
# The feedback page's template calls `t("...")` for its words.
TEMPLATE_WORD = re.compile(r"""\bt\(\s*"([^"]+)"\s*\)""")


def _python_messages(path: Path) -> list[str]:
    from babel.messages.extract import extract_python

    with open(path, "rb") as fh:
        return [m for _, _, m, _ in extract_python(fh, KEYWORDS.keys(), [], {}) if isinstance(m, str) and m]


def course_messages() -> list[str]:
    """Every message of coursetools/ (N_ and _ calls, and the feedback template's t() words)."""
    found = []
    for path in sorted(COURSETOOLS.rglob("*.py")):
        found += _python_messages(path)
    for path in sorted(COURSETOOLS.rglob("*.j2")):
        found += TEMPLATE_WORD.findall(path.read_text())
    return list(dict.fromkeys(found))


def assertion_template(node: ast.expr) -> str | None:
    """An assertion's message as a template: f"... {x.shape} ..." -> "... {x.shape} ..."."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if not isinstance(node, ast.JoinedStr):
        return None
    parts = []
    for value in node.values:
        if isinstance(value, ast.Constant):
            parts.append(str(value.value))
        elif isinstance(value, ast.FormattedValue):
            conversion = f"!{chr(value.conversion)}" if value.conversion > 0 else ""
            spec = ""
            if value.format_spec is not None:
                spec = ":" + "".join(str(v.value) for v in value.format_spec.values if isinstance(v, ast.Constant))
            parts.append("{" + ast.unparse(value.value) + conversion + spec + "}")
    return "".join(parts)


def test_messages(source: str) -> list[str]:
    """The messages of a test cell's assertions (`assert ..., "message"` and f-strings)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert) and node.msg is not None:
            template = assertion_template(node.msg)
            if template:
                found.append(template)
    return found


def assignment_messages(folder: Path) -> list[str]:
    """An assignment's messages (its folder in source/): its plugin's (N_ and _) and the
    assertion messages of its notebooks' tests."""
    found = []
    plugin = Path(folder) / PLUGIN_FILE
    if plugin.is_file():
        found += _python_messages(plugin)
    for path in sorted(Path(folder).glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if is_autograder_test(cell):
                found += test_messages(cell.source)
    return list(dict.fromkeys(found))


def read_po(path: Path):
    from babel.messages.pofile import read_po as babel_read_po

    with open(path, "rb") as fh:
        return babel_read_po(fh)


def update_catalogue(path: Path, messages: list[str], locale: str, project: str) -> None:
    """Write `path` with exactly `messages` as its entries, keeping the translations it has."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    template = Catalog(locale=None, project=project)
    for message in messages:
        flags = ("python-brace-format",) if language.PLACEHOLDER.search(message) else ()
        template.add(message, flags=flags)
    catalog = read_po(path) if path.is_file() else Catalog(locale=locale.replace("-", "_"), project=project)
    catalog.update(template, update_header_comment=False, no_fuzzy_matching=True, update_creation_date=False)
    catalog.obsolete.clear()  # removed messages go: git keeps their history
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        write_po(fh, catalog, width=100, omit_header=False, sort_output=False, ignore_obsolete=True)


def catalogue_problems(path: Path, messages: list[str]) -> list[str]:
    """What the catalogue at `path` lacks (untranslated, fuzzy, missing) or keeps that is stale."""
    if not path.is_file():
        return [f"{path}: missing"]
    catalog = read_po(path)
    have = {m.id: m for m in catalog if m.id}
    problems = [f"{path}: no translation of {m!r}" for m in messages if m not in have or not have[m].string]
    problems += [f"{path}: translation of {m!r} is marked fuzzy" for m in messages if m in have and have[m].fuzzy]
    problems += [f"{path}: {m!r} is no longer in the sources (stale)" for m in have if m not in messages]
    problems += [f"{path}: {m!r} is obsolete" for m in catalog.obsolete]
    for m in messages:
        if (
            m in have
            and have[m].string
            and set(language.PLACEHOLDER.findall(m)) != set(language.PLACEHOLDER.findall(have[m].string))
        ):
            problems.append(f"{path}: the translation of {m!r} has other placeholders than the message")
    return problems


def catalogues(root: Path | None = None) -> list[tuple[Path, list[str], str]]:
    """(catalogue, its messages, project) for the course and every assignment, per language."""
    root = Path(root or course_config.COURSE_ROOT)
    found = []
    for lang in language.LANGUAGES:
        if lang == language.ENGLISH:
            continue
        found.append((language.course_catalogue(lang), course_messages(), "coursetools"))
        for assignment in course_config.ASSIGNMENTS:
            folder = root / "source" / assignment
            found.append(
                (
                    folder / language.ASSIGNMENT_CATALOGUES / language.catalogue_name(lang),
                    assignment_messages(folder),
                    assignment,
                )
            )
    return found


def update_all(root: Path | None = None) -> list[str]:
    """Bring every catalogue in line with its sources; what is still to translate."""
    problems = []
    for path, messages, project in catalogues(root):
        update_catalogue(path, messages, path.name.split(".")[1], project)
        problems += catalogue_problems(path, messages)
    return problems
