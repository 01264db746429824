"""`./course doctor`: what the grading sandbox enforces on this host, each guarantee with its
reason and its fix; and `./course setup-host`, the administrator's one-time delegation of a
cgroup subtree to a non-root grading account."""

from __future__ import annotations

import os
import pwd
import subprocess
from dataclasses import dataclass
from pathlib import Path

import course_config
from coursetools.engine import kernel_limits, sandbox
from coursetools.engine.kernel_limits import CGROUP_ROOT, GROUP, LIMIT_NAMES, HostCgroups, host_cgroups
from coursetools.errors import CommandError

SYSTEMD_DELEGATION = Path("/etc/systemd/system/user@.service.d/coursetools-delegate.conf")


@dataclass
class Guarantee:
    name: str
    enforced: bool
    required: bool
    how: str  # how it is enforced, or why it is not
    fix: str = ""


def cgroup_fix(host: HostCgroups) -> str:
    """What makes the memory and process limits enforceable for this user on this host."""
    user = kernel_limits.user_name()
    relax = " (or set REQUIRE_KERNEL_LIMITS = False in course_config.py to grade without them, said in every log)"
    if host.version == "none":
        return (
            "give the grader a cgroup hierarchy (a container: mount /sys/fs/cgroup writable, cgroupns private)" + relax
        )
    if host.version.startswith("v1"):
        if os.geteuid() == 0:
            return "mount the v1 memory and pids controllers writable (a container: run it with --privileged)" + relax
        return (
            f"as root, once: `./course setup-host --user {user}` (delegates coursetools/ in the v1 hierarchies), or grade as root"
            + relax
        )
    if os.geteuid() == 0:
        return "grade from a cgroup of its own: `systemd-run --scope -p Delegate=yes ./course autograde ...`" + relax
    return (
        "run the grader through `./course` on a host with systemd (it starts itself in "
        "`systemd-run --user --scope -p Delegate=yes`); if systemd does not delegate memory and pids to users, "
        f"as root, once: `./course setup-host --user {user}`" + relax
    )


def guarantees() -> list[Guarantee]:
    rows = []
    try:
        sandbox.check_namespaces()
        bwrap = Guarantee(
            "sandbox: bubblewrap, user namespaces", True, True, f"{sandbox.bwrap_path()} creates its namespaces"
        )
    except sandbox.SandboxUnavailable as error:
        why, _, fix = str(error).partition(" Fix: ")
        bwrap = Guarantee("sandbox: bubblewrap, user namespaces", False, True, why, fix)
    rows.append(bwrap)
    rows.append(
        Guarantee(
            "network isolation",
            bwrap.enforced,
            True,
            "own network namespace: no network, not even loopback" if bwrap.enforced else "no sandbox (above)",
            "" if bwrap.enforced else "the sandbox's fix above",
        )
    )
    host = host_cgroups()
    controllers = ", ".join(host.enforced) or "none"
    rows.append(
        Guarantee(
            f"cgroups: {host.version}",
            host.backend is not None,
            False,
            f"{host.reason()}; writable controllers: {controllers}",
            "" if host.backend else cgroup_fix(host),
        )
    )
    required = course_config.REQUIRE_KERNEL_LIMITS
    for controller, setting in (("memory", "KERNEL_MEMORY_LIMIT_MB"), ("pids", "KERNEL_MAX_TASKS")):
        ok = controller in host.enforced
        how = (
            f"cgroup {host.backend.version} per kernel ({setting} = {getattr(course_config, setting)})"
            if ok
            else "no writable cgroup controller"
            + (
                ": only a watchdog polls resident memory, files in /dev/shm and /tmp are not counted"
                if controller == "memory"
                else ": a fork bomb is not stopped"
            )
        )
        rows.append(Guarantee(LIMIT_NAMES[controller], ok, required, how, "" if ok else "the cgroups fix above"))
    cpu_ok = "cpu" in host.enforced
    rows.append(
        Guarantee(
            LIMIT_NAMES["cpu"],
            cpu_ok,
            False,
            "cpu controller per kernel (KERNEL_CPU_SHARES)"
            if cpu_ok
            else "no writable cpu controller: kernels share the cores as threads",
            "" if cpu_ok else "delegate the cpu controller too (setup-host, or systemd's Delegate=cpu)",
        )
    )
    rows.append(
        Guarantee("file size", True, True, f"RLIMIT_FSIZE (KERNEL_MAX_FILE_MB = {course_config.KERNEL_MAX_FILE_MB})")
    )
    rows.append(Guarantee("CPU time", True, True, "RLIMIT_CPU at twice NOTEBOOK_TIMEOUT_SECONDS"))
    rows.append(
        Guarantee(
            "output cap",
            True,
            True,
            "cut in the kernel (KERNEL_STREAM_LIMIT_BYTES) and at the grader's sockets (KERNEL_MESSAGE_LIMIT_BYTES)",
        )
    )
    over = kernel_limits.memory_overcommitted(course_config.GRADING_WORKERS)
    rows.append(
        Guarantee(
            "RAM for GRADING_WORKERS",
            over is None,
            True,
            over.split(": lower")[0]
            if over
            else f"{course_config.GRADING_WORKERS} workers x 2 kernels x {course_config.KERNEL_MEMORY_LIMIT_MB} MB fit in {kernel_limits.host_memory_mb()} MB",
            "lower GRADING_WORKERS or KERNEL_MEMORY_LIMIT_MB in course_config.py" if over else "",
        )
    )
    return rows


def report(rows: list[Guarantee]) -> tuple[str, bool]:
    """The doctor's table and verdict, and whether every required guarantee holds."""
    width = max(len(r.name) for r in rows)
    lines = [f"What the grading sandbox enforces on this host (as {kernel_limits.user_name()}):", ""]
    lines.append(f"  {'guarantee'.ljust(width)}  enforced  how, or why not")
    for row in rows:
        mark = "yes" if row.enforced else "NO" if row.required else "no"
        lines.append(f"  {row.name.ljust(width)}  {mark.ljust(8)}  {row.how}")
        if row.fix:
            lines.append(f"  {''.ljust(width)}  {''.ljust(8)}  fix: {row.fix}")
    missing = [r.name for r in rows if r.required and not r.enforced]
    relaxed = host_cgroups().missing_required if not course_config.REQUIRE_KERNEL_LIMITS else []
    lines.append("")
    if missing:
        lines.append(f"Verdict: NOT ready to grade students: missing {', '.join(missing)} (see the fixes above).")
    elif relaxed:
        lines.append(
            f"Verdict: grading runs WITHOUT {', '.join(relaxed)} (REQUIRE_KERNEL_LIMITS = False); "
            "every grading log and summary says so."
        )
    else:
        lines.append("Verdict: ready: every required guarantee is enforced.")
    return "\n".join(lines), not missing


def setup_host(user: str, root: Path = CGROUP_ROOT) -> list[str]:
    """As root, once: let `user` create the kernels' cgroups. cgroup v1: coursetools/ of the
    memory, pids and cpu hierarchies owned by the user. cgroup v2 with systemd: a drop-in
    delegating memory, pids and cpu to every user's systemd instance, where `./course`
    starts itself in a delegated scope. Returns what was done."""
    if os.geteuid() != 0:
        raise CommandError(
            f"setup-host changes the host's cgroups: run it as root (`sudo ./course setup-host --user {user}`)."
        )
    try:
        account = pwd.getpwnam(user)
    except KeyError:
        raise CommandError(f"no user {user!r} on this host: give the grading account's name with --user.") from None
    done = []
    v1 = [
        c
        for c in kernel_limits.CONTROLLERS
        if (root / c / "cgroup.procs").exists() and not (root / c / "cgroup.controllers").exists()
    ]
    for controller in v1:
        group = root / controller / GROUP
        group.mkdir(exist_ok=True)
        for path in [group, *(p for p in group.iterdir() if p.is_file())]:
            os.chown(path, account.pw_uid, account.pw_gid)
        done.append(f"cgroup v1: {group} belongs to {user}")
    if not v1 and (root / "cgroup.controllers").exists():
        if not Path("/run/systemd/system").exists():
            raise CommandError(
                "cgroup v2 without systemd: a non-root grader cannot move its kernels into a subtree root made "
                "(cgroup v2 allows moves only below a common parent it may write). Grade as root, or start the "
                "grader as root inside a delegated cgroup and pass it as COURSETOOLS_CGROUP."
            )
        SYSTEMD_DELEGATION.parent.mkdir(parents=True, exist_ok=True)
        SYSTEMD_DELEGATION.write_text("[Service]\nDelegate=cpu memory pids\n")
        subprocess.run(["systemctl", "daemon-reload"], check=False)
        done.append(
            f"cgroup v2: {SYSTEMD_DELEGATION} delegates cpu, memory and pids to every user's systemd "
            f"(takes effect at {user}'s next login; `./course` then grades in `systemd-run --user --scope`)"
        )
    if not done:
        raise CommandError("no cgroup hierarchy with memory and pids controllers is mounted on this host.")
    return done
