"""A Chinese notebook (metadata.course_language = "zh-CN") is graded exactly as the English one and
its student reads the feedback in Chinese: the summary, the step titles, the reasons, the page's
words and the pictures' labels, rendered in a real browser with fonts that have every character.

On the engine assignment (no TensorFlow): the pictures are ps1's plugin drawing from numbers the
engine's plugin gives as ps1's checker would measure them."""

import pytest

from tests.engine_course import autograded_notebook, make_engine_course, run_cli, step_scores, submission, submit

from .browser import chromium, screenshot

pytestmark = [pytest.mark.e2e]

WRONG = {"squares": "def squares(n):\n    return [1, 4, 9]", "values": "values = [0, 3, 6, 9, 12]"}
# What ps1's checker measures (course_plugin.measure): a confusion matrix and a training curve.
INSIGHTS = {
    "confusion": [[80 if r == c else (5 if c == (r + 3) % 10 else 1) for c in range(10)] for r in range(10)],
    "history": {"accuracy": [0.72, 0.80, 0.83], "loss": [0.81, 0.55, 0.47]},
}
# The engine's plugin (which imports coursetools' N_, in the checker too) measures ps1's numbers
# and draws ps1's pictures, in the language `_` is in, with ps1's words.
PICTURES = f"""

def measure(namespace):
    return {INSIGHTS!r}


def pictures(insights, _):
    from coursetools.course import plugins
    from coursetools.course.language import messages

    return plugins.load("ps1").pictures(insights, messages(_.language, "ps1"))
"""
CJK_FONTS = ("Noto Sans CJK", "Noto Serif CJK", "WenQuanYi")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = make_engine_course(tmp_path_factory.mktemp("language") / "course")
    with open(course / "source" / "engine" / "course_plugin.py", "a") as fh:
        fh.write(PICTURES)
    english = submission(course, **WRONG)
    chinese = submission(course, **WRONG)
    chinese.metadata["course_language"] = "zh-CN"
    submit(course, "english-student", english)
    submit(course, "chinese-student", chinese)
    done = run_cli(course, "autograde", "--assignment", "engine")
    assert done.returncode == 0, done.stdout + done.stderr
    for student in ("english-student", "chinese-student"):  # measured in the checker
        assert autograded_notebook(course, student).metadata["coursetools"]["insights"] == INSIGHTS
    feedback = run_cli(course, "feedback", "--assignment", "engine")
    assert feedback.returncode == 0, feedback.stdout + feedback.stderr
    return course, feedback


def page(course, student):
    return (course / "feedback" / student / "engine" / "warmup.html").read_text()


def test_both_languages_score_the_same_cell_by_cell(graded):
    course, _ = graded
    scores = step_scores(course, "chinese-student")
    assert scores == step_scores(course, "english-student")
    assert scores == {"test-squares": 0, "test-values": 0, "test-normalize": 2, "reflection": None}


def test_the_graded_notebook_gives_the_graders_messages_in_chinese(graded):
    course, _ = graded
    cells = {
        c.metadata.get("nbgrader", {}).get("grade_id"): c for c in autograded_notebook(course, "chinese-student").cells
    }
    assert cells["test-values"].outputs[-1].evalue == "values 应是一个 numpy 数组。"
    english = {
        c.metadata.get("nbgrader", {}).get("grade_id"): c for c in autograded_notebook(course, "english-student").cells
    }
    assert english["test-values"].outputs[-1].evalue == "values should be a numpy array."


def test_the_feedback_page_is_in_the_language_of_the_notebook(graded):
    course, feedback = graded
    chinese, english = page(course, "chinese-student"), page(course, "english-student")
    assert "你的成绩：2 / 5（另有 1 分尚待教师评分）" in chinese
    assert '<html lang="zh-CN">' in chinese and '<html lang="en">' in english
    for words in (
        "步骤",
        "评分结果",
        "1. 平方",
        "2. 数值",
        "这一步的一项隐藏检查未通过。",
        "此项检查未通过；",
        "得分：",
        "混淆矩阵",
        "训练曲线",
    ):
        assert words in chinese, words
    assert (
        "Your result: 2 / 5" in english
        and "a hidden check of this step failed." in english
        and "混淆矩阵" not in english
    )
    assert "missing from font" not in feedback.stdout + feedback.stderr  # matplotlib's missing-glyph warning


@pytest.mark.browser
def test_the_chinese_feedback_page_renders_every_character(graded):
    course, _ = graded
    with chromium(1200, 1900) as driver:
        driver.get((course / "feedback" / "chinese-student" / "engine" / "warmup.html").as_uri())
        text = driver.find_element("tag name", "body").text
        assert "你的成绩" in text and "1. 平方" in text and "这一步的一项隐藏检查未通过。" in text
        images = driver.execute_script(
            "return Array.from(document.images).map(i => [i.alt, i.complete && i.naturalWidth > 0]);"
        )
        assert [alt for alt, _ in images][:2] == ["混淆矩阵", "训练曲线"] and all(ok for _, ok in images), images
        # The fonts Chromium drew the summary with: a CJK font for the Chinese characters, so no
        # character fell back to a missing-glyph box.
        driver.execute_cdp_cmd("DOM.enable", {})
        driver.execute_cdp_cmd("CSS.enable", {})
        root = driver.execute_cdp_cmd("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
        for selector in ("h1", "table tbody tr td"):
            node = driver.execute_cdp_cmd("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
            fonts = driver.execute_cdp_cmd("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
            assert any(f["familyName"].startswith(CJK_FONTS) for f in fonts), (selector, fonts)
        driver.execute_script("document.querySelector('img[alt=\"混淆矩阵\"]').scrollIntoView({block: 'end'})")
        driver.execute_script("window.scrollTo(0, 0)")
        screenshot(driver, "feedback-zh-CN")
