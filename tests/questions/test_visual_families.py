"""The visual families (localise, line_colour, station_at_point): generated on real renders, scored
through `mapkit.scoring.score`, checked against the pixels of the PNG, strict about hedges.

Each city is rendered once per module into a temporary items folder and passed in its scene as
`mapkit generate --render` does (tests/questions/test_generate_render.py drives the command itself).
"""

from __future__ import annotations

import math

import pytest
from mapkit.schemas import load_schema, schema_errors
from PIL import Image

from mapkit.answers.normalize import parse_box, parse_colour
from mapkit.colour import delta_e, hex_rgb
from mapkit.errors import ConfigError, ItemError
from mapkit.graph import toy_city
from mapkit.questions import families, get_family
from mapkit.questions.base import ITEM_KEYS, context
from mapkit.questions.line_colour import NAMED_COLOURS, SYNONYMS, names_a_colour, nearest_names
from mapkit.questions.localise import LocaliseConfig, box_iou, format_box
from mapkit.questions.maps import load_render
from mapkit.questions.station_at_point import StationAtPointConfig, station_at
from mapkit.render import render_city
from mapkit.scoring import max_reward, score
from mapkit.sources import load_city
from mapkit.validate import compile_checker

from .conftest import loop_branch_city  # noqa: TID252 - the fixtures module beside the tests

VISUAL = ("line_colour", "localise", "station_at_point")
N = 12


def _render(g, root):
    """The scene generation passes for ``g`` once its map is drawn under ``root``."""
    res = render_city(g, root / "maps" / g.country, name=g.city)
    return context(g).with_render(load_render(res.png_path, root))


@pytest.fixture(scope="module")
def cities(tmp_path_factory, load_real):
    """(scene, render, PNG as RGB pixels) per city, the scene as generation passes it."""
    root = tmp_path_factory.mktemp("items")
    out = {}
    for g in (toy_city(), loop_branch_city(), load_city("demo"), load_real("rome"), load_real("beijing")):
        scene = _render(g, root)
        out[g.city] = (scene, scene.render, Image.open(root / scene.render.figure).convert("RGB"))
    return out


@pytest.fixture(scope="module")
def generated(cities):
    items = {}
    for city, (g, _, _) in cities.items():
        for name in VISUAL:
            fam = get_family(name)
            got = [fam.generate(g, 4, i, fam.config_cls()) for i in range(N)]
            items[(city, name)] = [it for it in got if it is not None]
    return items


def _of(generated, name):
    return [(city, it) for (city, fam), items in generated.items() if fam == name for it in items]


def oracle(item):
    return "I looked at the map.\nSo the answer is \\boxed{" + item["answer_text"] + "}"


# --- registry and generation -------------------------------------------------------------------


def test_visual_families_are_registered_but_not_default():
    assert set(VISUAL).isdisjoint(families())
    assert set(VISUAL) <= set(families(with_render=True))
    assert all(get_family(n).needs_render for n in VISUAL)


@pytest.mark.parametrize("name", VISUAL)
def test_no_render_no_items(name):
    g = toy_city()  # a fresh graph: nothing attached
    fam = get_family(name)
    assert fam.capacity(g, fam.config_cls()) == 0
    assert fam.generate(g, 0, 0, fam.config_cls()) is None


@pytest.mark.parametrize("name", VISUAL)
def test_rows_are_canonical_and_derive(cities, generated, name):
    schema_check = compile_checker(load_schema("item"))
    for city, item in _of(generated, name):
        g, r, _ = cities[city]
        assert tuple(item) == ITEM_KEYS and item["type"] == name
        assert schema_errors(item, "item") == [] and schema_check(item) is None
        assert item["figure"] == r.figure == f"./maps/{g.country}/{g.city}.png"
        assert item["answer"] is None and item["mapkit"]["gold"]["map"] == r.gold()
        fam = get_family(name)
        assert fam.derive(item, g) == (None, item["answer_text"], item["mapkit"]["gold"])
    assert {c for c, _ in _of(generated, name)} >= {"synthetic-7", "rome", "beijing"}


@pytest.mark.parametrize("name", VISUAL)
def test_generation_is_deterministic(cities, generated, name):
    fam = get_family(name)
    for city, (g, _, _) in cities.items():
        again = [fam.generate(g, 4, i, fam.config_cls()) for i in range(N)]
        assert [it for it in again if it is not None] == generated[(city, name)]


def test_derive_needs_the_map(generated):
    item = _of(generated, "localise")[0][1]
    with pytest.raises(ItemError, match="not loaded"):
        get_family("localise").derive(item, toy_city())  # a fresh graph: no map attached


# --- the oracle and wrong answers through score() ----------------------------------------------


@pytest.mark.parametrize("name", VISUAL)
def test_oracle_scores_full_marks(generated, name):
    for city, item in _of(generated, name):
        b = score(item, oracle(item))
        assert b.correct and b.format_ok and b.detail == 1.0, (city, item["id"], b.notes)
        assert b.reward == pytest.approx(max_reward(item["weight"]))


def test_far_box_does_not_score(generated):
    for _, item in _of(generated, "localise"):
        x0, y0, x1, y1 = item["mapkit"]["gold"]["box"]
        far = format_box([x0 + 200, y0 + 200, x1 + 200, y1 + 200])
        b = score(item, f"\\boxed{{{far}}}")
        assert not b.correct and b.detail == 0.0 and b.reward < max_reward(item["weight"])
        assert not score(item, f"\\boxed{{{item['answer_text']} or {far}}}").correct  # a hedge


def test_wrong_colour_does_not_score(generated):
    for _, item in _of(generated, "line_colour"):
        gold = item["mapkit"]["gold"]
        wrong = max(NAMED_COLOURS, key=lambda n: delta_e(NAMED_COLOURS[n], gold["hex"]))
        assert not score(item, f"\\boxed{{{wrong}}}").correct
        assert not score(item, f"\\boxed{{{NAMED_COLOURS[wrong]}}}").correct
        # right name, wrong code; two codes; two names: none of them is one right answer
        assert not score(item, f"\\boxed{{{gold['name']} ({NAMED_COLOURS[wrong]})}}").correct
        assert not score(item, f"\\boxed{{{gold['hex']} or {NAMED_COLOURS[wrong]}}}").correct
        assert not score(item, f"\\boxed{{{gold['name']} or {wrong}}}").correct


def test_another_station_does_not_score(generated):
    for city in ("synthetic-7", "rome", "beijing"):
        items = [it for c, it in _of(generated, "station_at_point") if c == city]
        for item in items:
            other = next(it for it in items if it["answer_text"] != item["answer_text"])
            b = score(item, f"\\boxed{{{other['answer_text']}}}")
            assert not b.correct and b.reward < max_reward(item["weight"])


def test_station_hedges_and_near_names_do_not_score(generated):
    items = [it for c, it in _of(generated, "station_at_point") if c == "rome"]
    for item, other in zip(items, items[1:]):
        name = item["answer_text"]
        for answer in (f"{name} or {other['answer_text']}", f"{name}/{other['answer_text']}", f"{name} (North)"):
            assert not score(item, f"\\boxed{{{answer}}}").correct, answer
        assert score(item, f"\\boxed{{{name.lower()} station}}").correct


def test_every_accepted_spelling_and_the_hex_score(generated):
    for _, item in _of(generated, "line_colour"):
        gold = item["mapkit"]["gold"]
        for spelling in gold["names"]:
            assert score(item, f"\\boxed{{{spelling.upper()}}}").correct, spelling
        assert score(item, f"\\boxed{{\\{gold['hex']}}}").correct  # LaTeX-escaped \#
        assert score(item, f"\\boxed{{{gold['name']} ({gold['hex'].upper()})}}").correct
        r, g, b = hex_rgb(gold["hex"])
        assert score(item, f"\\boxed{{rgb({r}, {g}, {b})}}").correct


def test_aliases_name_the_station(cities):
    g, _, _ = cities["beijing"]
    fam = get_family("station_at_point")
    cap = fam.capacity(g, fam.config_cls())
    every = [fam.generate(g, 0, i, fam.config_cls()) for i in range(cap)]
    with_alias = [it for it in every if it["mapkit"]["gold"]["aliases"]]
    assert len(with_alias) == 3, "Beijing has three stations with an alias (西单站: 西单 ...)"
    for item in with_alias:
        for alias in item["mapkit"]["gold"]["aliases"]:
            assert score(item, f"\\boxed{{{alias}}}").correct, alias
        assert score(item, f"\\boxed{{{item['answer_text'].upper()} Station}}").correct


# --- the gold against the pixels ---------------------------------------------------------------


def _near(px, colour, tol=12):
    return max(abs(a - b) for a, b in zip(px, colour)) <= tol


def _ink(img, box, colour):
    x0, y0, x1, y1 = (int(math.floor(box[0])), int(math.floor(box[1])), int(math.ceil(box[2])), int(math.ceil(box[3])))
    return sum(_near(img.getpixel((x, y)), colour) for x in range(x0, x1) for y in range(y0, y1))


def test_gold_box_holds_the_marker_ink(cities, generated):
    for city, item in _of(generated, "localise"):
        _, r, img = cities[city]
        st = r.stations[item["mapkit"]["station_ids"][0]]
        box = item["mapkit"]["gold"]["box"]
        stroke, fill = hex_rgb(st["marker"]["stroke"]), hex_rgb(st["marker"]["fill"])
        assert _ink(img, box, stroke) >= 4, (city, item["id"])  # the marker's outline is drawn in the box
        cx, cy = item["mapkit"]["gold"]["center"]
        assert box[0] <= cx <= box[2] and box[1] <= cy <= box[3]
        centre = img.getpixel((round(cx), round(cy)))
        assert _near(centre, fill) or _near(centre, stroke), (city, item["id"], centre)


def test_the_point_is_on_the_named_station(cities, generated):
    for city, item in _of(generated, "station_at_point"):
        _, r, img = cities[city]
        gold = item["mapkit"]["gold"]
        x, y = gold["point"]
        x0, y0, x1, y1 = gold["marker_bbox"]
        assert x0 <= x <= x1 and y0 <= y <= y1
        assert station_at(r, x, y) == gold["station"] == item["mapkit"]["station_ids"][0]
        marker = r.stations[gold["station"]]["marker"]
        assert any(_near(img.getpixel((x, y)), hex_rgb(c)) for c in (marker["fill"], marker["stroke"]))


def test_the_gold_colour_is_drawn(cities, generated):
    for city, item in _of(generated, "line_colour"):
        _, r, img = cities[city]
        want = hex_rgb(item["mapkit"]["gold"]["hex"])
        (lid,) = item["mapkit"]["line_ids"]
        # the middle of each drawn segment carries the line's exact colour, unless a marker sits there
        # (or the line's tag, whose text is drawn in black or white on the line's colour)
        polylines = r.lines[lid]["polylines"]
        tags = [t["bbox"] for t in r.lines[lid].get("tags", [])]
        mids = [((a[0] + b[0]) / 2, (a[1] + b[1]) / 2) for poly in polylines for a, b in zip(poly, poly[1:])]
        mids = [(x, y) for x, y in mids if not any(t[0] <= x <= t[2] and t[1] <= y <= t[3] for t in tags)]
        on = sum(img.getpixel((round(x), round(y))) == want for x, y in mids)
        assert on >= 0.5 * len(mids), (city, lid, on, len(mids))


def test_jittered_points_stay_on_their_marker(cities):
    g, r, _ = cities["beijing"]
    fam = get_family("station_at_point")
    cfg = StationAtPointConfig(jitter=0.8)
    moved = 0
    for i in range(40):
        item = fam.generate(g, 1, i, cfg)
        x, y = item["mapkit"]["gold"]["point"]
        cx, cy = r.stations[item["mapkit"]["station_ids"][0]]["center"]
        moved += (x, y) != (round(cx), round(cy))
        assert station_at(r, x, y) == item["mapkit"]["station_ids"][0]
        assert fam.derive(item, g)[1] == item["answer_text"]
    assert moved > 10


# --- balance, vocabulary, parsers --------------------------------------------------------------


def test_line_colour_visits_every_askable_line(cities):
    g, _, _ = cities["beijing"]
    fam = get_family("line_colour")
    cap = fam.capacity(g, fam.config_cls())
    lines = [fam.generate(g, 0, i, fam.config_cls())["mapkit"]["line_ids"][0] for i in range(2 * cap)]
    assert cap >= 15 and sorted(lines[:cap]) == sorted(set(lines)) and sorted(lines[cap:]) == sorted(lines[:cap])


def test_lines_named_after_a_colour_are_not_asked(load_real, tmp_path):
    g = load_real("washington")  # Red, Orange, Blue, Yellow, Green, Silver Line
    scene = _render(g, tmp_path)
    assert get_family("line_colour").capacity(scene, get_family("line_colour").config_cls()) == 0
    assert get_family("localise").capacity(scene, get_family("localise").config_cls()) == len(g.stations)
    assert names_a_colour("Azul") and names_a_colour("Metrorail Orange Line") and names_a_colour("4号线（绿）")
    assert not any(names_a_colour(n) for n in ("Line 1", "Circle Line", "Downtown Line", "Ligne A", "首都机场线"))


def test_hex_tolerance_separates_the_lines_of_a_map(cities, generated):
    for city, item in _of(generated, "line_colour"):
        _, r, _ = cities[city]
        gold = item["mapkit"]["gold"]
        others = [ln["color"] for lid, ln in r.lines.items() if lid != item["mapkit"]["line_ids"][0]]
        assert all(delta_e(c, gold["hex"]) > gold["hex_tolerance"] for c in others if c != gold["hex"])


def test_vocabulary_names_are_distinct_and_nearest_to_themselves():
    names = list(NAMED_COLOURS)
    for i, a in enumerate(names):
        assert nearest_names(NAMED_COLOURS[a])[0][0] == a
        for b in names[i + 1 :]:
            assert delta_e(NAMED_COLOURS[a], NAMED_COLOURS[b]) > 15, (a, b)
    spellings = [s for n in names for s in (n, *SYNONYMS.get(n, ()))]
    assert len(spellings) == len(set(spellings))


@pytest.mark.parametrize(
    ("code", "name"),
    [("#e41a1c", "red"), ("#377eb8", "blue"), ("#4daf4a", "green"), ("#984ea3", "purple"), ("#ff7f00", "orange"),
     ("#a65628", "brown"), ("#fdd000", "yellow"), ("#1b3a8c", "dark blue"), ("#6b5b95", "purple")],
)
def test_everyday_colours_get_their_everyday_name(code, name):
    assert nearest_names(code)[0][0] == name


@pytest.mark.parametrize(
    ("box", "gold", "iou", "correct"),
    [
        ([0, 0, 10, 10], [0, 0, 10, 10], 1.0, True),
        ([0, 0, 10, 20], [0, 0, 10, 10], 0.5, True),  # exactly the threshold: right
        ([0, 0, 10, 20.5], [0, 0, 10, 10], 100 / 205, False),  # just below
        ([5, 0, 15, 10], [0, 0, 10, 10], 1 / 3, False),
        ([10, 0, 20, 10], [0, 0, 10, 10], 0.0, False),  # touching edges
        ([2, 2, 8, 8], [0, 0, 10, 10], 0.36, False),  # inside, too small
        ([-5, -5, 15, 15], [0, 0, 10, 10], 0.25, False),  # around, too big
        ([100, 100, 110, 110], [0, 0, 10, 10], 0.0, False),
    ],
)
def test_iou_edges(box, gold, iou, correct):
    assert box_iou(box, gold) == pytest.approx(iou)
    item = {"type": "localise", "weight": 1.0, "mapkit": {"gold": {"box": gold, "iou_threshold": 0.5}}}
    b = score(item, f"\\boxed{{{format_box(box)}}}")
    assert b.correct is correct and b.detail == pytest.approx(iou, abs=1e-6)


def test_iou_threshold_is_a_config_value_stored_in_the_gold(cities):
    from mapkit.questions.localise import LocaliseConfig

    g, _, _ = cities["synthetic-7"]
    fam = get_family("localise")
    strict = fam.generate(g, 0, 0, LocaliseConfig(iou_threshold=0.9))
    assert strict["mapkit"]["gold"]["iou_threshold"] == 0.9
    x0, y0, x1, y1 = strict["mapkit"]["gold"]["box"]
    near = format_box([x0 + 1, y0, x1 + 1, y1])  # IoU 0.82 on a 10 px marker
    assert not fam.check(strict, near).correct
    loose = fam.generate(g, 0, 0, LocaliseConfig())
    assert fam.check(loose, near).correct and fam.check(loose, near).detail < 1.0
    with pytest.raises(ConfigError):
        LocaliseConfig(iou_threshold=0.0)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: LocaliseConfig(iou_threshold=1.5), r"localise: iou_threshold must be in \(0, 1\] \(got 1.5\)"),
        (lambda: StationAtPointConfig(jitter=1.0), r"station_at_point: jitter must be in \[0, 1\) \(got 1.0\)"),
        (lambda: StationAtPointConfig(jitter=-0.1), r"jitter must be in \[0, 1\) \(got -0.1\)"),
    ],
)
def test_config_intervals_name_the_field(make, message):
    with pytest.raises(ConfigError, match=message):
        make()
    assert LocaliseConfig(iou_threshold=1.0).iou_threshold == 1.0 and StationAtPointConfig(jitter=0.0).jitter == 0.0


@pytest.mark.parametrize(
    ("text", "box"),
    [
        ("[409, 489, 419, 499]", (409, 489, 419, 499)),
        ("(409.5, 489, 419, 499.25)", (409.5, 489, 419, 499.25)),
        ("409 489 419 499", (409, 489, 419, 499)),
        ("$[1,2,3,4]$", (1, 2, 3, 4)),
        ("[1, 2, 3, 4].", (1, 2, 3, 4)),
        ("[1, 2, 3]", None),
        ("[1, 2, 3, 4, 5]", None),
        ("[1, 2, 3, 4] or [5, 6, 7, 8]", None),
        ("x0=1, y0=2, x1=3, y1=4", None),
        ("[3, 2, 1, 4]", None),  # x1 < x0
        ("[1, 2, 3, 2]", None),  # no height
        ("about [1, 2, 3, 4]", None),
        ("", None),
    ],
)
def test_parse_box(text, box):
    assert parse_box(text) == box


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("Red", ("red", None)),
        ("light-gray colour", ("lightgrey", None)),
        ("#E41A1C", (None, (228, 26, 28))),
        ("#f00", (None, (255, 0, 0))),
        ("rgb(1, 2, 3)", (None, (1, 2, 3))),
        ("blue (#377eb8)", ("blue", (55, 126, 184))),
        ("#377eb8 or #e41a1c", None),
        ("rgb(300, 0, 0)", None),
        ("", None),
    ],
)
def test_parse_colour(text, parsed):
    assert parse_colour(text) == (None if parsed is None else tuple(parsed))


def _station_at_by_scan(render, x, y):
    """station_at as a plain scan over every marker (the rule, written out: the oracle of the fast path)."""
    hits = [s for s, st in render.stations.items() if st["marker_bbox"][0] <= x <= st["marker_bbox"][2]
            and st["marker_bbox"][1] <= y <= st["marker_bbox"][3]]
    if len(hits) != 1:
        return None
    own = math.dist(render.stations[hits[0]]["center"], (x, y))
    if any(o != hits[0] and math.dist(st["center"], (x, y)) <= own for o, st in render.stations.items()):
        return None
    return hits[0]


def test_station_at_equals_the_scan_everywhere_near_markers(cities):
    """The numpy-narrowed lookup (memoised per point) gives the scan's answer at every marker centre, around
    it, on the box edges and between two close markers, on real renders (Beijing's dense centre included)."""
    for _, render, _ in cities.values():
        pts = set()
        for st in render.stations.values():
            x0, y0, x1, y1 = st["marker_bbox"]
            cx, cy = st["center"]
            pts |= {(round(cx) + dx, round(cy) + dy) for dx in (-3, -1, 0, 1, 3) for dy in (-3, 0, 3)}
            pts |= {(x0, y0), (x1, y1), (x0, cy), (cx, y1), (x1 + 0.5, cy)}
        for x, y in sorted(pts, key=str):
            assert station_at(render, x, y) == _station_at_by_scan(render, x, y), (render.figure, x, y)
            assert station_at(render, x, y) == _station_at_by_scan(render, x, y)  # the memo's answer too


def test_rows_share_no_mutable_part(cities):
    """Per-line and per-station truths are kept per render: each row still gets its own gold containers."""
    scene = cities["beijing"][0]
    for name in VISUAL:
        fam = get_family(name)
        pool = fam.capacity(scene, fam.config_cls())
        a = fam.generate(scene, 4, 0, fam.config_cls())
        ids = lambda it: (it["mapkit"]["station_ids"], it["mapkit"]["line_ids"])  # noqa: E731
        # the same candidate asked again in the next cycle of the pool (cached truth, new row)
        b = next(it for j in range(pool, 2 * pool) if ids(it := fam.generate(scene, 4, j, fam.config_cls())) == ids(a))
        assert a["mapkit"]["gold"] == b["mapkit"]["gold"]
        for key, val in a["mapkit"]["gold"].items():
            if isinstance(val, (list, dict)):
                assert val is not b["mapkit"]["gold"][key], (name, key)
        a["mapkit"]["gold"]["map"]["image_size"].append(0)
        assert fam.generate(scene, 4, 0, fam.config_cls()) != a
