"""What kernel_limits.py and the sandbox decide without a cgroup: the host's memory check, the cpu
controller's files, the refusal where limits cannot be enforced, bubblewrap's namespace failure."""

import os
from pathlib import Path

import pytest

import course_config
from coursetools.engine import kernel_limits, sandbox
from coursetools.engine.kernel_limits import (
    SAMPLES_ONLY_ENV,
    HostCgroups,
    cpu_settings_v1,
    cpu_settings_v2,
    host_memory_mb,
    memory_overcommitted,
    required_limits_refusal,
    unenforced_note,
)

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


def test_cgroup_v2_gets_the_same_weight_and_cap():
    assert cpu_settings_v2(1024, None) == {"cpu.weight": "100", "cpu.max": "max 100000"}
    assert cpu_settings_v2(512, 1.5) == {"cpu.weight": "50", "cpu.max": "150000 100000"}


def no_cgroups():
    return HostCgroups(None, "v1 (hybrid)", ["cgroup v1: /sys/fs/cgroup/memory/coursetools not writable by grader"])


def test_unenforceable_limits_refuse_students_in_one_line_with_the_fix(monkeypatch):
    monkeypatch.setattr(kernel_limits, "_host", no_cgroups())
    monkeypatch.delenv(SAMPLES_ONLY_ENV, raising=False)
    monkeypatch.setattr(course_config, "REQUIRE_KERNEL_LIMITS", True)
    refusal = required_limits_refusal()
    assert refusal is not None and "\n" not in refusal
    for named in ("memory", "processes", "not writable by grader", "./course doctor", "REQUIRE_KERNEL_LIMITS = False"):
        assert named in refusal
    monkeypatch.setattr(course_config, "REQUIRE_KERNEL_LIMITS", False)
    assert required_limits_refusal() is None
    assert "NOT ENFORCED on this host: memory (files in RAM-backed folders included), processes and threads" in (
        unenforced_note()
    )


def test_the_sample_class_is_graded_anyway_and_an_enforcing_host_says_nothing(monkeypatch):
    monkeypatch.setattr(kernel_limits, "_host", no_cgroups())
    monkeypatch.setattr(course_config, "REQUIRE_KERNEL_LIMITS", True)
    monkeypatch.setenv(SAMPLES_ONLY_ENV, "1")
    assert required_limits_refusal() is None and unenforced_note() is not None
    monkeypatch.setattr(
        kernel_limits, "_host", HostCgroups(kernel_limits.CgroupV2(Path("/x"), ("memory", "pids")), "v2")
    )
    monkeypatch.delenv(SAMPLES_ONLY_ENV)
    assert required_limits_refusal() is None and unenforced_note() is None


def fake_bwrap(tmp_path, said="bwrap: setting up uid map: Permission denied"):
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "bwrap").write_text(f"#!/bin/sh\necho '{said}' >&2\nexit 1\n")
    (folder / "bwrap").chmod(0o755)
    return folder


@pytest.mark.parametrize(
    "switch, value, cause",
    [
        (
            "/proc/sys/kernel/apparmor_restrict_unprivileged_userns",
            "1",
            "AppArmor restricts unprivileged user namespaces",
        ),
        ("/proc/sys/user/max_user_namespaces", "0", "user.max_user_namespaces = 0"),
        (None, None, "Docker's default seccomp profile"),
    ],
)
def test_bubblewrap_without_namespaces_is_named_with_its_cause(tmp_path, monkeypatch, switch, value, cause):
    """A wrapper bwrap fails as bubblewrap does where namespaces are refused; the kernel's switch
    (a fake /proc/sys file) decides which cause and fix the error names."""
    monkeypatch.setenv("PATH", f"{fake_bwrap(tmp_path)}:{os.environ['PATH']}")
    monkeypatch.setattr(sandbox, "_namespaces_checked", False)
    switches = {}
    for path, (blocking, why, fix) in sandbox.USERNS_SWITCHES.items():
        fake = tmp_path / Path(path).name
        fake.write_text(value if path == switch else "15000" if blocking == "0" else "0")
        switches[str(fake)] = (blocking, why, fix)
    monkeypatch.setattr(sandbox, "USERNS_SWITCHES", switches)
    with pytest.raises(sandbox.SandboxUnavailable) as raised:
        sandbox.check_namespaces()
    said = str(raised.value)
    assert "bubblewrap cannot create its namespaces" in said and "setting up uid map: Permission denied" in said
    assert cause in said and "Fix: " in said and "\n" not in said


def test_the_demo_grades_its_sample_class_anyway_and_says_which_limits_were_off(monkeypatch, capsys):
    from coursetools import cli

    monkeypatch.setattr(kernel_limits, "_host", no_cgroups())
    monkeypatch.setattr(course_config, "REQUIRE_KERNEL_LIMITS", True)
    monkeypatch.delenv(SAMPLES_ONLY_ENV, raising=False)
    seen = []
    for step in ("cmd_data", "cmd_release", "cmd_collect", "cmd_feedback", "cmd_export"):
        monkeypatch.setattr(cli, step, lambda args: None)
    monkeypatch.setattr(cli, "cmd_autograde", lambda args: seen.append(required_limits_refusal()))
    assert required_limits_refusal() is not None, "students would be refused"
    cli.cmd_demo(type("Args", (), {})())
    assert seen and set(seen) == {None}, "the demo's sample class is graded"
    out = capsys.readouterr().out
    assert out.startswith("WARNING: the demo grades the sample class with limits NOT ENFORCED on this host: memory")


def test_the_doctor_fails_only_on_a_missing_required_guarantee(monkeypatch):
    from coursetools.engine.host_check import Guarantee, report

    monkeypatch.setattr(kernel_limits, "_host", no_cgroups())
    monkeypatch.setattr(course_config, "REQUIRE_KERNEL_LIMITS", True)
    rows = [Guarantee("file size", True, True, "RLIMIT_FSIZE"), Guarantee("a fair share", False, False, "none", "x")]
    text, ready = report(rows)
    assert ready and "Verdict: ready" in text and "  fix: x" in text
    text, ready = report([*rows, Guarantee("processes and threads", False, True, "no pids", "delegate")])
    assert not ready and "Verdict: NOT ready to grade students: missing processes and threads" in text
    monkeypatch.setattr(course_config, "REQUIRE_KERNEL_LIMITS", False)
    text, ready = report(rows)
    assert ready and "Verdict: grading runs WITHOUT memory" in text
