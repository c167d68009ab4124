"""Hedged answers ("B or C", "yes/no", "2 or 3") never score as correct through the registered families.

A reward that pays for hedges teaches a policy to hedge; each case below puts the gold answer first,
so a parser that takes the first token would wrongly accept it.
"""

from __future__ import annotations

import pytest

from mapkit.questions.registry import get_family
from mapkit.scoring import score
from mapkit.sources import load_city

from .test_oracle import flipped


def _item(kind: str, index: int = 0) -> dict:
    fam = get_family(kind)
    g = load_city("demo")
    for i in range(index, index + 50):
        item = fam.generate(g, 0, i, fam.config_cls())
        if item is not None:
            return item
    pytest.fail(f"{kind} made no item on the demo city")


def _other(kind: str, text: str) -> str:
    return flipped(kind, text) or "Nowhere Station"


@pytest.mark.parametrize(
    "kind",
    ["Counting1", "Counting2", "Counting3", "TorF1", "TorF2", "line_stations_count", "next_station", "connecting_line"],
)
@pytest.mark.parametrize("joiner", [" or ", "/", ", maybe "])
def test_hedges_are_not_correct(kind, joiner):
    item = _item(kind)
    gold = item["answer_text"]
    assert score(item, f"\\boxed{{{gold}}}").correct  # the gold alone is right...
    hedge = gold + joiner + _other(kind, gold)
    result = score(item, f"\\boxed{{{hedge}}}")
    assert not result.correct, (kind, hedge, result.notes)  # ...but not hedged with a wrong one


def test_counting1_wants_a_letter_not_a_bare_count():
    item = _item("Counting1")
    count = item["mapkit"]["options"][item["answer"]]
    assert not score(item, f"\\boxed{{{count}}}").correct
