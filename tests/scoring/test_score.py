"""score(): the reward formula, the fixed RewardMap bugs, weights and weighted accuracy.

Plus-type families are stand-ins built on the shared normalisers, so these tests pin the scoring
path itself; tests/scoring/test_oracle.py runs the registered families through it.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from mapkit.answers.normalize import parse_yes_no
from mapkit.errors import ItemError
from mapkit.graph import best_routes
from mapkit.scoring import (
    ScoreBreakdown,
    accuracy_weight,
    format_route_answer,
    item_weight,
    max_reward,
    score,
    stops_detail,
    weighted_accuracy,
)

from .test_routes import block, planning_item


def _family(parse):
    def check(item, extracted, given=None):
        v = parse(item, extracted)
        ok = v is not None and v == item["answer"]
        return SimpleNamespace(correct=ok, detail=1.0 if ok else 0.0, notes="" if ok else f"got {v!r}")

    return SimpleNamespace(check=check)


TORF = _family(lambda item, x: None if parse_yes_no(x) is None else int(parse_yes_no(x)))


def torf_item(level: str = "easy", weight: float | None = None) -> dict:
    item = {
        "id": f"t:{level}", "type": "TorF1", "difficulty_city": level, "answer": 1, "answer_text": "yes",
        "mapkit": {"gold": {}},
    }  # fmt: skip
    if weight is not None:
        item["weight"] = weight
    return item


def counting1_item() -> dict:
    # A Station -> D Station on Red Line: B and C in between (right option: C = 2)
    return {
        "id": "toyville:Counting1:0:0",
        "type": "Counting1",
        "station_1": "A Station",
        "station_2": "D Station",
        "answer": 2,
        "answer_text": "C",
        "difficulty_city": "middle",
        "weight": 1.2,
        "mapkit": {
            "city_ref": "no-such-city-anywhere",
            "station_ids": ["a", "d"],
            "options": [0, 3, 2, 1],
            "gold": {"count": 2, "stops": ["b", "c"], "stop_names": ["B Station", "C Station"]},
        },
    }


# --- the formula ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "fmt", "correct", "reward"),
    [
        (r"\boxed{yes}", True, True, 2.5),  # W * (1 + 1 + 0.5 * 1)
        ("The answer is yes.", False, True, 1.5),  # no format point
        (r"\boxed{no}", True, False, 1.0),  # format only
        ("no", False, False, 0.0),
        (r"\boxed{yes/no}", True, False, 1.0),  # a hedge is wrong
        (r"\boxed{no} ... \boxed{yes}", False, True, 1.5),  # disagreeing boxes lose the format point
        (r"\boxed{yes", False, False, 0.0),  # truncated
    ],
)
def test_reward_formula(response, fmt, correct, reward):
    b = score(torf_item(weight=1.0), response, family=TORF)
    assert (b.format_ok, b.correct, b.reward) == (fmt, correct, reward)
    assert b.reward == pytest.approx(b.weight * (b.format_ok + b.correct + 0.5 * b.detail))
    assert b.accuracy == float(correct)


def test_weight_scales_the_reward():
    b = score(torf_item("hard", weight=1.5), r"\boxed{yes}", family=TORF)
    assert b.reward == max_reward(1.5) == 3.75


def test_item_weight_from_row():
    assert item_weight({"weight": 1.7}) == 1.7
    assert item_weight({"difficulty_city": "middle", "type": "TorF1"}) == 1.2
    assert item_weight({"difficulty_city": "easy", "type": "planning", "question_transfer_count": 2}) == 1.5
    assert item_weight({"difficulty_city": "easy", "type": "planning", "question_transfer_count": 0}) == 1.0


def test_breakdown_is_frozen_and_serialisable():
    b = score(torf_item(weight=1.0), r"\boxed{yes}", family=TORF)
    with pytest.raises(AttributeError):
        b.reward = 0  # type: ignore[misc]
    d = b.to_dict()
    assert d["id"] == "t:easy" and d["reward"] == 2.5 and d["notes"] == [] and d["method"] == "boxed"
    assert b.components == {"format": 1.0, "correct": 1.0, "detail": 1.0}


def test_family_notes_string_or_sequence():
    b = score(torf_item(weight=1.0), r"\boxed{no}", family=TORF)
    assert "got 0" in b.notes


def test_unknown_type_is_an_item_error():
    with pytest.raises(ItemError):
        score({"type": "NoSuchFamily", "mapkit": {}}, r"\boxed{1}")
    with pytest.raises(ItemError):
        score({"type": "NoSuchFamily", "mapkit": {}}, "")  # even with nothing to check
    with pytest.raises(ItemError):
        score({"mapkit": {}}, r"\boxed{1}")


# --- Counting1 (its registered family): the detail term that the released code never added ---


def test_counting1_detail_is_added():
    item = counting1_item()
    plain = score(item, r"\boxed{C}")
    listed = score(item, "Stops: [B Station, C Station]. So 2 stops: \\boxed{C}")
    assert plain.correct and listed.correct
    assert plain.detail == 0.0 and any("Stops:" in n for n in plain.notes)
    assert listed.detail == 1.0 and dict(listed.sub_scores) == {"stops": 1.0}
    assert listed.reward == pytest.approx(1.2 * 2.5)
    assert listed.reward - plain.reward == pytest.approx(1.2 * 0.5)


def test_counting1_detail_penalises_wrong_and_repeated_stops():
    item = counting1_item()
    half = score(item, r"Stops: [B]. \boxed{B}")
    assert not half.correct and half.detail == 0.5  # partial credit even with the wrong letter
    noisy = score(item, r"Stops: [B, B, C, X]. \boxed{C}")
    assert noisy.detail == 0.0  # 2 right - 2 wrong/repeated


def test_stops_detail_edges():
    assert stops_detail(None, {"b": ["B"]})[0] == 0.0
    assert stops_detail([], {}) == (1.0, "")  # adjacent stations: an empty list is right
    assert stops_detail(["B"], {})[0] == 0.0


# --- planning: the leg penalty without the off-by-one -----------------------------------------


def test_correct_planning_answer_gets_no_leg_penalty(toy):
    item = planning_item(toy, "a", "g")
    assert item["question_transfer_count"] == 1
    b = score(item, "Let me trace it.\n\\boxed{" + item["answer_text"] + "}", graph=toy)
    assert b.correct and b.optimal and b.format_ok
    assert dict(b.sub_scores)["legs"] == 1.0
    assert b.detail == 1.0
    assert b.reward == max_reward(item["weight"]) == 1.5 * 2.5


def test_planning_valid_non_optimal_and_require_optimal(toy):
    item = planning_item(toy, "a", "g")
    detour = block(
        ("Red Line", "A Station", "C Station"),
        ("Blue Line", "C Station", "H Station"),
        ("Blue Line", "H Station", "G Station"),
    )
    b = score(item, "\\boxed{" + detour + "}", graph=toy)
    assert b.correct and b.optimal is False and b.detail < 1
    strict = score(item, "\\boxed{" + detour + "}", graph=toy, require_optimal=True)
    assert not strict.correct and any("optimal" in n for n in strict.notes)


def test_planning_unboxed_block_is_graded_without_format(toy):
    item = planning_item(toy, "a", "g")
    b = score(item, "Here is my route:\n" + item["answer_text"] + "\nHope it helps.", graph=toy)
    assert b.correct and not b.format_ok and b.method == "route-block"


@pytest.mark.parametrize("tail", ["so \\boxed{\n", "so \\boxed{}", "so \\boxed{ } and \\boxed{"])
def test_planning_cut_off_or_empty_box_is_no_answer(toy, tail):
    # the route written before a box that never closes (or is empty) must not be graded instead
    item = planning_item(toy, "a", "g")
    for response in (tail + item["answer_text"], item["answer_text"] + "\n" + tail):
        b = score(item, response, graph=toy)
        assert b.extracted is None and b.method == "boxed"
        assert not b.correct and not b.format_ok and b.reward == 0.0


def test_planning_box_without_route_block_loses_format(toy):
    item = planning_item(toy, "a", "g")
    b = score(item, r"\boxed{take the red line then the blue line}", graph=toy)
    assert not b.correct and not b.format_ok


def test_planning_weight_and_accuracy_weight(toy):
    item = planning_item(toy, "a", "e")  # a direct ride
    assert item["question_transfer_count"] == 0
    assert accuracy_weight(item) == 1.0
    route = best_routes(toy, "a", "e")[0]
    b = score(item, "\\boxed{" + format_route_answer(toy, route) + "}", graph=toy)
    assert b.reward == 2.5


# --- weighted accuracy ---------------------------------------------------------------------


def test_accuracy_weights():
    assert [accuracy_weight({"type": "TorF1", "difficulty_city": lv}) for lv in ("easy", "middle", "hard")] == [
        1.0,
        1.5,
        2.0,
    ]
    planning = {"type": "planning", "difficulty_city": "middle", "difficulty_question": "hard"}
    assert accuracy_weight(planning) == 1 + 0.5 * (2 + 1)


def test_weighted_accuracy_from_items_and_breakdowns():
    items = [torf_item("easy", 1.0), torf_item("middle", 1.2), torf_item("hard", 1.5)]
    responses = [r"\boxed{yes}", r"\boxed{no}", r"\boxed{yes}"]
    bs = [score(it, r, family=TORF) for it, r in zip(items, responses)]
    expected = (1.0 + 2.0) / (1.0 + 1.5 + 2.0)
    assert weighted_accuracy(bs, items) == pytest.approx(expected)
    assert weighted_accuracy(bs) == pytest.approx(expected)
    assert weighted_accuracy([]) == 0.0
    with pytest.raises(ValueError):
        weighted_accuracy(bs, items[:2])


def test_breakdown_direct_construction_defaults():
    b = ScoreBreakdown("x", "TorF1", True, "yes", True, 1.0, 1.0, 2.5, 1.0)
    assert b.accuracy_weight == 1.0 and b.optimal is None and b.sub_scores == ()
