import subprocess
import sys

import pytest

import course_config

pytestmark = pytest.mark.unit


def test_ruff_finds_nothing():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "."], cwd=course_config.COURSE_ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout
