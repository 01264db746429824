"""A .keras archive from the student's side loads only when it names nothing but public Keras parts."""

import json
import re
import zipfile

import numpy as np
import pytest

from coursetools.engine import carriers

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


MODEL_REFUSED = carriers.NOT_CARRIED["model-refused"]


def function_entry(name, module="builtins"):
    return {"module": module, "class_name": "function", "config": name, "registered_name": "function"}


@pytest.mark.parametrize(
    "change",
    [
        lambda c, f: dense_configs(c)[0].update(activation=function_entry("set_epsilon", "keras.config")),
        lambda c, f: c["config"]["layers"].append(
            {"module": "keras.layers", "class_name": "Lambda", "config": {"function": "x"}}
        ),
        lambda c, f: dense_configs(c)[0].update(activation=function_entry("eval")),
        # Public functions of Keras's namespaces that its registries do not hold.
        lambda c, f: dense_configs(c)[0].update(activation=function_entry("get")),
        lambda c, f: dense_configs(c)[0].update(activation=function_entry("deserialize", "keras.losses")),
        lambda c, f: c["compile_config"].update(loss=function_entry("my_own_loss")),
        lambda c, f: c["compile_config"].update(loss=function_entry("relu", "keras.layers")),
        lambda c, f: dense_configs(c)[0].update(
            kernel_initializer={"module": "keras.initializers", "class_name": "Zeros", "registered_name": "Custom>X"}
        ),
        lambda c, f: dense_configs(c)[0].update(
            kernel_initializer={"module": "__main__", "class_name": "MyInitializer", "config": {}}
        ),
    ],
    ids=[
        "keras-config-function",
        "lambda-layer",
        "builtin-function",
        "keras-get",
        "keras-losses-deserialize",
        "students-own-function",
        "function-of-another-namespace",
        "registered-custom",
        "students-own-class",
    ],
)
def test_a_crafted_archive_is_refused_in_fixed_words(archive, tmp_path, change):
    model = load(rewrite(archive, tmp_path, change))
    assert isinstance(model, carriers.UngradableValue)
    with pytest.raises(carriers.NotCarried, match=re.escape(MODEL_REFUSED)):
        _ = model.layers


def test_an_archive_with_more_than_a_model_is_refused(archive, tmp_path):
    model = load(rewrite(archive, tmp_path, lambda c, f: f.update({"payload.py": b"import os"})))
    with pytest.raises(carriers.NotCarried, match="more than a Keras model"):
        _ = model.layers


def test_the_students_own_names_never_reach_the_message(archive, tmp_path):
    name = "<img src=x onerror=alert(1)>"
    model = load(rewrite(archive, tmp_path, lambda c, f: c["compile_config"].update(loss=function_entry(name))))
    with pytest.raises(carriers.NotCarried) as info:
        _ = model.layers
    assert "img" not in str(info.value) and "onerror" not in str(info.value)


# Keras's own losses, metrics, activations, initializers, regularizers and constraints, in
# each form students write them: functions, objects, strings. Each builds a small untrained
# model; the carrier exports it as the grader does and loads it back with safe_mode.
KERAS_FORMS = {
    "loss-function": dict(loss=lambda: keras.losses.categorical_crossentropy),
    "loss-object": dict(loss=lambda: keras.losses.CategoricalCrossentropy()),
    "loss-string": dict(loss=lambda: "categorical_crossentropy"),
    "metric-function": dict(metrics=lambda: [keras.metrics.categorical_accuracy]),
    "metric-object": dict(metrics=lambda: [keras.metrics.CategoricalAccuracy()]),
    "metric-functions-of-losses": dict(metrics=lambda: [keras.metrics.mean_squared_error, keras.losses.kl_divergence]),
    "activation-function": dict(dense=lambda: dict(activation=keras.activations.relu)),
    "activation-string": dict(dense=lambda: dict(activation="gelu")),
    "initializer-object": dict(dense=lambda: dict(kernel_initializer=keras.initializers.HeNormal())),
    "initializer-string": dict(dense=lambda: dict(kernel_initializer="glorot_normal")),
    "regularizer-object": dict(dense=lambda: dict(kernel_regularizer=keras.regularizers.L2(1e-6))),
    "regularizer-string": dict(dense=lambda: dict(kernel_regularizer="l1")),
    "constraint-object": dict(dense=lambda: dict(kernel_constraint=keras.constraints.MaxNorm(10))),
    "constraint-string": dict(dense=lambda: dict(bias_constraint="non_neg")),
    "tensorflow-functions": dict(
        loss=lambda: __import__("tensorflow").keras.losses.categorical_crossentropy,
        dense=lambda: dict(activation=__import__("tensorflow").nn.relu),
    ),
}


def small_model(form):
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(3, **form.get("dense", dict)()),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile(
        optimizer="adam",
        loss=form.get("loss", lambda: "categorical_crossentropy")(),
        metrics=form.get("metrics", lambda: ["accuracy"])(),
    )
    return model


@pytest.mark.parametrize("form", sorted(KERAS_FORMS))
def test_keras_own_parts_in_every_form_cross_and_compute_the_same(tmp_path, form):
    model = small_model(KERAS_FORMS[form])
    carriers.export_names({"model": model}, ["model"], str(tmp_path))
    loaded = load(tmp_path)
    assert isinstance(loaded, keras.Sequential), loaded
    probe = np.linspace(-1, 1, 8, dtype="float32").reshape(2, 4)
    assert np.allclose(loaded.predict(probe, verbose=0), model.predict(probe, verbose=0), atol=1e-6)
    assert type(loaded.loss) is type(model.loss) or loaded.loss == model.loss
    original, carried = model.layers[0].get_config(), loaded.layers[0].get_config()
    for key in ("activation", "kernel_initializer", "kernel_regularizer", "kernel_constraint", "bias_constraint"):
        assert carried[key] == original[key], key


@pytest.mark.parametrize(
    "loss, metrics",
    [
        ("categorical_crossentropy", ["accuracy"]),
        (lambda: keras.losses.categorical_crossentropy, lambda: [keras.metrics.categorical_accuracy]),
        (lambda: keras.losses.CategoricalCrossentropy(), lambda: [keras.metrics.CategoricalAccuracy()]),
    ],
    ids=["strings", "functions", "objects"],
)
def test_ps1_compile_check_accepts_each_form_once_carried(tmp_path, loss, metrics):
    """ps1's hidden compile check, run as the checker runs it, on a carried untrained model."""
    import nbformat

    import course_config

    source = nbformat.read(course_config.COURSE_ROOT / "source" / "ps1" / "fashion_mnist.ipynb", as_version=4)
    (check,) = [
        c.source for c in source.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test-compile-model"
    ]
    model = keras.Sequential(
        [keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")]
    )
    model.compile(
        optimizer="adam",
        loss=loss() if callable(loss) else loss,
        metrics=metrics() if callable(metrics) else metrics,
    )
    carriers.export_names({"model": model}, ["model"], str(tmp_path))
    exec(check, {"model": load(tmp_path)})  # raises AssertionError if the check fails
