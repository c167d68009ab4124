"""The oracle through score(): for every registered family, the gold answer written as a model would
(`... \\boxed{<answer_text>}`) earns full marks, and a wrong answer does not.

Full marks = correct, format followed, detail 1.0, reward == 2.5 * weight. Counting1's detail is the
listed intermediate stops, so its oracle lists them (``Stops: [...]``) as RewardMap's prompt asks.
Cities: the synthetic demo (graph reloadable offline: routes verified on the graph), the toy city
(its ``city_ref`` cannot be reloaded: routes checked against the stored gold) and two real cities.
"""

from __future__ import annotations

import pytest

from mapkit.answers.normalize import split_list, station_key
from mapkit.answers.routes import clear_graph_cache, parse_route
from mapkit.graph import toy_city
from mapkit.questions.registry import families
from mapkit.scoring import max_reward, score
from mapkit.sources import load_city

N_ITEMS = 6


def oracle_response(item: dict) -> str:
    lead = "Let me read the map carefully.\n"
    if item["type"] == "Counting1":
        lead += "Stops: [" + ", ".join(item["mapkit"]["gold"]["stop_names"]) + "]\n"
    return lead + "So the answer is \\boxed{" + item["answer_text"] + "}"


def _keys(text: str) -> frozenset[str]:
    return frozenset(station_key(x) for x in split_list(text))


def flipped(kind: str, text: str) -> str | None:
    """Another answer of the same form: the next option letter, the other of yes/no, the next count."""
    if kind == "Counting1":
        return "ABCD"[("ABCD".index(text) + 1) % 4]
    if kind in ("TorF1", "TorF2"):
        return "no" if text == "yes" else "yes"
    return str(int(text) + 1) if text.isdigit() else None


def wrong_answer(item: dict, others: list[dict]) -> str | None:
    kind, text = item["type"], item["answer_text"]
    if flipped(kind, text) is not None:
        return flipped(kind, text)
    if kind == "planning":
        legs = parse_route(text).legs
        # the same legs ridden backwards: every stop and line real, but the trip goes the wrong way
        back = [f"Route Name: {lg.line}\nDeparture Stop: {lg.arrival}\nArrival Stop: {lg.departure}" for lg in legs]
        return "\n--\n".join(reversed(back))
    for other in others:  # another question's answer of the same family, naming something else
        if other["id"] != item["id"] and _keys(other["answer_text"]) != _keys(text):
            return other["answer_text"]
    return None


def _cities(load_real):
    return {
        "demo": load_city("demo"),
        "toy": toy_city(),
        "beijing": load_real("beijing"),
        "singapore": load_real("singapore"),
    }


@pytest.fixture(scope="module")
def generated(load_real):
    clear_graph_cache()
    out: dict[tuple[str, str], list[dict]] = {}
    for city, g in _cities(load_real).items():
        for name, fam in families().items():
            items = [fam.generate(g, 11, i, fam.config_cls()) for i in range(N_ITEMS)]
            out[(city, name)] = [it for it in items if it is not None]
    return out


def test_every_family_generates_somewhere(generated):
    for name in families():
        assert any(generated[(c, name)] for c in ("demo", "toy", "beijing", "singapore")), name


def _items_of(generated, name):
    """``(city, item, the city's items of that family)`` for every generated item of family ``name``."""
    for (city, fam_name), items in generated.items():
        if fam_name == name:
            for item in items:
                yield city, item, items


@pytest.mark.parametrize("name", list(families()))
def test_oracle_scores_full_marks(generated, name, reasonmap_dir):
    checked = 0
    for city, item, _ in _items_of(generated, name):
        b = score(item, oracle_response(item), data_dir=reasonmap_dir)
        assert b.correct, (city, item["id"], b.notes)
        assert b.format_ok, (city, item["id"], b.notes)
        assert b.detail == 1.0, (city, item["id"], b.sub_scores, b.notes)
        assert b.reward == pytest.approx(max_reward(item["weight"])), (city, item["id"])
        if item["type"] == "planning":
            assert b.optimal, (city, item["id"], b.notes)
            on_gold = any("stored best route" in n for n in b.notes)
            assert on_gold == (city == "toy"), (city, b.notes)  # real and synthetic cities: on the graph
        checked += 1
    assert checked


@pytest.mark.parametrize("name", list(families()))
def test_wrong_answer_does_not_score(generated, name, reasonmap_dir):
    checked = 0
    for city, item, items in _items_of(generated, name):
        wrong = wrong_answer(item, items)
        if wrong is None:
            continue
        b = score(item, "Let me think.\n\\boxed{" + wrong + "}", data_dir=reasonmap_dir)
        assert not b.correct, (city, item["id"], wrong, b.notes)
        assert b.reward < max_reward(item["weight"]), (city, item["id"])
        checked += 1
    assert checked


@pytest.mark.parametrize("name", list(families()))
def test_empty_and_missing_answers_score_zero(generated, name):
    items = next(v for (c, n), v in generated.items() if n == name and v)
    for response in ("", r"\boxed{}", "I cannot tell."):
        b = score(items[0], response)
        assert not b.correct and not b.format_ok and b.reward == 0.0, (response, b.notes)
