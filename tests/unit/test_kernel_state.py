import json

import numpy as np
import pytest

from coursetools import kernel_state

pytestmark = pytest.mark.unit


def roundtrip(tmp_path, namespace, names):
    kernel_state.export_names(namespace, names, str(tmp_path))
    loaded = {}
    kernel_state.load_names(names, str(tmp_path), loaded)
    return loaded


def test_arrays_numbers_and_modules_cross_over(tmp_path):
    student = {"train_x": np.arange(12.0).reshape(3, 4), "score": np.float32(0.5), "names": ["a", "b"], "np": np}
    loaded = roundtrip(tmp_path, student, ["train_x", "score", "names", "np"])
    assert np.array_equal(loaded["train_x"], student["train_x"])
    assert loaded["score"] == 0.5 and loaded["names"] == ["a", "b"] and loaded["np"] is np


def test_a_name_the_student_never_defined_is_removed_from_the_checker(tmp_path):
    checker = {"model": "stale value from an earlier test"}
    kernel_state.export_names({}, ["model"], str(tmp_path))
    kernel_state.load_names(["model"], str(tmp_path), checker)
    assert "model" not in checker


def test_objects_that_are_not_plain_data_become_ungradable(tmp_path):
    class AlwaysEqual:
        def __eq__(self, other):
            return True

    loaded = roundtrip(tmp_path, {"train_x": AlwaysEqual()}, ["train_x"])
    assert loaded["train_x"] != (60000, 28, 28)
    with pytest.raises(TypeError, match="cannot be checked"):
        _ = loaded["train_x"].shape


def test_object_arrays_are_never_unpickled(tmp_path):
    loaded = roundtrip(tmp_path, {"train_x": np.array([object()], dtype=object)}, ["train_x"])
    assert isinstance(loaded["train_x"], kernel_state.UngradableValue)


def test_protected_names_keep_the_checkers_value(tmp_path):
    checker = {"ACCURACY_THRESHOLD": 0.85}
    kernel_state.export_names({"ACCURACY_THRESHOLD": 0.0}, ["ACCURACY_THRESHOLD"], str(tmp_path))
    kernel_state.load_names(["ACCURACY_THRESHOLD"], str(tmp_path), checker, protected=("ACCURACY_THRESHOLD",))
    assert checker["ACCURACY_THRESHOLD"] == 0.85


def test_a_forged_manifest_cannot_import_arbitrary_modules_or_read_outside(tmp_path):
    (tmp_path / kernel_state.MANIFEST).write_text(
        json.dumps(
            {
                "a": {"kind": "module", "module": "os"},
                "b": {"kind": "object", "module": "subprocess", "qualname": "run"},
                "c": {"kind": "array", "file": "../../etc/passwd"},
            }
        )
    )
    loaded = {}
    kernel_state.load_names(["a", "b", "c"], str(tmp_path), loaded)
    assert all(isinstance(v, kernel_state.UngradableValue) for v in loaded.values())


def test_unchanged_arrays_are_not_written_again(tmp_path):
    student = {"train_x": np.ones((100, 28, 28))}
    kernel_state.export_names(student, ["train_x"], str(tmp_path))
    first = (tmp_path / "train_x.npy").stat().st_mtime_ns
    kernel_state.export_names(student, ["train_x"], str(tmp_path))
    assert (tmp_path / "train_x.npy").stat().st_mtime_ns == first
    student["train_x"][0, 0, 0] = 5  # changed in place: exported again
    kernel_state.export_names(student, ["train_x"], str(tmp_path))
    assert np.load(tmp_path / "train_x.npy")[0, 0, 0] == 5
