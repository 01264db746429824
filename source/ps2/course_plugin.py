"""ps2's own grading knowledge (see coursetools/course/plugins.py): step titles, the curves the
checker measures for the feedback, and the sample class.

Never released to students (nbgrader's CourseDirectory.ignore lists this file). Its words are
marked with N_ or _ and translated in translations/messages.<language>.po (language.py).
"""

from coursetools.course.language import N_, Messages

STEP_TITLES = {
    "test-validation-split": N_("1a. Validation set from the training images"),
    "test-overfitting-history": N_("1b. Training and validation curves"),
    "test-best-epoch": N_("1c. The epoch with the lowest validation loss"),
    "test-build-model": N_("2. build_model(1, 64, 0.2)"),
    "test-build-model-arguments": N_("2. build_model with other arguments"),
    "test-improved-model": N_("3. Improved model: dropout, size and layer kinds"),
    "test-improved-accuracy": N_("3. Improved model: test accuracy, and a copy the grader trains within the budget"),
    "reflection": N_("4. Reflection"),
}
# `./course check`: the student's own numbers next to each step, evaluated in the student's own
# kernel after their notebook ran (shown to them only, never used to grade).
SELF_CHECK_NUMBERS = {
    "test-validation-split": "f'train_x holds {len(train_x)} images, val_x {len(val_x)}'",
    "test-overfitting-history": (
        "(lambda v: f'validation loss lowest ({min(v):.3f}) after epoch {v.index(min(v)) + 1} of {len(v)}, "
        "{v[-1]:.3f} after the last')(list(history_long.history['val_loss']))"
    ),
    "test-best-epoch": "f'best_epoch = {best_epoch}'",
    "test-improved-model": (
        "f'{model.count_params():,} parameters (at most {MAX_PARAMETERS:,}), "
        '{len(history.history["loss"])} epochs trained (at most {BUDGET_EPOCHS})\''
    ),
    "test-improved-accuracy": "f'test accuracy {test_accuracy:.4f}, the bar is {ACCURACY_THRESHOLD}'",
}
CURVES = {"history_long": N_("Part 1: the ps1 model trained longer"), "history": N_("Part 3: your improved model")}
ACCURACY_KEYS = ("accuracy", "acc", "categorical_accuracy")


# -- in the checker kernel, after the last test ------------------------------------------
def measure(namespace):
    """Training and validation curves of both trainings, from the carried histories."""
    result = {}
    for name in CURVES:
        carried = namespace.get(name)
        history = carried.history if type(carried).__name__ == "TrainingHistory" else None
        if not isinstance(history, dict):
            continue
        accuracy = next((k for k in ACCURACY_KEYS if k in history), None)
        keys = {"loss": "loss", "val_loss": "val_loss"}
        if accuracy:
            keys.update({accuracy: "accuracy", "val_" + accuracy: "val_accuracy"})
        result[name] = {
            short: [float(v) for v in history[key]][:200]
            for key, short in keys.items()
            if isinstance(history.get(key), list)
        }
    return result


# -- in nbgrader's feedback step -----------------------------------------------------------
def pictures(insights, _=None):
    """(alt text, base64 PNG) per training; words translated by `_` (language.Messages)."""
    from matplotlib import pyplot as plt

    from coursetools.course.plugin_pictures import figure_png, finite_curve

    _ = _ or Messages()
    made = []
    for name, title in CURVES.items():
        title = _(title)
        curves = insights.get(name)
        if not isinstance(curves, dict) or not finite_curve(curves.get("loss")):
            continue
        fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
        for ax, metric, heading in zip(axes, ("loss", "accuracy"), (_("loss"), _("accuracy")), strict=True):
            for prefix, label in (("", _("training")), ("val_", _("validation"))):
                values = finite_curve(curves.get(prefix + metric))  # the student's numbers: finite, bounded
                ax.plot(range(1, len(values) + 1), values, marker="o", label=label)
            ax.set_xlabel(_("epoch"))
            ax.set_title(heading)
            ax.legend()
        fig.suptitle(title)
        fig.tight_layout()
        made.append((_("{title}: training and validation curves").format(title=title), figure_png(fig)))
    return made


# -- the bundled sample class (`./course samples`) ---------------------------------------------
EVALUATE = """
test_loss, test_accuracy = model.evaluate(test_x, test_y, verbose=0)
print(f"Test accuracy: {test_accuracy:.2%}")"""


def _no_dropout(answers):
    # The ps1 model again with early stopping, no dropout: over the bar (0.827-0.842 over 5 seeds
    # in benchmarks/README.md), but not what Part 3 asks. (Two hidden layers of 512 without
    # dropout reached only 0.798 on 5,000 images.)
    return {
        **answers,
        "improved-model": """model = keras.Sequential([
    keras.Input(shape=(28, 28)),
    layers.Flatten(),
    layers.Dense(1024, activation="relu"),
    layers.Dense(10, activation="softmax"),
])
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=PATIENCE, restore_best_weights=True)
history = model.fit(train_x, train_y, validation_data=(val_x, val_y), epochs=BUDGET_EPOCHS, batch_size=BATCH_SIZE, callbacks=[stop])"""
        + EVALUATE,
    }


def _validation_from_test_set(answers):
    return {
        **answers,
        "split-validation": "train_x, train_y = full_train_x[:TRAIN_SIZE], full_train_y[:TRAIN_SIZE]\n"
        "val_x, val_y = test_x[:VALIDATION_SIZE], test_y[:VALIDATION_SIZE]",
    }


def _ignores_an_argument(answers):
    # Always two hidden layers, whatever hidden_layers says.
    return {**answers, "build-model": answers["build-model"].replace("range(hidden_layers)", "range(2)")}


def _undertrained(answers):
    return {
        **answers,
        "improved-model": answers["improved-model"]
        .replace("history = model.fit(train_x, train_y,", "history = model.fit(train_x[:500], train_y[:500],")
        .replace("epochs=BUDGET_EPOCHS", "epochs=1"),
    }


# student id -> (how to build its answers from the reference, autograded points it must get)
SAMPLE_CLASS = {
    "reference-solution": (lambda answers: answers, 13),
    "unchanged-release": (lambda answers: {}, 0),
    "no-dropout": (_no_dropout, 11),
    "validation-from-test-set": (_validation_from_test_set, 12),
    "build-model-ignores-an-argument": (_ignores_an_argument, 9),
    "undertrained-model": (_undertrained, 9),
}
# These also hand in the Chinese version (reference-solution-zh-CN, ...), graded exactly as their English twins.
TRANSLATED_SAMPLES = ["reference-solution", "build-model-ignores-an-argument"]
