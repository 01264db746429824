"""Honest ps1 solutions, written the ways students write Keras, each with the score it must get.

Every entry changes some answer cells of the reference (source/ps1's solution) the way
a real student would, keeping only what the task mandates (variable names, the
architecture, the loss). All of them earn full marks except where the entry says
which single step an honest deviation from the task costs.
"""

from __future__ import annotations

from dataclasses import dataclass

TF_KERAS_IMPORTS = """%matplotlib inline
import numpy as np
import matplotlib.pyplot as plt
import tensorflow as tf
from tensorflow.keras.models import Sequential
from tensorflow.keras.layers import Flatten, Dense
from tensorflow.keras.datasets import fashion_mnist
from tensorflow.keras.utils import to_categorical
"""

CLASS_NAMES_AND_ONE_PICTURE = """class_names = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat',
               'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']
plt.imshow(train_x[10], cmap='gray')
"""


@dataclass
class Honest:
    name: str
    why: str
    changes: dict[str, str]
    expected: float = 15

    def answers(self, reference: dict[str, str]) -> dict[str, str]:
        return {**reference, **self.changes}


HONEST = [
    Honest(
        "tutorial-verbatim",
        "the tutorial's code typed in as it is: 'Adam', 10 epochs of Keras' default batch of 32, one picture",
        {
            "show-images": CLASS_NAMES_AND_ONE_PICTURE,
            "compile-model": "model.compile(optimizer='Adam',\n              loss = 'categorical_crossentropy',\n"
            "              metrics = ['accuracy'])",
            "train-model": "history = model.fit(train_x, train_y, epochs = 10)",
            "evaluate-model": "test_loss, test_accuracy = model.evaluate(test_x, test_y)\n"
            'print(f"Test accuracy: {test_accuracy:.2%}")',
        },
    ),
    Honest(
        "tf-keras-everywhere",
        "imports from tensorflow.keras and a model built from tf.keras.layers",
        {
            "imports": TF_KERAS_IMPORTS,
            "build-model": "model = tf.keras.models.Sequential([\n    tf.keras.layers.Flatten(),\n"
            "    tf.keras.layers.Dense(1024, activation='relu'),\n    tf.keras.layers.Dense(10, activation='softmax'),\n])",
        },
    ),
    Honest(
        "tf-nn-activations",
        "TensorFlow's tutorial style: tf.nn.relu and tf.nn.softmax, input_shape on Flatten, optimizer and loss objects",
        {
            "imports": TF_KERAS_IMPORTS,
            "build-model": "model = tf.keras.Sequential([\n    tf.keras.layers.Flatten(input_shape=(28, 28)),\n"
            "    tf.keras.layers.Dense(1024, activation=tf.nn.relu),\n"
            "    tf.keras.layers.Dense(10, activation=tf.nn.softmax),\n])",
            "compile-model": "model.compile(optimizer=tf.keras.optimizers.Adam(),\n"
            "              loss=tf.keras.losses.CategoricalCrossentropy(),\n              metrics=['accuracy'])",
        },
    ),
    Honest(
        "metric-and-loss-objects",
        "keras objects instead of strings: Adam(learning_rate=1e-3), CategoricalCrossentropy(), CategoricalAccuracy()",
        {
            "compile-model": "model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),\n"
            "              loss=keras.losses.CategoricalCrossentropy(),\n"
            "              metrics=[keras.metrics.CategoricalAccuracy()])",
        },
    ),
    # Keras's own losses, metrics, activations, initializers, regularizers and constraints in the
    # forms tutorials write them; tests/unit/test_keras_archives.py carries each form on its own.
    Honest(
        "keras-functions",
        "Keras's functions instead of strings: loss=keras.losses.categorical_crossentropy, "
        "metrics=[keras.metrics.categorical_accuracy], activation=keras.activations.relu and softmax",
        {
            "build-model": "import keras\n\nmodel = Sequential([\n    Flatten(),\n"
            "    Dense(1024, activation=keras.activations.relu),\n"
            "    Dense(10, activation=keras.activations.softmax),\n])",
            "compile-model": "model.compile(optimizer='adam',\n              loss=keras.losses.categorical_crossentropy,\n"
            "              metrics=[keras.metrics.categorical_accuracy])",
        },
    ),
    Honest(
        "initializer-regularizer-constraint-objects",
        "a hidden layer with keras.initializers.HeNormal(), keras.regularizers.L2(1e-6) and "
        "keras.constraints.MaxNorm(10); the loss as a CategoricalCrossentropy() object",
        {
            "build-model": "import keras\n\nmodel = Sequential([\n    Flatten(),\n"
            '    Dense(1024, activation="relu", kernel_initializer=keras.initializers.HeNormal(),\n'
            "          kernel_regularizer=keras.regularizers.L2(1e-6), kernel_constraint=keras.constraints.MaxNorm(10)),\n"
            '    Dense(10, activation="softmax"),\n])',
            "compile-model": "model.compile(optimizer='adam', loss=keras.losses.CategoricalCrossentropy(), "
            "metrics=['accuracy'])",
        },
    ),
    Honest(
        "activation-layers-keras-1-style",
        "old Keras examples' style: Dense layers without an activation, each followed by its own Activation "
        "layer; the same network as Dense(1024, activation='relu') and Dense(10, activation='softmax')",
        {
            "build-model": "from keras.layers import Activation\n\nmodel = Sequential()\nmodel.add(Flatten())\n"
            "model.add(Dense(1024))\nmodel.add(Activation('relu'))\nmodel.add(Dense(10))\n"
            "model.add(Activation('softmax'))",
        },
    ),
    Honest(
        "keras-input-first",
        "keras.Input as the first element of the Sequential list",
        {
            "build-model": "model = Sequential([\n    keras.Input(shape=(28, 28)),\n    Flatten(),\n"
            '    Dense(1024, activation="relu"),\n    Dense(10, activation="softmax"),\n])',
        },
    ),
    Honest(
        "input-layer-and-float32",
        "an explicit InputLayer, pixels scaled as float32, labels one-hot with num_classes",
        {
            "normalize": 'train_x = train_x.astype("float32") / 255\ntest_x = test_x.astype("float32") / 255',
            "one-hot": "train_y = to_categorical(train_y, num_classes=10)\ntest_y = to_categorical(test_y, num_classes=10)",
            "build-model": "model = Sequential()\nmodel.add(keras.layers.InputLayer(shape=(28, 28)))\nmodel.add(Flatten())\n"
            'model.add(Dense(1024, activation="relu"))\nmodel.add(Dense(10, activation="softmax"))',
        },
    ),
    Honest(
        "validation-split",
        "Keras' validation_split holds out 10 % of the training images",
        {
            "train-model": "history = model.fit(train_x, train_y, epochs=EPOCHS, batch_size=BATCH_SIZE, validation_split=0.1)"
        },
    ),
    Honest(
        "holdout-validation-data",
        "the last 5,000 training images held out by hand and passed as validation_data",
        {
            "train-model": "x_train, x_val = train_x[:55000], train_x[55000:]\n"
            "y_train, y_val = train_y[:55000], train_y[55000:]\n"
            "history = model.fit(x_train, y_train, validation_data=(x_val, y_val),\n"
            "                    epochs=EPOCHS, batch_size=BATCH_SIZE)",
        },
    ),
    Honest(
        "no-batch-size",
        "the course's epochs with Keras' default batch size (the model's input shape then includes batch 32)",
        {"train-model": "history = model.fit(train_x, train_y, epochs=EPOCHS)"},
    ),
    Honest(
        "early-stopping",
        "an EarlyStopping callback that restores the best weights",
        {
            "train-model": "stop = keras.callbacks.EarlyStopping(monitor='loss', patience=1, restore_best_weights=True)\n"
            "history = model.fit(train_x, train_y, epochs=EPOCHS, batch_size=BATCH_SIZE, callbacks=[stop])",
        },
    ),
    Honest(
        "keyword-arguments-and-tuple",
        "keyword arguments everywhere, quiet training, class names as a tuple",
        {
            "show-images": "class_names = ('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat',\n"
            "               'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot')",
            "train-model": "history = model.fit(x=train_x, y=train_y, epochs=EPOCHS, batch_size=BATCH_SIZE, verbose=2)",
            "evaluate-model": "test_loss, test_accuracy = model.evaluate(x=test_x, y=test_y, verbose=0)\n"
            'print(f"Test accuracy: {test_accuracy:.2%}")',
        },
    ),
    Honest(
        "flat-pixels-instead-of-flatten",
        "reshapes the images to 784 numbers and starts with Dense: deviates from the task's architecture, "
        "so it loses that step (2 points) and nothing else",
        {
            "normalize": "train_x = train_x.reshape(-1, 784) / 255.0\ntest_x = test_x.reshape(-1, 784) / 255.0",
            "build-model": 'model = Sequential([\n    Dense(1024, activation="relu", input_shape=(784,)),\n'
            '    Dense(10, activation="softmax"),\n])',
        },
        expected=13,
    ),
]
