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
    >>> check(RenderFigures(**{**f.to_dict(), "label_overlaps": 0, "min_label_height_px": 12,
    ...                        "labels_nearer_other": 1, "indistinct_line_pairs": 2}))[0]
    "1 label is nearer another station's marker than its own (maximum 0)"
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import numpy as np
import shapely
from shapely import STRtree

from mapkit.render.geometry import Box, MapGeometry
from mapkit.render.labels import HEAVY_HALO, MAX_GAP_EM, Label, marker_gaps
from mapkit.render.tags import LINE_DELTA_E, LINE_NEAR_PX, confusable_pairs


@dataclass(frozen=True)
class GateLimits:
    """What a legible render must meet (defaults: the house standard for question images)."""

    min_label_height_px: int = 10
    max_label_overlaps: int = 0
    max_label_marker_overlaps: int = 0
    max_label_line_overlaps: int = 0
    max_legend_overlaps: int = 0
    max_outside: int = 0
    max_label_gap_em: float = MAX_GAP_EM
    max_label_sizes: int = 1
    min_line_delta_e: float = LINE_DELTA_E
    line_near_px: float = LINE_NEAR_PX


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
    # what a reader needs (issue 14): the defaults keep manifests of older renders loadable
    labels_nearer_other: int = 0
    labels_too_far: int = 0
    max_label_gap_px: float = 0.0
    label_sizes: int = 1
    labels_over_lines: int = 0
    label_tag_overlaps: int = 0
    tag_overlaps: int = 0
    confusable_line_pairs: int = 0
    indistinct_line_pairs: int = 0
    lines_unnamed: int = 0
    crossings_lower_bound: int = 0
    # one-way services: every edge a line runs one way only carries a direction arrow, uncovered
    oneway_edges: int = 0
    arrows_missing: int = 0
    arrow_overlaps: int = 0

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
    if figures.label_sizes > lim.max_label_sizes:
        out.append(f"labels use {figures.label_sizes} font sizes (maximum {lim.max_label_sizes})")
    if figures.min_label_height_px < lim.min_label_height_px:
        out.append(f"smallest label is {figures.min_label_height_px} px high (minimum {lim.min_label_height_px})")
    for count, most, what in (
        (figures.label_overlaps, lim.max_label_overlaps, "pair{s} of labels overlap"),
        (figures.label_marker_overlaps, lim.max_label_marker_overlaps, "label{s} cover{v} another station's marker"),
        (figures.label_line_overlaps, lim.max_label_line_overlaps,
         "label{s} {is} crossed by a line (a foreign line, or {its} own without a heavy halo)"),
        (figures.labels_nearer_other, 0, "label{s} {is} nearer another station's marker than {its} own"),
        (figures.labels_too_far, 0,
         f"label{{s}} {{is}} more than {lim.max_label_gap_em:g} font sizes from {{its}} marker"),
        (figures.label_tag_overlaps, 0, "label{s} cover{v} a line tag"),
        (figures.tag_overlaps, 0, "line tag{s} overlap{v} a marker or another tag"),
        (figures.indistinct_line_pairs, 0, f"pair{{s}} of lines that meet or run near each other {{is}} "
         f"less than ΔE {lim.min_line_delta_e:g} apart in colour without a tag on every run"),
        (figures.lines_unnamed, 0, "line{s} {is} named only in the legend, not on the line"),
        (figures.arrows_missing, 0, "one-way edge{s} {is} drawn without a direction arrow"),
        (figures.arrow_overlaps, 0,
         "direction arrow{s} {is} covered by a label, marker, tag or another arrow, or on another strand"),
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


def measure(geo: MapGeometry, labels: dict[str, Label], limits: GateLimits | None = None) -> RenderFigures:
    """The figures of a render, computed from what is drawn.

    Example:
        >>> from mapkit.render.style import DEFAULT_STYLE
        >>> from mapkit.render.geometry import example_geometry
        >>> from mapkit.render.labels import place_labels
        >>> g, geo, fonts = example_geometry()
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
        # a label's own line may pass under it only when a heavy halo keeps the text legible
        haloed = np.array([labels[s].over_line and labels[s].halo >= HEAVY_HALO for s in lab_ids], dtype=bool)
        label_line = len(set(li[foreign | ~haloed[li]].tolist()))

    lim = limits or GateLimits()
    near_other, too_far, max_gap = _label_distances(geo, labels, lab_ids, L, owner, lim)
    tag_geoms = shapely.box(*np.array([t.bbox for t in geo.tags], dtype=float).reshape(-1, 4).T)
    label_tag = 0
    tag_overlaps = 0
    if len(geo.tags):
        if len(L):
            li, _ = STRtree(tag_geoms).query(lab_geoms, predicate="intersects")
            label_tag = len(set(li.tolist()))
        ta, tb = STRtree(tag_geoms).query(tag_geoms, predicate="intersects")
        hit = set(ta[ta < tb].tolist()) | set(tb[ta < tb].tolist())
        ti, _ = STRtree(mk).query(tag_geoms, predicate="intersects")
        tag_overlaps = len(hit | set(ti.tolist()))
    confusable = confusable_pairs(geo.segments, geo.colors, near_px=lim.line_near_px,
                                  min_delta_e=lim.min_line_delta_e) if geo.segments else set()
    tagged = _fully_tagged(geo)
    indistinct = sum(1 for pair in confusable if not all(lid in tagged for lid in pair))
    named = {t.line_id for t in geo.tags}
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
        labels_nearer_other=near_other,
        labels_too_far=too_far,
        max_label_gap_px=max_gap,
        label_sizes=len({lab.size for lab in labels.values()}),
        labels_over_lines=sum(lab.over_line for lab in labels.values()),
        label_tag_overlaps=label_tag,
        tag_overlaps=tag_overlaps,
        confusable_line_pairs=len(confusable),
        indistinct_line_pairs=indistinct,
        lines_unnamed=sum(1 for lid in geo.services if lid not in named),
        crossings_lower_bound=crossings_lower_bound(geo),
        oneway_edges=len(geo.oneway),
        arrows_missing=len(unmarked_oneway(geo)),
        arrow_overlaps=_arrow_overlaps(geo, lab_geoms, mk, tag_geoms),
    )


def unmarked_oneway(geo: MapGeometry) -> set[tuple[str, tuple[str, str]]]:
    """One-way edges (``(line id, sorted edge)``) without an arrow pointing the way the line runs."""
    marked = {(a.line_id, (min(a.frm, a.to), max(a.frm, a.to))) for a in geo.arrows
              if geo.oneway.get((a.line_id, (min(a.frm, a.to), max(a.frm, a.to)))) == (a.frm, a.to)}
    return set(geo.oneway) - marked


def _arrow_overlaps(geo: MapGeometry, lab_geoms, mk, tag_geoms) -> int:  # noqa: ANN001
    """Arrows a label, a marker, a tag or another arrow covers, or that touch a strand of another edge
    (the chevron's own outline, not its box)."""
    if not geo.arrows:
        return 0
    arrows = shapely.polygons([list(a.points) for a in geo.arrows])
    hit: set[int] = set()
    for others in (lab_geoms, mk, tag_geoms):
        if len(others):
            ai, _ = STRtree(others).query(arrows, predicate="intersects")
            hit.update(ai.tolist())
    aa, ab = STRtree(arrows).query(arrows, predicate="intersects")
    hit.update(aa[aa != ab].tolist())
    # a barb on another edge's strand reads as part of that line
    if geo.segments:
        segs = shapely.linestrings([[s.a, s.b] for s in geo.segments])
        ai, si = STRtree(segs).query(arrows, predicate="dwithin", distance=geo.line_width / 2)
        for i, j in zip(ai.tolist(), si.tolist()):
            a, s = geo.arrows[i], geo.segments[j]
            if {a.frm, a.to} != {s.u, s.v}:
                hit.add(i)
    return len(hit)


def _label_distances(
    geo: MapGeometry, labels: dict[str, Label], lab_ids: list[str], L: np.ndarray, owner: np.ndarray,
    lim: GateLimits,
) -> tuple[int, int, float]:
    """Labels whose nearest marker is not their own, labels too far from their own, the largest gap.

    Gaps run from the label's box to the marker's edge (a disc of the marker's radius).
    """
    if not len(L):
        return 0, 0, 0.0
    ids = list(geo.markers)
    C = np.array([geo.centers[s] for s in ids], dtype=float)
    R = np.array([geo.markers[s].radius for s in ids], dtype=float)
    own = marker_gaps(L, C[owner], R[owner])
    reach = float(own.max()) + float(R.max()) + 1.0
    boxes = shapely.box(*L.T)
    li, si = STRtree(shapely.points(C)).query(boxes, predicate="dwithin", distance=reach)
    keep = si != owner[li]
    li, si = li[keep], si[keep]
    other = marker_gaps(L[li], C[si], R[si])
    nearer = set(li[other <= own[li]].tolist())
    sizes = np.array([labels[s].size for s in lab_ids], dtype=float)
    too_far = int((own > lim.max_label_gap_em * sizes + 1e-9).sum())
    return len(nearer), too_far, float(round(own.max(), 2))


def unreadable_lines(geo: MapGeometry, limits: GateLimits | None = None) -> set[str]:
    """Lines a reader cannot tell apart from a line they meet or run beside (see :func:`measure`), and
    one-way lines with an edge whose direction arrow is missing."""
    lim = limits or GateLimits()
    if not geo.segments:
        return set()
    tagged = _fully_tagged(geo)
    pairs = confusable_pairs(geo.segments, geo.colors, near_px=lim.line_near_px, min_delta_e=lim.min_line_delta_e)
    # a one-way line whose direction is not drawn on every one-way edge cannot be ridden from the picture
    return ({lid for pair in pairs if not all(x in tagged for x in pair) for lid in pair}
            | {lid for lid, _ in unmarked_oneway(geo)})


def readable_lines(manifest: dict, graph=None) -> set[str]:  # noqa: ANN001
    """The ids of the lines a render lets a reader identify and ride: the hook the line-asking question
    families consult (a line question about a render is asked only when its lines are in here).

    A line is readable when the manifest says so (``readable``: told apart from its neighbours, and for a
    one-way line an arrow on every one-way edge). Manifests written before lines carried ``readable``
    count every line as readable; given the ``graph``, a one-way line of a manifest written before
    arrows were drawn (no ``arrows`` key) does not count.

    Example:
        >>> sorted(readable_lines({"lines": [{"id": "1", "readable": True}, {"id": "2", "readable": False},
        ...                                  {"id": "3"}]}))
        ['1', '3']
    """
    oneway = {lid for lid, ln in graph.lines.items() if ln.oneway} if graph is not None else set()
    return {ln["id"] for ln in manifest.get("lines", [])
            if ln.get("readable", True) and (ln["id"] not in oneway or "arrows" in ln)}


STATION_LINE_FAMILIES = frozenset({"counting2", "torf1"})
"""Families whose answer is about every line at their stations (not only the ``line_ids`` they name)."""

ROUTE_FAMILIES = frozenset({"planning"})
"""Families whose answer may ride any line of the city (a route): a one-way line anywhere must show its
direction, or a reader would plan a ride against it."""


def item_lines_readable(item: dict, graph, readable: set[str]) -> bool:  # noqa: ANN001
    """Whether every line an item's answer depends on is in ``readable`` (:func:`readable_lines`):
    its ``mapkit.line_ids``; for :data:`STATION_LINE_FAMILIES`, the lines at its stations; for
    :data:`ROUTE_FAMILIES`, every one-way line of the city as well. Family names are matched without case.

    Example:
        >>> from mapkit.graph import toy_city
        >>> item = {"type": "Counting2", "mapkit": {"line_ids": [], "station_ids": ["b"]}}
        >>> g = toy_city()
        >>> item_lines_readable(item, g, {"red", "blue", "green"}), item_lines_readable(item, g, {"red"})
        (True, False)
    """
    m = item.get("mapkit", {})
    need = set(m.get("line_ids") or ())
    family = str(item.get("type", "")).lower()
    if family in STATION_LINE_FAMILIES:
        for sid in m.get("station_ids") or ():
            if sid in graph.stations:
                need.update(graph.lines_at(sid))
    if family in ROUTE_FAMILIES:
        need.update(lid for lid, ln in graph.lines.items() if ln.oneway)
    return need <= readable


def _fully_tagged(geo: MapGeometry) -> set[str]:
    """Lines with a tag on every run: each of their drawn edges belongs to a run one of their tags names."""
    covered: dict[str, set[tuple[str, str]]] = {}
    for t in geo.tags:
        covered.setdefault(t.line_id, set()).update(t.run)
    edges: dict[str, set[tuple[str, str]]] = {}
    for s in geo.segments:
        edges.setdefault(s.line_id, set()).add((min(s.u, s.v), max(s.u, s.v)))
    return {lid for lid, es in edges.items() if es <= covered.get(lid, set())}


def crossings_lower_bound(geo: MapGeometry) -> int:
    """A lower bound on the edge crossings any drawing of the network needs: 0 for a planar network,
    else ``max(1, m - 3n + 6)`` (Euler's bound; networks of parts add up).

    Example:
        >>> from types import SimpleNamespace as S
        >>> k5 = [S(u=str(a), v=str(b)) for a in range(5) for b in range(a + 1, 5)]
        >>> crossings_lower_bound(S(segments=k5))
        1
    """
    import networkx as nx

    g = nx.Graph()
    g.add_edges_from((s.u, s.v) for s in geo.segments)
    total = 0
    for comp in nx.connected_components(g):
        sub = g.subgraph(comp)
        if nx.check_planarity(sub)[0]:
            continue
        n, m = sub.number_of_nodes(), sub.number_of_edges()
        total += max(1, m - 3 * n + 6)
    return total


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
