"""The route oracle (behind best_routes) returns exactly what the reference enumeration returns, pair by pair."""

from __future__ import annotations

import itertools
import random

import pytest

from mapkit.graph.oracle import RouteOracle
from mapkit.graph.routes import enumerate_best_routes


def _pairs(g, limit=None, seed=0):
    pairs = list(itertools.permutations(g.stations, 2))
    if limit is not None and len(pairs) > limit:
        pairs = random.Random(seed).sample(pairs, limit)
    return pairs


def test_oracle_equals_best_routes_on_every_pair_of_the_small_maps(small_map):
    oracle = RouteOracle(small_map)
    for a, b in _pairs(small_map):
        want = enumerate_best_routes(small_map, a, b)
        assert oracle.best_routes(a, b) == want, (a, b)
        assert oracle.cost(a, b) == want[0].cost()
        assert oracle.min_transfers(a, b) == want[0].transfers


@pytest.mark.parametrize(
    "city,limit",
    [("auckland", None), ("singapore", 400), ("washington", 400), ("new_york", 300), ("los_angeles", 300)],
)
def test_oracle_equals_best_routes_on_real_cities(load_real, city, limit):
    g = load_real(city)
    oracle = RouteOracle(g)
    for a, b in _pairs(g, limit):
        want = enumerate_best_routes(g, a, b)
        assert oracle.best_routes(a, b) == want, (city, a, b)
        assert oracle.min_transfers(a, b) == want[0].transfers


def test_fractional_transfer_cost(toy):
    oracle = RouteOracle(toy, transfer_cost=2.5)
    for a, b in _pairs(toy):
        assert oracle.best_routes(a, b) == enumerate_best_routes(toy, a, b, transfer_cost=2.5)


def test_oracle_refuses_free_changes_and_best_routes_falls_back(toy):
    from mapkit.errors import ConfigError
    from mapkit.graph import best_routes

    with pytest.raises(ConfigError):
        RouteOracle(toy, transfer_cost=0)
    with pytest.raises(ConfigError):
        best_routes(toy, "a", "g", transfer_cost=-1)
    assert best_routes(toy, "a", "g", transfer_cost=0) == enumerate_best_routes(toy, "a", "g", transfer_cost=0)


@pytest.mark.parametrize("city", ["singapore", "new_york"])
def test_search_stopped_at_a_target_and_resumed_equals_one_whole_search(load_real, city):
    """A search stops once its target is settled (validation) and resumes later: every answer equals the
    one of a search run to the end first (generation's pools), and the finished trees are identical."""
    g = load_real(city)
    whole, partial = RouteOracle(g), RouteOracle(g)
    sources = random.Random(1).sample(sorted(g.stations), 12)
    stopped = 0
    for a in sources:
        whole._tree(a)  # run to the end first
        for b in random.Random(a).sample(sorted(g.stations), 25):
            if b == a:
                continue
            assert partial.best_routes(a, b) == whole.best_routes(a, b), (a, b)
            assert partial.cost(a, b) == whole.cost(a, b)
            assert partial.min_transfers(a, b) == whole.min_transfers(a, b)
        stopped += bool(partial._trees[a][4])  # the heap still holds nodes: the search stopped early
        assert partial._tree(a) == whole._tree(a), a  # resumed to the end: the same tree
    assert stopped
