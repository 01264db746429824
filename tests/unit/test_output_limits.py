import sys

import pytest
from nbformat import from_dict
from nbformat.v4 import new_output
from nbformat.v4.nbbase import validate as validate_nbnode

from coursetools.engine.output_limits import OutputBudget, OutputLimits, collapse_progress, output_from_message

pytestmark = pytest.mark.unit


def limits(
    text_bytes=100_000, lines=1_000, rich=5_000_000, outputs=500, notebook_bytes=20_000_000, notebook_outputs=2_000
):
    return OutputLimits(text_bytes, lines, rich, outputs, notebook_bytes, notebook_outputs)


def stream(name, text):
    return from_dict({"output_type": "stream", "name": name, "text": text})  # unvalidated: fast


def feed(budget, messages, cell_index=0):
    """Outputs as nbclient appends them, each folded in as it arrives; then the cell ends."""
    outs = []
    for message in messages:
        outs.append(stream(*message) if isinstance(message, tuple) else message)
        budget.fold(outs, cell_index)
    budget.finish_cell(outs)
    return outs


def display(value):
    return from_dict({"output_type": "display_data", "metadata": {}, "data": {"text/plain": str(value)}})


def test_progress_bars_collapse_to_their_last_state():
    assert collapse_progress("1/3 [=..]\r2/3 [==.]\r3/3 [===]\nnext") == "3/3 [===]\nnext"
    assert collapse_progress("abc\x08\x08xy") == "axy"
    assert collapse_progress("\x08\x08a\nb\x08c") == "a\nc", "a backspace erases nothing before its line"
    assert collapse_progress("\x08a\x08\x08b") == "b"
    assert collapse_progress("ä€\x08😀x\x08") == "ä😀"


def python_steps(function, *args) -> int:
    """Lines of Python the call runs (deterministic, unlike a clock); C-level work such as
    numpy's vector operations or str.split is one step each, and is linear by itself."""
    steps = 0

    def trace(frame, event, arg):
        nonlocal steps
        if event == "line":
            steps += 1
        return trace

    sys.settrace(trace)
    try:
        function(*args)
    finally:
        sys.settrace(None)
    return steps


@pytest.mark.parametrize(
    "unit", ["x\x08", "ab\x08\x08\x08", "xyz\r\x08", "\x08\r", "x\n", "x" * 500 + "\x08" * 500, "p\r\n"]
)
def test_collapsing_work_does_not_grow_with_the_text_past_the_budget(unit):
    """1 MB of carriage returns, backspaces or short lines costs no more Python steps than
    100 KB: per line kept, never per character or backspace (the old pass was quadratic,
    68 s for 100 KB). Timing goes to benchmarks/output_processing.py."""
    small, big = unit * (100_000 // len(unit)), unit * (1_000_000 // len(unit))
    assert (
        python_steps(collapse_progress, big, 100_000, 1_000)
        <= python_steps(collapse_progress, small, 100_000, 1_000) + 100
    )
    assert python_steps(collapse_progress, big, 100_000, 1_000) < 30 * 1_000


def test_keras_style_progress_updates_keep_one_line_per_epoch():
    messages = [("stdout", "Epoch 1/2\n")]
    messages += [("stdout", f"\r{i}/1875 [===] - loss: 0.5") for i in range(1, 1876)] + [("stdout", "\n")]
    messages += [("stdout", "Epoch 2/2\n"), ("stdout", "\r1875/1875 [===] - loss: 0.3\n")]
    outs = feed(OutputBudget(limits()), messages)
    assert [o.text for o in outs] == [
        "Epoch 1/2\n1875/1875 [===] - loss: 0.5\nEpoch 2/2\n1875/1875 [===] - loss: 0.3\n"
    ]


def test_a_flood_is_cut_at_the_byte_and_line_limits_with_a_note():
    outs = feed(OutputBudget(limits(text_bytes=1_000)), [("stdout", "x" * 50_000_000)])
    assert len(outs[0].text) <= 1_000 and "[output limit]" in outs[-1].data["text/plain"]
    outs = feed(OutputBudget(limits(lines=10)), [("stdout", "line\n")] * 500)
    assert outs[0].text.count("\n") <= 10 and len(outs) == 2
    more = feed(OutputBudget(limits(lines=10)), [("stdout", "line\n")] * 500 + [("stdout", "late\n")])
    assert len(more) == 2, "nothing is kept after the limit"


def test_each_cell_has_its_own_budget():
    budget = OutputBudget(limits(text_bytes=10, lines=10))
    feed(budget, [("stdout", "x" * 100)], cell_index=1)
    assert feed(budget, [("stdout", "ok\n")], cell_index=2)[0].text == "ok\n"


def test_the_notebook_keeps_a_total_however_many_cells_are_just_under_their_limits():
    budget = OutputBudget(limits(notebook_bytes=1_000_000))
    kept = sum(len(feed(budget, [("stdout", "x" * 99_000)], cell_index=i)[0].text) for i in range(200))
    assert 900_000 < kept <= 1_000_000
    pictures = OutputBudget(limits(notebook_bytes=1_000_000))
    cells = [feed(pictures, [display("p" * 90_000)], cell_index=i) for i in range(200)]
    assert sum(len(str(c)) for c in cells) < 1_200_000
    assert "[output limit]" in str(cells[-1])


def test_many_small_outputs_keep_the_first_ones_and_a_note():
    budget = OutputBudget(limits(outputs=500))
    outs = feed(budget, [display(i) if i % 2 else ("stdout", f"{i}\n") for i in range(10_000)])
    assert len(outs) == 501 and "[output limit]" in outs[-1].data["text/plain"]
    assert outs[0].text == "0\n" and outs[1].data["text/plain"] == "1"


def test_the_output_that_decides_a_test_is_kept_after_the_budget_is_spent():
    error = new_output("error", ename="AssertionError", evalue="wrong " * 100_000, traceback=["frame"] * 1_000)
    outs = feed(OutputBudget(limits(text_bytes=100)), [("stdout", "x" * 1_000), error])
    assert [o.output_type for o in outs] == ["stream", "display_data", "error"]
    assert len(str(outs[1])) < 30_000, "kept small"
    stderr = feed(OutputBudget(limits(outputs=1)), [display(1), ("stderr", "warning\n")])
    assert any(o.output_type == "stream" and o.name == "stderr" for o in stderr)


def test_cleared_output_frees_the_cell_budget():
    budget = OutputBudget(limits(outputs=3))
    outs = []
    for i in range(100):
        outs[:] = []
        budget.cleared()
        outs.append(display(i))
        budget.fold(outs, 0)
    budget.finish_cell(outs)
    assert [o.data["text/plain"] for o in outs] == ["99"]


def test_output_messages_become_outputs_of_a_valid_shape_or_nothing():
    def message(kind, content):
        return {"msg_type": kind, "content": content}

    assert output_from_message(message("stream", {"name": "stdin", "text": 5})) == {
        "output_type": "stream",
        "name": "stdout",
        "text": "",
    }
    assert output_from_message(message("display_data", {"data": "not a bundle"})) is None
    assert output_from_message(message("status", {"execution_state": "idle"})) is None
    error = output_from_message(message("error", {"ename": "E", "evalue": None, "traceback": ["a", 1]}))
    assert error == {"output_type": "error", "ename": "E", "evalue": "", "traceback": ["a", ""]}
    result = output_from_message(message("execute_result", {"data": {"text/plain": "0.5"}, "execution_count": 3}))
    validate_nbnode(result, "output")  # nbformat's schema: raises if the shape is wrong
