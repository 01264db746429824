"""The checks hidden tests run on a student's model (coursetools/keras_models.py), and the
assignments' model limits: the same in course_config.py and in each notebook's locked settings cell."""

import ast

import nbformat
import numpy as np
import pytest

import course_config
from coursetools.checks import keras_models
from coursetools.course import assignments

pytestmark = pytest.mark.unit
ROOT = course_config.COURSE_ROOT
LIMITED = [a for a in course_config.ASSIGNMENTS if "MAX_PARAMETERS" in assignments.settings(a)]


def locked_settings(path):
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "settings")
    values = {}
    for node in ast.parse(cell.source).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            try:
                values[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                continue
    return values, cell


def test_both_problem_sets_bound_their_models():
    assert set(LIMITED) >= {"ps1", "ps2"}


@pytest.mark.parametrize("folder", ["source", "release"])
@pytest.mark.parametrize("assignment", sorted(course_config.ASSIGNMENTS))
def test_locked_settings_cell_shows_the_course_settings(folder, assignment):
    for notebook in assignments.notebooks(assignment):
        values, cell = locked_settings(ROOT / folder / assignment / f"{notebook}.ipynb")
        assert values == assignments.settings(assignment)
        assert cell.metadata["nbgrader"]["locked"]


def _keras():
    keras = pytest.importorskip("keras")
    return keras


def dense_model(keras, *hidden, extra=()):
    layers = [keras.Input(shape=(28, 28)), keras.layers.Flatten()]
    for units in hidden:
        layers += [keras.layers.Dense(units, activation="relu"), keras.layers.Dropout(0.2)]
    model = keras.Sequential([*layers, *extra, keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-4), loss="categorical_crossentropy")
    return model


def test_honest_dense_models_are_within_every_assignments_bounds():
    keras = _keras()
    models = [
        dense_model(keras, 1024),  # ps1's task
        dense_model(keras, 1024, 1024),  # build_model(2, 1024, ...)
        dense_model(keras, 512, 512, extra=[keras.layers.BatchNormalization(), keras.layers.Activation("relu")]),
    ]
    for assignment in LIMITED:
        limits = assignments.settings(assignment)
        for model in models:
            assert keras_models.bounds_problem(model, limits["MAX_PARAMETERS"], limits["ALLOWED_LAYERS"]) is None


def test_a_model_over_the_parameter_limit_is_refused_with_the_limit():
    keras = _keras()
    problem = keras_models.bounds_problem(dense_model(keras, 64), 10_000, ["Flatten", "Dense", "Dropout"])
    assert "MAX_PARAMETERS = 10,000" in problem and "50,890 parameters" in problem


def test_a_layer_kind_outside_the_list_is_refused_naming_the_allowed_kinds():
    keras = _keras()
    model = keras.Sequential(
        [keras.Input(shape=(28, 28)), keras.layers.Reshape((28, 28, 1)), keras.layers.Conv2D(4, 3),
         keras.layers.Flatten(), keras.layers.Dense(10)]
    )  # fmt: skip
    problem = keras_models.bounds_problem(model, 10**6, ["Reshape", "Flatten", "Dense"])
    assert "Conv2D" in problem and "Reshape, Flatten, Dense (ALLOWED_LAYERS)" in problem


def test_layers_inside_a_nested_model_are_checked_too():
    keras = _keras()
    inner = keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(8), keras.layers.UnitNormalization()])
    outer = keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Flatten(), inner, keras.layers.Dense(10)])
    assert "UnitNormalization" in keras_models.bounds_problem(outer, 10**6, ["Flatten", "Dense"])


def test_images_hidden_in_a_configuration_are_refused():
    keras = _keras()
    memorised = np.random.default_rng(0).random((784, 16)).astype("float32")  # survives clone_model
    model = keras.Sequential(
        [keras.Input(shape=(784,)), keras.layers.Dense(16, kernel_initializer=keras.initializers.Constant(memorised))]
    )
    assert "configuration holds more than" in keras_models.bounds_problem(model, 10**6, ["Dense"])


def test_the_comparison_sample_differs_between_gradings():
    first, second = keras_models.unpredictable_sample(60000, 10000), keras_models.unpredictable_sample(60000, 10000)
    assert len(set(first.tolist())) == 10000 and first.min() >= 0 and first.max() < 60000
    assert not np.array_equal(first, second)


def test_only_keras_optimizers_are_accepted():
    keras = _keras()
    model = dense_model(keras, 8)
    assert keras_models.optimizer_problem(model) is None
    model.optimizer = None
    assert "Compile the model" in keras_models.optimizer_problem(model)


def test_the_grader_trains_a_fresh_copy_with_the_students_optimizer_settings_within_the_budget():
    keras = _keras()
    model = dense_model(keras, 8)
    model.build((None, 28, 28))
    model.layers[1].kernel.assign(np.full((784, 8), 7.0, dtype="float32"))  # "memorised" weights
    rng = np.random.default_rng(1)
    images, labels = rng.integers(0, 256, (96, 28, 28)), rng.integers(0, 10, 96)
    data = ((images[:64], labels[:64]), (images[64:], labels[64:]))
    copy, epochs = keras_models.trained_by_grader(model, data, epochs=3, batch_size=32, seed=1)
    assert copy is not model and 1 <= epochs <= 3
    assert not np.allclose(keras.ops.convert_to_numpy(copy.layers[1].kernel), 7.0)
    assert type(copy.optimizer) is type(model.optimizer)
    assert float(copy.optimizer.learning_rate) == pytest.approx(3e-4)
    assert 0.0 <= keras_models.accuracy(copy, images, labels) <= 1.0
