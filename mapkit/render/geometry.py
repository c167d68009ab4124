"""Everything a map draws, in pixels: canvas, line polylines, markers and the legend box.

:func:`build_geometry` turns a :class:`~mapkit.render.layout.Layout` into a
:class:`MapGeometry`: it fits the layout into the canvas (or sizes the canvas from the
style's station spacing), places the legend in a free corner (or beside the map when no
corner is free), spreads lines that share track into parallel strands, and sizes the
markers. Labels are placed afterwards (:mod:`mapkit.render.labels`) with this geometry
as their obstacles; drawing (:mod:`mapkit.render.draw`) reads the same object, so what the
manifest says is exactly what was drawn.

Example:
    >>> g, geo, fonts = example_geometry()  # toy_city, laid out and fitted with the default style
    >>> sorted(geo.services)[:1], geo.markers["b"].interchange, geo.markers["a"].interchange
    (['blue'], True, False)
"""

from __future__ import annotations

import colorsys
import math
import re
from dataclasses import dataclass, field

import numpy as np
from shapely import STRtree, box
from shapely.geometry import LineString

from mapkit.colour import hex_rgb
from mapkit.graph.model import MetroGraph
from mapkit.render.arrows import Arrow, build_arrows, oneway_edges
from mapkit.render.fonts import FontChain
from mapkit.render.layout import Layout
from mapkit.render.style import RenderStyle
from mapkit.render.tags import LINE_DELTA_E, Tag, build_tags, confusable_pairs, line_delta_e

_HEX = re.compile(r"^#?([0-9a-fA-F]{6})$")

Point = tuple[float, float]
Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Marker:
    """A station marker: centre, radius (px), ``interchange`` (served by several lines)."""

    center: Point
    radius: float
    interchange: bool
    shape: str  # "circle" or "square"
    fill: str
    stroke: str
    stroke_width: float

    @property
    def bbox(self) -> Box:
        """Pixel box ``(x0, y0, x1, y1)`` of the marker including its outline."""
        x, y = self.center
        r = self.radius
        return (x - r, y - r, x + r, y + r)


@dataclass(frozen=True)
class Segment:
    """One drawn piece of a line between two adjacent stations (``u``, ``v`` station ids)."""

    line_id: str
    u: str
    v: str
    a: Point
    b: Point


@dataclass
class LegendEntry:
    """One legend row: the line, its swatch box and its name's text box."""

    line_id: str
    name: str
    swatch: Box
    text_origin: Point
    text_bbox: Box


@dataclass
class Legend:
    """The legend panel: its box, the title (city name) and one entry per line."""

    bbox: Box
    title: str
    title_origin: Point
    title_bbox: Box
    entries: list[LegendEntry]
    font_size: int


@dataclass
class MapGeometry:
    """The drawn map in pixels (origin top-left, y down)."""

    width: int
    height: int
    scale: float
    centers: dict[str, Point]
    markers: dict[str, Marker]
    colors: dict[str, str]
    services: dict[str, list[list[Point]]]  # line id -> one polyline per service
    segments: list[Segment]
    legend: Legend | None
    line_width: float
    layout_method: str
    fonts: FontChain
    tags: list[Tag] = field(default_factory=list)  # line names drawn on the lines (mapkit.render.tags)
    confusable: set[frozenset[str]] = field(default_factory=set)  # line pairs a reader could mix up
    arrows: list[Arrow] = field(default_factory=list)  # direction chevrons on one-way edges (mapkit.render.arrows)
    # (line id, sorted edge) -> (from, to): every edge a line runs one way only, arrow or not
    oneway: dict[tuple[str, tuple[str, str]], tuple[str, str]] = field(default_factory=dict)


# --- colours -----------------------------------------------------------------------------


def normalise_hex(color: str | None) -> str | None:
    """``#rrggbb`` in lower case, or None when ``color`` is not a 6-digit hex colour.

    Example:
        >>> normalise_hex("E41A1C"), normalise_hex("red")
        ('#e41a1c', None)
    """
    if not color:
        return None
    m = _HEX.match(color.strip())
    return f"#{m.group(1).lower()}" if m else None


def line_colors(graph: MetroGraph, style: RenderStyle) -> dict[str, str]:
    """A distinct colour per line: the graph's own when the style allows, else the palette.

    Palette colours already taken by a graph colour are skipped; when the palette runs out,
    further hues come from the golden-ratio sequence (far apart, never the same twice).

    Example:
        >>> from mapkit.graph import toy_city
        >>> from mapkit.render.style import RenderStyle
        >>> line_colors(toy_city(), RenderStyle())["blue"]
        '#377eb8'
        >>> line_colors(toy_city(), RenderStyle(palette="vivid", use_graph_colors=False))["red"]
        '#d7191c'
    """
    out: dict[str, str] = {}
    if style.use_graph_colors:
        for ln in graph.lines.values():
            c = normalise_hex(ln.color)
            if c is not None:
                out[ln.id] = c
    # a palette colour that looks like a colour already on the map would merge two lines
    pool = [c for c in style.colors() if all(color_distance(c, u) >= DISTINCT for u in out.values())]
    extra = 0
    for ln in graph.lines.values():
        if ln.id in out:
            continue
        while pool and any(color_distance(pool[0], u) < DISTINCT for u in out.values()):
            pool.pop(0)
        if pool:
            # lines that meet get colours a reader tells apart (CIEDE2000), when the palette allows
            met = [out[x] for x in _lines_meeting(graph, ln.id) if x in out]
            pick = next((c for c in pool if all(line_delta_e(c, u) >= LINE_DELTA_E for u in met)), pool[0])
            pool.remove(pick)
            out[ln.id] = pick
            continue
        for _ in range(64):  # golden-ratio hues: the first one far enough from the rest wins
            h = (0.13 + extra * 0.618033988749895) % 1.0
            light = (0.42, 0.32, 0.52)[extra % 3]
            r, g, b = colorsys.hls_to_rgb(h, light, 0.75)
            c = f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"
            extra += 1
            if all(color_distance(c, u) >= DISTINCT / 2 for u in out.values()):
                break
        out[ln.id] = c
    return out


def _lines_meeting(graph: MetroGraph, line_id: str) -> list[str]:
    """Other lines that share a station with ``line_id``, in graph order."""
    at = set()
    for sid in graph.lines[line_id].station_ids:
        at.update(graph.lines_at(sid))
    return [x for x in graph.lines if x in at and x != line_id]


DISTINCT = 80.0
"""Smallest :func:`color_distance` between a palette colour and the colours already used."""


def color_distance(a: str, b: str) -> float:
    """Perceptual distance of two ``#rrggbb`` colours ("redmean" weighted RGB, 0 to ~765).

    Example:
        >>> color_distance("#d7191c", "#e41a1c") < 30 < color_distance("#d7191c", "#2b83ba")
        True
    """
    r1, g1, b1 = hex_rgb(a)
    r2, g2, b2 = hex_rgb(b)
    rm = (r1 + r2) / 2
    dr, dg, db = r1 - r2, g1 - g2, b1 - b2
    return math.sqrt((2 + rm / 256) * dr * dr + 4 * dg * dg + (2 + (255 - rm) / 256) * db * db)


# --- building ----------------------------------------------------------------------------


def example_geometry(style: RenderStyle | None = None) -> tuple[MetroGraph, MapGeometry, FontChain]:
    """``toy_city`` laid out and fitted by :func:`build_geometry`: the graph, its geometry and the font
    chain for all its texts, which the render modules' examples start from.

    Example:
        >>> g, geo, fonts = example_geometry()
        >>> len(geo.markers) == len(g.stations), geo.fonts is fonts
        (True, True)
    """
    from mapkit.graph import toy_city
    from mapkit.render.fonts import font_chain
    from mapkit.render.layout import layout_city
    from mapkit.render.style import DEFAULT_STYLE

    g = toy_city()
    fonts = font_chain([s.name for s in g.stations.values()] + [g.city] + [ln.name for ln in g.lines.values()])
    return g, build_geometry(g, layout_city(g), style or DEFAULT_STYLE, fonts), fonts


def build_geometry(
    graph: MetroGraph,
    layout: Layout,
    style: RenderStyle,
    fonts: FontChain,
) -> MapGeometry:
    """Fit ``layout`` to the style's canvas and compute every drawn shape (see module doc).

    About half a typical label is kept free around the map for the labels of outer stations.

    Example:
        >>> from mapkit.graph import toy_city
        >>> from mapkit.render.layout import layout_city
        >>> from mapkit.render.fonts import font_chain
        >>> from mapkit.render.style import RenderStyle
        >>> g = toy_city()
        >>> geo = build_geometry(g, layout_city(g), RenderStyle(width=800, height=600), font_chain(["toyville"]))
        >>> (geo.width, geo.height), all(0 < x < 800 and 0 < y < 600 for x, y in geo.centers.values())
        ((800, 600), True)
    """
    colors = line_colors(graph, style)
    ids = list(graph.stations)
    P = np.array([layout.positions[s] for s in ids], dtype=float)
    P -= P.min(axis=0)
    span = np.maximum(P.max(axis=0), 1e-9)
    reserve = 2.5 * style.font_size + style.line_width
    pad = style.margin + reserve
    # the legend is laid out once, relative to its corner, and moved to where it fits
    legend_rows = _legend_layout(graph, style, fonts) if style.legend else None
    legend_w, legend_h = (math.ceil(legend_rows[0]), math.ceil(legend_rows[1])) if legend_rows else (0, 0)
    index = {s: i for i, s in enumerate(ids)}
    E = np.array([(index[u], index[v]) for u, v in graph.graph.edges], dtype=int).reshape(-1, 2)

    if style.width is None or style.height is None:
        scale = float(style.station_spacing)
        if style.width is not None:
            scale = min(scale, (style.width - 2 * pad) / span[0]) if span[0] > 0 else scale
        if style.height is not None:
            scale = min(scale, (style.height - 2 * pad) / span[1]) if span[1] > 0 else scale
        scale = max(scale, 1e-3)
        width = style.width or int(math.ceil(span[0] * scale + 2 * pad))
        height = style.height or int(math.ceil(span[1] * scale + 2 * pad))
        origin = np.array([pad, pad])
        legend_box = None
        if style.legend:
            legend_box = _free_corner(P * scale + origin, E, width, height, legend_w, legend_h, style.margin)
            if legend_box is None:
                # no free corner: grow the canvas on its shorter side and put the legend there
                # (the label reserve of that side stays between the map and the legend)
                m = style.margin
                if width <= height:
                    legend_box = (width - m, m, width - m + legend_w, m + legend_h)
                    width = int(math.ceil(width + legend_w))
                else:
                    legend_box = (m, height - m, m + legend_w, height - m + legend_h)
                    height = int(math.ceil(height + legend_h))
        offset = origin
    else:
        width, height = style.width, style.height
        scale, offset, legend_box = _fit_fixed(P, E, span, width, height, pad, legend_w, legend_h, style)

    X = P * scale + offset
    X = np.round(X, 2)
    centers = {s: (float(x), float(y)) for s, (x, y) in zip(ids, X)}
    services, segments, max_offset = _strands(graph, centers, colors, style)
    markers = _markers(graph, centers, colors, style, max_offset)
    confusable = confusable_pairs(segments, colors)
    tags = (build_tags(graph, centers, services, {s: m.radius for s, m in markers.items()}, colors,
                       {lid for pair in confusable for lid in pair}, style.font_size, fonts)
            if style.line_tags else [])
    arrows = (build_arrows(graph, services, {s: m.radius for s, m in markers.items()}, centers,
                           np.array([t.bbox for t in tags], dtype=float), style.line_width, segments)
              if style.direction_arrows else [])
    legend = _legend(graph, style, legend_rows, legend_box) if legend_box is not None else None
    return MapGeometry(
        width=int(width), height=int(height), scale=float(scale), centers=centers, markers=markers,
        colors=colors, services=services, segments=segments, legend=legend,
        line_width=float(style.line_width), layout_method=layout.method, fonts=fonts, tags=tags,
        confusable=confusable, arrows=arrows, oneway=oneway_edges(graph),
    )


def _fit_fixed(
    P: np.ndarray, E: np.ndarray, span: np.ndarray, width: int, height: int, pad: float,
    legend_w: float, legend_h: float, style: RenderStyle,
) -> tuple[float, np.ndarray, Box | None]:
    """Scale and offset that fit the layout into a fixed canvas, with the legend placed."""
    def fit(x0: float, y0: float, x1: float, y1: float) -> tuple[float, np.ndarray]:
        aw, ah = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
        s = min(aw / span[0] if span[0] > 0 else math.inf, ah / span[1] if span[1] > 0 else math.inf)
        if not math.isfinite(s):
            s = 1.0
        used = span * s
        # centre the map in the available area
        return s, np.array([x0 + (aw - used[0]) / 2, y0 + (ah - used[1]) / 2])

    full = fit(pad, pad, width - pad, height - pad)
    if not style.legend:
        return full[0], full[1], None
    s, off = full
    corner = _free_corner(P * s + off, E, width, height, legend_w, legend_h, style.margin)
    if corner is not None:
        return s, off, corner
    gap = style.margin / 2
    # otherwise give the legend a strip: beside the map or below it, whichever keeps it larger
    right = fit(pad, pad, width - pad - legend_w - gap, height - pad)
    below = fit(pad, pad, width - pad, height - pad - legend_h - gap)
    m = style.margin
    if right[0] >= below[0]:
        return right[0], right[1], (width - m - legend_w, m, width - m, m + legend_h)
    return below[0], below[1], (m, height - m - legend_h, m + legend_w, height - m)


def _free_corner(
    X: np.ndarray, E: np.ndarray, width: float, height: float, lw: float, lh: float, margin: float
) -> Box | None:
    """The first canvas corner whose legend box (plus clearance) touches no station or edge."""
    m = margin / 2
    boxes = [
        (width - m - lw, m, width - m, m + lh),  # top right
        (m, m, m + lw, m + lh),  # top left
        (width - m - lw, height - m - lh, width - m, height - m),  # bottom right
        (m, height - m - lh, m + lw, height - m),  # bottom left
    ]
    segs = [LineString([tuple(X[a]), tuple(X[b])]) for a, b in E]
    tree = STRtree(segs) if segs else None
    clear = 3.0 * margin / 2
    for bx in boxes:
        x0, y0, x1, y1 = bx
        inside = ((X[:, 0] > x0 - clear) & (X[:, 0] < x1 + clear) & (X[:, 1] > y0 - clear) & (X[:, 1] < y1 + clear))
        if inside.any():
            continue
        if tree is not None and len(tree.query(box(x0 - clear, y0 - clear, x1 + clear, y1 + clear),
                                               predicate="intersects")):
            continue
        return bx
    return None


def _strands(
    graph: MetroGraph, centers: dict[str, Point], colors: dict[str, str], style: RenderStyle
) -> tuple[dict[str, list[list[Point]]], list[Segment], dict[str, float]]:
    """Polylines per service; lines sharing an edge are offset side by side (parallel strands).

    Strands on an edge are ordered by the graph's line order across the edge's *orientation*.
    Orientations are chosen to run the same way along each service (an edge first met by a
    line is oriented the way that line travels, continuing the orientation of the line's
    previous edge), so a line keeps its side of a shared corridor from station to station
    instead of swapping sides, and crossing its neighbours, at every stop.
    """
    order = {lid: i for i, lid in enumerate(graph.lines)}
    lw = float(style.line_width)
    orient: dict[frozenset[str], tuple[str, str]] = {}
    for ln in graph.lines.values():
        for br in ln.branches:
            flip = False
            for a, b in br.edges():
                key = frozenset((a, b))
                if key in orient:
                    flip = orient[key] != (a, b)
                else:
                    orient[key] = (b, a) if flip else (a, b)
    offset_of: dict[tuple[frozenset[str], str], float] = {}
    for u, v, lines in graph.graph.edges(data="lines"):
        ls = sorted(lines, key=order.__getitem__)
        k = len(ls)
        for i, lid in enumerate(ls):
            # strands touch: their centres are one line width apart
            offset_of[(frozenset((u, v)), lid)] = (i - (k - 1) / 2) * lw
    max_offset: dict[str, float] = dict.fromkeys(graph.stations, 0.0)

    def normal(a: str, b: str) -> np.ndarray:
        """Unit left normal of the edge {a, b} taken in its chosen orientation."""
        u, v = orient[frozenset((a, b))]
        d = np.subtract(centers[v], centers[u])
        n = np.linalg.norm(d)
        return np.zeros(2) if n < 1e-9 else np.array([-d[1], d[0]]) / n

    services: dict[str, list[list[Point]]] = {}
    segments: list[Segment] = []
    seen_segments: set[tuple[str, str, str]] = set()
    for ln in graph.lines.values():
        polys = []
        for br in ln.branches:
            seq = list(br.stations)
            if br.loop and len(seq) > 2:
                seq.append(seq[0])
            # signed offset vector for each edge of the service
            offs = []
            for a, b in zip(seq, seq[1:]):
                offs.append((normal(a, b), offset_of[(frozenset((a, b)), ln.id)]))
            pts: list[Point] = []
            closed = br.loop and len(br.stations) > 2
            for i, sid in enumerate(seq):
                c = np.array(centers[sid])
                before = offs[i - 1] if i > 0 else (offs[-1] if closed else None)
                after = offs[i] if i < len(offs) else (offs[0] if closed else None)
                m = _miter(before, after)
                max_offset[sid] = max(max_offset[sid], float(np.linalg.norm(m)))
                pts.append((round(float(c[0] + m[0]), 2), round(float(c[1] + m[1]), 2)))
            polys.append(pts)
            for (a, b), p, q in zip(zip(seq, seq[1:]), pts, pts[1:]):
                key = (min(a, b), max(a, b), ln.id)
                if key not in seen_segments:  # a shared trunk is drawn once per line
                    seen_segments.add(key)
                    segments.append(Segment(ln.id, a, b, p, q))
        services[ln.id] = polys
    return services, segments, max_offset


def _miter(
    before: tuple[np.ndarray, float] | None, after: tuple[np.ndarray, float] | None
) -> np.ndarray:
    """Offset of a polyline vertex so that both offset edges meet there (bounded at sharp turns)."""
    parts = [p for p in (before, after) if p is not None]
    if not parts:
        return np.zeros(2)
    if len(parts) == 1 or (not parts[0][1] and not parts[1][1]):
        n, s = parts[0]
        return n * s
    (n1, s1), (n2, s2) = parts
    det = n1[0] * n2[1] - n1[1] * n2[0]
    if abs(det) < 0.2:  # (nearly) parallel edges: the two offsets agree or jog; average them
        return (n1 * s1 + n2 * s2) / 2
    # solve m.n1 = s1 and m.n2 = s2
    m = np.array([s1 * n2[1] - s2 * n1[1], n1[0] * s2 - n2[0] * s1]) / det
    limit = 2.0 * max(abs(s1), abs(s2))
    norm = float(np.linalg.norm(m))
    return m if norm <= limit or norm == 0 else m * (limit / norm)


def _markers(
    graph: MetroGraph, centers: dict[str, Point], colors: dict[str, str], style: RenderStyle,
    max_offset: dict[str, float],
) -> dict[str, Marker]:
    out = {}
    dark = "#1f1f1f"
    for sid in graph.stations:
        lines = graph.lines_at(sid)
        inter = len(lines) > 1
        if inter:
            # big enough to cover every strand passing through, with a visible white centre
            r = max(float(style.interchange_radius), max_offset[sid] + style.line_width / 2 + 2)
            out[sid] = Marker(centers[sid], r, True, "circle", "#ffffff", dark,
                              max(2.0, style.line_width / 2.5))
        else:
            stroke = colors[lines[0]] if (lines and style.marker_style == "ring") else dark
            shape = "square" if style.marker_style == "square" else "circle"
            r = max(float(style.marker_radius), style.line_width / 2 + 1.5)
            out[sid] = Marker(centers[sid], r, False, shape, "#ffffff", stroke, max(1.5, style.line_width / 3))
    return out


# --- legend ------------------------------------------------------------------------------


def _legend_font_size(style: RenderStyle) -> int:
    return max(12, style.font_size)


def _legend_layout(
    graph: MetroGraph, style: RenderStyle, fonts: FontChain
) -> tuple[float, float, list[tuple[str, str, Box, Point, Box]], tuple[Point, Box]]:
    """Legend rows relative to the legend's top-left corner: (width, height, rows, title)."""
    size = _legend_font_size(style)
    pad = size * 0.75
    swatch_w = size * 2.2
    row_h = size * 1.6
    title = f"{graph.city}"
    tface = fonts.face_for(title).load(round(size * 1.25))
    tb = tface.getbbox(title)
    title_origin = (pad - tb[0], pad - tb[1])
    title_box = (pad, pad, pad + tb[2] - tb[0], pad + tb[3] - tb[1])
    y = title_box[3] + pad * 0.8
    rows = []
    width = title_box[2] + pad
    for ln in graph.lines.values():
        font = fonts.face_for(ln.name).load(size)
        bb = font.getbbox(ln.name)
        cy = y + row_h / 2
        sw = (pad, cy - style.line_width / 2, pad + swatch_w, cy + style.line_width / 2)
        tx = pad + swatch_w + pad * 0.8
        h = bb[3] - bb[1]
        origin = (tx - bb[0], cy - h / 2 - bb[1])
        tbox = (tx, cy - h / 2, tx + bb[2] - bb[0], cy + h / 2)
        rows.append((ln.id, ln.name, sw, origin, tbox))
        width = max(width, tbox[2] + pad)
        y += row_h
    return width, y + pad * 0.6, rows, (title_origin, title_box)


def _legend(
    graph: MetroGraph, style: RenderStyle,
    laid_out: tuple[float, float, list[tuple[str, str, Box, Point, Box]], tuple[Point, Box]], where: Box,
) -> Legend:
    """The legend of :func:`_legend_layout` moved to its corner ``where``."""
    x0, y0 = round(where[0]), round(where[1])
    w, h, rows, (t_origin, t_box) = laid_out

    def sh(b: Box) -> Box:
        return (b[0] + x0, b[1] + y0, b[2] + x0, b[3] + y0)

    entries = [
        LegendEntry(lid, name, sh(sw), (origin[0] + x0, origin[1] + y0), sh(tb))
        for lid, name, sw, origin, tb in rows
    ]
    return Legend(
        bbox=(x0, y0, x0 + math.ceil(w), y0 + math.ceil(h)),
        title=graph.city,
        title_origin=(t_origin[0] + x0, t_origin[1] + y0),
        title_bbox=sh(t_box),
        entries=entries,
        font_size=_legend_font_size(style),
    )
