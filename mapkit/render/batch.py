"""Render many cities at once, on every core or a Ray cluster: ``mapkit render --all-cities --workers N``,
``mapkit render --synthetic 500 --engine ray``.

Each city is drawn by :func:`mapkit.render.render_city` into ``out_dir/<country>/<city>.png`` (+ its
manifest), in a forked worker (:func:`mapkit.parallel.map_ordered`) or a Ray task
(:func:`mapkit.ray_engine.map_ray`); a render is a pure function of (graph, style, seed), so the files
are the same bytes for every number of workers and either engine. A city that fails to load or fails
the legibility gate (without ``force``) is reported, not fatal for the others.

Example:
    >>> import tempfile
    >>> [r.city for r in render_cities(["demo", "synthetic:3"], tempfile.mkdtemp(), workers=1)]
    ['demo', 'synthetic:3']
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
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


def _render_one(ref: str, job: dict[str, Any] | None = None) -> CityRender:
    from mapkit.render import render_city, style_from_seed
    from mapkit.sources import load_city

    job = _JOB if job is None else job  # a forked worker inherits _JOB; a Ray task is handed it
    try:
        g = load_city(ref, data_dir=job["data_dir"])
        style = style_from_seed(job["style_seed"]).with_size(job["width"], job["height"])
        res = render_city(g, Path(job["out_dir"]) / g.country, style=style, seed=job["seed"], force=job["force"])
    except LegibilityError as e:
        return CityRender(ref, None, error=f"fails the legibility gate: {e.message}")
    except MapkitError as e:
        return CityRender(ref, None, error=e.message)
    return CityRender(ref, res.png_path, tuple(res.failures))


def _render_task(task: tuple[str, dict[str, Any]]) -> CityRender:
    return _render_one(*task)


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
    engine: str = "local",
    ray_address: str | None = None,
) -> list[CityRender]:
    """Draw each city into ``out_dir/<country>/<city>.png`` on ``workers`` processes; results in city order.

    ``engine="ray"``: each city is a Ray task (:func:`mapkit.ray_engine.map_ray`; ``ray_address`` joins a
    cluster, default a local Ray for the call) that writes its files itself: on a cluster ``out_dir``
    and ``data_dir`` must be paths every node sees. The files are the same bytes as a local run's.
    """
    from mapkit.errors import ConfigError

    if workers < 1:
        raise ConfigError(f"`workers` must be 1 or more (got {workers}).")
    if engine not in ("local", "ray"):
        raise ConfigError(f"`engine` must be local or ray (got {engine!r}).")
    if ray_address is not None and engine != "ray":
        raise ConfigError("`ray_address` needs `engine` ray.")
    _JOB.update(data_dir=data_dir, seed=seed, style_seed=style_seed, width=width, height=height, force=force,
                out_dir=str(out_dir))
    if engine == "ray":
        from mapkit.ray_engine import map_ray

        # a Ray worker's working folder is not the caller's: it gets absolute paths
        job = {**_JOB, "out_dir": os.path.abspath(out_dir), "data_dir": data_dir and os.path.abspath(data_dir)}
        results = map_ray(_render_task, [(c, job) for c in cities], address=ray_address)
    else:
        results = map_ordered(_render_one, list(cities), workers=workers)
    out: list[CityRender] = []
    try:
        for r in results:
            if engine == "ray" and r.png is not None:  # the caller's spelling of the path, as a local run gives
                r = replace(r, png=Path(out_dir) / Path(r.png).relative_to(os.path.abspath(out_dir)))
            out.append(r)
            if progress is not None:
                progress(len(out), len(cities))
    finally:
        _JOB.clear()
    return out
