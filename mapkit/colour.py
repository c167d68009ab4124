"""Colour maths shared by the renderer and the ``line_colour`` family: sRGB -> CIELAB (D65) and CIEDE2000.

A leaf module (imports nothing from mapkit), so ``mapkit.render`` and ``mapkit.questions`` both
import it at module level and measure colours the same way.

Example:
    >>> hex_rgb("#ff8000")
    (255, 128, 0)
    >>> round(delta_e("#e41a1c", "#377eb8"))
    49
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["delta_e", "delta_e_lab", "hex_rgb", "rgb_lab"]


def hex_rgb(code: str) -> tuple[int, int, int]:
    """``#rrggbb`` -> ``(r, g, b)``.

    >>> hex_rgb("#e41a1c")
    (228, 26, 28)
    """
    h = code.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def rgb_lab(rgb: Sequence[int]) -> tuple[float, float, float]:
    """CIELAB ``(L, a, b)`` of an sRGB colour (D65 white).

    >>> [round(v, 1) for v in rgb_lab((255, 0, 0))], round(rgb_lab((255, 255, 255))[0], 3)
    ([53.2, 80.1, 67.2], 100.0)
    """

    def linear(c: float) -> float:
        c /= 255.0
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047
    y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b
    z = (0.0193339 * r + 0.1191920 * g + 0.9503041 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > (6 / 29) ** 3 else t / (3 * (6 / 29) ** 2) + 4 / 29

    fx, fy, fz = f(x), f(y), f(z)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def delta_e(a: str | Sequence[int], b: str | Sequence[int]) -> float:
    """CIEDE2000 colour difference of two sRGB colours (``#rrggbb`` or ``(r, g, b)``): about 1 is just
    noticeable, 10 a clearly different shade, 30+ a different colour.

    CIEDE2000 rather than plain Euclidean CIELAB (CIE76): CIE76 overstates differences of saturated
    colours and puts a dusky violet such as #6b5b95 nearer "blue" than "purple".

    >>> round(delta_e("#e41a1c", "#e41a1c"), 6), round(delta_e("#e41a1c", "#377eb8"))
    (0.0, 49)
    """
    return delta_e_lab(
        rgb_lab(hex_rgb(a) if isinstance(a, str) else a), rgb_lab(hex_rgb(b) if isinstance(b, str) else b)
    )


def delta_e_lab(lab1: Sequence[float], lab2: Sequence[float]) -> float:
    """CIEDE2000 difference of two CIELAB colours (Sharma, Wu and Dalal's formulation).

    >>> round(delta_e_lab((50, 2.6772, -79.7751), (50, 0, -82.7485)), 4)  # their test pair 1
    2.0425
    >>> round(delta_e_lab((50, 2.5, 0), (73, 25, -18)), 4)  # their test pair 35
    27.1492
    """
    l1, a1, b1 = lab1
    l2, a2, b2 = lab2
    c_mean = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(c_mean**7 / (c_mean**7 + 25.0**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1p = math.degrees(math.atan2(b1, a1p)) % 360 if c1p else 0.0
    h2p = math.degrees(math.atan2(b2, a2p)) % 360 if c2p else 0.0
    dl, dc = l2 - l1, c2p - c1p
    dh = 0.0
    if c1p * c2p:
        dh = h2p - h1p
        dh = dh - 360 if dh > 180 else dh + 360 if dh < -180 else dh
    d_big_h = 2 * math.sqrt(c1p * c2p) * math.sin(math.radians(dh / 2))
    l_mean, cp_mean = (l1 + l2) / 2, (c1p + c2p) / 2
    if not c1p * c2p:
        h_mean = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        h_mean = (h1p + h2p) / 2
    else:
        h_mean = (h1p + h2p + 360) / 2 if h1p + h2p < 360 else (h1p + h2p - 360) / 2
    t = (
        1
        - 0.17 * math.cos(math.radians(h_mean - 30))
        + 0.24 * math.cos(math.radians(2 * h_mean))
        + 0.32 * math.cos(math.radians(3 * h_mean + 6))
        - 0.20 * math.cos(math.radians(4 * h_mean - 63))
    )
    d_theta = 30 * math.exp(-(((h_mean - 275) / 25) ** 2))
    r_c = 2 * math.sqrt(cp_mean**7 / (cp_mean**7 + 25.0**7))
    s_l = 1 + 0.015 * (l_mean - 50) ** 2 / math.sqrt(20 + (l_mean - 50) ** 2)
    s_c = 1 + 0.045 * cp_mean
    s_h = 1 + 0.015 * cp_mean * t
    r_t = -math.sin(math.radians(2 * d_theta)) * r_c
    return math.sqrt((dl / s_l) ** 2 + (dc / s_c) ** 2 + (d_big_h / s_h) ** 2 + r_t * (dc / s_c) * (d_big_h / s_h))
