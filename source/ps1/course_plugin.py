"""ps1's own grading knowledge (see coursetools/course/plugins.py): step titles, what the
checker measures for the feedback pictures, the pictures, and the sample class.

Never released to students (nbgrader's CourseDirectory.ignore lists this file). Its words are
marked with N_ or _ and translated in translations/messages.<language>.po (language.py).
"""

from coursetools.course.language import N_, Messages

STEP_TITLES = {
    "test-imports": N_("1. Imports"),
    "test-load-data": N_("2. Load the data"),
    "test-class-names": N_("3. Look at the pictures"),
    "test-normalize": N_("4. Scale the pixels"),
    "test-one-hot": N_("5. One-hot labels"),
    "test-build-model": N_("6. Build the model"),
    "test-compile-model": N_("7. Compile"),
    "test-train-model": N_("8. Train"),
    "test-evaluate-model": N_("9. Test accuracy"),
}

# Fashion-MNIST's labels 0-9, in order.
CLASS_NAMES = [
    N_("T-shirt/top"),
    N_("Trouser"),
    N_("Pullover"),
    N_("Dress"),
    N_("Coat"),
    N_("Sandal"),
    N_("Shirt"),
    N_("Sneaker"),
    N_("Bag"),
    N_("Ankle boot"),
]
SAMPLE_IMAGES = 24
HISTORY_KEYS = {  # what Keras names the curves, by the metric the student compiled
    "loss": "loss",
    "val_loss": "val_loss",
    "accuracy": "accuracy",
    "acc": "accuracy",
    "categorical_accuracy": "accuracy",
    "val_accuracy": "val_accuracy",
    "val_acc": "val_accuracy",
    "val_categorical_accuracy": "val_accuracy",
}
# The tutorial's own settings, for the benchmark's stock-nbgrader row.
STOCK_BENCHMARK_SETTINGS = {"EPOCHS": 10, "BATCH_SIZE": 32}


# -- in the checker kernel, after the last test ------------------------------------------
def measure(namespace):
    """Plain numbers for the pictures, from the carried `history` and `model`."""
    import sys

    import numpy as np

    result = {}
    carried = namespace.get("history")
    history = carried.history if type(carried).__name__ == "TrainingHistory" else None
    if isinstance(history, dict):
        result["history"] = {
            HISTORY_KEYS[key]: [float(v) for v in values][:500]
            for key, values in history.items()
            if key in HISTORY_KEYS and isinstance(values, list)
        }
    keras = sys.modules.get("keras")  # a model was carried only if the checker loaded keras
    model = namespace.get("model")
    # type(), not isinstance(): a value the grader could not carry refuses every other use.
    if keras is not None and issubclass(type(model), keras.Model):
        (_, _), (test_x, test_y) = keras.datasets.fashion_mnist.load_data()
        inputs, shape = test_x / 255.0, tuple(model.input_shape[1:])
        if None not in shape and int(np.prod(shape)) == test_x[0].size:  # a model that takes flat pixels
            inputs = inputs.reshape((len(inputs), *shape))
        probabilities = np.asarray(model.predict(inputs, verbose=0, batch_size=1000))
        if probabilities.shape == (len(test_y), len(CLASS_NAMES)):
            predicted = probabilities.argmax(axis=1)
            labels = len(CLASS_NAMES)
            confusion = np.bincount(test_y.astype(int) * labels + predicted, minlength=labels * labels)
            result["confusion"] = confusion.reshape(labels, labels).tolist()
            result["sample_predictions"] = predicted[:SAMPLE_IMAGES].tolist()
            result["test_accuracy"] = float((predicted == test_y).mean())
    return result


# -- in nbgrader's feedback step -----------------------------------------------------------
def pictures(insights, _=None):
    """(alt text, base64 PNG): predictions on test images, confusion matrix, training curve;
    their words translated by `_` (language.Messages)."""
    from coursetools.course.plugin_pictures import figure_png

    _ = _ or Messages()
    made = []
    for draw in (_predictions, _confusion, _training_curve):
        picture = draw(insights, _)
        if picture is not None:
            alt, fig = picture
            made.append((alt, figure_png(fig)))
    return made


def _predictions(insights, _):
    predictions = insights.get("sample_predictions")
    if not (isinstance(predictions, list) and predictions):
        return None
    import keras
    from matplotlib import pyplot as plt

    (_train_x, _train_y), (test_x, test_y) = keras.datasets.fashion_mnist.load_data()
    names = [_(name) for name in CLASS_NAMES]
    fig, axes = plt.subplots(3, 8, figsize=(12, 5.4))
    for i, ax in enumerate(axes.flat[: len(predictions)]):
        if not isinstance(predictions[i], int):
            continue
        guess, truth = predictions[i] % len(CLASS_NAMES), int(test_y[i])
        ax.imshow(test_x[i], cmap="gray")
        ax.set_title(
            names[guess] + ("" if guess == truth else "\n" + _("(is {name})").format(name=names[truth])),
            fontsize=8,
            color="black" if guess == truth else "red",
        )
        ax.axis("off")
    fig.suptitle(_("Your model on the first test images (wrong answers in red)"))
    return _("Predictions of your model on test images"), fig


def _confusion(insights, _):
    confusion = insights.get("confusion")
    labels = len(CLASS_NAMES)
    if not (isinstance(confusion, list) and len(confusion) == labels):
        return None
    import numpy as np
    from matplotlib import pyplot as plt

    try:
        matrix = np.array(confusion, dtype=float)
    except (TypeError, ValueError, OverflowError):
        return None
    if matrix.shape != (labels, labels):
        return None
    matrix = np.nan_to_num(matrix, nan=0.0, posinf=0.0, neginf=0.0).clip(0, 1e9)  # counts: finite, bounded
    fig, ax = plt.subplots(figsize=(7, 6))
    ax.imshow(matrix, cmap="Blues")
    names = [_(name) for name in CLASS_NAMES]
    ax.set_xticks(range(labels), names, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(labels), names, fontsize=8)
    ax.set_xlabel(_("predicted"))
    ax.set_ylabel(_("true class"))
    for r in range(labels):
        for c in range(labels):
            color = "white" if matrix[r, c] > matrix.max() / 2 else "black"
            ax.text(c, r, f"{int(matrix[r, c])}", ha="center", va="center", fontsize=6, color=color)
    ax.set_title(_("Confusion matrix on the 10,000 test images"))
    fig.tight_layout()
    return _("Confusion matrix"), fig


def _training_curve(insights, _):
    from coursetools.course.plugin_pictures import finite_curve

    history = insights.get("history")
    if not (isinstance(history, dict) and finite_curve(history.get("accuracy"))):
        return None
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    for key, label in (("accuracy", _("training accuracy")), ("loss", _("training loss"))):
        values = finite_curve(history.get(key))  # the student's numbers: finite, bounded
        ax.plot(range(1, len(values) + 1), values, marker="o", label=label)
    ax.set_xlabel(_("epoch"))
    ax.legend()
    ax.set_title(_("Training curve"))
    fig.tight_layout()
    return _("Training curve"), fig


# -- the bundled sample class (`./course samples`) ---------------------------------------------
FIRST_FIVE = ["imports", "load-data", "show-images", "normalize", "one-hot"]


def _partial(answers):
    return {k: v for k, v in answers.items() if k in FIRST_FIVE}


def _undertrained(answers):
    # One epoch on 1,000 images: a trained model, far below the threshold.
    return {
        **answers,
        "train-model": "history = model.fit(train_x[:1000], train_y[:1000], epochs=1, batch_size=BATCH_SIZE)",
    }


# student id -> (how to build its answers from the reference, points it must get)
SAMPLE_CLASS = {
    "reference-solution": (lambda answers: answers, 15),
    "unchanged-release": (lambda answers: {}, 0),
    "partial-first-five-steps": (_partial, 7),
    "undertrained-model": (_undertrained, 11),
}
# These also hand in the Chinese version (reference-solution-zh-CN, ...), graded exactly as their English twins.
TRANSLATED_SAMPLES = ["reference-solution", "partial-first-five-steps"]
