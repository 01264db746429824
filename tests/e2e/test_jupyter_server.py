"""The course on a Jupyter server, as README's "Running the course on a Jupyter server" says.

One machine, separate users' home folders: the instructor runs `./course jupyter-setup`
and `./course publish`; alice works in JupyterLab in headless Chromium (fetch, run,
Validate, submit, fetch feedback); bob uses nbgrader's commands in a terminal and
answers ps2's question graded by hand; the instructor collects, autogrades and grades
by hand in the formgrader and releases feedback. Screenshots of each stage go to
reports/screenshots/jupyter-*.png; every assertion reads the page or the files.

Every process here runs as the same OS user, so each student's ~/.jupyter names its
nbgrader student id (on a real server each student is their own user, and nbgrader
takes the id from the account).
"""

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import course_config
from coursetools.course.jupyter_server import STUDENT_CONFIG_FILE
from coursetools.workflow import leak_checks, samples
from coursetools.workflow.course_copy import make_course_copy
from coursetools.workflow.scores import step_scores

from .browser import chromium, screenshot
from .conftest import run_cli
from .jupyter_pages import COURSE_LAB, Formgrader, Lab, jupyter_lab, status, user_env

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.browser]

COURSE = course_config.COURSE_ID
PS1, PS2 = "fashion_mnist", "improving"
PS2_CHINESE = "ps2-zh-CN"  # ps2's Chinese release in the exchange
REFLECTION = "Dropout and a validation set helped most: the gap between the curves shrank."


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The course copy, its exchange, everyone's Jupyter configuration and three homes."""
    base = tmp_path_factory.mktemp("jupyter-server")
    root = make_course_copy(base / "course")
    config = root / "course_config.py"
    config.write_text(
        config.read_text()
        + f"\nEXCHANGE_ROOT = Path({str(base / 'exchange')!r})\n"
        # the data cache the course kernel already points at (the kernelspec is the environment's)
        + f"KERAS_HOME = Path({str(course_config.KERAS_HOME)!r})\n"
    )
    homes = {name: base / "home" / name for name in ("instructor", "alice", "bob")}
    for home in homes.values():
        home.mkdir(parents=True)
    everyone = base / "everyone-config"
    env = {name: user_env(home, everyone) for name, home in homes.items()}
    for student in ("alice", "bob"):
        (homes[student] / ".jupyter").mkdir()
        (homes[student] / ".jupyter" / STUDENT_CONFIG_FILE).write_text(f"c.CourseDirectory.student_id = {student!r}\n")

    course(root, env["instructor"], "jupyter-setup", "--everyone-config", str(everyone))
    for assignment in ("ps1", "ps2"):
        course(root, env["instructor"], "publish", "--assignment", assignment)
    return {"root": root, "homes": homes, "env": env, "base": base}


def course(root: Path, env: dict, *args: str) -> str:
    """`./course ARGS` in the course root; returns what it printed."""
    result = run_cli(root, *args, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def nbgrader_as(env: dict, home: Path, *args: str) -> str:
    """A student's `nbgrader ARGS` in a terminal, in their home folder."""
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args], cwd=home, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def completed(root: Path, fetched: Path, break_cell: str | None = None) -> nbformat.NotebookNode:
    """The fetched notebook with the reference answers typed in; optionally one answer broken."""
    source = nbformat.read(root / "source" / "ps1" / f"{PS1}.ipynb", as_version=4)
    answers = samples.solution_code(source)
    if break_cell:
        answers[break_cell] = answers[break_cell].replace("load_data()", "load_dataset()")
    return samples.fill(nbformat.read(fetched, as_version=4), answers)


def hidden_lines(root: Path, assignment: str, notebook: str) -> set[str]:
    source = nbformat.read(root / "source" / assignment / f"{notebook}.ipynb", as_version=4)
    return {line for line in leak_checks.secret_lines(source) if len(line) > 12}


def test_a_class_works_through_ps1_and_ps2_on_a_jupyter_server(server):
    root, homes, env = server["root"], server["homes"], server["env"]
    base = server["base"]
    with chromium() as driver:
        with jupyter_lab(homes["alice"], env["alice"], base / "alice-server.log") as (url, token):
            alice = Lab(driver, url, token)
            student_tools_only(alice)
            alice_works_on_ps1(alice, root, homes["alice"])
            bob_answers_ps2_in_a_terminal(env["bob"], homes["bob"])
            with jupyter_lab(root, env["instructor"], base / "instructor-server.log", COURSE_LAB) as (iurl, itoken):
                instructor = Lab(driver, iurl, itoken)
                instructor.open_lab()
                assert {"Formgrader", "Create assignment"} <= set(instructor.menu_items("Nbgrader"))
                formgrader = Formgrader(driver, iurl, itoken)
                instructor_grades(formgrader, root, env["instructor"])
            alice_reads_her_feedback(alice, root, homes["alice"])
    bob_reads_his_feedback(root, env["bob"], homes["bob"])


def student_tools_only(alice: Lab) -> None:
    alice.open_lab()
    items = alice.menu_items("Nbgrader")
    assert "Assignment List" in items and "Formgrader" not in items and "Create assignment" not in items, items
    assert status(alice.url, alice.token, "/formgrader") == 404  # the server extension is off too
    screenshot(alice.driver, "jupyter-1-student-lab")


def alice_works_on_ps1(alice: Lab, root: Path, home: Path) -> None:
    alice.assignment_list()
    assert "ps1" in alice.fetch("ps1", COURSE)
    fetched = home / COURSE / "ps1" / f"{PS1}.ipynb"
    screenshot(alice.driver, "jupyter-2-student-fetched")

    # A notebook whose data-loading answer is wrong: Validate names the failing checks and the cause.
    (home / "drafts").mkdir()
    nbformat.write(completed(root, fetched, break_cell="load-data"), home / "drafts" / f"{PS1}.ipynb")
    alice.open_notebook(f"drafts/{PS1}.ipynb")
    result, text = alice.validate(timeout=300)
    screenshot(alice.driver, "jupyter-3-validate-failing")
    alice.close_dialog()
    assert result == "failed", text
    assert "name 'train_x' is not defined" in text
    assert "an earlier cell failed, which may be why: your cell 'load-data' raised AttributeError" in text
    assert "oneDNN" not in text and "cuda" not in text  # no TensorFlow log lines

    # The completed notebook, run in the browser with the course kernel, then validated and submitted.
    nbformat.write(completed(root, fetched), fetched)
    kernel = alice.open_notebook(f"{COURSE}/ps1/{PS1}.ipynb")
    assert kernel == f"Python 3 ({COURSE})"
    stderr = alice.run_all(timeout=600)
    assert stderr == [], stderr  # data found offline, no TensorFlow log lines in the cells
    alice.save()
    screenshot(alice.driver, "jupyter-4-student-ran-all")
    result, text = alice.validate(timeout=600)
    screenshot(alice.driver, "jupyter-5-validate-success")
    alice.close_dialog()
    assert result == "success" and "Success! Your notebook passes all the tests." in text, text

    alice.open_lab()
    alice.assignment_list()
    assert "UTC" in alice.submit("ps1")
    screenshot(alice.driver, "jupyter-6-student-submitted")


def bob_answers_ps2_in_a_terminal(env: dict, home: Path) -> None:
    """Bob reads Chinese: he fetches and submits ps2's Chinese release, graded as ps2 itself."""
    assert f"Fetched as: dl-intro {PS2_CHINESE}" in nbgrader_as(env, home, "fetch_assignment", PS2_CHINESE)
    path = home / COURSE / PS2_CHINESE / f"{PS2}.ipynb"
    assert nbformat.read(path, as_version=4).metadata.get("course_language") == "zh-CN"
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "reflection":
            cell.source = REFLECTION
    nbformat.write(nb, path)
    assert f"Submitted as: dl-intro {PS2_CHINESE}" in nbgrader_as(env, home, "submit", PS2_CHINESE)


def instructor_grades(formgrader: Formgrader, root: Path, env: dict) -> None:
    formgrader.manage_assignments()
    screenshot(formgrader.driver, "jupyter-7-formgrader-assignments")
    ok, message, _ = formgrader.act("name", "ps1", "collect", timeout=120)
    formgrader.close_result()
    assert ok, message

    formgrader.submissions("ps1")
    ok, message, log = formgrader.act("student-id", "alice", "autograde", timeout=900)
    screenshot(formgrader.driver, "jupyter-8-formgrader-autograde")
    formgrader.close_result()
    assert ok, message + log
    # A short log: what nbgrader did and one summary line; no warnings, no hidden tests.
    assert "alice, ps1/fashion_mnist: 15/15 points; every automatic check passed" in log, log
    assert len(log) < 10_000 and "WARNING" not in log and "Traceback" not in log, log
    assert not [line for line in hidden_lines(root, "ps1", PS1) if line in log]
    formgrader.submissions("ps1")
    assert formgrader.cell_of("student-id", "alice", "score") == "15 / 15"

    # ps2 from the command line: collect from the exchange, autograde, then grade the reflection by hand.
    assert "bob" in course(root, env, "collect", "--assignment", "ps2")
    table = course(root, env, "autograde", "--assignment", "ps2")
    assert "bob" in table and "?/3" in table, table
    nbgrader_log = (root / "logs" / "ps2" / "bob.log").read_text()
    assert "bob, ps2/improving: 0/13 points; failed:" in nbgrader_log
    assert "Warning" not in nbgrader_log and "WARNING" not in nbgrader_log, nbgrader_log  # SQLAlchemy, checksums
    formgrader.grade_by_hand("ps2", PS2, "reflection", 2, "Good: name one more thing to try.")
    screenshot(formgrader.driver, "jupyter-9-formgrader-manual-grade")
    formgrader.wait(30).until(lambda _: [s.score for s in step_scores(root, "ps2", "bob")][-1] == 2)

    formgrader.manage_assignments()
    for action in ("generate-feedback", "release-feedback"):
        ok, message, log = formgrader.act("name", "ps1", action, timeout=300)
        formgrader.close_result()
        assert ok and "WARNING" not in log, message + log
    assert "Released the feedback of ps2" in course(root, env, "release-feedback", "--assignment", "ps2")


def alice_reads_her_feedback(alice: Lab, root: Path, home: Path) -> None:
    alice.open_lab()
    alice.assignment_list()
    assert "view feedback" in alice.fetch_feedback()
    screenshot(alice.driver, "jupyter-10-student-feedback-fetched")
    (page,) = (home / COURSE / "ps1" / "feedback").glob(f"*/{PS1}.html")
    alice.open(f"/files/{page.relative_to(home).as_posix()}")
    text = alice.text()
    screenshot(alice.driver, "jupyter-11-student-feedback-page")
    assert "Your result: 15 / 15" in text and "9. Test accuracy" in text, text[:500]
    assert not [line for line in hidden_lines(root, "ps1", PS1) if line in alice.driver.page_source]


def bob_reads_his_feedback(root: Path, env: dict, home: Path) -> None:
    assert "Fetched feedback" in nbgrader_as(env, home, "fetch_feedback", PS2_CHINESE)
    (page,) = (home / COURSE / PS2_CHINESE / "feedback").glob(f"*/{PS2}.html")
    html = page.read_text()
    assert "Good: name one more thing to try." in html and REFLECTION in html
    assert "你的成绩：2 / 16" in html, html[:2000]  # the feedback in the language he submitted
    assert not [line for line in hidden_lines(root, "ps2", PS2) if line in html]
