"""`./course similarity`: a class built here, with the pairs that must and must not be flagged.

The honest students are tests/e2e/honest.py's ps1 solutions. Each case there is the reference
with some answer cells written the case's own way; the cells it leaves alone are the reference's,
not the student's writing, so here each honest student submits only the cells its case writes
(the others stay as released). Two such students are independent authors: they must not be
flagged. The copies and the reference pair must be; students who changed nothing must not.
"""

import shutil

import nbformat
import pytest

import course_config
from coursetools.classtools import similarity
from coursetools.workflow import samples
from coursetools.workflow.course_copy import make_course_copy
from tests.e2e.honest import HONEST
from tests.engine_course import run_cli

pytestmark = [pytest.mark.functional, pytest.mark.slow]

ASSIGNMENT = "ps1"
NOTEBOOK = "fashion_mnist"
COPIED = "input-layer-and-float32"
# A copy of that honest solution, disguised: the network renamed (net), independent statements
# reordered (test before train), comments and whitespace changed.
DISGUISED_COPY = {
    "normalize": "# scale the pixels\ntest_x   =  test_x.astype('float32')/255   # test first\n\n"
    "train_x = train_x.astype( 'float32' ) / 255",
    "one-hot": "test_y = to_categorical(test_y, num_classes = 10)\ntrain_y = to_categorical(train_y,num_classes=10)  # one-hot",
    "build-model": "net = Sequential()  # my network\nnet.add(keras.layers.InputLayer(shape=(28, 28)))\nnet.add(Flatten())\n\n"
    "net.add(Dense(1024, activation='relu'))\nnet.add(Dense(10, activation='softmax'))\nmodel = net",
}


def new_course(path):
    course = make_course_copy(path)
    shutil.copytree(course_config.COURSE_ROOT / "release" / ASSIGNMENT, course / "release" / ASSIGNMENT)
    return course


def release(course):
    return nbformat.read(course / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)


def reference(course):
    return samples.solution_code(nbformat.read(course / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4))


def put(course, student, nb):
    path = course / "submitted" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def test_class(tmp_path_factory):
    course = new_course(tmp_path_factory.mktemp("similarity") / "course")
    released = release(course)
    for case in HONEST:
        put(course, f"honest-{case.name}", samples.fill(released, case.changes))
    put(course, f"copy-of-{COPIED}", samples.fill(released, DISGUISED_COPY))
    for student in ("reference-a", "reference-b"):
        put(course, student, samples.fill(released, reference(course)))
    for student in ("release-a", "release-b", "release-c"):
        put(course, student, released)
    done = run_cli(course, "similarity", "--assignment", ASSIGNMENT)
    assert done.returncode == 0, done.stdout + done.stderr
    result = similarity.compare_class(course, ASSIGNMENT)
    print("\nflagged pairs (score, share of each, students):")
    for pair in result.pairs[:8]:
        flag = "FLAGGED" if pair.score >= result.threshold else "       "
        print(f"  {flag} {pair.score:.2f} ({pair.share_first:.2f}/{pair.share_second:.2f}) {pair.first} {pair.second}")
    return course, result, done


def flagged(result):
    return {frozenset((p.first, p.second)) for p in result.flagged}


def test_only_the_copy_and_the_reference_pair_are_flagged(test_class):
    _, result, _ = test_class
    assert flagged(result) == {
        frozenset(("reference-a", "reference-b")),
        frozenset((f"copy-of-{COPIED}", f"honest-{COPIED}")),
    }


def test_independent_honest_solutions_stay_below_the_threshold(test_class):
    _, result, _ = test_class
    honest = [p for p in result.pairs if p.first.startswith("honest-") and p.second.startswith("honest-")]
    assert len(honest) >= 36  # most cases wrote enough to compare
    assert max(p.score for p in honest) < result.threshold


def test_a_disguised_copy_scores_near_a_verbatim_one(test_class):
    _, result, _ = test_class
    scores = {frozenset((p.first, p.second)): p.score for p in result.pairs}
    assert scores[frozenset((f"copy-of-{COPIED}", f"honest-{COPIED}"))] >= 0.9
    assert scores[frozenset(("reference-a", "reference-b"))] == 1.0


def test_students_who_changed_nothing_are_not_compared(test_class):
    _, result, done = test_class
    assert {"release-a", "release-b", "release-c"} <= set(result.too_little)
    assert not any("release-" in p.first or "release-" in p.second for p in result.pairs)
    assert "not compared, too little code of their own" in done.stdout


def test_the_report_lists_the_flagged_pairs_side_by_side_and_is_no_verdict(test_class):
    course, result, done = test_class
    page = (course / "reports" / f"{ASSIGNMENT}-similarity.html").read_text()
    assert "it is not a verdict" in page and "for a person to look at" in page
    assert page.count("<div class='side'>") == len(result.flagged) == 2
    assert "<mark>" in page  # matching regions highlighted
    assert "reference-a and reference-b: 100% alike" in page
    assert "reports/ps1-similarity.html" in done.stdout


def test_student_ids_and_code_cannot_script_the_report(tmp_path):
    course = new_course(tmp_path / "course")
    released = release(course)
    hostile = {
        cell: code + "\nx = '</pre><script>alert(1)</script><img src=x onerror=alert(2)>'"
        for cell, code in DISGUISED_COPY.items()
    }
    put(course, "<img src=x onerror=alert(3)>", samples.fill(released, hostile))
    put(course, "mate", samples.fill(released, hostile))
    page = similarity.write_report(tmp_path / "r.html", similarity.compare_class(course, ASSIGNMENT)).read_text()
    assert "<script" not in page.lower() and "<img" not in page.lower()
    assert "&lt;script&gt;alert(1)" in page and "&lt;img src=x onerror=alert(3)&gt;" in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


def test_the_bundled_sample_class(tmp_path):
    """The demo's class: its samples are built from the reference, so they are alike; the unchanged
    release is not compared. No grading is needed."""
    course = new_course(tmp_path / "course")
    collected = run_cli(
        course, "collect", str(course_config.COURSE_ROOT / "examples" / "submitted"), "--assignment", ASSIGNMENT
    )
    assert collected.returncode == 0, collected.stderr
    done = run_cli(course, "similarity", "--assignment", ASSIGNMENT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "reference-solution  undertrained-model" in done.stdout
    assert "too little code of their own: unchanged-release" in done.stdout
    assert (course / "reports" / f"{ASSIGNMENT}-similarity.html").is_file()


def test_no_submissions_is_a_clear_error(tmp_path):
    course = new_course(tmp_path / "course")
    done = run_cli(course, "similarity", "--assignment", ASSIGNMENT)
    assert done.returncode == 1 and "No submissions of ps1 in submitted/" in done.stderr


def test_odd_metadata_in_a_submission_is_ignored_not_a_crash():
    released = nbformat.read(course_config.COURSE_ROOT / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    nb = samples.fill(released, DISGUISED_COPY)
    for metadata in ({"nbgrader": 5}, {"nbgrader": {"grade_id": ["normalize"]}}, {"nbgrader": {"grade_id": None}}):
        odd = nbformat.v4.new_code_cell("steal = 1")
        odd.metadata = metadata
        nb.cells.append(odd)
    code = similarity.own_code({NOTEBOOK: nb}, {NOTEBOOK: released})
    assert "steal" not in code and "net.add(Flatten())" in code
    assert "YOUR CODE HERE" not in code and "import" not in code
