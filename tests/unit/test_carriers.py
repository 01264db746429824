"""Carriers: each kind of value crosses from the student's kernel to the checker as plain data."""

import json
import math
import re

import numpy as np
import pytest

from coursetools.engine import carriers

pytestmark = pytest.mark.unit


def roundtrip(tmp_path, namespace, names=None):
    names = list(namespace) if names is None else names
    carriers.export_names(namespace, names, str(tmp_path))
    loaded = {}
    carriers.load_names(names, str(tmp_path), loaded)
    return loaded


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        7,
        2**80,
        -0.5,
        "text",
        [1, [2, [3]]],
        (1, 2),
        ((1, 2), [3, (4,)]),
        {1, 2, 3},
        frozenset({"a", "b"}),
        {"a": 1, "b": [1, 2]},
        {1: "one", (2, 3): "pair", None: 0, 2.5: "x", frozenset({1}): "fs"},
        b"\x00bytes",
        3 + 4j,
        [],
        (),
        {},
        set(),
    ],
    ids=lambda value: repr(sorted(value) if isinstance(value, frozenset) else value),  # the same in every process
)
def test_plain_values_keep_their_value_and_type(tmp_path, value):
    loaded = roundtrip(tmp_path, {"x": value})["x"]
    assert loaded == value and type(loaded) is type(value)
    if isinstance(value, (tuple, list)):
        assert [type(v) for v in loaded] == [type(v) for v in value]


def test_special_floats_cross(tmp_path):
    loaded = roundtrip(tmp_path, {"nan": float("nan"), "inf": float("inf"), "ninf": -math.inf})
    assert math.isnan(loaded["nan"]) and loaded["inf"] == math.inf and loaded["ninf"] == -math.inf


@pytest.mark.parametrize("value", [np.float32(0.5), np.int64(3), np.bool_(True), np.complex64(1 + 2j), np.uint8(255)])
def test_numpy_scalars_keep_their_dtype(tmp_path, value):
    loaded = roundtrip(tmp_path, {"x": value})["x"]
    assert loaded == value and loaded.dtype == value.dtype


def test_arrays_numbers_and_modules_cross_over(tmp_path):
    student = {"train_x": np.arange(12.0).reshape(3, 4), "names": ["a", "b"], "np": np, "nested": {"w": np.ones(3)}}
    loaded = roundtrip(tmp_path, student)
    assert np.array_equal(loaded["train_x"], student["train_x"]) and loaded["names"] == ["a", "b"]
    assert loaded["np"] is np and np.array_equal(loaded["nested"]["w"], np.ones(3))


def test_container_subclasses_travel_as_their_base(tmp_path):
    from collections import Counter, OrderedDict, namedtuple

    point = namedtuple("Point", "x y")
    loaded = roundtrip(tmp_path, {"c": Counter("aab"), "o": OrderedDict(a=1), "p": point(1, 2)})
    assert loaded == {"c": {"a": 2, "b": 1}, "o": {"a": 1}, "p": (1, 2)}


def test_library_functions_and_classes_are_the_real_ones(tmp_path):
    import keras

    loaded = roundtrip(tmp_path, {"mean": np.mean, "Dense": keras.layers.Dense, "sqrt": math.sqrt})
    assert loaded["mean"] is np.mean and loaded["Dense"] is keras.layers.Dense and loaded["sqrt"] is math.sqrt


def test_student_functions_become_proxies_without_a_bridge_they_explain(tmp_path):
    def squares(n):
        """Squares from 1 to n."""
        return [i * i for i in range(1, n + 1)]

    loaded = roundtrip(tmp_path, {"squares": squares, "f": lambda x: x})
    proxy = loaded["squares"]
    assert isinstance(proxy, carriers.CallableProxy)
    assert proxy.__name__ == "squares" and proxy.__doc__ == "Squares from 1 to n." and "(n)" in repr(proxy)
    with pytest.raises(carriers.NotCarried, match="squares"):
        proxy(3)


def test_a_name_the_student_never_defined_is_removed_from_the_checker(tmp_path):
    checker = {"model": "stale value from an earlier test"}
    carriers.export_names({}, ["model"], str(tmp_path))
    carriers.load_names(["model"], str(tmp_path), checker)
    assert "model" not in checker


class AlwaysEqual:
    def __eq__(self, other):
        return True

    __hash__ = object.__hash__


def counter():
    yield 1


REASONS = carriers.NOT_CARRIED


@pytest.mark.parametrize(
    "value, reason",
    [
        (AlwaysEqual(), REASONS["other-kind"]),
        ([1, AlwaysEqual()], REASONS["other-kind"]),
        (np.array([object()], dtype=object), REASONS["object-array"]),
        (iter([1, 2]), REASONS["other-kind"]),
        (counter(), REASONS["other-kind"]),
        (np.array([(1, None)], dtype=[("<b>field</b>", "i4"), ("y", "O")])[0], REASONS["object-array"]),
    ],
    ids=["always-equal", "inside-a-list", "object-array", "iterator", "generator", "record-holding-an-object"],
)
def test_what_cannot_cross_explains_itself_in_fixed_words_on_every_use(tmp_path, value, reason):
    loaded = roundtrip(tmp_path, {"train_x": value})["train_x"]
    assert isinstance(loaded, carriers.UngradableValue)
    for use in (
        lambda v: v.shape,
        lambda v: v == (60000, 28, 28),
        lambda v: bool(v),
        lambda v: len(v),
        lambda v: v[0],
        lambda v: v(),
        lambda v: list(v),
        lambda v: isinstance(v, (list, tuple)),
    ):
        with pytest.raises(
            carriers.NotCarried, match=rf"`train_x` cannot be checked: {re.escape(reason)}; tests can read"
        ):
            use(loaded)


def test_the_students_own_text_never_reaches_the_message(tmp_path):
    class Sneaky:
        def __repr__(self):
            return "<img src=x onerror=alert(1)>"

    Sneaky.__name__ = Sneaky.__qualname__ = "<a href='javascript:alert(1)'>"
    value = roundtrip(tmp_path, {"x": Sneaky()})["x"]
    with pytest.raises(carriers.NotCarried) as info:
        value.anything  # noqa: B018
    for text in (repr(value), str(info.value)):
        assert "<" not in text.replace("<x:", "") and "javascript" not in text and "img" not in text, text


def test_a_forged_reason_is_replaced_by_the_generic_one(tmp_path):
    (tmp_path / carriers.MANIFEST).write_text(
        json.dumps({"x": {"$": "unsupported", "type": "<b>Mine</b>", "reason": "[click](http://evil)"}})
    )
    loaded = {}
    carriers.load_names(["x"], str(tmp_path), loaded)
    with pytest.raises(carriers.NotCarried, match=re.escape(REASONS["other-kind"])) as info:
        bool(loaded["x"])
    assert "evil" not in str(info.value) and "Mine" not in str(info.value)


def test_a_forged_function_name_and_signature_are_not_kept(tmp_path):
    (tmp_path / carriers.MANIFEST).write_text(
        json.dumps(
            {
                "f": {"$": "list", "items": []},
                "g": [{"$": "callable", "id": 1, "name": "<b>x</b>", "signature": "(x='<script>')"}],
                "h": {"$": "callable", "id": 2, "name": "anything", "signature": "(n, k=2)"},
            }
        )
    )
    loaded = {}
    carriers.load_names(["g", "h"], str(tmp_path), loaded)
    (nested,) = loaded["g"]
    assert nested.__name__ == "function" and repr(nested) == "<student function function(...)>"
    assert loaded["h"].__name__ == "h" and repr(loaded["h"]) == "<student function h(n, k=2)>"


def test_self_containing_and_deep_values_are_refused(tmp_path):
    loop = [1]
    loop.append(loop)
    deep = []
    for _ in range(carriers.MAX_DEPTH + 5):
        deep = [deep]
    loaded = roundtrip(tmp_path, {"loop": loop, "deep": deep})
    assert all(isinstance(v, carriers.UngradableValue) for v in loaded.values())


def test_protected_names_keep_the_checkers_value(tmp_path):
    checker = {"ACCURACY_THRESHOLD": 0.85}
    carriers.export_names({"ACCURACY_THRESHOLD": 0.0}, ["ACCURACY_THRESHOLD"], str(tmp_path))
    carriers.load_names(["ACCURACY_THRESHOLD"], str(tmp_path), checker, protected=("ACCURACY_THRESHOLD",))
    assert checker["ACCURACY_THRESHOLD"] == 0.85


def test_a_forged_manifest_cannot_import_arbitrary_modules_reach_other_objects_or_read_outside(tmp_path):
    (tmp_path / carriers.MANIFEST).write_text(
        json.dumps(
            {
                "a": {"$": "module", "name": "os"},
                "b": {"$": "object", "module": "subprocess", "qualname": "run"},
                "c": {"$": "array", "file": "../../etc/passwd"},
                "d": {"$": "object", "module": "numpy", "qualname": "os.system"},
                "e": {"$": "module", "name": "numpy.__init__"},
                "f": {"$": "object", "module": "numpy", "qualname": "__class__"},
                "g": {"$": "npscalar", "dtype": "O", "value": 1},
                "h": {"$": "callable", "id": "not a number"},
                "i": {"$": "no such kind"},
                "j": {"$": "tuple", "items": 5},
            }
        )
    )
    loaded = {}
    names = list("abcdefghij")
    carriers.load_names(names, str(tmp_path), loaded)
    assert all(isinstance(loaded[n], carriers.UngradableValue) for n in names), loaded


def test_a_manifest_that_is_not_json_leaves_every_name_undefined(tmp_path):
    (tmp_path / carriers.MANIFEST).write_text("{not json")
    loaded = {"x": 1}
    carriers.load_names(["x"], str(tmp_path), loaded)
    assert "x" not in loaded


def test_unchanged_arrays_are_not_written_again(tmp_path):
    student = {"train_x": np.ones((100, 28, 28))}
    carriers.export_names(student, ["train_x"], str(tmp_path))
    (path,) = tmp_path.glob("train_x*.npy")
    first = path.stat().st_mtime_ns
    carriers.export_names(student, ["train_x"], str(tmp_path))
    assert path.stat().st_mtime_ns == first
    student["train_x"][0, 0, 0] = 5  # changed in place: exported again
    carriers.export_names(student, ["train_x"], str(tmp_path))
    assert np.load(path)[0, 0, 0] == 5


@pytest.mark.parametrize(
    "types, expected",
    [
        (["ValueError", "Exception", "BaseException", "object"], ValueError),
        (["NotPositive", "ValueError", "Exception", "BaseException", "object"], ValueError),
        (["KeyError", "LookupError", "Exception", "BaseException", "object"], KeyError),
        (["SystemExit", "BaseException", "object"], RuntimeError),
        (["UnicodeDecodeError", "UnicodeError", "ValueError", "Exception", "BaseException", "object"], UnicodeError),
    ],
)
def test_exceptions_are_raised_again_with_their_builtin_type_and_message(types, expected):
    with pytest.raises(expected, match="n must be positive") as info:
        carriers.raise_recorded({"types": types, "message": "n must be positive"}, "squares")
    assert type(info.value) is expected
