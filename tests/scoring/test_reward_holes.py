"""Issue 13's reward holes and refused variants, on real generated rows, through every entry point.

Each case goes through :func:`mapkit.scoring.score`, the TRL reward (called as GRPOTrainer calls it)
and verl's ``compute_score``; all three must agree. Holes: bounds, negations and hedges round a number
or a yes/no, contradictions, detours that earned almost full reward. Variants: legend abbreviations
(Singapore's NSL), New York's "A train", Chinese numerals, 是/否, "... MRT Station", an explanation
that uses the word "no".
"""

from __future__ import annotations

import json

import pytest

from mapkit.answers.routes import route_variant
from mapkit.graph.routes import Leg, Route
from mapkit.questions import get_family
from mapkit.scoring import format_route_answer, make_trl_reward, max_reward, score
from mapkit.scoring.verl import compute_score

from .test_adapters import _trl_call


def _item(g, family, **want):
    fam = get_family(family)
    for i in range(400):
        it = fam.generate(g, 2, i, fam.config_cls())
        if it is None:
            break
        if all((it[k] if k in it else it["mapkit"]["gold"].get(k)) == v for k, v in want.items()):
            return it
    pytest.fail(f"no {family} item with {want} on {g.city}")


def _everywhere(item, response, data_dir):
    """The breakdown from score(), after checking that TRL and verl give the same reward and accuracy."""
    b = score(item, response, data_dir=data_dir)
    rewards, extra, _ = _trl_call(
        make_trl_reward(data_dir=data_dir), [{"prompt": "p", "item": json.dumps(item, ensure_ascii=False)}],
        [[{"role": "assistant", "content": response}]],
    )
    assert rewards == [pytest.approx(b.reward)] and extra["mapkit_correct"] == [b.correct]
    v = compute_score("mapkit", response, json.dumps(item, ensure_ascii=False), None, data_dir=data_dir)
    assert v["score"] == pytest.approx(b.reward) and v["acc"] == b.accuracy
    return b


@pytest.fixture(scope="module")
def sg(load_real):
    return load_real("singapore")


HEDGES = ["not {n}", "more than {n}", "at most {n}", "{n} or fewer", "≥{n}", "{n}+", "~{n}", "maybe {n}",
          "at least {n}", "about {n}", "{n}?", "no more than {n}", "不是{n}", "约{n}"]


@pytest.mark.parametrize("hedge", HEDGES)
def test_bounds_negations_and_hedges_round_a_count_are_wrong(sg, reasonmap_dir, hedge):
    for item in (_item(sg, "Counting2", answer=2), _item(sg, "Counting3"), _item(sg, "line_stations_count")):
        n = item["answer"]
        assert _everywhere(item, f"\\boxed{{{n}}}", reasonmap_dir).correct
        b = _everywhere(item, "\\boxed{" + hedge.format(n=n) + "}", reasonmap_dir)
        assert not b.correct and b.reward == pytest.approx(item["weight"] * 1.0), (hedge, b.notes)


# Singapore's map draws 9 lines (six MRT, three LRT: docs/curation.md, map coverage)
@pytest.mark.parametrize("text,count", [("两", 2), ("二", 2), ("两条线", 2), ("九", 9), ("九条", 9)])
def test_chinese_numerals_count(sg, reasonmap_dir, text, count):
    item = _item(sg, "Counting2", answer=2) if count == 2 else _item(sg, "Counting3")
    assert item["answer"] == count
    assert _everywhere(item, f"\\boxed{{{text}}}", reasonmap_dir).correct


@pytest.mark.parametrize(
    "answer,response,correct",
    [
        (1, "yes, it is not", False),
        (1, "Yes, they are not on the same line", False),
        (1, "yes, no", False),
        (0, "no, it is true", False),
        (1, "是", True),
        (0, "否", True),
        (1, "是的，它们在同一条线上", True),
        (1, "Yes, no change of train is needed", True),
        (0, "No, there is no line serving both", True),
        (0, "No, that is not true", True),
    ],
)
def test_yes_no_contradictions_and_variants(sg, reasonmap_dir, answer, response, correct):
    for family in ("TorF1", "TorF2"):
        item = _item(sg, family, answer=answer)
        assert _everywhere(item, f"\\boxed{{{response}}}", reasonmap_dir).correct is correct, (family, response)


def test_contradicted_station_names_are_wrong_and_mrt_suffix_is_fine(sg, reasonmap_dir):
    item = _item(sg, "next_station")
    name = item["answer_text"]
    other = next(s.name for s in sg.stations.values() if s.name != name)
    assert not _everywhere(item, f"\\boxed{{{name} (not {other})}}", reasonmap_dir).correct
    assert not _everywhere(item, f"\\boxed{{{name}, not {other}}}", reasonmap_dir).correct
    assert not _everywhere(item, f"\\boxed{{maybe {name}}}", reasonmap_dir).correct
    bare = name.removesuffix(" Station")
    assert _everywhere(item, f"\\boxed{{{bare} MRT Station}}", reasonmap_dir).correct
    assert _everywhere(item, f"\\boxed{{{bare}}}", reasonmap_dir).correct


def test_singapore_legend_abbreviations(sg, reasonmap_dir):
    abbr = {ln.name: ln.aliases[0] for ln in sg.lines.values()}
    assert abbr["North South Line"] == "NSL" and abbr["East West Line"] == "EWL"
    item = _item(sg, "lines_at", answer_text="North South Line, East West Line")
    assert _everywhere(item, r"\boxed{EWL, NSL}", reasonmap_dir).correct
    assert not _everywhere(item, r"\boxed{NSL}", reasonmap_dir).correct  # one line short
    assert not _everywhere(item, r"\boxed{NSL, EWL, CCL}", reasonmap_dir).correct  # one too many
    item = _item(sg, "connecting_line")
    right = sg.lines[item["mapkit"]["gold"]["line"]].aliases[0]
    wrong = next(a for ln in sg.lines.values() for a in ln.aliases[:1] if a != right)
    assert _everywhere(item, f"\\boxed{{{right}}}", reasonmap_dir).correct
    assert not _everywhere(item, f"\\boxed{{{wrong}}}", reasonmap_dir).correct
    assert not _everywhere(item, f"\\boxed{{{right} (not {wrong})}}", reasonmap_dir).correct


def test_new_york_service_letters(load_real, reasonmap_dir):
    ny = load_real("new_york")
    item = _item(ny, "connecting_line")
    letter = item["answer_text"]
    for text in (letter, f"{letter} train", f"the {letter} train", f"{letter} Train"):
        assert _everywhere(item, f"\\boxed{{{text}}}", reasonmap_dir).correct, text
    other = next(ln.name for ln in ny.lines.values() if ln.name != letter)
    assert not _everywhere(item, f"\\boxed{{{other} train}}", reasonmap_dir).correct
    item = _item(ny, "lines_at")
    names = item["mapkit"]["gold"]["line_names"]
    assert _everywhere(item, "\\boxed{" + ", ".join(f"{n} train" for n in names) + "}", reasonmap_dir).correct


def test_chinese_line_numerals(load_real, reasonmap_dir):
    bj = load_real("beijing")
    fam = get_family("connecting_line")
    item = next(
        it for i in range(300)
        if (it := fam.generate(bj, 2, i, fam.config_cls())) and it["answer_text"] in ("Line 2", "Line 3", "Line 10")
    )
    cjk = {"Line 2": "二号线", "Line 3": "三号线", "Line 10": "十号线"}[item["answer_text"]]
    assert _everywhere(item, f"\\boxed{{{cjk}}}", reasonmap_dir).correct
    assert not _everywhere(item, r"\boxed{四号线}", reasonmap_dir).correct


# --- route planning: a negated via count, detours ------------------------------------------------


def _planning(g, template, transfers=None):
    from mapkit.questions.planning import PlanningConfig

    fam = get_family("planning")
    cfg = PlanningConfig(variants=(template,))
    for i in range(200):
        it = fam.generate(g, 4, i, cfg)
        legs = it["mapkit"]["gold"]["routes"][0]["legs"]
        ok = all(len(g.lines[lg["line"]].branches) == 1 and not g.lines[lg["line"]].loop for lg in legs)
        if ok and (transfers is None or len(legs) - 1 == transfers) and sum(len(lg["via"]) for lg in legs) >= 3:
            return it
    pytest.fail("no planning item on plain lines")


def test_negated_via_count_is_wrong(sg, reasonmap_dir):
    item = _planning(sg, "long_count")
    assert _everywhere(item, "\\boxed{" + item["answer_text"] + "}", reasonmap_dir).correct
    negated = item["answer_text"].replace("Number of Via Stops: ", "Number of Via Stops: not ")
    b = _everywhere(item, "\\boxed{" + negated + "}", reasonmap_dir)
    assert not b.correct and any("not a number" in n for n in b.notes)


def _detour(g, item):
    """The best route, but the first leg rides on to the end of its line and back."""
    gold_legs = item["mapkit"]["gold"]["routes"][0]["legs"]
    legs = [Leg(lg["line"], lg["from"], lg["to"], tuple(lg["via"])) for lg in gold_legs]
    first = legs[0]
    seq = g.lines[first.line].branches[0].stations
    end = seq[-1] if seq.index(first.start) < seq.index(first.end) else seq[0]
    i, j, k = seq.index(first.start), seq.index(end), seq.index(first.end)
    out = Leg(first.line, first.start, end, tuple(seq[min(i, j) + 1 : max(i, j)]))
    back = Leg(first.line, end, first.end, tuple(seq[min(j, k) + 1 : max(j, k)]))
    return Route((out, back, *legs[1:]))


def _hops(item):
    """The best route written as one leg per hop (a change at every station)."""
    legs = []
    for lg in item["mapkit"]["gold"]["routes"][0]["legs"]:
        path = [lg["from"], *lg["via"], lg["to"]]
        legs += [Leg(lg["line"], a, b) for a, b in zip(path, path[1:])]
    return Route(tuple(legs))


def test_detours_earn_clearly_less_but_stay_valid_for_reasonmap_accuracy(sg, reasonmap_dir):
    item = _planning(sg, "short", transfers=0)
    best = item["mapkit"]["gold"]["cost"]
    top = _everywhere(item, "\\boxed{" + item["answer_text"] + "}", reasonmap_dir)
    assert top.correct and top.optimal and top.reward == pytest.approx(max_reward(item["weight"]))
    for route in (_detour(sg, item), _hops(item)):
        text = format_route_answer(sg, route, variant=route_variant(item))
        b = _everywhere(item, "\\boxed{" + text + "}", reasonmap_dir)
        cost = route.cost()
        assert cost > best
        # valid (ReasonMap's accuracy counts it), not optimal, and the reward scales with best / cost
        assert b.correct and b.accuracy == 1.0 and b.optimal is False
        assert b.efficiency == pytest.approx(best / cost, abs=1e-6)
        assert b.reward < top.reward - item["weight"] * (1 - best / cost) + 1e-6
        assert b.reward <= 0.8 * top.reward, (str(route), b.reward, top.reward)
        strict = score(item, "\\boxed{" + text + "}", data_dir=reasonmap_dir, require_optimal=True)
        assert not strict.correct and strict.reward < b.reward


def test_legend_abbreviations_in_routes_on_the_graph_and_from_the_gold(sg, reasonmap_dir, tmp_path):
    item = _planning(sg, "short")
    legs = item["mapkit"]["gold"]["routes"][0]["legs"]
    assert set(item["mapkit"]["gold"]["line_aliases"]) == {lg["line"] for lg in legs}
    text = item["answer_text"]
    for lg in legs:
        text = text.replace(f"Route Name: {lg['line_name']}", f"Route Name: {sg.lines[lg['line']].aliases[0]}")
    assert "Route Name: " in text and text != item["answer_text"]
    assert _everywhere(item, "\\boxed{" + text + "}", reasonmap_dir).correct  # verified on the graph
    empty = tmp_path / "no-data"
    (empty / "stations").mkdir(parents=True)
    b = score(item, "\\boxed{" + text + "}", data_dir=empty)  # no graph: compared with the stored routes
    assert b.correct and any("stored best route" in n for n in b.notes), b.notes
