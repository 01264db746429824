"""Attacks, faults and bad input that are not about Keras, on the engine tests' small assignment.

The grading engine's defences (tampering, limits, floods, sandbox, carriers, bad input) do
not depend on the assignment: these cases grade `engine` (tests/engine_course.py, plain
Python, seconds per submission) instead of ps1's TensorFlow notebook. Each entry keeps
what it showed on ps1: the attack, and the exact score the honest part of it earns.

Every entry is built from the engine's release notebook and reference answers. Points:
test-squares 1, test-values 1, test-normalize 2 (automatic); reflection 1 by hand (a
written answer is flagged for the instructor: `review`; an unanswered one scores 0).
"@COURSE@" in an answer stands for the scratch course's folder (an attacker who knows
where the grader lives). A submission whose graded cells were deleted, duplicated or
forged is not graded at all and is reported to the instructor (`reported`).
"""

from __future__ import annotations

import copy

import nbformat

from .cases import Submission, only, reference_with

FIRST_TWO = ["squares", "values"]  # 2 points
COURSE_PLACEHOLDER = "@COURSE@"


def first_two_then(attack_cell: str, code: str):
    """squares and values answered honestly (2 points), then `code` in `attack_cell`."""
    return only(FIRST_TWO, {attack_cell: code})


def cells_with(nb, predicate):
    return [c for c in nb.cells if predicate(c.metadata.get("nbgrader", {}))]


def replace_test_sources(nb):
    for cell in cells_with(nb, lambda m: m.get("grade") and m.get("locked")):
        cell.source = "pass  # tests removed"


def delete_test_cells(nb):
    nb.cells = [c for c in nb.cells if not c.metadata.get("nbgrader", {}).get("grade")]


def add_fake_test_cell(nb):
    fake = nbformat.v4.new_code_cell(
        "assert True",
        metadata={
            "nbgrader": {
                "grade": True,
                "grade_id": "bonus",
                "locked": True,
                "points": 100,
                "schema_version": 3,
                "solution": False,
                "task": False,
            }
        },
    )
    nb.cells.append(fake)


def duplicate_test_cells(nb):
    for cell in list(cells_with(nb, lambda m: m.get("grade"))):
        nb.cells.insert(nb.cells.index(cell), copy.deepcopy(cell))


def edit_settings_cell(nb):
    cell = cells_with(nb, lambda m: m.get("grade_id") == "settings")[0]
    assert "SCALE = 3" in cell.source
    cell.source = cell.source.replace("SCALE = 3", "SCALE = 0")


# Wrong answers that the attacks below try to get through the tests.
WRONG_VALUES = "values = None\n"
WRONG_NORMALIZE = "def normalize(x):\n    return x"

MONKEYPATCH = """
import builtins, numpy, unittest
numpy.array_equal = numpy.allclose = numpy.isclose = lambda *a, **k: True
builtins.isinstance = lambda *a, **k: True
builtins.callable = lambda *a, **k: True
builtins.len = lambda *a: 5
unittest.TestCase.assertTrue = lambda *a, **k: None
"""

ALWAYS_EQUAL = """
import numpy as np

class AlwaysEqual:
    __class__ = property(lambda self: np.ndarray)  # isinstance(x, np.ndarray) says yes
    shape = (5,)
    dtype = "int64"
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __bool__(self): return True
    def __getattr__(self, name): return AlwaysEqual()
    def __call__(self, *args, **kwargs): return AlwaysEqual()
    def __len__(self): return 5
    def __iter__(self): return iter([AlwaysEqual()] * 5)
    def __array__(self, *args, **kwargs): raise TypeError("not an array")

values = AlwaysEqual()

def normalize(x):
    return AlwaysEqual()
"""

INPUT_TRANSFORMER = """
get_ipython().input_transformers_post.append(lambda lines: ["pass\\n"])
"""

SILENCE_ERRORS = """
ip = get_ipython()
ip.set_custom_exc((BaseException,), lambda *a, **k: None)
ip.showtraceback = lambda *a, **k: None
import sys; sys.excepthook = lambda *a: None
"""

# Looks everywhere it may for the hidden tests, the course's source and the gradebook,
# then tries to write to the scratch course's gradebook and source.
SNOOP = r"""
import os
for dirpath, dirs, files in os.walk("/"):
    if dirpath.startswith(("/proc", "/sys", "/dev", "/usr")) or dirpath.endswith("site-packages"):
        dirs[:] = []
        continue
    for f in files:
        path = os.path.join(dirpath, f)
        if f in ("warmup.ipynb", "course_config.py") or f.endswith(".db"):
            try:
                text = open(path, errors="ignore").read()
                print("READ", path, "HIDDEN" if "_hidden_input" in text else "")
            except Exception as e:
                print("DENIED", path, type(e).__name__)
for path in ["@COURSE@/gradebook.db", "@COURSE@/source/engine/warmup.ipynb", "/gradebook.db"]:
    try:
        open(path, "ab").write(b"corrupt")
        print("WROTE", path)
    except Exception as e:
        print("NOWRITE", path, type(e).__name__)
"""

NETWORK = """
import socket
try:
    socket.create_connection(("pypi.org", 443), timeout=3)
    print("NETWORK-OPEN")
except Exception as e:
    print("NETWORK-CLOSED", type(e).__name__)
"""

FORGED_MANIFEST = """
import json
_dump = json.dump

def dump(obj, fh, *args, **kwargs):
    if isinstance(obj, dict) and obj and all(isinstance(k, str) for k in obj):
        obj = {k: {"$": "object", "module": "numpy", "qualname": "os.system"} for k in obj}
    return _dump(obj, fh, *args, **kwargs)

json.dump = dump
"""

SHM_FILLER = """
import os
os.makedirs("/dev/shm/fill", exist_ok=True)
block = b"x" * (64 * 1024 * 1024)
for i in range(200):  # 12.5 GB, far over the kernel's memory limit
    with open(f"/dev/shm/fill/{i}", "wb") as fh:
        fh.write(block)
"""

FORK_BOMB = """
import os, time
children = 0
try:
    for _ in range(5000):
        if os.fork() == 0:
            time.sleep(30)
            os._exit(0)
        children += 1
except OSError as error:
    print("FORK-STOPPED", children, error.errno)
"""

MEMORY_HOG = "hog = []\nwhile True:\n    hog.append(np.ones(10**8))"
ONE_HUGE_LINE = 'print("x" * 100_000_000)'
MANY_LINES = 'for i in range(200_000):\n    print("line", i)'
INFINITE_LOOP = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"
MARKUP = """
from IPython.display import HTML, Javascript, display
display(HTML("<b>bold</b><script>document.title='PWNED-HTML'</script><img src=x onerror=\\"document.title='PWNED-IMG'\\">"))
display(Javascript("document.title='PWNED-JS'"))
"""

ENGINE_CORPUS = [
    Submission(
        "monkeypatched-checks",
        "patches numpy, builtins and unittest in the student kernel so wrong values and functions pass",
        only(["squares"], {"values": MONKEYPATCH + WRONG_VALUES, "normalize": WRONG_NORMALIZE}),
        expected=1,
    ),
    Submission(
        "always-equal-objects",
        "a value and a function result whose comparisons are always true and that claim to be arrays",
        only(["squares"], {"values": ALWAYS_EQUAL, "normalize": "pass  # defined above"}),
        expected=1,
        # The grader cannot carry such objects to its checker: both steps fail in its fixed words.
    ),
    Submission(
        "input-transformer",
        "rewrites every later cell (the tests) into `pass`",
        only(["squares"], {"values": INPUT_TRANSFORMER + WRONG_VALUES, "normalize": WRONG_NORMALIZE}),
        expected=1,
    ),
    Submission(
        "silenced-errors",
        "custom exception handler and a no-op showtraceback",
        only(["squares"], {"values": SILENCE_ERRORS + WRONG_VALUES, "normalize": WRONG_NORMALIZE}),
        expected=1,
    ),
    Submission(
        "edited-test-cells",
        "test cells replaced by `pass`",
        only(["squares"], {"values": WRONG_VALUES, "normalize": WRONG_NORMALIZE}),
        expected=1,
        edit_notebook=replace_test_sources,
    ),
    Submission(
        "deleted-test-cells",
        "test cells (and the graded written answer) removed from the notebook",
        reference_with(),
        expected=0,
        edit_notebook=delete_test_cells,
        reported="missing 4 graded or locked cell(s)",
    ),
    Submission(
        "duplicated-test-cells",
        "every test cell appears twice",
        reference_with(),
        expected=0,
        edit_notebook=duplicate_test_cells,
        reported="cells that appear more than once",
    ),
    Submission(
        "faked-test-cell",
        "adds a 100-point test cell that always passes",
        only(["squares"]),
        expected=0,
        edit_notebook=add_fake_test_cell,
        reported="marked for grading that the release does not have (bonus)",
    ),
    Submission(
        "locked-cell-changed",
        "sets SCALE = 0 in the locked settings cell so that zeros pass the values test; the written "
        "answer still goes to the instructor",
        reference_with(values="values = np.zeros(5, dtype=int)"),
        expected=3,
        review=1,
        edit_notebook=edit_settings_cell,
    ),
    Submission(
        "snoops-disk-and-gradebook",
        "looks for hidden tests, source and the gradebook; writes to them",
        only(["squares"], {"values": SNOOP}),
        expected=1,
    ),
    Submission(
        "uses-network",
        "tries to reach the internet",
        only(["squares"], {"values": NETWORK}),
        expected=1,
        expect_in_outputs=["NETWORK-CLOSED"],
    ),
    Submission(
        "forged-manifest",
        "patches json.dump in its kernel so every exported name points at numpy's os.system",
        only(["squares"], {"values": "values = np.arange(5) * SCALE\n" + FORGED_MANIFEST}),
        expected=1,
        # The grader cannot load what the kernel exported after the patch: the later steps (values,
        # normalize) fail in its fixed words.
        expect_in_outputs=["the grader could not load it"],
    ),
    Submission(
        "exits-midway",
        "os._exit(3) after two good steps",
        first_two_then("normalize", "import os; os._exit(3)"),
        expected=2,
        expect_in_outputs=["exit code 3"],
    ),
    Submission(
        "memory-hog",
        "allocates without limit after two good steps",
        first_two_then("normalize", MEMORY_HOG),
        expected=2,
        expect_in_outputs=["memory limit"],
    ),
    Submission(
        "fills-dev-shm",
        "writes gigabytes of files into RAM (/dev/shm) after two good steps",
        first_two_then("normalize", SHM_FILLER),
        expected=2,
        expect_in_outputs=["memory limit"],
    ),
    Submission(
        "fork-bomb",
        "forks thousands of processes after two good steps",
        first_two_then("normalize", FORK_BOMB),
        expected=2,
        expect_in_outputs=["FORK-STOPPED"],
    ),
    Submission(
        "one-huge-line",
        "prints one 100 MB line after two good steps",
        first_two_then("normalize", ONE_HUGE_LINE),
        expected=2,
        expect_in_outputs=["[output limit]"],
    ),
    Submission(
        "many-lines",
        "prints 200,000 lines after two good steps",
        first_two_then("normalize", MANY_LINES),
        expected=2,
        expect_in_outputs=["[output limit]"],
    ),
    Submission(
        "scripts-in-outputs",
        "HTML and JavaScript outputs that would run in the feedback page, in a cell that is otherwise right",
        only(["squares", "values", "normalize"], {"values": "values = np.arange(5) * SCALE\n" + MARKUP}),
        expected=4,
    ),
    Submission(
        "infinite-loop",
        "loops forever, ignoring interrupts, after two good steps",
        first_two_then("normalize", INFINITE_LOOP),
        expected=2,
        expect_in_outputs=["time limit"],
    ),
]

# Files that are not a gradable notebook: each is reported clearly and the rest of the batch graded.
BAD_INPUT = {
    "malformed-json": "not a valid notebook",
    "renamed-notebook": "no warmup.ipynb",
    "newer-nbformat": "nbformat",
    "stripped-metadata": "stripped their nbgrader metadata",
}
