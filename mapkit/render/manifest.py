"""The render manifest: where everything is on the image, as JSON beside it.

One ``<name>.json`` per ``<name>.png`` (schema: ``schemas/render-manifest.schema.json``).
Pixel coordinates, origin top-left, x right, y down; boxes are ``[x0, y0, x1, y1]``.
Question families that ask *where* something is (localisation) read it with
:func:`load_manifest` instead of re-rendering.

Example:
    >>> import tempfile, pathlib
    >>> from mapkit.graph import toy_city
    >>> from mapkit.render import render_city
    >>> res = render_city(toy_city(), pathlib.Path(tempfile.mkdtemp()))
    >>> m = load_manifest(res.manifest_path)
    >>> m["graph_hash"] == toy_city().content_hash, len(m["stations"]), m["image"]
    (True, 12, 'toyville.png')
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from mapkit import __version__
from mapkit.errors import DataFileError
from mapkit.graph.model import MetroGraph
from mapkit.io import load_document, write_json
from mapkit.render.gate import RenderFigures, unreadable_lines
from mapkit.render.geometry import Box, MapGeometry
from mapkit.render.labels import Label
from mapkit.render.style import RenderStyle
from mapkit.schemas import validate_document

MANIFEST_FORMAT = "mapkit.render-manifest/1"


def _r(v: float) -> float:
    # two decimals: sub-pixel enough, and stable text across platforms
    return round(float(v), 2)


def _box(b: Box) -> list[float]:
    return [_r(v) for v in b]


def build_manifest(
    graph: MetroGraph,
    geo: MapGeometry,
    labels: dict[str, Label],
    figures: RenderFigures,
    failures: list[str],
    *,
    image: str,
    style: RenderStyle,
    seed: int,
) -> dict[str, Any]:
    """The manifest document for one render (see the schema for every key).

    ``render_city`` is the usual way to get one (see the module example); this is the step
    that turns its geometry, labels and figures into JSON-ready data.
    """
    used_faces = []
    for lab in labels.values():
        if lab.face not in used_faces:
            used_faces.append(lab.face)
    primary = geo.fonts.primary
    stations = []
    for sid, st in graph.stations.items():
        m = geo.markers[sid]
        lab = labels[sid]
        stations.append({
            "id": sid,
            "name": st.name,
            "center": [_r(geo.centers[sid][0]), _r(geo.centers[sid][1])],
            "marker_bbox": _box(m.bbox),
            "marker": {"shape": m.shape, "fill": m.fill, "stroke": m.stroke},
            "label_bbox": _box(lab.bbox),
            "label_lines": [run for run, _ in lab.runs],
            "label_size": lab.size,
            "label_position": lab.position,
            "label_over_line": lab.over_line,
            "interchange": m.interchange,
            "lines": list(graph.lines_at(sid)),
        })
    unreadable = unreadable_lines(geo)
    tags: dict[str, list[dict[str, Any]]] = {}
    for t in geo.tags:
        tags.setdefault(t.line_id, []).append(
            {"text": t.text, "center": [_r(t.center[0]), _r(t.center[1])], "bbox": _box(t.bbox),
             "run": [list(e) for e in t.run]})
    arrows: dict[str, list[dict[str, Any]]] = {}
    for a in geo.arrows:
        arrows.setdefault(a.line_id, []).append(
            {"from": a.frm, "to": a.to, "center": [_r(a.center[0]), _r(a.center[1])], "bbox": _box(a.bbox),
             "points": [[_r(x), _r(y)] for x, y in a.points]})
    lines = [
        {
            "id": ln.id,
            "name": ln.name,
            "color": geo.colors[ln.id],
            "polylines": [[[_r(x), _r(y)] for x, y in poly] for poly in geo.services[ln.id]],
            "tags": tags.get(ln.id, []),
            # one chevron per edge the line runs one way only, pointing from -> to
            "arrows": arrows.get(ln.id, []),
            # False: a line a reader cannot tell from a neighbour (same colour, no tag on every run),
            # or a one-way line with an edge whose arrow is missing;
            # line questions are not asked about it (mapkit.render.gate.readable_lines)
            "readable": ln.id not in unreadable,
        }
        for ln in graph.lines.values()
    ]
    legend = None
    if geo.legend is not None:
        legend = {
            "bbox": _box(geo.legend.bbox),
            "title": geo.legend.title,
            "entries": [
                {"line_id": e.line_id, "name": e.name, "swatch_bbox": _box(e.swatch), "text_bbox": _box(e.text_bbox)}
                for e in geo.legend.entries
            ],
        }
    return {
        "format": MANIFEST_FORMAT,
        "image": image,
        "city": graph.city,
        "country": graph.country,
        "graph_hash": graph.content_hash,
        "width": geo.width,
        "height": geo.height,
        "settings": {
            "style": style.to_dict(),
            "style_seed": style.seed,
            "seed": seed,
            "layout": geo.layout_method,
            "scale": _r(geo.scale),
            "font": {"family": primary.family, "file": primary.file_name, "size": style.font_size},
            "fonts": [{"family": f.family, "file": f.file_name} for f in used_faces],
            "mapkit_version": __version__,
        },
        "stations": stations,
        "lines": lines,
        "legend": legend,
        "figures": figures.to_dict(),
        "gate": {"passed": not failures, "failures": list(failures)},
    }


def write_manifest(path: str | os.PathLike[str], manifest: dict[str, Any]) -> None:
    """Write ``manifest`` atomically.

    Rendering does not validate what it builds (the tests do, on every kind of city, with
    :func:`load_manifest`): the check costs more than drawing a small map.
    """
    write_json(path, manifest, indent=1)


def load_manifest(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a render manifest and check it against ``schemas/render-manifest.schema.json``.

    Raises :class:`~mapkit.errors.DataFileError` (or its subclass ``SchemaViolationError``)
    naming the file and the failing JSON path.
    """
    p = Path(path)
    doc = load_document(p)
    if not isinstance(doc, dict):
        raise DataFileError("a render manifest must be a JSON object.", path=p)
    validate_document(doc, "render-manifest", source=p)
    return doc
