"""Property-based tests of the carriers' round trip: every numpy array numpy.save keeps without
pickling (any shape, zero-length axes and 0-d included, any order, strides, byte order and dtype),
numpy scalars, and nested plain data cross from the student's kernel to the checker unchanged."""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from coursetools.engine import carriers

pytestmark = pytest.mark.unit
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def roundtrip(folder, value):
    for old in folder.iterdir():  # one folder per example, reused
        old.unlink()
    carriers.export_names({"x": value}, ["x"], str(folder))
    loaded = {}
    carriers.load_names(["x"], str(folder), loaded)
    return loaded["x"]


def byte_orders(dtype_strategy):
    return dtype_strategy.flatmap(lambda d: st.sampled_from([d, d.newbyteorder(">"), d.newbyteorder("<")]))


SIMPLE_DTYPES = st.one_of(
    hnp.boolean_dtypes(),
    byte_orders(hnp.integer_dtypes()),
    byte_orders(hnp.unsigned_integer_dtypes()),
    byte_orders(hnp.floating_dtypes(sizes=(16, 32, 64))),
    byte_orders(hnp.complex_number_dtypes()),
    byte_orders(hnp.datetime64_dtypes()),
    byte_orders(hnp.timedelta64_dtypes()),
    byte_orders(hnp.unicode_string_dtypes()),
    hnp.byte_string_dtypes(),
    st.just(np.dtype(np.longdouble)),
)
VOID = st.integers(1, 8).map(lambda n: np.dtype(f"V{n}"))  # raw bytes: Hypothesis draws them as uint8
DTYPES = st.one_of(SIMPLE_DTYPES, VOID, hnp.array_dtypes(SIMPLE_DTYPES, min_size=1, max_size=3))
SHAPES = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4)  # zero-length axes and 0-d


def arrays(dtype, shape):
    if dtype.kind == "V" and dtype.fields is None:
        raw = hnp.arrays(np.uint8, (*shape, dtype.itemsize))
        return raw.map(lambda a: np.ascontiguousarray(a).view(dtype).reshape(shape))
    return hnp.arrays(dtype, shape)


def layouts(array):
    """The array as C order, Fortran order, a strided view and a reversed view."""
    return st.sampled_from(["c", "f", "strided", "reversed"]).map(
        lambda kind: {
            "c": array,
            "f": np.asfortranarray(array),
            "strided": np.repeat(array, 2, axis=-1)[..., ::2] if array.ndim else array,
            "reversed": array[::-1] if array.ndim else array,
        }[kind]
    )


ARRAYS = st.tuples(DTYPES, SHAPES).flatmap(lambda ds: arrays(*ds)).flatmap(layouts)


def same_array(loaded, array):
    return (
        type(loaded) is np.ndarray
        and loaded.dtype == array.dtype
        and loaded.shape == array.shape
        and loaded.tobytes() == np.ascontiguousarray(array).tobytes()  # bit for bit: NaNs and NaTs too
    )


@SETTINGS
@given(array=ARRAYS)
def test_every_array_numpy_saves_without_pickles_crosses_bit_for_bit(tmp_path, array):
    loaded = roundtrip(tmp_path, array)
    assert same_array(loaded, array), (array.dtype, array.shape, loaded)


@SETTINGS
@given(array=ARRAYS)
def test_a_crossed_array_is_read_only_for_the_checker(tmp_path, array):
    loaded = roundtrip(tmp_path, array)
    assert not loaded.flags.writeable


# NaNs with a sign and a payload (Hypothesis found float16's once): the bits cross, not just "a NaN".
SIGNED_NAN_WITH_PAYLOAD = np.array([0xFFFF], dtype=np.uint16).view(np.float16).reshape(())


@SETTINGS
@given(array=DTYPES.flatmap(lambda d: arrays(d, ())))
@example(array=SIGNED_NAN_WITH_PAYLOAD)
def test_every_numpy_scalar_crosses_with_its_type_and_bits(tmp_path, array):
    scalar = array[()]
    loaded = roundtrip(tmp_path, scalar)
    assert type(loaded) is type(scalar) and loaded.dtype == scalar.dtype
    assert np.asarray(loaded).tobytes() == np.asarray(scalar).tobytes()


def same_plain(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, complex):
        return same_plain(a.real, b.real) and same_plain(a.imag, b.imag)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same_plain(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same_plain(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray):
        return same_array(a, b)
    return a == b


HASHABLE = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8), st.binary(max_size=8))
LEAVES = st.one_of(
    HASHABLE,
    st.floats(allow_nan=True, allow_infinity=True),
    st.complex_numbers(allow_nan=False),
    hnp.arrays(hnp.floating_dtypes() | hnp.integer_dtypes(), SHAPES),
)
PLAIN = st.recursive(
    LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(HASHABLE, inner, max_size=4),
        st.frozensets(HASHABLE, max_size=4),
        st.sets(HASHABLE, max_size=4),
    ),
    max_leaves=20,
)


@SETTINGS
@given(value=PLAIN)
def test_nested_plain_data_with_arrays_crosses_with_its_types(tmp_path, value):
    loaded = roundtrip(tmp_path, value)
    assert same_plain(loaded, value), (value, loaded)
