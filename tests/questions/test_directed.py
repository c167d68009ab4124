"""One-way services, loop and branch counting rules, checked against the brute-force oracle.

``oneway_city()`` has a one-way loop, a one-way terminal loop and a two-way Y-branched line;
``loop_branch_city()`` and ``toy_city()`` a two-way loop and branches. Every pair and every ordered
(line, from, towards) triple of the hand-made maps is compared with tests/questions/brute.py, which
walks the raw branch lists by hand.
"""

from __future__ import annotations

import itertools

import pytest

from mapkit.errors import NotOnSameLineError
from mapkit.graph import best_routes, oneway_city, stops_between, track_span
from mapkit.questions import get_family
from mapkit.questions.counting1 import TEMPLATES, Counting1Config, span_of
from mapkit.questions.next_station import path_of

from . import brute  # noqa: TID252 - the helper module beside the tests


def test_one_way_loop_rides_in_its_direction_only():
    g = oneway_city()
    assert stops_between(g, "abbey", "castle", "ring").stops == ("bridge",)
    assert stops_between(g, "castle", "abbey", "ring").stops == ("dock", "elm", "forge")
    assert not stops_between(g, "castle", "abbey", "ring").ambiguous  # one way: no "other way round"
    assert stops_between(g, "junction", "t2", "airport").stops == ("t3",)
    assert stops_between(g, "t2", "junction", "airport").stops == ()
    with pytest.raises(NotOnSameLineError, match="one way only"):
        stops_between(g, "t3", "junction", "airport")


def test_routes_respect_direction():
    g = oneway_city()
    (r,) = best_routes(g, "castle", "abbey")
    assert str(r) == "ring: castle -> abbey (via dock, elm, forge)"  # never back through Bridge
    (r,) = best_routes(g, "t3", "junction")  # ride on to Terminal 2, change to the inbound service
    assert [(lg.line, lg.start, lg.end) for lg in r.legs] == [("airport", "t3", "t2"), ("airport", "t2", "junction")]
    for a, b in itertools.permutations(g.stations, 2):
        cost, routes = brute.best_routes(g, a, b)
        got = best_routes(g, a, b)
        assert got[0].cost() == cost, (a, b)
        assert {tuple((lg.line, lg.start, lg.end, lg.via) for lg in r.legs) for r in got} == routes, (a, b)


@pytest.mark.parametrize("make", ["oneway_city", "loop_branch_city", "toy_city"])
def test_counting1_rule_equals_brute_force_on_every_pair(make):
    from mapkit.graph import examples

    g = getattr(examples, make)()
    for a, b in itertools.combinations(g.stations, 2):
        sp = span_of(g, a, b)
        assert (None if sp is None else len(sp[0])) == brute.count_between(g, a, b), (a, b)


@pytest.mark.parametrize("make", ["oneway_city", "loop_branch_city", "toy_city"])
def test_next_station_rule_equals_brute_force_on_every_triple(make):
    from mapkit.graph import examples

    g = getattr(examples, make)()
    for lid, ln in g.lines.items():
        for a, b in itertools.permutations(ln.station_ids, 2):
            p = path_of(g, lid, a, b)
            want = brute.next_after(g, lid, a, b)
            assert (None if p is None or not p[0] else p[0][0]) == want, (lid, a, b)


def test_direction_dependent_and_off_track_pairs_are_not_asked():
    g = oneway_city()
    fam = get_family("Counting1")
    cfg = Counting1Config(templates=("reasonmap", "plain"))
    items = [fam.generate(g, 0, i, cfg) for i in range(fam.capacity(g, cfg))]
    asked = {frozenset(it["mapkit"]["station_ids"]) for it in items}
    assert frozenset({"abbey", "castle"}) not in asked  # 1 stop one way round the Ring, 3 the other
    assert frozenset({"junction", "t2"}) not in asked  # via Terminal 3 outbound, direct inbound
    assert frozenset({"north-fork", "south-fork"}) not in asked  # different branches: no train
    assert frozenset({"gate", "junction"}) in asked  # the same either way
    # a pair only one direction rides is asked in riding order
    for it in items:
        a, b = it["mapkit"]["station_ids"]
        assert all(brute.line_rides(g, lid, a, b) for lid in it["mapkit"]["line_ids"]), it["question"]


@pytest.mark.parametrize("make", ["oneway_city", "loop_branch_city", "toy_city"])
def test_distractors_are_never_another_defensible_count(make):
    from mapkit.graph import examples

    g = getattr(examples, make)()
    fam = get_family("Counting1")
    cfg = Counting1Config(templates=("reasonmap", "plain"))
    seen_loop = False
    for i in range(3 * fam.capacity(g, cfg)):
        it = fam.generate(g, 1, i, cfg)
        ids, options, right = it["mapkit"]["station_ids"], it["mapkit"]["options"], it["answer"]
        defensible = brute.defensible_counts(g, *ids)
        assert [o for o in options if o in defensible] == [options[right]], (ids, options, defensible)
        seen_loop = seen_loop or len(defensible) > 1
    assert seen_loop  # every map has loop or branch pairs with a second defensible count


def test_loop_rule_is_written_into_the_paraphrase_but_not_the_published_wording(toy):
    fam = get_family("Counting1")
    items = [fam.generate(toy, 0, i, Counting1Config(templates=("reasonmap", "plain"))) for i in range(200)]
    loop_items = [it for it in items if "blue" in it["mapkit"]["line_ids"] and it["mapkit"]["gold"]["count"] < 2]
    plain = [it for it in loop_items if it["mapkit"]["template"] == "plain"]
    published = [it for it in loop_items if it["mapkit"]["template"] == "reasonmap"]
    assert plain and published
    assert all("the shorter way round the loop" in it["question"] for it in plain)
    for it in published:  # verbatim: the published template with only its slots filled
        o = it["mapkit"]["options"]
        assert it["question"] == TEMPLATES["reasonmap"].format(
            stop1=it["station_1"], stop2=it["station_2"], a=o[0], b=o[1], c=o[2], d=o[3]
        )
    straight = [it for it in items if it["mapkit"]["line_ids"] == ["red"] and it["mapkit"]["template"] == "plain"]
    assert straight and not any("loop" in it["question"] for it in straight)


def test_track_span_counts_through_a_junction_only_where_the_path_is_unique():
    g = oneway_city()
    assert track_span(g, "north-fork", "south-fork", "fork") == ("hub",)
    assert track_span(g, "west-end", "south-fork", "fork") == ("abbey", "hub")
    assert track_span(g, "abbey", "castle", "ring") is None  # two ways round the loop's track
    assert track_span(g, "gate", "t2", "airport") is None  # the terminal loop gives two ways


def test_synthetic_one_way_rings():
    from mapkit.sources.synthetic import SyntheticConfig, synthetic_city

    g = synthetic_city(3, SyntheticConfig(lines=5, loops=2, branches=1, oneway_loops=1))
    rings = [ln for ln in g.lines.values() if ln.loop]
    assert sorted(ln.oneway for ln in rings) == [False, True]
    ring = next(ln for ln in rings if ln.oneway)
    seq = ring.branches[0].stations
    assert stops_between(g, seq[1], seq[0], ring.id).count == len(seq) - 2  # all the way round
    for family in ("Counting1", "next_station", "connecting_line", "planning"):
        fam = get_family(family)
        for i in range(40):
            it = fam.generate(g, 0, i, fam.config_cls())
            assert fam.derive(it, g) == (it["answer"], it["answer_text"], it["mapkit"]["gold"])


def test_native_city_file_round_trips_oneway(tmp_path):
    from mapkit.graph import toy_city
    from mapkit.sources.native import load_city_file, save_city_file

    p = tmp_path / "c.yaml"
    p.write_text(
        "format: mapkit.city/1\ncity: c\nlines:\n"
        "  - name: Loop\n    stations: [A, B, C, D]\n    loop: true\n    oneway: true\n"
        "  - name: Fork\n    branches:\n      - stations: [A, E, F]\n"
        "      - stations: [F, E, G]\n        oneway: true\n"
    )
    g = load_city_file(p)
    assert g.line("Loop").branches[0].oneway and g.line("Fork").branches[1].oneway
    assert not g.line("Fork").branches[0].oneway
    assert stops_between(g, "b", "a", "Loop").stops == ("c", "d")
    save_city_file(g, tmp_path / "c.json")
    assert load_city_file(tmp_path / "c.json").content_hash == g.content_hash
    # a two-way graph writes no "oneway" key, so its content hash is what it was before the field
    assert "oneway" not in str(toy_city().to_dict())


def _plus_row(g, a, b, options, answer):
    from mapkit.questions.base import context

    ctx = context(g)
    q = TEMPLATES["reasonmap"].format(
        stop1=g.stations[a].name, stop2=g.stations[b].name, a=options[0], b=options[1], c=options[2], d=options[3]
    )
    return {
        "country": g.country, "city": g.city, "station_1": g.stations[a].name, "station_2": g.stations[b].name,
        "figure": ctx.figure, "question": q, "answer": answer, "type": "Counting1",
        "difficulty_city": ctx.difficulty_city, "city_line_count": ctx.line_count,
        "city_transfer_count": ctx.transfer_count,
    }


def test_validator_counts_across_a_junction_along_the_unique_track(tmp_path):
    import json

    from mapkit.validate import validate_items

    g = oneway_city()
    rows = [
        _plus_row(g, "north-fork", "south-fork", [0, 1, 2, 3], 1),  # through Hub: 1 stop, option B
        _plus_row(g, "north-fork", "south-fork", [0, 1, 2, 3], 2),  # a wrong published answer
        _plus_row(g, "abbey", "castle", [0, 1, 3, 4], 1),  # one-way Ring: 1 or 3 by direction
    ]
    p = tmp_path / "plus.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in rows))
    rep = validate_items(p, fmt="reasonmap-plus", graphs={g.city: g})
    by_line = {d.line: d for d in rep.disagreements}
    assert 1 not in by_line  # the published count along the track is accepted
    assert by_line[2].expected == 1 and "track through the junction" in by_line[2].why
    assert by_line[3].expected is None and "direction of a one-way service" in by_line[3].why
