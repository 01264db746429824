"""Collect from nbgrader's exchange without trusting what students put there.

Students write their submissions into the exchange's inbound folder themselves, so a
submission can hold anything: a symbolic link to the course's solutions or gradebook, a
FIFO that blocks the copy, gigabytes or a million files, folder modes that stop the next
collect, a made-up date, or another student's name. So:

- a folder counts only if it is a real folder named like nbgrader's
  `<student>+<assignment>+<timestamp>+...` for a plain student id, and, where students
  are accounts, owned by the student it names;
- it counts once `nbgrader submit` has finished writing it: its last file,
  submission_secret.txt, is there (a folder copied halfway would be graded without its
  notebook and, its name unchanged, never collected again); until then the student's
  earlier submission is their latest;
- it is copied by coursetools/workflow/safe_copy.py (no links, plain files only, size, entry and
  depth limits, a private staging folder), and only then replaces
  submitted/<student>/<assignment>/.

When a submission was made is the grader's observation, never the student's claim. The
date in the folder's name, the timestamp.txt inside and every file's modification time
are written by the student (`os.utime` sets mtime to any date). The inode change time
(st_ctime) is not: the kernel sets it to the current time whenever the folder or file is
created or changed, and no call lets a user set it, so it can only move later, which only
makes a submission later. So each student's latest submission is the folder whose ctime
is latest (a folder named for 2099 made earlier cannot shadow one really written later,
where students are accounts or not), and the timestamp.txt collected into submitted/
(nbgrader's late penalties read it) is written by the grader: the latest ctime of the
folder and everything in it. Recording when the grader first saw a folder would need a
grader running at every submission, and a collect run after the deadline would see every
folder at once; ctime needs no state. One caveat: copying or restoring the exchange
(cp -a, a backup) gives every folder a new ctime, so collect before moving it.

Where student ids are not accounts (one shared account, or a hub's own users), anyone can
write a folder under any student's name; nothing in the exchange can tell who wrote it,
so only a later real submission wins over it.

`./course collect` reports each refusal; SafeExchangeCollect replaces nbgrader's collect
(the formgrader's Collect button, `nbgrader collect`) with the same code.
"""

from __future__ import annotations

import os
import pwd
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

from nbgrader.exchange.default.collect import ExchangeCollect
from traitlets import Integer

import course_config
from coursetools.course import translations
from coursetools.workflow.safe_copy import (
    TIMESTAMP_FORMAT,
    Budget,
    Collection,
    Refused,
    as_refusal,
    check_student_id,
    copy_tree,
    open_folder,
    remove_if_empty,
    replace,
    shown,
    staging_folder,
    utc,
)

__all__ = ["Collection", "Refused", "collect", "latest_submissions"]


COMPLETE_MARK = "submission_secret.txt"  # the last file `nbgrader submit` writes into its folder


class StillWriting(Exception):
    """`nbgrader submit` has not finished writing the folder."""


@dataclass
class Candidate:
    student: str
    observed_ns: int  # the folder's inode change time: when the grader can tell it was written
    folder: Path


def latest_submissions(inbound: Path, assignment: str) -> tuple[dict[str, Candidate], dict[str, str], list[str]]:
    """(student -> their latest valid submission, folder name -> why it was ignored, folders
    `nbgrader submit` is still writing). A student's
    submissions of every language's release of the assignment (translations.py: <id>-zh-CN in the
    exchange) count as submissions of the one assignment: the latest is graded, whatever its language."""
    latest: dict[str, Candidate] = {}
    ignored: dict[str, str] = {}
    waiting: list[str] = []
    releases = [folder.name for folder in translations.release_folders(course_config.COURSE_ROOT, assignment).values()]
    folders = sorted({f for release in releases for f in inbound.glob(f"*+{release}+*")}) if inbound.is_dir() else []
    for folder in folders:
        try:
            candidate = _candidate(folder, releases)
        except StillWriting:
            waiting.append(shown(folder.name))
            continue
        except Refused as why:
            ignored[shown(folder.name)] = str(why)
            continue
        if candidate and (
            candidate.student not in latest or candidate.observed_ns > latest[candidate.student].observed_ns
        ):
            latest[candidate.student] = candidate
    return latest, ignored, waiting


def _candidate(folder: Path, releases: list[str]) -> Candidate | None:
    parts = folder.name.rsplit("+", 3)  # as nbgrader reads it: student id first; the date is not used
    if len(parts) < 3 or parts[1] not in releases:
        return None  # another assignment whose name shares a part with this one
    student = parts[0]
    try:
        check_student_id(student)
    except Refused:
        raise Refused("its student id is not a plain name") from None
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode):
        raise Refused("it is not a folder")
    _check_owner(info.st_uid, student)
    try:
        complete = stat.S_ISREG((folder / COMPLETE_MARK).lstat().st_mode)
    except OSError:
        complete = False
    if not complete:
        raise StillWriting
    return Candidate(student, info.st_ctime_ns, folder)


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
    latest, ignored, waiting = latest_submissions(inbound, assignment)
    had_submitted = submitted.exists()
    result = Collection(refused={f"folder {name}": why for name, why in ignored.items()}, waiting=waiting)
    for student, candidate in sorted(latest.items()):
        dest = submitted / student / assignment
        if _collected_from(dest) == candidate.folder.name:
            result.unchanged.append(student)
            continue
        try:
            replace(dest, _stage(candidate, submitted, max_bytes))
        except Refused as why:
            result.refused[student] = str(why)
            continue
        except OSError as error:
            result.refused[student] = f"its earlier collected copy could not be replaced ({error})"
            continue
        result.collected.append(student)
    if not had_submitted:
        remove_if_empty(submitted)
    return result


SOURCE_FILE = ".collected-from"  # which exchange folder a collected submission came from


def _collected_from(dest: Path) -> str | None:
    try:
        return (dest / SOURCE_FILE).read_text().strip()
    except OSError:
        return None


def _stage(candidate: Candidate, submitted: Path, max_bytes: int) -> Path:
    """A private, checked copy of the submission, next to where it will go."""
    staged = staging_folder(submitted)
    try:
        top = open_folder(candidate.folder)
        try:
            _check_owner(os.fstat(top).st_uid, candidate.student)  # the folder opened, not the one looked at
            newest_change = copy_tree(top, staged, Budget(max_bytes))
        finally:
            os.close(top)
        # the grader's observation replaces the student's timestamp.txt (see the module's docstring)
        (staged / "timestamp.txt").unlink(missing_ok=True)
        (staged / "timestamp.txt").write_text(utc(newest_change).strftime(TIMESTAMP_FORMAT))
        (staged / SOURCE_FILE).unlink(missing_ok=True)
        (staged / SOURCE_FILE).write_text(candidate.folder.name)
        return staged
    except Exception as error:  # a hostile folder must never stop the other students' collect
        shutil.rmtree(staged, ignore_errors=True)
        raise as_refusal(error) from None


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
        for name in result.waiting:
            self.log.info("Still being written by nbgrader submit, collected next time: %s", name)
        for who, why in result.refused.items():
            self.log.error("Not collected: %s: %s; ask the student to submit again.", who, why)
        if not (result.collected or result.unchanged or result.refused):
            self.log.warning("No submissions of '%s' to collect", self.coursedir.assignment_id)
