"""ps2 submissions beyond the sample class: honest variants (full marks) and attacks, each with its score.

Autograded points: 1a 1, 1b 1, 1c 1, build_model 1 + 3, improved model 2 + 4 = 13; the
reflection (3) is graded by hand. Part 3's two steps: "improved model" (dropout, MAX_PARAMETERS,
ALLOWED_LAYERS, a Keras optimizer) and "accuracy" (the same bounds, the student's model measured by
the grader on the test images and on training images it picks at random, and a fresh copy of the
design trained by the grader within BUDGET_EPOCHS, measured the same way).
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
    says: str = ""  # the grader's message, in the output of a Part 3 step it fails

    def answers(self, reference: dict[str, str]) -> dict[str, str]:
        return {**reference, **self.changes}


# A 4x4-average of each image (49 numbers) as a Dense layer's weights: memorised images fit in
# far fewer parameters than the images themselves.
POOLING = """import numpy as np
pool = np.zeros((784, 49), dtype="float32")
for r in range(28):
    for c in range(28):
        pool[r * 28 + c, (r // 4) * 7 + c // 4] = 1 / 16
"""

# Honest variety, several variants per submission where they answer different cells (each
# grading trains three models, so variants share a submission; a lost step names its cell).
RANDOM_SPLIT_AND_PANDAS = {
    "split-validation": "from sklearn.model_selection import train_test_split\n"
    "train_x, val_x, train_y, val_y = train_test_split(full_train_x, full_train_y, train_size=TRAIN_SIZE, "
    "test_size=VALIDATION_SIZE, random_state=SEED)",
    "best-epoch": "import pandas as pd\nlosses = pd.DataFrame(history_long.history)\n"
    'best_epoch = int(losses["val_loss"].idxmin()) + 1\nprint("best epoch", best_epoch)',
}
TF_KERAS_BUILD_MODEL = {
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
}
ACTIVATION_LAYERS_BUILD_MODEL = {
    "build-model": "def build_model(hidden_layers, units, dropout_rate):\n"
    "    model = keras.Sequential([keras.Input(shape=(28, 28)), layers.Flatten()])\n"
    "    for _ in range(hidden_layers):\n"
    "        model.add(layers.Dense(units))\n        model.add(layers.ReLU())\n"
    "        model.add(layers.Dropout(dropout_rate))\n"
    "    model.add(layers.Dense(10))\n    model.add(layers.Softmax())\n"
    "    model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])\n"
    "    return model",
}
VALIDATION_SPLIT_IN_PART_ONE = {
    "train-long": "baseline = keras.Sequential([layers.Flatten(), layers.Dense(1024, activation='relu'),\n"
    "                          layers.Dense(10, activation='softmax')])\n"
    "baseline.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])\n"
    "history_long = baseline.fit(train_x, train_y, validation_split=0.2, epochs=LONG_EPOCHS, "
    "batch_size=BATCH_SIZE)",
}

PS2_CASES = [
    Case(
        "random-split-tf-keras-own-deeper-design",
        "honest: a random split with scikit-learn's train_test_split and the best epoch found with pandas (Part 1); "
        "tf.keras, no Input layer, keyword arguments and loss, optimizer and metric objects in build_model (Part 2); "
        "its own three-layer model with dropout 0.3, ps1's Flatten(input_shape=...), not build_model, trained for "
        "BUDGET_EPOCHS without early stopping (Part 3)",
        {
            **RANDOM_SPLIT_AND_PANDAS,
            **TF_KERAS_BUILD_MODEL,
            "improved-model": "model = keras.Sequential([\n    layers.Flatten(input_shape=(28, 28)),\n"
            '    layers.Dense(256, activation="relu"), layers.Dropout(0.3),\n'
            '    layers.Dense(256, activation="relu"), layers.Dropout(0.3),\n'
            '    layers.Dense(256, activation="relu"), layers.Dropout(0.3),\n'
            '    layers.Dense(10, activation="softmax"),\n])\n'
            'model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])\n'
            "history = model.fit(train_x, train_y, validation_data=(val_x, val_y), epochs=BUDGET_EPOCHS, "
            "batch_size=BATCH_SIZE)" + EVALUATE,
        },
        expected=13,
    ),
    Case(
        "validation-split-relu-layers-l2-and-dropout",
        "honest: Part 1 trained with validation_split on train_x instead of validation_data (still validation "
        "curves); build_model with linear Dense layers each followed by a ReLU() layer and a Softmax() layer "
        "last (the same network as the task's); Part 3 with L2 weight decay as well as dropout, early stopping "
        "on the validation accuracy",
        {
            **VALIDATION_SPLIT_IN_PART_ONE,
            **ACTIVATION_LAYERS_BUILD_MODEL,
            "improved-model": "model = keras.Sequential([\n    keras.Input(shape=(28, 28)),\n    layers.Flatten(),\n"
            '    layers.Dense(512, activation="relu", kernel_regularizer=keras.regularizers.L2(1e-4)),\n'
            "    layers.Dropout(0.5),\n"
            '    layers.Dense(512, activation="relu", kernel_regularizer=keras.regularizers.L2(1e-4)),\n'
            "    layers.Dropout(0.5),\n"
            '    layers.Dense(10, activation="softmax"),\n])\n'
            'model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])\n'
            'stop = keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=PATIENCE, restore_best_weights=True)\n'
            "history = model.fit(train_x, train_y, validation_data=(val_x, val_y), epochs=BUDGET_EPOCHS,\n"
            "                    batch_size=BATCH_SIZE, callbacks=[stop], verbose=2)" + EVALUATE,
        },
        expected=13,
    ),
    Case(
        "smaller-network-more-dropout-own-learning-rate",
        "honest: a smaller design than the ps1 model through build_model (two hidden layers of 256, dropout "
        "0.3), recompiled with Adam at a learning rate of 5e-4 and the sparse loss on integer labels, early "
        "stopping with its own patience of 4 and a second fit that continues within the budget",
        {
            "improved-model": "from keras.callbacks import EarlyStopping\n\n"
            "model = build_model(2, 256, 0.3)\n"
            "model.compile(optimizer=keras.optimizers.Adam(learning_rate=5e-4), "
            "loss='sparse_categorical_crossentropy', metrics=['accuracy'])\n"
            "labels, val_labels = train_y.argmax(axis=1), val_y.argmax(axis=1)\n"
            "stop = EarlyStopping(monitor='val_loss', patience=4, restore_best_weights=True)\n"
            "first = model.fit(train_x, labels, validation_data=(val_x, val_labels), epochs=BUDGET_EPOCHS // 2, "
            "batch_size=BATCH_SIZE, callbacks=[stop], verbose=0)\n"
            "history = model.fit(train_x, labels, validation_data=(val_x, val_labels), "
            "epochs=BUDGET_EPOCHS - len(first.history['loss']), batch_size=BATCH_SIZE, callbacks=[stop], verbose=0)\n"
            "test_loss, test_accuracy = model.evaluate(test_x, test_y.argmax(axis=1), verbose=0)\n"
            'print(f"Test accuracy: {test_accuracy:.2%}")',
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
    Case(
        "trained-on-all-images-then-recompiled-and-counters-reset",
        "attack: the reference design trained on all 55,000 training images not held out (eleven times "
        "TRAIN_SIZE), then recompiled with Adam at a learning rate of 1e-6, its history cut to one epoch and "
        "optimizer.iterations rewound: the model itself is accurate, but the grader trains a fresh copy "
        "of the design with the optimizer the model carries, within the budget, on TRAIN_SIZE images, and "
        "that copy learns almost nothing: the accuracy step's 4 points are lost",
        {
            "improved-model": "model = build_model(2, 512, 0.5)\n"
            "history = model.fit(full_train_x[:55000], full_train_y[:55000], epochs=2, batch_size=256, verbose=0)\n"
            "model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-6), loss='categorical_crossentropy', "
            "metrics=['accuracy'])\n"
            "history.history = {key: values[-1:] for key, values in history.history.items()}\n"
            "history.epoch = history.epoch[-1:]\n"
            "model.optimizer.iterations.assign(len(train_x) // BATCH_SIZE)" + EVALUATE,
        },
        expected=9,
        says="The grader trained a fresh copy of your design",
    ),
    Case(
        "memorises-test-images-untrained",
        "attack: no training; a nearest-neighbour lookup built from public layers (Dense weights are the "
        "test images and the first 10,000 training images, 4x4-averaged, a sharp softmax picks the closest, "
        "a Dense layer holds its label), 1.2M parameters, within MAX_PARAMETERS: 100 % on the test images, "
        "but the training images the grader picks at random are mostly not memorised: accuracy step lost",
        {
            "improved-model": POOLING
            + "memory = np.concatenate([test_x, full_train_x[:10000]]).reshape(-1, 784).astype('float32') @ pool\n"
            "labels = np.concatenate([test_y, full_train_y[:10000]]).astype('float32')\n"
            "model = keras.Sequential([keras.Input(shape=(28, 28)), layers.Flatten(), "
            "layers.Dense(49, use_bias=False), layers.Dense(len(memory)), layers.Activation('softmax'), "
            "layers.Dropout(0.5), layers.Dense(10, use_bias=False)])\n"
            "model.layers[1].set_weights([pool])\n"
            "model.layers[2].set_weights([2000 * memory.T, -1000 * (memory**2).sum(axis=1)])\n"
            "model.layers[5].set_weights([labels])\n"
            "model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])\n"
            "history = keras.callbacks.History()\n"
            "history.epoch = [0]\n"
            "history.history = {'loss': [0.01], 'val_loss': [0.01], 'accuracy': [1.0], 'val_accuracy': [1.0]}"
            + EVALUATE,
        },
        expected=9,
        says="better on the test images than on the training images",
    ),
    Case(
        "fifty-million-parameters",
        "a model with 50.9M parameters (Dense(64000)), more than MAX_PARAMETERS: both Part 3 steps fail "
        "with the limit, before anything is measured",
        {
            "improved-model": "model = keras.Sequential([keras.Input(shape=(28, 28)), layers.Flatten(), "
            "layers.Dense(64000, activation='relu'), layers.Dropout(0.3), layers.Dense(10, activation='softmax')])\n"
            "model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])\n"
            "history = model.fit(train_x[:1024], train_y[:1024], epochs=1, batch_size=BATCH_SIZE)" + EVALUATE,
        },
        expected=7,
        says="more than MAX_PARAMETERS = 3,000,000",
    ),
    Case(
        "layer-kind-outside-the-list",
        "a small convolutional network with dropout: Conv2D and MaxPooling2D are not in ALLOWED_LAYERS, so "
        "both Part 3 steps fail with the list of allowed kinds",
        {
            "improved-model": "model = keras.Sequential([keras.Input(shape=(28, 28)), layers.Reshape((28, 28, 1)), "
            "layers.Conv2D(16, 3, activation='relu'), layers.MaxPooling2D(), layers.Flatten(), "
            "layers.Dropout(0.3), layers.Dense(10, activation='softmax')])\n"
            "model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])\n"
            "history = model.fit(train_x, train_y, validation_data=(val_x, val_y), epochs=2, "
            "batch_size=BATCH_SIZE)" + EVALUATE,
        },
        expected=7,
        says="(Conv2D, MaxPooling2D); use only InputLayer",
    ),
]
