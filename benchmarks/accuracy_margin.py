"""How close honest solutions come to an assignment's accuracy threshold: `./course benchmark-accuracy`.

ps1: trains the ps1 model as honest students do (the reference; holding out the last
5,000 training images for validation; Keras' `validation_split=0.1`). For each candidate
setting (EPOCHSxBATCH_SIZE) and seed, in this process, it prints the grader's measure (argmax
of `predict` on the 10,000 test images) as a table with the worst case per setting. An
assignment's settings must leave every honest variant at least a point above
ACCURACY_THRESHOLD on every seed (see benchmarks/README.md).

ps2 (`--assignment ps2`): on the course's own subset (the first TRAIN_SIZE training images,
validated on the last VALIDATION_SIZE), per seed, (1) Part 1: the ps1 model trained for
LONG_EPOCHS, the epoch of its lowest validation loss and how far the loss has risen since
(the overfitting a student must see), and (2) Part 3: designs trained as the grader trains
its copy (BUDGET_EPOCHS at most, early stopping on the validation loss, best weights):
the ps1 model itself (what the bar is set against), the ps1 model with one Dropout layer
added, the reference and other honest designs.
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
    l2: float = 0.0  # L2 weight decay on the hidden layers' kernels
    input_dropout: float = 0.0  # a Dropout layer on the pixels, before the first hidden layer


VARIANTS = {
    "ps1": {
        "reference": Variant([(1024, 0.0)]),
        "holdout-5000": Variant([(1024, 0.0)], validation="holdout-5000"),
        "validation-split-0.1": Variant([(1024, 0.0)], validation="split-0.1"),
    },
    "ps2": {  # Part 3's designs, trained as the grader trains its copy
        "ps1-model (the bar's baseline; the sample class's no-dropout)": Variant([(1024, 0.0)]),
        "ps1-model-plus-dropout-0.2": Variant([(1024, 0.2)]),
        "reference-2x512-dropout-0.5": Variant([(512, 0.5)] * 2),
        "deeper-3x256-dropout-0.3": Variant([(256, 0.3)] * 3),
        "2x512-no-dropout": Variant([(512, 0.0)] * 2),
        "wide-1x2048-dropout-0.5": Variant([(2048, 0.5)]),
        "small-2x256-dropout-0.3": Variant([(256, 0.3)] * 2),
        "l2-2x512-dropout-0.5": Variant([(512, 0.5)] * 2, l2=1e-4),
        "input-dropout-0.2-2x1024-dropout-0.5": Variant([(1024, 0.5)] * 2, input_dropout=0.2),
    },
}


def build(variant: Variant):
    import keras

    layers = [keras.Input(shape=(28, 28)), keras.layers.Flatten()]
    if variant.input_dropout:
        layers.append(keras.layers.Dropout(variant.input_dropout))
    for units, rate in variant.hidden:
        regularizer = keras.regularizers.L2(variant.l2) if variant.l2 else None
        layers.append(keras.layers.Dense(units, activation="relu", kernel_regularizer=regularizer))
        if rate:
            layers.append(keras.layers.Dropout(rate))
    model = keras.Sequential([*layers, keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def ps2_data(settings):
    """The course's subset: the first TRAIN_SIZE training images, the last VALIDATION_SIZE, the test set."""
    import keras

    (train_x, train_y), (test_x, test_y) = keras.datasets.fashion_mnist.load_data()
    x, y = train_x / 255.0, keras.utils.to_categorical(train_y, 10)
    n, v = settings["TRAIN_SIZE"], settings["VALIDATION_SIZE"]
    return (x[:n], y[:n]), (x[-v:], y[-v:]), (test_x / 255.0, test_y)


def overfitting_turn(settings, seed, data):
    """Part 1 on one seed: (best epoch, lowest validation loss, last validation loss, seconds)."""
    import keras
    import numpy as np

    (x, y), validation, _ = data
    keras.utils.set_random_seed(seed)
    model = build(Variant([(1024, 0.0)]))
    start = time.perf_counter()
    losses = model.fit(
        x, y, validation_data=validation, epochs=settings["LONG_EPOCHS"], batch_size=settings["BATCH_SIZE"], verbose=0
    ).history["val_loss"]
    best = int(np.argmin(losses))
    return best + 1, losses[best], losses[-1], time.perf_counter() - start


def trained_like_the_grader(variant, settings, seed, data):
    """(test accuracy, epochs run, seconds) of `variant` trained as the grader trains its copy."""
    import keras
    import numpy as np

    (x, y), validation, (test_x, test_y) = data
    keras.utils.set_random_seed(seed)
    model = build(variant)
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=settings["PATIENCE"], restore_best_weights=True)
    start = time.perf_counter()
    history = model.fit(
        x, y, validation_data=validation, epochs=settings["BUDGET_EPOCHS"], batch_size=settings["BATCH_SIZE"],
        callbacks=[stop], verbose=0,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    predicted = np.asarray(model.predict(test_x, verbose=0, batch_size=1000)).argmax(axis=1)
    return float((predicted == test_y).mean()), len(history.history["loss"]), seconds


def main_ps2(seeds: list[int], part: str = "both", designs: list[str] | None = None) -> None:
    settings = course_config.ASSIGNMENTS["ps2"]["settings"]
    data = ps2_data(settings)
    print(
        f"ps2: TRAIN_SIZE {settings['TRAIN_SIZE']}, VALIDATION_SIZE {settings['VALIDATION_SIZE']}, "
        f"BATCH_SIZE {settings['BATCH_SIZE']}, LONG_EPOCHS {settings['LONG_EPOCHS']}, BUDGET_EPOCHS "
        f"{settings['BUDGET_EPOCHS']}, ACCURACY_THRESHOLD {settings['ACCURACY_THRESHOLD']}; seeds {seeds}; "
        f"{os.cpu_count()} cores\n",
        flush=True,
    )
    print("Part 1: the ps1 model trained for LONG_EPOCHS (validation loss)\n")
    print("| seed | best epoch | lowest | last | rise since the best | training s |")
    print("|---|---|---|---|---|---|")
    for seed in seeds if part != "3" else []:
        best, lowest, last, seconds = overfitting_turn(settings, seed, data)
        print(f"| {seed} | {best} | {lowest:.3f} | {last:.3f} | {last / lowest - 1:+.0%} | {seconds:.1f} |", flush=True)
    print("\nPart 3: designs trained as the grader trains its copy (test accuracy, epochs run)\n")
    print("| design | accuracy per seed (epochs) | worst | best | median training s |")
    print("|---|---|---|---|---|")
    threshold = settings["ACCURACY_THRESHOLD"]
    for name, variant in VARIANTS["ps2"].items():
        if part == "1" or (designs and not any(d in name for d in designs)):
            continue
        runs = [trained_like_the_grader(variant, settings, seed, data) for seed in seeds]
        accuracies = [a for a, _, _ in runs]
        print(
            f"| {name} | {' '.join(f'{a:.4f} ({e})' for a, e, _ in runs)} | {min(accuracies):.4f} "
            f"({min(accuracies) - threshold:+.4f}) | {max(accuracies):.4f} | {statistics.median(s for _, _, s in runs):.1f} |",
            flush=True,
        )


def curves(variant, settings, seed, data):
    """`variant` trained for BUDGET_EPOCHS without stopping: per epoch, validation loss, test loss, test accuracy.

    Early stopping with any patience (and any smaller budget) is then replayed from these curves
    (`replay`): Keras' EarlyStopping only reads the validation loss and keeps the best epoch's weights.
    """
    import keras
    import numpy as np

    (x, y), validation, (test_x, test_y) = data
    keras.utils.set_random_seed(seed)
    model = build(variant)
    test = {"loss": [], "accuracy": []}

    class OnTheTestImages(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            p = np.asarray(self.model.predict(test_x, verbose=0, batch_size=1000))
            test["loss"].append(float(-np.log(np.clip(p[np.arange(len(test_y)), test_y], 1e-7, 1)).mean()))
            test["accuracy"].append(float((p.argmax(axis=1) == test_y).mean()))

    start = time.perf_counter()
    history = model.fit(
        x, y, validation_data=validation, epochs=settings["BUDGET_EPOCHS"], batch_size=settings["BATCH_SIZE"],
        callbacks=[OnTheTestImages()], verbose=0,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    return {"val_loss": history.history["val_loss"], "test_loss": test["loss"], "test_accuracy": test["accuracy"],
            "seconds": seconds}  # fmt: skip


def replay(curve, budget, patience):
    """(test accuracy, test loss, epochs run) of early stopping on the validation loss, as Keras' EarlyStopping."""
    best, best_loss, wait, run = 0, float("inf"), 0, 0
    for epoch, loss in enumerate(curve["val_loss"][:budget]):
        run, wait = epoch + 1, wait + 1
        if loss < best_loss:
            best, best_loss, wait = epoch, loss, 0
        elif wait >= patience and epoch > 0:
            break
    return curve["test_accuracy"][best], curve["test_loss"][best], run


def main_ps2_sweep(seeds, designs, train_sizes, patiences, out, budgets=None):
    """Every design x seed x TRAIN_SIZE trained once for BUDGET_EPOCHS; early stopping replayed per budget and patience."""
    import json

    settings = dict(course_config.ASSIGNMENTS["ps2"]["settings"])
    names = [n for n in VARIANTS["ps2"] if not designs or any(d in n for d in designs)]
    for size in train_sizes:
        settings["TRAIN_SIZE"] = size
        data = ps2_data(settings)
        runs = {}
        for name in names:
            for seed in seeds:
                runs[name, seed] = curves(VARIANTS["ps2"][name], settings, seed, data)
                if out:
                    with open(out, "a") as f:
                        f.write(json.dumps({"train_size": size, "design": name, "seed": seed, **settings,
                                            **runs[name, seed]}) + "\n")  # fmt: skip
                print(f"  trained {name} seed {seed} on {size}: {runs[name, seed]['seconds']:.1f} s", flush=True)
        for budget, patience in [(b, p) for b in budgets or [settings["BUDGET_EPOCHS"]] for p in patiences]:
            print(f"\nTRAIN_SIZE {size}, budget {budget}, patience {patience}: "
                  "test accuracy / test loss (epochs run) per seed\n")  # fmt: skip
            print("| design | " + " | ".join(f"seed {s}" for s in seeds) + " | worst acc | worst loss |")
            print("|---|" + "---|" * (len(seeds) + 2))
            for name in names:
                got = [replay(runs[name, seed], budget, patience) for seed in seeds]
                cells = " | ".join(f"{a:.4f} / {loss:.4f} ({e})" for a, loss, e in got)
                print(f"| {name} | {cells} | {min(a for a, _, _ in got):.4f} | {max(x for _, x, _ in got):.4f} |")


def measure(variant: Variant, epochs: int, batch_size: int, seed: int) -> tuple[float, float]:
    import keras
    import numpy as np

    (train_x, train_y), (test_x, test_y) = keras.datasets.fashion_mnist.load_data()
    x, y = train_x / 255.0, keras.utils.to_categorical(train_y)
    keras.utils.set_random_seed(seed)
    model = build(variant)
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
    parser.add_argument("--part", choices=["1", "3", "both"], default="both", help="ps2: which part to measure")
    parser.add_argument("--designs", nargs="+", help="ps2: Part 3's designs to train (default: all)")
    parser.add_argument("--sweep-train-sizes", type=int, nargs="+", help="ps2: replay early stopping per TRAIN_SIZE")
    parser.add_argument("--patiences", type=int, nargs="+", default=[10], help="ps2 sweep: patiences to replay")
    parser.add_argument("--budgets", type=int, nargs="+", help="ps2 sweep: budgets to replay (default: BUDGET_EPOCHS)")
    parser.add_argument(
        "--budget-epochs", type=int, help="ps2 sweep: epochs each design trains (default: BUDGET_EPOCHS)"
    )
    parser.add_argument("--curves-out", help="ps2 sweep: append each training's curves to this JSON-lines file")
    args = parser.parse_args()
    if args.assignment == "ps2" and args.sweep_train_sizes:
        if args.budget_epochs:
            course_config.ASSIGNMENTS["ps2"]["settings"]["BUDGET_EPOCHS"] = args.budget_epochs
        return main_ps2_sweep(
            args.seeds, args.designs, args.sweep_train_sizes, args.patiences, args.curves_out, args.budgets
        )
    if args.assignment == "ps2":
        return main_ps2(args.seeds, args.part, args.designs)
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
