"""Autograde puts hidden tests back without crying wolf.

nbgrader's OverwriteCells restores the instructor's version of every locked cell in a
submission. A test cell with hidden tests always differs from what students received
(the hidden tests were cut out of the release), so stock nbgrader warns "Attribute
'checksum' for cell ... has changed!" for each such cell of every honest submission,
and the same warning about a test a student really edited drowns among them. This
restores quietly when the submitted cell is exactly what was released and keeps the
warning for every real change.

A locked cell of a translated release (its comments in the student's language, translations.py)
is "as released" too: it is restored to the source's code like any other, so every language runs
the same code, and then shown again in the student's language (comments only differ).
"""

import copy

from nbformat.v4 import new_code_cell
from nbgrader import utils
from nbgrader.api import MissingEntry
from nbgrader.preprocessors import ClearHiddenTests, OverwriteCells

import course_config
from coursetools.course import translations
from coursetools.course.language import notebook_language


class RestoreLockedCells(OverwriteCells):
    def preprocess(self, nb, resources):
        language = notebook_language(nb)
        self._catalogue = None
        if language in translations.languages():  # any other claim: shown as the English source
            assignment = resources["nbgrader"]["assignment"]
            self._catalogue = translations.load(course_config.COURSE_ROOT, assignment, language)
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, cell_index):
        self._as_released = self._is_as_released(cell)
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if self._catalogue is not None and utils.is_locked(cell) and translations.translatable(cell):
            # restored to the source's code: its comments back in the student's language
            cell.source = translations.translation(self._catalogue, self.notebook_id, cell) or cell.source
        return cell, resources

    def report_change(self, name, attr, old, new):
        if attr == "checksum" and self._as_released:
            self.log.debug("Restored the hidden tests of cell %s", name)
            return
        super().report_change(name, attr, old, new)

    def _is_as_released(self, cell) -> bool:
        """Whether the cell's text is its source cell's with the hidden tests cut out."""
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if not grade_id or not utils.is_locked(cell):
            return False
        try:
            source = self.gradebook.find_source_cell(grade_id, self.notebook_id, self.assignment_id)
        except MissingEntry:
            return False
        released = new_code_cell(source.source)
        ClearHiddenTests(parent=self)._remove_hidden_test_region(released)
        if released.source.strip() == cell.source.strip():
            return True
        if self._catalogue is None:
            return False
        english = copy.deepcopy(cell)
        english.source = released.source
        translated = translations.translation(self._catalogue, self.notebook_id, english)
        return translated is not None and translated.strip() == cell.source.strip()
