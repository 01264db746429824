"""Helpers for the pictures an assignment's plugin draws for the feedback (course_plugin.py's
`pictures`): curves made safe to draw from the student's numbers, and a figure as base64 PNG."""

import base64
import io
import math


def finite_curve(values, max_points: int = 500, bound: float = 1e6) -> list[float]:
    """A curve's values fit to draw: plain floats, at most `max_points`, each clipped to
    +-`bound`; values that are not finite numbers become gaps (NaN), so the epochs stay in place.
    Histories come from the student's objects: NaN, inf or 1e308 must not break a picture."""
    if not isinstance(values, (list, tuple)):
        return []
    curve = []
    for value in values[:max_points]:
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):
            number = math.nan
        curve.append(min(max(number, -bound), bound) if math.isfinite(number) else math.nan)
    return curve if any(math.isfinite(v) for v in curve) else []


def figure_png(fig) -> str:
    from matplotlib import pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80)
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()
