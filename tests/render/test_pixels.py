"""The manifest tells the truth about the pixels: read each PNG back and check every claim."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from mapkit.schemas import schema_errors
from PIL import Image

from mapkit.render import load_manifest, render_city, style_from_seed


def rgb(color: str) -> tuple[int, int, int]:
    c = color.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def pixel(img: np.ndarray, x: float, y: float) -> tuple[int, int, int]:
    return tuple(int(v) for v in img[int(math.floor(y)), int(math.floor(x))])


def inside(box: list[float], x: float, y: float, pad: float = 0.0) -> bool:
    return box[0] - pad <= x <= box[2] + pad and box[1] - pad <= y <= box[3] + pad


def overlap(a: list[float], b: list[float]) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > 0 and min(a[3], b[3]) - max(a[1], b[1]) > 0


def check_render(manifest_path: Path) -> dict:
    """Assert every pixel claim of a manifest; returns the manifest for further checks."""
    m = load_manifest(manifest_path)
    assert schema_errors(m, "render-manifest") == []
    img = np.asarray(Image.open(manifest_path.parent / m["image"]).convert("RGB"))
    assert img.shape == (m["height"], m["width"], 3)
    stations = m["stations"]
    markers = [s["marker_bbox"] for s in stations]
    labels = [s["label_bbox"] for s in stations]
    ink = rgb(m["settings"]["style"]["label_color"])

    for s in stations:
        x, y = s["center"]
        # the marker is drawn there: its fill colour at the very centre, its outline inside its box
        assert pixel(img, x, y) == rgb(s["marker"]["fill"]), s["name"]
        x0, y0, x1, y1 = (int(round(v)) for v in s["marker_bbox"])
        patch = img[max(y0, 0):y1, max(x0, 0):x1].reshape(-1, 3)
        assert (patch == rgb(s["marker"]["stroke"])).all(axis=1).any(), s["name"]
        # the marker and the label are inside the image
        for box in (s["marker_bbox"], s["label_bbox"]):
            assert box[0] >= 0 and box[1] >= 0 and box[2] <= m["width"] and box[3] <= m["height"], s["name"]

    M = np.array(markers, dtype=float)
    L = np.array(labels, dtype=float)
    for i, s in enumerate(stations):
        # each label box has ink of the label colour (its text)
        x0, y0, x1, y1 = (int(v) for v in s["label_bbox"])
        patch = img[y0:y1, x0:x1].reshape(-1, 3).astype(int)
        dark = (np.abs(patch - ink).sum(axis=1) < 90).sum()
        assert dark >= 0.025 * len(patch), f"label of {s['name']} has no ink"
        # ... and no other label's box, and no other station's marker, intersects it
        for what, boxes in (("label", L), ("marker", M)):
            w = np.minimum(boxes[:, 2], L[i, 2]) - np.maximum(boxes[:, 0], L[i, 0])
            h = np.minimum(boxes[:, 3], L[i, 3]) - np.maximum(boxes[:, 1], L[i, 1])
            hit = (w > 0) & (h > 0)
            hit[i] = False
            assert not hit.any(), (s["name"], what, [stations[j]["name"] for j in np.nonzero(hit)[0]])

    # line tags: a bullet of the line's colour on the line (its text in black or white)
    T = np.array([t["bbox"] for ln in m["lines"] for t in ln.get("tags", [])], dtype=float).reshape(-1, 4)
    for ln in m["lines"]:
        for t in ln.get("tags", []):
            x0, y0, x1, y1 = t["bbox"]
            patch = img[int(y0) + 1:int(y1) - 1, int(x0) + 1:int(x1) - 1].reshape(-1, 3)
            assert (patch == rgb(ln["color"])).all(axis=1).mean() > 0.3, (ln["name"], t["text"])

    def covered(x: float, y: float) -> bool:
        return bool(((M[:, 0] - 2 <= x) & (x <= M[:, 2] + 2) & (M[:, 1] - 2 <= y) & (y <= M[:, 3] + 2)).any()
                    or ((L[:, 0] - 1 <= x) & (x <= L[:, 2] + 1) & (L[:, 1] - 1 <= y) & (y <= L[:, 3] + 1)).any()
                    or ((T[:, 0] - 1 <= x) & (x <= T[:, 2] + 1) & (T[:, 1] - 1 <= y) & (y <= T[:, 3] + 1)).any())

    for ln in m["lines"]:
        color = rgb(ln["color"])
        samples = hits = 0
        for poly in ln["polylines"]:
            for px, py in poly:
                # polyline points are station positions: on the line, or under that station's marker
                under = [s for s, box in zip(stations, markers) if inside(box, px, py)]
                allowed = {color} | {rgb(s["marker"][k]) for s in under for k in ("fill", "stroke")}
                assert pixel(img, px, py) in allowed, (ln["name"], px, py)
            for (ax, ay), (bx, by) in zip(poly, poly[1:]):
                n = max(1, int(math.hypot(bx - ax, by - ay) // 6))
                for k in range(1, n):
                    x, y = ax + (bx - ax) * k / n, ay + (by - ay) * k / n
                    if covered(x, y):
                        continue
                    samples += 1
                    hits += pixel(img, x, y) == color
        # between stations the line is its own colour, except where another line crosses on top
        assert samples and hits >= 0.97 * samples, (ln["name"], hits, samples)
    if m["legend"] is not None:
        for e in m["legend"]["entries"]:
            sx0, sy0, sx1, sy1 = e["swatch_bbox"]
            color = next(ln["color"] for ln in m["lines"] if ln["id"] == e["line_id"])
            assert pixel(img, (sx0 + sx1) / 2, (sy0 + sy1) / 2) == rgb(color)
    assert m["gate"] == {"passed": True, "failures": []}
    return m


def test_synthetic_manifest_matches_pixels(rendered_synthetic, synthetic):
    m = check_render(rendered_synthetic.manifest_path)
    assert m["settings"]["layout"] == "coords"
    assert m["graph_hash"] == synthetic.content_hash
    assert {s["id"] for s in m["stations"]} == set(synthetic.stations)
    assert [ln["id"] for ln in m["lines"]] == list(synthetic.lines)


def test_beijing_cjk_render_matches_pixels(rendered_beijing, load_real):
    g = load_real("beijing")
    m = check_render(rendered_beijing.manifest_path)
    assert m["settings"]["layout"] == "schematic"
    assert rendered_beijing.passed and rendered_beijing.figures.label_overlaps == 0
    # every name is Chinese: the face drawing them must cover CJK
    from mapkit.render.fonts import font_chain

    assert font_chain([s.name for s in g.stations.values()]).primary.covers("西直门站")
    assert {s["name"] for s in m["stations"]} == {s.name for s in g.stations.values()}
    assert sum(s["interchange"] for s in m["stations"]) == sum(len(g.lines_at(s)) > 1 for s in g.stations)


@pytest.mark.parametrize("style_seed", [1, 4])
def test_style_variations_match_pixels(synthetic, tmp_path, style_seed):
    res = render_city(synthetic, tmp_path, style=style_from_seed(style_seed).with_size(2048, 2048))
    m = check_render(res.manifest_path)
    assert m["settings"]["style_seed"] == style_seed


def test_accented_names_shared_track_and_loop(accents, tmp_path):
    res = render_city(accents, tmp_path, svg=True)
    m = check_render(res.manifest_path)
    lines = {ln["id"]: ln for ln in m["lines"]}
    # Ligne A and Ligne B share s1-s2-s3: drawn as parallel strands one line width apart
    width = m["settings"]["style"]["line_width"]
    (a1, a2), (b1, b2) = lines["a"]["polylines"][0][1:3], lines["b"]["polylines"][0][1:3]
    mid = ((a1[0] + a2[0]) / 2, (a1[1] + a2[1]) / 2)
    dx, dy = b2[0] - b1[0], b2[1] - b1[1]
    gap = abs(dx * (mid[1] - b1[1]) - dy * (mid[0] - b1[0])) / math.hypot(dx, dy)
    assert math.isclose(gap, width, rel_tol=0.05)
    # the loop is closed, the line without a colour got one from the palette
    ring = lines["c"]["polylines"][0]
    assert ring[0] == ring[-1] and lines["c"]["color"].startswith("#")
    svg = res.svg_path.read_text(encoding="utf-8")
    assert "Zürich HB" in svg and svg.count("<polyline") == 3


# --- sub-pixel placement ------------------------------------------------------------------
# Manifest coordinates are pixel edges: pixel (i, j) covers [i, i+1) x [j, j+1), its centre is
# (i + 0.5, j + 0.5). The ink of a marker or a straight line must be centred on the manifest's
# point, for the aliased (supersample 1) styles as for the supersampled ones.


def _ink(img: np.ndarray, bg: tuple[int, int, int]) -> np.ndarray:
    return np.abs(img.astype(float) - np.array(bg, dtype=float)).sum(axis=2)


def _centroid(weights: np.ndarray, start: int) -> float:
    """Ink-weighted mean of pixel centres ``start + i + 0.5`` along one axis."""
    pos = start + np.arange(len(weights)) + 0.5
    return float((weights * pos).sum() / weights.sum())


def _bare_geometry(style, markers=None, services=None):
    from mapkit.render.fonts import font_chain
    from mapkit.render.geometry import MapGeometry

    return MapGeometry(
        width=160, height=160, scale=1.0, centers={}, markers=markers or {}, colors={"l": "#2b83ba"},
        services=services or {}, segments=[], legend=None, line_width=float(style.line_width),
        layout_method="coords", fonts=font_chain(["x"]),
    )


# seeds 1 and 4 draw aliased (supersample 1, even and odd line widths), 0 and 2 supersample by 2
@pytest.mark.parametrize("style_seed", [1, 4, 0, 2])
def test_marker_ink_is_centred_on_manifest_coordinates(style_seed):
    from mapkit.render.draw import draw_png
    from mapkit.render.geometry import Marker

    style = style_from_seed(style_seed)
    ss = style.supersample
    assert ss == (1 if style_seed in (1, 4) else 2)
    bg = rgb(style.background)
    r = max(float(style.marker_radius), style.line_width / 2 + 1.5)
    markers = {
        f"m{i}": Marker((float(x), float(y)), rad, inter, shape, "#ffffff", "#1f1f1f", sw)
        for i, (x, y, rad, inter, shape, sw) in enumerate([
            (40, 40, r, False, "circle", max(1.5, style.line_width / 3)),
            (100, 40, r, False, "square", max(1.5, style.line_width / 3)),
            (40, 110, float(style.interchange_radius), True, "circle", 2.0),
            (100, 110, 6.0, False, "circle", 2.0),
        ])
    }
    img = np.asarray(draw_png(_bare_geometry(style, markers=markers), {}, style))
    ink = _ink(img, bg)
    for m in markers.values():
        x0, y0, x1, y1 = (int(v) for v in m.bbox)
        win = ink[y0 - 3:y1 + 4, x0 - 3:x1 + 4]
        cx = _centroid(win.sum(axis=0), x0 - 3)
        cy = _centroid(win.sum(axis=1), y0 - 3)
        assert abs(cx - m.center[0]) <= 0.15 and abs(cy - m.center[1]) <= 0.15, (m, cx, cy)
        # no ink outside the marker's box
        assert win.sum() == ink[y0:y1, x0:x1].sum(), (m, "ink outside marker_bbox")



@pytest.mark.parametrize("style_seed", [1, 4, 0, 2])
def test_line_ink_is_centred_on_manifest_coordinates(style_seed):
    from mapkit.render.draw import draw_png

    style = style_from_seed(style_seed)
    ss = style.supersample
    bg = rgb(style.background)
    lw_ss = max(1, round(style.line_width * ss))
    # a horizontal and a vertical line, placed where the line's width can be centred exactly:
    # at a pixel edge of the supersampled canvas for even widths there, at a pixel centre for odd
    off = (lw_ss % 2) / 2 / ss
    hy, vx = 60 + off, 90 + off
    services = {"l": [[(20.0, hy), (140.0, hy)], [(vx, 20.0), (vx, 140.0)]]}
    img = np.asarray(draw_png(_bare_geometry(style, services=services), {}, style))
    ink = _ink(img, bg)
    band = int(style.line_width) + 3
    for x in (30, 50, 120):  # columns crossing the horizontal line away from the vertical one
        col = ink[int(hy) - band:int(hy) + band + 1, x]
        cy = _centroid(col, int(hy) - band)
        assert abs(cy - hy) <= 0.15, ("horizontal", x, hy, cy)
        full = np.abs(np.array(rgb("#2b83ba")) - bg).sum()  # the ink of one pixel of line colour
        assert abs(col.sum() / full - style.line_width) <= 0.5, ("horizontal width", col.sum() / full)
    for y in (30, 100, 130):
        row = ink[y, int(vx) - band:int(vx) + band + 1]
        cx = _centroid(row, int(vx) - band)
        assert abs(cx - vx) <= 0.15, ("vertical", y, vx, cx)
