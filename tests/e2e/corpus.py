"""Adversarial and faulty submissions of ps1, each with the score it must get.

Every entry is built from the current release notebook and the reference
answers, so the corpus follows the assignment when it changes. The expected
score is what the honest part of the submission earns: an attack must never add
a point. A submission whose graded cells were deleted, duplicated or forged is
not graded at all and is reported to the instructor (`reported`). Step points: imports 1, load-data 1, show-images 1, normalize 2,
one-hot 2, build-model 2, compile-model 1, train-model 1, evaluate-model 4.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field

import nbformat

FIRST_FIVE = ["imports", "load-data", "show-images", "normalize", "one-hot"]  # 7 points


@dataclass
class Submission:
    name: str
    why: str
    answers: Callable[[dict], dict]
    expected: float
    edit_notebook: Callable | None = None
    expect_in_outputs: list[str] = field(default_factory=list)
    # Submissions that cannot be graded as they are: not graded, reported with this message.
    reported: str = ""
    # Points of the steps the grader could not check (values it could not carry): not
    # scored, flagged for the instructor's manual grade.
    review: float = 0


def only(steps, extra=None):
    def build(reference):
        chosen = {k: v for k, v in reference.items() if k in steps}
        chosen.update(extra or {})
        return chosen

    return build


def reference_with(**changes):
    def build(reference):
        return {**reference, **{k.replace("_", "-"): v for k, v in changes.items()}}

    return build


def first_five_then(attack_cell: str, code: str):
    return only(FIRST_FIVE, {attack_cell: code})


def cells_with(nb, predicate):
    return [c for c in nb.cells if predicate(c.metadata.get("nbgrader", {}))]


def replace_test_sources(nb):
    for cell in cells_with(nb, lambda m: m.get("grade")):
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
    cell.source = cell.source.replace("ACCURACY_THRESHOLD = 0.85", "ACCURACY_THRESHOLD = 0.0")


ALWAYS_EQUAL = """
class AlwaysEqual:
    shape = (60000, 28, 28)
    dtype = "float64"
    def __eq__(self, other): return True
    def __ge__(self, other): return True
    def __le__(self, other): return True
    def __getattr__(self, name): return AlwaysEqual()
    def __call__(self, *args, **kwargs): return AlwaysEqual()
    def __len__(self): return 60000
train_x = test_x = train_y = test_y = model = history = AlwaysEqual()
test_loss, test_accuracy = 0.0, 1.0
class_names = AlwaysEqual()
"""

MONKEYPATCH = """
import builtins, numpy, keras
numpy.array_equal = numpy.allclose = numpy.isclose = lambda *a, **k: True
builtins.isinstance = lambda *a, **k: True
builtins.len = lambda *a: 60000
keras.Model.evaluate = lambda self, *a, **k: [0.0, 1.0]
import unittest; unittest.TestCase.assertTrue = lambda *a, **k: None
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

SNOOP = r"""
import os
for dirpath, dirs, files in os.walk("/"):
    if dirpath.startswith(("/proc", "/sys", "/dev")):
        dirs[:] = []
        continue
    for f in files:
        path = os.path.join(dirpath, f)
        if f in ("fashion_mnist.ipynb", "course_config.py") or f.endswith(".db"):
            try:
                text = open(path, errors="ignore").read()
                print("READ", path, "HIDDEN" if "_graded_accuracy" in text else "")
            except Exception as e:
                print("DENIED", path, type(e).__name__)
for path in ["/work/main/gradebook.db", "/work/main/source/ps1/fashion_mnist.ipynb", "/gradebook.db"]:
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

FAKE_METRIC = """
import keras

class AlwaysOne(keras.metrics.Metric):
    def __init__(self, name="accuracy", **kwargs):
        super().__init__(name=name, **kwargs)
    def update_state(self, y_true, y_pred, sample_weight=None):
        pass
    def result(self):
        return 1.0

model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=[AlwaysOne()])
"""

CRAFTED_ARCHIVE = """
import json, zipfile, keras
_save = keras.Model.save

def save(self, path, *args, **kwargs):
    _save(self, path, *args, **kwargs)
    with zipfile.ZipFile(path) as archive:
        files = {n: archive.read(n) for n in archive.namelist()}
    config = json.loads(files["config.json"])
    for layer in config["config"]["layers"]:
        if layer["class_name"] == "Dense":
            layer["config"]["activation"] = {"module": "keras.config", "class_name": "function",
                                             "config": "disable_interactive_logging"}
    files["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for n, data in files.items():
            archive.writestr(n, data)

keras.Model.save = save
history = model.fit(train_x, train_y, epochs=EPOCHS, batch_size=BATCH_SIZE)
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

ONE_HUGE_LINE = 'print("x" * 100_000_000)'
MANY_LINES = 'for i in range(200_000):\n    print("line", i)'
MARKUP = """
from IPython.display import HTML, Javascript, display
display(HTML("<b>bold</b><script>document.title='PWNED-HTML'</script><img src=x onerror=\\"document.title='PWNED-IMG'\\">"))
display(Javascript("document.title='PWNED-JS'"))
"""

CORPUS = [
    Submission(
        "hardcoded-accuracy",
        "prints and stores a perfect accuracy without training",
        reference_with(
            train_model="history = None",
            evaluate_model="test_loss, test_accuracy = 0.01, 0.99\nprint('Test accuracy: 99.00%')",
        ),
        expected=10,
    ),
    Submission(
        "trained-on-test-set",
        "fits on the test images instead of the training images",
        reference_with(train_model="history = model.fit(test_x, test_y, epochs=30, batch_size=BATCH_SIZE, verbose=0)"),
        expected=11,
    ),
    Submission(
        "shrunken-model",
        "an 8-unit hidden layer instead of 1024, too small to reach the threshold",
        reference_with(
            build_model="model = Sequential([Flatten(), Dense(8, activation='relu'), Dense(10, activation='softmax')])"
        ),
        expected=9,
    ),
    Submission(
        "monkeypatched-checks",
        "patches numpy, builtins, keras and unittest in the student kernel",
        only(["imports"], {"load-data": MONKEYPATCH}),
        expected=1,
    ),
    Submission(
        "always-equal-objects",
        "variables whose comparisons are always true",
        only(["imports"], {"load-data": ALWAYS_EQUAL}),
        expected=1,
    ),
    Submission(
        "input-transformer",
        "rewrites every later cell (the tests) into `pass`",
        only(["imports"], {"load-data": INPUT_TRANSFORMER}),
        expected=1,
    ),
    Submission(
        "silenced-errors",
        "custom exception handler and a no-op showtraceback",
        only(["imports"], {"load-data": SILENCE_ERRORS}),
        expected=1,
    ),
    Submission(
        "edited-test-cells",
        "test cells replaced by `pass`",
        only(["imports"]),
        expected=1,
        edit_notebook=replace_test_sources,
    ),
    Submission(
        "deleted-test-cells",
        "test cells removed from the notebook",
        only(FIRST_FIVE),
        expected=0,
        edit_notebook=delete_test_cells,
        reported="missing 9 graded or locked cell(s)",
    ),
    Submission(
        "duplicated-test-cells",
        "every test cell appears twice",
        only(FIRST_FIVE),
        expected=0,
        edit_notebook=duplicate_test_cells,
        reported="cells that appear more than once",
    ),
    Submission(
        "faked-test-cell",
        "adds a 100-point test cell that always passes",
        only(["imports"]),
        expected=0,
        edit_notebook=add_fake_test_cell,
        reported="marked for grading that the release does not have (bonus)",
    ),
    Submission(
        "locked-cell-changed",
        "lowers ACCURACY_THRESHOLD in the locked settings cell",
        reference_with(
            train_model="history = model.fit(train_x[:1000], train_y[:1000], epochs=1, batch_size=BATCH_SIZE)"
        ),
        expected=11,
        edit_notebook=edit_settings_cell,
    ),
    Submission(
        "snoops-disk-and-gradebook",
        "looks for hidden tests, source and the gradebook; writes to it",
        only(["imports"], {"load-data": SNOOP}),
        expected=1,
    ),
    Submission(
        "uses-network",
        "tries to reach the internet",
        only(["imports"], {"load-data": NETWORK}),
        expected=1,
        expect_in_outputs=["NETWORK-CLOSED"],
    ),
    Submission(
        "exits-midway",
        "os._exit(3) after five good steps",
        first_five_then("build-model", "import os; os._exit(3)"),
        expected=7,
        expect_in_outputs=["exit code 3"],
    ),
    Submission(
        "memory-hog",
        "allocates without limit after five good steps",
        first_five_then("build-model", "hog = []\nwhile True:\n    hog.append(np.ones(10**8))"),
        expected=7,
        expect_in_outputs=["memory limit"],
    ),
    Submission(
        "fake-accuracy-metric",
        "an untrained model compiled with a metric named 'accuracy' that always says 1.0",
        first_five_then(
            "build-model",
            "model = Sequential([Flatten(), Dense(1024, activation='relu'), "
            "Dense(10, activation='softmax')])\n" + FAKE_METRIC,
        ),
        expected=7,
        review=3,
        expect_in_outputs=["AlwaysOne"],
    ),
    Submission(
        "crafted-keras-archive",
        "patches Model.save in its kernel (in the training cell, so the honest model it built and "
        "compiled before earns those steps) so the exported archive names a keras.config function",
        reference_with(train_model=CRAFTED_ARCHIVE),
        expected=10,
        review=5,
        expect_in_outputs=["keras.config.disable_interactive_logging, which is not part of Keras"],
    ),
    Submission(
        "forged-manifest",
        "patches json.dump in its kernel so every exported name points at numpy's os.system",
        only(
            ["imports"],
            {"load-data": "(train_x, train_y), (test_x, test_y) = fashion_mnist.load_data()\n" + FORGED_MANIFEST},
        ),
        expected=1,
        review=14,
        expect_in_outputs=["the grader could not load it"],
    ),
    Submission(
        "fills-dev-shm",
        "writes gigabytes of files into RAM (/dev/shm) after five good steps",
        first_five_then("build-model", SHM_FILLER),
        expected=7,
        expect_in_outputs=["memory limit"],
    ),
    Submission(
        "fork-bomb",
        "forks thousands of processes after five good steps",
        first_five_then("build-model", FORK_BOMB),
        expected=7,
        expect_in_outputs=["FORK-STOPPED"],
    ),
    Submission(
        "one-huge-line",
        "prints one 100 MB line after five good steps",
        first_five_then("build-model", ONE_HUGE_LINE),
        expected=7,
        expect_in_outputs=["[output limit]"],
    ),
    Submission(
        "many-lines",
        "prints 200,000 lines after five good steps",
        first_five_then("build-model", MANY_LINES),
        expected=7,
        expect_in_outputs=["[output limit]"],
    ),
    Submission(
        "scripts-in-outputs",
        "HTML and JavaScript outputs that would run in the feedback page",
        only(
            FIRST_FIVE,
            {
                "show-images": "class_names = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', "
                "'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']\n" + MARKUP
            },
        ),
        expected=7,
    ),
    Submission(
        "infinite-loop",
        "loops forever, ignoring interrupts, after five good steps",
        first_five_then(
            "build-model", "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"
        ),
        expected=7,
        expect_in_outputs=["time limit"],
    ),
]
