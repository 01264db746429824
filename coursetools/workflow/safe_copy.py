"""Copy what a student handed in into the course without trusting any of it.

Every collect source (nbgrader's exchange, a folder in nbgrader's layout, LMS downloads
loose or zipped) is written by students, so it may hold a symbolic link to the course's
solutions or gradebook (a plain copy follows it with the instructor's rights and the grader
hands the target to the student's code), a hard link to a course file, a FIFO or device that
blocks or misbehaves when read, gigabytes, a million entries or a thousand nested folders,
and names that are not safe folder names. One copier serves them all:

- folders are read through file descriptors that never follow a link (`os.fwalk`,
  `O_NOFOLLOW`); only plain files with one link and real folders are copied;
- every submission has a Budget: at most `max_bytes` (SUBMISSION_MAX_MB), MAX_ENTRIES files
  and folders, MAX_DEPTH levels; bytes are counted as they are written, not taken from
  what the source declares;
- copies go into a private staging folder next to their destination with the grader's
  modes (0700/0600), which replaces submitted/<student>/<assignment>/ only when complete;
- any problem is a Refused naming the reason; the caller names the student, the others
  are collected.
"""

from __future__ import annotations

import datetime
import os
import re
import shutil
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

# A student id that is a plain folder name: no "/", no "..", no hidden folder, not empty.
STUDENT_ID = re.compile(r"[A-Za-z0-9_@-][A-Za-z0-9_.@-]{0,99}")
MAX_ENTRIES = 10_000  # files and folders in one submission
MAX_DEPTH = 20  # folder levels in one submission
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"  # nbgrader's, for its UTC times
TOO_LARGE = "it is larger than the course's limit for one submission (SUBMISSION_MAX_MB)"


class Refused(Exception):
    """Why a submission is not collected, in words the instructor can pass on."""


@dataclass
class Collection:
    collected: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # already collected, nothing newer
    refused: dict[str, str] = field(default_factory=dict)  # student (or file) -> why
    skipped: list[str] = field(default_factory=list)  # files that name no student
    waiting: list[str] = field(default_factory=list)  # exchange folders `nbgrader submit` is still writing


@dataclass
class Budget:
    """What is left of one submission's limits."""

    max_bytes: int
    max_entries: int = MAX_ENTRIES
    entries: int = 0
    written: int = 0

    def entry(self) -> None:
        if self.entries >= self.max_entries:
            raise Refused(f"it holds more than {self.max_entries} files and folders")
        self.entries += 1

    def declared(self, size: int) -> None:
        """Refuse early what says it is too large (the count while copying is what holds)."""
        if self.written + size > self.max_bytes:
            raise Refused(TOO_LARGE)

    def spend(self, size: int) -> None:
        self.written += size
        if self.written > self.max_bytes:
            raise Refused(TOO_LARGE)


def shown(name: str) -> str:
    """A student-chosen name as one printable line."""
    return "".join(ch if ch.isprintable() else "?" for ch in name)[:80]


def check_student_id(student: str) -> None:
    if not STUDENT_ID.fullmatch(student):
        raise Refused(f"its student id {shown(student)!r} is not a plain folder name")


def check_relative_path(path: str) -> list[str]:
    """The parts of a path that must stay inside its folder (an archive member, a file id)."""
    parts = re.split(r"[\\/]", path)
    if path.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", path):
        raise Refused(f"{shown(path)} is an absolute path")
    parts = [p for p in parts if p not in ("", ".")]
    if ".." in parts:
        raise Refused(f"{shown(path)} leads out of its folder (..)")
    if not parts or any("\0" in p for p in parts):
        raise Refused(f"{shown(path)} is not a file name")
    if len(parts) > MAX_DEPTH:
        raise Refused(f"it nests folders more than {MAX_DEPTH} deep ({shown(path)})")
    return parts


def copy_stream(source: BinaryIO, dest: Path, budget: Budget) -> None:
    """Write a new private file from a stream, counting every byte against the budget."""
    with open(os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600), "wb") as out:
        while chunk := source.read(1 << 20):
            budget.spend(len(chunk))
            out.write(chunk)


def copy_file(name: str, dir_fd: int, dest: Path, budget: Budget, shown_path: str) -> float:
    """Copy one plain file found in `dir_fd`; returns its inode change time."""
    mode = os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode
    if stat.S_ISLNK(mode):
        raise Refused(f"it contains a symbolic link ({shown_path})")
    if not stat.S_ISREG(mode):  # never opened: a FIFO blocks, a device may act on open
        raise Refused(f"{shown_path} is not a plain file")
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
    except OSError as error:
        raise Refused(f"{shown_path} is not a plain file ({error.strerror})") from None
    with os.fdopen(fd, "rb") as source:
        info = os.fstat(fd)  # the file opened, not the one looked at before
        if not stat.S_ISREG(info.st_mode):
            raise Refused(f"{shown_path} is not a plain file")
        if info.st_nlink != 1:
            raise Refused(f"{shown_path} is a hard link to another file")
        budget.declared(info.st_size)
        copy_stream(source, dest, budget)
    return info.st_ctime


def open_folder(name: str | Path, dir_fd: int | None = None, shown_path: str = "") -> int:
    """A descriptor of a real folder (never a link to one)."""
    try:
        return os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dir_fd)
    except OSError as error:
        what = shown_path or shown(str(name))
        if os.path.islink(name) if dir_fd is None else _is_link(name, dir_fd):
            raise Refused(f"it contains a symbolic link ({what})") from None
        raise Refused(f"{what} is not a folder ({error.strerror})") from None


def _is_link(name: str | Path, dir_fd: int) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def _raise(error: OSError) -> None:
    raise error  # os.fwalk skips folders it cannot read unless told otherwise


def copy_tree(top: int, dest: Path, budget: Budget) -> float:
    """Copy the folder open as `top` into the existing `dest`: plain files and folders only,
    never following a link. Returns the latest inode change time seen (the folder's included)."""
    newest = os.fstat(top).st_ctime
    for walked, dirs, files, dir_fd in os.fwalk(".", dir_fd=top, follow_symlinks=False, onerror=_raise):
        relative = os.path.normpath(walked)
        if relative != "." and relative.count("/") + 1 > MAX_DEPTH:
            raise Refused(f"it nests folders more than {MAX_DEPTH} deep")
        here = dest / relative
        for name in [*dirs, *files]:
            budget.entry()
            shown_path = shown(name if relative == "." else f"{relative}/{name}")
            if stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode):
                raise Refused(f"it contains a symbolic link ({shown_path})")
            if name in dirs:
                (here / name).mkdir(mode=0o700)
            else:
                newest = max(newest, copy_file(name, dir_fd, here / name, budget, shown_path))
        newest = max(newest, os.fstat(dir_fd).st_ctime)
    return newest


def utc(seconds: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC).replace(tzinfo=None)


def staging_folder(parent: Path) -> Path:
    """A private folder next to where a submission will go (so a rename puts it in place)."""
    parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=".collecting-", dir=parent))


def replace(dest: Path, staged: Path) -> None:
    """Put a complete staged copy at `dest`, replacing an earlier one."""
    try:
        if dest.exists() or dest.is_symlink():
            if dest.is_dir() and not dest.is_symlink():
                shutil.rmtree(dest)
            else:
                dest.unlink()
        dest.parent.mkdir(parents=True, exist_ok=True)
        staged.rename(dest)
    finally:
        shutil.rmtree(staged, ignore_errors=True)  # only if the rename did not happen


def remove_if_empty(folder: Path) -> None:
    """Leave nothing behind when a collect that created `folder` collected nothing."""
    try:
        folder.rmdir()
    except OSError:
        pass  # not empty, or already gone


def as_refusal(error: Exception) -> Refused:
    """Any failure while copying one submission, as a refusal of that submission only."""
    if isinstance(error, Refused):
        return error
    return Refused(f"it could not be copied ({shown(type(error).__name__ + ': ' + str(error))})")
