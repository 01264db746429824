"""The grading service's pieces that need no broker or kernel: versions, packed submissions, the
job store, the on-submit policy and the Celery settings the fault tests rely on."""

import base64
import io
import re
import tarfile

import pytest

import course_config
from coursetools.errors import CommandError
from coursetools.service import payload
from coursetools.service.celery_app import make_app
from coursetools.service.coordinator import before_due, feedback_options, on_submit_policy, task_id
from coursetools.service.jobs import JobStore
from coursetools.service.settings import queue_name, task_time_limit, version_mismatch

pytestmark = pytest.mark.unit

HERE = {"commit": "a" * 40, "content": "1234"}


def test_a_worker_at_another_commit_is_told_which_and_what_to_do():
    assert version_mismatch(HERE, dict(HERE)) is None
    why = version_mismatch(HERE, {"commit": "b" * 40, "content": "1234"})
    assert "aaaaaaaaaaaa" in why and "bbbbbbbbbbbb" in why and "check out the coordinator's commit" in why
    why = version_mismatch(HERE, {"commit": "a" * 40, "content": "5678"})
    assert "course_config.py or source/" in why and "1234" in why and "5678" in why


def test_each_course_version_has_its_own_queue():
    assert queue_name(HERE) == queue_name(dict(HERE))
    assert queue_name(HERE) != queue_name({**HERE, "content": "5678"})


def test_a_submission_travels_as_its_files_without_the_coordinators_bookkeeping(tmp_path):
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "warmup.ipynb").write_text("{}")
    (folder / "data").mkdir()
    (folder / "data" / "x.txt").write_text("x")
    (folder / ".collected-from").write_text("s+a+t")
    packed = payload.pack(folder, 10_000)
    payload.unpack(packed, tmp_path / "out", 10_000)
    assert sorted(str(p.relative_to(tmp_path / "out")) for p in (tmp_path / "out").rglob("*")) == [
        "data",
        "data/x.txt",
        "warmup.ipynb",
    ]
    with pytest.raises(CommandError, match="SUBMISSION_MAX_MB"):
        payload.pack(folder, 10)


def test_an_archive_reaching_outside_its_folder_is_not_unpacked(tmp_path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("../escaped.txt")
        info.size = 1
        archive.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(tarfile.TarError):
        payload.unpack(base64.b64encode(buffer.getvalue()).decode(), tmp_path / "out", 10_000)
    assert not (tmp_path / "escaped.txt").exists()


def test_the_same_submission_is_taken_once_and_counted_per_day(tmp_path):
    store = JobStore(tmp_path / "service.db")
    assert store.add("s1+a+t1+x", "a", "s1", "packed", 1000.0)
    assert not store.add("s1+a+t1+x", "a", "s1", "packed", 1000.0)
    assert store.add("s1+a+t2+y", "a", "s1", "packed", 2000.0)
    assert store.graded_today("a", "s1", now=2000.0) == 2
    assert store.graded_today("a", "s1", now=1000.0 + 86400 + 1) == 1
    store.mark("s1+a+t1+x", "done")
    assert store.newest_recorded("a", "s1") == 1000.0
    assert [job.state for job in store.jobs()] == ["done", "collected"]
    assert task_id("s1+a+t1+x") == task_id("s1+a+t1+x") != task_id("s1+a+t2+y")


def test_before_the_due_date_only_when_one_is_set():
    assert not before_due({"due": None}, 0)
    assert before_due({"due": "2030-01-01T00:00:00+00:00"}, 0)
    assert not before_due({"due": "2000-01-01"}, 1e10)


def test_on_submit_feedback_before_the_due_date_is_all_the_visible_steps_or_none_and_everything_after():
    due = "2030-01-01T00:00:00+00:00"
    before, after = 0, 1e10
    assert feedback_options({"due": due, "feedback_before_due": "all"}, before) == []
    assert feedback_options({"due": due, "feedback_before_due": "visible"}, before) == [
        "--WithholdHiddenSteps.enabled=True"
    ]
    assert feedback_options({"due": due, "feedback_before_due": "none"}, before) is None
    for mode in ("all", "visible", "none"):
        assert feedback_options({"due": due, "feedback_before_due": mode}, after) == []
        assert feedback_options({"due": None, "feedback_before_due": mode}, before) == []


def test_an_unknown_feedback_mode_is_refused_with_the_choices(monkeypatch):
    entry = {**course_config.ASSIGNMENTS["ps1"], "on_submit": {"feedback_before_due": "hidden"}}
    monkeypatch.setitem(course_config.ASSIGNMENTS, "ps1", entry)
    with pytest.raises(CommandError, match="'all', 'visible', 'none'"):
        on_submit_policy("ps1")


def test_celery_acknowledges_late_takes_one_at_a_time_and_bounds_a_grading():
    conf = make_app("redis://127.0.0.1:1/0").conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert (
        conf.task_soft_time_limit
        == task_time_limit()
        == (course_config.NOTEBOOK_TIMEOUT_SECONDS + course_config.GRADING_PROCESS_MARGIN_SECONDS)
    )
    assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit


def test_the_readme_section_names_real_commands_settings_and_tests():
    from coursetools.cli import COMMANDS

    readme = (course_config.COURSE_ROOT / "README.md").read_text()
    section = readme.split("## Grading on submit and on many machines")[1].split("\n## ")[0]
    for command in re.findall(r"\./course ([a-z-]+)", section):
        assert command in COMMANDS or command == "setup", command
    for setting in re.findall(r"`([A-Z][A-Z_]+)`", section):
        assert hasattr(course_config, setting), setting
    for path in re.findall(r"`(tests/[\w/]+\.py)`", section):
        assert (course_config.COURSE_ROOT / path).is_file(), path
    script = (course_config.COURSE_ROOT / "course").read_text()
    assert re.search(r"TEST_APT_PACKAGES=\(.*\bredis-server\b", script), "the tests' broker is installed by setup"


def test_serve_takes_every_assignment_and_refuses_an_unknown_one(capsys):
    from coursetools.cli import ANY_ASSIGNMENT, ONE_ASSIGNMENT, main

    assert "serve" in ANY_ASSIGNMENT and "serve" not in ONE_ASSIGNMENT  # no --assignment needed with several
    assert main(["serve", "--assignment", "no-such-assignment"]) == 1
    assert "no-such-assignment" in capsys.readouterr().err
