"""Rendered maps for the visual question families: what an item's ``figure`` shows, read from its manifest.

The visual families (``localise``, ``line_colour``, ``station_at_point``) ask about pixels, so their truth
is the render manifest (``schemas/render-manifest.schema.json``) written beside the PNG by
:func:`mapkit.render.render_city`, not the graph alone. A :class:`MapRender` is one loaded render as
items refer to it: the figure and manifest paths *relative to the items file's folder* (``./maps/...``),
the manifest itself, and the sha256 of both files, which every visual item stores in ``gold.map`` so
that ``mapkit validate`` notices a map that changed after the items were written.

How a family reaches it: through the :class:`~mapkit.questions.base.Scene` it is given
(``generate(scene, seed, index, config)``, ``derive(item, scene)``):

* generation (:mod:`mapkit.generate` with ``render=True``) renders each city once and passes
  ``context(g).with_render(r)``: every item of the city then points its ``figure`` at it, and the
  visual families read it with :func:`current_render` (no render: capacity 0, no items);
* validation (:mod:`mapkit.validate`) loads the manifest beside each visual row's figure and passes
  ``context(g).with_renders(...)``; the family's ``derive`` finds it with :func:`item_render`.

Scoring never needs the manifest: the gold holds the box, the point, the colour.

Example:
    >>> import tempfile, pathlib
    >>> from mapkit.graph import toy_city
    >>> from mapkit.render import render_city
    >>> items_dir = pathlib.Path(tempfile.mkdtemp())
    >>> g = toy_city()
    >>> res = render_city(g, items_dir / "maps" / g.country, name=g.city)
    >>> r = load_render(res.png_path, items_dir)
    >>> r.figure, r.manifest_ref, r.graph_hash == g.content_hash
    ('./maps/nowhere/toyville.png', './maps/nowhere/toyville.json', True)
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from mapkit.errors import ConfigError, DataFileError, ItemError
from mapkit.graph.model import MetroGraph
from mapkit.io import file_sha256, load_document  # re-exported: ``"sha256:<hex>"`` of a file, as gold.map stores it
from mapkit.questions.base import Scene, context

__all__ = [
    "MapRender",
    "crowding",
    "current_render",
    "file_sha256",
    "item_render",
    "load_render",
    "manifest_ref_of",
    "relative_ref",
]

CROWDING_RADIUS = 2.0
"""Crowding counts the other stations within this many times the map's median nearest-station distance."""


def manifest_ref_of(figure: str) -> str:
    """The manifest beside a figure: the same path with ``.json`` for ``.png``.

    >>> manifest_ref_of("./maps/china/beijing.png")
    './maps/china/beijing.json'
    """
    return figure[: -len(".png")] + ".json" if figure.endswith(".png") else figure + ".json"


def relative_ref(path: str | os.PathLike[str], items_dir: str | os.PathLike[str]) -> str:
    """``path`` relative to ``items_dir`` as a row writes it (``./`` + POSIX path).

    Rows travel with their maps, so a map outside the items file's folder cannot be referred to.

    >>> relative_ref("/data/out/maps/x/y.png", "/data/out")
    './maps/x/y.png'
    """
    p, base = Path(path).resolve(), Path(items_dir).resolve()
    try:
        rel = p.relative_to(base)
    except ValueError:
        raise ConfigError(
            f"{p} is not inside {base}: an item's figure is a path relative to the items file's folder.",
            hint="Render into the items file's maps/ folder (the default), or a folder inside it.",
        ) from None
    return "./" + rel.as_posix()


def resolve_ref(ref: str, items_dir: str | os.PathLike[str]) -> Path:
    """The file a row's ``./...`` reference names, refusing absolute paths and ``..`` (rows are untrusted).

    >>> resolve_ref("./maps/x/y.json", "/data/out").as_posix()
    '/data/out/maps/x/y.json'
    """
    parts = PurePosixPath(ref).parts
    if not ref.startswith("./") or ".." in parts or "\\" in ref:
        raise ItemError(f"{ref!r} is not a ./ path inside the items file's folder.")
    return Path(items_dir).joinpath(*parts)


@dataclass(eq=False)
class MapRender:
    """One rendered map as items refer to it (see the module docstring).

    ``figure``/``manifest_ref``: ``./``-paths relative to the items file's folder; ``manifest``: the
    schema-checked manifest; ``manifest_sha256``/``image_sha256``: ``sha256:`` of the two files;
    ``stations``/``lines``: the manifest's entries by id.
    """

    figure: str
    manifest_ref: str
    manifest: dict[str, Any]
    manifest_sha256: str
    image_sha256: str
    stations: dict[str, dict[str, Any]] = field(default_factory=dict)
    lines: dict[str, dict[str, Any]] = field(default_factory=dict)
    caches: dict[Any, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not self.stations:
            self.stations = {s["id"]: s for s in self.manifest["stations"]}
        if not self.lines:
            self.lines = {ln["id"]: ln for ln in self.manifest["lines"]}

    @property
    def width(self) -> int:
        return int(self.manifest["width"])

    @property
    def height(self) -> int:
        return int(self.manifest["height"])

    @property
    def graph_hash(self) -> str:
        return str(self.manifest["graph_hash"])

    def gold(self) -> dict[str, Any]:
        """What every visual item stores in ``gold.map``: the manifest it was asked from, pinned."""
        return {
            "manifest": self.manifest_ref,
            "manifest_sha256": self.manifest_sha256,
            "image_sha256": self.image_sha256,
            "image_size": [self.width, self.height],
        }


def load_render(
    png_path: str | os.PathLike[str], items_dir: str | os.PathLike[str], *, check_schema: bool = True
) -> MapRender:
    """Read the render at ``png_path`` (and its manifest beside it) for items written in ``items_dir``.

    Raises :class:`~mapkit.errors.DataFileError` for a missing or invalid manifest or image, and
    :class:`~mapkit.errors.ConfigError` when the PNG is not inside ``items_dir``. ``check_schema=False``:
    the manifest was just written by :func:`mapkit.render.render_city` in this process (generation), so
    its schema check (longer than the rest of a city's setup) is skipped.
    """
    from mapkit.render import load_manifest  # the renderer (pillow, shapely) loads only when maps are used

    png = Path(png_path)
    manifest_path = png.with_suffix(".json")
    figure = relative_ref(png, items_dir)
    manifest = load_manifest(manifest_path) if check_schema else load_document(manifest_path)
    if manifest["image"] != png.name:
        raise DataFileError(f"the manifest describes {manifest['image']!r}, not {png.name!r}.", path=manifest_path)
    if not png.is_file():
        raise DataFileError("the map image is missing.", path=png)
    return MapRender(
        figure=figure,
        manifest_ref=manifest_ref_of(figure),
        manifest=manifest,
        manifest_sha256=file_sha256(manifest_path),
        image_sha256=file_sha256(png),
    )


def current_render(g: MetroGraph | Scene) -> MapRender | None:
    """The render new items of ``g`` are asked about, or ``None`` (the visual families then ask nothing).

    >>> from mapkit.graph import toy_city
    >>> current_render(toy_city()) is None
    True
    """
    return context(g).render


def item_render(item: dict[str, Any], g: MetroGraph | Scene) -> MapRender:
    """The render a visual item was asked from: the manifest beside its ``figure``, among the scene's.

    Raises :class:`~mapkit.errors.ItemError` when the scene lacks it (``mapkit validate`` loads it).

    >>> from mapkit.graph import toy_city
    >>> r = MapRender("./maps/a.png", "./maps/a.json", {"stations": [], "lines": []}, "", "")
    >>> scene = context(toy_city()).with_renders({r.manifest_ref: r})
    >>> item_render({"id": "x", "figure": "./maps/a.png"}, scene) is r
    True
    """
    ref = manifest_ref_of(str(item.get("figure", "")))
    hit = context(g).renders.get(ref)
    if hit is None:
        raise ItemError(
            f"{item.get('id')}: the map manifest {ref} is not loaded; visual items are re-derived by "
            "`mapkit validate`, which reads it beside the figure."
        )
    return hit


CROWDING_LEVELS = (3, 5)
"""Crowding (other stations nearby) up to 3: easy; 4-5: medium; more: hard (a station mid-line on a
schematic map has two or three neighbours that close; 6+ is a dense interchange area)."""


def crowding(render: MapRender, station_id: str) -> int:
    """Other stations whose centre is within :data:`CROWDING_RADIUS` x the map's median nearest-station
    distance of ``station_id``'s centre: how busy the spot is (the visual families' difficulty).

    >>> r = MapRender("./m.png", "./m.json", {"stations": [
    ...     {"id": i, "center": [x, 0.0]} for i, x in (("a", 0.0), ("b", 10.0), ("c", 20.0), ("d", 100.0))],
    ...     "lines": []}, "", "")
    >>> crowding(r, "a"), crowding(r, "b"), crowding(r, "d")
    (2, 2, 0)
    """
    table = render.caches.get("crowding")
    if table is None:
        table = render.caches["crowding"] = _crowding_table(render)
    return table.get(station_id, 0)


def _crowding_table(render: MapRender) -> dict[str, int]:
    import numpy as np

    ids = list(render.stations)
    if len(ids) < 2:
        return dict.fromkeys(ids, 0)
    pts = np.array([render.stations[s]["center"] for s in ids], dtype=float)
    d = np.sqrt(((pts[:, None, :] - pts[None, :, :]) ** 2).sum(-1))
    np.fill_diagonal(d, math.inf)
    radius = CROWDING_RADIUS * float(np.median(d.min(axis=1)))
    counts = (d <= radius).sum(axis=1)
    return {s: int(c) for s, c in zip(ids, counts)}
