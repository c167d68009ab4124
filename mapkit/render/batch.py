"""Render many cities at once, on every core: ``mapkit render --all-cities --workers N``.

Each city is drawn by :func:`mapkit.render.render_city` into ``out_dir/<country>/<city>.png`` (+ its
manifest), in a forked worker (:func:`mapkit.parallel.map_ordered`); a render is a pure function of
(graph, style, seed), so the files are the same bytes for every number of workers. A city that fails
to load or fails the legibility gate (without ``force``) is reported, not fatal for the others.

Example:
    >>> import tempfile
    >>> [r.city for r in render_cities(["demo", "synthetic:3"], tempfile.mkdtemp(), workers=1)]
    ['demo', 'synthetic:3']
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mapkit.errors import LegibilityError, MapkitError
from mapkit.parallel import map_ordered

__all__ = ["CityRender", "render_cities"]


@dataclass(frozen=True)
class CityRender:
    """One city's outcome: the PNG written (``None`` when nothing was), gate failures, or the error."""

    city: str
    png: Path | None
    failures: tuple[str, ...] = ()
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Written and legible."""
        return self.png is not None and not self.failures and self.error is None


_JOB: dict[str, Any] = {}


def _render_one(ref: str) -> CityRender:
    from mapkit.render import render_city, style_from_seed
    from mapkit.sources import load_city

    job = _JOB
    try:
        g = load_city(ref, data_dir=job["data_dir"])
        style = style_from_seed(job["style_seed"]).with_size(job["width"], job["height"])
        res = render_city(g, Path(job["out_dir"]) / g.country, style=style, seed=job["seed"], force=job["force"])
    except LegibilityError as e:
        return CityRender(ref, None, error=f"fails the legibility gate: {e.message}")
    except MapkitError as e:
        return CityRender(ref, None, error=e.message)
    return CityRender(ref, res.png_path, tuple(res.failures))


def render_cities(
    cities: Sequence[str],
    out_dir: str | os.PathLike[str],
    *,
    data_dir: str | os.PathLike[str] | None = None,
    seed: int = 0,
    style_seed: int | None = None,
    width: int | None = None,
    height: int | None = None,
    force: bool = False,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> list[CityRender]:
    """Draw each city into ``out_dir/<country>/<city>.png`` on ``workers`` processes; results in city order."""
    from mapkit.errors import ConfigError

    if workers < 1:
        raise ConfigError(f"`workers` must be 1 or more (got {workers}).")
    _JOB.update(data_dir=data_dir, seed=seed, style_seed=style_seed, width=width, height=height, force=force,
                out_dir=str(out_dir))
    out: list[CityRender] = []
    try:
        for r in map_ordered(_render_one, list(cities), workers=workers):
            out.append(r)
            if progress is not None:
                progress(len(out), len(cities))
    finally:
        _JOB.clear()
    return out
