"""What a reader needs from a map (issue 14), checked on the manifest and the pixels, independently of the gate.

Built from failures seen on real renders: on synthetic:3 a label sat nearer another station's dot than its
own, a line ran through a label, two font sizes shared the map; New York's trunk services share one colour
and Shanghai has lines in nearly the same colour, with names only in the legend. Each test measures the
picture itself (manifest boxes, polylines and PNG pixels), so it fails on a renderer that draws those maps.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import shapely
from PIL import Image

from mapkit.colour import delta_e
from mapkit.graph import Branch, Line, MetroGraph, Station
from mapkit.render import render_city

MAX_GAP_EM = 1.25  # the distance the gate states: label box to marker edge, in font sizes


@pytest.fixture(scope="module")
def synthetic3(tmp_path_factory):
    from mapkit.sources import load_city

    res = render_city(load_city("synthetic:3"), tmp_path_factory.mktemp("s3"))
    return json.loads(res.manifest_path.read_text()), np.asarray(Image.open(res.png_path).convert("RGB"))


def _gap(box, center, radius):
    x0, y0, x1, y1 = box
    cx, cy = center
    dx = max(x0 - cx, 0.0, cx - x1)
    dy = max(y0 - cy, 0.0, cy - y1)
    return max(math.hypot(dx, dy) - radius, 0.0)


def test_every_label_is_nearest_its_own_marker_and_close_to_it(synthetic3):
    m, _ = synthetic3
    stations = m["stations"]
    wrong = []
    for s in stations:
        own = _gap(s["label_bbox"], s["center"], (s["marker_bbox"][2] - s["marker_bbox"][0]) / 2)
        nearest = min(
            (_gap(s["label_bbox"], o["center"], (o["marker_bbox"][2] - o["marker_bbox"][0]) / 2), o["name"])
            for o in stations if o["id"] != s["id"]
        )
        if nearest[0] <= own or own > MAX_GAP_EM * s["label_size"]:
            wrong.append((s["name"], round(own, 1), nearest))
    assert not wrong, wrong


def test_no_line_runs_through_a_label_unless_a_halo_keeps_it_legible(synthetic3):
    m, img = synthetic3
    lw = m["settings"]["style"]["line_width"]
    lines_at = {s["id"]: set(s["lines"]) for s in m["stations"]}
    bad = []
    for s in m["stations"]:
        x0, y0, x1, y1 = s["label_bbox"]
        grown = shapely.box(x0 - lw / 2, y0 - lw / 2, x1 + lw / 2, y1 + lw / 2)
        for ln in m["lines"]:
            if not any(shapely.intersects(grown, shapely.LineString(p)) for p in ln["polylines"]):
                continue
            if not (s.get("label_over_line") and ln["id"] in lines_at[s["id"]]):
                bad.append((s["name"], ln["name"]))
                continue
            # the halo carves the line away around the text: inside the box, every pixel of the line's
            # colour is at least 2 px from any text ink (near the label colour)
            patch = img[int(y0):int(y1), int(x0):int(x1)].astype(int)
            col = np.array([int(ln["color"][i:i + 2], 16) for i in (1, 3, 5)])
            line_px = (np.abs(patch - col).sum(axis=2) < 30)
            ink_rgb = np.array([int(m["settings"]["style"]["label_color"][i:i + 2], 16) for i in (1, 3, 5)])
            ink = np.abs(patch - ink_rgb).sum(axis=2) < 120
            ys, xs = np.nonzero(line_px)
            for y, x in zip(ys.tolist(), xs.tolist()):
                assert not ink[max(0, y - 2):y + 3, max(0, x - 2):x + 3].any(), (s["name"], ln["name"], x, y)
    # a line may pass under a label of its own station (haloed), never through anyone else's
    assert not bad, bad


def test_one_label_size_per_map(synthetic3):
    m, _ = synthetic3
    assert len({s["label_size"] for s in m["stations"]}) == 1


def _twins(color_b: str) -> MetroGraph:
    """Two services sharing a trunk then splitting (New York's 2 and 3), coloured alike or nearly."""
    st = [Station(f"s{i}", f"Stop {i}", coords=(float(x), float(y))) for i, (x, y) in enumerate(
        [(0, 0), (1, 0), (2, 0), (3, 0), (4, -1), (5, -2), (4, 1), (5, 2), (0, 2), (1, 2)])]
    lines = [
        Line("2", "2", (Branch(("s0", "s1", "s2", "s3", "s4", "s5")),), color="#e71a40"),
        Line("3", "3", (Branch(("s8", "s9", "s1", "s2", "s3", "s6", "s7")),), color=color_b),
        Line("7", "7", (Branch(("s8", "s0")),), color="#1a7cbf"),
    ]
    return MetroGraph(city="twins", country="nowhere", stations=st, lines=lines)


@pytest.mark.parametrize("color_b", ["#e71a40", "#d40068"], ids=["same colour", "near colour"])
def test_lines_too_close_in_colour_carry_their_name_on_every_run(color_b, tmp_path):
    g = _twins(color_b)
    assert delta_e("#e71a40", color_b) < 20
    res = render_city(g, tmp_path)
    m = json.loads(res.manifest_path.read_text())
    img = np.asarray(Image.open(res.png_path).convert("RGB"))
    for ln in m["lines"][:2]:
        tags = ln.get("tags", [])
        named = {tuple(e) for t in tags for e in t["run"]}
        edges = {tuple(sorted(e)) for e in g.lines[ln["id"]].branches[0].edges()}
        assert edges <= named, (ln["name"], edges - named)  # a strand always leads to its own tag
        for t in tags:
            assert t["text"] == ln["name"]
            x, y = t["center"]
            # the bullet is drawn: the line's colour around its text
            x0, y0, x1, y1 = (int(v) for v in t["bbox"])
            patch = img[y0 + 1:y1 - 1, x0 + 1:x1 - 1].reshape(-1, 3)
            col = np.array([int(ln["color"][i:i + 2], 16) for i in (1, 3, 5)])
            assert (patch == col).all(axis=1).mean() > 0.3
        assert ln["readable"] is True


def test_every_line_is_named_on_the_map_not_only_in_the_legend(tmp_path, load_real):
    res = render_city(load_real("budapest"), tmp_path)
    m = json.loads(res.manifest_path.read_text())
    for ln in m["lines"]:
        assert ln.get("tags"), ln["name"]


def test_unreadable_lines_are_not_asked_about(tmp_path):
    from dataclasses import replace

    from mapkit.render import DEFAULT_STYLE
    from mapkit.render.gate import item_lines_readable, readable_lines

    g = _twins("#e71a40")
    # without tags two same-coloured lines cannot be told apart: the gate refuses, a forced render says so
    res = render_city(g, tmp_path, style=replace(DEFAULT_STYLE, line_tags=False), force=True)
    m = json.loads(res.manifest_path.read_text())
    assert any("ΔE" in f for f in res.failures)
    readable = readable_lines(m)
    assert readable == {"7"}
    ask_2 = {"type": "torf2", "mapkit": {"line_ids": ["2"], "station_ids": ["s0"]}}
    ask_7 = {"type": "torf2", "mapkit": {"line_ids": ["7"], "station_ids": ["s8"]}}
    lines_at_s1 = {"type": "counting2", "mapkit": {"line_ids": [], "station_ids": ["s1"]}}
    assert not item_lines_readable(ask_2, g, readable)
    assert item_lines_readable(ask_7, g, readable)
    assert not item_lines_readable(lines_at_s1, g, readable)


def test_layout_follows_compass_names_and_partial_coordinates():
    from mapkit.render.layout import layout_city

    names = ["Central", "Central North", "Central South", "Harbour East", "Harbour West", "Mill", "Ford"]
    st = [Station(f"s{i}", n) for i, n in enumerate(names)]
    lines = [
        Line("a", "A", (Branch(("s1", "s0", "s2", "s5")),)),
        Line("b", "B", (Branch(("s4", "s0", "s3", "s6")),)),
    ]
    g = MetroGraph(city="compass", country="nowhere", stations=st, lines=lines)
    for seed in range(4):  # whatever way a seed turns the drawing, the names put it right
        p = layout_city(g, seed=seed, mode="schematic").positions
        assert p["s1"][1] < p["s0"][1] < p["s2"][1], seed  # north above south (y down)
        assert p["s4"][0] < p["s0"][0] < p["s3"][0], seed  # west left of east
    # a few stations with coordinates (a curation overlay) orient the rest
    half = [Station(f"t{i}", f"T{i}", coords=((0.0, 0.0), (100.0, 0.0), (200.0, 0.0), None, None)[i]) for i in range(5)]
    g2 = MetroGraph(city="half", country="nowhere", stations=half,
                    lines=[Line("a", "A", (Branch(("t0", "t1", "t2", "t3", "t4")),))])
    for seed in range(4):
        p = layout_city(g2, seed=seed).positions
        assert p["t0"][0] < p["t1"][0] < p["t2"][0], seed


def test_robustness_set_renders_each_style_and_splits_items_by_it(tmp_path, toy):
    from mapkit.render.robustness import parse_styles, render_styles, split_by_style

    res = render_styles(toy, tmp_path / "maps", parse_styles("default,seed-1,seed-2"))
    assert [r.png_path.name for r in res] == ["toyville--default.png", "toyville--seed-1.png", "toyville--seed-2.png"]
    rows = [{"id": i, "figure": f"./maps/{r.png_path.name}"} for i, r in enumerate(res)] + [
        {"id": 9, "figure": "./maps/real.png"}]
    split = split_by_style(rows, tmp_path)
    assert {k: [r["id"] for r in v] for k, v in split.items()} == {
        "default": [0], "seed-1": [1], "seed-2": [2], "real": [9]}


def test_shanghai_is_drawn_the_right_way_round(load_real):
    """Reported mirrored: its names' compass words (南京东路/南京西路, 上海南站 ...) now orient it."""
    from mapkit.render.layout import layout_city

    g = load_real("shanghai")
    p = layout_city(g).positions
    at = {s.name: p[s.id] for s in g.stations.values()}
    assert at["浦东国际机场站"][0] > at["人民广场站"][0] > at["虹桥2号航站楼站"][0]  # Pudong east, Hongqiao west
    assert at["上海南站"][1] > at["人民广场站"][1] > at["宝山路站"][1]  # south below, north above (y down)


def test_untangler_swaps_two_stations_put_on_the_wrong_sides_of_each_other():
    """Two parallel lines whose middle stations the stress layout exchanged cross twice; swapping the two
    back removes both crossings (a single-station move cannot: each station is pinned by its line)."""
    import numpy as np

    from mapkit.render.layout import _Untangler

    P = np.array([[0, 0], [1, 1], [2, 0], [0, 1], [1, 0], [2, 1]], dtype=float) * 2.0
    edges = np.array([[0, 1], [1, 2], [3, 4], [4, 5]])
    triples = np.array([[0, 1, 2], [3, 4, 5]])
    u = _Untangler(P, edges, triples, np.full(4, 2.0))
    assert len(u.crossing_pairs()) == 2
    assert u.swap_crossings()
    assert u.crossing_pairs() == []
    # stations exchanged places, nothing else moved: the same six spots, each line straight again
    assert sorted(map(tuple, u.P.tolist())) == sorted(map(tuple, P.tolist()))
    assert all(len({y for _, y in u.P[list(t)].tolist()}) == 1 for t in triples)


def test_new_york_is_turned_north_up_by_its_curated_geo_hints(load_real):
    """The curation's rough positions of a few stations turn the schematic layout: 59 St-Columbus Circle
    north of 14 St-Union Sq (issue 14 saw it drawn south), Queens east, Coney Island south."""
    from mapkit.render.layout import layout_city

    g = load_real("new-york")
    assert sum(s.coords is not None for s in g.stations.values()) >= 10
    P = layout_city(g).positions  # y grows downwards
    assert P["59-st-columbus-circle-station"][1] < P["14-st-union-sq-station"][1]
    assert P["flushing-main-st-station"][0] > P["times-sq-42-st-station"][0]
    assert P["coney-island-stillwell-av-station"][1] > P["atlantic-av-barclays-ctr-station"][1]
    assert P["161-st-yankee-stadium-station"][1] < P["times-sq-42-st-station"][1]
