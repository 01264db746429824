import pytest

from coursetools.engine.names_read import modules_imported_by, names_read_by

pytestmark = pytest.mark.unit


def test_names_read_by_a_test_cell_exclude_builtins_imports_and_its_own_variables():
    source = (
        "import keras\n"
        "from keras.datasets import fashion_mnist as _fm\n"
        "(_x, _y), _ = _fm.load_data()\n"
        "assert len(train_x) == len(_x) and isinstance(model, keras.Model)\n"
        "assert test_accuracy >= ACCURACY_THRESHOLD\n"
        "_names = [m.name for m in model.metrics if m]\n"
        "for _i, _row in enumerate(train_y):\n"
        "    assert _row.sum() == 1, f'{_i}'\n"
    )
    assert names_read_by(source, exclude=["ACCURACY_THRESHOLD"]) == ["model", "test_accuracy", "train_x", "train_y"]


def test_a_name_read_before_the_test_binds_or_deletes_it_is_read():
    source = (
        "orig_squares = squares\n"
        "del squares\n"
        "try:\n"
        "    sum_of_squares(1)\n"
        "except NameError:\n"
        "    pass\n"
        "finally:\n"
        "    squares = orig_squares\n"
        "counter += 1\n"
        "total = total + 1\n"
    )
    assert names_read_by(source) == ["counter", "squares", "sum_of_squares", "total"]


def test_names_inside_functions_and_lambdas_count_unless_they_are_parameters():
    source = "def check(n, *rest):\n    return squares(n) + rest\nf = lambda x: x + offset\n"
    assert names_read_by(source) == ["offset", "squares"]


def test_names_read_by_invalid_code_is_empty():
    assert names_read_by("assert (") == []


def test_modules_imported_by_a_cell():
    assert modules_imported_by("import keras.layers\nfrom numpy import linalg\nfrom . import x\n") == ["keras", "numpy"]
