"""Candidate pools shared by several question families (a family never imports another family).

* :class:`LinesRangeConfig` - the config base of a family asked per station: ``min_lines``/``max_lines``
  bound how many lines serve it;
* :func:`station_strata` - askable stations by how many lines serve them (Counting2, lines_at), and
  :func:`lines_range_strata` - the same as a family's ``strata(scene, config)`` for ``pooled_strata``;
* :func:`ride_length` - fewest stops between two stations on one service of a line (TorF1's difficulty,
  connecting_line's pool).

Example:
    >>> from mapkit.graph import toy_city
    >>> {k: len(v) for k, v in station_strata(toy_city(), "demo", 1, None).items()}
    {1: 10, 2: 2, 3: 0}
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mapkit.graph.model import MetroGraph
from mapkit.questions.base import cached, context
from mapkit.questions.family import FamilyConfig

__all__ = ["LinesRangeConfig", "lines_range_strata", "ride_length", "station_strata"]


@dataclass(frozen=True)
class LinesRangeConfig(FamilyConfig):
    """``min_lines``/``max_lines``: the range of lines serving an asked station (``max_lines=None``: no
    bound); a subclass adds its ``ASKER`` and ``templates``."""

    BOUNDS = (("min_lines", "max_lines", 1),)
    min_lines: int = 1
    max_lines: int | None = None


def station_strata(
    g: MetroGraph,
    family: str,
    min_lines: int,
    max_lines: int | None,
) -> dict[int, list[str]]:
    """Askable stations by how many lines serve them (1, 2, 3+), cached per graph and family."""
    ctx = context(g)

    def build() -> dict[int, list[str]]:
        strata: dict[int, list[str]] = {1: [], 2: [], 3: []}
        for sid in ctx.usable_list:
            lines = g.lines_at(sid)
            n = len(lines)
            if n < min_lines or (max_lines is not None and n > max_lines):
                continue
            if ctx.clean(sid, lines):
                strata[min(n, 3)].append(sid)
        return strata

    return cached(ctx, (family, "strata", min_lines, max_lines), build)


def lines_range_strata(family: str) -> Callable[[Any, LinesRangeConfig], dict[int, list[str]]]:
    """``strata(scene or graph, config)`` of a family asked per station within ``config``'s line range.

    >>> from types import SimpleNamespace
    >>> from mapkit.graph import toy_city
    >>> strata = lines_range_strata("demo")
    >>> {k: len(v) for k, v in strata(toy_city(), SimpleNamespace(min_lines=2, max_lines=None)).items()}
    {1: 0, 2: 2, 3: 0}
    """

    def strata(g: Any, config: LinesRangeConfig) -> dict[int, list[str]]:
        return station_strata(context(g).graph, family, config.min_lines, config.max_lines)

    return strata


def ride_length(g: MetroGraph, line: str, a: str, b: str) -> int | None:
    """Fewest stops strictly between ``a`` and ``b`` on one service of ``line`` (``None``: no service has both).

    >>> from mapkit.graph import toy_city
    >>> ride_length(toy_city(), "blue", "f", "g"), ride_length(toy_city(), "green", "k", "l")
    (1, None)
    """
    best = None
    for br in g.lines[line].branches:
        seq = br.stations
        if a in seq and b in seq:
            d = abs(seq.index(a) - seq.index(b))
            if br.loop:
                d = min(d, len(seq) - d)
            best = d - 1 if best is None else min(best, d - 1)
    return best
