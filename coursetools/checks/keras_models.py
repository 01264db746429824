"""Checks of a student's Keras model that hidden tests run in the checker kernel.

Tests import this module there (`from coursetools.checks.keras_models import ...`); the
assignment's settings arrive as arguments, so nothing here names an assignment.
Each check gives its verdict from the grader's own work on data the grader loaded:

* `bounds_problem`: the model's size and layer kinds against the assignment's limits
  (a model large enough to memorise images, or a layer kind the grader does not train,
  is refused before anything else is measured);
* `unpredictable_sample`: which training images a train-on-test comparison uses,
  drawn at grading time from the operating system's entropy, so no submission can
  prepare for them;
* `trained_by_grader`: a fresh copy of the model's design (new weights: memorised or
  over-trained weights vanish) trained by the grader within the assignment's budget.
  Counters and histories the student's code can set (`optimizer.iterations`,
  `history`) decide nothing.
"""

import os

# Containers whose own layers are checked instead.
CONTAINERS = ("Sequential", "Functional", "Model")
# Numbers a model's configuration (not its weights) may hold: a fresh copy of the design
# keeps them (Constant initializers, Normalization's mean), so they must not be room for
# memorised images. Per-pixel statistics of one image fit easily.
MAX_CONFIG_NUMBERS = 5_000


def _layers(model, depth=0):
    if depth > 20:
        raise ValueError("the model is nested too deeply")
    for layer in getattr(model, "layers", []):
        yield layer
        if type(layer).__name__ in CONTAINERS:
            yield from _layers(layer, depth + 1)


def bounds_problem(model, max_parameters, allowed_layers):
    """Why `model` is outside the limits (a sentence for the student), or None."""
    import keras

    if not isinstance(model, keras.Model):
        return "model should be a Keras model."
    kinds = []
    for layer in _layers(model):
        kind = type(layer).__name__
        public = getattr(keras.layers, kind, None) is type(layer) or kind in CONTAINERS
        if kind not in CONTAINERS and (kind not in allowed_layers or not public):
            kinds.append(kind)
    if kinds:
        return (
            f"The model uses layer kinds this assignment does not grade ({', '.join(sorted(set(kinds)))}); "
            f"use only {', '.join(allowed_layers)} (ALLOWED_LAYERS)."
        )
    if _numbers_in(model.get_config()) > MAX_CONFIG_NUMBERS:
        return f"The model's configuration holds more than {MAX_CONFIG_NUMBERS:,} numbers: keep weights in layers, not in settings."
    try:
        parameters = int(model.count_params())
    except ValueError:
        return "The model has no weights yet: build and train it."
    if parameters > max_parameters:
        return (
            f"The model has {parameters:,} parameters, more than MAX_PARAMETERS = {max_parameters:,}: make it smaller."
        )
    return None


def _numbers_in(node, depth=0):
    if depth > 200:
        return float("inf")
    if isinstance(node, dict):
        return sum(_numbers_in(v, depth + 1) for v in node.values())
    if isinstance(node, (list, tuple)):
        return sum(_numbers_in(v, depth + 1) for v in node)
    if hasattr(node, "shape") and hasattr(node, "size"):  # an array left in a config
        return int(node.size)
    return 1 if isinstance(node, (int, float)) and not isinstance(node, bool) else 0


def unpredictable_sample(population, size):
    """`size` distinct indices below `population`, chosen now from the OS's entropy."""
    import numpy as np

    generator = np.random.default_rng(int.from_bytes(os.urandom(16), "little"))
    return np.sort(generator.choice(population, size=min(size, population), replace=False))


def model_inputs(model, images):
    """`images` (0-255 pixels) scaled to [0, 1] and shaped as the model's input, when the sizes agree."""
    import numpy as np

    inputs = np.asarray(images, dtype="float32") / 255.0
    try:
        shape = tuple(model.input_shape[1:])
    except (AttributeError, ValueError):
        return inputs
    per_image = int(np.prod(inputs.shape[1:]))
    if shape and None not in shape and int(np.prod(shape)) == per_image:
        inputs = inputs.reshape((len(inputs), *shape))
    return inputs


def accuracy(model, images, labels):
    """The share of `images` whose most likely class under `model` is the label."""
    import numpy as np

    predicted = np.asarray(model.predict(model_inputs(model, images), verbose=0, batch_size=1000)).argmax(axis=-1)
    return float((predicted == np.asarray(labels)).mean())


def optimizer_problem(model):
    """Why the grader cannot train the model's design with its optimizer, or None."""
    import keras

    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return "Compile the model (model.compile) with an optimizer and a loss."
    kind = type(optimizer)
    if getattr(keras.optimizers, kind.__name__, None) is not kind:
        return "Compile the model with one of Keras's own optimizers (keras.optimizers)."
    return None


def trained_by_grader(model, data, epochs, batch_size, seed, patience=3):
    """A fresh copy of `model`'s design trained by the grader and the number of epochs it ran.

    `data` is ((train_images, train_labels), (validation_images, validation_labels)),
    0-255 images and integer labels the grader loaded. The copy gets new weights
    (keras.models.clone_model), the student's optimizer class and its settings
    (learning rate and the like, never its state) and loss, and trains for at most
    `epochs` epochs of `batch_size`, keeping the weights of the epoch with the lowest
    validation loss.
    """
    import keras
    import numpy as np

    (train_images, train_labels), (val_images, val_labels) = data
    keras.utils.set_random_seed(seed)
    fresh = keras.models.clone_model(model)
    optimizer = type(model.optimizer).from_config(model.optimizer.get_config())
    loss = model.loss
    fresh.compile(optimizer=optimizer, loss=loss)
    sparse = "sparse" in str(keras.losses.serialize(loss) if not isinstance(loss, str) else loss).lower()
    classes = int(np.max(train_labels)) + 1

    def targets(labels):
        return np.asarray(labels) if sparse else keras.utils.to_categorical(labels, classes)

    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True)
    history = fresh.fit(
        model_inputs(fresh, train_images),
        targets(train_labels),
        validation_data=(model_inputs(fresh, val_images), targets(val_labels)),
        epochs=epochs,
        batch_size=batch_size,
        callbacks=[stop],
        verbose=0,
    )
    return fresh, len(history.history["loss"])
