"""Tests call student functions: a real kernel plays the student's, this process the checker.

The CallRelay runs calls in the student's kernel; the CheckerBridge sends them and
decodes what comes back, as in grading (without the sandboxes, which the e2e tests use).
"""

import inspect
import time

import numpy as np
import pytest
from jupyter_client.manager import start_new_kernel

from coursetools.engine import carriers, function_calls

pytestmark = [pytest.mark.functional]

STUDENT_CODE = """
import numpy as np

class NotPositive(ValueError):
    pass

def squares(n):
    if n < 1:
        raise NotPositive("n must be >= 1")
    return [i ** 2 for i in range(1, n + 1)]

def describe(x):
    return type(x).__name__, x

def apply(f, x):
    return f(x)

def make_adder(k):
    return lambda x: x + k

def slow(seconds):
    import time
    time.sleep(seconds)
    return "done"

def stubborn():
    while True:
        try:
            while True:
                pass
        except KeyboardInterrupt:
            pass

class AlwaysEqual:
    def __eq__(self, other):
        return True

def cheat():
    return AlwaysEqual()

def exits():
    raise SystemExit(3)

def scaled(a):
    return a / 255.0

def chatty(n):
    print("computing", n)
    print("x" * 50000)
    return n
"""


@pytest.fixture
def student(tmp_path):
    """A student's kernel with STUDENT_CODE run, its relay, and the checker's namespace."""
    for sub in ("args", "export", "sock"):
        (tmp_path / sub).mkdir()
    km, kc = start_new_kernel(kernel_name="python3")
    kc.execute_interactive(STUDENT_CODE, timeout=60)
    relay = function_calls.CallRelay(
        socket_path=str(tmp_path / "sock" / function_calls.SOCKET_NAME),
        connection_info=km.get_connection_info(session=False),
        timeout=2,
        kernel_alive=km.is_alive,
        carriers_source=inspect.getsource(carriers),
        args_dir=str(tmp_path / "args"),
        results_dir=str(tmp_path / "export" / "calls"),
    ).start()
    bridge = function_calls.CheckerBridge(
        timeout=2,
        socket_dir=str(tmp_path / "sock"),
        args_dir=str(tmp_path / "args"),
        results_dir=str(tmp_path / "export" / "calls"),
    )
    names = ["squares", "describe", "apply", "make_adder", "slow", "stubborn", "cheat", "exits", "scaled", "chatty"]
    export = (
        f"exec(compile({inspect.getsource(carriers)!r}, 'c', 'exec'), _c := {{}}) or "
        f"_c['export_names'](globals(), {names!r}, {str(tmp_path / 'export')!r})"
    )
    kc.execute_interactive(export, timeout=30)
    checker = {}
    carriers.load_names(names, str(tmp_path / "export"), checker, bridge=bridge)
    yield checker, relay, kc
    relay.stop()
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def test_a_call_returns_plain_data(student):
    checker, _, _ = student
    assert checker["squares"](3) == [1, 4, 9]
    assert checker["squares"](n=2) == [1, 4]


@pytest.mark.parametrize(
    "value",
    [(1, 2), {1, 2}, {(1, 2): "pair", 3: [4]}, [np.int64(5), np.float32(0.25)], None, "text", frozenset({3})],
    ids=repr,
)
def test_arguments_and_results_keep_their_types(student, value):
    checker, _, _ = student
    type_name, back = checker["describe"](value)
    assert type_name == type(value).__name__ and back == value and type(back) is type(value)


def test_arrays_cross_both_ways(student):
    checker, _, _ = student
    result = checker["scaled"](np.arange(6, dtype=np.uint8).reshape(2, 3))
    assert result.shape == (2, 3) and np.allclose(result, np.arange(6).reshape(2, 3) / 255.0)


def test_functions_cross_both_ways(student):
    checker, _, _ = student
    add_three = checker["make_adder"](3)
    assert isinstance(add_three, carriers.CallableProxy) and add_three(4) == 7
    assert checker["apply"](checker["squares"], 2) == [1, 4]


def test_the_students_exception_is_raised_with_its_builtin_type_and_message(student):
    checker, _, _ = student
    with pytest.raises(ValueError, match="n must be >= 1") as info:
        checker["squares"](0)
    assert type(info.value) is ValueError
    with pytest.raises(RuntimeError, match="SystemExit"):
        checker["exits"]()
    assert checker["squares"](1) == [1], "the kernel keeps working after exceptions"


def test_a_hostile_return_value_never_reaches_the_checker(student):
    checker, _, _ = student
    with pytest.raises(
        carriers.NotCarried,
        match="`cheat` returned a value the grader cannot carry to its checking kernel: it is an object of a kind",
    ):
        checker["cheat"]()


def test_a_slow_call_is_stopped_at_its_time_limit_and_the_kernel_goes_on(student):
    checker, relay, _ = student
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="time limit of 2 s"):
        checker["slow"](30)
    assert time.monotonic() - started < 10
    assert relay.fault is None and checker["slow"](0) == "done"


def test_a_call_that_ignores_interrupts_is_a_fault_for_the_submission(student):
    checker, relay, _ = student
    with pytest.raises(TimeoutError):
        checker["stubborn"]()
    assert "could not be interrupted" in str(relay.fault)
    with pytest.raises(RuntimeError, match="could not be interrupted"):
        checker["squares"](1)


def test_what_a_called_function_prints_reaches_the_tests_output_bounded(student, capsys):
    checker, _, _ = student
    assert checker["chatty"](2) == 2
    out = capsys.readouterr().out
    assert out.startswith("computing 2\n") and "more characters not shown" in out and len(out) < 11000
