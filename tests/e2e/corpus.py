"""Adversarial ps1 submissions about Keras (models, metrics, accuracy, training data), each with
the score it must get.

Attacks and faults that do not depend on Keras (tampering, limits, floods, sandbox, bad
input) grade the engine tests' small assignment instead: tests/e2e/engine_corpus.py.

Every entry is built from the current release notebook and the reference answers, so the
corpus follows the assignment when it changes. The expected score is what the honest part
of the submission earns: an attack must never add a point. Step points: imports 1,
load-data 1, show-images 1, normalize 2, one-hot 2, build-model 2, compile-model 1,
train-model 1, evaluate-model 4.
"""

from __future__ import annotations

from dataclasses import dataclass

from coursetools.engine.carriers import NOT_CARRIED

from .cases import Submission, only, reference_with
from .ps2_cases import POOLING

FIRST_FIVE = ["imports", "load-data", "show-images", "normalize", "one-hot"]  # 7 points


def first_five_then(attack_cell: str, code: str):
    return only(FIRST_FIVE, {attack_cell: code})


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
        "fake-accuracy-metric",
        "an untrained model compiled with a metric named 'accuracy' that always says 1.0",
        first_five_then(
            "build-model",
            "model = Sequential([Flatten(), Dense(1024, activation='relu'), "
            "Dense(10, activation='softmax')])\n" + FAKE_METRIC,
        ),
        expected=7,
        # The model cannot cross to the checker: those steps fail in the grader's fixed words.
        expect_in_outputs=[NOT_CARRIED["model-refused"]],
    ),
    Submission(
        "crafted-keras-archive",
        "patches Model.save in its kernel (in the training cell, so the honest model it built and "
        "compiled before earns those steps) so the exported archive names a keras.config function",
        reference_with(train_model=CRAFTED_ARCHIVE),
        expected=10,
        expect_in_outputs=[NOT_CARRIED["model-refused"]],
    ),
]


# ps1's accuracy step against models that memorise the test images or exceed MAX_PARAMETERS
# (tests/e2e/test_model_limits_ps1.py). ps1 grades the student's own trained model, so what
# stops memorisation is the size and layer limits and the training images the grader picks.
# The reference's answers up to the evaluation; the attack replaces `model` there (after the
# build, compile and train steps have checked the honest one) and measures it.
EVALUATE = "test_loss, test_accuracy = model.evaluate(test_x, test_y)"


@dataclass
class ModelLimitCase:
    name: str
    why: str
    evaluate: str  # the answer of the evaluate-model cell
    expected: int
    says: str  # in the failed accuracy step's message


MODEL_LIMIT_CASES = [
    ModelLimitCase(
        "memorises-test-images-and-the-old-fixed-slice",
        "no training: a nearest-neighbour lookup built from Dense layers holding the test images and the "
        "first 5,000 training images (the old check's fixed slice), 4x4-averaged: 938k parameters, within "
        "MAX_PARAMETERS, 100 % on the test images; on the 10,000 training images the grader draws at random "
        "most are not memorised, so the accuracy step (4 points) is lost",
        POOLING + "memory = np.concatenate([test_x, train_x[:5000]]).reshape(-1, 784).astype('float32') @ pool\n"
        "labels = np.concatenate([test_y, train_y[:5000]]).astype('float32')\n"
        "model = keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Flatten(), "
        "keras.layers.Dense(49, use_bias=False), keras.layers.Dense(len(memory)), "
        "keras.layers.Activation('softmax'), keras.layers.Dense(10, use_bias=False)])\n"
        "model.layers[1].set_weights([pool])\n"
        "model.layers[2].set_weights([2000 * memory.T, -1000 * (memory**2).sum(axis=1)])\n"
        "model.layers[4].set_weights([labels])\n"
        "model.compile(loss='categorical_crossentropy', metrics=['accuracy'])\n" + EVALUATE,
        expected=11,
        says="better on the test images than on the training images",
    ),
    ModelLimitCase(
        "fifty-million-parameters",
        "the honest model's accuracy reported, then `model` replaced by one of 50.9M parameters: the "
        "accuracy step refuses it with the limit before measuring anything",
        EVALUATE + "\nmodel = keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Flatten(), "
        "keras.layers.Dense(64000, activation='relu'), keras.layers.Dense(10, activation='softmax')])",
        expected=11,
        says="more than MAX_PARAMETERS = 2,000,000",
    ),
]
