"""Tests call student functions; the functions run only in the student's sandbox.

The checker kernel (which never runs student code) holds a `CallableProxy`
for each student callable. Calling it goes through three parties, in the
manner of PrairieLearn's pytest grader:

1. the checker (`CheckerBridge`) writes the arguments as plain data into a folder
   the student's sandbox can read, and asks the grader over a Unix socket;
2. the grader (`CallRelay`, a thread of the nbgrader process) runs
   `carriers.serve_call` in the student's kernel, with a time limit;
3. the student's kernel writes the result, or the exception raised, as plain
   data into its export folder; the checker decodes it: values become plain
   data, exceptions are raised again with their builtin type and message.

Neither sandbox can reach the other: only the grader's process sees both.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time

from coursetools.engine import faults
from coursetools.engine.carriers import (
    MAX_PRINTED,
    SUPPORTED_KINDS,
    NotCarried,
    Reader,
    Writer,
    not_carried_reason,
    raise_recorded,
)
from coursetools.engine.faults import Fault

# Where things appear inside the sandboxes.
SOCKET_DIR = "/grader/calls"
SOCKET_NAME = "relay.sock"
ARGS_DIR = "/grader/args"  # written by the checker, read-only for the student
RESULTS_DIR = "/grader/export/calls"  # written by the student, read-only for the checker
INTERRUPT_GRACE_SECONDS = 5


def _send(conn: socket.socket, message: dict) -> None:
    conn.sendall(json.dumps(message).encode() + b"\n")


def _receive(conn: socket.socket, limit: int = 65536) -> dict:
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(4096)
        if not chunk or len(data) > limit:
            raise ConnectionError("the connection closed before a whole message arrived")
        data += chunk
    return json.loads(data)


class CheckerBridge:
    """Checker side: turns a proxy call into a request to the grader."""

    def __init__(self, timeout: float, socket_dir=SOCKET_DIR, args_dir=ARGS_DIR, results_dir=RESULTS_DIR):
        self.timeout = timeout
        self.socket_path = os.path.join(socket_dir, SOCKET_NAME)
        self.args_dir = args_dir
        self.results_dir = results_dir
        self.calls = 0

    def call(self, proxy, args, kwargs):
        name = proxy.__name__
        self.calls += 1
        number = self.calls
        folder = os.path.join(self.args_dir, f"call-{number}")
        os.makedirs(folder)
        writer = Writer(folder)
        try:
            writer.write({"args": writer.encode(tuple(args), "arg"), "kwargs": writer.encode(dict(kwargs), "kwarg")})
        except NotCarried as exc:
            raise NotCarried(f"the grader cannot pass this argument to `{name}`: {exc}") from None
        try:
            reply = self._ask({"call": number, "id": proxy._grader_id})
        finally:
            _remove_tree(folder)
        status = reply.get("status")
        if status == "timeout":
            raise TimeoutError(f"`{name}` did not return within its time limit of {self.timeout:g} s")
        if status != "done":
            raise RuntimeError(f"the grader could not call `{name}`: {reply.get('message', status)}")
        return self._result(name, os.path.join(self.results_dir, f"call-{number}"))

    def _ask(self, request: dict) -> dict:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(self.timeout + INTERRUPT_GRACE_SECONDS + 30)
            conn.connect(self.socket_path)
            _send(conn, request)
            return _receive(conn)

    def _result(self, name: str, folder: str):
        reader = Reader(folder, bridge=self)
        try:
            tree = reader.read()
        except (OSError, ValueError):
            tree = None
        if not isinstance(tree, dict):
            raise NotCarried(f"`{name}` returned nothing the grader could read")
        printed = tree.get("printed")
        if isinstance(printed, str) and printed:
            print(printed[: MAX_PRINTED + 200], end="" if printed.endswith("\n") else "\n")
        if "raised" in tree:
            raise_recorded(tree["raised"], name)
        if "unsupported" in tree:
            entry = tree["unsupported"] if isinstance(tree["unsupported"], dict) else {}
            # The reason says what it is about the value; the kinds tests read come after, so a
            # value of a readable kind (an array, say) is never told to be one.
            raise NotCarried(
                f"`{name}` returned a value the grader cannot carry to its checking kernel: "
                f"{not_carried_reason(entry.get('reason'))}; tests can read {SUPPORTED_KINDS}"
            )
        if "result" in tree:
            try:
                return reader.decode(tree["result"])
            except KeyboardInterrupt:
                raise
            except BaseException as exc:  # noqa: B036 - a crafted result must not reach further
                raise NotCarried(f"the grader could not read what `{name}` returned ({type(exc).__name__})") from None
        raise RuntimeError(f"the grader could not call `{name}`: {str(tree.get('error', 'no result'))[:300]}")


class CallRelay:
    """Grader side: serves the checker's call requests by running them in the student's kernel.

    Runs in a thread with its own kernel client, while the main thread waits for
    the checker. `fault` is set when the student's kernel died or could not be
    interrupted; the executor then stops the submission.
    """

    def __init__(
        self,
        socket_path: str,
        connection_info: dict,
        timeout: float,
        kernel_alive,
        carriers_source: str,
        args_dir: str = ARGS_DIR,
        results_dir: str = RESULTS_DIR,
    ):
        self.socket_path = socket_path
        self.args_dir = args_dir  # both as the student's kernel sees them
        self.results_dir = results_dir
        self.connection_info = connection_info
        self.timeout = timeout
        self.kernel_alive = kernel_alive
        self.carriers_source = carriers_source
        self.calls_served = 0  # calls into the student's kernel so far (tests that ran student code)
        self.fault: Fault | None = None
        self._stop = threading.Event()
        self._server: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._client = None

    def start(self) -> CallRelay:
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(self.socket_path)
        self._server.listen(4)
        self._server.settimeout(0.2)
        self._thread = threading.Thread(target=self._serve, name="call-relay", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._server is not None:
            self._server.close()
        if self._client is not None:
            self._client.stop_channels()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                try:
                    conn.settimeout(10)
                    request = _receive(conn)
                    conn.settimeout(None)
                    _send(conn, self._handle(request))
                except (OSError, ValueError, ConnectionError):
                    continue  # a broken request costs only that call

    def _handle(self, request: dict) -> dict:
        if self.fault:
            return {"status": "failed", "message": str(self.fault)}
        number, key = request.get("call"), request.get("id")
        if not isinstance(number, int) or not isinstance(key, int):
            return {"status": "failed", "message": "malformed request"}
        self.calls_served += 1
        code = (
            f"exec(compile({self.carriers_source!r}, '<grader-carriers>', 'exec'), "
            "_grader_carriers := {'__name__': 'grader_carriers'}) or "
            f"_grader_carriers['serve_call'](globals(), {key}, {self.args_dir + f'/call-{number}'!r}, "
            f"{self.results_dir + f'/call-{number}'!r})"
        )
        return {"status": self._run_in_student_kernel(code)}

    def _kernel_client(self):
        if self._client is None:
            from jupyter_client.blocking import BlockingKernelClient

            from coursetools.engine.sandbox import cap_messages

            client = BlockingKernelClient()
            client.load_connection_info(self.connection_info)
            cap_messages(client.context)  # the student's kernel answers here too
            client.start_channels(shell=True, iopub=False, stdin=False, hb=False, control=True)
            self._client = client
        return self._client

    def _run_in_student_kernel(self, code: str) -> str:
        import queue

        client = self._kernel_client()
        msg_id = client.execute(code, silent=True, store_history=False, allow_stdin=False)
        deadline = time.monotonic() + self.timeout
        interrupted = False
        while True:
            try:
                reply = client.get_shell_msg(timeout=0.2)
            except queue.Empty:
                if not self.kernel_alive():
                    self.fault = faults.kernel_died_during_call()
                    return "failed"
                if time.monotonic() < deadline:
                    continue
                if interrupted:
                    self.fault = faults.call_not_interruptible(self.timeout)
                    return "timeout"
                client.control_channel.send(client.session.msg("interrupt_request", {}))
                interrupted = True
                deadline = time.monotonic() + INTERRUPT_GRACE_SECONDS
                continue
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                return "timeout" if interrupted else "done"


def _remove_tree(folder: str) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
