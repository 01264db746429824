"""`./course collect PATH`: submissions from a folder or from LMS downloads, copied safely.

PATH holds what students handed in, in one of nbgrader's two layouts:
- nbgrader's own: PATH/<student>/<assignment>/... (examples/submitted, another course copy);
- LMS downloads: files whose names SUBMISSION_FILENAME_PATTERN matches (by default
  <student>_<notebook>.ipynb), loose in PATH (at any depth) or inside .zip files; PATH may
  also be one .zip or one notebook.

Everything is read by coursetools/workflow/safe_copy.py's rules (no links, plain files with one
link, SUBMISSION_MAX_MB, entry and depth limits per student, private staging). Zips are
read with zipfile, never unpacked by a library: a member is refused if its path is absolute
or climbs out with "..", if its mode says link, FIFO or device, if it nests too deep, or if
a student's members declare or really expand to more than the budget (a zip bomb can lie
in its headers; the bytes counted while writing are what hold). Only members that name a
student are written, each into a private holding folder, then moved into that student's
staged submission. An archive inside an archive is not extracted (nbgrader's zip_collect
does): it is reported so the instructor can unzip it and collect the folder.

Files are matched to students by nbgrader's FileNameCollectorPlugin with the course's
pattern, on the path nbgrader's zip_collect would give it (<course>/downloaded/<assignment>/
extracted/<relative path, a zip's name without .zip standing for its folder>/<member>), so
an instructor's pattern works unchanged; its optional timestamp group (set by the LMS)
chooses between two files for the same notebook and is written to timestamp.txt, as
nbgrader does. A refusal names the student, or the file when no student can be told; the
other students are collected.
"""

from __future__ import annotations

import logging
import os
import shutil
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.plugins.zipcollect import FileNameCollectorPlugin
from nbgrader.utils import parse_utc

from coursetools.errors import CommandError
from coursetools.workflow.safe_copy import (
    MAX_DEPTH,
    Budget,
    Collection,
    Refused,
    as_refusal,
    check_relative_path,
    check_student_id,
    copy_stream,
    copy_tree,
    open_folder,
    remove_if_empty,
    replace,
    shown,
    staging_folder,
)

ARCHIVE_SUFFIXES = (".zip",)


def collect_path(source: Path, root: Path, assignment: str, max_bytes: int, pattern: str) -> Collection:
    """Copy the submissions in `source` into root/submitted/<student>/<assignment>/."""
    submitted = root / "submitted"
    source = source.resolve()  # the path the instructor named; links inside it are never followed
    had_submitted = submitted.exists()
    try:
        if source.is_dir() and _is_nbgrader_layout(source, assignment):
            return _collect_layout(source, submitted, assignment, max_bytes)
        extracted = str(root / "downloaded" / assignment / "extracted")  # only named, never created
        return Downloads(submitted, assignment, max_bytes, pattern, extracted).collect(source)
    finally:
        if not had_submitted:
            remove_if_empty(submitted)


# -- nbgrader's layout: <student>/<assignment>/... --------------------------------------
def _is_nbgrader_layout(source: Path, assignment: str) -> bool:
    with os.scandir(source) as entries:
        return any(e.is_dir(follow_symlinks=False) and os.path.lexists(Path(e.path) / assignment) for e in entries)


def _collect_layout(source: Path, submitted: Path, assignment: str, max_bytes: int) -> Collection:
    result = Collection()
    top = os.open(source, os.O_RDONLY | os.O_DIRECTORY)  # the folder the instructor named
    try:
        with os.scandir(top) as listing:
            entries = sorted(listing, key=lambda e: e.name)
        for entry in entries:
            name = entry.name
            if entry.is_symlink():
                result.refused[shown(name)] = f"it is a symbolic link ({shown(name)}), not a folder"
                continue
            if not entry.is_dir(follow_symlinks=False) or not _has(top, name, assignment):
                continue  # a loose file, or a student without this assignment
            try:
                check_student_id(name)
                staged = staging_folder(submitted)
                try:
                    _copy_student_folder(top, name, assignment, staged, Budget(max_bytes))
                    replace(submitted / name / assignment, staged)
                finally:
                    shutil.rmtree(staged, ignore_errors=True)
            except Exception as error:  # one student's folder never stops the others'
                result.refused[shown(name)] = str(as_refusal(error))
                continue
            result.collected.append(name)
    finally:
        os.close(top)
    return result


def _has(top: int, name: str, assignment: str) -> bool:
    try:
        os.stat(f"{name}/{assignment}", dir_fd=top, follow_symlinks=False)
    except OSError:
        return False
    return True


def _copy_student_folder(top: int, student: str, assignment: str, staged: Path, budget: Budget) -> None:
    student_fd = open_folder(student, top, student)
    try:
        assignment_fd = open_folder(assignment, student_fd, f"{student}/{assignment}")
        try:
            copy_tree(assignment_fd, staged, budget)
        finally:
            os.close(assignment_fd)
    finally:
        os.close(student_fd)


# -- LMS downloads: <student>_<notebook> files, loose or zipped ----------------------------
@dataclass
class Held:
    """One student's file, copied into the holding folder."""

    file_id: str
    timestamp: object  # datetime or None
    path: Path
    origin: str


@dataclass
class Downloads:
    submitted: Path
    assignment: str
    max_bytes: int
    pattern: str
    extracted: str  # where nbgrader would have extracted the downloads (never created)
    held: dict[str, list[Held]] = field(default_factory=dict)
    budgets: dict[str, Budget] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)  # student, or "file <path>" -> why
    refused_students: set[str] = field(default_factory=set)
    skipped: list[str] = field(default_factory=list)
    matches: dict[str, tuple | None] = field(default_factory=dict)  # path -> _match(path)

    def __post_init__(self):
        quiet = logging.getLogger("coursetools.collect")
        quiet.addHandler(logging.NullHandler())
        quiet.propagate = False
        self.plugin = FileNameCollectorPlugin(named_regexp=self.pattern, log=quiet)

    def collect(self, source: Path) -> Collection:
        self.holding = staging_folder(self.submitted)
        try:
            if source.is_dir():
                self._walk(source)
            else:
                parent = os.open(source.parent, os.O_RDONLY | os.O_DIRECTORY)
                try:
                    self._file(parent, source.name, source.name)
                finally:
                    os.close(parent)
            return self._deliver()
        finally:
            shutil.rmtree(self.holding, ignore_errors=True)

    # finding files
    def _walk(self, source: Path) -> None:
        top = os.open(source, os.O_RDONLY | os.O_DIRECTORY)  # the folder the instructor named
        try:
            walk = os.fwalk(".", dir_fd=top, follow_symlinks=False, onerror=self._unreadable)
            for walked, dirs, files, dir_fd in walk:
                relative = os.path.normpath(walked)
                depth = 0 if relative == "." else relative.count("/") + 1
                for name in sorted([*dirs, *files]):
                    path = name if relative == "." else f"{relative}/{name}"
                    try:
                        mode = os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode
                    except OSError as error:
                        self._refuse(path, path, f"{shown(path)} could not be read ({error.strerror})")
                        continue
                    if stat.S_ISDIR(mode) and name in dirs:
                        if depth + 1 > MAX_DEPTH:
                            self._refuse(path, path, f"it nests folders more than {MAX_DEPTH} deep ({shown(path)})")
                            dirs.remove(name)
                        continue
                    if name in dirs:
                        dirs.remove(name)  # a link to a folder: never entered
                    self._file(dir_fd, name, path)
        finally:
            os.close(top)

    def _unreadable(self, error: OSError) -> None:
        name = str(error.filename or "a folder")
        self._refuse(name, name, f"{shown(name)} could not be read ({error.strerror})")

    def _file(self, dir_fd: int, name: str, path: str) -> None:
        """One entry of the downloads: a notebook, a zip, or something refused."""
        mode = os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode
        if stat.S_ISLNK(mode):
            return self._refuse(path, path, f"it is a symbolic link ({shown(path)})")
        if not stat.S_ISREG(mode):
            return self._refuse(path, path, f"{shown(path)} is not a plain file")
        if name.endswith(ARCHIVE_SUFFIXES):
            return self._archive(dir_fd, name, path)
        match = self._match(path)
        if match is None:
            self.skipped.append(shown(path))
            return
        student, file_id, timestamp = match

        def copy(dest: Path, budget: Budget) -> None:
            fd = _open_plain_file(name, dir_fd, path)
            with os.fdopen(fd, "rb") as source:
                budget.declared(os.fstat(fd).st_size)
                copy_stream(source, dest, budget)

        self._hold(student, file_id, timestamp, path, copy)

    def _archive(self, dir_fd: int, name: str, path: str) -> None:
        stem = os.path.splitext(path)[0]  # nbgrader extracts a.zip into the folder a/
        try:
            fd = _open_plain_file(name, dir_fd, path)
        except Refused as why:
            return self._refuse(path, path, str(why))
        with os.fdopen(fd, "rb") as handle:
            try:
                archive = zipfile.ZipFile(handle)
            except (zipfile.BadZipFile, OSError, ValueError, EOFError):
                return self._refuse(
                    path, path, "it is not a zip archive (damaged or renamed?); download it again from the LMS"
                )
            with archive:
                members = [(m, f"{stem}/{m.filename}", f"{path}:{m.filename}") for m in archive.infolist()]
                self._refuse_declared_excess(members)
                for member, member_path, origin in members:
                    self._member(archive, member, member_path, origin)

    def _refuse_declared_excess(self, members: list) -> None:
        """Before writing anything, refuse students whose members declare too many files or bytes."""
        declared: dict[str, Budget] = {}
        for member, member_path, _ in members:
            match = None if member.is_dir() else self._match(member_path)
            if match and match[0] not in self.refused_students and _plain_student(match[0]):
                budget = self.budgets.get(match[0], Budget(self.max_bytes))
                total = declared.setdefault(
                    match[0], Budget(self.max_bytes, budget.max_entries, budget.entries, budget.written)
                )
                try:
                    total.entry()
                    total.spend(member.file_size)
                except Refused as why:
                    self._refuse_student(match[0], str(why))

    def _member(self, archive: zipfile.ZipFile, member: zipfile.ZipInfo, path: str, origin: str) -> None:
        mode = member.external_attr >> 16
        try:
            check_relative_path(member.filename)
            if stat.S_ISLNK(mode):
                raise Refused(f"it contains a symbolic link ({shown(origin)})")
            if stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
                raise Refused(f"{shown(origin)} is not a plain file")
        except Refused as why:
            return self._refuse(path, origin, str(why))
        if member.is_dir():
            return None
        if member.filename.endswith(ARCHIVE_SUFFIXES):
            return self._refuse(path, origin, "it is an archive inside an archive: unzip it and collect the folder")
        match = self._match(path)
        if match is None:
            self.skipped.append(shown(origin))
            return None
        student, file_id, timestamp = match

        def copy(dest: Path, budget: Budget) -> None:
            budget.declared(member.file_size)
            with archive.open(member) as source:  # zipfile also stops at the declared size and checks the CRC
                copy_stream(source, dest, budget)

        return self._hold(student, file_id, timestamp, origin, copy)

    def _match(self, path: str) -> tuple[str, str, object] | None:
        """(student, file id, timestamp or None) from nbgrader's plugin, or None if no student is named."""
        if path in self.matches:
            return self.matches[path]
        self.matches[path] = self._plugin_match(path)
        return self.matches[path]

    def _plugin_match(self, path: str) -> tuple[str, str, object] | None:
        info = self.plugin.collect(f"{self.extracted}/{path}")
        if not info:
            return None
        for key in ("student_id", "file_id"):
            if not isinstance(info.get(key), str):
                raise CommandError(
                    f"SUBMISSION_FILENAME_PATTERN in course_config.py must name the groups student_id and file_id "
                    f"(it matched {shown(path)} without {key})."
                )
        return info["student_id"], info["file_id"], info.get("timestamp")

    def _refuse(self, path: str, origin: str, why: str) -> None:
        """Refuse the student a file names (all of their files), or just this file."""
        match = self._match(path)
        if match and _plain_student(match[0]):
            self._refuse_student(match[0], why)
        else:
            self.refused.setdefault(f"file {shown(origin)}", why)

    def _refuse_student(self, student: str, why: str) -> None:
        self.refused.setdefault(student, why)
        self.refused_students.add(student)
        self.held.pop(student, None)
        shutil.rmtree(self.holding / student, ignore_errors=True)

    def _hold(self, student: str, file_id: str, timestamp, origin: str, copy) -> None:
        if not _plain_student(student):
            self.refused.setdefault(
                f"file {shown(origin)}", f"its student id {shown(student)!r} is not a plain folder name"
            )
            return
        if student in self.refused_students:
            return
        try:
            check_relative_path(file_id)
            if isinstance(timestamp, str):
                try:
                    timestamp = parse_utc(timestamp) if timestamp else None
                except Exception:  # dateutil raises several kinds for made-up text
                    raise Refused(f"the timestamp in {shown(origin)} is not a date") from None
            budget = self.budgets.setdefault(student, Budget(self.max_bytes))
            budget.entry()
            folder = self.holding / student
            folder.mkdir(mode=0o700, exist_ok=True)
            dest = folder / str(budget.entries)
            copy(dest, budget)
        except Refused as why:
            return self._refuse_student(student, str(why))
        except Exception as error:  # one student's file never stops the others' (zipfile raises many kinds)
            return self._refuse_student(
                student, f"{shown(origin)} could not be read ({shown(type(error).__name__ + ': ' + str(error))})"
            )
        self.held.setdefault(student, []).append(Held(file_id, timestamp, dest, origin))

    # delivering each student's files
    def _deliver(self) -> Collection:
        result = Collection(refused=self.refused, skipped=self.skipped)
        for student, files in sorted(self.held.items()):
            try:
                chosen, timestamp = _latest_files(files)
                staged = staging_folder(self.submitted)
                try:
                    for file_id, held in chosen.items():
                        dest = staged.joinpath(*check_relative_path(file_id))
                        dest.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                        held.path.rename(dest)
                    if timestamp is not None:
                        (staged / "timestamp.txt").write_text(timestamp.isoformat(" "))
                    replace(self.submitted / student / self.assignment, staged)
                finally:
                    shutil.rmtree(staged, ignore_errors=True)
            except Exception as error:
                result.refused[student] = str(as_refusal(error))
                continue
            result.collected.append(student)
        return result


def _latest_files(files: list[Held]) -> tuple[dict[str, Held], object]:
    """file id -> the file to collect, and the submission's timestamp (nbgrader's rules)."""
    chosen: dict[str, Held] = {}
    for held in files:
        file_id = os.path.splitext(held.file_id)[0] + ".ipynb"
        earlier = chosen.get(file_id)
        if earlier is None:
            chosen[file_id] = held
        elif earlier.timestamp is None or held.timestamp is None:
            raise Refused(
                f"two files for {shown(file_id)} ({shown(earlier.origin)}, {shown(held.origin)}) and no timestamp "
                "in their names to tell the latest; keep one"
            )
        elif held.timestamp >= earlier.timestamp:
            chosen[file_id] = held
    stamps = [h.timestamp for h in chosen.values() if h.timestamp is not None]
    return chosen, max(stamps) if stamps else None


def _plain_student(student: str) -> bool:
    try:
        check_student_id(student)
    except Refused:
        return False
    return True


def _open_plain_file(name: str, dir_fd: int, path: str) -> int:
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
    except OSError as error:
        raise Refused(f"{shown(path)} is not a plain file ({error.strerror})") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
        os.close(fd)
        kind = "a hard link to another file" if stat.S_ISREG(info.st_mode) else "not a plain file"
        raise Refused(f"{shown(path)} is {kind}")
    return fd
