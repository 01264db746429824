"""A test the grader could not check goes to manual grading instead of scoring 0.

When a test fails only because a value could not be carried to the checker
(carriers.NotCarried: a model Keras cannot load safely, an object of the
student's own class, ...), the student is not wrong: the grader is limited.
nbgrader's SaveAutoGrades would record 0; this records no automatic score and
flags the cell as needing a manual grade, so the formgrader, the summary and the
CSV list it for the instructor, and the feedback says the grader could not
check it. Nothing is gained automatically.
"""

from nbgrader.preprocessors import SaveAutoGrades

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
