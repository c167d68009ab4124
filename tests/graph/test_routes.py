"""Best routes under a transfer-aware cost, checked against an independent enumeration."""

from __future__ import annotations

import itertools

import pytest

from mapkit.errors import NoRouteError
from mapkit.graph import Branch, Leg, Line, MetroGraph, Route, Station, best_routes, route_from_stations


def test_direct_ride_beats_a_transfer(toy):
    routes = best_routes(toy, "a", "e")
    assert [str(r) for r in routes] == ["red: a -> e (via b, c, d)"]
    assert routes[0].transfers == 0 and routes[0].stops == 4


def test_loop_rides_the_short_way_round(toy):
    (route,) = best_routes(toy, "f", "h")
    assert route.legs == (Leg("blue", "f", "h", ()),)


def test_change_between_branches_of_one_line_is_a_transfer(toy):
    (route,) = best_routes(toy, "k", "l")
    assert route.legs == (Leg("green", "k", "j", ()), Leg("green", "j", "l", ()))
    assert route.transfers == 1


def test_every_equally_good_route_is_returned():
    # two parallel lines between the same stations: both one-leg routes are optimal
    g = MetroGraph(
        city="t",
        country="x",
        stations=[Station(s, s) for s in "abc"],
        lines=[Line("l1", "L1", (Branch(("a", "b", "c")),)), Line("l2", "L2", (Branch(("a", "b", "c")),))],
    )
    assert {r.legs[0].line for r in best_routes(g, "a", "c")} == {"l1", "l2"}


def test_transfer_cost_trades_stops_for_changes():
    # a long direct line vs a short path with one change
    stations = [Station(s, s) for s in "abcdefgxy"]
    lines = [
        Line("slow", "Slow", (Branch(tuple("abcdefg")),)),
        Line("p", "P", (Branch(("a", "x")),)),
        Line("q", "Q", (Branch(("x", "g")),)),
    ]
    g = MetroGraph(city="t", country="x", stations=stations, lines=lines)
    assert best_routes(g, "a", "g", transfer_cost=5)[0].transfers == 0  # 6 stops beat 2 + 5
    assert best_routes(g, "a", "g", transfer_cost=3)[0].transfers == 1  # 2 + 3 beat 6 stops


def test_disconnected_parts_have_no_route():
    g = MetroGraph(
        city="t",
        country="x",
        stations=[Station(s, s) for s in "abcd"],
        lines=[Line("l1", "L1", (Branch(("a", "b")),)), Line("l2", "L2", (Branch(("c", "d")),))],
    )
    with pytest.raises(NoRouteError, match="disconnected"):
        best_routes(g, "a", "d")
    with pytest.raises(NoRouteError):
        best_routes(g, "a", "a")


def _enumerate_routes(g: MetroGraph, a: str, b: str, transfer_cost: float, max_legs: int = 3) -> float:
    """Independent brute force: every chain of <= max_legs one-service rides from a to b."""
    rides = []
    for ln in g.lines.values():
        for br in ln.branches:
            seq = br.stations
            for s, e in itertools.permutations(seq, 2):
                i, j = seq.index(s), seq.index(e)
                direct = abs(i - j)
                if br.loop:
                    direct = min(direct, len(seq) - direct)
                rides.append((s, e, direct))
    best = float("inf")
    frontier = [(a, 0.0, 0)]
    for _ in range(max_legs):
        nxt = []
        for station, cost, legs in frontier:
            for s, e, n in rides:
                if s == station:
                    c = cost + n + (transfer_cost if legs else 0)
                    if e == b:
                        best = min(best, c)
                    nxt.append((e, c, legs + 1))
        frontier = nxt
    return best


def test_route_costs_agree_with_brute_force_on_the_toy_city(toy):
    for a, b in itertools.permutations(sorted(toy.stations), 2):
        routes = best_routes(toy, a, b)
        assert routes, (a, b)
        costs = {r.cost() for r in routes}
        assert len(costs) == 1
        assert costs.pop() == _enumerate_routes(toy, a, b, 3.0), (a, b)
        for r in routes:  # legs chain and each leg's via matches the line's own span
            assert r.legs[0].start == a and r.legs[-1].end == b
            for x, y in zip(r.legs, r.legs[1:]):
                assert x.end == y.start


def test_route_from_stations_fills_via(toy):
    assert route_from_stations(toy, [("red", "a", "c"), ("blue", "c", "g")]) == Route(
        (Leg("red", "a", "c", ("b",)), Leg("blue", "c", "g", ()))
    )


def test_zero_transfer_cost_counts_stops_only_and_adds_no_pointless_changes(toy):
    # docs/graph.md promises transfer_cost=0 works: zero-cost changes must not loop or split a ride
    assert [str(r) for r in best_routes(toy, "a", "e", transfer_cost=0)] == ["red: a -> e (via b, c, d)"]
    assert {r.stops for r in best_routes(toy, "a", "g", transfer_cost=0)} == {3}
