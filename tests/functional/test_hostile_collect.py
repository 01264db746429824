"""`./course collect` against hostile sources (issue 16, classes 2 and 9).

Every source is copied by coursetools/workflow/safe_copy.py. Each case runs the real command in a
course copy whose gradebook.db, source/ and a secret file outside the course are bait: a
link, hard link, FIFO, device, huge file, deep folder, zip slip, absolute or symlink zip
member or zip bomb is refused for its student only, named with the reason; the honest
students in the same source are collected; the command exits 1; nothing of the course
reaches submitted/ and nothing is left behind. In the exchange, a submission's time is the
grader's observation (the folders' inode change time), never a date the student wrote.
"""

import datetime
import os
import pwd
import stat
import subprocess
import sys
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor

import nbformat
import pytest

import course_config
from coursetools.workflow.collect_folder import collect_path
from coursetools.workflow.course_copy import make_course_copy
from coursetools.workflow.safe_copy import MAX_ENTRIES, TIMESTAMP_FORMAT

pytestmark = pytest.mark.functional

GRADEBOOK_BAIT = b"SQLite format 3\x00 gradebook bait: every student id and grade"
SECRET_BAIT = b"instructor's private notes, outside the course"
HIDDEN = b"BEGIN HIDDEN TESTS"  # in source/ps1's notebook
NOTEBOOK = "fashion_mnist.ipynb"
MB = 1_000_000


def honest(text):
    cell = nbformat.v4.new_markdown_cell(text, id="work")
    return nbformat.writes(nbformat.v4.new_notebook(cells=[cell])).encode()


def course_copy(tmp_path, name):
    course = make_course_copy(tmp_path / name)
    config = course / "course_config.py"
    config.write_text(
        config.read_text()
        + "\nSUBMISSION_MAX_MB = 1\n"
        + f"EXCHANGE_ROOT = Path({str(tmp_path / (name + '-exchange'))!r})\n"
    )
    (course / "gradebook.db").write_bytes(GRADEBOOK_BAIT)
    (tmp_path / "secret.txt").write_bytes(SECRET_BAIT)
    assert HIDDEN in (course / "source" / "ps1" / NOTEBOOK).read_bytes()
    return course


def layout_source(tmp_path, course):
    """nbgrader's layout: <student>/ps1/..., two honest students and one hostile trick each."""
    src = tmp_path / "layout"

    def student(name):
        folder = src / name / "ps1"
        folder.mkdir(parents=True)
        (folder / NOTEBOOK).write_bytes(honest(f"work of {name}"))
        return folder

    student("alice")
    student("bob")
    (student("lena") / "notes.txt").symlink_to(course / "source" / "ps1" / NOTEBOOK)  # link to source/
    (student("gus") / "grades").symlink_to(course / "gradebook.db")  # link to the gradebook
    (student("sam") / "secret").symlink_to(tmp_path / "secret.txt")  # a file outside the course
    (student("ann") / "up").symlink_to("../..")  # an ancestor folder (crashed the old collect)
    (src / "pat").mkdir()
    (src / "pat" / "ps1").symlink_to(course / "source" / "ps1")  # the assignment folder is the link
    (src / "tom").symlink_to(course)  # the student folder is the link
    os.mkfifo(student("fifi") / "pipe")
    os.mknod(student("dev") / "null", stat.S_IFCHR | 0o600, os.makedev(1, 3))
    os.link(course / "gradebook.db", student("hal") / "copy.txt")  # a hard link to a course file
    with open(student("hugo") / "big.bin", "wb") as big:  # 2 MB, the limit is 1 MB
        big.truncate(2 * MB)
    deep = student("dee")
    for _ in range(25):
        deep = deep / "d"
    deep.mkdir(parents=True)
    many = student("manny") / "many"
    many.mkdir()
    for i in range(MAX_ENTRIES + 1):
        (many / str(i)).touch()
    student(".hidden")  # not a plain folder name
    earlier = course / "submitted" / "gus" / "ps1"  # collected before: kept when the new one is refused
    earlier.mkdir(parents=True)
    (earlier / NOTEBOOK).write_bytes(honest("gus's earlier submission"))
    return src


LAYOUT_REFUSED = {
    "lena": "it contains a symbolic link (notes.txt)",
    "gus": "it contains a symbolic link (grades)",
    "sam": "it contains a symbolic link (secret)",
    "ann": "it contains a symbolic link (up)",
    "pat": "it contains a symbolic link (pat/ps1)",
    "tom": "it is a symbolic link (tom), not a folder",
    "fifi": "pipe is not a plain file",
    "dev": "null is not a plain file",
    "hal": "copy.txt is a hard link to another file",
    "hugo": "larger than the course's limit for one submission (SUBMISSION_MAX_MB)",
    "dee": "it nests folders more than 20 deep",
    "manny": f"it holds more than {MAX_ENTRIES} files and folders",
    ".hidden": "its student id '.hidden' is not a plain folder name",
}


def loose_source(tmp_path, course):
    """LMS downloads: <student>_<notebook> files in a folder."""
    src = tmp_path / "loose"
    src.mkdir()
    for name in ("alice", "bob"):
        (src / f"{name}_{NOTEBOOK}").write_bytes(honest(f"work of {name}"))
    (src / f"gus_{NOTEBOOK}").symlink_to(course / "gradebook.db")
    (src / f"lena_{NOTEBOOK}").symlink_to(course / "source" / "ps1" / NOTEBOOK)
    os.link(course / "source" / "ps1" / NOTEBOOK, src / f"hal_{NOTEBOOK}")
    os.mkfifo(src / f"fifi_{NOTEBOOK}")
    with open(src / f"hugo_{NOTEBOOK}", "wb") as big:
        big.truncate(2 * MB)
    (src / f".._{NOTEBOOK}").write_bytes(honest("a student id that climbs"))
    (src / f".hidden_{NOTEBOOK}").write_bytes(honest("a hidden student folder"))
    (src / "course").symlink_to(course)  # a link to an ancestor folder of everything
    (src / "readme.txt").write_text("not a submission")
    return src


LOOSE_REFUSED = {
    "gus": f"it is a symbolic link (gus_{NOTEBOOK})",
    "lena": f"it is a symbolic link (lena_{NOTEBOOK})",
    "hal": f"hal_{NOTEBOOK} is a hard link to another file",
    "fifi": f"fifi_{NOTEBOOK} is not a plain file",
    "hugo": "larger than the course's limit",
    f"file .._{NOTEBOOK}": "its student id '..' is not a plain folder name",
    f"file .hidden_{NOTEBOOK}": "its student id '.hidden' is not a plain folder name",
    "file course": "it is a symbolic link (course)",
}


def member(name, mode=stat.S_IFREG | 0o644):
    info = zipfile.ZipInfo(name)
    info.external_attr = mode << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def zip_source(tmp_path):
    """LMS zips: one class download with hostile members, a lying zip bomb, 20,000 members."""
    src = tmp_path / "zips"
    src.mkdir()
    with zipfile.ZipFile(src / "class.zip", "w") as zf:
        for name in ("alice", "bob"):
            zf.writestr(member(f"class/{name}_{NOTEBOOK}"), honest(f"work of {name}"))
        zf.writestr(member(f"../../slip_{NOTEBOOK}"), honest("zip slip"))
        zf.writestr(member(f"/tmp/abs_{NOTEBOOK}"), honest("absolute member"))
        zf.writestr(member(f"sym_{NOTEBOOK}", stat.S_IFLNK | 0o777), "../../../gradebook.db")
        zf.writestr(member(f"fifo_{NOTEBOOK}", stat.S_IFIFO | 0o644), "")
        zf.writestr(member(f"chr_{NOTEBOOK}", stat.S_IFCHR | 0o644), "")
        zf.writestr(member("a/" * 25 + f"deep_{NOTEBOOK}"), honest("deep"))
        zf.writestr(member(f"large_{NOTEBOOK}"), b"0" * (2 * MB))  # declares 2 MB, the limit is 1 MB
        zf.writestr(member("nested.zip"), b"PK\x05\x06" + b"\0" * 18)
    # A zip bomb that lies: declares 1,000 bytes, expands to 3 MB.
    bomb = src / "bomb.zip"
    with zipfile.ZipFile(bomb, "w") as zf:
        zf.writestr(member(f"liar_{NOTEBOOK}"), b"\0" * (3 * MB))
    data = bytearray(bomb.read_bytes())
    local, central = data.index(b"PK\x03\x04"), data.index(b"PK\x01\x02")
    data[local + 22 : local + 26] = (1000).to_bytes(4, "little")
    data[central + 24 : central + 28] = (1000).to_bytes(4, "little")
    bomb.write_bytes(bytes(data))
    assert zipfile.ZipFile(bomb).infolist()[0].file_size == 1000
    with zipfile.ZipFile(src / "many.zip", "w") as zf:  # 20,000 tiny notebooks all naming one student
        for i in range(20_000):
            zf.writestr(zipfile.ZipInfo(f"many/manny_n{i}.ipynb"), b"{}")
    return src


ZIP_REFUSED = {
    "slip": "../../slip_fashion_mnist.ipynb leads out of its folder (..)",
    "abs": "/tmp/abs_fashion_mnist.ipynb is an absolute path",
    "sym": f"it contains a symbolic link (class.zip:sym_{NOTEBOOK})",
    "fifo": f"class.zip:fifo_{NOTEBOOK} is not a plain file",
    "chr": f"class.zip:chr_{NOTEBOOK} is not a plain file",
    "deep": "it nests folders more than 20 deep",
    "large": "larger than the course's limit for one submission (SUBMISSION_MAX_MB)",
    "file class.zip:nested.zip": "it is an archive inside an archive: unzip it and collect the folder",
    "liar": f"bomb.zip:liar_{NOTEBOOK} could not be read (BadZipFile: Bad CRC-32",
    "manny": f"it holds more than {MAX_ENTRIES} files and folders",
}


def run_collect(course, *source):
    return subprocess.run(
        [sys.executable, "-m", "coursetools", "collect", "--assignment", "ps1", *map(str, source)],
        cwd=course,
        capture_output=True,
        text=True,
    )


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    """Each source collected by the real command in its own course copy (side by side: mostly start-up)."""
    tmp_path = tmp_path_factory.mktemp("hostile")
    cases = {}
    course = course_copy(tmp_path, "layout-course")
    cases["layout"] = (course, layout_source(tmp_path, course))
    course = course_copy(tmp_path, "loose-course")
    cases["loose"] = (course, loose_source(tmp_path, course))
    cases["zips"] = (course_copy(tmp_path, "zip-course"), zip_source(tmp_path))
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = dict(zip(cases, pool.map(lambda case: run_collect(*case), cases.values()), strict=True))
    return {name: (course, source, results[name], tmp_path) for name, (course, source) in cases.items()}


def refusals(stderr):
    """who -> why, from the command's error listing."""
    lines = stderr.splitlines()
    assert lines[0] == "error: Not collected (the rest was):", stderr
    return dict(line.strip().split(": ", 1) for line in lines[1:])


def assert_nothing_of_the_course_collected(course, tmp_path):
    secrets = [GRADEBOOK_BAIT, SECRET_BAIT, HIDDEN]
    for path in (course / "submitted").rglob("*"):
        assert not path.is_symlink(), path
        if path.is_file():
            data = path.read_bytes()
            assert not any(secret in data for secret in secrets), path
    assert [p.name for p in (course / "submitted").iterdir() if p.name.startswith(".")] == []  # no staging left
    assert not (course / "downloaded").exists()  # nothing unpacked outside a private staging folder
    assert not list(tmp_path.rglob(f"slip_{NOTEBOOK}")) and not os.path.exists(f"/tmp/abs_{NOTEBOOK}")


@pytest.mark.parametrize("case, refused", [("layout", LAYOUT_REFUSED), ("loose", LOOSE_REFUSED), ("zips", ZIP_REFUSED)])
def test_each_hostile_entry_is_refused_for_its_student_and_the_honest_are_collected(collected, case, refused):
    course, _, result, tmp_path = collected[case]
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "Collected 2 submission(s) into submitted/: alice, bob" in result.stdout
    listed = refusals(result.stderr)
    assert set(listed) == set(refused), result.stderr
    for who, why in refused.items():
        assert why in listed[who], (who, listed[who])
    for name in ("alice", "bob"):
        assert (course / "submitted" / name / "ps1" / NOTEBOOK).read_bytes() == honest(f"work of {name}")
    students = {p.name for p in (course / "submitted").iterdir()}
    assert students == ({"alice", "bob", "gus"} if case == "layout" else {"alice", "bob"})
    assert_nothing_of_the_course_collected(course, tmp_path)


def test_a_refused_student_keeps_their_earlier_collected_submission(collected):
    course, *_ = collected["layout"]
    kept = course / "submitted" / "gus" / "ps1"
    assert sorted(p.name for p in kept.iterdir()) == [NOTEBOOK]
    assert (kept / NOTEBOOK).read_bytes() == honest("gus's earlier submission")


def test_non_submissions_are_listed_as_skipped(collected):
    _, _, result, _ = collected["loose"]
    assert "Skipped 1 file(s) naming no student (SUBMISSION_FILENAME_PATTERN): readme.txt" in result.stdout


# -- exchange: the time of a submission is the grader's observation ------------------------
def exchange_submission(inbound, student, claimed, text, owner=None):
    """A folder as nbgrader's submit writes it, whose name, timestamp.txt and mtimes all claim `claimed`."""
    folder = inbound / f"{student}+ps1+{claimed}+{text.replace(' ', '')}"
    folder.mkdir(parents=True)
    (folder / "timestamp.txt").write_text(claimed)
    (folder / NOTEBOOK).write_bytes(honest(text))
    (folder / "submission_secret.txt").write_text("secret")  # nbgrader submit writes it last
    for path in [*folder.iterdir(), folder]:
        if owner:
            os.chown(path, owner.pw_uid, owner.pw_gid)
        claimed_time = datetime.datetime.strptime(claimed, TIMESTAMP_FORMAT).replace(tzinfo=datetime.UTC).timestamp()
        os.utime(path, (claimed_time, claimed_time))  # mtime is the student's to set
    return folder


FUTURE, PAST = "2099-01-01 00:00:00.000000 UTC", "2001-01-01 00:00:00.000000 UTC"


@pytest.mark.parametrize("student", ["zoe", "daemon"], ids=["ids-are-not-accounts", "ids-are-accounts"])
def test_a_folder_claiming_a_future_date_does_not_shadow_a_later_real_submission(tmp_path, student):
    owner = None
    if student == "daemon":
        owner = pwd.getpwnam("daemon")  # the folders are written by the student's own account
    else:
        with pytest.raises(KeyError):
            pwd.getpwnam(student)  # no such account: anyone may write a folder in zoe's name
    course = course_copy(tmp_path, "course")
    inbound = tmp_path / "course-exchange" / "dl-intro" / "inbound"
    exchange_submission(inbound, student, FUTURE, "planted early, dated 2099", owner)
    time.sleep(0.05)  # the kernel's change-time clock ticks every few milliseconds
    before = time.time()
    exchange_submission(inbound, student, PAST, "the real submission, written later", owner)
    after = time.time()

    result = run_collect(course)
    assert result.returncode == 0, result.stdout + result.stderr
    collected = course / "submitted" / student / "ps1"
    assert (collected / NOTEBOOK).read_bytes() == honest("the real submission, written later")
    stamp = (collected / "timestamp.txt").read_text()  # the grader's, not the forged 2001 or 2099
    when = datetime.datetime.strptime(stamp, TIMESTAMP_FORMAT).replace(tzinfo=datetime.UTC).timestamp()
    assert before - 1 <= when <= after + 1, stamp


# -- the copier itself, in-process (no command start-up) -----------------------------------
def test_windows_style_and_drive_paths_in_a_zip_are_refused(tmp_path):
    course = course_copy(tmp_path, "course")
    archive = tmp_path / "downloads.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(member(f"alice_{NOTEBOOK}"), honest("work of alice"))
        zf.writestr(member(f"..\\..\\win_{NOTEBOOK}"), honest("backslash slip"))
        zf.writestr(member(f"C:/drive_{NOTEBOOK}"), honest("drive letter"))
    result = collect_path(archive, course, "ps1", MB, course_config.SUBMISSION_FILENAME_PATTERN)
    assert result.collected == ["alice"]
    assert result.refused == {
        f"file downloads.zip:..\\..\\win_{NOTEBOOK}": f"..\\..\\win_{NOTEBOOK} leads out of its folder (..)",
        "drive": f"C:/drive_{NOTEBOOK} is an absolute path",
    }
    assert sorted(p.name for p in (course / "submitted").iterdir()) == ["alice"]


def test_lms_timestamps_in_file_names_choose_the_latest_file_as_nbgrader_does(tmp_path):
    """The instructor's pattern may name the LMS's submission time; two files without one are refused."""
    course = course_copy(tmp_path, "course")
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    (downloads / f"alice_20261128T090000_{NOTEBOOK}").write_bytes(honest("alice's first try"))
    (downloads / f"alice_20261128T100000_{NOTEBOOK}").write_bytes(honest("alice's final"))
    (downloads / f"bob_{NOTEBOOK}").write_bytes(honest("bob's final"))
    pattern = r".*/(?P<student_id>[^/_]+)_((?P<timestamp>\d{8}T\d{6})_)?(?P<file_id>[^/_]+_[^/]+\.ipynb)$"
    result = collect_path(downloads, course, "ps1", MB, pattern)
    assert result.collected == ["alice", "bob"] and not result.refused
    alice = course / "submitted" / "alice" / "ps1"
    assert (alice / NOTEBOOK).read_bytes() == honest("alice's final")
    assert (alice / "timestamp.txt").read_text() == "2026-11-28 10:00:00"
    assert not (course / "submitted" / "bob" / "ps1" / "timestamp.txt").exists()

    with zipfile.ZipFile(downloads / "again.zip", "w") as zf:
        zf.writestr(member(f"bob_{NOTEBOOK}"), honest("bob's other copy"))
    result = collect_path(downloads, course, "ps1", MB, course_config.SUBMISSION_FILENAME_PATTERN)
    assert "bob" not in result.collected
    assert result.refused["bob"].startswith(f"two files for {NOTEBOOK} (")
    assert (course / "submitted" / "bob" / "ps1" / NOTEBOOK).read_bytes() == honest("bob's final")  # kept


def test_a_collect_that_collects_nothing_leaves_nothing_behind(tmp_path):
    course = course_copy(tmp_path, "course")
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    (downloads / f"gus_{NOTEBOOK}").symlink_to(course / "gradebook.db")
    result = collect_path(downloads, course, "ps1", MB, course_config.SUBMISSION_FILENAME_PATTERN)
    assert result.collected == [] and result.refused == {"gus": f"it is a symbolic link (gus_{NOTEBOOK})"}
    assert sorted(p.name for p in course.iterdir()) == sorted(
        ["course_config.py", "nbgrader_config.py", "coursetools", ".keras", "source", "gradebook.db"]
    )
