"""Schematic map images with a manifest of where everything is, behind a legibility gate.

:func:`render_city` draws a :class:`~mapkit.graph.model.MetroGraph` as a PNG (and
optionally an SVG) beside a JSON manifest (``schemas/render-manifest.schema.json``):

1. layout (:mod:`~mapkit.render.layout`): station coordinates when the city has them, else a
   schematic, octilinear layout computed from the topology;
2. geometry (:mod:`~mapkit.render.geometry`): fitted to the canvas, lines sharing track as
   parallel strands, markers (interchanges distinct), legend;
3. labels (:mod:`~mapkit.render.labels`): collision-free placement measured with real font
   metrics, any script (:mod:`~mapkit.render.fonts` finds a font that can draw each name);
4. gate (:mod:`~mapkit.render.gate`): label size, overlaps, everything inside the image;
5. drawing (:mod:`~mapkit.render.draw`) and the manifest (:mod:`~mapkit.render.manifest`).

Styles (:mod:`~mapkit.render.style`) vary palette, sizes and markers from a seed.

Example:
    >>> import tempfile, pathlib
    >>> from mapkit.graph import toy_city
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> res = render_city(toy_city(), out, style=style_from_seed(2))
    >>> res.png_path.name, res.manifest_path.name, res.figures.label_overlaps
    ('toyville.png', 'toyville.json', 0)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from mapkit.errors import LegibilityError, RenderError
from mapkit.graph.model import MetroGraph
from mapkit.io import write_bytes_atomic, write_text_atomic
from mapkit.names import slugify
from mapkit.render.draw import draw_png, draw_svg, png_bytes
from mapkit.render.fonts import font_chain
from mapkit.render.gate import GateLimits, RenderFigures, check, measure
from mapkit.render.geometry import build_geometry
from mapkit.render.labels import SMALL_FACTOR, place_labels, text_height
from mapkit.render.layout import Layout, layout_city, station_coords
from mapkit.render.manifest import MANIFEST_FORMAT, build_manifest, load_manifest, write_manifest
from mapkit.render.style import DEFAULT_STYLE, RenderStyle, style_from_seed

__all__ = [
    "DEFAULT_STYLE",
    "GateLimits",
    "Layout",
    "MANIFEST_FORMAT",
    "RenderFigures",
    "RenderResult",
    "RenderStyle",
    "layout_city",
    "load_manifest",
    "render_city",
    "style_from_seed",
]


AUTO_GROW_ATTEMPTS = 6
"""How many times an auto-sized canvas is enlarged when its labels do not fit."""

AUTO_GROW_FACTOR = 1.15
"""Station spacing growth per attempt."""

AUTO_RESEED_ATTEMPTS = 3
"""How many further layout seeds an auto-sized, coordinate-free render tries when growing fails."""


def _font_sizes(style: RenderStyle, fonts, limits: GateLimits | None) -> list[int]:  # noqa: ANN001
    """The style's font size and, when the gate allows its text height, 82% of it: a fixed canvas too
    small for its labels draws *every* label smaller rather than mixing sizes."""
    small = round(style.font_size * SMALL_FACTOR)
    need = (limits or GateLimits()).min_label_height_px
    if small < style.font_size and min(text_height(f, small) for f in fonts.faces) >= need:
        return [style.font_size, small]
    return [style.font_size]


@dataclass(frozen=True)
class RenderResult:
    """What :func:`render_city` wrote, and the legibility figures of the image."""

    png_path: Path
    manifest_path: Path
    figures: RenderFigures
    failures: tuple[str, ...] = ()
    svg_path: Path | None = None

    @property
    def passed(self) -> bool:
        """True when the render met the legibility gate (a forced render may not have)."""
        return not self.failures


def render_city(
    graph: MetroGraph,
    out_dir: str | os.PathLike[str],
    *,
    style: RenderStyle | None = None,
    seed: int = 0,
    force: bool = False,
    name: str | None = None,
    svg: bool = False,
    limits: GateLimits | None = None,
    coords: Mapping[str, tuple[float, float]] | None = None,
) -> RenderResult:
    """Draw ``graph`` to ``out_dir/<name>.png`` with its manifest ``out_dir/<name>.json``.

    ``seed`` drives the schematic layout; ``style`` every visual choice (default
    :data:`DEFAULT_STYLE`; :func:`style_from_seed` gives variations). ``name`` defaults to
    the city's slug. ``coords`` places stations from outside the graph (``[x east, y south]``, e.g. a
    reviewed positions overlay; see :func:`~mapkit.render.layout.layout_city`). A render that fails
    the legibility gate raises :class:`~mapkit.errors.LegibilityError` (with ``.figures``) and
    writes nothing, unless ``force`` is true. Same graph, seed and style give byte-identical files.

    Example:
        >>> import tempfile
        >>> from mapkit.graph import toy_city
        >>> tiny = DEFAULT_STYLE.with_size(120, 90)
        >>> try:
        ...     render_city(toy_city(), tempfile.mkdtemp(), style=tiny)
        ... except LegibilityError as err:
        ...     err.figures.label_overlaps > 0
        True
    """
    style = style or DEFAULT_STYLE
    out = Path(out_dir)
    stem = name or slugify(graph.city)
    texts = [s.name for s in graph.stations.values()] + [ln.name for ln in graph.lines.values()] + [graph.city]
    fonts = font_chain(texts, prefer=style.font)
    auto_size = style.width is None and style.height is None
    # a computed (coordinate-free) layout is one of many: when growing the canvas is not enough,
    # the next layout seeds are tried in order, so the outcome stays deterministic
    fixed_layout = len(station_coords(graph, coords)) == len(graph.stations)
    reseeds = AUTO_RESEED_ATTEMPTS if auto_size and not fixed_layout else 0
    for layout_seed in range(seed, seed + reseeds + 1):
        layout = layout_city(graph, seed=layout_seed, mode=style.layout, octilinear=style.octilinear, coords=coords)
        spacing = style.station_spacing
        font_sizes = [style.font_size] if auto_size else _font_sizes(style, fonts, limits)
        for attempt in range(AUTO_GROW_ATTEMPTS + 1 if auto_size else len(font_sizes)):
            used = replace(style, station_spacing=spacing, font_size=font_sizes[min(attempt, len(font_sizes) - 1)])
            geo = build_geometry(graph, layout, used, fonts)
            labels = place_labels(graph, geo, used, fonts, min_size=(limits or GateLimits()).min_label_height_px)
            figures = measure(geo, labels, limits)
            failures = check(figures, limits)
            # A canvas sized from the city may grow until every label finds a free spot; a size
            # the caller fixed is kept, and every label of it may shrink at once (one size per map)
            if not failures:
                break
            if auto_size and attempt < AUTO_GROW_ATTEMPTS:
                # many labels without a place: two steps at once (each attempt costs a full placement)
                bad = (figures.label_overlaps + figures.label_marker_overlaps + figures.label_line_overlaps
                       + figures.labels_nearer_other + figures.label_tag_overlaps + figures.tag_overlaps)
                steps = 2 if bad > max(2, len(graph.stations) // 100) else 1
                spacing = round(spacing * AUTO_GROW_FACTOR**steps)
        if not failures:
            break
    if failures and not force:
        err = LegibilityError(
            f"{graph.city}: the {figures.width}x{figures.height} render fails the legibility gate: "
            + "; ".join(failures) + ".",
            hint="Leave --width/--height out (the canvas then grows with the city), use a larger canvas "
            "or a smaller font, or pass --force to keep it anyway.",
        )
        err.figures = figures  # type: ignore[attr-defined]
        err.failures = failures  # type: ignore[attr-defined]
        raise err
    img = draw_png(geo, labels, used)
    png_path = out / f"{stem}.png"
    manifest_path = out / f"{stem}.json"
    manifest = build_manifest(
        graph, geo, labels, figures, failures, image=png_path.name, style=used, seed=layout_seed
    )
    svg_path = out / f"{stem}.svg" if svg else None
    try:
        write_bytes_atomic(png_path, png_bytes(img))
        if svg_path is not None:
            write_text_atomic(svg_path, draw_svg(geo, labels, used))
        write_manifest(manifest_path, manifest)
    except OSError as e:
        where = e.filename or out
        raise RenderError(f"cannot write {where}: {e.strerror or e}.",
                          hint=f"--out must name a folder that can be created or written to ({out}).") from e
    return RenderResult(png_path, manifest_path, figures, tuple(failures), svg_path)
