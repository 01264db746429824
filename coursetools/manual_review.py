"""A test the grader could not check goes to manual grading instead of scoring 0.

When a test fails only because a value could not be carried to the checker
(carriers.NotCarried: a model Keras cannot load safely, an object of the
student's own class, ...), the student is not wrong: the grader is limited.
nbgrader's SaveAutoGrades would record 0; this records no automatic score and
flags the cell as needing a manual grade, so the formgrader, the summary and the
CSV list it for the instructor, and the feedback says the grader could not
check it. Nothing is gained automatically.

Once the grades are saved, one line per notebook sums them up in nbgrader's log: the
formgrader's Autograde dialog and the command line show it; the details of the run
stay in the debug log.
"""

from nbgrader import utils
from nbgrader.preprocessors import SaveAutoGrades

from coursetools import plugins
from coursetools.assignments import is_autograder_test

CANNOT_CHECK = "NotCarried"  # the error name the checker shows for such a test


def could_not_check(cell) -> bool:
    return is_autograder_test(cell) and any(
        o.get("output_type") == "error" and o.get("ename") == CANNOT_CHECK for o in cell.get("outputs", [])
    )


class SaveAutoGradesOrReview(SaveAutoGrades):
    def _add_score(self, cell, resources):
        super()._add_score(cell, resources)
        if could_not_check(cell):
            grade = self.gradebook.find_grade(
                cell.metadata["nbgrader"]["grade_id"], self.notebook_id, self.assignment_id, self.student_id
            )
            grade.auto_score = None
            grade.needs_manual_grade = True
            self.gradebook.db.commit()

    def preprocess(self, nb, resources):
        nb, resources = super().preprocess(nb, resources)
        self.log.info(summary_line(nb, resources["nbgrader"]))
        return nb, resources


def summary_line(nb, info: dict) -> str:
    """'alice, <assignment>/<notebook>: 12/15 points; failed: <step> (0/2); 3 to grade by hand'."""
    earned = possible = by_hand = 0.0
    failed = []
    for cell in nb.cells:
        if not utils.is_grade(cell):
            continue
        points = float(cell.metadata["nbgrader"].get("points", 0))
        score, _ = utils.determine_grade(cell)
        if score is None or could_not_check(cell):
            by_hand += points
            continue
        possible += points
        earned += score
        if score < points:
            title = plugins.step_title(info["assignment"], cell.metadata["nbgrader"]["grade_id"])
            failed.append(f"{title} ({score:g}/{points:g})")
    line = f"{info['student']}, {info['assignment']}/{info['notebook']}: {earned:g}/{possible:g} points"
    line += f"; failed: {', '.join(failed)}" if failed else "; every automatic check passed"
    return line + (f"; {by_hand:g} to grade by hand" if by_hand else "")
