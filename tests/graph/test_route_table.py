"""The numpy route table (planning's pools and routes) equals the Python route oracle, node by node and pair by pair."""

from __future__ import annotations

import itertools
import random

import pytest

from mapkit.graph.oracle import RouteOracle
from mapkit.graph.route_table import _INF, BOARD_BITS, RouteTable, table_for
from mapkit.graph.routes import enumerate_best_routes


def _same_search(g, transfer_cost=3.0, sources=None):
    """Every source's distance and fewest boardings to every node equal the oracle's whole Dijkstra tree."""
    sources = list(sources or g.stations)
    table = RouteTable(RouteOracle(g, transfer_cost), sources)
    oracle = RouteOracle(g, transfer_cost)
    for r, a in enumerate(sources):
        dist, _, boards = oracle._tree(a)
        lex = table.lex[r].tolist()
        for v, d in enumerate(dist):
            if d == float("inf"):
                assert lex[v] >= _INF, (a, v)
            else:
                assert (lex[v] >> BOARD_BITS, lex[v] & 0xFFFF) == (d, boards[v]), (a, v)
    return table, oracle


def test_table_equals_the_oracle_on_every_pair_of_the_small_maps(small_map):
    table, oracle = _same_search(small_map)
    for a, b in itertools.permutations(small_map.stations, 2):
        want = enumerate_best_routes(small_map, a, b)
        assert table.best_routes(a, b) == want == oracle.best_routes(a, b), (a, b)
        assert table.cost(a, b) == oracle.cost(a, b)
        assert table.min_transfers(a, b) == oracle.min_transfers(a, b)


@pytest.mark.parametrize("city", ["auckland", "singapore", "sydney", "new_york", "los_angeles"])
def test_table_equals_the_oracle_on_real_cities(load_real, city):
    """Loops, one-way services, branches sharing a trunk (several tight predecessors), ambiguous stations."""
    g = load_real(city)
    table, oracle = _same_search(g)
    pairs = list(itertools.permutations(g.stations, 2))
    if len(pairs) > 6000:
        pairs = random.Random(city).sample(pairs, 6000)
    several = 0
    for a, b in pairs:
        want = oracle.best_routes(a, b)
        assert table.best_routes(a, b) == want, (city, a, b)
        several += len(want) > 1
    assert several  # the enumeration of several routes was exercised, not only the single-route loop


@pytest.mark.parametrize("cost", [1.0, 2.0, 5.0])
def test_other_integer_transfer_costs(toy, cost):
    table, oracle = _same_search(toy, cost)
    for a, b in itertools.permutations(toy.stations, 2):
        assert table.best_routes(a, b) == enumerate_best_routes(toy, a, b, transfer_cost=cost), (a, b)


def test_levels_and_fractional_costs(toy):
    table = table_for(RouteOracle(toy), sorted(toy.stations))
    oracle = RouteOracle(toy)
    stations = sorted(toy.stations)
    level = table.levels(stations)
    for i, a in enumerate(stations):
        for j, b in enumerate(stations):
            want = oracle.min_transfers(a, b)
            assert level[i, j] == (-1 if want is None else min(want, 2)), (a, b)
    assert table_for(RouteOracle(toy, 2.5), stations) is None  # ties in floats are not exact: the oracle answers
