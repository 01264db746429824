"""ps2 submissions beyond the sample class: honest variants (full marks) and attacks, each with its score.

Autograded points: 1a 1, 1b 1, 1c 1, build_model 1 + 3, improved model 2 + 4 = 13; the
reflection (3) is graded by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

EVALUATE = """
test_loss, test_accuracy = model.evaluate(test_x, test_y, verbose=0)
print(f"Test accuracy: {test_accuracy:.2%}")"""


@dataclass
class Case:
    name: str
    why: str
    changes: dict[str, str]
    expected: float

    def answers(self, reference: dict[str, str]) -> dict[str, str]:
        return {**reference, **self.changes}


PS2_CASES = [
    Case(
        "sklearn-random-split-pandas-best-epoch",
        "a random validation split with scikit-learn's train_test_split, the best epoch found with pandas",
        {
            "split-validation": "from sklearn.model_selection import train_test_split\n"
            "x_train, x_val, y_train, y_val = train_test_split(train_x, train_y, test_size=VALIDATION_SIZE, "
            "random_state=SEED)",
            "best-epoch": "import pandas as pd\nlosses = pd.DataFrame(history_long.history)\n"
            'best_epoch = int(losses["val_loss"].idxmin()) + 1\nprint("best epoch", best_epoch)',
        },
        expected=13,
    ),
    Case(
        "tf-keras-build-model-with-objects",
        "tf.keras, no Input layer, keyword arguments and loss, optimizer and metric objects in build_model",
        {
            "build-model": "import tensorflow as tf\n\n\ndef build_model(hidden_layers, units, dropout_rate):\n"
            "    model = tf.keras.Sequential()\n    model.add(tf.keras.layers.Flatten())\n"
            "    for i in range(hidden_layers):\n"
            "        model.add(tf.keras.layers.Dense(units=units, activation=tf.nn.relu))\n"
            "        model.add(tf.keras.layers.Dropout(rate=dropout_rate))\n"
            "    model.add(tf.keras.layers.Dense(10, activation=tf.nn.softmax))\n"
            "    model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=1e-3),\n"
            "                  loss=tf.keras.losses.CategoricalCrossentropy(),\n"
            "                  metrics=[tf.keras.metrics.CategoricalAccuracy()])\n"
            "    return model",
        },
        expected=13,
    ),
    Case(
        "own-deeper-design-without-early-stopping",
        "its own three-layer model with dropout, not build_model, trained for 10 epochs",
        {
            "improved-model": "model = keras.Sequential([\n    layers.Flatten(input_shape=(28, 28)),\n"
            '    layers.Dense(256, activation="relu"), layers.Dropout(0.2),\n'
            '    layers.Dense(256, activation="relu"), layers.Dropout(0.2),\n'
            '    layers.Dense(256, activation="relu"), layers.Dropout(0.2),\n'
            '    layers.Dense(10, activation="softmax"),\n])\n'
            'model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])\n'
            "history = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=10, batch_size=BATCH_SIZE)"
            + EVALUATE,
        },
        expected=13,
    ),
    Case(
        "l2-and-dropout-early-stop-on-accuracy",
        "L2 weight decay as well as dropout, early stopping on the validation accuracy",
        {
            "improved-model": "model = keras.Sequential([\n    keras.Input(shape=(28, 28)),\n    layers.Flatten(),\n"
            '    layers.Dense(512, activation="relu", kernel_regularizer=keras.regularizers.L2(1e-5)),\n'
            "    layers.Dropout(0.3),\n"
            '    layers.Dense(512, activation="relu", kernel_regularizer=keras.regularizers.L2(1e-5)),\n'
            "    layers.Dropout(0.3),\n"
            '    layers.Dense(10, activation="softmax"),\n])\n'
            'model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])\n'
            'stop = keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=3, restore_best_weights=True)\n'
            "history = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=BUDGET_EPOCHS,\n"
            "                    batch_size=BATCH_SIZE, callbacks=[stop], verbose=2)" + EVALUATE,
        },
        expected=13,
    ),
    Case(
        "validation-split-in-part-one",
        "Part 1 trained with validation_split on x_train instead of validation_data (still validation curves)",
        {
            "train-long": "baseline = keras.Sequential([layers.Flatten(), layers.Dense(1024, activation='relu'),\n"
            "                          layers.Dense(10, activation='softmax')])\n"
            "baseline.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])\n"
            "history_long = baseline.fit(x_train, y_train, validation_split=0.2, epochs=LONG_EPOCHS, "
            "batch_size=BATCH_SIZE)",
        },
        expected=13,
    ),
    Case(
        "improved-model-trained-on-test-set",
        "attack: trains the improved model on the test images",
        {
            "improved-model": "model = build_model(2, 512, 0.3)\n"
            "history = model.fit(test_x, test_y, epochs=BUDGET_EPOCHS, batch_size=BATCH_SIZE)" + EVALUATE,
        },
        expected=9,
    ),
]
