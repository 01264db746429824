"""The students' text of an assignment in other languages, kept beside its one source.

Each assignment's notebooks are written once, in English, in source/<id>/. What students read
(markdown cells and the comments of given code cells) is translated in a gettext catalogue per
language, source/<id>/translations/<language>.po, read and written with Babel: one entry per
cell, msgctxt "<notebook>:<cell id>", msgid the cell's English text, msgstr its translation.
The msgid IS the English text, so an edit of the English leaves its translation behind: the
cell is then untranslated (or, after `./course translations`, Babel's update marks the old
translation fuzzy with the English it was made from), and `problems()` says so.

What is never translated: tests, settings values, solution cells (their stubs and checksums
tell nbgrader whether a student answered) and code. A translated code cell may differ from the
English only in its comments (checked token by token), so a translated release runs exactly
the code the English one does.

A release in another language is the English release with these cells replaced, in its own
folder release/<id>-<language>/ (see `release_id`), and carries the language in its notebook
metadata (language.METADATA_KEY), read by the grader's messages and the feedback page.
"""

from __future__ import annotations

import copy
import io
import re
import shutil
import tokenize
from pathlib import Path

import nbformat
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po
from nbgrader import utils

import course_config
from coursetools.course.assignments import notebook_path, notebooks
from coursetools.course.language import ENGLISH, METADATA_KEY  # the notebook's language: language.py

FOLDER = "translations"  # source/<id>/translations/<language>.po (never released: nbgrader's ignore list)


def languages() -> list[str]:
    """The languages besides English every assignment is released in."""
    return list(getattr(course_config, "TRANSLATIONS", []))


def release_id(assignment: str, language: str) -> str:
    """The folder (and exchange assignment) of one language's release: <id>-zh-CN."""
    return assignment if language == ENGLISH else f"{assignment}-{language}"


def catalogue_path(root: Path, assignment: str, language: str) -> Path:
    return Path(root) / "source" / assignment / FOLDER / f"{language}.po"


def translatable(cell) -> bool:
    """Whether students read this cell's text: markdown, or given code with comments."""
    if utils.is_solution(cell) or utils.is_grade(cell):
        return False
    if cell.cell_type == "markdown":
        return bool(cell.source.strip())
    return cell.cell_type == "code" and any(t.type == tokenize.COMMENT for t in _tokens(cell.source) or [])


def context(notebook: str, cell) -> str:
    return f"{notebook}:{cell.id}"


def load(root: Path, assignment: str, language: str) -> Catalog:
    path = catalogue_path(root, assignment, language)
    if not path.is_file():
        return Catalog(locale=language.replace("-", "_"))
    with path.open("rb") as f:
        return read_po(f, locale=language.replace("-", "_"))


def save(catalogue: Catalog, root: Path, assignment: str, language: str) -> Path:
    path = catalogue_path(root, assignment, language)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_po(f, catalogue, width=0, omit_header=False, include_previous=True, sort_output=False)
    return path


def template(root: Path, assignment: str) -> Catalog:
    """Every translatable text of the assignment's source, in notebook order."""
    catalogue = Catalog()
    for name in notebooks(assignment):
        nb = nbformat.read(notebook_path(root, "source", assignment, name), as_version=4)
        for cell in nb.cells:
            if translatable(cell):
                catalogue.add(cell.source, context=context(name, cell), auto_comments=[f"{cell.cell_type} cell"])
    return catalogue


def update(root: Path, assignment: str, language: str) -> Path:
    """Bring a language's catalogue up to the English source (Babel's update: new texts are
    added untranslated, changed ones kept as fuzzy with the English they were made from)."""
    catalogue = load(root, assignment, language)
    created = catalogue.creation_date  # kept: an update with nothing new leaves the file as it is
    catalogue.update(template(root, assignment), no_fuzzy_matching=False, update_header_comment=False)
    catalogue.creation_date = created
    return save(catalogue, root, assignment, language)


def problems(root: Path, assignment: str, language: str) -> list[str]:
    """Every text students would read untranslated, or in a translation of an older English text."""
    catalogue = load(root, assignment, language)
    where = catalogue_path(root, assignment, language).relative_to(root)
    found = []
    for english in template(root, assignment):
        if not english.id:
            continue  # the catalogue's header
        message = catalogue.get(english.id, context=english.context)
        label = f"{where}: cell {english.context}"
        if message is None or not message.string:
            older = [m for m in catalogue if m.context == english.context and m.string]
            found.append(
                f"{label}: the translation was made from an older English text" if older else f"{label}: no translation"
            )
        elif message.fuzzy:
            found.append(f"{label}: the translation was made from an older English text (fuzzy)")
        elif "code cell" in english.auto_comments and (reason := code_difference(english.id, message.string)):
            found.append(f"{label}: {reason}")
    return found


def _tokens(source: str):
    try:
        return list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return None


def code_difference(english: str, translated: str) -> str | None:
    """For a code cell: None when the translation differs from the English only in comments."""
    before = _tokens(english)
    if before is None:
        return None if english == translated else "the English code does not parse, so it cannot be translated"
    after = _tokens(translated)
    if after is None:
        return "the translated code does not parse"

    def code(tokens):
        return [(t.type, t.string) for t in tokens if t.type not in (tokenize.COMMENT, tokenize.NL)]

    return None if code(before) == code(after) else "the translation changes code, not only comments"


def translate_notebook(nb, notebook: str, catalogue: Catalog, language: str, untranslated: list | None = None):
    """A copy of a (source or release) notebook in `language`: each translatable cell's text
    replaced by its up-to-date translation, the language in the notebook's metadata, and
    nbgrader's checksum of each locked cell recomputed, so Validate and autograde see the
    translated cell as the one released. A cell without an up-to-date translation keeps its
    English (never an outdated instruction); its label is appended to `untranslated`."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if not translatable(cell):
            continue
        text = translation(catalogue, notebook, cell)
        if text is None:
            if untranslated is not None:
                untranslated.append(context(notebook, cell))
            continue
        cell.source = text
        if utils.is_locked(cell) and "checksum" in cell.metadata.get("nbgrader", {}):
            cell.metadata.nbgrader["checksum"] = utils.compute_checksum(cell)
    nb.metadata[METADATA_KEY] = language
    return nb


def translation(catalogue: Catalog, notebook: str, cell) -> str | None:
    """The cell's up-to-date translation, or None."""
    message = catalogue.get(cell.source, context=context(notebook, cell))
    if message is None or not message.string or message.fuzzy:
        return None
    if cell.cell_type == "code" and code_difference(cell.source, message.string):
        return None
    return message.string


def translated_languages(root: Path, assignment: str) -> list[str]:
    """The languages this assignment is released in besides English: those of TRANSLATIONS in
    course_config.py it has a catalogue for (a new assignment is English until translated)."""
    return [lang for lang in languages() if catalogue_path(root, assignment, lang).is_file()]


def release_folders(root: Path, assignment: str) -> dict[str, Path]:
    """language -> release folder, English first."""
    ids = [ENGLISH, *translated_languages(root, assignment)]
    return {lang: Path(root) / "release" / release_id(assignment, lang) for lang in ids}


def write_releases(root: Path, assignment: str) -> dict[str, list[str]]:
    """release/<id>-<language>/ for every language: the English release/<id>/ translated (its
    other files copied as they are). Returns language -> the cells left in English."""
    root = Path(root)
    english = root / "release" / assignment
    left = {}
    for language, dest in release_folders(root, assignment).items():
        if language == ENGLISH:
            continue
        catalogue = load(root, assignment, language)
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(english, dest)
        left[language] = []
        for name in notebooks(assignment):
            path = dest / f"{name}.ipynb"
            nb = nbformat.read(path, as_version=4)
            nbformat.write(translate_notebook(nb, name, catalogue, language, left[language]), path)
    return left


def in_language(nb, notebook: str, assignment: str, language: str, root: Path | None = None):
    """An English notebook (a release, or a submission made from it) in `language`: how the
    Chinese twin of a sample or reference submission is made."""
    if language == ENGLISH:
        return nb
    root = Path(root or course_config.COURSE_ROOT)
    return translate_notebook(nb, notebook, load(root, assignment, language), language)


def glossary_path(root: Path, language: str) -> Path:
    return Path(root) / "source" / f"glossary.{language}.po"


def students_words(text: str, code_cell: bool) -> str:
    """What students read as prose: a code cell's comments, a markdown cell without its code."""
    if code_cell:
        return "\n".join(t.string for t in _tokens(text) or [] if t.type == tokenize.COMMENT)
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    return re.sub(r"`[^`]*`", " ", text)


def glossary_problems(root: Path, assignment: str, language: str) -> list[str]:
    """Each translated text whose English uses a glossary term and whose translation lacks its term."""
    with glossary_path(root, language).open("rb") as f:
        terms = [(m.id, m.string) for m in read_po(f) if m.id]
    catalogue = load(root, assignment, language)
    found = []
    for message in catalogue:
        if not message.id or not message.string:
            continue
        code_cell = "code cell" in message.auto_comments
        english = students_words(message.id, code_cell)
        translated = students_words(message.string, code_cell)
        for term, chinese in terms:
            if (
                re.search(rf"\b{re.escape(term)}(s|es|e|ed|ing|ting|ted)?\b", english, re.I)
                and chinese.lower() not in translated.lower()
            ):
                found.append(f"{assignment} cell {message.context}: '{term}' is translated without '{chinese}'")
    return found
