import pytest
from nbformat.v4 import new_output

from coursetools.output_limits import OutputBudget, collapse_progress

pytestmark = pytest.mark.unit


def feed(budget, messages, cell_index=0):
    outs = []
    for name, text in messages:
        outs.append(new_output("stream", name=name, text=text))
        budget.fold(outs, cell_index)
    return outs


def test_progress_bars_collapse_to_their_last_state():
    assert collapse_progress("1/3 [=..]\r2/3 [==.]\r3/3 [===]\nnext") == "3/3 [===]\nnext"
    assert collapse_progress("abc\x08\x08xy") == "axy"


def test_keras_style_progress_updates_keep_one_line_per_epoch():
    messages = [("stdout", "Epoch 1/2\n")]
    messages += [("stdout", f"\r{i}/1875 [===] - loss: 0.5") for i in range(1, 1876)] + [("stdout", "\n")]
    messages += [("stdout", "Epoch 2/2\n"), ("stdout", "\r1875/1875 [===] - loss: 0.3\n")]
    outs = feed(OutputBudget(100_000, 1_000), messages)
    assert [o.text for o in outs] == [
        "Epoch 1/2\n1875/1875 [===] - loss: 0.5\nEpoch 2/2\n1875/1875 [===] - loss: 0.3\n"
    ]


def test_a_flood_is_cut_at_the_byte_and_line_limits_with_a_note():
    outs = feed(OutputBudget(1_000, 1_000), [("stdout", "x" * 50_000_000)])
    assert len(outs[0].text) <= 1_000 and "[output limit]" in outs[-1].data["text/plain"]
    outs = feed(OutputBudget(100_000, 10), [("stdout", "line\n")] * 500)
    assert outs[0].text.count("\n") <= 10 and len(outs) == 2
    more = feed(OutputBudget(100_000, 10), [("stdout", "line\n")] * 500 + [("stderr", "late\n")])
    assert len(more) == 2, "nothing is kept after the limit"


def test_each_cell_has_its_own_budget():
    budget = OutputBudget(10, 10)
    feed(budget, [("stdout", "x" * 100)], cell_index=1)
    assert feed(budget, [("stdout", "ok\n")], cell_index=2)[0].text == "ok\n"
