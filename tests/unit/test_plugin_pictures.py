"""The assignments' feedback pictures survive any numbers a student's history holds."""

import math

import pytest

from coursetools.course import plugins
from coursetools.course.plugin_pictures import finite_curve
from coursetools.preprocessors.sanitize_outputs import picture

pytestmark = pytest.mark.unit

ODD = [float("nan"), float("inf"), -float("inf"), 1e308, -1e308, 0.5, "text", None]


def test_a_curve_keeps_finite_bounded_values_and_gaps_in_place():
    curve = finite_curve(ODD, bound=1e6)
    assert len(curve) == len(ODD) and curve[3] == 1e6 and curve[4] == -1e6 and curve[5] == 0.5
    assert all(math.isnan(v) for v in curve[:3] + curve[6:])
    assert finite_curve([]) == [] and finite_curve([float("nan")]) == [] and finite_curve("1,2") == []
    assert len(finite_curve([1.0] * 10_000)) == 500


def history(values):
    return {key: list(values) for key in ("loss", "val_loss", "accuracy", "val_accuracy")}


@pytest.mark.parametrize("values", [ODD, [float("nan")] * 3, [1e308, -1e308], [], [float("inf")]], ids=repr)
def test_ps2_pictures_draw_or_skip_odd_histories(values):
    drawn = plugins.pictures("ps2", {"history": history(values), "history_long": history(values)})
    assert all(picture("image/png", png) for _, png in drawn)
    assert len(drawn) == (2 if finite_curve(values) else 0)


@pytest.mark.parametrize("values", [ODD, [float("nan")] * 3, [1e308, -1e308], [], [float("inf")]], ids=repr)
def test_ps1_pictures_draw_or_skip_odd_histories_and_counts(values):
    confusion = [[v if isinstance(v, float) else 0.0 for v in (values + [0.0] * 10)[:10]] for _ in range(10)]
    drawn = plugins.pictures("ps1", {"history": history(values), "confusion": confusion})
    assert all(picture("image/png", png) for _, png in drawn)
    assert [alt for alt, _ in drawn] == ["Confusion matrix"] + (["Training curve"] if finite_curve(values) else [])
