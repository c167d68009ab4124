"""planning (ReasonMap): how do I get from station A to station B? One optimal route, as leg blocks.

Three variants (``mapkit.template``), as ReasonMap words them (reasonmap-format.md §4):

* ``short``: per leg ``Route Name`` / ``Departure Stop`` / ``Arrival Stop``;
* ``long_count``: adds ``Number of Via Stops: n``;
* ``long_via``: adds ``Via Stops: a, b, ...`` (``none`` when the leg has no stop in between).

Legs are separated by a line ``--``. Truth: *every* cheapest route (cost = stops ridden +
``transfer_cost`` x changes; :func:`mapkit.graph.best_routes`, computed through the cached
:class:`~mapkit.graph.oracle.RouteOracle`) is stored as structured legs in
``gold["routes"]``; ``answer_text`` is the first one. ``question_transfer_count`` is the first
route's transfers (the fewest among the best); difficulty easy/medium/hard = 0/1/2+ transfers,
drawn per item with ReasonMap's 20:15:5 quota (a city that cannot offer the drawn level gives the
closest one). RewardMap's W_question (+0.5 from one transfer on) is in ``weight``.

A response is correct when its legs (line, departure, arrival; plus the via count or list in the
long variants) equal one of the stored best routes; partial credit counts matching legs.

Example:
    >>> from mapkit.graph import toy_city
    >>> item = generate(toy_city(), 0, 0, PlanningConfig())
    >>> item["type"], item["mapkit"]["template"] in VARIANTS
    ('planning', True)
    >>> check(item, item["answer_text"]).correct
    True
"""

from __future__ import annotations

from bisect import bisect
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

import numpy as np

from mapkit.answers.checks import Correctness, Given
from mapkit.answers.routes import TEMPLATE_VARIANTS, check_route, extract_route, format_route_answer
from mapkit.errors import ConfigError
from mapkit.graph.model import MetroGraph
from mapkit.graph.oracle import MAX_ROUTES, RouteOracle, oracle_for
from mapkit.graph.route_table import RouteTable, table_for
from mapkit.graph.route_types import DEFAULT_TRANSFER_COST, Route
from mapkit.questions.base import (
    LEVELS,
    QUESTION_WEIGHT_TRANSFER,
    Scene,
    choose_template,
    hash_tag,
    item_rng,
    scene_and_graph,
    stable_seed,
)
from mapkit.questions.family import Asker, row_ids
from mapkit.questions.registry import Family, register
from mapkit.questions.shuffle import shuffled_range

NAME = "planning"
VERSION = 1
VARIANTS = ("short", "long_count", "long_via")

_HEAD = "According to the subway map, how do I get from {stop1} to {stop2}? "
_ASK = {
    "short": "Provide only one optimal route, with only the line name and the departure and arrival stations.",
    "long_count": (
        "Provide only one optimal route, with the line name, the departure and arrival stations, "
        "and the number of via stops."
    ),
    "long_via": (
        "Provide only one optimal route, with the line name, the departure and arrival stations, "
        "and the via stops."
    ),
}
_EXAMPLE = {
    "short": "Route Name: Line x\nDeparture Stop: xx Station\nArrival Stop: xx Station",
    "long_count": "Route Name: Line x\nDeparture Stop: xx Station\nArrival Stop: xx Station\nNumber of Via Stops: n",
    "long_via": (
        "Route Name: Line x\nDeparture Stop: xx Station\nArrival Stop: xx Station\nVia Stops: xx Station, xx Station"
    ),
}
TEMPLATES = {
    v: _HEAD + _ASK[v] + " The format should be strictly followed:\n" + _EXAMPLE[v].replace("{", "{{").replace(
        "}", "}}"
    ) + "\n--\n" + _EXAMPLE[v].replace("{", "{{").replace("}", "}}")
    for v in VARIANTS
}
ASK = Asker(NAME, VERSION, TEMPLATES)
"""Question text per variant; the example block is shown twice to show the ``--`` leg separator."""


@dataclass(frozen=True)
class PlanningConfig:
    """``variants``: drawn per item; ``level_weights``: quota of 0 / 1 / 2+ transfer questions;
    ``transfer_cost``: a change of train in stops (> 0: the route oracle refuses free changes)."""

    variants: tuple[str, ...] = VARIANTS
    level_weights: tuple[float, float, float] = (20.0, 15.0, 5.0)
    transfer_cost: float = DEFAULT_TRANSFER_COST

    def __post_init__(self) -> None:
        bad = [v for v in self.variants if v not in VARIANTS]
        if not self.variants or bad:
            raise ConfigError(f"{NAME}: unknown variant(s) {bad or '(none)'}; choose from {', '.join(VARIANTS)}.")
        if len(self.level_weights) != 3 or min(self.level_weights) < 0 or sum(self.level_weights) <= 0:
            raise ConfigError(f"{NAME}: level_weights needs three non-negative numbers, not all zero.")
        if not self.transfer_cost > 0:
            raise ConfigError(f"{NAME}: transfer_cost must be > 0 (the route oracle refuses free changes).")


class _City:
    """A city's planning pools for one transfer cost: the ordered pairs of usable stations by the fewest
    transfers of their best routes (0, 1, 2+), each pool a sorted array of ``a * n + b`` (indices into
    ``stations``), and what answers a pair's best routes (a :class:`RouteTable` of every usable source,
    or the oracle itself for a fractional cost)."""

    def __init__(self, ctx: Scene, transfer_cost: float) -> None:
        g = ctx.graph
        self.stations = ctx.usable_list
        oracle = oracle_for(g, transfer_cost)
        table = table_for(oracle, self.stations)
        self.routes: RouteTable | RouteOracle = table if table is not None else oracle
        if table is not None:
            level = table.levels(self.stations)
        else:  # one oracle tree per station, read whole
            level = np.array(
                [[oracle.min_transfers(a, b) if b != a else None for b in self.stations] for a in self.stations],
                dtype=object,
            ).reshape(len(self.stations), len(self.stations))
            level = np.where(np.equal(level, None), -1, level).astype(np.int64)
            level = np.minimum(level, 2)
        flat = level.ravel()
        self.pools: tuple[np.ndarray, ...] = tuple(np.flatnonzero(flat == lv) for lv in range(3))
        self.tag = {lv: f"level:{lv}:{float(transfer_cost)}" for lv in range(3)}
        self.perms: dict[tuple[int, int, int], np.ndarray] = {}

    def pair(self, ctx: Scene, level: int, seed: int, j: int) -> tuple[str, str]:
        """:func:`~mapkit.questions.base.pick`'s element ``j`` of the level's pool (the same seeded
        permutation, computed by :func:`shuffled_range`, and the pool kept as an array)."""
        pool = self.pools[level]
        n = len(pool)
        cycle, k = divmod(j, n)
        perm = self.perms.get((level, seed, cycle))
        if perm is None:
            rng_seed = stable_seed(seed, NAME, -1 - cycle, hash_tag(self.tag[level]), city=ctx.city)
            perm = self.perms[(level, seed, cycle)] = pool[shuffled_range(n, rng_seed)]
        a, b = divmod(int(perm[k]), len(self.stations))
        return self.stations[a], self.stations[b]


def _city(ctx: Scene, transfer_cost: float) -> _City:
    """The city's :class:`_City` for ``transfer_cost``, built once per city (released with its scene)."""
    key = (NAME, "city", float(transfer_cost))
    hit = ctx.caches.get(key)
    if hit is None:
        hit = ctx.caches[key] = _City(ctx, transfer_cost)
    return hit


def _levels(pools: tuple[np.ndarray, ...], weights: tuple[float, float, float]) -> dict[int, int]:
    """Drawn level -> the level whose pool serves it: itself, else the closest non-empty one (lower on a tie)."""
    have = [lv for lv in range(3) if len(pools[lv])]
    if not have:
        return {}
    return {want: min(have, key=lambda lv: (abs(lv - want), lv)) for want in range(3) if weights[want] > 0}


DIRTY_PROBES = 64
"""Pairs an item may try in a city where some routes are not askable (New York): item ``i`` of a
level tries positions ``i, i + S, i + 2S ...`` of that level's order (``S`` = pool // probes), so
items never share a pair; elsewhere every pair is askable and each item takes exactly one."""


def _probes(ctx: Any) -> int:
    return DIRTY_PROBES if _dirty(ctx) else 1


def capacity(g: MetroGraph | Scene, config: PlanningConfig) -> int | None:
    """Distinct questions: the smallest level pool the drawn levels use, divided by the pairs an item may
    try (items ``0 .. capacity - 1`` never repeat a pair; 0 for a city with fewer than two stations)."""
    ctx, g = scene_and_graph(g)
    pools = _city(ctx, config.transfer_cost).pools
    used = set(_levels(pools, config.level_weights).values())
    return min((len(pools[lv]) // _probes(ctx) for lv in used), default=0)


def _dirty(ctx: Any) -> frozenset[tuple[str, str]]:
    """(station, line) memberships a route may not use, found once per city (usually none)."""
    dirty = ctx.caches.get("dirty-memberships")
    if dirty is None:
        g = ctx.graph
        dirty = ctx.caches["dirty-memberships"] = frozenset(
            (s, lid) for lid, ln in g.lines.items() for s in ln.station_ids if not ctx.clean(s, (lid,))
        )
    return dirty


def _route_ok(ctx: Any, routes: list[Route]) -> bool:
    """Every station of every best route is usable and none spells the line its leg rides."""
    dirty = _dirty(ctx)
    if not dirty:
        return True
    return not any(
        (leg.start, leg.line) in dirty or (leg.end, leg.line) in dirty or any((v, leg.line) in dirty for v in leg.via)
        for r in routes
        for leg in r.legs
    )


class _Plan:
    """What every item of one config in one city repeats: the pools, the levels they serve, the draws."""

    def __init__(self, ctx: Scene, config: PlanningConfig) -> None:
        self.city = _city(ctx, config.transfer_cost)
        self.serve = _levels(self.city.pools, config.level_weights)
        self.probes = _probes(ctx)
        # rng.choices(range(3), weights) without its per-call set-up: the same single draw
        self.cum_weights = list(accumulate(config.level_weights))
        self.total = self.cum_weights[-1] + 0.0
        self.variants = config.variants


def generate(g: MetroGraph | Scene, seed: int, index: int, config: PlanningConfig) -> dict[str, Any] | None:
    """Draw a variant and a level (the quota), then pair ``index`` of that level's seeded order.

    Item ``i`` takes position ``i`` of its level's pool, so two items never share a pair until a pool
    is used up (pools are disjoint). Where some best routes would name an ambiguous station or one
    spelling its leg's line (New York), the item tries its :data:`DIRTY_PROBES` positions in turn;
    ``None`` when none is askable or the city has no pair.
    """
    ctx, g = scene_and_graph(g)
    plan = ctx.caches.get((NAME, "plan", config))
    if plan is None:
        plan = ctx.caches[(NAME, "plan", config)] = _Plan(ctx, config)
    if not plan.serve:
        return None
    rng = item_rng(seed, NAME, index, city=ctx.city)
    variant = choose_template(rng, plan.variants)
    want = bisect(plan.cum_weights, rng.random() * plan.total, 0, 2)
    level = plan.serve[want]
    city = plan.city
    n = len(city.pools[level])
    probes = plan.probes
    stride = max(1, n // probes)
    cycle, r = divmod(index, stride)
    for k in range(min(probes, n)):
        a, b = city.pair(ctx, level, seed, cycle * n + r + k * stride)
        routes = city.routes.best_routes(a, b)
        if _route_ok(ctx, routes):
            break
    else:
        return None
    transfers = routes[0].transfers
    gold = _gold(ctx, routes, city.routes.cost(a, b), config.transfer_cost)
    return ASK.item(
        ctx, variant, seed, index, dict(stop1=ctx.names[a], stop2=ctx.names[b]),
        answer=None, answer_text=render_route(ctx, routes[0], variant),
        difficulty_question=LEVELS[min(transfers, 2)], station_ids=(a, b),
        line_ids=list(dict.fromkeys(leg.line for leg in routes[0].legs)),
        gold=gold, question_transfer_count=transfers,
        question_weight=QUESTION_WEIGHT_TRANSFER if transfers >= 1 else 0.0,
    )


def render_route(ctx: Any, route: Route, variant: str) -> str:
    """The route as the answer block a model must write (legs separated by ``--``).

    >>> from mapkit.graph import toy_city, best_routes
    >>> from mapkit.questions.base import context
    >>> g = toy_city()
    >>> render_route(context(g), best_routes(g, "a", "g")[0], "long_count").count("Number of Via Stops")
    2
    """
    # one formatter for the whole project: the scorer parses exactly what this writes
    return format_route_answer(ctx.graph, route, variant=TEMPLATE_VARIANTS.get(variant, variant))


def _gold(ctx: Any, routes: list[Route], cost: float, transfer_cost: float) -> dict[str, Any]:
    names, lines, g = ctx.names, ctx.line_names, ctx.graph
    out = []
    ends: dict[str, None] = {}
    for r in routes:
        legs = []
        stops = 0  # Route.stops and Route.transfers, without their per-call generator
        for leg in r.legs:
            start, end, via = leg.start, leg.end, leg.via
            ends.setdefault(start, None)
            ends.setdefault(end, None)
            stops += len(via) + 1
            legs.append(
                {
                    "line": leg.line, "line_name": lines[leg.line],
                    "from": start, "from_name": names[start],
                    "to": end, "to_name": names[end],
                    "via": list(via), "via_names": [names[v] for v in via],
                }
            )
        out.append({"legs": legs, "transfers": len(r.legs) - 1, "stops": stops})
    aliases = {sid: list(g.stations[sid].aliases) for sid in ends if g.stations[sid].aliases}
    gold = {
        "routes": out,
        "cost": float(cost),
        "transfer_cost": float(transfer_cost),
        "complete": len(routes) < MAX_ROUTES,
        "aliases": aliases,
    }
    used = dict.fromkeys(leg.line for r in routes for leg in r.legs)
    line_aliases = {lid: list(g.lines[lid].aliases) for lid in used if g.lines[lid].aliases}
    if line_aliases:  # the legend's names of the lines (Singapore's NSL), for scoring without the graph
        gold["line_aliases"] = line_aliases
    return gold


def derive(item: dict[str, Any], g: MetroGraph | Scene) -> tuple[Any, str, dict[str, Any]]:
    """Recompute every best route between the row's two stations."""
    ctx, g = scene_and_graph(g)
    m = item["mapkit"]
    a, b = row_ids(item, g, 2, None)
    tc = float(m.get("gold", {}).get("transfer_cost", DEFAULT_TRANSFER_COST))
    oracle = oracle_for(g, tc)
    routes = oracle.best_routes(a, b)
    return None, render_route(ctx, routes[0], m["template"]), _gold(ctx, routes, oracle.cost(a, b), tc)


# --- checking a written route -------------------------------------------------------------------


ROUTE_FORMAT_NOTE = "the boxed answer is not exactly a route block (missing fields or extra text)"


def check(item: dict[str, Any], extracted: str | None, given: Given | None = None) -> Correctness:
    """The route check (:func:`mapkit.answers.routes.check_route`): one path for validation, evaluation
    and reward. The route is verified on ``given.graph``, else on the graph loaded from the row's
    ``city_ref`` (any real journey between the right endpoints is correct; ``optimal`` says whether it
    is a best one), else against the stored best routes.
    """
    given = given or Given()
    r = check_route(item, extracted, graph=given.graph, data_dir=given.data_dir)
    return Correctness(
        r.correct, r.detail, r.notes, optimal=r.optimal, sub_scores=r.sub_scores,
        format_note="" if r.format_ok else ROUTE_FORMAT_NOTE,
    )


FAMILY = register(
    Family(
        name=NAME, version=VERSION, config_cls=PlanningConfig, generate=generate, derive=derive, check=check,
        capacity=capacity, extract=extract_route, checks_unanswered=True,
        description="route planning: one optimal route as leg blocks (ReasonMap)",
    )
)
