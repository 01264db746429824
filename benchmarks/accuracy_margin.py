"""How close honest solutions come to an assignment's accuracy threshold: `./course benchmark-accuracy`.

ps1: trains the ps1 model as honest students do (the reference; holding out the last
5,000 training images for validation; Keras' `validation_split=0.1`). ps2: trains the
improved models of Part 3 (the reference's two dropout layers with early stopping, a
deeper and a wider variant, and the sample class's model without dropout) on the first
50,000 training images, validated on the last 10,000. For each candidate setting
(EPOCHSxBATCH_SIZE) and seed, in this process, it prints the grader's measure (argmax of
`predict` on the 10,000 test images) as a table with the worst case per setting. An
assignment's settings must leave every honest variant at least a point above
ACCURACY_THRESHOLD on every seed (see benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import course_config  # noqa: E402

os.environ.setdefault("KERAS_HOME", str(course_config.KERAS_HOME))


@dataclass
class Variant:
    """An honest way to train: the hidden layers (units, dropout rate) and how fit is called."""

    hidden: list[tuple[int, float]]
    validation: str = "none"  # none | holdout-5000 | split-0.1 | last-10000
    early_stopping: bool = False


VARIANTS = {
    "ps1": {
        "reference": Variant([(1024, 0.0)]),
        "holdout-5000": Variant([(1024, 0.0)], validation="holdout-5000"),
        "validation-split-0.1": Variant([(1024, 0.0)], validation="split-0.1"),
    },
    "ps2": {
        "reference-2x512-dropout-0.3-early-stop": Variant([(512, 0.3)] * 2, "last-10000", early_stopping=True),
        "deeper-3x256-dropout-0.2": Variant([(256, 0.2)] * 3, "last-10000"),
        "wider-1x1024-dropout-0.5-early-stop": Variant([(1024, 0.5)], "last-10000", early_stopping=True),
        "sample-no-dropout-2x512-early-stop": Variant([(512, 0.0)] * 2, "last-10000", early_stopping=True),
    },
}


def measure(variant: Variant, epochs: int, batch_size: int, seed: int) -> tuple[float, float]:
    import keras
    import numpy as np

    (train_x, train_y), (test_x, test_y) = keras.datasets.fashion_mnist.load_data()
    x, y = train_x / 255.0, keras.utils.to_categorical(train_y)
    keras.utils.set_random_seed(seed)
    layers = [keras.Input(shape=(28, 28)), keras.layers.Flatten()]
    for units, rate in variant.hidden:
        layers.append(keras.layers.Dense(units, activation="relu"))
        if rate:
            layers.append(keras.layers.Dropout(rate))
    model = keras.Sequential([*layers, keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    fit = {"epochs": epochs, "batch_size": batch_size, "verbose": 0}
    if variant.validation == "holdout-5000":
        x, y, fit["validation_data"] = x[:55000], y[:55000], (x[55000:], y[55000:])
    elif variant.validation == "last-10000":
        x, y, fit["validation_data"] = x[:50000], y[:50000], (x[50000:], y[50000:])
    elif variant.validation == "split-0.1":
        fit["validation_split"] = 0.1
    if variant.early_stopping:
        fit["callbacks"] = [keras.callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)]
    start = time.perf_counter()
    model.fit(x, y, **fit)
    seconds = time.perf_counter() - start
    predicted = np.asarray(model.predict(test_x / 255.0, verbose=0, batch_size=1000)).argmax(axis=1)
    return float((predicted == test_y).mean()), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assignment", choices=sorted(VARIANTS), default="ps1")
    parser.add_argument("--settings", nargs="+", help="EPOCHSxBATCH_SIZE (default: the course's)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    args = parser.parse_args()
    settings = course_config.ASSIGNMENTS[args.assignment]["settings"]
    threshold = settings["ACCURACY_THRESHOLD"]
    epochs = settings.get("EPOCHS", settings.get("BUDGET_EPOCHS"))
    print(f"{args.assignment}: threshold {threshold}; seeds {args.seeds}; {os.cpu_count()} cores\n", flush=True)
    print("| setting | variant | accuracy per seed | worst | median training s |")
    print("|---|---|---|---|---|")
    for setting in args.settings or [f"{epochs}x{settings['BATCH_SIZE']}"]:
        epochs, batch_size = (int(v) for v in setting.split("x"))
        worst = 1.0
        for name, variant in VARIANTS[args.assignment].items():
            runs = [measure(variant, epochs, batch_size, seed) for seed in args.seeds]
            accuracies = [a for a, _ in runs]
            worst = min(worst, *accuracies) if "sample" not in name else worst
            print(
                f"| {setting} | {name} | {' '.join(f'{a:.4f}' for a in accuracies)} | {min(accuracies):.4f} | "
                f"{statistics.median(s for _, s in runs):.1f} |",
                flush=True,
            )
        print(f"| {setting} | **worst honest** | | {worst:.4f} (margin {worst - threshold:+.4f}) | |", flush=True)


if __name__ == "__main__":
    main()
