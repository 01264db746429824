"""Alternative texts for the figures students drew, for the feedback page."""

from nbconvert.preprocessors import Preprocessor

from coursetools.course.language import for_notebook


class DescribeStudentFigures(Preprocessor):
    """Give each image a student's cell drew an alternative text naming that cell, so the
    feedback page is readable with a screen reader (nbconvert otherwise warns and writes
    "No description has been provided for this image")."""

    enabled = True
    IMAGE_TYPES = ("image/png", "image/jpeg", "image/svg+xml", "image/gif")

    def preprocess(self, nb, resources):
        self._messages = for_notebook(nb, resources.get("nbgrader", {}).get("assignment"))
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code":
            return cell, resources
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        _ = self._messages
        where = (
            _("your cell '{grade_id}'").format(grade_id=grade_id)
            if grade_id
            else _("code cell {number}").format(number=cell_index + 1)
        )
        for output in cell.get("outputs", []):
            for mime in self.IMAGE_TYPES:
                if mime in output.get("data", {}):
                    described = output.setdefault("metadata", {}).setdefault(mime, {})
                    described.setdefault("alt", _("Figure drawn by {where}").format(where=where))
        return cell, resources
