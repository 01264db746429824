"""Course settings: the one place to change how assignments are released, run and graded.

Everything else (nbgrader_config.py, the coursetools package, the tests and the
benchmark) reads these values; nothing else hard-codes them.
"""

from pathlib import Path

COURSE_ROOT = Path(__file__).resolve().parent
COURSE_ID = "dl-intro"

# Assignments: one entry each, the folder source/<id>/ holding its notebooks, supporting
# files and optional course_plugin.py (step titles, feedback pictures, sample class; see
# coursetools/course/plugins.py). "notebooks": nbgrader's notebook names, in order. "settings":
# names that tests read from the course, never from the student; the checker defines
# them before every test, and a unit test checks they match the notebook's locked cell.
# The layer kinds of the fully connected networks both problem sets ask for, with the
# variety students bring (activation, normalization, noise and dropout layers).
DENSE_NETWORK_LAYERS = [
    "InputLayer", "Flatten", "Reshape", "Rescaling", "Normalization", "Dense", "Dropout", "GaussianDropout",
    "AlphaDropout", "GaussianNoise", "Activation", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax",
    "BatchNormalization", "LayerNormalization",
]  # fmt: skip
ASSIGNMENTS = {
    "ps1": {
        "notebooks": ["fashion_mnist"],
        # The training settings students are told to use, chosen so the reference clears
        # ACCURACY_THRESHOLD with margin on every seed tried while training in seconds on
        # 2 CPU cores (see benchmarks/README.md); the hidden test measures the accuracy itself.
        # MAX_PARAMETERS and ALLOWED_LAYERS bound the model the accuracy step grades: a model
        # large enough to memorise the test images, or of other layer kinds, fails that step.
        "settings": {
            "EPOCHS": 5,
            "BATCH_SIZE": 256,
            "SEED": 2026,
            "ACCURACY_THRESHOLD": 0.85,
            "MAX_PARAMETERS": 2_000_000,  # the task's model has 814,090
            "ALLOWED_LAYERS": DENSE_NETWORK_LAYERS,
        },
    },
    "ps2": {
        "notebooks": ["improving"],
        # A subset of the training images (TRAIN_SIZE for training, the last VALIDATION_SIZE for
        # validation) makes the ps1 model overfit visibly within LONG_EPOCHS on every seed measured
        # and keeps each training to seconds on 2 cores (benchmarks/README.md). The threshold is set
        # against the ps1 model trained under the same budget and data (0.827-0.842 over 5 seeds):
        # dropout designs gain about half a point on the same seed, less than a seed's luck, so the
        # bar keeps every honest design measured well clear (the reference's worst 0.832; the ps1 model
        # itself reached 0.818 in a student's run) and cannot fail the ps1 model on every seed (benchmarks/README.md). BUDGET_EPOCHS bounds what
        # students may train; the grader trains a fresh copy of the improved design for that long
        # itself, early stopping with PATIENCE (MAX_PARAMETERS also bounds that training's time).
        "settings": {
            "SEED": 2026,
            "TRAIN_SIZE": 5000,
            "VALIDATION_SIZE": 5000,
            "LONG_EPOCHS": 15,
            "BATCH_SIZE": 64,
            "BUDGET_EPOCHS": 40,
            "PATIENCE": 10,
            "ACCURACY_THRESHOLD": 0.81,
            "MAX_PARAMETERS": 3_000_000,
            "ALLOWED_LAYERS": DENSE_NETWORK_LAYERS,
        },
    },
}

# Languages every assignment is released in besides English (README: "Students: the course in
# Chinese"): the students' text of source/<id>/ translated in source/<id>/translations/<language>.po,
# one release folder per language, release/<id>-<language>/, graded as the one assignment <id>.
TRANSLATIONS = ["zh-CN"]

# --- the students' environment ------------------------------------------------------------
# What student code may import, in the grading sandbox and on the course's Jupyter server
# (all pinned in requirements.txt; a unit test imports each). Notebooks name them for students.
STUDENT_PACKAGES = {
    "numpy": "numpy",
    "matplotlib": "matplotlib",
    "keras": "keras",
    "tensorflow": "tensorflow",
    "pandas": "pandas",
    "scikit-learn": "sklearn",
    "tensorboard": "tensorboard",
}

# --- data -------------------------------------------------------------------
# Keras looks for these files in $KERAS_HOME/datasets/fashion-mnist/ before it
# tries to download them; `python -m coursetools data` fills that cache.
KERAS_HOME = COURSE_ROOT / ".keras"
DATA_SEARCH_PATHS = [Path("/usr/share/datasets/fashion-mnist")]  # Debian: dataset-fashion-mnist
FASHION_MNIST_SHA256 = {
    "train-images-idx3-ubyte.gz": "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
    "train-labels-idx1-ubyte.gz": "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
    "t10k-images-idx3-ubyte.gz": "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
    "t10k-labels-idx1-ubyte.gz": "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
}

# --- the course on a Jupyter server (README: "Running the course on a Jupyter server") ---
# nbgrader's exchange: `./course publish` puts released assignments here, students fetch and
# submit through it, `./course collect` (no source) takes submissions from it and
# `./course release-feedback` returns feedback through it. Every user must be able to write
# to it (`./course jupyter-setup` creates it with nbgrader's permissions).
EXCHANGE_ROOT = Path("/srv/nbgrader/exchange")
# What one submission collected from the exchange may hold (notebooks with outputs and any
# data files); a larger one is refused, as are links and anything but plain files.
SUBMISSION_MAX_MB = 100

# --- grading ----------------------------------------------------------------
CELL_TIMEOUT_SECONDS = 600  # nbgrader's 30 s is too short: the tutorial's own 10 epochs of batch 32 take
# 130-150 s on 2 cores and about twice that with GRADING_WORKERS sharing them
NOTEBOOK_TIMEOUT_SECONDS = 1200  # a whole submission, all cells together
FUNCTION_CALL_TIMEOUT_SECONDS = 60  # one call of a student's function by a test
# Limits of one sandboxed kernel, enforced by the kernel (coursetools/engine/kernel_limits.py); honest
# submissions stay far below them (ps1's reference peaks near 3 GB, about 100 threads).
# `./course autograde` refuses GRADING_WORKERS x 2 kernels x this above the host's memory
# (5120: 2 workers' kernels fit a 24 GB host with room for the grading processes).
KERNEL_MEMORY_LIMIT_MB = 5120  # memory of one kernel, files it writes in RAM-backed folders included
KERNEL_MAX_TASKS = 512  # processes and threads of one kernel (a fork bomb stops here)
# The cores between kernels running at once (cgroup cpu controller, coursetools/engine/kernel_limits.py):
# each kernel's weight (1024: equal shares, whatever its number of threads), and a hard cap
# in cores per kernel (None: none, an idle machine lends a kernel every core).
KERNEL_CPU_SHARES = 1024
KERNEL_CPU_CORES = None
KERNEL_MAX_FILE_MB = 2048  # size of any one file a kernel writes
# Refuse to grade students' submissions where this host cannot enforce the memory and process
# limits above by the kernel (no writable cgroup: `./course doctor` says why and how to fix it).
# False grades anyway, each kernel's memory then only polled by a watchdog (files in RAM not
# counted, no process limit), and every grading log and summary names the limits that were off.
REQUIRE_KERNEL_LIMITS = True
# What a cell of the student's kernel may print at all (cut in the kernel, before it is sent).
KERNEL_STREAM_LIMIT_BYTES = 10_000_000  # an honest fit(verbose=1) of 10 epochs of batch 32 prints about 4.5 MB
# Output a cell may keep, before nbgrader stores it; Keras progress bars collapse to their last state.
OUTPUT_LIMIT_BYTES_PER_CELL = 100_000
OUTPUT_LIMIT_LINES_PER_CELL = 1_000
OUTPUT_LIMIT_RICH_BYTES_PER_CELL = 5_000_000  # pictures and other rich output of one cell (a plot is ~50 KB)
OUTPUT_LIMIT_OUTPUTS_PER_CELL = 500  # separate outputs one cell keeps (5000 `display(i)` keep the first 500)
# What the whole graded notebook keeps, all cells together: many cells each just under a
# cell's limits cannot add up to a huge notebook (ps1's reference keeps about 0.3 MB).
OUTPUT_LIMIT_BYTES_PER_NOTEBOOK = 20_000_000
OUTPUT_LIMIT_OUTPUTS_PER_NOTEBOOK = 2_000
# The largest message the grader accepts from a kernel (zmq's MAXMSGSIZE on the grader's
# sockets): a bigger one, e.g. sent straight to the kernel's IOPub socket past the stream
# limit above, is dropped before it reaches the grader's memory and the cell gets a note.
# Above KERNEL_STREAM_LIMIT_BYTES with room for JSON escapes of non-ASCII text.
KERNEL_MESSAGE_LIMIT_BYTES = 32_000_000
GRADING_WORKERS = 2  # submissions graded at once by `coursetools autograde`
# Limits of each student's grading process (`nbgrader autograde --student`, which runs the
# two kernels): its own memory, outputs included (about 0.3 GB for ps1), and a wall-clock
# limit of the notebook's time plus this margin for kernel start-ups and the gradebook.
GRADING_PROCESS_MEMORY_MB = 2048
GRADING_PROCESS_MARGIN_SECONDS = 300
# Gradebook: None is nbgrader's SQLite file in the course root. For a class graded on
# several machines, a shared PostgreSQL URL, e.g. "postgresql+psycopg2://grader@dbhost/dl_intro"
# (see README: "Grading on submit and on many machines").
GRADEBOOK_URL = None
# Grading on submit (`./course serve`, README: "Grading on submit and on many machines"):
# None grades with the local pool of GRADING_WORKERS; a Redis URL, e.g. "redis://10.0.0.1:6379/0",
# grades through Celery on every `./course worker` reading it. A submission whose grading process
# fails or dies is tried at most GRADING_MAX_ATTEMPTS times in all, then shown as failed.
# Per assignment, ASSIGNMENTS[<id>]["on_submit"] = {"due": "2026-12-14T23:59:00+00:00",
# "feedback_before_due": "visible" (the steps without hidden tests only), "all" or "none",
# "daily_limit": 5} (every key optional).
GRADING_BROKER_URL = None
GRADING_MAX_ATTEMPTS = 3
SERVE_POLL_SECONDS = 2.0  # `./course serve` wakes on a new submission or a grading's end; this is its fallback poll
# `./course collect` of LMS downloads (nbgrader zip_collect): files named <student>_<notebook>.
# nbgrader matches it against the whole path of each extracted file.
SUBMISSION_FILENAME_PATTERN = r".*/(?P<student_id>[^/_]+)_(?P<file_id>[^/]+\.ipynb)$"
# Environment of every grading kernel: quiet TensorFlow logs on stderr and
# one-thread-pool settings that suit two cores.
KERNEL_ENV = {
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "PYTHONHASHSEED": "0",
    "MPLBACKEND": "Agg",
    "CUDA_VISIBLE_DEVICES": "",  # no GPU here; stops TF probing for one on stderr
}
# stderr text that is log noise, not a failure (nbgrader zeroes a test cell
# that writes anything else to stderr).
STDERR_NOISE_PATTERN = (
    r"(oneDNN custom operations|cuda drivers|absl::InitializeLog|"
    r"This TensorFlow binary is optimized|rebuild TensorFlow with|"
    r"computation placer already registered|Unable to register cu)"
)

# --- the class tools (README: "Instructor workflow") -------------------------------------
# `./course similarity`: a pair of students is listed for a person to look at when this share
# of their own code (answer cells minus the release and imports) matches the other's. Measured
# (tests/functional/test_similarity.py): independent honest ps1 solutions at most 0.28, the
# tutorial typed verbatim against the reference 0.44, disguised copies 0.99, identical ones 1.
SIMILARITY_THRESHOLD = 0.6
# copydetect's noise threshold: the shortest match counted, in characters of normalised tokens
# (names become V/F/O, strings S, whitespace and comments dropped); about one short statement.
SIMILARITY_NOISE_TOKENS = 25
