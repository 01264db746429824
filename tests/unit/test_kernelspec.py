import json

import pytest

import course_config
from coursetools.course import kernelspec

pytestmark = pytest.mark.unit


def test_the_course_kernel_finds_the_data_and_keeps_tensorflow_quiet(tmp_path, monkeypatch):
    path = tmp_path / "kernels" / "python3" / "kernel.json"
    monkeypatch.setattr(kernelspec, "spec_path", lambda: path)
    kernelspec.install()
    spec = json.loads(path.read_text())
    assert spec["env"]["KERAS_HOME"] == str(course_config.KERAS_HOME)
    assert spec["env"]["TF_CPP_MIN_LOG_LEVEL"] == "3" and "MPLBACKEND" not in spec["env"]
    assert spec["argv"][1:3] == ["-m", "ipykernel_launcher"]
    before = path.stat().st_mtime_ns
    kernelspec.install()
    assert path.stat().st_mtime_ns == before, "an up-to-date kernelspec is left alone"
