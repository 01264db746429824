"""Kernel-enforced limits for one sandboxed kernel, in the manner of edX codejail's rlimits.

* Memory, tmpfs pages included: a cgroup (v1 memory controller, swap included) with
  KERNEL_MEMORY_LIMIT_MB. Files a kernel writes into its RAM-backed folders are charged
  to it, so writing gigabytes to /dev/shm or the sandbox's /tmp hits the same limit as
  allocating them. The kernel's OOM killer stops the kernel; `memory_exceeded` tells.
* Processes and threads: the pids controller with KERNEL_MAX_TASKS, so a fork bomb
  fails with EAGAIN inside the sandbox instead of exhausting the host's PIDs.
* Written bytes per file: RLIMIT_FSIZE (KERNEL_MAX_FILE_MB).
* CPU time: RLIMIT_CPU at twice the notebook's time limit, a backstop to the grader's
  wall-clock limits.
* A fair share of the cores: a cpu controller group per kernel (KERNEL_CPU_SHARES, and
  KERNEL_CPU_CORES as a hard cap if set), so the scheduler shares the cores between
  kernels, not between threads: one kernel's 500 busy threads get one kernel's share and
  cannot starve the kernels of a grading running next to it.

Where the machine offers no writable cgroup hierarchy (a container without one), the
rlimits still apply and sandbox.py's resident-memory watchdog is the memory limit.
"""

from __future__ import annotations

import itertools
import os
import signal
import time
from pathlib import Path

import course_config

CGROUP_ROOT = Path("/sys/fs/cgroup")
CONTROLLERS = ("memory", "pids", "cpu")
CFS_PERIOD_US = 100_000
GROUP = "coursetools"
_counter = itertools.count()


def cgroups_available() -> bool:
    return all(os.access(CGROUP_ROOT / c, os.W_OK) for c in CONTROLLERS)


def remove_empty_groups() -> None:
    """Groups left behind by a grader that was killed (named after its pid): empty ones go."""
    for controller in CONTROLLERS:
        parent = CGROUP_ROOT / controller / GROUP
        for group in parent.iterdir() if parent.is_dir() else []:
            owner = group.name.split("-")[0]
            if not owner.isdigit() or Path(f"/proc/{owner}").exists():
                continue  # another grader's, maybe not joined yet
            try:
                if not (group / "cgroup.procs").read_text().strip():
                    group.rmdir()
            except OSError:
                pass  # in use by another grader, or already gone


def cpu_settings_v1(shares: int, cores: float | None) -> dict[str, str]:
    """The cpu controller's files of one kernel's group on cgroup v1. Its weight among the
    kernels running at once (work-conserving: an idle machine lends a kernel every core),
    and, with `cores`, a hard cap of that many cores per period. On cgroup v2 the same
    two settings are cpu.weight (1-10000, 100 by default: shares * 100 // 1024) and cpu.max
    ("<quota> <period>", or "max <period>" for no cap)."""
    files = {"cpu.shares": str(shares)}
    if cores:
        files["cpu.cfs_period_us"] = str(CFS_PERIOD_US)
        files["cpu.cfs_quota_us"] = str(int(cores * CFS_PERIOD_US))
    return files


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
    ):
        self.memory_mb = memory_mb
        self.max_tasks = max_tasks
        self.max_file_mb = max_file_mb
        self.cpu_seconds = cpu_seconds
        self.cpu_shares = cpu_shares
        self.cpu_cores = cpu_cores
        self.name = f"{os.getpid()}-{next(_counter)}-{time.monotonic_ns()}"
        self.groups: dict[str, Path] = {}
        if cgroups_available():
            remove_empty_groups()
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
            for controller in CONTROLLERS:
                group = CGROUP_ROOT / controller / GROUP / self.name
                group.mkdir(parents=True)
                self.groups[controller] = group
            # All gradings together weigh as much as one busy task per core against the rest of
            # the machine; inside, each kernel weighs the same (by default one task's weight).
            (CGROUP_ROOT / "cpu" / GROUP / "cpu.shares").write_text(str(1024 * (os.cpu_count() or 1)))
            limit = str(self.memory_mb * 1024 * 1024)
            (self.groups["memory"] / "memory.limit_in_bytes").write_text(limit)
            swap = self.groups["memory"] / "memory.memsw.limit_in_bytes"
            if swap.exists():  # no escape into swap
                swap.write_text(limit)
            (self.groups["pids"] / "pids.max").write_text(str(self.max_tasks))
            for name, value in cpu_settings_v1(self.cpu_shares, self.cpu_cores).items():
                (self.groups["cpu"] / name).write_text(value)
        except OSError:
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
        memory = self.groups.get("memory")
        if memory is None:
            return False
        try:
            control = (memory / "memory.oom_control").read_text()
        except OSError:
            return False
        return any(line.split()[-1] != "0" for line in control.splitlines() if line.startswith("oom_kill "))

    def remove(self) -> None:
        """Kill whatever is left in the groups and delete them."""
        for group in self.groups.values():
            for _ in range(50):
                try:
                    pids = [int(p) for p in (group / "cgroup.procs").read_text().split()]
                except OSError:
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
