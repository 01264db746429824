"""What limits.py decides without a cgroup: the host's memory check, the cpu controller's files."""

import pytest

from coursetools.engine.kernel_limits import cpu_settings_v1, host_memory_mb, memory_overcommitted

pytestmark = pytest.mark.unit


def test_the_host_memory_is_read_from_meminfo(tmp_path):
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       24684092 kB\nMemFree:         1000 kB\n")
    assert host_memory_mb(meminfo) == 24105
    assert host_memory_mb(tmp_path / "missing") is None


def test_workers_whose_kernels_could_exceed_the_host_memory_are_refused_in_one_line():
    why = memory_overcommitted(workers=2, memory_mb=6144, host_mb=24105)
    assert why is not None and "\n" not in why
    for named in ("GRADING_WORKERS (2)", "KERNEL_MEMORY_LIMIT_MB (6144)", "2 kernels", "24576 MB", "24105 MB"):
        assert named in why
    assert memory_overcommitted(workers=2, memory_mb=5120, host_mb=24105) is None
    assert memory_overcommitted(workers=1, memory_mb=6144, host_mb=24105) is None


def test_the_cpu_controller_weighs_kernels_and_caps_cores_only_when_asked():
    assert cpu_settings_v1(1024, None) == {"cpu.shares": "1024"}
    assert cpu_settings_v1(512, 1.5) == {
        "cpu.shares": "512",
        "cpu.cfs_period_us": "100000",
        "cpu.cfs_quota_us": "150000",
    }
