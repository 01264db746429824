"""Feedback students receive shows why a test failed, never the hidden test code.

Stock nbgrader copies hidden tests into the feedback HTML verbatim (nbgrader
#917, #1363), both as cell source and inside tracebacks, which quote the
failing line. Here hidden regions are cut from the source and a failed test
shows only its error name and message, which the tests write in plain words.
"""

from nbformat.v4 import new_output
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests


class HideHiddenTests(ClearHiddenTests):
    enforce_metadata = False

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code":
            return cell, resources
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if utils.is_grade(cell) and not utils.is_solution(cell):
            cell.outputs = [self._plain(output) for output in cell.outputs]
        return cell, resources

    @staticmethod
    def _plain(output):
        if output.output_type != "error":
            return output
        message = f"{output.ename}: {output.evalue}" if output.evalue else output.ename
        return new_output("error", ename=output.ename, evalue=output.evalue, traceback=[message])
