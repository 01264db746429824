"""Every grader-side step is bounded (issue 16, classes 7 and 8), on the engine assignment.

Each case is a submission graded with the course's own command, with the exact score per
step it must get. The reference's answers are kept except where a case says otherwise, so
a case that costs a point it should not, or grades for ever, shows here. The course copy
lowers two settings so the cases stay small: the message cap (8 MB instead of 32 MB) and
the kernel memory (1 GB), which the cases are measured against.
"""

import psutil
import pytest
from nbformat.v4 import new_code_cell

from coursetools.engine import faults
from tests.engine_course import (
    autograded_notebook,
    make_engine_course,
    peak_rss_of_grading,
    run_cli,
    step_scores,
    submission,
    submit,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

MESSAGE_LIMIT = 8_000_000
LIMITS = {"KERNEL_MESSAGE_LIMIT_BYTES": MESSAGE_LIMIT, "KERNEL_MEMORY_LIMIT_MB": 1024, "GRADING_WORKERS": 2}
FULL = {"test-squares": 1, "test-values": 1, "test-normalize": 2, "reflection": None}
REFERENCE_VALUES = "values = np.arange(5) * SCALE"

# A display message sent straight to the kernel's IOPub socket, past the kernel's stream cap.
RAW_IOPUB = (
    "ip = get_ipython()\n"
    "ip.display_pub.session.send(ip.display_pub.pub_socket, 'display_data',\n"
    "    {'data': {'text/plain': 'x' * 100_000_000}, 'metadata': {}}, parent=ip.display_pub.parent_header)\n"
    "print('sent')\n"
)
PROGRESS_CHURN = (
    "import sys\n"
    "for i in range(6_000):\n"
    "    sys.stdout.write(f'\\r{i:>5} [' + '=' * (i % 7) + '\\b' * (i % 5) + ']')\n"
    "print()\n"
    "print(('abc\\b\\b\\bxyz\\r' + '\\b' * 3) * 8_000)\n"
    "print('\\rdone')\n"
)  # about 100 KB of carriage returns and backspaces, printed as a terminal would take them
# Each display() costs the kernel itself a few thread round-trips (about 7 ms each on the
# loaded 2-core test machine); 2000 keep it well inside the 20 s cell limit there, and took
# the old grader past its 4 s wait for output (schema validation and a quadratic budget).
SMALL_DISPLAYS = "for i in range(2_000):\n    display(i)\n"
# normalize returns an int8 array whose comparison in the checker needs 1.6 GB of floats:
# the checker is stopped at its memory limit while checking that test, and only that test.
CHECKER_KILLER = "def normalize(x):\n    return np.ones((50_000_000, 4), dtype=np.int8)\n"
# 500 threads that keep both cores busy for 10 s (hashing releases the GIL), then stop.
BUSY_THREADS = (
    "import hashlib, threading, time\n"
    "_block = b'x' * 65_536\n"
    "_until = time.monotonic() + 10\n"
    "def _spin():\n"
    "    while time.monotonic() < _until:\n"
    "        hashlib.sha256(_block).digest()\n"
    "_threads = [threading.Thread(target=_spin, daemon=True) for _ in range(500)]\n"
    "for _t in _threads:\n"
    "    _t.start()\n"
    "for _t in _threads:\n"
    "    _t.join()\n"
)
# An honest cell that needs about a second of CPU: starved by 500 busy threads without a
# CPU controller (1/500 of the cores), in time with one.
HONEST_WORK = "total = sum(i * i for i in range(3_000_000))\nprint(total)\n"


def with_cells(nb, after: str, sources: list[str]):
    """The notebook with extra (ungraded) code cells after the answer cell `after`."""
    index = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == after)
    nb.cells[index + 1 : index + 1] = [new_code_cell(source) for source in sources]
    return nb


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = make_engine_course(tmp_path_factory.mktemp("bounds") / "course", limits=LIMITS)
    cases = {
        "reference": submission(course),
        "raw-iopub-flood": with_cells(
            submission(course, values=REFERENCE_VALUES + "\n" + RAW_IOPUB), "values", ["print('after the flood')"]
        ),
        "two-hundred-cells-under-the-cap": with_cells(
            submission(course),
            "values",
            ["_page = 'x' * 4_900_000"]
            + ["display({'text/html': _page}, raw=True)"] * 200,  # each just under a cell's 5 MB
        ),
        "progress-churn": submission(course, values=REFERENCE_VALUES + "\n" + PROGRESS_CHURN),
        "checker-killing-value": submission(course, normalize=CHECKER_KILLER),
        "thousands-of-small-displays": submission(course, values=REFERENCE_VALUES + "\n" + SMALL_DISPLAYS),
    }
    for student, nb in cases.items():
        submit(course, student, nb)
    graded = run_cli(course, "autograde", "--assignment", "engine")
    # The fairness pair, graded side by side (two workers, nothing else).
    # Both kernels start together: the busy threads start right away, the honest work runs
    # in three cells during those 10 s.
    submit(course, "busy-threads", with_cells(submission(course), "settings", [BUSY_THREADS]))
    honest = with_cells(submission(course, values=REFERENCE_VALUES + "\n" + HONEST_WORK), "settings", [HONEST_WORK])
    submit(course, "honest-next-to-busy", with_cells(honest, "squares", [HONEST_WORK]))
    pair = run_cli(
        course, "autograde", "--assignment", "engine", "--student", "busy-threads", "--student", "honest-next-to-busy"
    )
    return course, graded.stdout + graded.stderr + pair.stdout + pair.stderr


def outputs_text(nb) -> str:
    return "\n".join(str(cell.get("outputs", "")) for cell in nb.cells)


def test_reference_gets_full_marks(course):
    course, log = course
    assert step_scores(course, "reference") == FULL, log


def test_a_huge_message_sent_past_the_kernels_stream_cap_is_dropped_by_the_grader(course):
    """A 100 MB display sent to the kernel's IOPub socket directly: the grader's socket drops it
    (KERNEL_MESSAGE_LIMIT_BYTES) before reading it, the submission is graded in full, and the
    grading process's memory does not grow by the message."""
    course, log = course
    assert step_scores(course, "raw-iopub-flood") == FULL, log
    graded = course / "autograded" / "raw-iopub-flood" / "engine" / "warmup.ipynb"
    assert graded.stat().st_size < 1_000_000
    nb = autograded_notebook(course, "raw-iopub-flood")
    values = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "values")
    assert [o.data["text/plain"] for o in values.outputs] == [faults.OUTPUT_LOST_NOTE]
    assert "after the flood" in outputs_text(nb), "the cells after it show their output again"
    growth = peak_rss_of_grading(course, "raw-iopub-flood") - peak_rss_of_grading(course, "reference")
    assert growth < 50 * 2**20, f"grading a 100 MB message took {growth / 2**20:.0f} MB more"


def test_two_hundred_cells_just_under_the_cell_budget_keep_only_the_notebook_budget(course):
    """200 cells of 4.9 MB each (980 MB in all) keep at most OUTPUT_LIMIT_BYTES_PER_NOTEBOOK."""
    course, log = course
    assert step_scores(course, "two-hundred-cells-under-the-cap") == FULL, log
    graded = course / "autograded" / "two-hundred-cells-under-the-cap" / "engine" / "warmup.ipynb"
    assert graded.stat().st_size < 22_000_000
    assert "[output limit]" in graded.read_text()


def test_carriage_return_and_backspace_churn_is_processed_in_time(course):
    """About 100 KB of \\r and \\b took 68 s of the grader's time with a 20 s cell limit."""
    course, log = course
    assert step_scores(course, "progress-churn") == FULL, log
    text = outputs_text(autograded_notebook(course, "progress-churn"))
    # What a terminal shows: the last progress line (its backspaces ate into it), then "done".
    assert "' 59]\\n" in text and "done" in text and "CellTimeoutError" not in text


def test_a_value_that_kills_the_checker_costs_that_test_once(course):
    """The checker dies checking test-normalize: that test gets nothing, once (no retry), and
    the tests before it keep their points."""
    course, log = course
    assert step_scores(course, "checker-killing-value") == {**FULL, "test-normalize": 0}, log
    nb = autograded_notebook(course, "checker-killing-value")
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test-normalize")
    assert [(o.output_type, o.get("evalue")) for o in cell.outputs] == [("error", faults.CHECKER_CRASHED)]


def test_thousands_of_small_displays_are_not_a_time_out(course):
    """2000 display() calls: the first outputs are kept with a note, and the cell is not
    reported as an uninterruptible time-out."""
    course, log = course
    assert step_scores(course, "thousands-of-small-displays") == FULL, log
    text = outputs_text(autograded_notebook(course, "thousands-of-small-displays"))
    assert "[output limit]" in text and "CellTimeoutError" not in text and "NotGraded" not in text


def test_busy_threads_do_not_starve_a_grading_next_to_them(course):
    """500 busy threads in one kernel get that kernel's share of the cores, not 500 shares:
    the submission graded at the same time keeps every point, and so does the busy one."""
    course, log = course
    assert step_scores(course, "busy-threads") == FULL, log
    assert step_scores(course, "honest-next-to-busy") == FULL, log


def test_autograde_refuses_workers_whose_kernels_could_exceed_the_host_memory(tmp_path):
    host_mb = psutil.virtual_memory().total // 2**20
    course = make_engine_course(tmp_path / "course", limits={"KERNEL_MEMORY_LIMIT_MB": host_mb}, release=False)
    done = run_cli(course, "autograde", "--assignment", "engine")
    assert done.returncode == 1
    message = done.stderr.strip()
    assert len(message.splitlines()) == 1, message
    for named in ("GRADING_WORKERS", "KERNEL_MEMORY_LIMIT_MB", "2 kernels", "host's memory"):
        assert named in message


@pytest.mark.parametrize(
    "limits, reason",
    [
        (
            {"NOTEBOOK_TIMEOUT_SECONDS": 3, "GRADING_PROCESS_MARGIN_SECONDS": 0},
            "grading took longer than its limit of 3 s",
        ),
        ({"GRADING_PROCESS_MEMORY_MB": 40}, "used more than GRADING_PROCESS_MEMORY_MB (40 MB)"),
    ],
    ids=["time", "memory"],
)
def test_a_grading_process_past_its_own_limits_fails_that_student_with_the_reason(tmp_path, limits, reason):
    """Limits so low that nbgrader cannot even start under them: the student is reported with
    the limit's name, nothing is recorded for them, and the command exits 1."""
    course = make_engine_course(tmp_path / "course", limits=limits)
    submit(course, "reference", submission(course))
    done = run_cli(course, "autograde", "--assignment", "engine")
    assert done.returncode == 1 and reason in done.stderr, done.stdout + done.stderr
    assert step_scores(course, "reference") == {}
