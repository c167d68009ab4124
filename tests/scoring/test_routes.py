"""Route answers verified on the toy city (straight Red, loop Blue, branched Green).

Red   (straight): A - B - C - D - E
Blue  (loop):     F - C - G - H - (back to F)
Green (branched): I - B - J - K   and   I - B - J - L
"""

from __future__ import annotations

import pytest

from mapkit.answers.routes import (
    check_route,
    clear_graph_cache,
    find_route_block,
    format_route_answer,
    item_graph,
    parse_route,
    route_variant,
    verify_route,
)
from mapkit.graph import best_routes, toy_city


def block(*legs: tuple[str, str, str], extra: list[str] | None = None) -> str:
    out = []
    for i, (line, a, b) in enumerate(legs):
        rows = [f"Route Name: {line}", f"Departure Stop: {a}", f"Arrival Stop: {b}"]
        if extra:
            rows.append(extra[i])
        out.append("\n".join(rows))
    return "\n--\n".join(out)


def planning_item(g, a: str, b: str, *, variant: str = "short", city_ref: str = "toyville") -> dict:
    routes = best_routes(g, a, b)
    legs = [
        {
            "line": leg.line, "line_name": g.lines[leg.line].name,
            "from": leg.start, "from_name": g.stations[leg.start].name,
            "to": leg.end, "to_name": g.stations[leg.end].name,
            "via": list(leg.via), "via_names": [g.stations[v].name for v in leg.via],
        }
        for leg in routes[0].legs
    ]  # fmt: skip
    template = {"short": "short", "via_count": "long_count", "via_stops": "long_via"}[variant]
    return {
        "id": f"toyville:planning:0:{a}{b}",
        "type": "planning",
        "station_1": g.stations[a].name,
        "station_2": g.stations[b].name,
        "question": f"How do I get from {g.stations[a].name} to {g.stations[b].name}?",
        "answer": None,
        "answer_text": format_route_answer(g, routes[0], variant=variant),
        "difficulty_city": "easy",
        "question_transfer_count": routes[0].transfers,
        "difficulty_question": ["easy", "medium", "hard"][min(routes[0].transfers, 2)],
        "weight": 1.5 if routes[0].transfers else 1.0,
        "mapkit": {
            "template": template,
            "graph_hash": g.content_hash,
            "city_ref": city_ref,
            "station_ids": [a, b],
            "gold": {"routes": [{"legs": legs}], "transfer_cost": 3.0},
        },
    }


RED_BLUE = block(("Red Line", "A Station", "C Station"), ("Blue Line", "C Station", "G Station"))


# --- parsing ------------------------------------------------------------------------------------


def test_parse_two_legs():
    p = parse_route(RED_BLUE)
    assert p.ok
    assert [(lg.line, lg.departure, lg.arrival) for lg in p.legs] == [
        ("Red Line", "A Station", "C Station"),
        ("Blue Line", "C Station", "G Station"),
    ]


def test_parse_tolerates_markdown_and_one_line():
    md = "**Route Name:** Red Line\n- **Departure Stop:** A Station\n- **Arrival Stop:** C Station"
    assert parse_route(md).legs[0].departure == "A Station"
    one = (
        "Route Name: Red Line, Departure Stop: A, Arrival Stop: C -- "
        "Route Name: Blue Line, Departure Stop: C, Arrival Stop: G"
    )
    legs = parse_route(one).legs
    assert [(lg.line, lg.departure, lg.arrival) for lg in legs] == [("Red Line", "A", "C"), ("Blue Line", "C", "G")]


def test_parse_via_fields():
    p = parse_route(block(("Red Line", "A", "D"), extra=["Via Stops: B, C"]))
    assert p.legs[0].via_stops == ("B", "C")
    p = parse_route(block(("Red Line", "A", "B"), extra=["Via Stops: none"]))
    assert p.legs[0].via_stops == ()
    p = parse_route(block(("Red Line", "A", "D"), extra=["Number of Via Stops: two"]))
    assert p.legs[0].via_count == 2


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Route Name: Red Line\nDeparture Stop: A", "no Arrival Stop"),
        ("Route Name: Red Line\nDeparture Stop: A\nDeparture Stop: B\nArrival Stop: C", "given twice"),
        ("Arrival Stop: C\nRoute Name: Red Line\nDeparture Stop: A\nArrival Stop: C", "before the first"),
        ("Route Name: Red Line\nDeparture Stop: A\nArrival Stop: C\nNumber of Via Stops: many", "not a number"),
        ("just prose", 'no "Route Name:"'),
    ],
)
def test_parse_problems(text, problem):
    p = parse_route(text)
    assert not p.ok
    assert any(problem in x for x in p.problems), p.problems


def test_find_route_block_takes_the_last_block():
    response = (
        "First idea:\nRoute Name: Green Line\nDeparture Stop: A\nArrival Stop: X\n\nBetter:\n\n"
        + RED_BLUE
        + "\nThat's it."
    )
    assert find_route_block(response) == RED_BLUE
    assert find_route_block("nothing") is None


# --- verification on the graph ------------------------------------------------------------------


def test_optimal_route_gets_full_marks(toy):
    r = verify_route(toy, parse_route(RED_BLUE), "a", "g")
    assert (r.correct, r.optimal, r.detail) == (True, True, 1.0)
    assert dict(r.sub_scores) == {"endpoints": 1, "lines": 1, "transfers": 1, "legs": 1, "optimal": 1}
    assert r.legs == (("red", "a", "c"), ("blue", "c", "g"))


def test_names_resolve_through_variants(toy):
    text = block(("red", "a station", "C"), ("BLUE LINE", "c", "G Station (Transfer Station)"))
    r = verify_route(toy, parse_route(text), "a", "g")
    assert r.correct and r.optimal


def test_valid_non_optimal_route_is_correct_but_not_optimal(toy):
    # a detour round the Blue loop: a real journey, but two changes where one does
    text = block(
        ("Red Line", "A Station", "C Station"),
        ("Blue Line", "C Station", "H Station"),
        ("Blue Line", "H Station", "G Station"),
    )
    r = verify_route(toy, parse_route(text), "a", "g")
    assert r.correct is True
    assert r.optimal is False
    subs = dict(r.sub_scores)
    assert subs["legs"] == 0.5  # one leg more than the reference
    assert 0 < subs["optimal"] < 1
    assert r.detail < 1
    assert any("not an optimal" in n for n in r.notes)


@pytest.mark.parametrize(
    ("legs", "subs", "notes"),
    [
        pytest.param(
            (("Blue Line", "A Station", "C Station"), ("Blue Line", "C Station", "G Station")),
            {"lines": 0.5}, ["not both on Blue Line"], id="wrong-line",
        ),
        pytest.param(
            (("Purple Line", "A Station", "Z Station"),), {}, ["unknown line", "unknown station 'Z Station'"],
            id="unknown-line-and-station",
        ),
        pytest.param(
            (("Red Line", "A Station", "B Station"), ("Blue Line", "C Station", "G Station")),
            {"transfers": 0.0}, ["arrives at 'B Station' but leg 2 departs from 'C Station'"], id="broken-chain",
        ),
    ],
)  # fmt: skip
def test_wrong_routes_are_not_correct(toy, legs, subs, notes):
    r = verify_route(toy, parse_route(block(*legs)), "a", "g")
    assert not r.correct
    assert {k: dict(r.sub_scores)[k] for k in subs} == subs
    for note in notes:
        assert any(note in n for n in r.notes), (note, r.notes)


def test_wrong_endpoints_are_not_correct(toy):
    r = verify_route(toy, parse_route(block(("Red Line", "A Station", "C Station"))), "a", "g")
    assert not r.correct
    assert dict(r.sub_scores)["endpoints"] == 0.5
    r = verify_route(toy, parse_route(block(("Red Line", "B Station", "A Station"))), "a", "b")
    assert not r.correct and dict(r.sub_scores)["endpoints"] == 0.0


def test_ride_between_two_branches_is_not_correct(toy):
    # K and L are both on Green Line, but on different services: no train runs K -> L
    r = verify_route(toy, parse_route(block(("Green Line", "K Station", "L Station"))), "k", "l")
    assert not r.correct
    assert any("different branches" in n for n in r.notes)
    # changing at the junction is the real journey
    ok = block(("Green Line", "K Station", "J Station"), ("Green Line", "J Station", "L Station"))
    r = verify_route(toy, parse_route(ok), "k", "l")
    assert r.correct and r.optimal


def test_loop_either_direction_is_a_valid_leg(toy):
    for via in ("C Station", "H Station"):
        text = block(("Blue Line", "F Station", "G Station"), extra=[f"Via Stops: {via}"])
        r = verify_route(toy, parse_route(text), "f", "g", variant="via_stops")
        assert r.correct and r.optimal, via


def test_closing_edge_of_a_loop(toy):
    r = verify_route(toy, parse_route(block(("Blue Line", "H Station", "F Station"))), "h", "f")
    assert r.correct and r.optimal


@pytest.mark.parametrize(
    ("extra", "correct"),
    [
        (["Number of Via Stops: 1", "Number of Via Stops: 0"], True),
        (["Number of Via Stops: 2", "Number of Via Stops: 0"], False),
        (["Via Stops: B Station", "Via Stops: none"], True),
        (["Via Stops: D Station", "Via Stops: none"], False),
        (["", ""], False),  # the long variant asks for via stops
    ],
)
def test_via_stops_for_long_variants(toy, extra, correct):
    legs = (("Red Line", "A Station", "C Station"), ("Blue Line", "C Station", "G Station"))
    text = block(*legs, extra=extra)
    variant = "via_stops" if "Via Stops:" in extra[0] and "Number" not in extra[0] else "via_count"
    r = verify_route(toy, parse_route(text), "a", "g", variant=variant)
    assert r.correct is correct
    assert "via" in dict(r.sub_scores)


def test_wrong_via_in_short_variant_still_counts(toy):
    # via information that was not asked for must still be true when given
    text = block(("Red Line", "A Station", "C Station"), extra=["Number of Via Stops: 5"])
    r = verify_route(toy, parse_route(text), "a", "c")
    assert not r.correct


def test_leg_count_has_no_off_by_one(toy):
    # the released reward docked -5 for leg i when i+1 > transfers: a correct 1-transfer route lost points
    r = verify_route(toy, parse_route(RED_BLUE), "a", "g")
    assert dict(r.sub_scores)["legs"] == 1.0
    direct = verify_route(toy, parse_route(block(("Red Line", "A Station", "E Station"))), "a", "e")
    assert dict(direct.sub_scores)["legs"] == 1.0 and direct.detail == 1.0


# --- check_route on an item: graph given, loaded, or missing -----------------------------------


def test_check_route_with_graph_given(toy):
    item = planning_item(toy, "a", "g")
    r = check_route(item, item["answer_text"], graph=toy)
    assert r.correct and r.optimal and r.detail == 1.0 and r.verified_on == "graph"


def test_fallback_to_gold_without_graph(toy):
    clear_graph_cache()
    item = planning_item(toy, "a", "g", city_ref="no-such-city-anywhere")
    assert item_graph(item)[0] is None
    r = check_route(item, item["answer_text"])
    assert r.verified_on == "gold"
    assert r.correct and r.detail == 1.0
    assert any("stored best route" in n for n in r.notes)
    # a valid but different route cannot be recognised without the graph: said so, and not correct
    detour = block(
        ("Red Line", "A Station", "C Station"),
        ("Blue Line", "C Station", "H Station"),
        ("Blue Line", "H Station", "G Station"),
    )
    r = check_route(item, detour)
    assert not r.correct
    assert any("not one of the stored best routes" in n for n in r.notes)
    wrong = check_route(item, block(("Red Line", "A Station", "C Station")))
    assert not wrong.correct and dict(wrong.sub_scores)["endpoints"] == 0.5


def test_fallback_checks_via_against_gold(toy):
    item = planning_item(toy, "a", "g", variant="via_count", city_ref="no-such-city-anywhere")
    assert route_variant(item) == "via_count"
    assert check_route(item, item["answer_text"]).correct
    bad = item["answer_text"].replace("Number of Via Stops: 1", "Number of Via Stops: 3")
    assert not check_route(item, bad).correct


def _toy_city_file(toy, tmp_path) -> str:
    from mapkit.sources.native import save_city_file

    path = tmp_path / "toy.json"
    save_city_file(toy, path)
    return str(path)


def test_graph_hash_mismatch_falls_back_to_gold(toy, tmp_path):
    clear_graph_cache()
    item = planning_item(toy, "a", "g", city_ref=_toy_city_file(toy, tmp_path))
    item["mapkit"]["graph_hash"] = "sha256:" + "0" * 64
    g, why = item_graph(item)
    assert g is None and "changed" in why
    r = check_route(item, item["answer_text"])
    assert r.verified_on == "gold" and r.correct
    clear_graph_cache()


def test_graph_loaded_by_city_ref_and_cached(toy, tmp_path, monkeypatch):
    import mapkit.sources

    clear_graph_cache()
    calls = []
    real_load = mapkit.sources.load_city

    def counting_load(ref, data_dir=None):  # the real loader, counted
        calls.append(ref)
        return real_load(ref, data_dir=data_dir)

    monkeypatch.setattr("mapkit.answers.routes.load_city", counting_load)
    ref = _toy_city_file(toy, tmp_path)
    item = planning_item(toy, "a", "g", city_ref=ref)
    detour = block(
        ("Red Line", "A Station", "C Station"),
        ("Blue Line", "C Station", "H Station"),
        ("Blue Line", "H Station", "G Station"),
    )
    r1 = check_route(item, detour)
    r2 = check_route(item, item["answer_text"])
    assert r1.verified_on == r2.verified_on == "graph"
    assert r1.correct and not r1.optimal and r2.optimal
    assert calls == [ref]
    clear_graph_cache()


@pytest.mark.parametrize("on_graph", [True, False])
@pytest.mark.parametrize(
    "junk",
    [
        "Route Name: X",
        "Route Name: X\nDeparture Stop: Nowhere\nArrival Stop: Elsewhere",
        block(("X", "Nowhere", "Elsewhere"), ("Y", "Elsewhere", "Far")),
    ],
)
def test_junk_route_earns_no_detail(toy, junk, on_graph):
    from mapkit.scoring import score

    clear_graph_cache()
    item = planning_item(toy, "a", "g", city_ref="toyville" if on_graph else "no-such-city-anywhere")
    r = check_route(item, junk, graph=toy if on_graph else None)
    assert r.verified_on == ("graph" if on_graph else "gold")
    assert not r.correct and r.detail == 0.0
    assert dict(r.sub_scores)["transfers"] == dict(r.sub_scores)["legs"] == 0.0
    b = score(item, "\\boxed{" + junk + "}", graph=toy if on_graph else None)
    assert b.detail == 0.0 and b.reward == item["weight"] * b.format_ok
    clear_graph_cache()


def test_graph_name_indexes_are_built_once_per_graph_content(toy):
    from mapkit.answers.normalize import name_index, resolve_name
    from mapkit.answers.routes import _graph_indexes, _line_candidates, _station_candidates

    clear_graph_cache()
    first = _graph_indexes(toy)
    assert _graph_indexes(toy_city()) is first  # same content, another object: the same index
    assert _station_candidates(toy, "a station") == ["a"]
    lines = {k: [v.name, k] for k, v in toy.lines.items()}
    assert _line_candidates(toy, "red") == resolve_name("red", lines, kind="line") != []
    table = {sid: [st.name, *st.aliases, sid] for sid, st in toy.stations.items()}
    for text in ("A Station", "b", "Nowhere", "K"):
        assert name_index(table).resolve(text) == resolve_name(text, table)
    clear_graph_cache()
