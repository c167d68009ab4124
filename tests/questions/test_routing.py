"""The route oracle returns exactly what mapkit.graph.best_routes returns, pair by pair."""

from __future__ import annotations

import itertools
import random

import pytest

from mapkit.graph import best_routes
from mapkit.questions.routing import RouteOracle


def _pairs(g, limit=None, seed=0):
    pairs = list(itertools.permutations(g.stations, 2))
    if limit is not None and len(pairs) > limit:
        pairs = random.Random(seed).sample(pairs, limit)
    return pairs


def test_oracle_equals_best_routes_on_every_pair_of_the_small_maps(small_map):
    oracle = RouteOracle(small_map)
    for a, b in _pairs(small_map):
        want = best_routes(small_map, a, b)
        assert oracle.best_routes(a, b) == want, (a, b)
        assert oracle.cost(a, b) == want[0].cost()
        assert oracle.min_transfers(a, b) == want[0].transfers


@pytest.mark.parametrize("city,limit", [("auckland", None), ("singapore", 400), ("washington", 400), ("new_york", 300)])
def test_oracle_equals_best_routes_on_real_cities(load_real, city, limit):
    g = load_real(city)
    oracle = RouteOracle(g)
    for a, b in _pairs(g, limit):
        want = best_routes(g, a, b)
        assert oracle.best_routes(a, b) == want, (city, a, b)
        assert oracle.min_transfers(a, b) == want[0].transfers


def test_fractional_transfer_cost(toy):
    oracle = RouteOracle(toy, transfer_cost=2.5)
    for a, b in _pairs(toy):
        assert oracle.best_routes(a, b) == best_routes(toy, a, b, transfer_cost=2.5)


def test_line_paths_equal_stops_between_paths(small_map, load_real):
    from mapkit.errors import NotOnSameLineError
    from mapkit.graph import stops_between
    from mapkit.questions.base import line_paths

    for g in (small_map, load_real("shanghai"), load_real("singapore")):
        for lid, ln in g.lines.items():
            for a, b in itertools.permutations(ln.station_ids, 2):
                try:
                    want = stops_between(g, a, b, lid).paths
                except NotOnSameLineError:
                    want = ()
                assert line_paths(g, lid, a, b) == want, (g.city, lid, a, b)
