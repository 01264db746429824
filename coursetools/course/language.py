"""The language of a student's messages: the notebook they submitted says it, gettext
catalogues (.po files read with Babel at run time) hold the translations.

A notebook carries `metadata.course_language` ("zh-CN" for the Chinese version; absent or "en"
for English). The student can edit it, so it chooses only the words they read, never a
verdict: grading runs the same tests whatever it says, and messages are translated after.

Two kinds of catalogues, both `messages.<language>.po`:

* the course's (coursetools/course/translations/): the feedback page's words, the self-check's,
  the grader's fixed reasons (faults, the model checks, hidden tests, earlier failures);
* each assignment's (source/<id>/translations/): its step titles, its pictures' words and
  class names, and the messages its tests' assertions give.

Messages are written in English with `{placeholders}` (str.format). Words the code shows
directly go through `Messages.gettext`; messages that are stored in English first (a test's
assertion message, a fault in the graded notebook) are marked with `N_` and translated when
shown by `Messages.translate`, which matches the text against the catalogue's templates and
carries each placeholder's value across (unchanged, or translated itself when it is a message).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

ENGLISH, CHINESE = "en", "zh-CN"
LANGUAGES = (ENGLISH, CHINESE)
METADATA_KEY = "course_language"
COURSE_CATALOGUES = Path(__file__).parent / "translations"
ASSIGNMENT_CATALOGUES = "translations"  # the folder in source/<id>/
# A placeholder of a message template: `{seconds}`, `{train_x.shape}`, `{test_accuracy:.3f}`.
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
# "AssertionError: message": an error's name stays, its message is translated.
ERROR_LINE = re.compile(r"([A-Za-z_][\w.]*): (.*)", re.S)
MAX_TEXT = 5000  # longer texts (student output) are shown as they are
MAX_DEPTH = 3  # messages inside messages (an earlier failure's error inside a check's message)


def N_(message: str) -> str:
    """Mark a message template for the catalogues (gettext_noop): it is stored in English and
    translated when shown."""
    return message


def notebook_language(nb) -> str:
    """The language the notebook's student reads: one of LANGUAGES, English for anything else."""
    metadata = getattr(nb, "metadata", None) if not isinstance(nb, dict) else nb.get("metadata")
    value = metadata.get(METADATA_KEY) if isinstance(metadata, dict) else None
    return value if isinstance(value, str) and value in LANGUAGES else ENGLISH


# Never released: an assignment's catalogue holds its hidden tests' messages (nbgrader_settings.py).
CATALOGUE_PATTERN = "messages.*.po"


def catalogue_name(language: str) -> str:
    return f"messages.{language}.po"


def course_catalogue(language: str) -> Path:
    return COURSE_CATALOGUES / catalogue_name(language)


def assignment_catalogue(assignment: str, language: str, root: Path | None = None) -> Path:
    import course_config

    return (
        Path(root or course_config.COURSE_ROOT)
        / "source"
        / assignment
        / ASSIGNMENT_CATALOGUES
        / catalogue_name(language)
    )


def read_catalogue(path: Path) -> dict[str, str]:
    """msgid -> msgstr of the translated, current entries of a .po file ({} without the file)."""
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return {}
    return dict(_read(path, stamp))


@lru_cache(maxsize=32)
def _read(path: Path, _stamp: int) -> tuple[tuple[str, str], ...]:
    from babel.messages.pofile import read_po

    with open(path, "rb") as fh:
        catalog = read_po(fh)
    return tuple(
        (m.id, m.string)
        for m in catalog
        if m.id and isinstance(m.id, str) and m.string and not m.fuzzy  # untranslated or fuzzy: English
    )


class Messages:
    """One language's translations: exact words (gettext) and stored English messages (translate)."""

    def __init__(self, language: str = ENGLISH, entries: dict[str, str] | None = None):
        self.language = language
        self.entries = dict(entries or {})
        templates = [(msgid, msgstr) for msgid, msgstr in self.entries.items() if PLACEHOLDER.search(msgid)]
        # The most specific template first: the one with the most fixed text.
        templates.sort(key=lambda t: -len(PLACEHOLDER.sub("", t[0])))
        self._templates = [
            (PLACEHOLDER.split(msgid), PLACEHOLDER.findall(msgid), msgstr) for msgid, msgstr in templates
        ]

    def gettext(self, message: str) -> str:
        return self.entries.get(message, message)

    __call__ = gettext  # `_("...")`, the name Babel's extractor looks for

    def translate(self, text: str, depth: int = 0) -> str:
        """A message stored in English, in this language; text that is no known message unchanged."""
        if not self.entries or not isinstance(text, str) or not text or len(text) > MAX_TEXT:
            return text
        found = self._match(text, depth)
        if found is not None:
            return found
        # A fault's message as a sentence: "The kernel stopped ... ." for "the kernel stopped ..."
        if len(text) > 2 and text.endswith(".") and text[0].isupper():
            found = self._match(text[0].lower() + text[1:-1], depth)
            if found is not None:
                return found + "。"
        error = ERROR_LINE.fullmatch(text)
        if error and depth < MAX_DEPTH:
            message = self.translate(error.group(2), depth + 1)
            if message != error.group(2):
                return f"{error.group(1)}: {message}"
        return text

    def _match(self, text: str, depth: int) -> str | None:
        if text in self.entries:
            return self.entries[text]
        for parts, names, msgstr in self._templates:
            found = _placeholder_values(parts, text)
            if found is None:
                continue
            values = {}
            for name, value in zip(names, found, strict=True):
                if name not in values:
                    values[name] = self.translate(value, depth + 1) if depth < MAX_DEPTH else value
            return PLACEHOLDER.sub(lambda m, found=values: found.get(m.group(0), m.group(0)), msgstr)
        return None


def _placeholder_values(parts: list[str], text: str) -> list[str] | None:
    """The placeholders' values if `text` is the template whose fixed parts are `parts`, else None.
    Each fixed part is taken at its leftmost place (as a lazy regular expression would), in time
    linear in the text: a regular expression with several lazy groups backtracks for as long as
    the text is when it almost matches, and the text may hold a student's values."""
    first, last = parts[0], parts[-1]
    end = len(text) - len(last)
    if end < len(first) or not text.startswith(first) or not text.endswith(last):
        return None
    values, position = [], len(first)
    for part in parts[1:-1]:
        found = text.find(part, position, end)
        if found < 0:
            return None
        values.append(text[position:found])
        position = found + len(part)
    values.append(text[position:end])
    return values


def messages(language: str, assignment: str | None = None, root: Path | None = None) -> Messages:
    """The course's and the assignment's translations into `language` (English: none)."""
    if language not in LANGUAGES or language == ENGLISH:
        return Messages(ENGLISH)
    entries = read_catalogue(course_catalogue(language))
    if assignment:
        entries.update(read_catalogue(assignment_catalogue(assignment, language, root)))
    return Messages(language, entries)


def for_notebook(nb, assignment: str | None = None, root: Path | None = None) -> Messages:
    return messages(notebook_language(nb), assignment, root)
