"""The coordinator's intake, without grading: each exchange folder is taken once, across rounds
and restarts, and a student over the daily limit is withheld, not graded; a waiting coordinator
is woken by a new submission, a finished one, or a grading's end, not only by its poll."""

import os
import threading
import time

import pytest

import course_config
from coursetools.service import grading
from coursetools.service.coordinator import Coordinator, LocalPool

pytestmark = pytest.mark.unit


@pytest.fixture
def coordinator(tmp_path, monkeypatch):
    monkeypatch.delenv("COURSE_BROKER_URL", raising=False)
    monkeypatch.setattr(course_config, "GRADING_BROKER_URL", None, raising=False)
    monkeypatch.setattr(course_config, "EXCHANGE_ROOT", tmp_path / "exchange")
    entry = {**course_config.ASSIGNMENTS["ps1"], "on_submit": {"daily_limit": 1}}
    monkeypatch.setitem(course_config.ASSIGNMENTS, "ps1", entry)
    (tmp_path / "exchange" / course_config.COURSE_ID / "inbound").mkdir(parents=True)
    (tmp_path / "course").mkdir()
    made = []

    def make():
        made.append(Coordinator(tmp_path / "course", ["ps1"], workers=1, say=lambda _: None))
        return made[-1]

    yield make
    for each in made:
        each.backend.close()


def submit(student: str, when: str) -> str:
    name = f"{student}+ps1+{when}+{os.urandom(4).hex()}"
    folder = course_config.EXCHANGE_ROOT / course_config.COURSE_ID / "inbound" / name
    folder.mkdir()
    (folder / "fashion_mnist.ipynb").write_text("{}")
    (folder / "submission_secret.txt").write_text("secret")  # nbgrader submit writes it last
    time.sleep(0.01)  # a later inode change time, as a later real submission has
    return name


def states(coordinator):
    return {job.key: job.state for job in coordinator.store.jobs()}


def test_each_submission_is_taken_once_across_rounds_and_restarts(coordinator):
    first = coordinator()
    taken = submit("s01", "2026-11-30 10:00:00.000000 UTC")
    first.take_new("ps1")
    first.take_new("ps1")
    assert states(first) == {taken: "collected"}
    again = coordinator()  # a restarted coordinator collects the same folder again: nothing new
    again.take_new("ps1")
    assert states(again) == {taken: "collected"}


def test_a_student_over_the_daily_limit_is_withheld_and_the_others_go_on(coordinator):
    serve = coordinator()
    first = submit("s01", "2026-11-30 10:00:00.000000 UTC")
    serve.take_new("ps1")
    second = submit("s01", "2026-11-30 10:05:00.000000 UTC")
    other = submit("s02", "2026-11-30 10:06:00.000000 UTC")
    serve.take_new("ps1")
    assert states(serve) == {first: "collected", second: "withheld", other: "collected"}
    (withheld,) = serve.store.jobs("withheld")
    assert withheld.submission is None and "1 graded submission(s) a day" in withheld.problem


def test_the_daily_limit_holds_for_a_coordinator_started_again(coordinator):
    """The count of graded submissions is in the job store, not in the process."""
    first = submit("s01", "2026-11-30 10:00:00.000000 UTC")
    coordinator().take_new("ps1")
    second = submit("s01", "2026-11-30 11:00:00.000000 UTC")
    restarted = coordinator()
    restarted.take_new("ps1")
    assert states(restarted) == {first: "collected", second: "withheld"}


def test_a_folder_nbgrader_submit_is_still_writing_is_taken_once_it_is_complete(coordinator):
    """Copied before its last file (submission_secret.txt) was written, a submission is not taken
    (it would be graded without its notebook) and is collected again the next round."""
    serve = coordinator()
    taken = submit("s01", "2026-11-30 10:00:00.000000 UTC")
    inbound = course_config.EXCHANGE_ROOT / course_config.COURSE_ID / "inbound" / taken
    (inbound / "submission_secret.txt").unlink()
    serve.take_new("ps1")
    assert states(serve) == {}
    (inbound / "submission_secret.txt").write_text("secret")
    serve.take_new("ps1")
    assert states(serve) == {taken: "collected"}
    assert (serve.root / "submitted" / "s01" / "ps1" / "submission_secret.txt").is_file()


def finish_later(action, seconds: float = 0.3) -> threading.Thread:
    thread = threading.Thread(target=lambda: (time.sleep(seconds), action()))
    thread.start()
    return thread


def waits_less_than(serve, seconds: float) -> bool:
    """serve.wait_for_work with a poll of 10 minutes returned well before it: something woke it."""
    began = time.monotonic()
    serve.wait_for_work(600)
    return time.monotonic() - began < seconds


def test_a_waiting_coordinator_wakes_when_a_submission_arrives_not_at_its_next_poll(coordinator):
    serve = coordinator()
    serve.round()  # nothing in the exchange yet
    arriving = finish_later(lambda: submit("s01", "2026-11-30 10:00:00.000000 UTC"))
    assert waits_less_than(serve, 60)
    arriving.join()
    serve.take_new("ps1")
    assert list(states(serve).values()) == ["collected"]


def test_a_waiting_coordinator_wakes_when_a_folder_being_written_is_finished(coordinator):
    serve = coordinator()
    taken = submit("s01", "2026-11-30 10:00:00.000000 UTC")
    folder = course_config.EXCHANGE_ROOT / course_config.COURSE_ID / "inbound" / taken
    (folder / "submission_secret.txt").unlink()
    serve.round()
    assert serve.writing == [taken] and states(serve) == {}
    finishing = finish_later(lambda: (folder / "submission_secret.txt").write_text("secret"))
    assert waits_less_than(serve, 60)
    finishing.join()


def test_the_local_pool_wakes_the_coordinator_when_a_grading_ends(tmp_path, monkeypatch):
    monkeypatch.setattr(grading, "grade", lambda job, root, workers: {"key": job["key"]})
    wake = threading.Event()
    pool = LocalPool(tmp_path, 1, wake)
    try:
        pool.send({"key": "s01+ps1+now+1"})
        assert wake.wait(60), "the pool's grading ended without waking the coordinator"
        assert pool.status("s01+ps1+now+1") == ("done", {"key": "s01+ps1+now+1"})
    finally:
        pool.close()
