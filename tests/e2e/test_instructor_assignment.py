"""An instructor's own assignment works the first time (issue 18's "Done when").

A scratch course copy gets a new plain-numpy assignment from `./course new-assignment`, as the
README tells an instructor: one_hot(labels, n) with a hidden test of an empty input (an array with
a zero-length axis crosses to the checker), a value computed from the given data, and a written
answer graded by hand. It is released and validated; four submissions are graded to exact
scores; grades by hand are entered from the command line (one cell, then a CSV a teaching
assistant filled in); nbgrader's grades.csv, the step CSV, the course totals and the feedback
then agree. Stale tests and a missing --assignment are refused on the same course.
"""

import csv

import nbformat
import pytest

from coursetools.workflow import samples
from coursetools.workflow.course_copy import make_course_copy
from tests.engine_course import run_cli, scores_of

pytestmark = [pytest.mark.e2e]

ID = "hw_numpy"
NOTEBOOK = f"{ID}.ipynb"
POINTS = {"test-encode-labels": 2, "test-scaled": 1, "explain": 2}

# Each submission: answers replaced by grade id, the exact automatic score per step, and why.
CASES = {
    "correct": ({}, {"test-encode-labels": 2, "test-scaled": 1, "explain": None}, "the reference's answers"),
    "honest-different": (
        {
            "encode-labels": "def one_hot(labels, n):\n    return np.eye(n)[np.asarray(labels, dtype=int)]",
            "scaled": "scaled = np.array([m * SCALE / max(measurements) for m in measurements])",
            "explain": "Each class gets its own column; numbers like 2 > 1 would suggest an order.",
        },
        {"test-encode-labels": 2, "test-scaled": 1, "explain": None},
        "np.eye rows and a list comprehension compute the same values: honest variety gets full marks",
    ),
    "partial": (
        {
            # Right for every label, but no labels give shape (0,), not (0, n): the hidden test fails.
            "encode-labels": "def one_hot(labels, n):\n    return np.array([[1.0 if i == l else 0.0 for i in range(n)] for l in labels])",
            "explain": "Because it is the format.",
        },
        {"test-encode-labels": 0, "test-scaled": 1, "explain": None},
        "the visible check passes but the hidden empty-input check fails; scaled is right",
    ),
    "unchanged": (None, {"test-encode-labels": 0, "test-scaled": 0, "explain": 0}, "the release as handed out"),
}
# Grades by hand: `correct` from the command line, the others from a TA's CSV.
BY_HAND = {
    "correct": (2, "Clear and complete."),
    "honest-different": (1.5, "Right idea; say why an order misleads a model."),
    "partial": (0.5, "Say what one-hot labels avoid."),
}
FINAL = {"correct": 5, "honest-different": 4.5, "partial": 1.5, "unchanged": 0}


def ok(done):
    assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = make_course_copy(tmp_path_factory.mktemp("instructor") / "course")
    made = ok(run_cli(root, "new-assignment", ID, "--add-to-config"))
    ok(run_cli(root, "release", "--assignment", ID))
    validated = ok(run_cli(root, "validate", "--assignment", ID))
    source = nbformat.read(root / "source" / ID / NOTEBOOK, as_version=4)
    release = nbformat.read(root / "release" / ID / NOTEBOOK, as_version=4)
    for student, (answers, _, _) in CASES.items():
        nb = release if answers is None else samples.fill(release, {**samples.solution_code(source), **answers})
        path = root / "submitted" / student / ID / NOTEBOOK
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)
    graded = run_cli(root, "autograde", "--assignment", ID)
    return root, made, validated, graded


def test_the_scaffold_writes_every_cell_kind_and_its_config_entry(course):
    root, made, _, _ = course
    nb = nbformat.read(root / "source" / ID / NOTEBOOK, as_version=4)
    kinds = [
        (c.cell_type, c.metadata.get("nbgrader", {}).get("grade_id"), c.metadata.get("nbgrader", {}).get("points"))
        for c in nb.cells
        if c.cell_type == "code" or "nbgrader" in c.metadata
    ]
    assert kinds == [
        ("code", "settings", None),
        ("code", None, None),
        ("code", "encode-labels", None),
        ("code", "test-encode-labels", 2),
        ("code", "scaled", None),
        ("code", "test-scaled", 1),
        ("markdown", "explain", 2),
    ]
    assert "BEGIN HIDDEN TESTS" in nb.cells[5].source and "np.array([], dtype=int)" in nb.cells[5].source
    assert (root / "source" / ID / "course_plugin.py").is_file() and f"ASSIGNMENTS[{ID!r}]" in (
        root / "course_config.py"
    ).read_text()
    assert f"./course release --assignment {ID}" in made.stdout


def test_a_second_scaffold_of_the_same_id_or_a_bad_id_is_refused(course):
    root = course[0]
    before = sorted(p.name for p in (root / "source").iterdir())
    for bad, message in ((ID, "already an assignment"), ("Bad-Name", "not a usable assignment id"), ("../x", "not a")):
        done = run_cli(root, "new-assignment", bad)
        assert done.returncode == 1 and message in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert sorted(p.name for p in (root / "source").iterdir()) == before


def test_validate_passes_with_the_empty_input_test_checked_on_the_reference(course):
    validated = course[2]
    assert f"{ID} is valid: reference 3/3 (2 points graded by hand), unchanged release 0/3" in validated.stdout


def test_each_submission_gets_its_exact_automatic_score(course):
    root, _, _, graded = course
    scores = scores_of(root, list(CASES), ID)
    for student, (_, expected, why) in CASES.items():
        assert scores[student] == expected, f"{student}: {why}\n{graded.stdout}{graded.stderr}"
    assert graded.returncode == 0, graded.stderr
    assert "TCP" not in graded.stdout + graded.stderr and "encryption" not in graded.stdout + graded.stderr


@pytest.fixture(scope="module")
def hand_graded(course, tmp_path_factory):
    root = course[0]
    points, comment = BY_HAND["correct"]
    one = ok(
        run_cli(
            root,
            "grade",
            "--assignment",
            ID,
            "--student",
            "correct",
            "--cell",
            "explain",
            "--points",
            str(points),
            "--comment",
            comment,
        )  # fmt: skip
    )
    sheet = tmp_path_factory.mktemp("ta") / "ta-grades.csv"
    with open(sheet, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["student", "cell", "points", "comment"])
        for student in ("honest-different", "partial"):
            writer.writerow([student, "explain", *BY_HAND[student]])
    imported = ok(run_cli(root, "grade", "--assignment", ID, "--csv", str(sheet)))
    exported = ok(run_cli(root, "export", "--assignment", ID))
    feedback = ok(run_cli(root, "feedback", "--assignment", ID))
    return root, one, imported, exported, feedback


def test_every_report_agrees_after_grades_by_hand(hand_graded):
    root = hand_graded[0]
    scores = scores_of(root, list(CASES), ID)
    assert {s: sum(v or 0 for v in steps.values()) for s, steps in scores.items()} == FINAL
    assert all(None not in steps.values() for steps in scores.values())
    with open(root / "reports" / "grades.csv") as fh:  # nbgrader's own export
        nbgrader_rows = {r["student_id"]: r for r in csv.DictReader(fh) if r["assignment"] == ID}
    assert {s: float(r["score"]) for s, r in nbgrader_rows.items()} == FINAL
    assert {float(r["max_score"]) for r in nbgrader_rows.values()} == {5.0}
    with open(root / "reports" / f"{ID}-steps.csv") as fh:
        steps = {r["student_id"]: r for r in csv.DictReader(fh)}
    assert {s: float(r["total"]) for s, r in steps.items()} == FINAL
    assert {s: r["explain"] for s, r in steps.items()} == {
        "correct": "2",
        "honest-different": "1.5",
        "partial": "0.5",
        "unchanged": "0",
    }
    assert {r["needs_manual_grade"] for r in steps.values()} == {"0"}
    with open(root / "reports" / "course-totals.csv") as fh:
        totals = {r["student_id"]: r for r in csv.DictReader(fh)}
    assert {s: float(r[ID]) for s, r in totals.items()} == FINAL
    assert {r["needs_manual_grade"] for r in totals.values()} == {"0"}


def test_the_feedback_shows_the_grade_by_hand_and_the_comment(hand_graded):
    root = hand_graded[0]
    page = (root / "feedback" / "partial" / ID / f"{ID}.html").read_text()
    assert BY_HAND["partial"][1] in page
    assert "1.5" in page and "needs manual grade" not in page.lower()


def test_bad_grades_change_nothing(hand_graded, tmp_path):
    root = hand_graded[0]
    sheet = tmp_path / "bad.csv"
    sheet.write_text(
        "student,cell,points,comment\ncorrect,explain,0,should not land\nnobody,explain,1,\npartial,explain,9,\n"
    )
    done = run_cli(root, "grade", "--assignment", ID, "--csv", str(sheet))
    assert done.returncode == 1 and "Nothing was entered" in done.stderr, done.stderr
    assert "line 3 (nobody, explain)" in done.stderr and "between 0 and 2" in done.stderr
    for args, message in (
        (["--student", "correct", "--cell", "no-such-cell", "--points", "1"], "has no graded cell 'no-such-cell'"),
        (["--student", "correct", "--cell", "test-scaled", "--points", "1", "--comment", "x"], "comments for answer"),
        (["--student", "correct", "--cell", "explain"], "missing --points"),
    ):
        done = run_cli(root, "grade", "--assignment", ID, *args)
        assert done.returncode == 1 and message in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert scores_of(root, ["correct"], ID)["correct"]["explain"] == 2


def test_a_changed_hidden_test_in_source_stops_autograde_and_validate_until_released(hand_graded):
    root = hand_graded[0]
    path = root / "source" / ID / NOTEBOOK
    original = path.read_text()
    nb = nbformat.read(path, as_version=4)
    (test,) = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test-encode-labels"]
    test.source = test.source.replace("_labels = np.array([1, 0, 3, 3])", "_labels = np.array([2, 0, 3, 3])")
    nbformat.write(nb, path)
    try:
        for command in ("autograde", "validate"):
            done = run_cli(root, command, "--assignment", ID)
            assert done.returncode == 1, done.stdout + done.stderr
            assert "'test-encode-labels' of hw_numpy.ipynb changed" in done.stderr
            assert f"Run `./course release --assignment {ID}` first." in done.stderr
    finally:
        path.write_text(original)


def test_with_several_assignments_commands_name_theirs(course):
    root = course[0]
    for command in ("autograde", "export", "feedback", "collect", "release", "grade"):
        done = run_cli(root, command)
        assert done.returncode == 1 and "Give --assignment with one of: ps1, ps2, hw_numpy" in done.stderr, (
            command,
            done.stderr,
        )
    empty = root / "nothing-here"
    empty.mkdir()
    assert run_cli(root, "collect", str(empty), "--assignment", ID).returncode == 1
    assert not (root / "downloaded").exists(), "collect leaves no folders behind"
