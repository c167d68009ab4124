"""Station labels without collisions.

Every station gets 36 candidate boxes per text variant: 12 positions around its marker (E, W,
N, S, the four diagonals, and N/S boxes shifted to either side) on three rings (touching the
marker; one line width further out, which clears parallel strands at an interchange; and
farther still, within 1.25 font sizes: :func:`label_gaps`). Text variants are the name on one
line and, for long names, wrapped onto two, all at the style's one font size (one label size
per map). Box sizes are the font's real text metrics (``ImageFont.getbbox``,
halo included), at whole pixels.

Each candidate has a *static cost*: a preference for the usual places (east first), plus
penalties for covering a line segment of the station's own lines, and far larger ones for
covering another station's marker, a line segment the station is not on, the legend, or
leaving the canvas. These obstacles live in shapely STRtrees and are queried for all
candidates at once. Labels are then chosen greedily (hardest stations first: those with the
fewest good candidates), and repaired by a few passes of iterated conditional modes: each
station moves to the candidate that is cheapest given everyone else's choice, where an
overlap with a chosen label costs more than any static obstacle short of the canvas edge.

Example:
    >>> from mapkit.render.style import DEFAULT_STYLE
    >>> from mapkit.render.geometry import example_geometry
    >>> g, geo, fonts = example_geometry()
    >>> labels = place_labels(g, geo, DEFAULT_STYLE, fonts)
    >>> len(labels), labels["a"].text
    (12, 'A Station')
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import shapely
from PIL import ImageFont
from shapely import STRtree

from mapkit.graph.model import MetroGraph
from mapkit.render.fonts import FontChain, FontFace
from mapkit.render.geometry import Box, MapGeometry, Point
from mapkit.render.style import RenderStyle

# preference of each position (lower is better): east and west read along the line
_PREF = {
    "E": 0.0, "W": 0.3, "NE": 0.6, "SE": 0.6, "NW": 0.8, "SW": 0.8,
    "N": 1.0, "S": 1.0, "N+": 1.2, "N-": 1.2, "S+": 1.2, "S-": 1.2,
}
_FAR = 1.5  # extra cost per ring outwards (three rings)

SMALL_FACTOR = 0.82
COST_WRAP = 1.0
COST_WRAP_MID_WORD = 3.0  # a Chinese name cut in the middle: worse than a smaller font
COST_AMBIGUOUS = 4.0
AMBIGUITY_RATIO = 1.25
COST_OWN_LINE = 20.0
COST_FOREIGN_LINE = 60.0
COST_MARKER = 60.0
COST_LEGEND = 500.0
COST_OUTSIDE = 1000.0
COST_LABEL = 100.0


@dataclass(frozen=True)
class Label:
    """A placed label: ``bbox`` is the drawn text box in pixels (halo included).

    ``runs`` are the text lines with the xy handed to ``ImageDraw.text`` for each (pillow's
    default left/ascender anchor): one run, or two when a long name is wrapped at a space.
    """

    station_id: str
    text: str
    bbox: Box
    runs: tuple[tuple[str, Point], ...]
    face: FontFace
    size: int
    halo: int
    position: str
    text_height: int  # ink height of a text line without the halo (see text_height())
    over_line: bool = False  # a line (its own) passes under it: drawn with a heavy halo (HEAVY_HALO)


@dataclass(frozen=True)
class _Block:
    """A label's text at one size and wrapping, measured; runs are relative to the box corner."""

    w: int
    h: int
    runs: tuple[tuple[str, float, float], ...]  # text, x offset of origin, y offset of origin


def place_labels(
    graph: MetroGraph, geo: MapGeometry, style: RenderStyle, fonts: FontChain, *, min_size: int = 10
) -> dict[str, Label]:
    """One collision-avoiding label per station (see the module docstring for the method).

    Where no spot is free, a label may wrap onto two lines at a space; every label has the
    style's font size (``min_size`` is kept for callers; ``render_city`` shrinks a whole fixed
    canvas's labels at once). A chosen label that a line passes under gets a heavy halo.

    Example: see the module docstring (a placement needs a layout and its geometry first).
    """
    ids = list(graph.stations)
    halo = style.label_halo
    cand_station: list[int] = []
    cand_box: list[Box] = []
    cand_runs: list[tuple[tuple[str, Point], ...]] = []
    cand_pos: list[str] = []
    cand_pref: list[float] = []
    cand_size: list[tuple[int, int]] = []  # (font size, text height)
    faces: list[FontFace] = []
    # one label size per map: mixed sizes read as a hierarchy that is not there (render_city may
    # shrink every label of a fixed canvas at once instead)
    sizes = [(style.font_size, 0.0)]
    for si, sid in enumerate(ids):
        name = graph.stations[sid].name
        face = fonts.face_for(name)
        faces.append(face)
        m = geo.markers[sid]
        cx, cy = m.center
        wrap_cost = COST_WRAP if " " in name.strip() or any(c in name for c in _BREAK_AFTER) else COST_WRAP_MID_WORD
        for size, extra in sizes:
            th, measured = _measured(face, size, name, halo)
            for wrapped, blocks in enumerate(measured):
                rings = tuple(m.radius + gap for gap in label_gaps(style.line_width, size))
                for ring, d in enumerate(rings):
                    w, h = blocks["left"].w, blocks["left"].h
                    for pos, (x0, y0) in _positions(cx, cy, d, w, h, m.radius).items():
                        x0, y0 = math.floor(x0), math.floor(y0)
                        blk = blocks[_ALIGN[pos]] if wrapped else blocks["left"]
                        cand_station.append(si)
                        cand_box.append((x0, y0, x0 + w, y0 + h))
                        cand_runs.append(tuple((t, (x0 + ox, y0 + oy)) for t, ox, oy in blk.runs))
                        cand_pos.append(pos)
                        cand_pref.append(_PREF[pos] + ring * _FAR + extra + wrapped * wrap_cost)
                        cand_size.append((size, int(th)))
    boxes = np.array(cand_box, dtype=float)
    cs = np.array(cand_station)
    static = np.array(cand_pref) + _static_costs(ids, geo, boxes, cs, style)
    conflicts = _candidate_conflicts(boxes, cs)
    choice = _choose(ids, cs, static, conflicts, graph)
    over = np.zeros(len(boxes), dtype=bool)
    over[choice] = _covers_line(geo, boxes[choice])
    heavy = max(halo, HEAVY_HALO)
    out = {}
    for si, ci in enumerate(choice):
        sid = ids[si]
        bx = cand_box[ci]
        size, th = cand_size[ci]
        # a line under the text: a wider halo carves it away around every glyph (the box grows with it)
        g = heavy - halo if over[ci] else 0
        out[sid] = Label(sid, graph.stations[sid].name,
                         (float(bx[0] - g), float(bx[1] - g), float(bx[2] + g), float(bx[3] + g)),
                         cand_runs[ci], faces[si], size, heavy if over[ci] else halo, cand_pos[ci], th, bool(over[ci]))
    return out


HEAVY_HALO = 3
"""Halo (px) of a label a line passes under: wide enough that the line stops short of every glyph."""


MAX_GAP_EM = 1.25
"""A label's box is at most this many times its font size from its own marker's edge (the gate's limit)."""


def label_gaps(line_width: float, size: int) -> tuple[float, float, float]:
    """Gaps (px) between a marker's edge and its label's box on the three candidate rings: touching;
    clear of one parallel strand; farther, but within :data:`MAX_GAP_EM` of the font size.

    >>> label_gaps(6, 16)
    (2, 9, 16)
    """
    return (2, line_width + 3, min(2 * line_width + 4, math.floor(MAX_GAP_EM * size - 1)))


# wrapped text hugs the station: right-aligned on its west side, centred above and below
_ALIGN = {"E": "left", "NE": "left", "SE": "left", "W": "right", "NW": "right", "SW": "right",
          "N": "center", "S": "center", "N+": "left", "S+": "left", "N-": "right", "S-": "right"}


_BREAK_AFTER = "·・/-–—("


def _split(name: str) -> tuple[str, str] | None:
    """Two lines for a long name, or None when it should stay on one line.

    Latin names break at the space that makes the longer line shortest; names without
    spaces after a separator (``·``, ``/``, ``-``); Chinese and Japanese names of five
    characters or more in the middle (no spaces to respect, and stacked names are usual on
    Chinese maps).

    Example:
        >>> _split("Plaça de Catalunya"), _split("一大会址·黄陂南路站"), _split("西直门站")
        (('Plaça de', 'Catalunya'), ('一大会址·', '黄陂南路站'), None)
    """
    name = name.strip()
    words = name.split()
    if len(words) > 1:
        best = min(range(1, len(words)),
                   key=lambda i: (max(len(" ".join(words[:i])), len(" ".join(words[i:]))), i))
        return " ".join(words[:best]), " ".join(words[best:])
    cuts = [i + 1 for i, ch in enumerate(name[:-1]) if ch in _BREAK_AFTER and i > 0]
    if not cuts and len(name) >= 5 and all(_is_cjk(ch) for ch in name):
        cuts = [(len(name) + 1) // 2]
    if not cuts:
        return None
    cut = min(cuts, key=lambda i: (max(i, len(name) - i), i))
    return name[:cut], name[cut:]


def _is_cjk(ch: str) -> bool:
    cp = ord(ch)
    return 0x3000 <= cp <= 0x9FFF or 0xF900 <= cp <= 0xFAFF or 0xFF00 <= cp <= 0xFFEF or 0x20000 <= cp <= 0x2FFFF


@functools.lru_cache(maxsize=16384)
def _measured(face: FontFace, size: int, name: str, halo: int) -> tuple[int, tuple[dict[str, _Block], ...]]:
    """A name's text height and its measured blocks at one size: one line (left-aligned), and
    when :func:`_split` wraps it, two lines in each alignment.

    Cached: the canvas-growing loop of ``render_city`` places the same names again at every
    attempt, and FreeType measurements are most of a placement's time. Callers must not
    change the returned dicts.
    """
    font = face.load(size)
    th = max(text_height(face, size), _ink_height(font, name))
    two = _split(name)
    out = [{"left": _measure(font, (name,), halo, "left")}]
    if two is not None:
        out.append({a: _measure(font, two, halo, a) for a in ("left", "right", "center")})
    return th, tuple(out)


def _ink_height(font: ImageFont.FreeTypeFont, text: str) -> int:
    b = font.getbbox(text)
    return int(b[3] - b[1])


def _measure(font: ImageFont.FreeTypeFont, parts: tuple[str, ...], halo: int, align: str) -> _Block:
    """Size of the text block (halo included) and each line's origin relative to its corner."""
    boxes = [font.getbbox(p, stroke_width=halo) for p in parts]
    ascent, descent = font.getmetrics()
    pitch = ascent + descent
    top = min(b[1] for b in boxes)
    w = max(b[2] - b[0] for b in boxes)
    h = (len(parts) - 1) * pitch + boxes[-1][3] - top
    runs = []
    for k, (p, b) in enumerate(zip(parts, boxes)):
        lw = b[2] - b[0]
        dx = 0 if align == "left" else (w - lw if align == "right" else (w - lw) // 2)
        runs.append((p, float(dx - b[0]), float(k * pitch - top)))
    return _Block(int(w), int(h), tuple(runs))


@functools.cache
def text_height(face: FontFace, size: int) -> int:
    """Ink height of a line of text in ``face`` at ``size`` px: capital plus descender ("Hg").

    This is the label height the gate checks, so that a name without capitals or
    descenders ("arno") does not count as smaller than the text around it.

    Example:
        >>> from mapkit.render.fonts import font_chain
        >>> 12 <= text_height(font_chain(["Hg"]).primary, 16) <= 16
        True
    """
    b = face.load(size).getbbox("Hg")
    return int(b[3] - b[1])


def _positions(cx: float, cy: float, d: float, w: float, h: float, r: float) -> dict[str, tuple[float, float]]:
    """Top-left corners of a w x h box at each named position, ``d`` px from the centre."""
    k = d * 0.7071
    return {
        "E": (cx + d, cy - h / 2),
        "W": (cx - d - w, cy - h / 2),
        "N": (cx - w / 2, cy - d - h),
        "S": (cx - w / 2, cy + d),
        "NE": (cx + k, cy - k - h),
        "NW": (cx - k - w, cy - k - h),
        "SE": (cx + k, cy + k),
        "SW": (cx - k - w, cy + k),
        "N+": (cx - r, cy - d - h),
        "N-": (cx + r - w, cy - d - h),
        "S+": (cx - r, cy + d),
        "S-": (cx + r - w, cy + d),
    }


def _static_costs(
    ids: list[str], geo: MapGeometry, boxes: np.ndarray, cs: np.ndarray, style: RenderStyle
) -> np.ndarray:
    n = len(boxes)
    cost = np.zeros(n)
    index = {sid: i for i, sid in enumerate(ids)}
    # outside the canvas (a label may touch the border, not cross it)
    outside = (boxes[:, 0] < 0) | (boxes[:, 1] < 0) | (boxes[:, 2] > geo.width) | (boxes[:, 3] > geo.height)
    cost += outside * COST_OUTSIDE
    # line segments: the candidate grown by half a line width must not touch the centreline
    grow = style.line_width / 2 + 1
    grown = shapely.box(boxes[:, 0] - grow, boxes[:, 1] - grow, boxes[:, 2] + grow, boxes[:, 3] + grow)
    if geo.segments:
        segs = shapely.linestrings([[s.a, s.b] for s in geo.segments])
        owners_u = np.array([index[s.u] for s in geo.segments])
        owners_v = np.array([index[s.v] for s in geo.segments])
        ci, gi = STRtree(segs).query(grown, predicate="intersects")
        own = (owners_u[gi] == cs[ci]) | (owners_v[gi] == cs[ci])
        np.add.at(cost, ci, np.where(own, COST_OWN_LINE, COST_FOREIGN_LINE))
    # markers of other stations (the own marker is never covered: candidates start outside it)
    plain = shapely.box(boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3])
    mk = [geo.markers[sid].bbox for sid in ids]
    mboxes = shapely.box(*np.array(mk, dtype=float).T)
    # box against box: the tree's envelope test is already the exact test
    ci, mi = STRtree(mboxes).query(plain)
    foreign = mi != cs[ci]
    np.add.at(cost, ci[foreign], COST_MARKER)
    cost += COST_AMBIGUOUS * _ambiguous(ids, geo, boxes, cs)
    cost += COST_MARKER * _nearer_other(ids, geo, boxes, cs)
    # line tags and direction arrows: a label over one hides what the reader needs from the line
    marks = [t.bbox for t in geo.tags] + [a.bbox for a in geo.arrows]
    if marks:
        tboxes = shapely.box(*np.array(marks, dtype=float).T)
        ci, _ = STRtree(tboxes).query(plain)
        np.add.at(cost, ci, COST_MARKER)
    if geo.legend is not None:
        lx0, ly0, lx1, ly1 = geo.legend.bbox
        hit = (boxes[:, 0] < lx1) & (boxes[:, 2] > lx0) & (boxes[:, 1] < ly1) & (boxes[:, 3] > ly0)
        cost += hit * COST_LEGEND
    return cost


def _ambiguous(ids: list[str], geo: MapGeometry, boxes: np.ndarray, cs: np.ndarray) -> np.ndarray:
    """Whether a candidate looks as if it named another station (1.0) or not (0.0).

    A reader pairs a label with the marker nearest to it; a candidate whose centre is nearly as
    close to another station as to its own invites the wrong pairing, which in a question
    image is a wrong answer waiting to happen.
    """
    C = np.array([geo.centers[s] for s in ids], dtype=float)
    mid = np.stack([(boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2], axis=1)
    own = np.sqrt(((mid - C[cs]) ** 2).sum(axis=1))
    # only stations within reach can compete: query the centres near each candidate
    pts = shapely.points(C)
    ci, si = STRtree(pts).query(shapely.points(mid), predicate="dwithin", distance=float(own.max(initial=0)) * 1.25)
    keep = si != cs[ci]
    ci, si = ci[keep], si[keep]
    other = np.sqrt(((mid[ci] - C[si]) ** 2).sum(axis=1))
    out = np.zeros(len(boxes))
    np.maximum.at(out, ci, (other < own[ci] * AMBIGUITY_RATIO).astype(float))
    return out


def marker_gaps(boxes: np.ndarray, centers: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """Distance from each box to each paired marker's edge (a disc of the marker's radius; 0 if touching).

    >>> marker_gaps(np.array([[10.0, 0, 20, 10]]), np.array([[0.0, 5]]), np.array([4.0]))
    array([6.])
    """
    dx = np.maximum.reduce([boxes[:, 0] - centers[:, 0], np.zeros(len(boxes)), centers[:, 0] - boxes[:, 2]])
    dy = np.maximum.reduce([boxes[:, 1] - centers[:, 1], np.zeros(len(boxes)), centers[:, 1] - boxes[:, 3]])
    return np.maximum(np.hypot(dx, dy) - radii, 0.0)


def _nearer_other(ids: list[str], geo: MapGeometry, boxes: np.ndarray, cs: np.ndarray) -> np.ndarray:
    """1.0 for a candidate that is as near to another station's marker as to its own, else 0.0.

    A reader pairs a label with the nearest marker; the gate demands it be the label's own.
    """
    C = np.array([geo.centers[s] for s in ids], dtype=float)
    R = np.array([geo.markers[s].radius for s in ids], dtype=float)
    own = marker_gaps(boxes, C[cs], R[cs])
    plain = shapely.box(boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3])
    reach = float(own.max(initial=0)) + float(R.max(initial=0)) + 2.0
    ci, si = STRtree(shapely.points(C)).query(plain, predicate="dwithin", distance=reach)
    keep = si != cs[ci]
    ci, si = ci[keep], si[keep]
    other = marker_gaps(boxes[ci], C[si], R[si])
    out = np.zeros(len(boxes))
    # half a pixel of margin: boxes are rounded to whole pixels after this test
    np.maximum.at(out, ci, (other <= own[ci] + 0.5).astype(float))
    return out


def _covers_line(geo: MapGeometry, boxes: np.ndarray) -> np.ndarray:
    """Whether each box, grown by half a line width, touches a drawn line segment (any line)."""
    if not geo.segments or not len(boxes):
        return np.zeros(len(boxes), dtype=bool)
    grow = geo.line_width / 2
    grown = shapely.box(boxes[:, 0] - grow, boxes[:, 1] - grow, boxes[:, 2] + grow, boxes[:, 3] + grow)
    segs = shapely.linestrings([[s.a, s.b] for s in geo.segments])
    bi, _ = STRtree(segs).query(grown, predicate="intersects")
    out = np.zeros(len(boxes), dtype=bool)
    out[bi] = True
    return out


_CHUNK = 2048


@dataclass(frozen=True)
class _Conflicts:
    """For each candidate, the candidates of other stations whose boxes overlap it (CSR arrays)."""

    ptr: np.ndarray  # candidate c's conflicts are idx[ptr[c]:ptr[c + 1]]
    idx: np.ndarray

    def of(self, c: int) -> np.ndarray:
        return self.idx[self.ptr[c]:self.ptr[c + 1]]


def _candidate_conflicts(boxes: np.ndarray, cs: np.ndarray) -> _Conflicts:
    """Overlapping candidate pairs of different stations (a dense city has millions: int32 CSR)."""
    # shrink a hair so that boxes that merely touch do not count as overlapping
    eps = 0.01
    geoms = shapely.box(boxes[:, 0] + eps, boxes[:, 1] + eps, boxes[:, 2] - eps, boxes[:, 3] - eps)
    tree = STRtree(geoms)
    parts_a, parts_b = [], []
    # in chunks: a station's own candidates all overlap each other, and the unfiltered pairs of
    # a whole dense city would take hundreds of MiB at once
    for lo in range(0, len(boxes), _CHUNK):
        a, b = tree.query(geoms[lo:lo + _CHUNK])  # envelopes of boxes: exact, and much faster
        a = a + lo
        keep = cs[a] != cs[b]
        parts_a.append(a[keep].astype(np.int32))
        parts_b.append(b[keep].astype(np.int32))
    a = np.concatenate(parts_a) if parts_a else np.zeros(0, dtype=np.int32)
    b = np.concatenate(parts_b) if parts_b else np.zeros(0, dtype=np.int32)
    order = np.argsort(a, kind="stable")
    ptr = np.searchsorted(a[order], np.arange(len(boxes) + 1)).astype(np.int64)
    return _Conflicts(ptr, b[order])


class _Board:
    """Chosen candidates, and for every candidate how many chosen labels overlap it.

    Keeping the overlap count up to date on each move makes a candidate's cost O(1), which
    matters when a canvas is far too small and every candidate overlaps hundreds of others.
    """

    def __init__(self, static: np.ndarray, conflicts: _Conflicts) -> None:
        self.static = static
        self.conflicts = conflicts
        self.occ = np.zeros(len(static), dtype=np.int32)

    def take(self, c: int) -> None:
        self.occ[self.conflicts.of(c)] += 1  # indices are unique per candidate: += is safe

    def drop(self, c: int) -> None:
        self.occ[self.conflicts.of(c)] -= 1

    def cost(self, c: int) -> float:
        return float(self.static[c]) + COST_LABEL * int(self.occ[c])

    def best(self, cands: range) -> int:
        costs = self.static[cands.start:cands.stop] + COST_LABEL * self.occ[cands.start:cands.stop]
        return cands.start + int(np.argmin(costs))  # first minimum: ties go to the lower index


def _choose(
    ids: list[str], cs: np.ndarray, static_arr: np.ndarray, conflicts: _Conflicts, graph: MetroGraph
) -> list[int]:
    n_st = len(ids)
    starts = np.searchsorted(cs, np.arange(n_st + 1))
    cands = [range(int(starts[i]), int(starts[i + 1])) for i in range(n_st)]
    good = [int((static_arr[cands[i].start:cands[i].stop] < COST_OWN_LINE).sum()) for i in range(n_st)]
    # hardest first; among equals, interchanges (most lines) first, then graph order
    order = sorted(range(n_st), key=lambda i: (good[i], -len(graph.lines_at(ids[i])), i))
    board = _Board(static_arr, conflicts)
    choice = [-1] * n_st
    for i in order:
        choice[i] = board.best(cands[i])
        board.take(choice[i])
    # iterated conditional modes: each label moves to its cheapest spot given all the others
    for _ in range(8):
        changed = False
        for i in order:
            cur = choice[i]
            board.drop(cur)
            best = board.best(cands[i])
            if board.cost(best) < board.cost(cur) - 1e-9:
                cur = best
                changed = True
            choice[i] = cur
            board.take(cur)
        if not changed:
            break
    _repair(choice, board, cands, cs)
    return choice


def _repair(choice: list[int], board: _Board, cands: list[range], cs: np.ndarray) -> None:
    """Move a blocked label to a better place by also moving the (at most two) labels in its way.

    Iterated conditional modes moves one label at a time, so it cannot take a free spot that
    a neighbour's label occupies even when that neighbour has another free spot: this does.
    """
    static, cost = board.static, board.cost
    owner = {c: i for i, c in enumerate(choice)}
    for _ in range(3):
        improved = False
        for i in range(len(choice)):
            cur = choice[i]
            cur_cost = cost(cur)
            if cur_cost < COST_OWN_LINE:
                continue
            for c in sorted(cands[i], key=lambda c: (float(static[c]), c)):
                if static[c] >= cur_cost:
                    break
                # occ counts the chosen labels over c, one per station: at most two blockers
                if not 0 < board.occ[c] <= 2:
                    continue
                blockers = sorted({owner[j] for j in board.conflicts.of(c).tolist() if j in owner and owner[j] != i})
                if not blockers or len(blockers) > 2:
                    continue
                before = cur_cost + sum(cost(choice[b]) for b in blockers)
                # tentatively take c and re-seat each blocker in its best spot
                board.drop(cur)
                for b in blockers:
                    board.drop(choice[b])
                board.take(c)
                moved = {}
                for b in blockers:
                    moved[b] = board.best(cands[b])
                    board.take(moved[b])
                after = cost(c) + sum(cost(moved[b]) for b in blockers)
                if after < before - 1e-9:
                    del owner[cur]
                    owner[c] = i
                    choice[i] = c
                    for b in blockers:
                        del owner[choice[b]]
                        owner[moved[b]] = b
                        choice[b] = moved[b]
                    improved = True
                    break
                for b in blockers:  # undo
                    board.drop(moved[b])
                board.drop(c)
                board.take(cur)
                for b in blockers:
                    board.take(choice[b])
        if not improved:
            break
