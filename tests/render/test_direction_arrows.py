"""One-way services show their direction on the map: a chevron on every one-way edge, pointing the way the
trains run, read back from the PNG; the gate refuses a map that lacks one, and questions whose answer
depends on the direction are asked only about maps that show it."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from mapkit.errors import LegibilityError
from mapkit.graph.examples import oneway_city
from mapkit.render import DEFAULT_STYLE, render_city
from mapkit.render.arrows import oneway_edges
from mapkit.render.gate import item_lines_readable, readable_lines


@pytest.fixture(scope="module")
def oneway_render(tmp_path_factory):
    res = render_city(oneway_city(), tmp_path_factory.mktemp("ow"))
    return res, json.loads(res.manifest_path.read_text()), np.asarray(Image.open(res.png_path).convert("RGB"))


def test_one_way_edges_are_those_a_line_runs_one_way_only():
    e = oneway_edges(oneway_city())
    ring = [("abbey", "bridge"), ("bridge", "castle"), ("castle", "dock"), ("dock", "elm"), ("elm", "forge"),
            ("forge", "abbey")]
    want = {("ring", tuple(sorted(p))): p for p in ring}
    # the airport's outbound and return services share Gate-Castle-Junction: both ways there, no arrow
    want.update({("airport", ("junction", "t3")): ("junction", "t3"), ("airport", ("t2", "t3")): ("t3", "t2"),
                 ("airport", ("junction", "t2")): ("t2", "junction")})
    assert e == want


def test_every_one_way_edge_carries_one_arrow_pointing_the_way_trains_run(oneway_render):
    res, m, _ = oneway_render
    assert res.passed and m["figures"]["oneway_edges"] == 9 and m["figures"]["arrows_missing"] == 0
    centers = {s["id"]: np.array(s["center"]) for s in m["stations"]}
    got = {}
    for ln in m["lines"]:
        for a in ln["arrows"]:
            got[(ln["id"], a["from"], a["to"])] = a
            # the chevron sits between its two stations and its apex points from `from` towards `to`
            p, q = centers[a["from"]], centers[a["to"]]
            u = (q - p) / np.linalg.norm(q - p)
            apex, c = np.array(a["points"][0]), np.array(a["center"])
            assert np.dot(apex - c, u) > 0
            assert 0 < np.dot(c - p, u) < np.linalg.norm(q - p)
    want = {(lid, frm, to) for (lid, _), (frm, to) in oneway_edges(oneway_city()).items()}
    assert set(got) == want
    assert all(ln["readable"] for ln in m["lines"])
    assert not [ln for ln in m["lines"] if ln["id"] == "fork"][0]["arrows"]


def _frame(img, center, u, reach, skip=()):
    """Pixels around ``center`` as (along u, across u, rgb) for every pixel within ``reach``, but those in
    the ``skip`` boxes (tags and markers: a tag is drawn in its line's colour)."""
    cx, cy = center
    ys, xs = np.mgrid[int(cy - reach):int(cy + reach) + 1, int(cx - reach):int(cx + reach) + 1]
    xs, ys = xs.ravel(), ys.ravel()
    keep = np.ones(len(xs), dtype=bool)
    for x0, y0, x1, y1 in skip:
        keep &= ~((xs + 1 > x0) & (xs < x1) & (ys + 1 > y0) & (ys < y1))
    xs, ys = xs[keep], ys[keep]
    px, py = xs + 0.5 - cx, ys + 0.5 - cy
    along = px * u[0] + py * u[1]
    across = -px * u[1] + py * u[0]
    return along, across, img[ys, xs]


def test_arrow_ink_is_on_the_strand_and_its_barbs_trail_behind_the_apex(oneway_render):
    """Read from the pixels: the line colour reaches out beyond the strand only around the chevron, and
    there its outermost ink (the barbs) lies behind the centre, opposite the apex."""
    _, m, img = oneway_render
    lw = m["settings"]["style"]["line_width"]
    skip = [t["bbox"] for ln in m["lines"] for t in ln["tags"]] + [s["marker_bbox"] for s in m["stations"]]
    for ln in m["lines"]:
        col = np.array([int(ln["color"][i:i + 2], 16) for i in (1, 3, 5)])
        for a in ln["arrows"]:
            apex, c = np.array(a["points"][0]), np.array(a["center"])
            u = (apex - c) / np.linalg.norm(apex - c)
            half = np.linalg.norm(apex - c)
            w = np.array(a["points"][1]) - c
            spread = abs(float(u[0] * w[1] - u[1] * w[0]))  # half the chevron's width
            along, across, rgb = _frame(img, a["center"], u, half + spread + 2, skip)
            # the chevron's own band: along its length, no wider than it (a bend's next strand is outside)
            mine = ((np.abs(rgb.astype(int) - col).sum(axis=1) < 60) & (np.abs(along) <= half)
                    & (np.abs(across) <= spread + 1))
            wide = mine & (np.abs(across) > lw / 2 + 1.5)  # beyond the strand: only the chevron is there
            assert (wide & (across > 0)).sum() >= 3 and (wide & (across < 0)).sum() >= 3, (ln["id"], a)
            assert along[wide].mean() < -1.0, (ln["id"], a["from"], a["to"], along[wide].mean())
            # the widest ink is at the back: the apex end is narrow
            front = mine & (along > half / 2)
            back = mine & (along < -half / 2)
            assert np.abs(across[back]).max() > np.abs(across[front]).max() + 2


def test_a_two_way_strand_has_no_chevron_ink(oneway_render):
    _, m, img = oneway_render
    lw = m["settings"]["style"]["line_width"]
    fork = [ln for ln in m["lines"] if ln["id"] == "fork"][0]
    col = np.array([int(fork["color"][i:i + 2], 16) for i in (1, 3, 5)])
    tag_boxes = [t["bbox"] for t in fork["tags"]]
    centers = {s["id"]: (np.array(s["center"]), (s["marker_bbox"][2] - s["marker_bbox"][0]) / 2)
               for s in m["stations"]}
    checked = 0
    for (p, q) in (("abbey", "hub"), ("hub", "north-fork"), ("hub", "south-fork"), ("west-end", "abbey")):
        (pc, pr), (qc, qr) = centers[p], centers[q]
        u = (qc - pc) / np.linalg.norm(qc - pc)
        for t in np.linspace(pr + 6, np.linalg.norm(qc - pc) - qr - 6, 5):
            c = pc + u * t
            if any(b[0] - 8 <= c[0] <= b[2] + 8 and b[1] - 8 <= c[1] <= b[3] + 8 for b in tag_boxes):
                continue
            along, across, rgb = _frame(img, c, u, 6)
            mine = (np.abs(rgb.astype(int) - col).sum(axis=1) < 60) & (np.abs(along) <= 4)
            assert not (mine & (np.abs(across) > lw / 2 + 1.5)).any()
            checked += 1
    assert checked >= 8


def test_gate_refuses_a_map_whose_one_way_edges_lack_arrows(tmp_path):
    g = oneway_city()
    no_arrows = replace(DEFAULT_STYLE, direction_arrows=False)
    with pytest.raises(LegibilityError, match="direction arrow"):
        render_city(g, tmp_path / "refused", style=no_arrows)
    assert not (tmp_path / "refused").exists() or not list((tmp_path / "refused").iterdir())
    res = render_city(g, tmp_path / "forced", style=no_arrows, force=True)
    m = json.loads(res.manifest_path.read_text())
    assert m["figures"]["arrows_missing"] == 9 and not m["gate"]["passed"]
    assert readable_lines(m, g) == {"fork"}
    # a manifest from before arrows were drawn says nothing of them: one-way lines are not readable there
    res = render_city(g, tmp_path / "ok")
    old = json.loads(res.manifest_path.read_text())
    for ln in old["lines"]:
        del ln["arrows"]
    assert readable_lines(old, g) == {"fork"}
    assert readable_lines(old) == {"fork", "ring", "airport"}


def test_route_questions_need_every_one_way_line_readable():
    g = oneway_city()
    route = {"type": "planning", "mapkit": {"line_ids": ["fork"], "station_ids": ["west-end", "hub"]}}
    assert item_lines_readable(route, g, {"fork", "ring", "airport"})
    # the best route rides the Fork only, but a reader who cannot see the Ring's direction might ride it
    assert not item_lines_readable(route, g, {"fork"})
    count = {"type": "Counting1", "mapkit": {"line_ids": ["fork"], "station_ids": ["west-end", "hub"]}}
    assert item_lines_readable(count, g, {"fork"})


def _items(tmp_path, style, families):
    """Items of ``families`` for oneway_city asked about its render in ``style`` (forced if it fails)."""
    from mapkit.generate import PlanEntry, _run
    from mapkit.questions.base import context
    from mapkit.questions.maps import load_render
    from mapkit.questions.registry import get_family

    g = oneway_city()
    res = render_city(g, tmp_path / "maps", style=style, force=True, name=g.city)
    scene = context(g).with_render(load_render(res.png_path, tmp_path), city_ref="oneway")
    plan = [(scene, PlanEntry(g.city, f, 30, None)) for f in families]
    cfgs = {f: get_family(f).config_cls() for f in families}
    return list(_run(plan, 0, cfgs, None))


def test_direction_dependent_items_exist_only_where_arrows_are_drawn(tmp_path):
    families = ["Counting1", "next_station", "connecting_line", "planning"]
    oneway = {"ring", "airport"}

    def direction_items(items):
        return [it for it in items if it["type"] == "planning" or set(it["mapkit"]["line_ids"]) & oneway]

    drawn = _items(tmp_path / "drawn", DEFAULT_STYLE, families)
    bare = _items(tmp_path / "bare", replace(DEFAULT_STYLE, direction_arrows=False), families)
    with_arrows = direction_items(drawn)
    assert {it["type"] for it in with_arrows} >= {"Counting1", "next_station", "planning"}
    assert direction_items(bare) == []
    # the two-way Fork line is still asked about on the map without arrows
    assert any("fork" in it["mapkit"]["line_ids"] for it in bare)


def test_real_one_way_services_carry_arrows(tmp_path, load_real):
    for city, line in (("los-angeles", "Line A"), ("geneva", "Line 15")):
        g = load_real(city)
        res = render_city(g, tmp_path / city)
        m = json.loads(res.manifest_path.read_text())
        ln = next(x for x in m["lines"] if x["name"] == line)
        want = {(frm, to) for (lid, _), (frm, to) in oneway_edges(g).items() if lid == ln["id"]}
        assert want and {(a["from"], a["to"]) for a in ln["arrows"]} == want
        assert m["figures"]["arrows_missing"] == 0 and m["figures"]["arrow_overlaps"] == 0


def test_svg_draws_the_same_arrows(tmp_path):
    res = render_city(oneway_city(), tmp_path, svg=True)
    svg = res.svg_path.read_text()
    m = json.loads(res.manifest_path.read_text())
    assert svg.count("<polygon") == sum(len(ln["arrows"]) for ln in m["lines"]) == 9
    assert 'data-from="t3" data-to="t2"' in svg
