"""A render-robustness set: one graph drawn in several styles, and items split by the style of their map.

A model that answers from the map should not care whether line 2 is drawn red or teal, 14 or 20 px
labels, rings or squares. :func:`render_styles` draws the same graph once per style into
``<out>/<slug>--<style>.png`` (+ manifest, whose ``settings.style.name`` records the style), and
:func:`split_by_style` groups item rows by the style of the map their ``figure`` points at, so an
evaluation can report accuracy per style side by side.

Styles are named ``default`` (:data:`~mapkit.render.style.DEFAULT_STYLE`) or ``seed-N`` (``N`` alone
also works: :func:`~mapkit.render.style.style_from_seed`).

Example:
    >>> import tempfile
    >>> from mapkit.graph import toy_city
    >>> [s.name for s in parse_styles("default, seed-3,7")]
    ['default', 'seed-3', 'seed-7']
    >>> res = render_styles(toy_city(), tempfile.mkdtemp(), parse_styles("default,seed-3"))
    >>> [r.png_path.name for r in res]
    ['toyville--default.png', 'toyville--seed-3.png']
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from mapkit.errors import ConfigError
from mapkit.graph.model import MetroGraph
from mapkit.names import slugify
from mapkit.render.style import DEFAULT_STYLE, RenderStyle, style_from_seed


def parse_styles(spec: str) -> list[RenderStyle]:
    """Styles from a comma-separated list of names (``default``, ``seed-N`` or ``N``), in order.

    >>> parse_styles("seed-x")
    Traceback (most recent call last):
    ...
    mapkit.errors.ConfigError: Unknown render style 'seed-x': use default, seed-N or N (an integer).
    """
    out: list[RenderStyle] = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        if part == "default":
            style = DEFAULT_STYLE
        else:
            num = part[len("seed-"):] if part.startswith("seed-") else part
            try:
                style = style_from_seed(int(num))
            except ValueError:
                raise ConfigError(f"Unknown render style {part!r}: use default, seed-N or N (an integer).") from None
        if style.name in {s.name for s in out}:
            raise ConfigError(f"Render style {style.name!r} is listed twice.")
        out.append(style)
    if not out:
        raise ConfigError("No render style given: list at least one, e.g. --styles default,seed-1,seed-2.")
    return out


def render_styles(
    graph: MetroGraph,
    out_dir: str | os.PathLike[str],
    styles: Sequence[RenderStyle],
    *,
    seed: int = 0,
    force: bool = False,
    svg: bool = False,
    width: int | None = None,
    height: int | None = None,
    coords: Mapping[str, tuple[float, float]] | None = None,
) -> list[Any]:
    """Render ``graph`` once per style as ``<slug>--<style name>`` in ``out_dir``; the results in order.

    Each render is :func:`~mapkit.render.render_city` with that style (and the same layout ``seed``),
    so one style failing the gate raises as it would alone.
    """
    from mapkit.render import render_city

    stem = slugify(graph.city)
    return [
        render_city(graph, out_dir, style=s.with_size(width, height), seed=seed, force=force, svg=svg,
                    name=f"{stem}--{s.name}", coords=coords)
        for s in styles
    ]


def style_of(manifest: dict[str, Any]) -> str:
    """The style name a render manifest records (``default`` for a manifest without one).

    >>> style_of({"settings": {"style": {"name": "seed-3"}}}), style_of({})
    ('seed-3', 'default')
    """
    return str(manifest.get("settings", {}).get("style", {}).get("name", "default"))


def split_by_style(
    rows: Iterable[dict[str, Any]], items_dir: str | os.PathLike[str]
) -> dict[str, list[dict[str, Any]]]:
    """Item rows grouped by the style of the map their ``figure`` points at (the manifest beside it).

    Rows whose figure has no render manifest (a real map) go under ``"real"``.
    """
    base = Path(items_dir)
    cache: dict[str, str] = {}
    out: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        fig = str(row.get("figure", ""))
        if fig not in cache:
            path = base / fig.removeprefix("./")
            manifest = path.with_suffix(".json")
            try:
                cache[fig] = style_of(json.loads(manifest.read_text(encoding="utf-8")))
            except (OSError, ValueError):
                cache[fig] = "real"
        out.setdefault(cache[fig], []).append(row)
    return out
