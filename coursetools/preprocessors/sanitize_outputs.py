"""Student outputs and written answers made safe once, when the notebook is graded.

The formgrader renders the autograded notebook in the instructor's Jupyter origin with
nbconvert's HTMLExporter, which neither sanitizes HTML outputs nor filters `javascript:`
links in Markdown; JupyterLab and nbviewer render rich outputs too. So right after the
sandboxed run (nbgrader_settings.py) every code cell keeps only an allowlist:

* stream text, and errors as plain strings (every viewer escapes them);
* `text/plain`; `image/png` and `image/jpeg` when they are valid base64 of such a picture;
* `text/html` (pandas tables) after a strict allowlist clean: no scripts, styles, frames,
  SVG, event handlers or non-web links; Markdown, LaTeX, SVG, JavaScript, widgets and any
  other type are reduced to their `text/plain` (or a note saying what was dropped).

A Markdown cell (a written answer) whose rendering holds anything beyond plain
formatting, or whose text names a script URL scheme, is kept as literal text in a code
block, so the instructor still reads every word and nothing in it runs.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
from html.parser import HTMLParser

import bleach
from nbconvert.filters.markdown import markdown2html
from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from nbformat.v4 import new_output

# Terminal colour and cursor codes, and control characters a page should not carry.
ANSI_CODES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]")
MAX_TEXT_CHARS = 100_000  # one string of an output (the grader's run caps them already)
MAX_MARKDOWN_CHARS = 100_000
PICTURE_MAGIC = {"image/png": (b"\x89PNG\r\n\x1a\n",), "image/jpeg": (b"\xff\xd8\xff",)}

# HTML an output may keep: tables and text formatting; links to the web only.
HTML_TAGS = frozenset(
    "a abbr b blockquote br caption code col colgroup dd del div dl dt em h1 h2 h3 h4 h5 h6 hr i "
    "li ol p pre s small span strong sub sup table tbody td tfoot th thead tr u ul".split()
)
HTML_ATTRIBUTES = {
    "*": ["class", "title"],
    "a": ["href"],
    "td": ["colspan", "rowspan", "align"],
    "th": ["colspan", "rowspan", "align"],
    "table": ["border"],
}
WEB_PROTOCOLS = ["http", "https", "mailto"]
# Elements whose content is code or a document of its own, dropped whole (not kept as text).
DROPPED_ELEMENTS = re.compile(
    r"<(script|style|iframe|frame|frameset|object|embed|applet|svg|math|template|noscript|textarea|"
    r"title|xmp|noembed|noframes|plaintext)\b.*?(</\1\s*>|\Z)",
    re.IGNORECASE | re.DOTALL,
)

# Markdown answers: what their rendering may hold.
MARKDOWN_TAGS = HTML_TAGS | {"img"}
MARKDOWN_ATTRIBUTES = {"href", "src", "alt", "title", "class", "colspan", "rowspan", "align", "start", "border"}
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}  # nbconvert gives them an id for anchor links
SAFE_IMAGE_URL = re.compile(r"(data:image/(png|jpeg|gif);base64,|attachment:)", re.IGNORECASE)
SAFE_LINK_URL = re.compile(r"(https?:|mailto:|#|[^:/?#]*([/?#]|$))", re.IGNORECASE)
# URL schemes that run code, searched in the text as a browser would read it (entities
# decoded, backslash escapes, whitespace and control characters removed).
SCRIPT_SCHEMES = re.compile(r"(java|vb|live|j|ecma)script:|(?<![a-z])data:(?!image/(png|jpeg|gif)[;,])", re.IGNORECASE)


def plain_text(text, limit: int = MAX_TEXT_CHARS) -> str:
    """A string fit for any page: no terminal codes, no control characters, bounded."""
    if isinstance(text, list):
        text = "".join(str(t) for t in text)
    text = ANSI_CODES.sub("", str(text if text is not None else "")[: limit * 2])
    text = "".join(c if c.isprintable() or c in "\n\t" else " " for c in text)
    return text if len(text) <= limit else text[:limit] + "\n[... cut by the grader]"


def clean_html(markup: str) -> str:
    """Output HTML reduced to tables and text formatting: inert in every browser."""
    markup = DROPPED_ELEMENTS.sub("", str(markup)[:MAX_TEXT_CHARS])
    return bleach.clean(
        markup, tags=HTML_TAGS, attributes=HTML_ATTRIBUTES, protocols=WEB_PROTOCOLS, strip=True, strip_comments=True
    )


def picture(mime: str, value) -> str | None:
    """The base64 text of a PNG or JPEG picture, or None when it is not one."""
    if not isinstance(value, str):
        return None
    compact = "".join(value.split())
    try:
        head = base64.b64decode(compact[:64], validate=True)
        base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return None
    return compact if head.startswith(PICTURE_MAGIC[mime]) else None


def safe_output(output) -> NotebookNode | None:
    """One output as it may be kept, or None."""
    kind = output.get("output_type")
    if kind == "stream":
        name = output.get("name") if output.get("name") in ("stdout", "stderr") else "stdout"
        return new_output("stream", name=name, text=plain_text(output.get("text", "")))
    if kind == "error":
        ename, evalue = plain_text(output.get("ename", ""), 200), plain_text(output.get("evalue", ""), 2000)
        traceback = output.get("traceback")
        lines = [plain_text(line, 5000) for line in traceback[:200]] if isinstance(traceback, list) else []
        return new_output("error", ename=ename, evalue=evalue, traceback=lines)
    if kind not in ("execute_result", "display_data"):
        return None
    data = output.get("data") if isinstance(output.get("data"), dict) else {}
    kept, metadata, dropped = {}, {}, []
    for mime, value in data.items():
        if mime in PICTURE_MAGIC and (png := picture(mime, value)):
            kept[mime] = png
            size = (output.get("metadata") or {}).get(mime)
            size = {k: v for k, v in size.items() if k in ("width", "height")} if isinstance(size, dict) else {}
            size = {k: int(v) for k, v in size.items() if isinstance(v, (int, float)) and 0 < v < 10_000}
            if size:
                metadata[mime] = size
        elif mime == "text/html" and (clean := clean_html(plain_text(value))).strip() and not names_script_url(clean):
            kept[mime] = clean
        elif mime != "text/plain":
            dropped.append(plain_text(mime, 100))
    if "text/plain" in data:
        kept["text/plain"] = plain_text(data["text/plain"])
    elif dropped:
        shown = "markdown or LaTeX text" if set(dropped) & {"text/markdown", "text/latex"} else ", ".join(dropped)
        text = plain_text(data.get("text/markdown") or data.get("text/latex") or "")
        kept["text/plain"] = text or f"[the grader keeps no {shown} output: not shown]"
    if not kept:
        return None
    if kind == "execute_result":
        count = output.get("execution_count")
        return new_output(
            "execute_result", data=kept, metadata=metadata, execution_count=count if isinstance(count, int) else None
        )
    return new_output("display_data", data=kept, metadata=metadata)


def safe_outputs(outputs) -> list[NotebookNode]:
    return [kept for output in outputs or [] if (kept := safe_output(output)) is not None]


class _Inspector(HTMLParser):
    """Finds anything in rendered Markdown beyond plain formatting and web links."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.unsafe = False

    def handle_starttag(self, tag, attrs):
        if tag not in MARKDOWN_TAGS:
            self.unsafe = True
        for name, value in attrs:
            value = "".join((value or "").split())
            if name not in MARKDOWN_ATTRIBUTES and not (name == "id" and tag in HEADINGS):
                self.unsafe = True
            elif name == "src" and not SAFE_IMAGE_URL.match(value):
                self.unsafe = True
            elif name == "href" and not SAFE_LINK_URL.match(value):
                self.unsafe = True

    handle_startendtag = handle_starttag

    def handle_comment(self, data):
        self.unsafe = True

    def handle_decl(self, decl):
        self.unsafe = True

    def handle_pi(self, data):
        self.unsafe = True


def names_script_url(text: str) -> bool:
    """Whether the text holds a script URL as a browser, Markdown or MathJax (`\\href`) would read it."""
    as_read = html.unescape(html.unescape(text)).replace("\\", "")
    as_read = "".join(c for c in as_read if c.isprintable() and not c.isspace())
    return bool(SCRIPT_SCHEMES.search(as_read))


def markdown_is_safe(source: str) -> bool:
    """True when the Markdown renders to plain formatting and names no script URL."""
    if len(source) > MAX_MARKDOWN_CHARS or names_script_url(source):
        return False
    inspector = _Inspector()
    inspector.feed(markdown2html(source))
    inspector.close()
    return not inspector.unsafe


LITERAL_NOTE = "*[The grader shows this answer as plain text: it held markup that could run in a browser.]*"
LITERAL = re.compile(re.escape(LITERAL_NOTE) + r"\n\n(`{3,})text\n(.*)\n\1", re.DOTALL)


def literal_markdown(source: str) -> str:
    """Markdown that shows `source` word for word as text: a fenced block longer than any fence in it."""
    text = plain_text(source, MAX_MARKDOWN_CHARS)
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", text)), default=0))
    return f"{LITERAL_NOTE}\n\n{fence}text\n{text}\n{fence}"


def is_literal(source: str) -> bool:
    """Whether the cell is already what literal_markdown() makes (feedback sanitizes graded notebooks again)."""
    found = LITERAL.fullmatch(source)
    return bool(found) and literal_markdown(found.group(2)) == source


def safe_markdown_cell(cell) -> None:
    source = cell.source if isinstance(cell.source, str) else "".join(cell.source)
    if not (is_literal(source) or markdown_is_safe(source)):
        cell.source = literal_markdown(source)
    attachments = cell.get("attachments")
    if isinstance(attachments, dict):
        kept = {}
        for name, bundle in attachments.items():
            bundle = bundle if isinstance(bundle, dict) else {}
            pictures = {m: p for m in PICTURE_MAGIC if (p := picture(m, bundle.get(m)))}
            if pictures and re.fullmatch(r"[\w.\- ]{1,100}", str(name)):
                kept[name] = pictures
        cell.attachments = kept
        if not kept:
            del cell["attachments"]


class SanitizeStudentOutputs(Preprocessor):
    """Keeps only safe outputs and safe written answers in the graded notebook (see the module's docstring)."""

    enabled = True

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code":
            cell.outputs = safe_outputs(cell.get("outputs"))
        elif cell.cell_type == "markdown":
            safe_markdown_cell(cell)
        elif cell.cell_type == "raw":  # HTML exporters paste raw cells into the page as they are
            source = cell.source if isinstance(cell.source, str) else "".join(cell.source)
            cell.cell_type, cell.source = "markdown", literal_markdown(source)
            for key in ("format", "raw_mimetype"):
                cell.metadata.pop(key, None)
        return cell, resources
