"""An autograded notebook rendered as nbgrader's formgrader renders a submission, and what in
the page could run in the instructor's browser.

The formgrader (nbgrader/server_extensions/formgrader/) exports the autograded notebook with
nbconvert's HTMLExporter and its own `formgrade` template (formgrader.py, handlers.py
SubmissionHandler); the page is served from the instructor's Jupyter origin.
"""

from __future__ import annotations

import re
from pathlib import Path

from bs4 import BeautifulSoup
from nbconvert.exporters import HTMLExporter
from nbgrader.server_extensions.formgrader import handlers
from traitlets.config import Config

SCRIPT_URL = re.compile(r"^\s*(javascript|vbscript|livescript|data:text/html|data:image/svg)", re.IGNORECASE)
URL_ATTRIBUTES = ("href", "src", "action", "formaction", "xlink:href", "data", "srcdoc", "poster", "background")
LIVE_ELEMENTS = ("script", "iframe", "frame", "object", "embed", "svg", "math", "style", "form", "base", "meta", "link")


def render_as_formgrader(path: Path) -> str:
    config = Config()
    config.HTMLExporter.template_name = "formgrade"
    config.HTMLExporter.extra_template_basedirs = [handlers.template_path]
    resources = {
        "assignment_id": "a",
        "notebook_id": Path(path).stem,
        "submission_id": "1",
        "index": 0,
        "total": 1,
        "base_url": "",
        "student": "s",
        "last_name": "",
        "first_name": "",
        "notebook_path": str(path),
    }
    page, _ = HTMLExporter(config=config).from_filename(str(path), resources=resources)
    return page


def live_parts(page: str) -> list[str]:
    """Everything in the notebook part of the page (formgrader or feedback: both templates put it
    in #notebook-container) that a browser would run, load as a document, or fetch from elsewhere."""
    soup = BeautifulSoup(page, "html.parser")
    notebook = soup.find(id="notebook-container")
    assert notebook is not None, "the formgrade template's notebook container is missing"
    found = [f"<{tag.name}>" for tag in notebook.find_all(LIVE_ELEMENTS)]
    for tag in notebook.find_all(True):  # where the notebook goes (the template's navigation has handlers)
        for name, value in tag.attrs.items():
            value = " ".join(value) if isinstance(value, list) else str(value)
            if name.lower().startswith("on"):
                found.append(f"<{tag.name} {name}=...>")
            if name.lower() in URL_ATTRIBUTES and SCRIPT_URL.match("".join(value.split())):
                found.append(f"<{tag.name} {name}={value[:40]}>")
            if name.lower() == "src" and re.match(r"\s*(https?:)?//", value):  # a picture that reports the viewer
                found.append(f"<{tag.name} src={value[:40]}>")
    return found
