"""A .keras archive from the student's side loads only when it names nothing but public Keras parts."""

import json
import zipfile

import numpy as np
import pytest

from coursetools import carriers

pytestmark = pytest.mark.unit
keras = pytest.importorskip("keras")


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    import tensorflow as tf

    folder = tmp_path_factory.mktemp("model")
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(3, activation=tf.nn.relu),
            keras.layers.Dense(2, activation=tf.nn.softmax),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    carriers.export_names({"model": model}, ["model"], str(folder))
    return folder


def rewrite(archive, tmp_path, change):
    folder = tmp_path / "crafted"
    folder.mkdir()
    (folder / carriers.MANIFEST).write_text((archive / carriers.MANIFEST).read_text())
    (name,) = [p.name for p in archive.glob("*.keras")]
    with zipfile.ZipFile(archive / name) as source, zipfile.ZipFile(folder / name, "w") as target:
        files = {n: source.read(n) for n in source.namelist()}
        config = json.loads(files["config.json"])
        change(config, files)
        files["config.json"] = json.dumps(config).encode()
        for n, data in files.items():
            target.writestr(n, data)
    return folder


def load(folder):
    loaded = {}
    carriers.load_names(["model"], str(folder), loaded)
    return loaded["model"]


def dense_configs(config):
    return [layer["config"] for layer in config["config"]["layers"] if layer["class_name"] == "Dense"]


def test_a_model_with_tensorflow_activations_loads_and_computes_the_same(archive):
    model = load(archive)
    assert isinstance(model, keras.Sequential)
    out = model.predict(np.ones((1, 4), dtype="float32"), verbose=0)
    assert out.shape == (1, 2) and np.isclose(out.sum(), 1.0)


@pytest.mark.parametrize(
    "change, reason",
    [
        (
            lambda c, f: dense_configs(c)[0].update(
                activation={"module": "keras.config", "class_name": "function", "config": "set_epsilon"}
            ),
            "keras.config.set_epsilon, which is not part of Keras",
        ),
        (
            lambda c, f: c["config"]["layers"].append(
                {"module": "keras.layers", "class_name": "Lambda", "config": {"function": "x"}}
            ),
            "Lambda, which the grader does not load",
        ),
        (
            lambda c, f: dense_configs(c)[0].update(
                activation={"module": "builtins", "class_name": "function", "config": "eval"}
            ),
            "builtins.eval",
        ),
        (
            lambda c, f: dense_configs(c)[0].update(
                kernel_initializer={
                    "module": "keras.initializers",
                    "class_name": "Zeros",
                    "registered_name": "Custom>X",
                }
            ),
            "Zeros, which the grader does not load",
        ),
        (lambda c, f: f.update({"payload.py": b"import os"}), "more than a Keras model"),
    ],
    ids=["keras-config-function", "lambda-layer", "builtin-function", "registered-custom", "extra-file"],
)
def test_a_crafted_archive_is_refused_with_a_reason(archive, tmp_path, change, reason):
    model = load(rewrite(archive, tmp_path, change))
    assert isinstance(model, carriers.UngradableValue)
    with pytest.raises(carriers.NotCarried, match=reason):
        _ = model.layers
