"""Kernel-enforced limits for one sandboxed kernel, in the manner of edX codejail's rlimits.

* Memory, tmpfs pages included: a cgroup with KERNEL_MEMORY_LIMIT_MB (cgroup v1's memory
  controller with swap included, or cgroup v2's memory.max with memory.swap.max 0). Files a
  kernel writes into its RAM-backed folders are charged to it, so writing gigabytes to /dev/shm
  or the sandbox's /tmp hits the same limit as allocating them. The kernel's OOM killer stops
  the kernel; `memory_exceeded` tells.
* Processes and threads: the pids controller with KERNEL_MAX_TASKS, so a fork bomb
  fails with EAGAIN inside the sandbox instead of exhausting the host's PIDs.
* Written bytes per file: RLIMIT_FSIZE (KERNEL_MAX_FILE_MB).
* CPU time: RLIMIT_CPU at twice the notebook's time limit, a backstop to the grader's
  wall-clock limits.
* A fair share of the cores: a cpu controller group per kernel (KERNEL_CPU_SHARES, and
  KERNEL_CPU_CORES as a hard cap if set), so the scheduler shares the cores between
  kernels, not between threads: one kernel's 500 busy threads get one kernel's share and
  cannot starve the kernels of a grading running next to it.

Where the groups live (`host_cgroups` finds them once per process):
* cgroup v2, preferred where its memory and pids controllers are on: a subtree this user may
  write, the first of $COURSETOOLS_CGROUP (a delegated cgroup: the `course` script starts a
  non-root grader in a `systemd-run --user --scope -p Delegate=yes`), the grader's own cgroup
  (as root, or inside such a scope), and as root a `coursetools` group at the hierarchy's top.
* cgroup v1 (hybrid hosts): coursetools/ under each controller's hierarchy, as root, or as the
  user `./course setup-host --user` delegated it to.
Where neither works the rlimits still apply and sandbox.py's resident-memory watchdog stands in
for the memory limit; REQUIRE_KERNEL_LIMITS in course_config.py decides whether students are
graded at all then (`required_limits_refusal`), and `./course doctor` says why and how to fix it.
"""

from __future__ import annotations

import errno
import itertools
import os
import pwd
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

import course_config

CGROUP_ROOT = Path("/sys/fs/cgroup")
CONTROLLERS = ("memory", "pids", "cpu")
REQUIRED_CONTROLLERS = ("memory", "pids")  # what REQUIRE_KERNEL_LIMITS asks for
CFS_PERIOD_US = 100_000
GROUP = "coursetools"
GRADER_LEAF = "coursetools-grader"  # v2: where the grader moves itself so its cgroup may have children
DELEGATED_CGROUP_ENV = "COURSETOOLS_CGROUP"
# Set by `./course demo` (the course's own sample class) and the test suite: grade even where
# the required limits cannot be enforced, saying so. Never set it for students' submissions.
SAMPLES_ONLY_ENV = "COURSETOOLS_UNENFORCED_LIMITS_OK"
# What each controller enforces, in the words the doctor, the logs and the summary use.
LIMIT_NAMES = {
    "memory": "memory (files in RAM-backed folders included)",
    "pids": "processes and threads",
    "cpu": "a fair share of the cores",
}
_counter = itertools.count()


def user_name() -> str:
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return str(os.geteuid())


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


class CgroupV1:
    """coursetools/<kernel> under each v1 controller's own hierarchy."""

    version = "v1"

    def __init__(self, root: Path, controllers: tuple[str, ...]):
        self.root = root
        self.controllers = controllers
        self.where = f"{root}/{{{','.join(controllers)}}}/{GROUP}"

    def create(self, name: str, limits: KernelLimits) -> dict[str, Path]:
        groups = {}
        for controller in self.controllers:
            group = self.root / controller / GROUP / name
            group.mkdir(parents=True)
            groups[controller] = group
        if "cpu" in groups:
            # All gradings together weigh as much as one busy task per core against the rest of
            # the machine; inside, each kernel weighs the same (by default one task's weight).
            (self.root / "cpu" / GROUP / "cpu.shares").write_text(str(1024 * (os.cpu_count() or 1)))
            for file, value in cpu_settings_v1(limits.cpu_shares, limits.cpu_cores).items():
                (groups["cpu"] / file).write_text(value)
        limit = str(limits.memory_mb * 1024 * 1024)
        (groups["memory"] / "memory.limit_in_bytes").write_text(limit)
        swap = groups["memory"] / "memory.memsw.limit_in_bytes"
        if swap.exists():  # no escape into swap
            swap.write_text(limit)
        (groups["pids"] / "pids.max").write_text(str(limits.max_tasks))
        return groups

    def parents(self) -> list[Path]:
        return [self.root / c / GROUP for c in self.controllers]

    @staticmethod
    def memory_exceeded(memory: Path) -> bool:
        control = _read(memory / "memory.oom_control")
        return any(line.split()[-1] != "0" for line in control.splitlines() if line.startswith("oom_kill "))


class CgroupV2:
    """coursetools/<kernel> in one writable cgroup v2 subtree, every controller in one group."""

    version = "v2"

    def __init__(self, base: Path, controllers: tuple[str, ...]):
        self.base = base
        self.controllers = controllers
        self.where = str(base / GROUP)

    def create(self, name: str, limits: KernelLimits) -> dict[str, Path]:
        group = self.base / GROUP / name
        group.mkdir()
        (group / "memory.max").write_text(str(limits.memory_mb * 1024 * 1024))
        if (group / "memory.swap.max").exists() or (self.base / "memory.swap.max").exists():
            (group / "memory.swap.max").write_text("0")  # no escape into swap
        if (group / "memory.oom.group").exists():
            (group / "memory.oom.group").write_text("1")  # the OOM killer ends the whole kernel
        (group / "pids.max").write_text(str(limits.max_tasks))
        if "cpu" in self.controllers:
            for file, value in cpu_settings_v2(limits.cpu_shares, limits.cpu_cores).items():
                (group / file).write_text(value)
        return {"v2": group}  # one group: one join

    def parents(self) -> list[Path]:
        return [self.base / GROUP]

    @staticmethod
    def memory_exceeded(group: Path) -> bool:
        events = _read(group / "memory.events")
        return any(line.split()[-1] != "0" for line in events.splitlines() if line.startswith("oom_kill "))


@dataclass
class HostCgroups:
    """Which cgroup hierarchy this process's kernels get, or why none."""

    backend: CgroupV1 | CgroupV2 | None
    version: str  # what the host mounts: "v1 (hybrid)", "v2", "none"
    tried: list[str] = field(default_factory=list)  # why each place was not usable

    @property
    def enforced(self) -> tuple[str, ...]:
        return self.backend.controllers if self.backend else ()

    @property
    def missing_required(self) -> list[str]:
        return [LIMIT_NAMES[c] for c in REQUIRED_CONTROLLERS if c not in self.enforced]

    @property
    def not_enforced(self) -> list[str]:
        return [LIMIT_NAMES[c] for c in CONTROLLERS if c not in self.enforced]

    def reason(self) -> str:
        if self.backend:
            return f"cgroup {self.backend.version} at {self.backend.where}"
        return "; ".join(self.tried) or "no cgroup hierarchy is mounted"


def _v2_mount(root: Path) -> Path | None:
    for mount in (root, root / "unified"):
        if (mount / "cgroup.controllers").exists():
            return mount
    return None


def _own_v2_cgroup(mount: Path, proc_cgroup: Path) -> Path | None:
    for line in _read(proc_cgroup).splitlines():
        if line.startswith("0::"):
            return mount / line[3:].lstrip("/")
    return None


def _enable(parent: Path, controllers: list[str]) -> None:
    wanted = [c for c in controllers if c not in _read(parent / "cgroup.subtree_control").split()]
    if wanted:
        (parent / "cgroup.subtree_control").write_text(" ".join(f"+{c}" for c in wanted))


def prepare_v2(base: Path) -> CgroupV2:
    """Make `base` ready for kernel groups (raises OSError or ValueError saying why not): its
    controllers handed down to base/coursetools. A cgroup with processes of its own may not hand
    controllers down (cgroup v2's no-internal-process rule): the grader then moves itself into a
    leaf below it, which works where it is alone there, as in a `systemd-run --scope`."""
    available = _read(base / "cgroup.controllers").split()
    missing = [c for c in REQUIRED_CONTROLLERS if c not in available]
    if missing:
        raise ValueError(
            f"{base} has no {' and '.join(missing)} controller"
            + (" (they are bound to the cgroup v1 hierarchies)" if base.name == "unified" else "")
        )
    if not os.access(base, os.W_OK) or not os.access(base / "cgroup.procs", os.W_OK):
        raise PermissionError(f"{base} is not writable by {user_name()}")
    controllers = [c for c in CONTROLLERS if c in available]
    try:
        _enable(base, controllers)
    except OSError as error:
        if error.errno != errno.EBUSY:
            raise
        leaf = base / GRADER_LEAF
        leaf.mkdir(exist_ok=True)
        (leaf / "cgroup.procs").write_text(str(os.getpid()))
        try:
            _enable(base, controllers)
        except OSError:
            (base / "cgroup.procs").write_text(str(os.getpid()))  # back where it was: this base is no use
            try:
                leaf.rmdir()
            except OSError:
                pass  # another grader's process is in it
            raise PermissionError(f"{base} holds other processes, so it cannot hand controllers down") from None
    group = base / GROUP
    group.mkdir(exist_ok=True)
    _enable(group, controllers)
    return CgroupV2(base, tuple(controllers))


def find_cgroups(
    root: Path = CGROUP_ROOT, proc_cgroup: Path = Path("/proc/self/cgroup"), env=os.environ
) -> HostCgroups:
    tried: list[str] = []
    mount = _v2_mount(root)
    if mount is not None:
        candidates = []
        if env.get(DELEGATED_CGROUP_ENV):
            candidates.append(Path(env[DELEGATED_CGROUP_ENV]))
        own = _own_v2_cgroup(mount, proc_cgroup)
        if own is not None:
            candidates.append(own)
        if os.geteuid() == 0:
            candidates.append(mount)  # the top: its own processes do not stop it handing controllers down
        for base in dict.fromkeys(candidates):
            try:
                backend = prepare_v2(base)
            except (OSError, ValueError) as error:
                tried.append(f"cgroup v2: {error}")
                continue
            env[DELEGATED_CGROUP_ENV] = str(base)  # the grader's own child processes use the same subtree
            return HostCgroups(backend, "v2", tried)
    v1 = [
        c
        for c in CONTROLLERS
        if (root / c / "cgroup.procs").exists() and not (root / c / "cgroup.controllers").exists()
    ]
    version = "v1 (hybrid)" if v1 and mount is not None else "v1" if v1 else "v2" if mount is not None else "none"
    if v1:
        writable = tuple(
            c for c in v1 if os.access(root / c / GROUP if (root / c / GROUP).exists() else root / c, os.W_OK)
        )
        if all(c in writable for c in REQUIRED_CONTROLLERS):
            return HostCgroups(CgroupV1(root, writable), version, tried)
        tried.append(
            f"cgroup v1: {', '.join(str(root / c / GROUP) for c in REQUIRED_CONTROLLERS)} not writable by {user_name()}"
        )
    return HostCgroups(None, version, tried)


_host: HostCgroups | None = None


def host_cgroups() -> HostCgroups:
    """This process's cgroups, found once."""
    global _host
    if _host is None:
        _host = find_cgroups()
    return _host


def cgroups_available() -> bool:
    return host_cgroups().backend is not None


def unenforced_note() -> str | None:
    """One line naming the limits this host does not enforce, or None when all are."""
    host = host_cgroups()
    if not host.missing_required:
        return None
    return (
        f"NOT ENFORCED on this host: {', '.join(host.missing_required)} ({host.reason()}); "
        "`./course doctor` says how to fix it"
    )


def required_limits_refusal() -> str | None:
    """Why students' submissions may not be graded here (one line with the fix), or None."""
    host = host_cgroups()
    if not host.missing_required or not course_config.REQUIRE_KERNEL_LIMITS or os.environ.get(SAMPLES_ONLY_ENV):
        return None
    return (
        f"refusing to grade: this host cannot enforce the kernels' limits on {' and '.join(host.missing_required)} "
        f"({host.reason()}). Fix: run `./course doctor` and follow its fixes, or set REQUIRE_KERNEL_LIMITS = False "
        "in course_config.py to grade without them (every log and summary then says so)."
    )


def remove_empty_groups(parents: list[Path]) -> None:
    """Groups left behind by a grader that was killed (named after its pid): empty ones go."""
    for parent in parents:
        for group in parent.iterdir() if parent.is_dir() else []:
            owner = group.name.split("-")[0]
            if not group.is_dir() or not owner.isdigit() or Path(f"/proc/{owner}").exists():
                continue  # another grader's, maybe not joined yet
            try:
                if not (group / "cgroup.procs").read_text().strip():
                    group.rmdir()
            except OSError:
                pass  # in use by another grader, or already gone


def cpu_settings_v1(shares: int, cores: float | None) -> dict[str, str]:
    """The cpu controller's files of one kernel's group on cgroup v1. Its weight among the
    kernels running at once (work-conserving: an idle machine lends a kernel every core),
    and, with `cores`, a hard cap of that many cores per period."""
    files = {"cpu.shares": str(shares)}
    if cores:
        files["cpu.cfs_period_us"] = str(CFS_PERIOD_US)
        files["cpu.cfs_quota_us"] = str(int(cores * CFS_PERIOD_US))
    return files


def cpu_settings_v2(shares: int, cores: float | None) -> dict[str, str]:
    """The same two settings on cgroup v2: cpu.weight (1-10000, 100 for v1's 1024 shares) and
    cpu.max ("<quota> <period>", or "max <period>" for no cap)."""
    weight = max(1, min(10000, shares * 100 // 1024))
    quota = str(int(cores * CFS_PERIOD_US)) if cores else "max"
    return {"cpu.weight": str(weight), "cpu.max": f"{quota} {CFS_PERIOD_US}"}


def host_memory_mb(meminfo: Path = Path("/proc/meminfo")) -> int | None:
    """The host's memory (MemTotal), or None where /proc/meminfo cannot be read."""
    try:
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def memory_overcommitted(workers: int, memory_mb: int | None = None, host_mb: int | None = None) -> str | None:
    """Why `workers` gradings at once could need more memory than the host has, or None.
    Each grading runs two kernels (the student's and the checker), each up to its limit."""
    memory_mb = memory_mb or course_config.KERNEL_MEMORY_LIMIT_MB
    host_mb = host_mb or host_memory_mb()
    needed = workers * 2 * memory_mb
    if host_mb is None or needed <= host_mb:
        return None
    return (
        f"GRADING_WORKERS ({workers}) x 2 kernels x KERNEL_MEMORY_LIMIT_MB ({memory_mb}) = {needed} MB "
        f"exceeds this host's memory ({host_mb} MB): lower GRADING_WORKERS (or --workers) or "
        "KERNEL_MEMORY_LIMIT_MB in course_config.py"
    )


class KernelLimits:
    """One kernel's cgroups and rlimits; `wrap` prefixes its command."""

    def __init__(
        self,
        memory_mb: int,
        max_tasks: int,
        max_file_mb: int,
        cpu_seconds: int,
        cpu_shares: int = 1024,
        cpu_cores: float | None = None,
        host: HostCgroups | None = None,
    ):
        self.memory_mb = memory_mb
        self.max_tasks = max_tasks
        self.max_file_mb = max_file_mb
        self.cpu_seconds = cpu_seconds
        self.cpu_shares = cpu_shares
        self.cpu_cores = cpu_cores
        self.name = f"{os.getpid()}-{next(_counter)}-{time.monotonic_ns()}"
        self.groups: dict[str, Path] = {}
        self.backend = (host or host_cgroups()).backend
        if self.backend is not None:
            remove_empty_groups(self.backend.parents())
            self._create()

    @classmethod
    def from_course(cls, memory_mb: int | None = None) -> KernelLimits:
        return cls(
            memory_mb=memory_mb or course_config.KERNEL_MEMORY_LIMIT_MB,
            max_tasks=course_config.KERNEL_MAX_TASKS,
            max_file_mb=course_config.KERNEL_MAX_FILE_MB,
            cpu_seconds=2 * course_config.NOTEBOOK_TIMEOUT_SECONDS,
            cpu_shares=course_config.KERNEL_CPU_SHARES,
            cpu_cores=course_config.KERNEL_CPU_CORES,
        )

    def _create(self) -> None:
        try:
            self.groups = self.backend.create(self.name, self)
        except OSError:
            if self.backend.version == "v1":  # what was made so far
                self.groups = {c: self.backend.root / c / GROUP / self.name for c in self.backend.controllers}
            else:
                self.groups = {"v2": self.backend.base / GROUP / self.name}
            self.remove()

    @property
    def enforced_by_cgroup(self) -> bool:
        return bool(self.groups)

    def wrap(self, command: list[str]) -> list[str]:
        """The command, started inside the cgroups and under the rlimits (race-free: the
        shell joins the groups, sets the limits, then execs the command; it never runs
        the command outside its groups)."""
        procs = [str(group / "cgroup.procs") for group in self.groups.values()]
        script = (
            'for f in "$@"; do [ "$f" = -- ] && break; echo $$ > "$f" || exit 97; done; '
            'while [ "$1" != -- ]; do shift; done; shift; '
            f"ulimit -f {self.max_file_mb * 1024 * 2}; ulimit -t {self.cpu_seconds}; "  # -f counts 512-byte blocks
            'exec "$@"'
        )
        return ["/bin/sh", "-c", script, "limits", *procs, "--", *command]

    def memory_exceeded(self) -> bool:
        memory = self.groups.get("memory") or self.groups.get("v2")
        return memory is not None and self.backend.memory_exceeded(memory)

    def remove(self) -> None:
        """Kill whatever is left in the groups and delete them."""
        for group in self.groups.values():
            if (group / "cgroup.kill").exists():  # cgroup v2 (Linux 5.14+): every process at once
                try:
                    (group / "cgroup.kill").write_text("1")
                except OSError:
                    pass
            for _ in range(50):
                try:
                    pids = [int(p) for p in (group / "cgroup.procs").read_text().split()]
                except (OSError, ValueError):
                    break
                if not pids:
                    break
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
                time.sleep(0.02)
            try:
                group.rmdir()
            except OSError:
                pass
        self.groups = {}
