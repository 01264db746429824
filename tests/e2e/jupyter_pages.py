"""JupyterLab servers for the browser test, and what a student or an instructor does in them.

Selectors are JupyterLab 4's and nbgrader 0.9's (both pinned); every wait reads the page.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

ACTIVE_NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden)"
# Variables of the test process that would point a server at the wrong configuration.
JUPYTER_VARIABLES = ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTER_CONFIG_PATH")


def user_env(home: Path, everyone_config: Path) -> dict[str, str]:
    """The environment of a user whose home is `home` on a server configured in `everyone_config`."""
    env = {k: v for k, v in os.environ.items() if k not in JUPYTER_VARIABLES and k != "KERAS_HOME"}
    env.update(HOME=str(home), JUPYTER_CONFIG_PATH=str(everyone_config))
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


JUPYTER_LAB = (sys.executable, "-m", "jupyter", "lab")  # a student's `jupyter lab`
COURSE_LAB = (sys.executable, "-m", "coursetools", "lab")  # the instructor's `./course lab`


@contextmanager
def jupyter_lab(folder: Path, env: dict[str, str], log: Path, command=JUPYTER_LAB):
    """JupyterLab started in `folder` with `command` (as the README says); yields its URL and token."""
    port, token = _free_port(), secrets.token_hex(16)
    quiet_news(Path(env["HOME"]))
    with open(log, "w") as out:
        server = subprocess.Popen(
            [*command, "--no-browser", "--allow-root", "--ip=127.0.0.1", f"--port={port}", f"--ServerApp.token={token}"],
            cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(240):
                try:
                    urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                    break
                except OSError:
                    assert server.poll() is None, f"jupyter lab exited; see {log}"
                    time.sleep(0.5)
            yield url, token
        finally:
            server.terminate()
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, 9)


def quiet_news(home: Path) -> None:
    """No "news" notification on first start (there is no internet to fetch it from)."""
    folder = home / ".jupyter" / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )


def status(url: str, token: str, path: str) -> int:
    try:
        return urllib.request.urlopen(f"{url}{path}?token={token}", timeout=10).status
    except urllib.error.HTTPError as error:
        return error.code


class Page:
    def __init__(self, driver, url: str, token: str):
        self.driver, self.url, self.token = driver, url, token

    def wait(self, timeout: float = 30) -> WebDriverWait:
        return WebDriverWait(self.driver, timeout, poll_frequency=0.25)

    def find(self, xpath: str, timeout: float = 30):
        return self.wait(timeout).until(EC.presence_of_element_located((By.XPATH, xpath)))

    def click(self, xpath: str, timeout: float = 30) -> None:
        self.wait(timeout).until(EC.element_to_be_clickable((By.XPATH, xpath))).click()

    def open(self, path: str) -> None:
        separator = "&" if "?" in path else "?"
        self.driver.get(f"{self.url}{path}{separator}token={self.token}")

    def text(self) -> str:
        return self.driver.find_element(By.TAG_NAME, "body").text


class Lab(Page):
    """JupyterLab with nbgrader's student extensions (and the instructor's, where enabled)."""

    def open_lab(self, path: str = "") -> None:
        self.open(f"/lab{'/tree/' + path if path else ''}?reset")  # ?reset: no saved layout
        self.find("//*[@id='jp-main-dock-panel']", 90)
        self.find("//*[@id='jp-MainMenu']//li[contains(@class,'lm-MenuBar-item')]", 90)

    def menu_items(self, top: str) -> list[str]:
        self._open_menu(top)
        items = self.driver.find_elements(By.CSS_SELECTOR, ".lm-Menu-content .lm-Menu-itemLabel")
        labels = [item.text for item in items if item.text]
        self._close_menus()
        return labels

    def _open_menu(self, top: str) -> None:
        self._close_menus()
        self.click(f"//li[contains(@class,'lm-MenuBar-item')][.//div[normalize-space(.)='{top}']]")
        self.find("//ul[contains(@class,'lm-Menu-content')]/li")

    def _close_menus(self) -> None:
        for _ in range(3):
            if not self.driver.find_elements(By.CSS_SELECTOR, ".lm-Menu"):
                return
            ActionChains(self.driver).send_keys(Keys.ESCAPE).perform()
            time.sleep(0.2)

    def menu(self, top: str, item: str) -> None:
        self._open_menu(top)
        self.click(f"//ul[contains(@class,'lm-Menu-content')]/li[.//div[contains(@class,'lm-Menu-itemLabel') and normalize-space(.)='{item}']]")  # fmt: skip

    # -- nbgrader's assignment list ------------------------------------------------
    def assignment_list(self) -> None:
        self.menu("Nbgrader", "Assignment List")
        self.find("//*[@id='nbgrader-assignment-list']")
        self.wait(90).until(
            lambda d: d.execute_script(
                "return ['released', 'fetched', 'submitted'].every(n => {"
                "  const e = document.getElementById(n + '_assignments_list_loading');"
                "  return e && getComputedStyle(e).display === 'none'; })"
            )
        )

    def fetch(self, assignment: str, course: str) -> str:
        self.click(
            f"//div[@id='released_assignments_list']//div[contains(@class,'list_item')]"
            f"[.//span[contains(@class,'item_name')][normalize-space(.)='{assignment}'] and "
            f".//span[contains(@class,'item_course')][normalize-space(.)='{course}']]//button[normalize-space(.)='Fetch']"
        )
        self.find(f"//div[@id='fetched_assignments_list']//a[normalize-space(.)='{assignment}']", 90)
        return self.driver.find_element(By.ID, "fetched_assignments_list").text

    def submit(self, assignment: str) -> str:
        self.click(
            f"//div[@id='fetched_assignments_list']//div[contains(@class,'list_item')]"
            f"[.//a[normalize-space(.)='{assignment}']]//button[normalize-space(.)='Submit']"
        )
        self.find("//div[@id='submitted_assignments_list']//div[contains(@class,'nested_list_item')]", 90)
        return self.driver.find_element(By.ID, "submitted_assignments_list").text

    def fetch_feedback(self) -> str:
        self.click("//div[@id='submitted_assignments_list']//button[normalize-space(.)='Fetch Feedback']")
        self.find("//div[@id='submitted_assignments_list']//a[contains(., 'view feedback')]", 90)
        return self.driver.find_element(By.ID, "submitted_assignments_list").text

    # -- notebooks -------------------------------------------------------------------
    def open_notebook(self, path: str) -> str:
        """Open a notebook and wait for its kernel; returns the kernel's display name."""
        self.open_lab(path)
        self.find("//*[contains(@class,'jp-NotebookPanel') and not(contains(@class,'lm-mod-hidden'))]//*[contains(@class,'jp-Cell')]", 90)  # fmt: skip
        kernel = f"{ACTIVE_NOTEBOOK} .jp-KernelName"
        self.wait(120).until(
            lambda d: d.find_element(By.CSS_SELECTOR, kernel).text.strip() not in ("", "No Kernel", "Kernel")
        )
        self._wait_idle(120)
        return self.driver.find_element(By.CSS_SELECTOR, kernel).text.strip()

    def _wait_idle(self, timeout: float) -> None:
        self.wait(timeout).until(
            lambda d: d.execute_script(
                f"const e = document.querySelector('{ACTIVE_NOTEBOOK} .jp-Notebook-ExecutionIndicator');"
                " return e && e.getAttribute('data-status') === 'idle';"
            )
        )

    def prompts(self) -> list[str]:
        return self.driver.execute_script(
            f"return [...document.querySelectorAll('{ACTIVE_NOTEBOOK} .jp-CodeCell .jp-InputArea-prompt')]"
            ".map(e => e.textContent.trim());"
        )

    def run_all(self, timeout: float) -> list[str]:
        """Run > Run All Cells, wait until every cell ran; returns the notebook's error outputs."""
        self.menu("Run", "Run All Cells")
        self.wait(timeout).until(lambda d: (p := self.prompts()) and all(x not in ("[ ]:", "[*]:", "") for x in p))
        self._wait_idle(60)
        errors = self.driver.find_elements(
            By.CSS_SELECTOR, f"{ACTIVE_NOTEBOOK} .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
        )
        return [e.text for e in errors]

    def save(self) -> None:
        self.menu("File", "Save Notebook")
        self.wait(30).until(
            lambda d: (
                "jp-mod-dirty"
                not in d.find_element(By.CSS_SELECTOR, ".lm-TabBar-tab.jp-mod-current").get_attribute("class")
            )
        )

    def validate(self, timeout: float) -> tuple[str, str]:
        """Press nbgrader's Validate; returns (result, dialog text), result 'success' or 'failed'."""
        self.driver.find_element(By.CSS_SELECTOR, f"{ACTIVE_NOTEBOOK} jp-button.validate-button").click()
        dialog = self.find("//div[contains(@class,'jp-Dialog')][.//*[contains(@class,'jp-Dialog-header') and contains(., 'Validation Results')]]", timeout)  # fmt: skip
        body = dialog.find_element(By.CSS_SELECTOR, ".jp-Dialog-body")
        result = "success" if "validation-success" in body.get_attribute("class") else "failed"
        return result, body.text

    def close_dialog(self) -> None:
        self.driver.find_element(By.CSS_SELECTOR, ".jp-Dialog-footer .jp-mod-accept").click()
        self.wait().until(lambda d: not d.find_elements(By.CSS_SELECTOR, ".jp-Dialog"))


class Formgrader(Page):
    """nbgrader's formgrader pages, opened directly (inside JupyterLab they are an iframe)."""

    def manage_assignments(self) -> None:
        self.open("/formgrader/manage_assignments")
        self.row("name", "ps1")

    def row(self, column: str, value: str):
        return self.find(f"//*[@id='main-table']//tr[td[contains(@class,'{column}') and normalize-space(.)='{value}']]", 60)  # fmt: skip

    def act(self, column: str, value: str, action: str, timeout: float) -> tuple[bool, str, str]:
        """Click an action of a table row; returns (success, message, log) of the result dialog."""
        self.row(column, value).find_element(By.CSS_SELECTOR, f"td.{action} a").click()
        modal = self.wait(timeout).until(
            EC.visibility_of_element_located(
                (By.CSS_SELECTOR, "#success-modal .modal-content, #error-modal .modal-content")
            )
        )
        success = (
            modal.find_element(By.XPATH, "./ancestor::div[@role='dialog'][1]").get_attribute("id") == "success-modal"
        )
        message = modal.find_element(By.CSS_SELECTOR, ".modal-body p").text
        log = "".join(e.get_attribute("textContent") for e in modal.find_elements(By.CSS_SELECTOR, ".panel-body pre"))
        return success, message, log

    def close_result(self) -> None:
        self.driver.find_element(
            By.CSS_SELECTOR, "#success-modal .modal-footer button, #error-modal .modal-footer button"
        ).click()
        self.wait().until(lambda d: not d.find_elements(By.CSS_SELECTOR, "#success-modal, #error-modal"))

    def submissions(self, assignment: str) -> None:
        self.open(f"/formgrader/manage_submissions/{assignment}")

    def cell_of(self, column: str, value: str, cell: str) -> str:
        return self.row(column, value).find_element(By.CSS_SELECTOR, f"td.{cell}").text.strip()

    def grade_by_hand(self, assignment: str, notebook: str, grade_id: str, points: float, comment: str) -> None:
        """Open the first submission of the notebook in the grading view and give `grade_id` its points."""
        self.open(f"/formgrader/gradebook/{assignment}/{notebook}")
        link = self.find("//*[@id='main-table']//td[contains(@class,'name')]//a", 60)
        self.driver.get(link.get_attribute("href"))
        score = self.wait(60).until(EC.element_to_be_clickable((By.CSS_SELECTOR, f"input.score#{grade_id}")))
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", score)
        score.clear()
        score.send_keys(f"{points:g}", Keys.TAB)  # saved on change
        box = self.driver.find_element(By.CSS_SELECTOR, f"textarea.comment#{grade_id}-comment")
        box.clear()
        box.send_keys(comment, Keys.TAB)
