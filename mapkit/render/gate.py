"""The legibility gate: measurable figures of a render, and the limits a usable map meets.

A map that a person cannot read is a bad question image: the answer may be right while the
picture hides it. :func:`measure` computes the figures from the final geometry and labels
(independently of how the labels were chosen), :func:`check` compares them with
:class:`GateLimits`; ``render_city`` raises :class:`~mapkit.errors.LegibilityError` on a
failing render unless forced.

Example:
    >>> f = RenderFigures(width=100, height=100, stations=2, lines=1, interchanges=0, min_label_height_px=6,
    ...                   label_overlaps=1, label_marker_overlaps=0, label_line_overlaps=0, legend_overlaps=0,
    ...                   stations_outside=0, labels_outside=0, min_station_distance_px=20.0, edge_crossings=0)
    >>> check(f)
    ['smallest label is 6 px high (minimum 10)', '1 pair of labels overlap (maximum 0)']
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import numpy as np
import shapely
from shapely import STRtree

from mapkit.render.geometry import Box, MapGeometry
from mapkit.render.labels import Label


@dataclass(frozen=True)
class GateLimits:
    """What a legible render must meet (defaults: the house standard for question images)."""

    min_label_height_px: int = 10
    max_label_overlaps: int = 0
    max_label_marker_overlaps: int = 0
    max_label_line_overlaps: int = 0
    max_legend_overlaps: int = 0
    max_outside: int = 0


@dataclass(frozen=True)
class RenderFigures:
    """Measured facts of one render (all counts are over the final drawn image)."""

    width: int
    height: int
    stations: int
    lines: int
    interchanges: int
    min_label_height_px: int
    label_overlaps: int
    label_marker_overlaps: int
    label_line_overlaps: int
    legend_overlaps: int
    stations_outside: int
    labels_outside: int
    min_station_distance_px: float
    edge_crossings: int

    def to_dict(self) -> dict[str, int | float]:
        """The figures as a flat JSON-ready dict (the manifest's ``figures``)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, int | float]) -> RenderFigures:
        """Rebuild from :meth:`to_dict` output (unknown keys are ignored: newer manifests)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})  # type: ignore[arg-type]


def check(figures: RenderFigures, limits: GateLimits | None = None) -> list[str]:
    """Every way ``figures`` break ``limits``, as readable sentences (empty: the render passes)."""
    lim = limits or GateLimits()
    out = []
    if figures.min_label_height_px < lim.min_label_height_px:
        out.append(f"smallest label is {figures.min_label_height_px} px high (minimum {lim.min_label_height_px})")
    for count, most, what in (
        (figures.label_overlaps, lim.max_label_overlaps, "pair{s} of labels overlap"),
        (figures.label_marker_overlaps, lim.max_label_marker_overlaps, "label{s} cover{v} another station's marker"),
        (figures.label_line_overlaps, lim.max_label_line_overlaps, "label{s} cover{v} a line not at {its} station"),
        (figures.legend_overlaps, lim.max_legend_overlaps, "label{s} or station{s} overlap{v} the legend"),
        (figures.stations_outside, lim.max_outside, "station{s} {is} outside the image"),
        (figures.labels_outside, lim.max_outside, "label{s} {is} outside the image"),
    ):
        if count > most:
            one = count == 1
            text = what.format(s="" if one else "s", v="s" if one else "", its="its" if one else "their",
                               **{"is": "is" if one else "are"})
            out.append(f"{count} {text} (maximum {most})")
    return out


def measure(geo: MapGeometry, labels: dict[str, Label]) -> RenderFigures:
    """The figures of a render, computed from what is drawn.

    Example:
        >>> from mapkit.graph import toy_city
        >>> from mapkit.render.layout import layout_city
        >>> from mapkit.render.style import DEFAULT_STYLE
        >>> from mapkit.render.fonts import font_chain
        >>> from mapkit.render.geometry import build_geometry
        >>> from mapkit.render.labels import place_labels
        >>> g = toy_city()
        >>> fonts = font_chain([s.name for s in g.stations.values()] + ["toyville", "Red Line"])
        >>> geo = build_geometry(g, layout_city(g), DEFAULT_STYLE, fonts)
        >>> f = measure(geo, place_labels(g, geo, DEFAULT_STYLE, fonts))
        >>> f.stations, f.interchanges, f.label_overlaps
        (12, 2, 0)
    """
    ids = list(geo.markers)
    index = {sid: i for i, sid in enumerate(ids)}
    lab_ids = [sid for sid in ids if sid in labels]
    L = np.array([labels[s].bbox for s in lab_ids], dtype=float).reshape(-1, 4)
    owner = np.array([index[s] for s in lab_ids], dtype=int)
    eps = 0.01
    lab_geoms = shapely.box(L[:, 0] + eps, L[:, 1] + eps, L[:, 2] - eps, L[:, 3] - eps)

    a, b = STRtree(lab_geoms).query(lab_geoms, predicate="intersects") if len(L) else (np.array([]),) * 2
    label_overlaps = int((a < b).sum())

    M = np.array([geo.markers[s].bbox for s in ids], dtype=float)
    mk = shapely.box(*M.T)
    if len(L):
        li, mi = STRtree(mk).query(lab_geoms, predicate="intersects")
        label_marker = int(len(set(li[mi != owner[li]].tolist())))
    else:
        label_marker = 0

    label_line = 0
    if geo.segments and len(L):
        grow = geo.line_width / 2
        grown = shapely.box(L[:, 0] - grow, L[:, 1] - grow, L[:, 2] + grow, L[:, 3] + grow)
        segs = shapely.linestrings([[s.a, s.b] for s in geo.segments])
        su = np.array([index[s.u] for s in geo.segments])
        sv = np.array([index[s.v] for s in geo.segments])
        li, gi = STRtree(segs).query(grown, predicate="intersects")
        foreign = (su[gi] != owner[li]) & (sv[gi] != owner[li])
        label_line = len(set(li[foreign].tolist()))

    legend_overlaps = 0
    if geo.legend is not None:
        lg = shapely.box(*geo.legend.bbox)
        legend_overlaps = int(shapely.intersects(lab_geoms, lg).sum()) + int(shapely.intersects(mk, lg).sum())

    def outside(bx: Box) -> bool:
        return bx[0] < 0 or bx[1] < 0 or bx[2] > geo.width or bx[3] > geo.height

    C = np.array([geo.centers[s] for s in ids], dtype=float)
    if len(C) > 1:
        diff = C[:, None, :] - C[None, :, :]
        dist = np.sqrt((diff**2).sum(axis=2))
        np.fill_diagonal(dist, math.inf)
        min_dist = float(round(dist.min(), 2))
    else:
        min_dist = 0.0
    return RenderFigures(
        width=geo.width,
        height=geo.height,
        stations=len(ids),
        lines=len(geo.services),
        interchanges=sum(m.interchange for m in geo.markers.values()),
        min_label_height_px=min((lab.text_height for lab in labels.values()), default=0),
        label_overlaps=label_overlaps,
        label_marker_overlaps=label_marker,
        label_line_overlaps=label_line,
        legend_overlaps=legend_overlaps,
        stations_outside=sum(outside(geo.markers[s].bbox) for s in ids),
        labels_outside=sum(outside(lab.bbox) for lab in labels.values()),
        min_station_distance_px=min_dist,
        edge_crossings=_crossings(geo),
    )


def _crossings(geo: MapGeometry) -> int:
    """Pairs of station-to-station edges (no shared station) whose straight segments cross."""
    edges = sorted({(min(s.u, s.v), max(s.u, s.v)) for s in geo.segments})
    if len(edges) < 2:
        return 0
    segs = shapely.linestrings([[geo.centers[u], geo.centers[v]] for u, v in edges])
    a, b = STRtree(segs).query(segs, predicate="crosses")
    n = 0
    for i, j in zip(a.tolist(), b.tolist()):
        if i < j and not set(edges[i]) & set(edges[j]):
            n += 1
    return n
