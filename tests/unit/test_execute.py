import pytest

from coursetools.execute import names_read_by

pytestmark = pytest.mark.unit


def test_names_read_by_a_test_cell_exclude_builtins_imports_and_its_own_variables():
    source = (
        "import keras\n"
        "from keras.datasets import fashion_mnist as _fm\n"
        "(_x, _y), _ = _fm.load_data()\n"
        "assert len(train_x) == len(_x) and isinstance(model, keras.Model)\n"
        "assert test_accuracy >= ACCURACY_THRESHOLD\n"
    )
    assert names_read_by(source) == ["model", "test_accuracy", "train_x"]


def test_names_read_by_invalid_code_is_empty():
    assert names_read_by("assert (") == []
