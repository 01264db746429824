"""What the checker kernel measures about a submission for its feedback pictures.

Runs in the clean checker kernel after the last test, on the variables already
loaded there; returns plain numbers that the feedback step draws.
"""

import sys

LABELS = 10
SAMPLE_IMAGES = 24
HISTORY_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy")


def measure(namespace):
    import numpy as np

    result = {}
    history = getattr(namespace.get("history"), "history", None)
    if isinstance(history, dict):
        result["history"] = {
            key: [float(v) for v in values][:500]
            for key, values in history.items()
            if key in HISTORY_KEYS and isinstance(values, list)
        }
    model = namespace.get("model")
    keras = sys.modules.get("keras")  # a model was carried only if the checker loaded keras

    if keras is not None and isinstance(model, keras.Model):
        (_, _), (test_x, test_y) = keras.datasets.fashion_mnist.load_data()
        probabilities = np.asarray(model.predict(test_x / 255.0, verbose=0, batch_size=1000))
        if probabilities.shape == (len(test_y), LABELS):
            predicted = probabilities.argmax(axis=1)
            confusion = np.bincount(test_y.astype(int) * LABELS + predicted, minlength=LABELS * LABELS)
            result["confusion"] = confusion.reshape(LABELS, LABELS).tolist()
            result["sample_predictions"] = predicted[:SAMPLE_IMAGES].tolist()
            result["test_accuracy"] = float((predicted == test_y).mean())
    return result
