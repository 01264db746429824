"""`./course new-assignment ID`: a new assignment's folder, ready to edit, release and validate.

It writes source/<ID>/<ID>.ipynb, a notebook holding one cell of each kind nbgrader grades
(made with nbformat and nbgrader's own cell metadata, as the formgrader's cell toolbar writes
it), and source/<ID>/course_plugin.py, a plugin stub (see plugins.py); it returns the
course_config.py entry, which the instructor pastes or lets the command append.

The example is plain numpy, so it releases, validates and grades in seconds:

| cell (grade_id)    | kind (toolbar)                 | what it shows                                   |
|--------------------|--------------------------------|-------------------------------------------------|
| settings           | read-only (locked)             | the course's settings, as course_config says    |
| (no metadata)      | given code                     | data and helpers students may read or change    |
| encode-labels      | autograded answer (solution)   | a function students write                       |
| test-encode-labels | autograded tests, 2 points     | a visible assert and hidden ones, among them an |
|                    |                                |   empty input                                   |
| scaled             | autograded answer              | a value computed from the given data            |
| test-scaled        | autograded tests, 1 point      | checks the value against the course's setting   |
| explain            | manually graded answer, 2 pts  | a written answer the instructor grades by hand  |
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

import course_config
from coursetools.course.plugins import PLUGIN_FILE
from coursetools.errors import CommandError

# nbgrader's assignment names become folder names and parts of file names: keep them plain.
ASSIGNMENT_ID = re.compile(r"[a-z][a-z0-9_]{0,39}")
SETTINGS = {"SCALE": 10}  # the example's one course setting, shown in the locked cell


def cell_metadata(grade_id: str, *, grade=False, solution=False, locked=False, points=None) -> dict:
    """nbgrader's metadata for a cell (schema 3, as the formgrader's toolbar writes it)."""
    nbgrader = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if points is not None:
        nbgrader["points"] = points
    return {"nbgrader": nbgrader}


def example_notebook(title: str):
    settings = "\n".join(f"{name} = {value!r}" for name, value in SETTINGS.items())
    cells = [
        new_markdown_cell(
            f"# {title}\n\nRun every cell from the top. Write your answers where it says "
            "`YOUR CODE HERE`; the checks under each answer show whether it works."
        ),
        new_code_cell(
            f"import numpy as np\n\n# The course's settings: the grader uses these values, whatever this cell says.\n{settings}",
            metadata=cell_metadata("settings", locked=True),
        ),
        new_code_cell(
            "# Given: the data this assignment works on.\nmeasurements = np.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0])",
        ),
        new_markdown_cell(
            "## 1. One-hot labels (2 points)\n\nWrite `one_hot(labels, n)`: for integer labels in "
            "`0 .. n-1`, the array of shape `(len(labels), n)` with a 1 in each row's label column and "
            "0 elsewhere."
        ),
        new_code_cell(
            "def one_hot(labels, n):\n    ### BEGIN SOLUTION\n    labels = np.asarray(labels, dtype=int)\n"
            "    return (labels[:, None] == np.arange(n)).astype(float)\n    ### END SOLUTION",
            metadata=cell_metadata("encode-labels", solution=True),
        ),
        new_code_cell(
            'assert np.array_equal(one_hot([0, 2], 3), [[1, 0, 0], [0, 0, 1]]), "one_hot([0, 2], 3) is wrong."\n'
            "### BEGIN HIDDEN TESTS\n"
            "_labels = np.array([1, 0, 3, 3])\n"
            'assert np.array_equal(one_hot(_labels, 4), np.eye(4)[_labels]), "one_hot gives wrong rows."\n'
            'assert np.shape(one_hot(np.array([], dtype=int), 3)) == (0, 3), "one_hot of no labels should have shape (0, n)."\n'
            "### END HIDDEN TESTS",
            metadata=cell_metadata("test-encode-labels", grade=True, locked=True, points=2),
        ),
        new_markdown_cell(
            "## 2. A value from the data (1 point)\n\nMake `scaled`: the `measurements` divided by their "
            "largest value, times `SCALE`."
        ),
        new_code_cell(
            "### BEGIN SOLUTION\nscaled = measurements / measurements.max() * SCALE\n### END SOLUTION\nprint(scaled)",
            metadata=cell_metadata("scaled", solution=True),
        ),
        new_code_cell(
            'assert np.shape(scaled) == measurements.shape, "scaled should have one value per measurement."\n'
            "### BEGIN HIDDEN TESTS\n"
            'assert np.allclose(scaled, measurements / measurements.max() * SCALE), "scaled has wrong values."\n'
            "### END HIDDEN TESTS",
            metadata=cell_metadata("test-scaled", grade=True, locked=True, points=1),
        ),
        new_markdown_cell("## 3. In your words (2 points, graded by hand)\n\nWhy might a model want one-hot labels?"),
        new_markdown_cell(
            "One-hot labels give each class its own output, so no class is treated as larger or closer "
            "to another than any other.",
            metadata=cell_metadata("explain", grade=True, solution=True, points=2),
        ),
    ]
    kernelspec = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    return new_notebook(cells=cells, metadata={"kernelspec": kernelspec, "language_info": {"name": "python"}})


PLUGIN_STUB = '''"""{assignment}'s grading plugin (see coursetools/course/plugins.py). Never released to students."""

# Human names of the graded steps: the summary, the self-check, feedback and reports use them.
STEP_TITLES = {{
    "test-encode-labels": "1. One-hot labels",
    "test-scaled": "2. A value from the data",
    "explain": "3. In your words",
}}

# Optional, see plugins.py:
# def measure(namespace) -> dict: numbers taken from the carried variables, in the checker.
# def pictures(insights) -> list[tuple[str, str]]: (alt text, PNG as base64) for the feedback page.
# SAMPLE_CLASS = {{"student": (build(answers) -> answers, expected points)}}: `./course samples`.
'''


def config_entry(assignment: str) -> str:
    """The line that adds the assignment to course_config.ASSIGNMENTS."""
    return f"ASSIGNMENTS[{assignment!r}] = {{'notebooks': [{assignment!r}], 'settings': {SETTINGS!r}}}"


def refuse_bad_id(assignment: str, root: Path) -> None:
    if not ASSIGNMENT_ID.fullmatch(assignment):
        raise CommandError(
            f"'{assignment}' is not a usable assignment id: use 1 to 40 lowercase letters, digits and "
            "underscores, starting with a letter (it names folders and files), e.g. hw3 or lab_2."
        )
    if assignment in course_config.ASSIGNMENTS:
        raise CommandError(f"'{assignment}' is already an assignment of course_config.py: choose another id.")
    if (root / "source" / assignment).exists():
        raise CommandError(f"source/{assignment}/ already exists: choose another id, or remove that folder first.")


def write(assignment: str, root: Path, add_to_config: bool = False) -> list[Path]:
    """Write the new assignment's folder (and, if asked, its course_config entry); the paths written."""
    root = Path(root)
    refuse_bad_id(assignment, root)
    folder = root / "source" / assignment
    folder.mkdir(parents=True)
    notebook = folder / f"{assignment}.ipynb"
    nbformat.write(example_notebook(assignment), notebook)
    plugin = folder / PLUGIN_FILE
    plugin.write_text(PLUGIN_STUB.format(assignment=assignment))
    written = [notebook, plugin]
    if add_to_config:
        config = root / "course_config.py"
        text = config.read_text()
        with open(config, "a") as fh:  # appended, so nothing the instructor wrote is rewritten
            fh.write(("" if text.endswith("\n") else "\n") + f"\n# Added by `./course new-assignment {assignment}`.\n")
            fh.write(config_entry(assignment) + "\n")
        written.append(config)
    return written
