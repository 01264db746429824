import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """`./course test` runs two pytest workers (`-n 2 --dist loadgroup`): each module's tests
    stay on one worker, since they share the module's fixtures; modules that share a session
    fixture say so with one xdist_group of their own."""
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))
