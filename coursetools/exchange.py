"""Collect from nbgrader's exchange without trusting what students put there.

Students write their submissions into the exchange's inbound folder themselves, so a
submission can hold anything: a symbolic link to the course's solutions or gradebook
(nbgrader's collect copies what a link points to, with the instructor's rights, and the
grader would hand it to the student's code), a FIFO that blocks the copy, gigabytes of
data, or another student's name. Each student's latest submission (nbgrader's naming:
`<student>+<assignment>+<timestamp>+<random>`) is copied without following links into a
private folder, checked there, where the student can no longer change it, and only
then replaces submitted/<student>/<assignment>/. `./course collect` reports each refusal;
SafeExchangeCollect gives nbgrader's own collect (the formgrader's Collect button,
`nbgrader collect`) the same checks.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.utils import parse_utc
from traitlets import Integer

# A student id that is a plain folder name (no "..", no hidden folder).
STUDENT_ID = re.compile(r"[A-Za-z0-9_@-][A-Za-z0-9_.@-]*")


class Refused(Exception):
    """Why a submission is not collected, in words the instructor can pass on."""


@dataclass
class Collection:
    collected: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # already collected, nothing newer
    refused: dict[str, str] = field(default_factory=dict)


def latest_submissions(inbound: Path, assignment: str) -> dict[str, tuple[str, Path]]:
    """student -> (timestamp, folder) of their latest submission of `assignment`, read as
    nbgrader's collect reads the names (student id first, timestamp third)."""
    latest: dict[str, tuple] = {}
    for folder in inbound.glob(f"*+{assignment}+*") if inbound.is_dir() else []:
        parts = folder.name.rsplit("+", 3)
        if len(parts) < 3 or parts[1] != assignment or not STUDENT_ID.fullmatch(parts[0]):
            continue
        student, timestamp = parts[0], parts[2]
        try:
            when = parse_utc(timestamp)
        except (ValueError, OverflowError):
            continue
        if student not in latest or when > latest[student][0]:
            latest[student] = (when, timestamp, folder)
    return {student: (timestamp, folder) for student, (_, timestamp, folder) in latest.items()}


def collect(inbound: Path, submitted: Path, assignment: str, max_bytes: int) -> Collection:
    """Copy each student's latest submission into submitted/<student>/<assignment>/."""
    result = Collection()
    for student, (timestamp, folder) in sorted(latest_submissions(inbound, assignment).items()):
        dest = submitted / student / assignment
        if _collected_timestamp(dest) == timestamp:
            result.unchanged.append(student)
            continue
        try:
            _check_owner(folder, student)
            staged = _stage(folder, submitted, max_bytes)
        except Refused as why:
            result.refused[student] = str(why)
            continue
        if dest.exists():
            shutil.rmtree(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        staged.rename(dest)
        result.collected.append(student)
    return result


def _collected_timestamp(dest: Path) -> str | None:
    try:
        return (dest / "timestamp.txt").read_text().strip()
    except OSError:
        return None


def _check_owner(folder: Path, student: str) -> None:
    """On a server where students are accounts, a folder must be written by its student."""
    try:
        account = pwd.getpwnam(student)
    except KeyError:
        return  # student ids are not accounts here (one shared account, or a hub's own users)
    owner = folder.lstat().st_uid
    if owner != account.pw_uid:
        try:
            name = pwd.getpwuid(owner).pw_name
        except KeyError:
            name = str(owner)
        raise Refused(f"it claims to be {student}'s but was written by the account {name}")


def _stage(folder: Path, submitted: Path, max_bytes: int) -> Path:
    """A private copy of the submission, links copied as links, then checked."""
    submitted.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".collecting-", dir=submitted))
    copy = staging / "submission"
    budget = {"left": max_bytes}
    try:
        if folder.is_symlink() or not folder.is_dir():
            raise Refused("it is not a folder")
        shutil.copytree(folder, copy, symlinks=True, copy_function=lambda s, d: _copy_regular(s, d, budget))
        links = [p.relative_to(copy).as_posix() for p in copy.rglob("*") if p.is_symlink()]
        if links:
            raise Refused(f"it contains symbolic links ({', '.join(links[:3])}); only plain files are collected")
    except Refused:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    except (OSError, shutil.Error) as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise Refused(f"it could not be copied ({str(error)[:200]})") from None
    final = staging.with_name(staging.name + "-ok")
    copy.rename(final)
    staging.rmdir()
    return final


def _copy_regular(src: str, dst: str, budget: dict) -> str:
    """Copy one regular file, never blocking on a FIFO or device, within the size budget."""
    try:
        fd = os.open(src, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        raise Refused(f"{Path(src).name} cannot be read as a plain file ({error.strerror})") from None
    with os.fdopen(fd, "rb") as source:
        if not stat.S_ISREG(os.fstat(source.fileno()).st_mode):
            raise Refused(f"{Path(src).name} is not a plain file")
        with open(dst, "wb") as out:
            while chunk := source.read(1 << 20):
                budget["left"] -= len(chunk)
                if budget["left"] < 0:
                    raise Refused("it is larger than the course's limit for one submission (SUBMISSION_MAX_MB)")
                out.write(chunk)
    return dst


class SafeExchangeCollect(ExchangeCollect):
    """nbgrader's collect, copying each submission with the checks above."""

    max_bytes = Integer(100_000_000, help="Largest submission collected, in bytes.").tag(config=True)

    def do_copy(self, src, dest, log=None):
        student = Path(src).name.rsplit("+", 3)[0]
        try:
            if not STUDENT_ID.fullmatch(student):
                raise Refused("its student id is not a plain name")
            _check_owner(Path(src), student)
            staged = _stage(Path(src), Path(dest).parent, self.max_bytes)
        except Refused as why:
            self.log.error("Not collected: %s's submission, because %s; ask them to submit again.", student, why)
            try:
                Path(dest).parent.rmdir()  # the student's folder nbgrader made for it, if empty
            except OSError:
                pass
            return
        staged.rename(dest)
