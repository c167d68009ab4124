"""Names that hold a list separator ("e& Station", "Elephant and Castle", "Harbour, North").

Real maps print them, so the name rules accept them and every list answer (lines at a station,
terminals, via stops) keeps a known name whole before it splits the rest. Checked end to end on a
hand-made city file: every family's gold answer scores full marks, planning routes through these
names verify on the graph and on the stored gold, and the adversarial answers stay wrong.
"""

from __future__ import annotations

import copy
import json

import pytest

from mapkit.answers.normalize import match_line_list, name_index, split_list
from mapkit.answers.routes import check_route, clear_graph_cache, parse_route, route_variant, via_names
from mapkit.generate import generate_items
from mapkit.questions import families
from mapkit.scoring.score import score
from mapkit.sources.native import load_city_file

SEPARATED = ("e& Station", "Elephant and Castle", "Harbour, North")

CITY = {
    "format": "mapkit.city/1",
    "city": "separators",
    "lines": [
        {
            "name": "Red & Blue Line",
            "stations": ["Alpha", "e& Station", "Elephant and Castle", "Harbour, North", "Bravo"],
        },
        {"name": "Line 1", "stations": ["Charlie", "Elephant and Castle", "Delta", "Harbour", "Echo"]},
        {"name": "Line 2", "stations": ["Foxtrot", "Harbour, North", "Golf", "North", "Hotel"]},
        {"name": "Line 3", "stations": ["India", "e& Station", "Juliet", "Kilo"]},
        {"name": "Green Line", "stations": ["Harbour, North", "Lima", "Mike", "Elephant and Castle"]},
    ],
}


@pytest.fixture(scope="module")
def city_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("sep") / "separators.json"
    path.write_text(json.dumps(CITY), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def items(city_path):
    types = [f for f, fam in families().items() if not fam.needs_render]
    clear_graph_cache()
    out = list(generate_items([str(city_path)], types=types, n_per_type=60))
    yield out
    clear_graph_cache()


def _named(text: str) -> bool:
    return any(n in text for n in SEPARATED)


def test_the_city_loads_with_its_names(city_path):
    g = load_city_file(city_path)
    names = {st.name for st in g.stations.values()}
    assert set(SEPARATED) <= names and "Red & Blue Line" in {ln.name for ln in g.lines.values()}


def test_every_gold_answer_scores_full_marks(items):
    wrong = []
    for it in items:
        b = score(it, "So the answer is \\boxed{" + it["answer_text"] + "}")
        if not (b.correct and b.accuracy == 1.0):
            wrong.append((it["type"], it["answer_text"], b.notes))
    assert wrong == []
    by_type: dict[str, list[dict]] = {}
    for it in items:
        if _named(it["answer_text"]) or "Red & Blue" in it["answer_text"]:
            by_type.setdefault(it["type"], []).append(it)
    # the names are in list answers of several items, next to other items
    assert any(", " in it["answer_text"] and "Red & Blue Line" in it["answer_text"] for it in by_type["lines_at"])
    assert any(it["answer_text"] == "Harbour, North, Elephant and Castle" for it in by_type["terminals"])
    via = [it for it in by_type["planning"] if route_variant(it) == "via_stops"]
    assert any(_named(line) for it in via for line in it["answer_text"].splitlines() if line.startswith("Via Stops:"))


def test_planning_gold_answers_score_full_marks_on_the_stored_gold_too(items):
    """Without the graph (its hash changed) the route is checked against the stored routes."""
    planning = [it for it in items if it["type"] == "planning" and _named(it["answer_text"])]
    assert len(planning) > 5
    for it in planning:
        row = copy.deepcopy(it)
        row["mapkit"]["graph_hash"] = "0" * 64
        r = check_route(row, it["answer_text"])
        assert r.verified_on == "gold" and r.correct, (it["answer_text"], r.notes)


def _route_item(g, start: str, end: str, variant: str) -> dict:
    """A planning row from ``start`` to ``end`` (station names), asking for the ``variant`` format."""
    ids = {st.name: sid for sid, st in g.stations.items()}
    return {
        "type": "planning",
        "question": "",
        "station_1": start,
        "station_2": end,
        "mapkit": {"station_ids": [ids[start], ids[end]], "gold": {"variant": variant}},
    }


def test_via_stops_keep_known_names_whole(city_path):
    g = load_city_file(city_path)
    ids = {st.name: sid for sid, st in g.stations.items()}
    item = _route_item(g, "Alpha", "Bravo", "via_stops")
    head = "Route Name: Red & Blue Line\nDeparture Stop: Alpha\nArrival Stop: Bravo\nVia Stops: "
    good = head + "e& Station, Elephant and Castle, Harbour, North"
    r = check_route(item, good, graph=g)
    assert r.correct and r.detail == 1.0, r.notes
    leg = parse_route(good).legs[0]
    assert len(via_names(leg, name_index({s: [n] for n, s in ids.items()})) or ()) == 3
    # "&" written as "and", and the list's own "and": still three stops
    assert check_route(item, head + "e and Station; Elephant and Castle and Harbour, North", graph=g).correct
    # adversarial: a stop left out, one added, the order changed, a piece of a name on its own
    for bad in (
        "e& Station, Harbour, North",
        "e& Station, Elephant and Castle, Harbour, North, Bravo",
        "Elephant and Castle, e& Station, Harbour, North",
        "e& Station, Elephant, Castle, Harbour, North",
        "e& Station, Elephant and Castle, Harbour",
    ):
        r = check_route(item, head + bad, graph=g)
        assert not r.correct, bad


def test_route_legs_name_them(city_path):
    g = load_city_file(city_path)
    item = _route_item(g, "e& Station", "Harbour, North", "short")
    text = "Route Name: Red & Blue Line\nDeparture Stop: e& Station\nArrival Stop: Harbour, North"
    r = check_route(item, text, graph=g)
    assert r.correct and r.optimal and r.format_ok, r.notes


def test_list_answers_with_separator_names():
    lines = {"rb": ["Red & Blue Line"], "l1": ["Line 1"], "l2": ["Line 2"], "l3": ["Line 3"]}
    assert match_line_list("Red & Blue Line, Line 3", ["rb", "l3"], lines).correct
    assert match_line_list("Line 3 and Red and Blue Line", ["rb", "l3"], lines).correct
    assert match_line_list("Red & Blue, Line 3", ["rb", "l3"], lines).correct  # the generic word may go
    # "Line 1 and Line 2" is still two lines when a line's name holds a separator
    assert match_line_list("Line 1 and Line 2", ["l1", "l2"], lines).correct
    assert split_list("Line 1 and Line 2", name_index(lines, kind="line")) == ["Line 1", "Line 2"]
    # adversarial: a part of the list missing, an extra line, the name cut in two
    m = match_line_list("Red & Blue Line", ["rb", "l3"], lines)
    assert not m.correct and m.detail == pytest.approx(2 / 3)
    assert not match_line_list("Red & Blue Line, Line 3, Line 1", ["rb", "l3"], lines).correct
    assert not match_line_list("Red Line & Blue Line, Line 3", ["rb", "l3"], lines).correct
    assert not match_line_list("Red, Blue Line, Line 3", ["rb", "l3"], lines).correct
    # hedges stay hedges
    assert not match_line_list("Red & Blue Line or Line 3", ["rb", "l3"], lines).correct
    assert not match_line_list("Red & Blue Line, not Line 3", ["rb", "l3"], lines).correct


def test_the_longest_known_name_wins():
    stations = {"h": ["Harbour"], "n": ["North"], "hn": ["Harbour, North"], "x": ["Harbour, North East"]}
    idx = name_index(stations)
    assert split_list("Harbour, North East, Harbour", idx) == ["Harbour, North East", "Harbour"]
    assert split_list("North, Harbour, North", idx) == ["North", "Harbour, North"]
    # with other separators than the name's, the pieces are separate items
    assert split_list("Harbour and North", idx) == ["Harbour", "North"]
    # without candidates, or with none that holds a separator, splitting is as before
    assert split_list("Harbour, North") == ["Harbour", "North"]
    assert split_list("Harbour, North", name_index({"h": ["Harbour"]})) == ["Harbour", "North"]


def test_the_real_dubai_terminus_e_and(load_real):
    """Dubai's Green Line starts at e& (the map-coverage work added it); its gold answers score full marks.

    Dubai's graph is incomplete (no Palm Monorail), so generation does not ask terminals there; the
    family is asked directly on the graph here.
    """
    g = load_real("dubai")
    assert "e& Station" in {st.name for st in g.stations.values()}
    items = list(generate_items([g], types=["planning"], n_per_type=200))
    fam = families()["terminals"]
    items += [fam.generate(g, 0, i, fam.config_cls()) for i in range(fam.capacity(g, fam.config_cls()))]
    with_e = [it for it in items if "e& Station" in it["answer_text"]]
    assert {it["type"] for it in with_e} == {"terminals", "planning"}
    for it in with_e:
        b = score(it, "\\boxed{" + it["answer_text"] + "}", graph=g)
        assert b.correct and b.accuracy == 1.0, (it["type"], it["answer_text"], b.notes)
    (term,) = [it for it in with_e if it["type"] == "terminals"]
    wrong = score(term, "\\boxed{e&, Creek, Union}", graph=g)
    assert not wrong.correct
