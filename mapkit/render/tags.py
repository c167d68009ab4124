"""Line tags: a line's short name drawn on the line itself, so a reader can tell which line is which.

A legend alone leaves the reader matching colours, which fails where lines share a colour (New York's
trunk services: 1/2/3 are all red) or nearly share one (Shanghai's lines 15 and 18). So every line
carries its *tag* (``"2"`` for "Line 2", ``"A"``, ``"R"`` for "Red Line"; :func:`tag_text`) in a
bullet of its own colour, drawn on its strand:

* a line that is *confusable* with another (:func:`confusable_pairs`: the two meet at a station or
  run within :data:`LINE_NEAR_PX` of each other, and their colours are less than
  :data:`LINE_DELTA_E` apart in CIEDE2000) carries a tag on every *run*: each stretch of a service
  between junctions (stations where track branches: graph degree other than 2) and termini. Anyone
  following a strand from a station reaches a tag before the strand can turn into another one;
* every other line carries one at each end of each of its services (near the termini, as on real
  maps), so its name is on the line and not only in the legend.

A tag takes the first free spot (clear of markers and of the tags placed before it) on its run's
edges, longest edge first and middle first, on its own strand; where the strand has no room (four
services sharing a short express edge), beside it.

Example:
    >>> tag_text("Line 2"), tag_text("2号线"), tag_text("A"), tag_text("Red Line"), tag_text("Linha Azul")
    ('2', '2', 'A', 'R', 'A')
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import shapely
from shapely import STRtree

from mapkit.colour import delta_e
from mapkit.graph.model import MetroGraph
from mapkit.render.fonts import FontChain

Point = tuple[float, float]
Box = tuple[float, float, float, float]
Edge = tuple[str, str]

LINE_DELTA_E = 20.0
"""Two lines that meet or run near each other must differ by at least this CIEDE2000 ΔE, or carry tags
on every run (about 10 is a clearly different shade on a swatch; a 6 px line needs more)."""

LINE_NEAR_PX = 48.0
"""Lines whose drawn strands come this close (pixels) are compared for colour like lines that meet."""

_CODE = re.compile(
    r"^(?:line|linea|línea|ligne|linha|linje|linie|lijn|metro|m|u)?\s*([A-Za-z]?\d{1,3}[A-Za-z]?)"
    r"\s*(?:号线|號線|线|線|line)?$",
    re.IGNORECASE,
)
_FILLER = {"line", "linea", "línea", "ligne", "linha", "linje", "linie", "lijn", "metro", "the", "de", "del", "la"}


def tag_text(name: str) -> str:
    """The short name of a line as a bullet shows it: its number or letter, else its initial.

    >>> tag_text("Line 10"), tag_text("S1号线"), tag_text("Circle Line"), tag_text("机场线"), tag_text("浦江线路")
    ('10', 'S1', 'C', '机场线', '浦')
    """
    name = name.strip()
    m = _CODE.match(name)
    if m:
        return m.group(1).upper()
    if len(name) <= 3 and " " not in name:
        return name
    words = [w for w in re.split(r"[\s\-/]+", name) if w and w.lower() not in _FILLER]
    return (words[0] if words else name)[0].upper()


def line_tags(graph: MetroGraph) -> dict[str, str]:
    """A distinct tag per line: :func:`tag_text`, lengthened where two lines would get the same one.

    >>> from mapkit.graph import toy_city
    >>> line_tags(toy_city())
    {'red': 'R', 'blue': 'B', 'green': 'G'}
    """
    out = {lid: tag_text(ln.name) for lid, ln in graph.lines.items()}
    seen: dict[str, list[str]] = {}
    for lid, t in out.items():
        seen.setdefault(t, []).append(lid)
    for lids in seen.values():
        if len(lids) < 2:
            continue
        # "Red Line"/"Rose Line": "Re"/"Ro"; the whole name when no prefix tells them apart
        words = {lid: ([w for w in graph.lines[lid].name.split() if w.lower() not in _FILLER]
                       or [graph.lines[lid].name.strip()])[0] for lid in lids}
        for n in range(2, 7):
            short = {lid: w[:n] for lid, w in words.items()}
            if len(set(short.values())) == len(lids):
                out.update(short)
                break
        else:
            out.update({lid: graph.lines[lid].name.strip() for lid in lids})
    return out


@dataclass(frozen=True)
class Tag:
    """One drawn line tag: a bullet of the line's colour with its short name, on one run of the line."""

    line_id: str
    text: str
    center: Point
    bbox: Box
    shape: str  # "circle" (one or two characters) or "pill"
    fill: str
    ink: str
    font_size: int
    origin: Point  # where ImageDraw.text puts the text (pillow's left/ascender anchor)
    run: tuple[Edge, ...]  # the edges (sorted station pairs) this tag names


def tag_font_size(font_size: int) -> int:
    """Tags are a little smaller than station labels, never below 11 px.

    >>> tag_font_size(16), tag_font_size(12)
    (12, 11)
    """
    return max(11, round(font_size * 0.75))


def ink_on(fill: str) -> str:
    """Black or white text, whichever reads better on ``fill`` (relative luminance).

    >>> ink_on("#ffd302"), ink_on("#1a7cbf")
    ('#111111', '#ffffff')
    """
    r, g, b = (int(fill[i:i + 2], 16) / 255 for i in (1, 3, 5))

    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    lum = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    return "#111111" if lum > 0.3 else "#ffffff"


def line_delta_e(a: str, b: str) -> float:
    """CIEDE2000 difference of two ``#rrggbb`` colours (the same measure the ``line_colour`` family uses)."""
    return float(delta_e(a, b))


def confusable_pairs(
    segments: list, colors: dict[str, str], *, near_px: float = LINE_NEAR_PX, min_delta_e: float = LINE_DELTA_E
) -> set[frozenset[str]]:
    """Pairs of lines a reader could mix up: they meet at a station or run within ``near_px`` of each
    other, and their colours differ by less than ``min_delta_e`` (CIEDE2000).

    ``segments``: :class:`~mapkit.render.geometry.Segment` s as drawn (one per line and edge).

    >>> from types import SimpleNamespace as S
    >>> segs = [S(line_id="a", u="x", v="y", a=(0, 0), b=(100, 0)),
    ...         S(line_id="b", u="y", v="z", a=(100, 0), b=(200, 0))]
    >>> confusable_pairs(segs, {"a": "#e71a40", "b": "#e41a1c"}) == {frozenset("ab")}
    True
    >>> confusable_pairs(segs, {"a": "#e71a40", "b": "#1a7cbf"})
    set()
    """
    lines = sorted({s.line_id for s in segments})
    close = [(a, b) for a, b in itertools.combinations(lines, 2) if line_delta_e(colors[a], colors[b]) < min_delta_e]
    if not close:
        return set()
    stations: dict[str, set[str]] = {}
    for s in segments:
        stations.setdefault(s.line_id, set()).update((s.u, s.v))
    geoms = shapely.linestrings([[s.a, s.b] for s in segments])
    owner = np.array([s.line_id for s in segments])
    ia, ib = STRtree(geoms).query(geoms, predicate="dwithin", distance=near_px)
    near = {frozenset((owner[i], owner[j])) for i, j in zip(ia.tolist(), ib.tolist()) if owner[i] != owner[j]}
    return {frozenset((a, b)) for a, b in close if stations[a] & stations[b] or frozenset((a, b)) in near}


def runs_of(seq: list[str], degree: dict[str, int]) -> list[list[int]]:
    """Edge indices of a service's stations ``seq`` split into runs at junctions (degree not 2).

    >>> runs_of(["a", "b", "c", "d", "e"], {"a": 1, "b": 2, "c": 3, "d": 2, "e": 1})
    [[0, 1], [2, 3]]
    """
    runs: list[list[int]] = [[]]
    for k in range(len(seq) - 1):
        if k > 0 and degree.get(seq[k], 2) != 2 and runs[-1]:
            runs.append([])
        runs[-1].append(k)
    return [r for r in runs if r]


def build_tags(
    graph: MetroGraph,
    centers: dict[str, Point],
    services: dict[str, list[list[Point]]],
    radii: dict[str, float],
    colors: dict[str, str],
    confusable: set[str],
    font_size: int,
    fonts: FontChain,
) -> list[Tag]:
    """Tags for every line (see the module docstring for which runs get one, and where).

    ``services`` are the drawn strands (one polyline per branch, in branch order, a loop closed);
    ``radii`` the marker radius of each station (tags keep clear of markers).
    """
    texts = line_tags(graph)
    size = tag_font_size(font_size)
    degree = dict(graph.graph.degree())
    measured = {lid: _measure(t, size, fonts) for lid, t in texts.items()}
    # (line, run edges as index pairs into its polyline, branch index) in drawing order
    wanted: list[tuple[str, int, list[int]]] = []
    for lid, ln in graph.lines.items():
        seen: set[frozenset[Edge]] = set()
        for bi, br in enumerate(ln.branches):
            seq = _sequence(br)
            runs = runs_of(seq, degree)
            if lid not in confusable:
                runs = [runs[0], runs[-1]] if len(runs) > 1 else runs[:1]
            for run in runs:
                key = frozenset(_edge(seq[k], seq[k + 1]) for k in run)
                if key not in seen:
                    seen.add(key)
                    wanted.append((lid, bi, run))
    # each tag takes the first free spot: along its run's edges (longest first) on its own strand,
    # then beside the strand; free = clear of markers and of the tags already placed
    order = {lid: i for i, lid in enumerate(graph.lines)}
    mboxes = np.array([(c[0] - radii[s], c[1] - radii[s], c[0] + radii[s], c[1] + radii[s])
                       for s, c in centers.items()], dtype=float).reshape(-1, 4)
    placed = np.zeros((0, 4))
    tags: list[Tag] = []
    for lid, bi, run in wanted:
        seq = _sequence(graph.lines[lid].branches[bi])
        pts = services[lid][bi]
        half = measured[lid][2]
        probe = _tag(lid, texts[lid], (0.0, 0.0), measured[lid], colors[lid], size, ()).bbox
        best = first = None
        for c in _spots(run, seq, pts, centers, radii, half):
            first = c if first is None else first
            box = np.array([c[0] + probe[0], c[1] + probe[1], c[0] + probe[2], c[1] + probe[3]])
            if not (_hits(box, placed) or _hits(box, mboxes)):
                best = c
                break
        if best is None:  # nothing free: the first spot anyway (the gate counts the overlap)
            best = first if first is not None else np.array(pts[run[0]], dtype=float)
        tag = _tag(lid, texts[lid], (float(best[0]), float(best[1])), measured[lid], colors[lid], size,
                   tuple(sorted(_edge(seq[j], seq[j + 1]) for j in run)))
        placed = np.vstack([placed, np.array(tag.bbox)[None, :]])
        tags.append(tag)
    tags.sort(key=lambda t: (order[t.line_id], t.run, t.center))
    return tags


def _spots(
    run: list[int], seq: list[str], pts: list[Point], centers: dict[str, Point], radii: dict[str, float], half: float,
) -> Iterator[np.ndarray]:
    """Candidate tag centres for a run, best first: on the strand, longest edge and middle first, then
    beside the strand on either side."""
    ranked = sorted(run, key=lambda k: (-_usable(centers, radii, seq[k], seq[k + 1]), k))
    for beside in (0.0, 1.0, -1.0):
        for k in ranked:
            a, b = np.array(pts[k], dtype=float), np.array(pts[k + 1], dtype=float)
            length = float(np.linalg.norm(b - a))
            if length < 1e-9:
                continue
            u = (b - a) / length
            lo, hi = radii[seq[k]] + 2 + half, length - radii[seq[k + 1]] - 2 - half
            mid = length / 2
            shift = np.array([-u[1], u[0]]) * beside * (2 * half + 2)
            yield a + u * mid + shift
            for j in range(1, 64):
                t = j * (half + 1)
                if mid - t < lo and mid + t > hi:
                    break
                for pos in (mid - t, mid + t):
                    if lo <= pos <= hi:
                        yield a + u * pos + shift


def _hits(box: np.ndarray, boxes: np.ndarray) -> bool:
    """Whether ``box`` overlaps any of ``boxes`` (touching does not count)."""
    if not len(boxes):
        return False
    return bool(((np.minimum(boxes[:, 2], box[2]) - np.maximum(boxes[:, 0], box[0]) > 0.01)
                 & (np.minimum(boxes[:, 3], box[3]) - np.maximum(boxes[:, 1], box[1]) > 0.01)).any())


def _sequence(br) -> list[str]:  # noqa: ANN001
    seq = list(br.stations)
    if br.loop and len(seq) > 2:
        seq.append(seq[0])
    return seq


def _edge(a: str, b: str) -> Edge:
    return (a, b) if a < b else (b, a)


def _usable(centers: dict[str, Point], radii: dict[str, float], u: str, v: str) -> float:
    (x0, y0), (x1, y1) = centers[u], centers[v]
    return math.hypot(x1 - x0, y1 - y0) - radii[u] - radii[v] - 4


def _measure(text: str, size: int, fonts: FontChain) -> tuple[tuple[int, int, int, int], str, float]:
    """Text box, shape and half the along-line extent of the bullet."""
    bb = fonts.face_for(text).load(size).getbbox(text)
    w, h = bb[2] - bb[0], bb[3] - bb[1]
    if len(text) <= 2:
        r = max(w, h) / 2 + 3
        return bb, "circle", r
    return bb, "pill", w / 2 + 5


def _tag(
    lid: str, text: str, c: Point, measured: tuple[tuple[int, int, int, int], str, float], fill: str, size: int,
    run: tuple[Edge, ...],
) -> Tag:
    bb, shape, half = measured
    w, h = bb[2] - bb[0], bb[3] - bb[1]
    x, y = round(c[0], 2), round(c[1], 2)
    if shape == "circle":
        box = (x - half, y - half, x + half, y + half)
    else:
        hh = h / 2 + 3
        box = (x - half, y - hh, x + half, y + hh)
    box = tuple(round(v, 2) for v in box)
    origin = (round(x - w / 2 - bb[0], 2), round(y - h / 2 - bb[1], 2))
    return Tag(lid, text, (x, y), box, shape, fill, ink_on(fill), size, origin, run)  # type: ignore[arg-type]
