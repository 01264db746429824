"""Run grading kernels inside bubblewrap: no network, a private file system view,
no capabilities, and a resident-memory cap enforced by a watchdog.

Each kernel sees read-only system folders, the Python installation, the
read-only data cache and only the folders its Sandbox lists; the course
folder (source/, the gradebook, other students) is simply not there. The kernel
talks to the grader over Unix sockets (jupyter's ``ipc`` transport) because the
sandbox has no network at all, not even the host's loopback.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import zmq
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from traitlets import Any

import course_config
from coursetools.engine import faults
from coursetools.engine.kernel_limits import KernelLimits

# Where things appear inside every sandbox.
SANDBOX_HOME = "/home/student"
# Keras' default cache (~/.keras) on a writable home, with the data set read-only
# inside it: Keras falls back to downloading when its cache folder is read-only.
SANDBOX_KERAS_HOME = SANDBOX_HOME + "/.keras"
SANDBOX_CONNECTION_DIR = "/grader/connection"
# The one grader module a kernel imports: its bounded stdout/stderr (kernel_stream.py).
SANDBOX_KERNEL_LIB = "/grader/kernel-lib"
KERNEL_STREAM_MODULE = "coursetools_kernel_stream"
# ipykernel_launcher's own steps, plus the folder of the bounded stream module.
KERNEL_LAUNCHER = (
    "import sys; sys.path[0] == '' and sys.path.pop(0); "
    f"sys.path.append({SANDBOX_KERNEL_LIB!r}); "
    "from ipykernel import kernelapp; kernelapp.launch_new_instance()"
)

# Host folders every kernel needs read-only (those that exist on this machine).
_SYSTEM_DIRS = ["/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin"]
_SYSTEM_ETC_FILES = ["/etc/ld.so.cache", "/etc/fonts", "/etc/localtime", "/etc/alternatives"]


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces here."""


def bwrap_path() -> str:
    path = shutil.which("bwrap")
    if path is None:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed; grading runs student code only inside it.\n"
            "Fix: `sudo apt-get install bubblewrap` (the README's setup does this)."
        )
    return path


# Where the kernel says whether unprivileged user namespaces, which bubblewrap needs, are allowed.
USERNS_SWITCHES = {
    "/proc/sys/kernel/apparmor_restrict_unprivileged_userns": (
        "1",
        "AppArmor restricts unprivileged user namespaces (Ubuntu 23.10 and later) and bwrap has no profile "
        "allowing them",
        "install Ubuntu's bwrap profile (README: Requirements, `/etc/apparmor.d/bwrap`) and run "
        "`sudo apparmor_parser -r /etc/apparmor.d/bwrap`",
    ),
    "/proc/sys/user/max_user_namespaces": (
        "0",
        "user namespaces are disabled (sysctl user.max_user_namespaces = 0)",
        "`sudo sysctl -w user.max_user_namespaces=15000` (and in /etc/sysctl.d/ to keep it)",
    ),
    "/proc/sys/kernel/unprivileged_userns_clone": (
        "0",
        "unprivileged user namespaces are disabled (sysctl kernel.unprivileged_userns_clone = 0)",
        "`sudo sysctl -w kernel.unprivileged_userns_clone=1` (and in /etc/sysctl.d/ to keep it)",
    ),
}
_namespaces_checked = False


def namespace_failure_cause() -> tuple[str, str]:
    """(why, fix) of bubblewrap failing to create its namespaces, from the kernel's switches."""
    for path, (blocking, why, fix) in USERNS_SWITCHES.items():
        try:
            if Path(path).read_text().strip() == blocking:
                return why, fix
        except OSError:
            continue
    return (
        "the container or security profile this grader runs in forbids new namespaces (Docker's default "
        "seccomp profile does)",
        "run the container with `--security-opt seccomp=unconfined --security-opt apparmor=unconfined` "
        "(or grant CAP_SYS_ADMIN), see README: Requirements",
    )


def check_namespaces() -> None:
    """Raise SandboxUnavailable naming the cause when bubblewrap cannot create its namespaces
    here, before a kernel is started (it would otherwise just be reported as dead). Once per process."""
    global _namespaces_checked
    if _namespaces_checked:
        return
    command = [bwrap_path(), "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "true"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise SandboxUnavailable(f"bubblewrap could not be run: {error}") from None
    if done.returncode != 0:
        said = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
        why, fix = namespace_failure_cause()
        raise SandboxUnavailable(
            f"bubblewrap cannot create its namespaces on this host ({said}): {why}. Fix: {fix}. "
            "`./course doctor` checks it."
        )
    _namespaces_checked = True


def sandbox_python() -> str:
    """This interpreter as the sandbox sees it: inside the real (mounted) virtualenv
    folder, even when the course reaches its .venv through a symlink."""
    return os.path.join(os.path.realpath(sys.prefix), "bin", os.path.basename(sys.executable))


def _python_dirs() -> list[str]:
    """The interpreter, its standard library and the virtualenv, read-only."""
    dirs = {os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix)}
    return sorted(dirs)


@dataclass
class Sandbox:
    """What one kernel may see. Paths map host -> inside-sandbox path."""

    connection_dir: Path
    read_only: dict[str, str] = field(default_factory=dict)
    writable: dict[str, str] = field(default_factory=dict)
    workdir: str = SANDBOX_HOME
    env: dict[str, str] = field(default_factory=dict)
    memory_limit_mb: int = course_config.KERNEL_MEMORY_LIMIT_MB
    tmp_size_mb: int = 512

    def command(self, inner: list[str]) -> list[str]:
        cmd = [
            bwrap_path(),
            "--unshare-all",  # no network, own pid/ipc/uts/cgroup namespaces
            "--die-with-parent",
            "--new-session",
            "--cap-drop",
            "ALL",
            "--clearenv",
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            "--size",
            str(self.tmp_size_mb * 1024 * 1024),
            "--tmpfs",
            "/tmp",
            "--tmpfs",
            "/home",
            "--dir",
            SANDBOX_HOME,
        ]
        for path in _SYSTEM_DIRS + _SYSTEM_ETC_FILES:
            if os.path.lexists(path):
                cmd += ["--ro-bind", path, path] if not os.path.islink(path) else ["--symlink", os.readlink(path), path]
        for path in _python_dirs():
            cmd += ["--ro-bind", path, path]
        cmd += ["--ro-bind", str(Path(course_config.KERAS_HOME) / "datasets"), SANDBOX_KERAS_HOME + "/datasets"]
        for host, inside in self.read_only.items():
            cmd += ["--ro-bind", host, inside]
        for host, inside in self.writable.items():
            cmd += ["--bind", host, inside]
        cmd += ["--bind", str(self.connection_dir), SANDBOX_CONNECTION_DIR]
        stream = Path(__file__).with_name("kernel_stream.py")
        cmd += ["--ro-bind", str(stream), f"{SANDBOX_KERNEL_LIB}/{KERNEL_STREAM_MODULE}.py"]
        env = {
            "PATH": f"{os.path.dirname(sandbox_python())}:/usr/bin:/bin",
            "HOME": SANDBOX_HOME,
            "LANG": "C.UTF-8",
            "KERAS_HOME": SANDBOX_KERAS_HOME,
            "COURSETOOLS_STREAM_LIMIT_BYTES": str(course_config.KERNEL_STREAM_LIMIT_BYTES),
            "MPLCONFIGDIR": "/tmp/matplotlib",
            **{k: v for k, v in os.environ.items() if k.startswith("OPENBLAS_")},
            **thread_settings(),
            **course_config.KERNEL_ENV,
            **self.env,
        }
        for key, value in env.items():
            cmd += ["--setenv", key, value]
        # The sandbox's own root holds only mount points: make it read-only too.
        cmd += ["--remount-ro", "/", "--chdir", self.workdir, "--"]
        return cmd + inner


def thread_settings() -> dict[str, str]:
    """Split the cores between parallel grading workers instead of oversubscribing them."""
    workers = max(1, int(os.environ.get("COURSETOOLS_WORKERS", "1") or 1))
    if workers == 1:
        return {}
    threads = str(max(1, (os.cpu_count() or 1) // workers))
    return {"TF_NUM_INTRAOP_THREADS": threads, "TF_NUM_INTEROP_THREADS": "1", "OMP_NUM_THREADS": threads}


def cap_messages(context: zmq.Context) -> zmq.Context:
    """Sockets this context creates from now on drop (and disconnect) a peer's message larger
    than KERNEL_MESSAGE_LIMIT_BYTES before it is read into the grader's memory: the kernel's
    own stream limit can be bypassed by sending to its sockets directly."""
    context.setsockopt(zmq.MAXMSGSIZE, course_config.KERNEL_MESSAGE_LIMIT_BYTES)
    return context


class SandboxedKernelManager(AsyncKernelManager):
    """A python kernel started inside a Sandbox, reached over Unix sockets.

    Interrupts travel as control messages because signals sent to bwrap do not
    reach the kernel. The kernel runs under KernelLimits (kernel_limits.py): cgroups for
    memory (tmpfs included) and tasks, rlimits for file size and CPU time. Where
    the machine has no cgroups, a watchdog kills the kernel when its processes
    together use more resident memory than the sandbox allows.
    """

    sandbox = Any(help="The Sandbox this kernel runs in.")
    fault = Any(None, help="The Fault for which the watchdog killed the kernel, if it did.")

    def __init__(self, sandbox: Sandbox, **kwargs):
        super().__init__(**kwargs)
        self.sandbox = sandbox
        self.transport = "ipc"
        self.ip = os.path.join(str(sandbox.connection_dir), "kernel")
        self.connection_file = os.path.join(str(sandbox.connection_dir), "kernel.json")
        self._watchdog_stop = threading.Event()
        self.limits: KernelLimits | None = None
        cap_messages(self.context)

    def client(self, **kwargs):
        """A client whose sockets cap message sizes (cap_messages)."""
        kc = super().client(**kwargs)
        cap_messages(kc.context)
        return kc

    @property
    def kernel_spec(self) -> KernelSpec:
        return KernelSpec(
            argv=[
                sandbox_python(),
                "-c",
                KERNEL_LAUNCHER,
                "-f",
                "{connection_file}",
                # C-level TensorFlow logs go to the kernel's own stderr, not into cells.
                "--IPKernelApp.capture_fd_output=False",
                f"--IPKernelApp.outstream_class={KERNEL_STREAM_MODULE}.BoundedOutStream",
            ],
            display_name="Python 3 (grading sandbox)",
            language="python",
            interrupt_mode="message",
        )

    def format_kernel_cmd(self, extra_arguments=None) -> list[str]:
        cmd = super().format_kernel_cmd(extra_arguments)
        # The connection file is read inside the sandbox, at its mount point.
        host_dir = str(self.sandbox.connection_dir)
        cmd = [arg.replace(host_dir, SANDBOX_CONNECTION_DIR) for arg in cmd]
        if self.limits is not None:
            self.limits.remove()
        check_namespaces()
        self.limits = KernelLimits.from_course(memory_mb=self.sandbox.memory_limit_mb)
        return self.limits.wrap(self.sandbox.command(cmd))

    def limit_fault(self):
        """The Fault of a limit this kernel hit, if the kernel was stopped for one."""
        if self.fault:
            return self.fault
        if self.limits is not None and self.limits.memory_exceeded():
            return faults.memory_limit(self.sandbox.memory_limit_mb)
        return None

    def write_connection_file(self, **kwargs):
        # The kernel binds its sockets at the path in the file, as seen inside.
        super().write_connection_file(**kwargs)
        info = self.get_connection_info()
        import json

        info["ip"] = os.path.join(SANDBOX_CONNECTION_DIR, "kernel")
        info["key"] = info["key"].decode() if isinstance(info["key"], bytes) else info["key"]
        with open(self.connection_file, "w") as fh:
            json.dump(info, fh)

    async def _async_post_start_kernel(self, **kwargs) -> None:
        await super()._async_post_start_kernel(**kwargs)
        pid = getattr(getattr(self.provisioner, "process", None), "pid", None)
        if pid is not None and not (self.limits and self.limits.enforced_by_cgroup):
            threading.Thread(target=self._watch_memory, args=(pid,), daemon=True).start()

    def _watch_memory(self, pid: int) -> None:
        limit = self.sandbox.memory_limit_mb * 1024 * 1024
        try:
            root = psutil.Process(pid)
        except psutil.NoSuchProcess:
            return
        while not self._watchdog_stop.wait(0.25):
            try:
                procs = [root] + root.children(recursive=True)
                rss = sum(p.memory_info().rss for p in procs if p.is_running())
            except psutil.NoSuchProcess:
                continue
            except psutil.Error:
                return
            if rss > limit:
                self.fault = faults.memory_limit(self.sandbox.memory_limit_mb)
                for proc in reversed(procs):
                    try:
                        proc.kill()
                    except psutil.Error:
                        pass
                return
            if not root.is_running():
                return

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        self._watchdog_stop.set()
        await super()._async_cleanup_resources(restart=restart)
        if self.limits is not None:
            self.limits.remove()
