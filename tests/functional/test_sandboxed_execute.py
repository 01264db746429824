"""SandboxedExecute's own paths, run with two plain local kernels instead of bubblewrap sandboxes
(its seams _kernel_manager and _seen_inside), so an engine change is checked in seconds: which
kernel runs which cell, a fresh checker after one dies or hangs, and the faults that stop a
submission (a cell past its time, a kernel that dies) while earlier results stand."""

import sys
from pathlib import Path

import pytest
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from nbformat.v4 import new_code_cell, new_notebook

from coursetools.engine import faults, function_calls
from coursetools.engine.execute import EXPORT_DIR, SandboxedExecute
from coursetools.engine.sandbox import Sandbox, SandboxedKernelManager
from coursetools.workflow import grading_log

pytestmark = pytest.mark.functional

ROOT = Path(__file__).resolve().parents[2]


class LocalKernelManager(AsyncKernelManager):
    """A kernel on this machine, unsandboxed: only for these tests' trusted cells."""

    def __init__(self, sandbox, **kwargs):
        super().__init__(**kwargs)
        self.sandbox = sandbox

    @property
    def kernel_spec(self) -> KernelSpec:
        return KernelSpec(
            argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            display_name="local test kernel",
            language="python",
            env={"PYTHONPATH": str(ROOT)},  # the checker imports coursetools, as from LIB_DIR in its sandbox
        )

    def limit_fault(self):
        return None  # no cgroup or watchdog here


class UnsandboxedExecute(SandboxedExecute):
    def _sandboxes(self, scratch):
        student, checker = super()._sandboxes(scratch)
        # inside path -> host path: what a kernel without a sandbox must be told instead
        self.mounts = {
            inside: host for sb in (student, checker) for host, inside in {**sb.read_only, **sb.writable}.items()
        }
        return student, checker

    def _kernel_manager(self, sandbox, **kwargs):
        return LocalKernelManager(sandbox, **kwargs)

    def _seen_inside(self, path: str) -> str:
        for inside in sorted(self.mounts, key=len, reverse=True):
            if path == inside or path.startswith(inside + "/"):
                return self.mounts[inside] + path[len(inside) :]
        raise AssertionError(f"{path} is not mounted in either sandbox")


@pytest.fixture(autouse=True)
def debug_log_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setattr(grading_log, "debug_log_path", lambda *_: tmp_path / "debug.log")


def answer(source: str, grade_id: str):
    return new_code_cell(source, metadata={"nbgrader": {"solution": True, "grade": False, "grade_id": grade_id}})


def check(source: str, grade_id: str):
    return new_code_cell(
        source, metadata={"nbgrader": {"grade": True, "solution": False, "grade_id": grade_id, "points": 1}}
    )


def grade(*cells, timeout=20, notebook_timeout=120):
    nb = new_notebook(cells=list(cells))
    executor = UnsandboxedExecute(timeout=timeout, notebook_timeout=notebook_timeout, call_timeout=10)
    executor.preprocess(nb, {"metadata": {"path": "."}})
    return nb


def errors(cell) -> list[str]:
    return [f"{o.ename}: {o.evalue}" for o in cell.outputs if o.output_type == "error"]


def text(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def test_student_cells_run_in_the_students_kernel_and_tests_in_the_checker():
    nb = grade(
        answer("import os\nstudent_pid = os.getpid()\ndef double(x):\n    return 2 * x", "answer"),
        check("import os\nassert os.getpid() != student_pid\nassert double(21) == 42\nprint('checked')", "test-a"),
        answer("print(os.getpid() == student_pid)", "same-kernel"),
    )
    assert errors(nb.cells[1]) == [] and text(nb.cells[1]) == "checked\n", "values carried, function called back"
    assert nb.cells[1].metadata["coursetools"] == {"student_code_called": True}
    assert text(nb.cells[2]) == "True\n", "the student's cells share one kernel"


def test_a_checker_that_dies_or_hangs_costs_only_its_test():
    nb = grade(
        answer("value = 3", "answer"),
        check("import os\nassert value == 3\nos._exit(1)", "test-kills-checker"),
        check("assert value == 3\nprint('fresh checker')", "test-after-death"),
        check("assert value == 3\nwhile True:\n    pass", "test-hangs"),
        check("assert value == 3\nprint('fresh again')", "test-after-hang"),
        timeout=5,
    )
    assert errors(nb.cells[1]) == [f"GraderError: {faults.CHECKER_CRASHED}"]
    assert errors(nb.cells[3])[-1] == f"CellTimeoutError: {faults.CHECK_TIME_LIMIT}", "interrupted, then named"
    assert text(nb.cells[2]) == "fresh checker\n" and text(nb.cells[4]) == "fresh again\n"
    assert nb.metadata["coursetools"]["fault"] == "", "the checker's faults never stop the submission"


def test_an_exception_in_a_students_cell_is_named_in_the_tests_that_fail_because_of_it():
    nb = grade(
        answer("values = [1, 2] + undefined_helper()", "broken"),
        answer("ok = True", "fine"),
        check("assert values == [1, 2]", "test-values"),
        check("assert ok", "test-ok"),
    )
    assert errors(nb.cells[0])[0].startswith("NameError")
    (message,) = errors(nb.cells[2])
    assert "`values` is not defined" in message or "name 'values' is not defined" in message, message
    assert "an earlier cell failed, which may be why: your cell 'broken' raised NameError" in message
    assert errors(nb.cells[3]) == []


def test_a_student_cell_past_its_time_stops_the_submission_and_earlier_results_stand():
    nb = grade(
        answer("value = 1", "answer"),
        check("assert value == 1", "test-before"),
        answer("while True:\n    pass", "loop"),
        check("assert value == 1", "test-after"),
        timeout=3,
    )
    assert errors(nb.cells[1]) == []
    assert errors(nb.cells[2])[-1].startswith("CellTimeoutError"), errors(nb.cells[2])
    assert errors(nb.cells[3])[0].startswith("NotGraded: Not run:")
    assert "time" in nb.metadata["coursetools"]["fault"]


def test_a_student_kernel_that_dies_stops_the_submission():
    nb = grade(
        answer("value = 1", "answer"),
        answer("import os\nos._exit(3)", "exit"),
        check("assert value == 1", "test-after"),
    )
    assert [e.split(":")[0] for e in errors(nb.cells[1])] == ["KernelDied"], errors(nb.cells[1])
    assert errors(nb.cells[2])[0].startswith("NotGraded: Not run:")
    assert nb.metadata["coursetools"]["fault"]


def test_grading_itself_keeps_the_sandbox(tmp_path):
    """The seams these tests use change nothing for grading: sandboxed kernels, mount points."""
    executor = SandboxedExecute()
    km = executor._kernel_manager(Sandbox(connection_dir=tmp_path))
    assert isinstance(km, SandboxedKernelManager) and km.sandbox.connection_dir == tmp_path
    for folder in (EXPORT_DIR, function_calls.ARGS_DIR, function_calls.SOCKET_DIR, function_calls.RESULTS_DIR):
        assert executor._seen_inside(folder) == folder
