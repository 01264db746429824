"""Student outputs and written answers keep only what cannot run in a browser (safe_outputs.py),
checked by rendering the notebook as nbgrader's formgrader does."""

import base64

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output, new_raw_cell

from coursetools.preprocessors.sanitize_outputs import SanitizeStudentOutputs, markdown_is_safe, safe_output
from tests.formgrader_view import live_parts, render_as_formgrader

pytestmark = pytest.mark.unit

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 32).decode()
NOT_AN_IMAGE = base64.b64encode(b"<svg onload=alert(1)>").decode()
HOSTILE_HTML = [
    "<script>alert('html')</script><b>bold</b>",
    "<img src=x onerror=alert('img')>",
    "<svg onload=alert('svg')><circle r=1 /></svg>",
    "<a href='javascript:alert(1)'>click</a><a href=' jav&#x09;ascript:alert(2)'>tab</a>",
    "<iframe src='data:text/html,<script>alert(3)</script>'></iframe>",
    "<style>body{display:none}</style><div style='position:fixed'>x</div>",
    "<form action='javascript:alert(4)'><button formaction='javascript:alert(5)'>b</button></form>",
    "<scr<script></script>ipt>alert(6)</script>",
]
HOSTILE_MARKDOWN = [
    "Answer <script>alert('md')</script>",
    "[click](javascript:alert('link'))",
    "[ref link][1]\n\n[1]: vbscript:msgbox(1)",
    "<javascript:alert('autolink')>",
    "[escaped](javascript\\:alert(1)) and [entity](jav&#97;script:alert(1))",
    "![pixel](http://tracker.example/p.png) <img src=x onerror=alert(1)>",
    "<details open ontoggle=alert(1)>x</details>",
    "$\\href{javascript:alert(1)}{x}$",
]


def hostile_notebook():
    cells = [new_markdown_cell(text) for text in HOSTILE_MARKDOWN]
    cells.append(new_raw_cell("<script>alert('raw')</script>"))
    code = new_code_cell("display(...)")
    code.outputs = [
        *[new_output("display_data", data={"text/html": h, "text/plain": "<HTML>"}) for h in HOSTILE_HTML],
        new_output("display_data", data={"image/svg+xml": "<svg onload=alert(1)></svg>"}),
        new_output("display_data", data={"application/javascript": "alert('js')"}),
        new_output("display_data", data={"text/markdown": "[x](javascript:alert('mdout'))"}),
        new_output("display_data", data={"text/latex": "$\\href{javascript:alert(1)}{x}$"}),
        new_output("display_data", data={"application/vnd.jupyter.widget-view+json": {"model_id": "x"}}),
        new_output("display_data", data={"image/png": NOT_AN_IMAGE, "text/plain": "fake"}),
        new_output("display_data", data={"image/png": PNG}, metadata={"image/png": {"width": 10, "onload": "x"}}),
        new_output("execute_result", data={"text/html": "<table><tr><td>1</td></tr></table>"}, execution_count=1),
        new_output("error", ename="<b>E</b>", evalue="<script>alert(1)</script>", traceback=["\x1b[31m<i>tb</i>"]),
    ]
    cells.append(code)
    return new_notebook(cells=cells)


def test_the_formgrader_renders_the_hostile_notebook_live_without_sanitizing(tmp_path):
    path = tmp_path / "raw.ipynb"
    nbformat.write(hostile_notebook(), path)
    assert len(live_parts(render_as_formgrader(path))) > 10  # the check below can fail


def test_the_formgrader_renders_nothing_live_once_outputs_are_made_safe(tmp_path):
    nb, _ = SanitizeStudentOutputs()(hostile_notebook(), {})
    path = tmp_path / "graded.ipynb"
    nbformat.write(nb, path)  # still a valid notebook
    page = render_as_formgrader(path)
    assert live_parts(page) == []
    assert "<b>bold</b>" in page and "<td>1</td>" in page, "safe HTML (tables, formatting) is kept"
    assert f"data:image/png;base64,{PNG}" in page, "real pictures are kept"
    assert "click" in page and "Answer" in page, "the instructor still reads every written answer"


def test_every_kept_output_is_on_the_allowlist():
    nb, _ = SanitizeStudentOutputs()(hostile_notebook(), {})
    allowed = {"text/plain", "text/html", "image/png", "image/jpeg"}
    for output in nb.cells[-1].outputs:
        assert set(output.get("data", {})) <= allowed
        assert all(set(v) <= {"width", "height"} for v in output.get("metadata", {}).values())
    error = nb.cells[-1].outputs[-1]
    assert error.traceback == ["<i>tb</i>"], "tracebacks are plain strings, no terminal codes"
    assert all(c.cell_type != "raw" for c in nb.cells), "raw cells would be pasted into the page as HTML"


def test_invalid_base64_or_a_non_picture_is_not_kept_as_a_picture():
    kept = safe_output(new_output("display_data", data={"image/jpeg": "not base64!!"}))
    assert "image/jpeg" not in kept.data and "not shown" in kept.data["text/plain"]
    kept = safe_output(new_output("display_data", data={"image/png": NOT_AN_IMAGE, "text/plain": "t"}))
    assert dict(kept.data) == {"text/plain": "t"}


@pytest.mark.parametrize("text", HOSTILE_MARKDOWN)
def test_hostile_markdown_is_not_safe(text):
    assert not markdown_is_safe(text)


@pytest.mark.parametrize(
    "text",
    [
        "Inputs on one scale make training steps of the same size for every feature.",
        "# Title\n\n* a **list** with `code < 3` and [a link](https://keras.io) and $x_i < y$",
        "The training data: 60,000 images; a | table |\n|---|---|\n| 1 | 2 |",
    ],
)
def test_honest_markdown_is_kept_as_written(text):
    assert markdown_is_safe(text)
    nb, _ = SanitizeStudentOutputs()(new_notebook(cells=[new_markdown_cell(text)]), {})
    assert nb.cells[0].source == text  # unchanged: an unchanged release answer keeps its checksum


def test_html_whose_text_mathjax_would_make_a_script_link_falls_back_to_text():
    kept = safe_output(
        new_output("display_data", data={"text/html": "<td>$\\href{javascript:alert(1)}{x}$</td>", "text/plain": "t"})
    )
    assert dict(kept.data) == {"text/plain": "t"}


def test_an_answer_shown_as_text_stays_the_same_when_sanitized_again():
    once, _ = SanitizeStudentOutputs()(new_notebook(cells=[new_markdown_cell(HOSTILE_MARKDOWN[1])]), {})
    twice, _ = SanitizeStudentOutputs()(nbformat.from_dict(once), {})
    assert twice.cells[0].source == once.cells[0].source != HOSTILE_MARKDOWN[1]
    assert HOSTILE_MARKDOWN[1] in once.cells[0].source
