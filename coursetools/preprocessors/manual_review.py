"""A test the grader could not check: failed in fixed words, or graded by hand where the
instructor chose so in source/.

A test fails with carriers.NotCarried when a value it reads could not be carried to the
checker (an object of the student's own class, a generator, a value nested too deeply, a
model with parts that are not Keras's own, ...). A student can produce such a value at
will, so it must not buy a grade by hand: the test scores 0 like any failed test, and its
error becomes a fixed message naming the kinds of values tests can read. Nothing the
student wrote (a type's name, an exception's message) stays in it.

A test the instructor tagged `manual-review-if-uncheckable` in source/
(assignments.MANUAL_REVIEW_TAG; read from source/, never from the submission) instead gets
no automatic score and is flagged for a manual grade: the formgrader, the summary and the
CSV list it, and its message tells the instructor to grade it from the notebook, never by
loading the student's files outside the sandbox (that would run the student's code).

Once the grades are saved, one line per notebook sums them up in nbgrader's log: the
formgrader's Autograde dialog and the command line show it; the details of the run
stay in the debug log.
"""

from nbformat.v4 import new_output
from nbgrader import utils
from nbgrader.preprocessors import SaveAutoGrades

from coursetools.course import plugins
from coursetools.course.assignments import is_autograder_test, marked_for_manual_review, source_notebook
from coursetools.course.language import N_
from coursetools.engine.carriers import NOT_CARRIED, SUPPORTED_KINDS
from coursetools.workflow.scores import StepScore, total

CANNOT_CHECK = "NotCarried"  # the error name the checker shows for such a test

# The fixed messages, with and without a fixed reason (one template each, for the catalogues).
FAILED = N_(
    "This step could not be checked: the grader cannot carry a value it uses to its checking kernel. "
    "Tests can read {kinds}. Give the step one of these and submit again."
)
FAILED_BECAUSE = N_(
    "This step could not be checked: the grader cannot carry a value it uses to its checking kernel: {reason}. "
    "Tests can read {kinds}. Give the step one of these and submit again."
)
BY_HAND = N_(
    "This step could not be checked automatically: the grader cannot carry a value it uses to its "
    "checking kernel. It is left to the instructor to grade by hand. Instructor: grade it from the notebook's "
    "code and outputs; do not load the student's model or files outside the grader's sandbox "
    "(keras.saving.load_model with safe_mode=False, pickle or running the notebook on your machine "
    "runs the student's code with your rights)."
)
BY_HAND_BECAUSE = N_(
    "This step could not be checked automatically: the grader cannot carry a value it uses to its "
    "checking kernel: {reason}. It is left to the instructor to grade by hand. Instructor: grade it from the notebook's "
    "code and outputs; do not load the student's model or files outside the grader's sandbox "
    "(keras.saving.load_model with safe_mode=False, pickle or running the notebook on your machine "
    "runs the student's code with your rights)."
)


def could_not_check(cell) -> bool:
    return is_autograder_test(cell) and bool(_errors(cell))


def _errors(cell) -> list:
    return [o for o in cell.get("outputs", []) if o.get("output_type") == "error" and o.get("ename") == CANNOT_CHECK]


def fixed_reason(cell) -> str:
    """Why the test could not check its value: one of the grader's fixed reasons when its
    errors name exactly one, else "" (their text may hold the student's words)."""
    found = {reason for o in _errors(cell) for reason in NOT_CARRIED.values() if reason in str(o.get("evalue", ""))}
    return found.pop() if len(found) == 1 else ""


def state_in_fixed_words(cell, by_hand: bool) -> None:
    """Replace the test's could-not-check errors by the fixed message (its other outputs stay)."""
    reason = fixed_reason(cell)
    errors = _errors(cell)
    if reason:
        message = (BY_HAND_BECAUSE if by_hand else FAILED_BECAUSE).format(reason=reason, kinds=SUPPORTED_KINDS)
    else:
        message = (BY_HAND if by_hand else FAILED).format(kinds=SUPPORTED_KINDS)
    fixed = new_output("error", ename=CANNOT_CHECK, evalue=message, traceback=[f"{CANNOT_CHECK}: {message}"])
    cell.outputs = [o for o in cell.outputs if not any(o is e for e in errors)] + [fixed]


class SaveAutoGradesOrReview(SaveAutoGrades):
    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        try:
            self.by_hand = set(marked_for_manual_review(source_notebook(info["assignment"], info["notebook"])))
        except (KeyError, OSError, ValueError):
            self.by_hand = set()  # no source notebook: no test opted into manual review
        nb, resources = super().preprocess(nb, resources)
        self.log.info(summary_line(nb, info, self.by_hand))
        return nb, resources

    def preprocess_cell(self, cell, resources, cell_index):
        if could_not_check(cell):
            state_in_fixed_words(cell, by_hand=cell.metadata["nbgrader"]["grade_id"] in self.by_hand)
        return super().preprocess_cell(cell, resources, cell_index)

    def _add_score(self, cell, resources):
        super()._add_score(cell, resources)
        if could_not_check(cell) and cell.metadata["nbgrader"]["grade_id"] in self.by_hand:
            grade = self.gradebook.find_grade(
                cell.metadata["nbgrader"]["grade_id"], self.notebook_id, self.assignment_id, self.student_id
            )
            grade.auto_score = None
            grade.needs_manual_grade = True
            self.gradebook.db.commit()


def summary_line(nb, info: dict, by_hand_tests=frozenset()) -> str:
    """'alice, <assignment>/<notebook>: 12/15 points; failed: <step> (0/2); could not be checked:
    <step> (0/1), <step> (to grade by hand); 3 to grade by hand'.

    A step that could not be checked never counts as passed: "every automatic check passed"
    only when every automatic check ran and passed. Totals by scores.total, the cells' grades
    as SaveAutoGradesOrReview records them.
    """
    steps, failed, unchecked = [], [], []
    for cell in nb.cells:
        if not utils.is_grade(cell):
            continue
        grade_id = cell.metadata["nbgrader"]["grade_id"]
        title = plugins.step_title(info["assignment"], grade_id, info.get("notebook"))
        points = float(cell.metadata["nbgrader"].get("points", 0))
        score, _ = utils.determine_grade(cell)
        if could_not_check(cell):
            to_review = grade_id in by_hand_tests
            score = None if to_review else 0.0  # as _add_score records it
            unchecked.append(f"{title} (to grade by hand)" if to_review else f"{title} (0/{points:g})")
        elif score is not None and score < points:
            failed.append(f"{title} ({score:g}/{points:g})")
        steps.append(StepScore(info["notebook"], grade_id, None if score is None else float(score), points))
    earned, possible, by_hand = total(steps)
    possible -= by_hand  # the line counts the points graded so far
    line = f"{info['student']}, {info['assignment']}/{info['notebook']}: {earned:g}/{possible:g} points"
    if failed:
        line += f"; failed: {', '.join(failed)}"
    if unchecked:
        line += f"; could not be checked: {', '.join(unchecked)}"
    if not failed and not unchecked:
        line += "; every automatic check passed"
    return line + (f"; {by_hand:g} to grade by hand" if by_hand else "")
