"""nbgrader's Execute step, hardened for untrusted submissions.

* Student cells run in a sandboxed kernel (see sandbox.py).
* Autograder test cells never run in the student's kernel: the variables a
  test reads are exported from it as plain data (carriers.py) and the test runs
  in a second, clean sandboxed kernel (the checker) that has never executed
  student code. Student functions reach the checker as proxies whose calls run
  back in the student's kernel (function_calls.py). Monkeypatching, input transformers,
  always-equal objects or silenced tracebacks in the student's kernel therefore
  cannot change a test's verdict.
* The one exception is a test the instructor tagged `run-in-student-kernel` in
  source/ (assignments.STUDENT_KERNEL_TAG): it runs in the student's kernel as
  stock nbgrader runs every test. The tag is read from source/, never from the
  submission.
* A kernel that dies, exceeds its memory cap or runs past the notebook's time
  limit stops only this submission: tests already run keep their results,
  the rest get an error output that names the fault, and nbgrader records the
  grades as usual.
"""

from __future__ import annotations

import inspect
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import run_sync
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_notebook, new_output
from nbgrader.preprocessors import Execute
from traitlets import Integer

import course_config
from coursetools.course import plugins
from coursetools.course.assignments import is_autograder_test, marked_for_student_kernel, settings, source_notebook
from coursetools.engine import carriers, faults, function_calls
from coursetools.engine.faults import Fault
from coursetools.engine.kernel_limits import required_limits_refusal, unenforced_note
from coursetools.engine.names_read import modules_imported_by, names_read_by
from coursetools.engine.output_limits import OutputBudget, OutputLimits, output_from_message, output_size
from coursetools.engine.sandbox import Sandbox, SandboxedKernelManager, SandboxUnavailable, check_namespaces
from coursetools.errors import CommandError
from coursetools.preprocessors.earlier_failures import EarlierFailures
from coursetools.workflow import grading_log

EXPORT_DIR = "/grader/export"
LIB_DIR = "/grader/lib"
# The assignment's plugin, in the checker (see plugins.py): measures numbers for the
# feedback's pictures after the last test.
CHECKER_PLUGIN = "course_plugin"
INSIGHTS_CALL = f"""
import json as _json
from {CHECKER_PLUGIN} import measure as _measure
print(_json.dumps(_measure(globals())))
"""
CHECKER_PRELUDE = """
import warnings
warnings.filterwarnings("ignore")  # library warnings are not test failures
from coursetools.engine.carriers import load_names as _grader_load_names
from coursetools.engine.function_calls import CheckerBridge as _GraderBridge
_grader_bridge = _GraderBridge(timeout={call_timeout}, socket_dir={socket_dir!r}, args_dir={args_dir!r}, results_dir={results_dir!r})
globals().update({settings!r})  # the assignment's settings, from course_config
for _grader_module in {preload!r}:  # what the tests import, imported while the student's notebook runs
    try:
        __import__(_grader_module)
    except BaseException:
        pass
del _grader_module
"""
EXPORT_CALL = (
    "exec(compile({source!r}, '<grader-carriers>', 'exec'), _grader_carriers := {{'__name__': 'grader_carriers'}}) "
    "or _grader_carriers['export_names'](globals(), {names!r}, {folder!r})"
)
CARRIERS_SOURCE = inspect.getsource(carriers)


def error_output(ename: str, message: str) -> NotebookNode:
    return new_output("error", ename=ename, evalue=message, traceback=[f"{ename}: {message}"])


class TimeLimited:
    """A NotebookClient that remembers whether the running cell hit its time limit, so
    that output arriving too late is not mistaken for a time-out (nbclient raises the
    same CellTimeoutError for both)."""

    cell_timed_out = False

    async def _async_handle_timeout(self, timeout, cell=None):
        self.cell_timed_out = True
        return await super()._async_handle_timeout(timeout, cell)


class CheckerClient(TimeLimited, NotebookClient):
    """The checker's client (see _launch_checker for its settings)."""


# Seconds between checks while waiting for a reply: limits hold to about a second.
SHELL_POLL_SECONDS = 1
# Seconds the grader waits, after a cell's reply, for the rest of its output (nbclient's 4 s
# is short for a burst of thousands of messages on a loaded machine); also how long an
# interrupted cell has to stop before it counts as not interruptible.
OUTPUT_GRACE_SECONDS = 10


class SandboxedExecute(TimeLimited, Execute):
    """Drop-in replacement for nbgrader's Execute (see nbgrader_config.py)."""

    notebook_timeout = Integer(
        course_config.NOTEBOOK_TIMEOUT_SECONDS,
        help="Seconds one notebook may run in total before its remaining cells are skipped.",
    ).tag(config=True)
    call_timeout = Integer(
        course_config.FUNCTION_CALL_TIMEOUT_SECONDS,
        help="Seconds one call of a student's function by a test may take.",
    ).tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        NotebookClient.__init__(self, nb, km)
        self.shell_timeout_interval = SHELL_POLL_SECONDS
        self.iopub_timeout = OUTPUT_GRACE_SECONDS
        self._output_budget = OutputBudget(OutputLimits.from_course())
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        scratch = Path(tempfile.mkdtemp(prefix="grading-", dir=_scratch_root()))
        nbgrader_log = self.log
        with grading_log.details(self.resources, nbgrader_log) as (self.log, self._kernel_output):
            self.log.addFilter(_no_message_contents)
            try:
                self._check_host()
                self._run(nb, scratch)
            finally:
                self.log = nbgrader_log
                shutil.rmtree(scratch, ignore_errors=True)
        self.set_widgets_metadata()
        return self.nb, self.resources

    def _check_host(self) -> None:
        """Stop before any kernel starts where the sandbox cannot give its guarantees (one line
        with the cause and the fix); where the instructor relaxed REQUIRE_KERNEL_LIMITS, say in
        this grading's logs (and the formgrader's dialog) which limits are off."""
        refusal = required_limits_refusal()
        if refusal:
            self.log.error(refusal)
            raise SandboxUnavailable(refusal)
        try:
            check_namespaces()
        except SandboxUnavailable as error:
            self.log.error(str(error))
            raise
        note = unenforced_note()
        if note:
            self.log.warning(note)

    # -- output of the student's kernel, bounded as it arrives (output_limits.py) --
    def output(self, outs, msg, display_id, cell_index):
        """nbclient's output(), with each output folded into the budgets as it arrives, in time
        linear in its size (no schema validation per message, nothing once the budget is spent)."""
        budget = self._output_budget
        budget.start_cell(cell_index)
        if self.clear_before_next_output:  # a clear_output(wait=True) takes effect now
            outs[:] = []
            self.clear_display_id_mapping(cell_index)
            self.clear_before_next_output = False
            budget.cleared()
        out = output_from_message(msg)
        if out is None:
            return None
        outs.append(out)
        budget.fold(outs, cell_index)
        if outs and outs[-1] is out and display_id:
            self._display_id_map.setdefault(display_id, {}).setdefault(cell_index, []).append(len(outs) - 1)
        return out

    def clear_output(self, outs, msg, cell_index):
        super().clear_output(outs, msg, cell_index)
        if not outs:
            self._output_budget.cleared()

    def _update_display_id(self, display_id, msg):
        """An update of an earlier display counts against the budgets like a new output."""
        if self._output_budget.admit_update(output_size(msg.get("content", {}).get("data", {}))):
            super()._update_display_id(display_id, msg)

    def handle_comm_msg(self, outs, msg, cell_index):
        """Widget messages are not kept: their state would grow the graded notebook unbounded."""

    # -- setup --------------------------------------------------------------
    def _sandboxes(self, scratch: Path) -> tuple[Sandbox, Sandbox]:
        for sub in ("work", "export", "args", "calls", "student-conn", "checker-conn"):
            (scratch / sub).mkdir()
        submission_dir = self.resources.get("metadata", {}).get("path") or "."
        _copy_supporting_files(Path(submission_dir), scratch / "work")
        student = Sandbox(
            connection_dir=scratch / "student-conn",
            writable={str(scratch / "work"): "/home/student/work", str(scratch / "export"): EXPORT_DIR},
            read_only={str(scratch / "args"): function_calls.ARGS_DIR},
            workdir="/home/student/work",
        )
        root = course_config.COURSE_ROOT
        library = {
            str(scratch / "export"): EXPORT_DIR,
            str(root / "course_config.py"): f"{LIB_DIR}/course_config.py",
            str(root / "coursetools"): f"{LIB_DIR}/coursetools",
        }
        plugin = plugins.plugin_path(self._assignment) if self._assignment else None
        if plugin is not None and plugin.is_file():
            library[str(plugin)] = f"{LIB_DIR}/{CHECKER_PLUGIN}.py"
        checker = Sandbox(
            connection_dir=scratch / "checker-conn",
            read_only=library,
            writable={
                str(scratch / "args"): function_calls.ARGS_DIR,
                str(scratch / "calls"): function_calls.SOCKET_DIR,
            },
            env={"PYTHONPATH": LIB_DIR, "PYTHONDONTWRITEBYTECODE": "1"},
        )
        return student, checker

    # The two seams a test of this class uses to run it with unsandboxed kernels
    # (tests/functional/test_sandboxed_execute.py); grading always uses these.
    def _kernel_manager(self, sandbox: Sandbox, **kwargs) -> SandboxedKernelManager:
        return SandboxedKernelManager(sandbox, **kwargs)

    def _seen_inside(self, path: str) -> str:
        """A grader folder (EXPORT_DIR, function_calls' folders) as the kernels see it."""
        return path

    @property
    def _assignment(self) -> str | None:
        return self.resources.get("nbgrader", {}).get("assignment")

    def _settings(self) -> dict:
        """Names the checker defines from course_config for this assignment, never from the student."""
        try:
            return settings(self._assignment) if self._assignment else {}
        except CommandError:
            return {}

    def _checker_tests(self, nb: NotebookNode) -> list[NotebookNode]:
        """The test cells that run in the checker: all but those tagged in source/."""
        info = self.resources.get("nbgrader", {})
        try:
            marked = set(marked_for_student_kernel(source_notebook(info["assignment"], info["notebook"])))
        except (KeyError, OSError, ValueError):
            marked = set()  # no source notebook: every test runs in the checker
        return [c for c in nb.cells if is_autograder_test(c) and c.metadata["nbgrader"]["grade_id"] not in marked]

    def _prelude(self, tests: list[NotebookNode]) -> str:
        preload = sorted({m for cell in tests for m in modules_imported_by(cell.source)})
        return CHECKER_PRELUDE.format(
            call_timeout=self.call_timeout,
            socket_dir=self._seen_inside(function_calls.SOCKET_DIR),
            args_dir=self._seen_inside(function_calls.ARGS_DIR),
            results_dir=self._seen_inside(function_calls.RESULTS_DIR),
            settings=self._settings(),
            preload=preload,
        )

    def _launch_checker(self, sandbox: Sandbox, startup_timeout: int = 60) -> NotebookClient:
        """Start the checker's kernel process; _connect_checker finishes the job."""
        checker = CheckerClient(
            new_notebook(),
            km=self._kernel_manager(sandbox, log=self.log),
            timeout=self.timeout,
            allow_errors=True,
            kernel_name="python3",
            interrupt_on_timeout=True,
            shutdown_kernel="immediate",
            startup_timeout=startup_timeout,
            shell_timeout_interval=SHELL_POLL_SECONDS,
            iopub_timeout=OUTPUT_GRACE_SECONDS,
            # A test past its time is interrupted once; a checker that stays busy then raises
            # CellTimeoutError within iopub_timeout instead of being waited for.
            error_on_timeout={"ename": "CellTimeoutError", "evalue": "", "traceback": []},
            raise_on_iopub_timeout=True,
            log=self.log,
        )
        checker.owns_km = True
        checker.start_new_kernel(stdout=self._kernel_output, stderr=self._kernel_output)
        return checker

    def _connect_checker(self, checker: NotebookClient) -> NotebookClient:
        checker.start_new_kernel_client()
        # Queued before any test: imports run while the student's notebook runs.
        checker.kc.execute(self._checker_prelude, silent=True, store_history=False, allow_stdin=False)
        return checker

    def _start_checker(self, sandbox: Sandbox, deadline: float) -> NotebookClient:
        checker = self._launch_checker(sandbox, startup_timeout=_seconds_left(deadline))
        self._checker = checker  # stopped by _stop_checker if connecting fails
        return self._connect_checker(checker)

    def _start_relay(self, scratch: Path) -> function_calls.CallRelay:
        process = getattr(self.km.provisioner, "process", None)
        return function_calls.CallRelay(
            socket_path=str(scratch / "calls" / function_calls.SOCKET_NAME),
            connection_info=self.km.get_connection_info(session=False),
            timeout=self.call_timeout,
            kernel_alive=lambda: process is not None and process.poll() is None,
            carriers_source=CARRIERS_SOURCE,
            args_dir=self._seen_inside(function_calls.ARGS_DIR),
            results_dir=self._seen_inside(function_calls.RESULTS_DIR),
        ).start()

    # -- the run --------------------------------------------------------------
    def _run(self, nb: NotebookNode, scratch: Path) -> None:
        student_sandbox, self._checker_sandbox = self._sandboxes(scratch)
        checker_tests = {id(cell) for cell in self._checker_tests(nb)}
        self._checker_prelude = self._prelude([c for c in nb.cells if id(c) in checker_tests])
        self.km = self._kernel_manager(student_sandbox, config=self.config, log=self.log)
        self.owns_km = True
        self.shutdown_kernel = "immediate"  # nothing to save: the sandbox is thrown away
        deadline = time.monotonic() + self.notebook_timeout
        cell_timeout = self.timeout
        fault: Fault | None = None
        self._failures = EarlierFailures()
        self._checker = self._launch_checker(self._checker_sandbox)  # both kernels start side by side
        relay = None
        try:
            with self.setup_kernel(cwd=str(scratch / "work"), stdout=self._kernel_output, stderr=self._kernel_output):
                info = self.wait_for_reply(self.kc.kernel_info())
                self.nb.metadata["language_info"] = info["content"]["language_info"]
                self._connect_checker(self._checker)
                relay = self._relay = self._start_relay(scratch)
                for index, cell in enumerate(nb.cells):
                    if cell.cell_type != "code":
                        continue
                    if not fault and time.monotonic() > deadline:
                        fault = faults.notebook_time_limit(self.notebook_timeout)
                    if fault:
                        cell.outputs = [error_output("NotGraded", f"Not run: {fault}.")]
                        continue
                    self.timeout = int(min(cell_timeout or 1e9, max(1, deadline - time.monotonic())))
                    started = time.monotonic()
                    fault = self._run_cell(cell, index, in_checker=id(cell) in checker_tests) or relay.fault
                    self.log.debug(
                        "cell %s (%s) ran in %.1f s",
                        index,
                        cell.metadata.get("nbgrader", {}).get("grade_id", "-"),
                        time.monotonic() - started,
                    )
                insights = self._insights(self._checker) if self._has_measure() and self._checker else {}
                nb.metadata["coursetools"] = {"insights": insights, "fault": str(fault or "")}
        finally:
            self.timeout = cell_timeout
            if relay is not None:
                relay.stop()
            self._stop_checker()

    def _run_cell(self, cell: NotebookNode, index: int, in_checker: bool) -> Fault | None:
        """Run one code cell where it belongs; returns the fault that stops the submission, if any."""
        self.cell_timed_out = False
        try:
            if in_checker:
                calls_before = self._relay.calls_served
                fault = self._run_test(cell, index)
                _record_student_code_called(cell, self._relay.calls_served != calls_before)
                self._failures.after_cell(cell, index)
                return fault
            try:
                self.execute_cell(cell, index, store_history=True)
            finally:
                self._output_budget.finish_cell(cell.outputs)
            if is_autograder_test(cell):  # a test tagged to run in the student's kernel
                _record_student_code_called(cell, True)
            self._failures.after_cell(cell, index)
            if _timed_out(cell):
                # An interrupt may not stop it; later cells would only queue behind it.
                return faults.cell_time_limit(self.timeout, interrupted=True)
        except CellTimeoutError:
            if not self.cell_timed_out:  # the cell finished in time; its last output messages never came
                return self._output_lost(cell, index)
            fault = faults.cell_time_limit(self.timeout, interrupted=False)  # the kernel ignored the interrupt
            cell.outputs.append(error_output(fault.ename, fault.sentence()))
            return fault
        except DeadKernelError:
            fault = self._describe_death()
            cell.outputs.append(error_output(fault.ename, fault.sentence()))
            return fault
        return None

    def _output_lost(self, cell: NotebookNode, index: int) -> Fault | None:
        """Output the grader never received: a note, and a tagged test is not credited without
        its output. A message over KERNEL_MESSAGE_LIMIT_BYTES makes the grader's socket drop it
        and disconnect for good (zmq does not reconnect after it), so the channels are opened
        again for the cells after this one."""
        cell.outputs.append(new_output("display_data", data={"text/plain": faults.OUTPUT_LOST_NOTE}))
        if is_autograder_test(cell):
            cell.outputs.append(error_output("OutputLost", faults.OUTPUT_LOST_TEST))
        self._failures.after_cell(cell, index)
        self.kc.iopub_channel.stop()
        self.kc._iopub_channel = None  # jupyter_client connects a new one when it is next asked for
        self.kc.iopub_channel.start()
        try:
            run_sync(self.kc.wait_for_ready)(timeout=max(1, self.timeout))
        except RuntimeError:
            return faults.kernel_exited(None)
        return None

    def _run_test(self, cell: NotebookNode, index: int) -> Fault | None:
        """Export what the test reads from the student's kernel, then run the test in the checker.

        Everything here is bounded by self.timeout (the cell's limit or the notebook's time
        left, whichever is less). A checker that dies or cannot be interrupted costs this test
        and is replaced for the next one; the test is never run again (a value that kills the
        checker once kills it every time)."""
        deadline = time.monotonic() + self.timeout
        protected = tuple(self._settings())
        names = names_read_by(cell.source, exclude=protected)
        if not _run_silently(
            self, EXPORT_CALL.format(source=CARRIERS_SOURCE, names=names, folder=self._seen_inside(EXPORT_DIR))
        ):
            fault = faults.export_time_limit(self.timeout)
            cell.outputs = [error_output(fault.ename, fault.sentence())]
            return fault
        try:
            checker = self._checker or self._start_checker(self._checker_sandbox, deadline)
            self._checker = checker
            checker.cell_timed_out = False
            checker.timeout = _seconds_left(deadline)
            export = self._seen_inside(EXPORT_DIR)
            load = f"_grader_load_names({names!r}, {export!r}, globals(), {protected!r}, _grader_bridge)"
            if not _run_silently(checker, load):
                raise CellTimeoutError("loading the test's values took longer than the time left")
            checker.timeout = _seconds_left(deadline)
            test = new_code_cell(cell.source, metadata=cell.metadata)
            checker.nb.cells = [test]
            checker.execute_cell(test, 0, store_history=True)
            cell.outputs = self._output_budget.fold_all(test.outputs, index)
            cell.execution_count = test.execution_count
            if checker.cell_timed_out:
                cell.outputs.append(error_output("CellTimeoutError", faults.CHECK_TIME_LIMIT))
                self._stop_checker()  # never let a stuck checker hold up the next test
        except CellTimeoutError:
            late = self._checker is not None and not self._checker.cell_timed_out and time.monotonic() < deadline
            # In time but its output never all came: not the student's time, still not checked.
            message = faults.CHECK_OUTPUT_LOST if late else faults.CHECK_TIME_LIMIT
            cell.outputs = [error_output("GraderError" if late else "CellTimeoutError", message)]
            self._stop_checker()
        except (DeadKernelError, RuntimeError, TimeoutError):  # it died, or could not start in the time left
            cell.outputs = [error_output("GraderError", faults.CHECKER_CRASHED)]
            self._stop_checker()
        return None

    def _stop_checker(self) -> None:
        """The next test that needs a checker starts a fresh one, within its own time."""
        if self._checker is not None:
            self._checker._cleanup_kernel()
            self._checker = None

    def _has_measure(self) -> bool:
        return bool(self._assignment) and plugins.has_measure(self._assignment)

    def _insights(self, checker: NotebookClient) -> dict:
        """Numbers for the feedback pictures (predictions, confusion matrix, curve)."""
        probe = new_code_cell(INSIGHTS_CALL)
        checker.nb.cells = [probe]
        try:
            checker.execute_cell(probe, 0, store_history=False)
        except (CellTimeoutError, DeadKernelError):
            return {}
        text = "".join(o.get("text", "") for o in probe.outputs if o.output_type == "stream")
        try:
            return json.loads(text.strip().splitlines()[-1])
        except (ValueError, IndexError):
            return {}

    def _describe_death(self) -> Fault:
        if self.km.limit_fault():
            return self.km.limit_fault()
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        return faults.kernel_exited(process.poll() if process is not None else None)


def _no_message_contents(record) -> bool:
    """nbclient logs the content of every kernel message at DEBUG level: the student's output,
    whole, once more per message (200 cells of 4.9 MB made a 980 MB debug log). Not kept."""
    return record.msg != "content: %s"


def _record_student_code_called(cell: NotebookNode, called: bool) -> None:
    """Whether the test ran any of the student's code (the feedback withholds what such a hidden
    test found, which may carry its hidden inputs). Written for every test run, over whatever
    the submission's metadata said."""
    cell.metadata["coursetools"] = {"student_code_called": called}


def _timed_out(cell: NotebookNode) -> bool:
    return any(o.output_type == "error" and o.ename == "CellTimeoutError" for o in cell.outputs)


def _run_silently(client: NotebookClient, code: str) -> bool:
    """Run grader code in a client's kernel, outside the notebook and its history, within the
    client's timeout; False when it did not reply in time (it was interrupted)."""
    msg_id = client.kc.execute(code, silent=True, store_history=False, allow_stdin=False)
    return client.wait_for_reply(msg_id) is not None


def _seconds_left(deadline: float) -> int:
    left = deadline - time.monotonic()
    if left <= 0:
        raise CellTimeoutError("no time is left for this test")
    return max(1, int(left))


def _scratch_root() -> str:
    # RAM-backed when available: exported arrays are large and short-lived.
    return "/dev/shm" if os.access("/dev/shm", os.W_OK) else tempfile.gettempdir()


def _copy_supporting_files(submission: Path, dest: Path) -> None:
    """Give the kernel the submission's own data files, never any notebook."""
    if not submission.is_dir():
        return
    for path in submission.rglob("*"):
        rel = path.relative_to(submission)
        if path.is_symlink() or path.suffix == ".ipynb" or ".ipynb_checkpoints" in rel.parts:
            continue
        if path.is_dir():
            (dest / rel).mkdir(parents=True, exist_ok=True)
        elif path.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest / rel)
