"""Per-assignment knowledge, kept next to the assignment's notebooks.

Each assignment may bring `source/<assignment>/course_plugin.py` (in the spirit of
otter-grader's plugins; nbgrader never releases it, see nbgrader_settings.py). The
grading engine calls what it finds there and names no assignment itself:

| name in course_plugin.py          | runs in                | used for                                   |
|-----------------------------------|------------------------|--------------------------------------------|
| `STEP_TITLES` {grade_id: title}   | CLI, feedback, reports | human names of the graded steps (without   |
|                                   |                        |   one: the heading above the step)         |
| `measure(namespace) -> dict`      | the checker kernel,    | numbers for the feedback pictures, taken   |
|                                   |   after the last test  |   from the carried variables               |
| `pictures(insights[, _]) -> [(alt, png_base64)]` | nbgrader's feedback | the feedback's pictures; `_`  |
|                                   |                        |   translates its words (language.Messages) |
| `SAMPLE_CLASS` {student: (build(answers) -> answers, points)} | `./course samples`, tests | the bundled sample class |
| `STOCK_BENCHMARK_SETTINGS` {NAME: value} | the benchmark   | stock nbgrader's settings in the locked cells |
| `SELF_CHECK_NUMBERS` {grade_id: expression} | the student's kernel, | the student's own numbers shown next to |
|                                   |   in `./course check`  |   each step (never used to grade)          |

The settings that tests read from the course (never from the student) are the
assignment's `settings` entry in course_config.ASSIGNMENTS.
"""

from __future__ import annotations

import importlib.util
import inspect
import types
from pathlib import Path

import nbformat

import course_config
from coursetools.course.assignments import heading_titles, notebook_path

PLUGIN_FILE = "course_plugin.py"


def plugin_path(assignment: str, root: Path | None = None) -> Path:
    return Path(root or course_config.COURSE_ROOT) / "source" / assignment / PLUGIN_FILE


_loaded: dict[Path, types.ModuleType] = {}


def load(assignment: str, root: Path | None = None) -> types.ModuleType:
    """The assignment's plugin module, or an empty one when it has none."""
    path = plugin_path(assignment, root)
    if path not in _loaded:
        module = types.ModuleType(f"course_plugin_{assignment}")
        if path.is_file():
            spec = importlib.util.spec_from_file_location(module.__name__, path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        _loaded[path] = module
    return _loaded[path]


def step_titles(assignment: str, root: Path | None = None) -> dict[str, str]:
    return dict(getattr(load(assignment, root), "STEP_TITLES", {}))


def step_title(assignment: str | None, grade_id: str, notebook: str | None = None) -> str:
    """The plugin's STEP_TITLES entry, else the nearest heading above the step in the source
    notebook (never the submission's: students can edit headings), else the grade id."""
    if assignment is None:
        return grade_id
    titled = step_titles(assignment)
    if grade_id in titled:
        return titled[grade_id]
    return source_headings(assignment, notebook).get(grade_id, grade_id) if notebook else grade_id


def source_headings(assignment: str, notebook: str, root: Path | None = None) -> dict[str, str]:
    """grade_id -> nearest heading above it in source/ (assignments.heading_titles), {} if unreadable."""
    path = notebook_path(Path(root or course_config.COURSE_ROOT), "source", assignment, notebook)
    try:
        key = (path, path.stat().st_mtime_ns)
        if key not in _headings:
            _headings[key] = heading_titles(nbformat.read(path, as_version=4))
        return _headings[key]
    except (OSError, ValueError):
        return {}


_headings: dict[tuple[Path, int], dict[str, str]] = {}


def self_check_numbers(assignment: str, root: Path | None = None) -> dict[str, str]:
    return dict(getattr(load(assignment, root), "SELF_CHECK_NUMBERS", {}))


def sample_class(assignment: str, root: Path | None = None) -> dict:
    return dict(getattr(load(assignment, root), "SAMPLE_CLASS", {}))


def translated_samples(assignment: str, root: Path | None = None) -> list[str]:
    """The students of SAMPLE_CLASS who also hand in the assignment's other languages
    (TRANSLATED_SAMPLES; by default the first, the reference)."""
    students = list(sample_class(assignment, root))
    return list(getattr(load(assignment, root), "TRANSLATED_SAMPLES", students[:1]))


def pictures(assignment: str | None, insights: dict, messages=None) -> list[tuple[str, str]]:
    """The plugin's pictures, their words in the language of `messages` (language.Messages) and
    drawn with a font that has its characters."""
    from coursetools.course.language import Messages
    from coursetools.course.plugin_pictures import fonts_for

    draw = getattr(load(assignment), "pictures", None) if assignment else None
    if not (draw and insights):
        return []
    messages = messages or Messages()
    with fonts_for(messages.language):
        if len(inspect.signature(draw).parameters) >= 2:
            return list(draw(insights, messages))
        return [(messages.gettext(alt), png) for alt, png in draw(insights)]


def has_measure(assignment: str) -> bool:
    return callable(getattr(load(assignment), "measure", None))
