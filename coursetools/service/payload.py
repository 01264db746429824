"""A submission as bytes a task can carry: the collected folder as a tar archive.

The folder was already copied safely by the collect (plain files only, sizes bounded); the
archive is bounded again by SUBMISSION_MAX_MB, and unpacked on the worker with tarfile's
"data" filter (no links, devices or paths outside the destination).
"""

from __future__ import annotations

import base64
import io
import tarfile
from pathlib import Path

from coursetools.errors import CommandError

SKIPPED = {".collected-from"}  # the coordinator's bookkeeping, not the student's


def pack(folder: Path, max_bytes: int) -> str:
    """The folder's files as a base64 tar archive (JSON carries text)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file() and not path.is_symlink() and path.name not in SKIPPED:
                archive.add(path, arcname=str(path.relative_to(folder)), recursive=False)
    data = buffer.getvalue()
    if len(data) > max_bytes:
        raise CommandError(f"{folder} packs to {len(data)} bytes, more than SUBMISSION_MAX_MB allows")
    return base64.b64encode(data).decode("ascii")


def unpack(text: str, dest: Path, max_bytes: int) -> None:
    data = base64.b64decode(text)
    if len(data) > max_bytes:
        raise CommandError(f"a submission of {len(data)} bytes is more than SUBMISSION_MAX_MB allows")
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        total = sum(member.size for member in archive.getmembers())
        if total > max_bytes:
            raise CommandError(f"a submission unpacking to {total} bytes is more than SUBMISSION_MAX_MB allows")
        archive.extractall(dest, filter="data")
