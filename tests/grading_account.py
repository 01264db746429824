"""A real non-root account for tests that grade as one, created with useradd and removed after."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path


def can_create_accounts() -> bool:
    return os.geteuid() == 0 and shutil.which("useradd") is not None and shutil.which("setpriv") is not None


@contextmanager
def temporary_account(prefix: str = "ct-grader"):
    """A fresh system account (no home, no login shell) with passage (execute only, no listing)
    through private folders above this interpreter (pyenv under /root); all undone after."""
    name = f"{prefix}-{os.getpid()}"
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name], check=True)
    private = {}
    for prefix_dir in {Path(sys.base_prefix), Path(os.path.realpath(sys.prefix))}:
        for parent in prefix_dir.parents:
            mode = parent.stat().st_mode
            if parent != Path("/") and not mode & 0o001:
                private[parent] = mode
    try:
        for parent, mode in private.items():
            parent.chmod(mode | 0o001)
        yield name
    finally:
        for parent, mode in private.items():
            parent.chmod(mode)
        subprocess.run(["userdel", name], check=False)


def run_as(name: str, command: list[str], cwd: Path, home: Path | str = "/tmp") -> subprocess.CompletedProcess:
    """`command` run by the account, with a clean environment (nothing of root's passes)."""
    env = {"PATH": f"{os.path.dirname(sys.executable)}:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}
    return subprocess.run(
        ["setpriv", f"--reuid={name}", f"--regid={name}", "--clear-groups", *command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )
