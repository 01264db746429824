"""The kernel students use on the course's Jupyter server (coursetools/course/kernelspec.py)."""

import pytest
from jupyter_client.manager import start_new_kernel

from coursetools.course import kernelspec

pytestmark = [pytest.mark.functional, pytest.mark.slow]

LOAD_AND_TRAIN = """
import keras
(train_x, train_y), _ = keras.datasets.fashion_mnist.load_data()
model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10)])
model.compile("adam", "sparse_categorical_crossentropy")
model.fit(train_x[:256] / 255.0, train_y[:256], epochs=1, verbose=0)
print(train_x.shape)
"""


def test_the_course_kernel_loads_the_data_offline_and_shows_no_tensorflow_log_lines():
    kernelspec.install()
    km, kc = start_new_kernel(kernel_name=kernelspec.KERNEL_NAME)
    try:
        kc.execute(LOAD_AND_TRAIN)
        streams, errors = {"stdout": "", "stderr": ""}, []
        while True:
            msg = kc.get_iopub_msg(timeout=120)
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                streams[content["name"]] += content["text"]
            elif kind == "error":
                errors.append(f"{content['ename']}: {content['evalue']}")
            elif kind == "status" and content["execution_state"] == "idle":
                break
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    assert errors == []
    assert streams["stdout"] == "(60000, 28, 28)\n"
    assert streams["stderr"] == "", "TensorFlow's start-up log lines reached the cell"
