"""List and name answers go through the shared matchers: repeats and unknown items cost, variants pass."""

from __future__ import annotations

from mapkit.questions.registry import get_family
from mapkit.sources import load_city


def _first(kind: str, pred) -> dict:
    fam, g = get_family(kind), load_city("demo")
    for i in range(200):
        item = fam.generate(g, 0, i, fam.config_cls())
        if item is not None and pred(item):
            return item
    raise AssertionError(f"no {kind} item matched")


def test_lines_at_repeats_and_unknown_lines_are_not_correct():
    item = _first("lines_at", lambda it: len(it["mapkit"]["gold"]["lines"]) == 2)
    fam = get_family("lines_at")
    a, b = item["mapkit"]["gold"]["line_names"]
    assert fam.check(item, f"{b}, {a}").correct
    assert not fam.check(item, f"{a}, {b}, {a}").correct
    assert not fam.check(item, f"{a}, {b}, Line 99").correct
    assert 0 < fam.check(item, a).detail < 1


def test_terminals_accept_any_order_but_not_repeats():
    item = _first("terminals", lambda it: len(it["mapkit"]["gold"]["terminals"]) == 2)
    fam = get_family("terminals")
    a, b = item["mapkit"]["gold"]["terminal_names"]
    assert fam.check(item, f"{b}, {a}").correct
    assert not fam.check(item, f"{a}, {a}, {b}").correct


def test_next_station_accepts_a_station_code_suffix_and_connecting_line_a_bare_number():
    item = _first("next_station", lambda it: True)
    assert get_family("next_station").check(item, item["mapkit"]["gold"]["next_name"] + " (EW24)").correct
    item = _first("connecting_line", lambda it: it["mapkit"]["gold"]["line_name"].startswith("Line "))
    assert get_family("connecting_line").check(item, item["mapkit"]["gold"]["line_name"].removeprefix("Line ")).correct
