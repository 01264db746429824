"""Writes warmup.ipynb, the engine tests' small assignment (plain Python and numpy, no TensorFlow).

Run it after editing the cells below: `python tests/engine_assignment/make_notebook.py`.
"""

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the course root, when run as a script
from coursetools.course.scaffold import cell_metadata as meta  # noqa: E402

CELLS = [
    new_markdown_cell(
        "# Warm-up\n\nA small assignment the grader's own tests use: functions, values and a "
        "written answer, in plain Python and numpy."
    ),
    new_code_cell("import numpy as np\n\nSCALE = 3  # the course's setting", metadata=meta("settings", locked=True)),
    new_markdown_cell("## 1. Squares (1 point)\n\nWrite `squares(n)`, the list `[1, 4, ..., n*n]`."),
    new_code_cell(
        "def squares(n):\n    ### BEGIN SOLUTION\n    return [i * i for i in range(1, n + 1)]\n    ### END SOLUTION",
        metadata=meta("squares", solution=True),
    ),
    new_code_cell(
        'assert squares(3) == [1, 4, 9], "squares(3) should be [1, 4, 9]."\n'
        "### BEGIN HIDDEN TESTS\n"
        'assert squares(0) == [], "squares(0) should be an empty list."\n'
        'assert squares(6) == [1, 4, 9, 16, 25, 36], "squares(6) is wrong."\n'
        "### END HIDDEN TESTS",
        metadata=meta("test-squares", grade=True, locked=True, points=1),
    ),
    new_markdown_cell("## 2. Values (1 point)\n\nMake `values`, the numbers 0 to 4 times `SCALE`, as a numpy array."),
    new_code_cell(
        "### BEGIN SOLUTION\nvalues = np.arange(5) * SCALE\n### END SOLUTION\nprint(values)",
        metadata=meta("values", solution=True),
    ),
    new_code_cell(
        'assert isinstance(values, np.ndarray), "values should be a numpy array."\n'
        'assert np.array_equal(values, np.arange(5) * SCALE), "values should be 0, 3, 6, 9, 12."',
        metadata=meta("test-values", grade=True, locked=True, points=1),
    ),
    new_markdown_cell(
        "## 3. Normalize (2 points)\n\nWrite `normalize(x)`: the values of `x` minus their mean, "
        "divided by their standard deviation. The test's inputs are hidden."
    ),
    new_code_cell(
        "def normalize(x):\n    ### BEGIN SOLUTION\n    x = np.asarray(x, dtype=float)\n"
        "    return (x - x.mean()) / x.std()\n    ### END SOLUTION",
        metadata=meta("normalize", solution=True),
    ),
    new_code_cell(
        'assert callable(normalize), "normalize should be a function."\n'
        "### BEGIN HIDDEN TESTS\n"
        "_hidden_input = np.array([2.0, 4.0, 6.0, 8.0])\n"
        "_expected = (_hidden_input - _hidden_input.mean()) / _hidden_input.std()\n"
        'assert np.allclose(normalize(_hidden_input), _expected), "normalize gives wrong values."\n'
        "### END HIDDEN TESTS",
        metadata=meta("test-normalize", grade=True, locked=True, points=2),
    ),
    new_markdown_cell("## 4. Reflection (1 point, graded by hand)\n\nIn one sentence: why normalize inputs?"),
    new_markdown_cell(
        "Inputs on one scale make training steps of the same size for every feature.",
        metadata=meta("reflection", grade=True, solution=True, points=1),
    ),
]

if __name__ == "__main__":
    nb = new_notebook(
        cells=CELLS, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    )
    nbformat.write(nb, Path(__file__).with_name("warmup.ipynb"))
