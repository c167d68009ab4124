"""Registry-wide invariants: every family on hand-made maps and on real cities.

For every registered family: deterministic bytes, schema-valid rows, ``derive`` reproduces the row,
the gold answer passes ``check`` and a wrong one does not (the oracle test), and an independent
brute-force computation over the raw branch lists (tests/questions/brute.py) agrees.
"""

from __future__ import annotations

import json

import pytest
from mapkit.schemas import schema_errors

from mapkit.generate import write_items
from mapkit.questions import families, get_family
from mapkit.questions.base import ITEM_KEYS
from mapkit.validate import compile_checker

from . import brute  # noqa: TID252 - the helper module beside the tests

FAMILIES = list(families())
N = 60
REAL_CITIES = ["singapore", "beijing", "new_york", "washington", "sydney"]


def _items(g, family, n=N, seed=0):
    fam = get_family(family)
    cfg = fam.config_cls()
    out = []
    for i in range(n):
        item = fam.generate(g, seed, i, cfg)
        if item is not None:
            out.append(item)
    return out


def _wrong(item):
    """A wrong answer of the right form."""
    t = item["type"]
    if t == "Counting1":
        return "ABCD"[(item["answer"] + 1) % 4]
    if t.startswith("TorF"):
        return "no" if item["answer_text"] == "yes" else "yes"
    if item["answer"] is not None:
        return str(item["answer"] + 1)
    if t == "planning":
        return item["answer_text"].replace("Route Name: ", "Route Name: X", 1)
    if t in ("lines_at", "terminals"):
        parts = item["answer_text"].split(", ")
        return ", ".join(parts[:-1]) if len(parts) > 1 else parts[0] + ", Nowhere"
    return "Nowhere Station"


def test_every_family_is_registered_with_a_config():
    assert FAMILIES[:6] == ["Counting1", "Counting2", "Counting3", "TorF1", "TorF2", "planning"]
    assert len(FAMILIES) >= 10
    for name, fam in families().items():
        assert fam.name == name and fam.version >= 1
        fam.config_cls()  # defaults are valid


@pytest.mark.parametrize("family", FAMILIES)
def test_rows_are_canonical_and_self_consistent(small_map, family):
    check_schema = compile_checker(__import__("mapkit.schemas", fromlist=["x"]).load_schema("item"))
    items = _items(small_map, family)
    assert items, f"{family} asked nothing on {small_map.city}"
    fam = get_family(family)
    for item in items:
        assert tuple(item) == ITEM_KEYS
        assert schema_errors(item, "item") == [] and check_schema(item) is None
        assert item["type"] == family and item["id"].startswith(f"{small_map.city}:{family}:0:")
        assert fam.derive(item, small_map) == (item["answer"], item["answer_text"], item["mapkit"]["gold"])
        assert fam.check(item, item["answer_text"]).correct, item["answer_text"]
        verdict = fam.check(item, _wrong(item))
        assert not verdict.correct and 0.0 <= verdict.detail < 1.0, (item["answer_text"], _wrong(item))


@pytest.mark.parametrize("family", FAMILIES)
def test_generation_is_deterministic_bytes(tmp_path, small_map, family):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    write_items(a, [small_map], types=[family], n_per_type=40, seed=5, repeats=True)
    write_items(b, [type(small_map)(**_args(small_map))], types=[family], n_per_type=40, seed=5, repeats=True)
    assert a.read_bytes() == b.read_bytes() and a.stat().st_size > 0
    c = tmp_path / "c.jsonl"
    write_items(c, [small_map], types=[family], n_per_type=40, seed=6, repeats=True)
    if family not in ("Counting3",):
        assert c.read_bytes() != a.read_bytes()


def _args(g):
    # a fresh, equal graph: nothing cached on the first one can leak into the second run
    return dict(city=g.city, country=g.country, stations=list(g.stations.values()), lines=list(g.lines.values()),
                source=g.source, meta=dict(g.meta))


@pytest.mark.parametrize("family", FAMILIES)
def test_independent_brute_force_agrees(small_map, family):
    g = small_map
    for item in _items(g, family, n=80, seed=3):
        m = item["mapkit"]
        ids, lids, gold = m["station_ids"], m["line_ids"], m["gold"]
        if family == "Counting1":
            assert m["options"][item["answer"]] == brute.count_between(g, *ids)
        elif family == "Counting2":
            assert item["answer"] == len(brute.lines_of(g, ids[0]))
        elif family == "Counting3":
            assert item["answer"] == len(g.lines)
        elif family == "TorF1":
            assert item["answer"] == int(bool(set(brute.lines_of(g, ids[0])) & set(brute.lines_of(g, ids[1]))))
        elif family == "TorF2":
            assert item["answer"] == int(lids[0] in brute.lines_of(g, ids[0]))
        elif family == "lines_at":
            assert set(gold["lines"]) == set(brute.lines_of(g, ids[0]))
        elif family == "next_station":
            assert gold["next"] == brute.next_after(g, lids[0], *ids)
        elif family == "terminals":
            assert set(gold["terminals"]) == brute.terminals(g, lids[0])
        elif family == "connecting_line":
            common = set(brute.lines_of(g, ids[0])) & set(brute.lines_of(g, ids[1]))
            assert common == {gold["line"]} and brute.line_rides(g, gold["line"], *ids)
        elif family == "line_stations_count":
            assert item["answer"] == brute.line_station_count(g, lids[0])
        elif family == "planning":
            cost, routes = brute.best_routes(g, *ids, transfer_cost=gold["transfer_cost"])
            stored = {tuple((leg["line"], leg["from"], leg["to"], tuple(leg["via"])) for leg in r["legs"])
                      for r in gold["routes"]}
            assert gold["cost"] == cost and stored == routes
            assert item["question_transfer_count"] == min(len(r) for r in routes) - 1
        else:  # a new family must bring its own independent check
            pytest.fail(f"no brute-force check for {family}")


def test_loop_ties_and_cross_branch_pairs_are_never_counted(loopton):
    asked = {frozenset(it["mapkit"]["station_ids"]) for it in _items(loopton, "Counting1", n=400)}
    assert frozenset({"c1", "c4"}) not in asked  # equally far both ways round the Circle loop
    assert frozenset({"y4", "y5"}) not in asked  # different branches of the Y line
    assert frozenset({"c1", "c3"}) in asked  # a loop pair with a shorter way is asked (1 stop)
    pool_size = get_family("Counting1").capacity(loopton, get_family("Counting1").config_cls())
    assert len(asked) == pool_size


@pytest.mark.parametrize("family", FAMILIES)
def test_degenerate_names_never_asked(loopton, family):
    for item in _items(loopton, family, n=300):
        m = item["mapkit"]
        used = set(m["station_ids"])
        if family == "planning":
            used |= {s for r in m["gold"]["routes"] for leg in r["legs"] for s in (leg["from"], leg["to"], *leg["via"])}
        if family == "next_station":
            used.add(m["gold"]["next"])
        if family == "terminals":
            used |= set(m["gold"]["terminals"])
        assert not used & {"central-a", "central-b"}, item["question"]  # one name, two stations
        if "red" in m["line_ids"] or family in ("Counting2", "lines_at", "connecting_line"):
            assert "rlp" not in used, item["question"]  # "Red Line Plaza" gives the Red Line away


def fam_strata(g):
    from mapkit.questions.counting2 import Counting2Config, _strata

    return _strata(g, Counting2Config())


def test_answer_balance(load_real):
    g = load_real("singapore")
    for family in ("TorF1", "TorF2"):
        answers = [it["answer"] for it in _items(g, family, n=400)]
        assert answers.count(1) == answers.count(0) == 200
    positions = [it["answer"] for it in _items(g, "Counting1", n=800)]
    assert all(150 <= positions.count(k) <= 250 for k in range(4)), positions
    # strata in turn while each lasts; a used-up stratum drops out (no repeated station within capacity)
    fam = get_family("Counting2")
    strata = [len(v) for v in fam_strata(g).values()]
    m = min(strata)
    counts = [min(it["answer"], 3) for it in _items(g, "Counting2", n=3 * m)]
    assert counts.count(1) == counts.count(2) == counts.count(3) == m
    cap = fam.capacity(g, fam.config_cls())
    ids = [it["mapkit"]["station_ids"][0] for it in _items(g, "Counting2", n=cap)]
    assert len(set(ids)) == cap == sum(strata)
    levels = [it["difficulty_question"] for it in _items(g, "planning", n=200)]
    assert levels.count("easy") > levels.count("medium") > levels.count("hard") > 0


def test_distractors_are_distinct_and_in_range(load_real):
    g = load_real("beijing")
    for it in _items(g, "Counting1", n=300):
        opts = it["mapkit"]["options"]
        length = max(len(g.lines[lid].station_ids) for lid in it["mapkit"]["line_ids"])
        assert len(set(opts)) == 4 and all(0 <= o <= max(length - 2, 4) for o in opts)


@pytest.mark.parametrize("city", REAL_CITIES)
def test_real_cities_derive_and_check(load_real, city):
    g = load_real(city)
    for family in FAMILIES:
        fam = get_family(family)
        for item in _items(g, family, n=25, seed=11):
            assert fam.derive(item, g) == (item["answer"], item["answer_text"], item["mapkit"]["gold"])
            assert fam.check(item, item["answer_text"]).correct
            assert not fam.check(item, _wrong(item)).correct


def test_one_line_city_asks_no_unanswerable_yes_no():
    from mapkit.graph import Branch, Line, MetroGraph, Station

    # a one-line city (sydney was one before its train lines were added from the map)
    names = ["Tallawong", "Rouse Hill", "Kellyville", "Bella Vista", "Norwest", "Castle Hill"]
    g = MetroGraph(
        city="metro-only", country="nowhere", stations=[Station(n.lower().replace(" ", "-"), n) for n in names],
        lines=[Line("m1", "M1", (Branch(tuple(n.lower().replace(" ", "-") for n in names)),))],
    )
    for family in ("TorF1", "TorF2", "connecting_line"):
        fam = get_family(family)
        assert fam.capacity(g, fam.config_cls()) == 0 and fam.generate(g, 0, 0, fam.config_cls()) is None


def test_reasonmap_wording_is_the_published_one(load_real):
    g = load_real("singapore")
    c1 = _items(g, "Counting1", n=1)[0]
    assert c1["question"].startswith(
        'Please solve the multiple choice problem and put your answer (one of ABCD) in one "\\boxed{}". '
        "According to the subway map, how many intermediate stops are there between "
    )
    assert c1["question"].endswith(f" \nD) {c1['mapkit']['options'][3]} \n")
    t2 = _items(g, "TorF2", n=1)[0]
    line = g.lines[t2["mapkit"]["line_ids"][0]].name
    assert t2["question"].endswith(f"is it true that {t2['station_1']} is on the line {line}?")
    plan = _items(g, "planning", n=1)[0]
    assert plan["question"].startswith(f"According to the subway map, how do I get from {plan['station_1']} to ")


def test_templates_are_selectable(toy):
    from mapkit.questions.counting1 import Counting1Config

    fam = get_family("Counting1")
    items = [fam.generate(toy, 0, i, Counting1Config(templates=("reasonmap", "plain"))) for i in range(40)]
    assert {it["mapkit"]["template"] for it in items} == {"reasonmap", "plain"}
    for it in items:
        assert fam.derive(it, toy)[0] == it["answer"]


def test_config_ranges_are_checked():
    from mapkit.errors import ConfigError
    from mapkit.questions.counting1 import Counting1Config
    from mapkit.questions.planning import PlanningConfig

    with pytest.raises(ConfigError):
        Counting1Config(min_stops=5, max_stops=2)
    with pytest.raises(ConfigError):
        Counting1Config(templates=("nope",))
    with pytest.raises(ConfigError):
        PlanningConfig(variants=())


def test_rows_round_trip_through_json(toy):
    for family in FAMILIES:
        for item in _items(toy, family, n=10):
            back = json.loads(json.dumps(item, ensure_ascii=False))
            assert back == item
            assert get_family(family).derive(back, toy)[2] == back["mapkit"]["gold"]


def test_planning_refuses_a_free_change():
    from mapkit.errors import ConfigError
    from mapkit.questions.planning import PlanningConfig

    with pytest.raises(ConfigError, match="transfer_cost"):
        PlanningConfig(transfer_cost=0)


def test_counting1_distractors_stay_within_the_line(load_real):
    import random

    from mapkit.questions.counting1 import distractors

    for length in range(2, 30):
        for count in range(0, max(length - 1, 1)):
            d = distractors(random.Random(length * 31 + count), count, length)
            assert len(set(d)) == 3 and count not in d and all(0 <= x <= max(length - 2, 4) for x in d)
