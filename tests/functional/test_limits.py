"""Kernel-enforced limits: memory (RAM-backed files included), tasks, file size, a share of the cores,
on whichever cgroup hierarchy this host gives the grader (tests/functional/test_cgroup_v2.py: v2)."""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from coursetools.engine.kernel_limits import KernelLimits, host_cgroups

pytestmark = [
    pytest.mark.functional,
    pytest.mark.skipif(
        host_cgroups().backend is None, reason=f"no writable cgroup on this host: {host_cgroups().reason()}"
    ),
]
needs_v1 = pytest.mark.skipif(
    getattr(host_cgroups().backend, "version", None) != "v1",
    reason=f"checks cgroup v1's cpu controller files; this host's kernels use {host_cgroups().reason()}",
)


@pytest.fixture
def limits():
    made = KernelLimits(memory_mb=200, max_tasks=40, max_file_mb=5, cpu_seconds=60)
    yield made
    made.remove()


def run(limits, code, tmp_path):
    return subprocess.run(limits.wrap([sys.executable, "-c", code]), cwd=tmp_path, capture_output=True, text=True)


def test_memory_over_the_limit_is_stopped_by_the_kernel(limits, tmp_path):
    result = run(limits, "x = bytearray(400 * 1024 * 1024); print('survived')", tmp_path)
    assert result.returncode == -9 and "survived" not in result.stdout
    assert limits.memory_exceeded()


def test_files_in_ram_count_as_memory(limits, tmp_path):
    folder = Path(tempfile.mkdtemp(prefix="limits-test-", dir="/dev/shm"))  # this test's own, removed below
    code = (
        "import os, sys\n"
        "for i in range(100):\n"
        "    open(os.path.join(sys.argv[1], f'{i}'), 'wb').write(b'x' * 4 * 1024 * 1024)\n"
        "print('survived')\n"
    )
    try:
        result = subprocess.run(
            limits.wrap([sys.executable, "-c", code, str(folder)]), cwd=tmp_path, capture_output=True, text=True
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert "survived" not in result.stdout and limits.memory_exceeded()


def test_a_fork_bomb_stops_at_the_task_limit(limits, tmp_path):
    code = (
        "import os, sys\n"
        "children = 0\n"
        "try:\n"
        "    for _ in range(200):\n"
        "        if os.fork() == 0:\n"
        "            import time; time.sleep(5); os._exit(0)\n"
        "        children += 1\n"
        "except OSError as error:\n"
        "    print('stopped at', children, error.errno)\n"
    )
    result = run(limits, code, tmp_path)
    assert "stopped at" in result.stdout and int(result.stdout.split()[2]) < 40


def test_a_file_larger_than_the_limit_cannot_be_written(limits, tmp_path):
    code = "open('big', 'wb').write(b'x' * 10 * 1024 * 1024)"
    result = run(limits, code, tmp_path)
    assert result.returncode != 0 and (tmp_path / "big").stat().st_size <= 5 * 1024 * 1024


def test_removing_the_limits_ends_what_is_left(tmp_path):
    made = KernelLimits(memory_mb=200, max_tasks=40, max_file_mb=5, cpu_seconds=60)
    process = subprocess.Popen(made.wrap([sys.executable, "-c", "import time; time.sleep(60)"]))
    try:
        made.remove()
        assert process.wait(timeout=10) != 0
    finally:
        process.kill()


@needs_v1
def test_a_kernel_gets_its_own_share_of_the_cores(tmp_path):
    made = KernelLimits(memory_mb=200, max_tasks=40, max_file_mb=5, cpu_seconds=60, cpu_shares=512, cpu_cores=0.5)
    try:
        assert (made.groups["cpu"] / "cpu.shares").read_text().strip() == "512"
        assert (made.groups["cpu"] / "cpu.cfs_quota_us").read_text().strip() == "50000"
        result = run(made, "print(open('/proc/self/cgroup').read())", tmp_path)
        cpu_line = next(line for line in result.stdout.splitlines() if ":cpu," in line or ":cpu:" in line)
        assert cpu_line.endswith(made.name), "the command runs inside the kernel's cpu group"
    finally:
        made.remove()
