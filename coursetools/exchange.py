"""Collect from nbgrader's exchange without trusting what students put there.

Students write their submissions into the exchange's inbound folder themselves, so a
submission can hold anything: a symbolic link to the course's solutions or gradebook
(nbgrader's collect copies what a link points to, with the instructor's rights, and the
grader would hand it to the student's code), a FIFO that blocks the copy, gigabytes or
a million files, folder modes that stop the next collect, a made-up timestamp, or
another student's name. So:

- a folder counts only if it is a real folder whose owner is the student it names (where
  students are accounts) and whose name is nbgrader's `<student>+<assignment>+<timestamp>+...`;
  the latest such folder per student is collected;
- it is copied through file descriptors that never follow a link (`os.fwalk`, `O_NOFOLLOW`),
  plain files only (one link each), within size, entry and depth limits, into a private
  staging folder with the instructor's modes; anything else refuses the submission;
- its timestamp.txt is written from the folder's name unless the files were changed more
  than CLOCK_SLACK later, in which case the time of that change counts (late penalties);
- only then does it replace submitted/<student>/<assignment>/.

`./course collect` reports each refusal; SafeExchangeCollect replaces nbgrader's collect
(the formgrader's Collect button, `nbgrader collect`) with the same code.
"""

from __future__ import annotations

import datetime
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
MAX_ENTRIES = 10_000  # files and folders in one submission
MAX_DEPTH = 20
CLOCK_SLACK = datetime.timedelta(minutes=5)
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"  # nbgrader's, for its UTC times


class Refused(Exception):
    """Why a submission is not collected, in words the instructor can pass on."""


@dataclass
class Collection:
    collected: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # already collected, nothing newer
    refused: dict[str, str] = field(default_factory=dict)


@dataclass
class Candidate:
    student: str
    timestamp: datetime.datetime
    folder: Path


def shown(name: str) -> str:
    """A student-chosen name as one printable line."""
    return "".join(ch if ch.isprintable() else "?" for ch in name)[:80]


def latest_submissions(inbound: Path, assignment: str) -> tuple[dict[str, Candidate], dict[str, str]]:
    """(student -> their latest valid submission, folder name -> why it was ignored)."""
    latest: dict[str, Candidate] = {}
    ignored: dict[str, str] = {}
    for folder in inbound.glob(f"*+{assignment}+*") if inbound.is_dir() else []:
        try:
            candidate = _candidate(folder, assignment)
        except Refused as why:
            ignored[shown(folder.name)] = str(why)
            continue
        if candidate and (candidate.student not in latest or candidate.timestamp > latest[candidate.student].timestamp):
            latest[candidate.student] = candidate
    return latest, ignored


def _candidate(folder: Path, assignment: str) -> Candidate | None:
    parts = folder.name.rsplit("+", 3)  # as nbgrader reads it: student id first, timestamp third
    if len(parts) < 3 or parts[1] != assignment:
        return None  # another assignment whose name shares a part with this one
    student = parts[0]
    if not STUDENT_ID.fullmatch(student):
        raise Refused("its student id is not a plain name")
    try:
        when = parse_utc(parts[2])
    except Exception:  # dateutil raises several kinds for made-up text
        raise Refused("its timestamp is not a date") from None
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode):
        raise Refused("it is not a folder")
    _check_owner(info.st_uid, student)
    return Candidate(student, when, folder)


def _check_owner(uid: int, student: str) -> None:
    """On a server where students are accounts, a folder must be written by its student."""
    try:
        account = pwd.getpwnam(student)
    except KeyError:
        return  # student ids are not accounts here (one shared account, or a hub's own users)
    if uid != account.pw_uid:
        try:
            name = pwd.getpwuid(uid).pw_name
        except KeyError:
            name = str(uid)
        raise Refused(f"it claims to be {student}'s but was written by the account {name}")


def collect(inbound: Path, submitted: Path, assignment: str, max_bytes: int) -> Collection:
    """Copy each student's latest submission into submitted/<student>/<assignment>/."""
    latest, ignored = latest_submissions(inbound, assignment)
    result = Collection(refused={f"folder {name}": why for name, why in ignored.items()})
    for student, candidate in sorted(latest.items()):
        dest = submitted / student / assignment
        if _collected_from(dest) == candidate.folder.name:
            result.unchanged.append(student)
            continue
        try:
            _replace(dest, _stage(candidate, submitted, max_bytes))
        except Refused as why:
            result.refused[student] = str(why)
            continue
        except OSError as error:
            result.refused[student] = f"its earlier collected copy could not be replaced ({error})"
            continue
        result.collected.append(student)
    return result


SOURCE_FILE = ".collected-from"  # which exchange folder a collected submission came from


def _collected_from(dest: Path) -> str | None:
    try:
        return (dest / SOURCE_FILE).read_text().strip()
    except OSError:
        return None


def _replace(dest: Path, staged: Path) -> None:
    try:
        if dest.exists():
            shutil.rmtree(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        staged.rename(dest)
    finally:
        shutil.rmtree(staged, ignore_errors=True)  # only if the rename did not happen


def _stage(candidate: Candidate, submitted: Path, max_bytes: int) -> Path:
    """A private, checked copy of the submission, next to where it will go."""
    submitted.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=".collecting-", dir=submitted))
    try:
        newest_change = _copy_tree(candidate, staged, max_bytes)
        when = candidate.timestamp
        if newest_change > when + CLOCK_SLACK:  # changed after the time it claims: that change counts
            when = newest_change
        (staged / "timestamp.txt").write_text(when.strftime(TIMESTAMP_FORMAT))
        (staged / SOURCE_FILE).write_text(candidate.folder.name)
        return staged
    except Refused:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    except Exception as error:  # a hostile folder must never stop the other students' collect
        shutil.rmtree(staged, ignore_errors=True)
        raise Refused(f"it could not be copied ({shown(type(error).__name__ + ': ' + str(error))})") from None


def _copy_tree(candidate: Candidate, dest: Path, max_bytes: int) -> datetime.datetime:
    """Copy plain files and folders only, never following a link; returns the latest change time."""
    top = os.open(candidate.folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        info = os.fstat(top)
        _check_owner(info.st_uid, candidate.student)  # the folder opened, not the one looked at before
        newest, entries, left = info.st_ctime, 0, max_bytes
        for walked, dirs, files, dir_fd in os.fwalk(".", dir_fd=top, follow_symlinks=False):
            relative = os.path.normpath(walked)
            if relative != "." and relative.count("/") + 1 > MAX_DEPTH:
                raise Refused(f"it nests folders more than {MAX_DEPTH} deep")
            here = dest / relative
            for name in [*dirs, *files]:
                entries = _count(entries)
                shown_path = shown(name if relative == "." else f"{relative}/{name}")
                if stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode):
                    raise Refused(f"it contains a symbolic link ({shown_path})")
                if name in dirs:
                    (here / name).mkdir(mode=0o700)
                else:
                    changed, size = _copy_file(name, dir_fd, here / name, left, shown_path)
                    newest, left = max(newest, changed), left - size
            newest = max(newest, os.fstat(dir_fd).st_ctime)
        return datetime.datetime.fromtimestamp(newest, datetime.UTC).replace(tzinfo=None)
    finally:
        os.close(top)


def _count(entries: int) -> int:
    if entries >= MAX_ENTRIES:
        raise Refused(f"it holds more than {MAX_ENTRIES} files and folders")
    return entries + 1


def _copy_file(name: str, dir_fd: int, dest: Path, budget: int, shown_path: str) -> tuple[float, int]:
    """Copy one plain file; returns (its change time, its size)."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
    except OSError as error:
        raise Refused(f"{shown_path} is not a plain file ({error.strerror})") from None
    with os.fdopen(fd, "rb") as source:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Refused(f"{shown_path} is not a plain file")
        if info.st_nlink != 1:
            raise Refused(f"{shown_path} is a hard link to another file")
        copied = 0
        with open(os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
            while chunk := source.read(1 << 20):
                copied += len(chunk)
                if copied > budget:
                    raise Refused("it is larger than the course's limit for one submission (SUBMISSION_MAX_MB)")
                out.write(chunk)
    return info.st_ctime, copied


class SafeExchangeCollect(ExchangeCollect):
    """nbgrader's collect (the formgrader's Collect button, `nbgrader collect`) done by collect() above."""

    max_bytes = Integer(100_000_000, help="Largest submission collected, in bytes.").tag(config=True)

    def init_src(self):
        if self.coursedir.course_id == "":
            self.fail("No course id specified. Re-run with --course flag.")
        self.inbound_path = os.path.join(self.root, self.coursedir.course_id, "inbound")
        if not os.path.isdir(self.inbound_path):
            self.fail(f"Course not found: {self.inbound_path}")

    def copy_files(self):
        submitted = Path(self.coursedir.root) / self.coursedir.submitted_directory
        result = collect(Path(self.inbound_path), submitted, self.coursedir.assignment_id, self.max_bytes)
        for student in result.collected:
            self.log.info("Collected the latest submission of %s", student)
        for student in result.unchanged:
            self.log.info("No newer submission to collect: %s", student)
        for who, why in result.refused.items():
            self.log.error("Not collected: %s: %s; ask the student to submit again.", who, why)
        if not (result.collected or result.unchanged or result.refused):
            self.log.warning("No submissions of '%s' to collect", self.coursedir.assignment_id)
