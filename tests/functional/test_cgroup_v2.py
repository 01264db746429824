"""The kernels' limits on cgroup v2: memory.max, memory.swap.max 0 and pids.max per kernel, in a
subtree the grader may write.

Two ways, and each test says which ran: on a host whose cgroup v2 hierarchy gives this grader
writable memory and pids controllers, a real kernel group is made and a memory hog and a fork bomb
are stopped; everywhere, a fake hierarchy in a temp folder (plain files shaped like cgroupfs)
shows which files are written and that the command joins its group before it runs. On a hybrid
host (controllers bound to cgroup v1, as on the machine this was written on) only the fake runs.
"""

import os
import subprocess
import sys

import pytest

from coursetools.engine.kernel_limits import GRADER_LEAF, GROUP, KernelLimits, find_cgroups, host_cgroups

pytestmark = pytest.mark.functional

REAL_V2 = getattr(host_cgroups().backend, "version", None) == "v2"
NO_REAL_V2 = (
    "no writable cgroup v2 memory and pids controllers on this host ("
    + ("; ".join(host_cgroups().tried) or host_cgroups().reason())
    + "): the fake hierarchy stands in"
)


def fake_hierarchy(tmp_path, own="grader.slice/grading.scope", processes=""):
    """A cgroup2 mount with memory, pids and cpu, the grader in `own` (holding `processes`)."""
    root = tmp_path / "cgroup"
    base = root / own
    base.mkdir(parents=True)
    (root / "cgroup.controllers").write_text("cpuset cpu io memory hugetlb pids\n")
    for folder in (root, base):
        (folder / "cgroup.controllers").write_text("cpu memory pids\n")
        (folder / "cgroup.subtree_control").write_text("")
        (folder / "cgroup.procs").write_text(processes)
    (base / "memory.swap.max").write_text("max\n")  # swap accounting is on
    proc_cgroup = tmp_path / "proc-self-cgroup"
    proc_cgroup.write_text(f"0::/{own}\n")
    return root, base, proc_cgroup


def test_fake_v2_hierarchy_gets_each_kernels_limits_and_the_join(tmp_path):
    print("ran: the FAKE cgroup v2 hierarchy (files written and the join verified)")
    root, base, proc_cgroup = fake_hierarchy(tmp_path)
    env = {}
    host = find_cgroups(root=root, proc_cgroup=proc_cgroup, env=env)
    assert host.version == "v2" and host.backend.base == base and host.enforced == ("memory", "pids", "cpu")
    assert env["COURSETOOLS_CGROUP"] == str(base), "the grader's own child processes use the same subtree"
    for parent in (base, base / GROUP):  # controllers handed down to the kernels' groups
        assert (parent / "cgroup.subtree_control").read_text() == "+memory +pids +cpu"
    made = KernelLimits(
        memory_mb=200, max_tasks=40, max_file_mb=5, cpu_seconds=60, cpu_shares=512, cpu_cores=0.5, host=host
    )
    group = base / GROUP / made.name
    assert made.groups == {"v2": group}
    assert (group / "memory.max").read_text() == str(200 * 1024 * 1024)
    assert (group / "memory.swap.max").read_text() == "0"
    assert (group / "pids.max").read_text() == "40"
    assert (group / "cpu.weight").read_text() == "50" and (group / "cpu.max").read_text() == "50000 100000"
    done = subprocess.run(
        made.wrap([sys.executable, "-c", "import os; print(os.getpid())"]), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert (group / "cgroup.procs").read_text().strip() == done.stdout.strip(), "the command ran as the joined process"
    assert not made.memory_exceeded()
    (group / "memory.events").write_text("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n")
    assert made.memory_exceeded()
    (group / "cgroup.procs").write_text("")  # the fake's pid has exited: nothing for remove() to kill
    made.remove()


def test_fake_v2_grader_alone_in_its_cgroup_moves_to_a_leaf(tmp_path, monkeypatch):
    """cgroup v2 lets a cgroup with processes of its own hand no controllers down (EBUSY): the
    grader, alone in its scope, moves itself into a leaf and retries."""
    print("ran: the FAKE cgroup v2 hierarchy")
    import errno
    from pathlib import Path

    root, base, proc_cgroup = fake_hierarchy(tmp_path, processes=f"{os.getpid()}\n")
    real_write = Path.write_text

    def write(self, text, *args, **kwargs):
        moved = (base / GRADER_LEAF / "cgroup.procs").exists()
        if self == base / "cgroup.subtree_control" and not moved:
            raise OSError(errno.EBUSY, "Device or resource busy")
        return real_write(self, text, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", write)
    host = find_cgroups(root=root, proc_cgroup=proc_cgroup, env={})
    assert host.backend is not None and host.backend.base == base
    assert (base / GRADER_LEAF / "cgroup.procs").read_text() == str(os.getpid())
    assert (base / "cgroup.subtree_control").read_text() == "+memory +pids +cpu"


def test_fake_v2_without_memory_and_pids_says_why(tmp_path):
    print("ran: the FAKE cgroup v2 hierarchy")
    root, base, proc_cgroup = fake_hierarchy(tmp_path)
    for folder in (root, base):
        (folder / "cgroup.controllers").write_text("cpu io\n")
    host = find_cgroups(root=root, proc_cgroup=proc_cgroup, env={})
    assert host.backend is None and host.version == "v2"
    assert f"{base} has no memory and pids controller" in host.reason()
    assert host.missing_required == ["memory (files in RAM-backed folders included)", "processes and threads"]


@pytest.mark.skipif(not REAL_V2, reason=NO_REAL_V2)
def test_real_v2_stops_a_memory_hog_and_a_fork_bomb(tmp_path):
    print(f"ran: a REAL cgroup v2 hierarchy at {host_cgroups().reason()}")
    made = KernelLimits(memory_mb=200, max_tasks=40, max_file_mb=5, cpu_seconds=60)
    try:
        group = made.groups["v2"]
        hog = subprocess.run(
            made.wrap([sys.executable, "-c", "x = bytearray(400 * 1024 * 1024); print('survived')"]),
            capture_output=True,
            text=True,
        )
        assert "survived" not in hog.stdout and made.memory_exceeded()
        bomb = (
            "import os\nn = 0\ntry:\n    for _ in range(200):\n        if os.fork() == 0:\n"
            "            import time; time.sleep(5); os._exit(0)\n        n += 1\n"
            "except OSError as error:\n    print('stopped at', n)\n"
        )
        done = subprocess.run(made.wrap([sys.executable, "-c", bomb]), capture_output=True, text=True)
        assert "stopped at" in done.stdout and int(done.stdout.split()[2]) < 40
        joined = subprocess.run(made.wrap(["cat", "/proc/self/cgroup"]), capture_output=True, text=True).stdout
        assert joined.strip().endswith(group.name)
    finally:
        made.remove()


def test_fake_v2_cgroup_shared_with_other_processes_is_left_as_it_was(tmp_path, monkeypatch):
    """Where the grader is not alone in its cgroup (a login session), moving itself to a leaf does
    not help: it moves back, and as root the next place (the hierarchy's top) is used."""
    print("ran: the FAKE cgroup v2 hierarchy")
    import errno
    from pathlib import Path

    root, base, proc_cgroup = fake_hierarchy(tmp_path, processes=f"{os.getpid()}\n1\n")
    real_write = Path.write_text

    def write(self, text, *args, **kwargs):
        if self == base / "cgroup.subtree_control":
            raise OSError(errno.EBUSY, "Device or resource busy")
        return real_write(self, text, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", write)
    host = find_cgroups(root=root, proc_cgroup=proc_cgroup, env={})
    assert f"{base} holds other processes" in "; ".join(host.tried)
    assert (base / "cgroup.procs").read_text() == str(os.getpid()), "the grader moved back from the leaf"
    if os.geteuid() == 0:
        assert host.backend is not None and host.backend.base == root
    else:
        assert host.backend is None
