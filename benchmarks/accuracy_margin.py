"""How close honest ps1 solutions come to the accuracy threshold: `./course benchmark-accuracy`.

Trains the ps1 model as honest students do (the reference; holding out the last 5,000
training images for validation; Keras' `validation_split=0.1`) for each candidate
setting and seed, in this process, and prints the grader's measure (argmax of
`predict` on the 10,000 test images) as a table with the worst case per setting.
The course's settings must leave every honest variant at least a point above
ACCURACY_THRESHOLD on every seed (see benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import course_config  # noqa: E402

os.environ.setdefault("KERAS_HOME", str(course_config.KERAS_HOME))


def variants():
    """name -> fit(model, x, y, epochs, batch_size), as honest students call it."""
    return {
        "reference": lambda m, x, y, e, b: m.fit(x, y, epochs=e, batch_size=b, verbose=0),
        "holdout-5000": lambda m, x, y, e, b: m.fit(
            x[:55000], y[:55000], validation_data=(x[55000:], y[55000:]), epochs=e, batch_size=b, verbose=0
        ),
        "validation-split-0.1": lambda m, x, y, e, b: m.fit(
            x, y, validation_split=0.1, epochs=e, batch_size=b, verbose=0
        ),
    }


def measure(epochs: int, batch_size: int, seed: int, fit) -> tuple[float, float]:
    import keras
    import numpy as np

    (train_x, train_y), (test_x, test_y) = keras.datasets.fashion_mnist.load_data()
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.layers.Flatten(),
            keras.layers.Dense(1024, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    fit(model, train_x / 255.0, keras.utils.to_categorical(train_y), epochs, batch_size)
    seconds = time.perf_counter() - start
    predicted = np.asarray(model.predict(test_x / 255.0, verbose=0, batch_size=1000)).argmax(axis=1)
    return float((predicted == test_y).mean()), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--settings", nargs="+", default=["4x512", "4x256", "6x512"], help="EPOCHSxBATCH_SIZE")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    args = parser.parse_args()
    threshold = course_config.ASSIGNMENTS["ps1"]["settings"]["ACCURACY_THRESHOLD"]
    print(f"threshold {threshold}; seeds {args.seeds}; {os.cpu_count()} cores\n", flush=True)
    print("| setting | variant | accuracy per seed | worst | median training s |")
    print("|---|---|---|---|---|")
    for setting in args.settings:
        epochs, batch_size = (int(v) for v in setting.split("x"))
        worst = 1.0
        for name, fit in variants().items():
            runs = [measure(epochs, batch_size, seed, fit) for seed in args.seeds]
            accuracies = [a for a, _ in runs]
            worst = min(worst, *accuracies)
            print(
                f"| {setting} | {name} | {' '.join(f'{a:.4f}' for a in accuracies)} | {min(accuracies):.4f} | "
                f"{statistics.median(s for _, s in runs):.1f} |",
                flush=True,
            )
        print(f"| {setting} | **worst of all** | | {worst:.4f} (margin {worst - threshold:+.4f}) | |", flush=True)


if __name__ == "__main__":
    main()
