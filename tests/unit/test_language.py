"""Students' messages in the language of their notebook: the catalogues are complete and current,
the Chinese uses the course's glossary, stored English messages are translated, verdicts are not."""

import re
import warnings
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

import course_config
from coursetools.course import language, message_sources, plugin_pictures, plugins
from coursetools.course.language import CHINESE, ENGLISH, Messages, messages, notebook_language
from coursetools.engine import faults
from coursetools.engine.carriers import NOT_CARRIED, SUPPORTED_KINDS
from coursetools.preprocessors.earlier_failures import EarlierFailures
from coursetools.preprocessors.manual_review import FAILED_BECAUSE
from coursetools.preprocessors.translate_messages import TranslateMessages
from coursetools.student.self_check import FAILED, PASSED, WHEN_GRADED, CheckResult, report_line, summary

pytestmark = pytest.mark.unit

ENGINE_FOLDER = Path(__file__).parents[1] / "engine_assignment"
CJK = re.compile(r"[\u4e00-\u9fff]")


def all_catalogues():
    engine = ENGINE_FOLDER / "translations" / language.catalogue_name(CHINESE)
    return [*message_sources.catalogues(), (engine, message_sources.assignment_messages(ENGINE_FOLDER), "engine")]


def chinese_notebook(**metadata):
    nb = new_notebook()
    nb.metadata.update(metadata)
    return nb


@pytest.mark.parametrize(
    "value, expected",
    [(None, ENGLISH), ("en", ENGLISH), ("zh-CN", CHINESE), ("fr", ENGLISH), ("zh-cn ", ENGLISH), (["zh-CN"], ENGLISH)],
)
def test_the_notebook_names_its_language_and_anything_unknown_is_english(value, expected):
    nb = chinese_notebook() if value is None else chinese_notebook(course_language=value)
    assert notebook_language(nb) == expected
    assert notebook_language({"metadata": "not a dict"}) == ENGLISH


@pytest.mark.parametrize("catalogue, sources, project", all_catalogues(), ids=lambda v: str(v)[-40:])
def test_every_message_has_a_current_translation(catalogue, sources, project):
    """Fails on a message without translation, a fuzzy one, or a translation whose English is gone:
    `.venv/bin/python -c "from coursetools.course import message_sources as m; print(m.update_all())"`
    updates the catalogues; then translate what it lists."""
    assert sources, f"no messages found for {project}"
    assert message_sources.catalogue_problems(catalogue, sources) == []


def test_no_message_is_marked_inside_an_f_string():
    """Babel's extractor reads an f-string as one token: a `_("...")` inside it would never reach a catalogue."""
    files = [*message_sources.COURSETOOLS.rglob("*.py"), *course_config.COURSE_ROOT.glob("source/*/course_plugin.py")]
    marked = re.compile(r"""\{\s*N?_\(\s*["']""")
    assert [str(f) for f in files if marked.search(f.read_text())] == []


def test_the_check_fails_on_missing_and_stale_translations(tmp_path):
    folder = tmp_path / "hw"
    folder.mkdir()
    (folder / "course_plugin.py").write_text(
        'from coursetools.course.language import N_\nSTEP_TITLES = {"t": N_("1. Old")}\n'
    )
    nb = new_notebook(cells=[new_code_cell('assert x == 1, f"x should be 1, not {x}."')])
    nb.cells[0].metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "t", "points": 1}
    nbformat.write(nb, folder / "hw.ipynb")
    catalogue = folder / "translations" / "messages.zh-CN.po"
    message_sources.update_catalogue(catalogue, message_sources.assignment_messages(folder), CHINESE, "hw")
    sources = message_sources.assignment_messages(folder)
    assert sources == ["1. Old", "x should be 1, not {x}."]
    assert len(message_sources.catalogue_problems(catalogue, sources)) == 2  # both untranslated
    # The step title changes in the source: its old translation is stale, the new title untranslated.
    renamed = [*sources[1:], "1. New"]
    problems = message_sources.catalogue_problems(catalogue, renamed)
    assert any("stale" in p and "1. Old" in p for p in problems) and any("1. New" in p for p in problems)


def glossary_terms(english: str) -> str:
    """The English words of a message outside code: quoted text, identifiers and placeholders removed."""
    text = re.sub(r"\{[^{}]*\}|`[^`]*`|'[^']*'|\b\w*[_.(]\w*\b\)?", " ", english)
    return text.lower()


GLOSSARY = {  # English word in a message -> the standard Chinese term its translation must use
    r"\bone-hot\b": "独热编码",
    r"\bactivation\b": "激活函数",
    r"\bloss\b": "损失",
    r"\boptimizers?\b": "优化器",
    r"\baccuracy\b": "准确率",
    r"\bweights\b": "权重",
    r"\bdropout\b": "丢弃",
    r"\bvalidation\b": "验证",
    r"\btraining set\b": "训练集",
    r"\bscal(e|ed|ing)\b": "归一化",
}


@pytest.mark.parametrize("catalogue, sources, project", all_catalogues(), ids=lambda v: str(v)[-40:])
def test_the_chinese_is_chinese_and_uses_the_glossary(catalogue, sources, project):
    entries = language.read_catalogue(catalogue)
    for english, chinese in entries.items():
        if CJK.search(english + chinese) is None and not re.search(r"[A-Za-z]{3,}\s+[a-z]{3,}", english):
            continue  # code only, such as a step titled "2. build_model(1, 64, 0.2)"
        assert CJK.search(chinese), f"{english!r} is not translated into Chinese: {chinese!r}"
        words = glossary_terms(english)
        for pattern, term in GLOSSARY.items():
            if re.search(pattern, words) and "test images" not in words:
                assert term in chinese, f"{english!r} -> {chinese!r} should use {term}"


def test_stored_messages_are_translated_with_their_values():
    _ = messages(CHINESE, "ps1")
    assert _.translate("train_x should hold 60000 images of 28x28 pixels, but its shape is (5, 28, 28).") == (
        "train_x 应包含 60000 张 28x28 像素的图片，但它的形状是 (5, 28, 28)。"
    )
    # A fault as a sentence (execute.py writes fault.sentence()) and as stored in the metadata.
    fault = faults.notebook_time_limit(120)
    assert _.translate(str(fault)) == "笔记本的运行时间超过了 120 秒的时间限制"
    assert _.translate(fault.sentence()) == "笔记本的运行时间超过了 120 秒的时间限制。"
    # A message inside a message: a check's error explained by an earlier failure.
    check = new_code_cell("assert len(class_names) == 10")
    check.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "test-class-names", "points": 1}
    check.outputs = [new_output("error", ename="NameError", evalue="name 'class_names' is not defined", traceback=[])]
    student = new_code_cell("class_names = load()")
    student.outputs = [new_output("error", ename="ValueError", evalue="bad", traceback=[])]
    failures = EarlierFailures()
    failures.after_cell(student, 3)
    failures.explain(check)
    assert _.translate(check.outputs[0].evalue) == (
        "name 'class_names' is not defined（前面有一个单元格运行失败，这可能就是原因：第 4 个代码单元格引发了 ValueError: bad）"
    )
    # The fixed message of a value the grader cannot carry, with its fixed reason inside.
    reason = FAILED_BECAUSE.format(reason=NOT_CARRIED["symbolic"], kinds=SUPPORTED_KINDS)
    assert _.translate(reason).startswith(
        "无法检查这一步：评分程序无法把它用到的一个值传递给检查内核：它是一个没有具体值的符号张量。测试可以读取：数字、"
    )
    # A student's text that is no message stays as it is; English stays English.
    assert _.translate("my own error") == "my own error"
    assert messages(ENGLISH, "ps1").translate(str(fault)) == str(fault)


def test_a_long_near_miss_of_a_template_is_left_as_it_is_without_backtracking():
    # Fixed parts repeated in a student's value: a regular expression with three lazy groups took
    # 0.3 s on 900 characters and minutes on 5,000; the leftmost match reads each character once.
    _ = Messages(CHINESE, {"a {x} b {y} c {z} d": "甲{x}乙{y}丙{z}丁"})
    near_miss = "a " + " b c" * 1600 + " x"
    assert _.translate(near_miss) == near_miss
    assert _.translate("a 1 b 2 c 3 d") == "甲1乙2丙3丁"
    assert _.translate("a 1 b 2 b 3 c 4 c d") == "甲1乙2 b 3丙4 c丁"  # each fixed part at its leftmost place


def test_translating_a_graded_notebook_changes_words_never_verdicts(tmp_path):
    nb = new_notebook(cells=[new_code_cell("assert squares(3) == [1, 4, 9]"), new_code_cell("assert True")])
    for i, cell in enumerate(nb.cells):
        cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": f"t{i}", "points": 1}
    nb.cells[0].outputs = [
        new_output(
            "error",
            ename="AssertionError",
            evalue="squares(3) should be [1, 4, 9].",
            traceback=[
                "\x1b[0;31mAssertionError\x1b[0m: squares(3) should be [1, 4, 9].",
                "AssertionError: squares(3) should be [1, 4, 9].",
            ],
        )
    ]
    nb.cells[1].outputs = [new_output("stream", name="stdout", text="This check passed.\n")]
    nb.metadata["course_language"] = CHINESE
    pre = TranslateMessages()
    resources = {"nbgrader": {"assignment": "engine"}}
    # the engine assignment's catalogue, where a course copy keeps it (source/engine/translations/)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(course_config, "COURSE_ROOT", tmp_path)
        (tmp_path / "source").mkdir()
        (tmp_path / "source" / "engine").symlink_to(ENGINE_FOLDER)
        translated, _ = pre.preprocess(nb, resources)
    error = translated.cells[0].outputs[0]
    assert (error.output_type, error.ename, len(translated.cells[0].outputs)) == ("error", "AssertionError", 1)
    assert error.evalue == "squares(3) 应为 [1, 4, 9]。"
    assert error.traceback[-1] == "AssertionError: squares(3) 应为 [1, 4, 9]。"
    assert translated.cells[1].outputs[0].text == "此项检查通过。\n"


def test_the_self_check_speaks_the_notebooks_language():
    _ = messages(CHINESE)
    results = [
        CheckResult("1. 导入", PASSED, _("ok")),
        CheckResult("2. 加载数据", FAILED, "AssertionError: x"),
        CheckResult("3. 查看图片", WHEN_GRADED, ""),
    ]
    assert report_line(results[0], _) == "  通过    1. 导入"
    assert report_line(results[2], _) == "  待评    3. 查看图片: 评分时运行（隐藏检查）"
    assert summary(results, _) == (True, "2 项检查中有 1 项未通过。请先修正第一项，然后再运行一次。")
    assert summary(results[:1]) == (False, "All 1 visible checks pass.")


ENGLISH_PICTURES = {
    "ps1": ["Predictions of your model on test images", "Confusion matrix", "Training curve"],
    "ps2": ["Part 3: your improved model: training and validation curves"],
}
CONFUSION = [[90 if r == c else 1 for c in range(10)] for r in range(10)]


@pytest.mark.parametrize(
    "assignment, insights",
    [
        (
            "ps1",
            {
                "sample_predictions": [(3 * i) % 10 for i in range(24)],
                "confusion": CONFUSION,
                "history": {"accuracy": [0.7, 0.8], "loss": [0.9, 0.5]},
            },
        ),
        ("ps2", {"history": {k: [0.5, 0.4] for k in ("loss", "val_loss", "accuracy", "val_accuracy")}}),
    ],
)
def test_chinese_pictures_are_drawn_with_a_font_that_has_every_character(assignment, insights):
    from matplotlib import font_manager

    with plugin_pictures.fonts_for(CHINESE):
        font = font_manager.findfont(font_manager.FontProperties(family=["sans-serif"]), fallback_to_default=False)
    assert "cjk" in font.lower() or "wqy" in font.lower(), "install fonts-noto-cjk (./course setup)"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph ... missing from font(s)"
        drawn = plugins.pictures(assignment, insights, messages(CHINESE, assignment))
    assert drawn and all(CJK.search(alt) for alt, _ in drawn), [alt for alt, _ in drawn]
    english = plugins.pictures(assignment, insights)
    assert [alt for alt, _ in english] == ENGLISH_PICTURES[assignment]  # every picture, in both languages
    assert len(drawn) == len(english)


def test_class_names_in_chinese_belong_to_the_assignment():
    ps1 = plugins.load("ps1")
    chinese = [messages(CHINESE, "ps1").gettext(name) for name in ps1.CLASS_NAMES]
    assert chinese[0] == "T恤/上衣" and len(set(chinese)) == 10 and all(CJK.search(n) for n in chinese)
    assert "T恤" not in language.course_catalogue(CHINESE).read_text()  # not in coursetools
    assert set(course_config.ASSIGNMENTS) >= {"ps1", "ps2"}


def test_an_unknown_language_reads_no_catalogue():
    assert messages("xx").entries == {} and isinstance(messages(ENGLISH), Messages)


def test_no_catalogue_is_released():
    """An assignment's catalogue holds its hidden tests' messages: nbgrader's ignore list keeps it
    out of release/ (generate_assignment copies a folder's files by shutil.ignore_patterns)."""
    import shutil

    from traitlets.config import Config

    from coursetools.course import nbgrader_settings

    c = Config()
    nbgrader_settings.apply(c)
    ignored = shutil.ignore_patterns(*c.CourseDirectory.ignore)
    for catalogue, _, project in all_catalogues():
        if project != "coursetools":
            assert ignored(str(catalogue.parent), [catalogue.name]) == {catalogue.name}
