"""List and name answers go through the shared matchers: repeats and unknown items cost, variants pass."""

from __future__ import annotations

import pytest

from mapkit.questions.registry import get_family
from mapkit.sources import load_city


def _first(kind: str, pred) -> dict:
    fam, g = get_family(kind), load_city("demo")
    for i in range(200):
        item = fam.generate(g, 0, i, fam.config_cls())
        if item is not None and pred(item):
            return item
    raise AssertionError(f"no {kind} item matched")


@pytest.mark.parametrize(("family", "ids", "names"), [("lines_at", "lines", "line_names"),
                                                       ("terminals", "terminals", "terminal_names")])
def test_lists_in_any_order_but_no_repeats_or_unknown_items(family, ids, names):
    item = _first(family, lambda it: len(it["mapkit"]["gold"][ids]) == 2)
    check = get_family(family).check
    a, b = item["mapkit"]["gold"][names]
    assert check(item, f"{b}, {a}").correct
    assert not check(item, f"{a}, {b}, {a}").correct and not check(item, f"{a}, {a}, {b}").correct
    assert not check(item, f"{a}, {b}, Nowhere 99").correct
    assert 0 < check(item, a).detail < 1


def test_next_station_accepts_a_station_code_suffix_and_connecting_line_a_bare_number():
    item = _first("next_station", lambda it: True)
    assert get_family("next_station").check(item, item["mapkit"]["gold"]["next_name"] + " (EW24)").correct
    item = _first("connecting_line", lambda it: it["mapkit"]["gold"]["line_name"].startswith("Line "))
    assert get_family("connecting_line").check(item, item["mapkit"]["gold"]["line_name"].removeprefix("Line ")).correct
