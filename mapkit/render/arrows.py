"""Direction arrows: a chevron on every edge a line serves one way only, pointing the way its trains run.

Questions about one-way services (stops between two stations, the next station, routes) have answers
that depend on the direction of travel, so the direction must be in the picture. A line serves an edge
one way only when every service of the line over that edge is one-way and they all run the same way
(a line whose outbound and return services share a stretch serves it both ways: no arrow there).

Each such edge gets one chevron — an arrowhead notched at its back, in the line's colour with a
background-coloured rim, wider than the strand so it reads at any line width — centred on the line's
own strand, at the first spot along the edge (middle first) clear of markers, tags and the arrows
placed before it. Labels are placed afterwards and avoid arrows like tags; the gate counts one-way edges
without an arrow (:func:`oneway_edges`) and arrows that a label, marker or tag covers.

Example:
    >>> from mapkit.graph.examples import oneway_city
    >>> sorted(oneway_edges(oneway_city()))[:2]
    [('airport', ('junction', 't2')), ('airport', ('junction', 't3'))]
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import shapely
from shapely import STRtree

from mapkit.graph.model import MetroGraph

Point = tuple[float, float]
Box = tuple[float, float, float, float]

CLEAR = 3.0
"""Pixels kept free between a chevron and a marker, tag or other chevron (a tag's rim touching the
chevron's would read as one blob)."""


@dataclass(frozen=True)
class Arrow:
    """One drawn chevron on ``line_id``'s strand between stations ``frm`` and ``to``, pointing to ``to``."""

    line_id: str
    frm: str
    to: str
    center: Point
    direction: Point  # unit vector the trains run along
    points: tuple[Point, ...]  # the chevron's outline: apex, back left, notch, back right
    bbox: Box


def oneway_edges(graph: MetroGraph) -> dict[tuple[str, tuple[str, str]], tuple[str, str]]:
    """``{(line id, sorted edge): (from, to)}`` for every edge a line's trains run along one way only.

    Example:
        >>> from mapkit.graph.examples import oneway_city
        >>> e = oneway_edges(oneway_city())
        >>> e[("ring", ("abbey", "forge"))], ("airport", ("castle", "junction")) in e
        (('forge', 'abbey'), False)
    """
    out: dict[tuple[str, tuple[str, str]], tuple[str, str]] = {}
    for ln in graph.lines.values():
        if not ln.oneway:
            continue
        ways: dict[tuple[str, str], set[tuple[str, str]]] = {}
        for br in ln.branches:
            for a, b in br.arcs():
                ways.setdefault((min(a, b), max(a, b)), set()).add((a, b))
        for edge, arcs in ways.items():
            if len(arcs) == 1:
                out[(ln.id, edge)] = next(iter(arcs))
    return out


def arrow_size(line_width: float) -> tuple[float, float]:
    """Length and width of a chevron (pixels) for a line of ``line_width``: wider than the strand.

    >>> arrow_size(6)
    (18.0, 22.0)
    """
    return float(round(1.5 * line_width + 9)), float(round(2.5 * line_width + 7))


def build_arrows(
    graph: MetroGraph,
    services: dict[str, list[list[Point]]],
    radii: dict[str, float],
    centers: dict[str, Point],
    obstacles: np.ndarray,
    line_width: float,
    segments: list,
) -> list[Arrow]:
    """A chevron for every one-way edge (see the module docstring); ``obstacles`` are boxes to keep clear
    of (tags), markers are added from ``centers`` and ``radii``; ``segments`` the drawn
    :class:`~mapkit.render.geometry.Segment` s, whose strands on other edges a chevron keeps clear of.

    ``services`` are the drawn strands, one polyline per branch in branch order (a loop closed).
    """
    want = oneway_edges(graph)
    if not want:
        return []
    length, width = arrow_size(line_width)
    marks = np.array([(c[0] - radii[s], c[1] - radii[s], c[0] + radii[s], c[1] + radii[s])
                      for s, c in centers.items()], dtype=float).reshape(-1, 4)
    placed = np.vstack([obstacles.reshape(-1, 4), marks])
    strands = shapely.linestrings([[sg.a, sg.b] for sg in segments]) if segments else None
    tree = STRtree(strands) if strands is not None else None
    pairs = [frozenset((sg.u, sg.v)) for sg in segments]
    reach = line_width / 2 + 2
    arrows: list[Arrow] = []
    done: set[tuple[str, tuple[str, str]]] = set()
    for lid, ln in graph.lines.items():
        for bi, br in enumerate(ln.branches):
            seq = list(br.stations)
            if br.loop and len(seq) > 2:
                seq.append(seq[0])
            pts = services[lid][bi]
            for k, (a, b) in enumerate(zip(seq, seq[1:])):
                key = (lid, (min(a, b), max(a, b)))
                if key not in want or key in done:
                    continue
                done.add(key)
                frm, to = want[key]
                p, q = np.array(pts[k], dtype=float), np.array(pts[k + 1], dtype=float)
                if (frm, to) != (a, b):
                    p, q = q, p
                arrow = None
                for c in _spots(p, q, radii[frm], radii[to], length):
                    cand = _chevron(lid, frm, to, c, q - p, length, width)
                    if not (_hits(np.array(cand.bbox) + (-CLEAR, -CLEAR, CLEAR, CLEAR), placed)
                            or _crosses(cand, tree, pairs, reach)):
                        arrow = cand
                        break
                if arrow is None:  # no free spot: the middle anyway (the gate counts the overlap)
                    arrow = _chevron(lid, frm, to, (p + q) / 2, q - p, length, width)
                placed = np.vstack([placed, np.array(arrow.bbox)[None, :]])
                arrows.append(arrow)
    return arrows


def _spots(p: np.ndarray, q: np.ndarray, rp: float, rq: float, length: float) -> Iterator[np.ndarray]:
    """Chevron centres along the strand from ``p`` to ``q``: the middle first, then outwards."""
    d = q - p
    n = float(np.linalg.norm(d))
    if n < 1e-9:
        return
    u = d / n
    lo, hi = rp + 2 + length / 2, n - rq - 2 - length / 2
    mid = n / 2
    yield p + u * mid
    for j in range(1, 64):
        t = j * 3.0
        if mid - t < lo and mid + t > hi:
            break
        for pos in (mid + t, mid - t):
            if lo <= pos <= hi:
                yield p + u * pos


def _chevron(lid: str, frm: str, to: str, c: np.ndarray, d: np.ndarray, length: float, width: float) -> Arrow:
    """The chevron centred at ``c`` pointing along ``d``: apex ahead, notched back (a quarter of its length)."""
    n = float(np.linalg.norm(d))
    u = d / n if n > 1e-9 else np.array([1.0, 0.0])
    v = np.array([-u[1], u[0]])
    half = length / 2
    apex = c + u * half
    back = c - u * half
    outline = (apex, back + v * width / 2, c - u * (half - length / 4), back - v * width / 2)
    pts = tuple((round(float(x), 2), round(float(y), 2)) for x, y in outline)
    xs, ys = [x for x, _ in pts], [y for _, y in pts]
    return Arrow(lid, frm, to, (round(float(c[0]), 2), round(float(c[1]), 2)),
                 (round(float(u[0]), 6), round(float(u[1]), 6)), pts,
                 (min(xs), min(ys), max(xs), max(ys)))


def _crosses(arrow: Arrow, tree: STRtree | None, pairs: list[frozenset[str]], reach: float) -> bool:
    """Whether the chevron comes within ``reach`` of a strand on another edge (its barb would merge
    into that strand); strands parallel to its own edge, on the same two stations, do not count."""
    if tree is None:
        return False
    own = frozenset((arrow.frm, arrow.to))
    # the chevron's whole band (apex to back, barb to barb), so no strand runs right beside a barb either
    apex, left, _, right = (np.array(p) for p in arrow.points)
    ahead = apex - (left + right) / 2
    band = shapely.Polygon([tuple(left), tuple(left + ahead), tuple(right + ahead), tuple(right)])
    hit = tree.query(band, predicate="dwithin", distance=reach)
    return any(pairs[i] != own for i in hit.tolist())


def _hits(box: np.ndarray, boxes: np.ndarray) -> bool:
    if not len(boxes):
        return False
    return bool(((np.minimum(boxes[:, 2], box[2]) - np.maximum(boxes[:, 0], box[0]) > 0.01)
                 & (np.minimum(boxes[:, 3], box[3]) - np.maximum(boxes[:, 1], box[1]) > 0.01)).any())

