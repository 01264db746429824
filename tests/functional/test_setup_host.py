"""`./course setup-host --user`: on a cgroup v1 host (this machine kind), root delegates the
kernels' cgroup folders once and a non-root account's kernels then get every limit: a real
account made for the test creates its groups, a fork bomb stops at the task limit and a memory
hog is stopped by the kernel. The ownership is given back to root afterwards."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from coursetools.engine.kernel_limits import CGROUP_ROOT, GROUP, host_cgroups
from tests.grading_account import can_create_accounts, run_as, temporary_account

pytestmark = [
    pytest.mark.functional,
    pytest.mark.skipif(
        not can_create_accounts(), reason="creating the grading account needs root, useradd and setpriv"
    ),
    pytest.mark.skipif(
        getattr(host_cgroups().backend, "version", None) != "v1",
        reason=f"delegates cgroup v1 folders; this host's kernels use {host_cgroups().reason()}",
    ),
]
ROOT = Path(__file__).resolve().parents[2]

KERNEL_UNDER_LIMITS = """
import subprocess, sys
from coursetools.engine.kernel_limits import KernelLimits, host_cgroups
print("backend", host_cgroups().reason())
made = KernelLimits(memory_mb=200, max_tasks=40, max_file_mb=5, cpu_seconds=60)
bomb = ("import os\\nn = 0\\ntry:\\n    for _ in range(200):\\n        if os.fork() == 0:\\n"
        "            import time; time.sleep(5); os._exit(0)\\n        n += 1\\n"
        "except OSError:\\n    print('stopped at', n)\\n")
print(subprocess.run(made.wrap([sys.executable, "-c", bomb]), capture_output=True, text=True).stdout.strip())
hog = subprocess.run(made.wrap([sys.executable, "-c", "x = bytearray(400 * 1024 * 1024); print('survived')"]),
                     capture_output=True, text=True)
print("hog", hog.returncode, "survived" in hog.stdout, made.memory_exceeded())
made.remove()
"""


def test_a_delegated_account_gets_every_kernel_limit():
    folders = [CGROUP_ROOT / c / GROUP for c in ("memory", "pids", "cpu")]
    owners = {}  # given back afterwards: root's, as every grading as root made them
    for folder in folders:
        for path in [folder, *(folder.iterdir() if folder.exists() else [])]:
            if path == folder or path.is_file():
                owners[path] = (path.stat().st_uid, path.stat().st_gid) if path.exists() else (0, 0)
    with temporary_account("ct-delegated") as name:
        try:
            before = run_as(name, [sys.executable, "-c", KERNEL_UNDER_LIMITS], cwd=ROOT)
            assert "not writable by" in before.stdout, before.stdout + before.stderr
            done = run_as(name, [sys.executable, "-m", "coursetools", "setup-host", "--user", name], cwd=ROOT)
            assert done.returncode == 1 and "run it as root" in done.stderr, "only root delegates"
            setup = subprocess.run(
                [sys.executable, "-m", "coursetools", "setup-host", "--user", name],
                cwd=ROOT,
                capture_output=True,
                text=True,
            )
            assert setup.returncode == 0, setup.stderr
            assert f"cgroup v1: {CGROUP_ROOT / 'memory' / GROUP} belongs to {name}" in setup.stdout
            after = run_as(name, [sys.executable, "-c", KERNEL_UNDER_LIMITS], cwd=ROOT)
            lines = after.stdout.splitlines()
            assert lines[0].startswith("backend cgroup v1"), after.stdout + after.stderr
            assert lines[1].startswith("stopped at") and int(lines[1].split()[2]) < 40
            assert lines[2] == "hog -9 False True", "the kernel stopped the hog and the grader knows why"
            doctor = run_as(name, [sys.executable, "-m", "coursetools", "doctor"], cwd=ROOT)
            assert doctor.returncode == 0 and "Verdict: ready" in doctor.stdout, doctor.stdout
        finally:
            for folder in folders:  # what setup-host made or changed
                for path in [folder, *(folder.iterdir() if folder.exists() else [])]:
                    if path == folder or path.is_file():
                        os.chown(path, *owners.get(path, (0, 0)))
