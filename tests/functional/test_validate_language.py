"""nbgrader's Validate button with the students' settings (jupyter_server.py) speaks the language of
the notebook: the earlier failure that explains a check's error is named in Chinese for a Chinese
notebook and in English for an English one; which checks fail is the same."""

import os
import subprocess
import sys

import nbformat
import pytest

from coursetools.course.jupyter_server import student_nbgrader_config
from tests.engine_course import ASSIGNMENT, NOTEBOOK, make_engine_course, run_cli, submission

pytestmark = pytest.mark.functional


def validate(folder, nb):
    """`nbgrader validate` as the Validate button runs it, in a student's folder with their settings."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "nbgrader_config.py").write_text(student_nbgrader_config())
    path = folder / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(folder / ".jupyter")}
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", "validate", str(path.relative_to(folder))],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done.stdout + done.stderr


def test_validate_explains_an_earlier_failure_in_the_notebooks_language(tmp_path):
    course = make_engine_course(tmp_path / "course")
    nb = submission(course, values="values = np.arange(5) * UNDEFINED_SCALE")
    english = validate(tmp_path / "en", nb)
    nb.metadata["course_language"] = "zh-CN"
    chinese = validate(tmp_path / "zh", nb)
    assert "(an earlier cell failed, which may be why: your cell 'values' raised NameError" in english, english
    assert "（前面有一个单元格运行失败，这可能就是原因：你的单元格“values”引发了 NameError" in chinese, chinese
    assert "VALIDATION FAILED ON 1 CELL(S)!" in english and "VALIDATION FAILED ON 1 CELL(S)!" in chinese


def test_the_self_check_reports_in_the_notebooks_language(tmp_path):
    """`./course check` in the course (whose course_config knows the engine assignment)."""
    course = make_engine_course(tmp_path / "course")
    nb = submission(course, values="values = [0, 3, 6, 9, 12]")
    nb.metadata["course_language"] = "zh-CN"
    path = tmp_path / "student" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(nb, path)
    done = run_cli(course, "check", str(path))
    lines = (done.stdout + done.stderr).splitlines()
    assert done.returncode != 0, lines
    assert "  失败    2. 数值: AssertionError: values 应是一个 numpy 数组。" in lines, lines
    assert "  通过    1. 平方" in lines and "  已答    4. 思考: 已作答；由教师评分" in lines, lines
    assert any("3 项检查中有 1 项未通过。请先修正第一项，然后再运行一次。" in line for line in lines), lines
