"""Helpers for the pictures an assignment's plugin draws for the feedback (course_plugin.py's
`pictures`): curves made safe to draw from the student's numbers, and a figure as base64 PNG."""

import base64
import io
import math
from contextlib import contextmanager

# Fonts with the characters of a language, first found first (Debian's packages, installed by
# `./course setup`: APT_PACKAGES in the `course` script); English keeps matplotlib's own.
FONTS = {"zh-CN": ["Noto Sans CJK SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei"]}
# Their files, for a matplotlib whose font cache was written before they were installed.
FONT_FILES = {"zh-CN": ("NotoSansCJK-Regular", "NotoSansCJK-Bold", "wqy-microhei", "wqy-zenhei")}


def _known(families) -> bool:
    from matplotlib import font_manager

    return bool(set(families) & {font.name for font in font_manager.fontManager.ttflist})


def _add_system_fonts(language: str) -> None:
    """Register the language's installed font files when matplotlib's cache does not list them."""
    from matplotlib import font_manager

    if _known(FONTS[language]):
        return
    for path in font_manager.findSystemFonts():
        if any(name in path for name in FONT_FILES.get(language, ())):
            font_manager.fontManager.addfont(path)


@contextmanager
def fonts_for(language: str):
    """matplotlib draws the pictures made inside with a font for `language`."""
    from matplotlib import pyplot as plt

    families = FONTS.get(language)
    if not families:
        yield
        return
    _add_system_fonts(language)
    with plt.rc_context(
        {"font.family": "sans-serif", "font.sans-serif": [*families, *plt.rcParams["font.sans-serif"]]}
    ):
        yield


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
