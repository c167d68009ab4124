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

    def covered(x: float, y: float) -> bool:
        return bool(((M[:, 0] - 2 <= x) & (x <= M[:, 2] + 2) & (M[:, 1] - 2 <= y) & (y <= M[:, 3] + 2)).any()
                    or ((L[:, 0] - 1 <= x) & (x <= L[:, 2] + 1) & (L[:, 1] - 1 <= y) & (y <= L[:, 3] + 1)).any())

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
