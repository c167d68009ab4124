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

from dataclasses import dataclass
from typing import Any

from mapkit.errors import ConfigError, ItemError
from mapkit.graph.model import MetroGraph
from mapkit.graph.oracle import MAX_ROUTES, oracle_for
from mapkit.graph.routes import DEFAULT_TRANSFER_COST, Route
from mapkit.questions.base import (
    LEVELS,
    QUESTION_WEIGHT_TRANSFER,
    Correctness,
    build_item,
    context,
    item_rng,
)
from mapkit.questions.registry import Family, register
from mapkit.questions.torf1 import _yes_pool

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
"""Question text per variant; the example block is shown twice to show the ``--`` leg separator."""


@dataclass(frozen=True)
class PlanningConfig:
    """``variants``: drawn per item; ``level_weights``: quota of 0 / 1 / 2+ transfer questions;
    ``transfer_cost``: a change of train in stops; ``max_tries``: candidate pairs per item."""

    variants: tuple[str, ...] = VARIANTS
    level_weights: tuple[float, float, float] = (20.0, 15.0, 5.0)
    transfer_cost: float = DEFAULT_TRANSFER_COST
    max_tries: int = 48

    def __post_init__(self) -> None:
        bad = [v for v in self.variants if v not in VARIANTS]
        if not self.variants or bad:
            raise ConfigError(f"{NAME}: unknown variant(s) {bad or '(none)'}; choose from {', '.join(VARIANTS)}.")
        if len(self.level_weights) != 3 or min(self.level_weights) < 0 or sum(self.level_weights) <= 0:
            raise ConfigError(f"{NAME}: level_weights needs three non-negative numbers, not all zero.")
        if self.transfer_cost < 0 or self.max_tries < 1:
            raise ConfigError(f"{NAME}: transfer_cost must be >= 0 and max_tries >= 1.")


def capacity(g: MetroGraph, config: PlanningConfig) -> int | None:
    """Ordered pairs of usable stations (0 for a city with fewer than two)."""
    n = len(context(g).usable_list)
    return n * (n - 1)


def _route_ok(ctx: Any, routes: list[Route]) -> bool:
    """Every station of every best route is usable and none spells the line its leg rides."""
    dirty = ctx.caches.get("dirty-memberships")
    if dirty is None:
        # (station, line) memberships a route may not use, found once per city (usually none)
        g = ctx.graph
        dirty = ctx.caches["dirty-memberships"] = frozenset(
            (s, lid) for lid, ln in g.lines.items() for s in ln.station_ids if not ctx.clean(s, (lid,))
        )
    if not dirty:
        return True
    return not any(
        (leg.start, leg.line) in dirty or (leg.end, leg.line) in dirty or any((v, leg.line) in dirty for v in leg.via)
        for r in routes
        for leg in r.legs
    )


def generate(g: MetroGraph, seed: int, index: int, config: PlanningConfig) -> dict[str, Any] | None:
    """Draw a variant and a level, then pairs until one's best route has that many transfers."""
    ctx = context(g)
    stations = ctx.usable_list
    if len(stations) < 2:
        return None
    oracle = oracle_for(g, config.transfer_cost)
    rng = item_rng(seed, NAME, index, city=ctx.city)
    variant = config.variants[0] if len(config.variants) == 1 else config.variants[rng.randrange(len(config.variants))]
    want = rng.choices(range(3), weights=config.level_weights)[0]
    same_line = _yes_pool(g)
    best: tuple[int, str, str, list[Route]] | None = None
    n = len(stations)
    for _ in range(config.max_tries):
        if want == 0 and same_line:
            # direct rides are rare among random pairs: draw from pairs that share a line
            a, b = same_line[rng.randrange(len(same_line))]
            if rng.random() < 0.5:
                a, b = b, a
        else:
            a, b = stations[rng.randrange(n)], stations[rng.randrange(n)]
            if a == b:
                continue
        fewest = oracle.min_transfers(a, b)  # cheap screen before the routes are enumerated
        if fewest is None or (best is not None and abs(min(fewest, 2) - want) >= best[0]):
            continue
        routes = oracle.best_routes(a, b)
        if not _route_ok(ctx, routes):
            continue
        gap = abs(min(routes[0].transfers, 2) - want)
        if best is None or gap < best[0]:
            best = (gap, a, b, routes)
        if gap == 0:
            break
    if best is None:
        return None
    _, a, b, routes = best
    transfers = routes[0].transfers
    gold = _gold(ctx, routes, oracle.cost(a, b), config.transfer_cost)
    return build_item(
        ctx, family=NAME, version=VERSION, template=variant, seed=seed, index=index,
        question=TEMPLATES[variant].format(stop1=ctx.names[a], stop2=ctx.names[b]),
        answer=None, answer_text=render_route(ctx, routes[0], variant),
        difficulty_question=LEVELS[min(transfers, 2)], station_ids=(a, b),
        line_ids=list(dict.fromkeys(leg.line for leg in routes[0].legs)),
        gold=gold, question_transfer_count=transfers,
        question_weight=QUESTION_WEIGHT_TRANSFER if transfers >= 1 else 0.0,
    )


def render_route(ctx: Any, route: Route, variant: str) -> str:
    """The route as the answer block a model must write (legs separated by ``--``).

    >>> from mapkit.graph import toy_city, best_routes
    >>> g = toy_city()
    >>> print(render_route(context(g), best_routes(g, "a", "g")[0], "long_count"))
    Route Name: Red Line
    Departure Stop: A Station
    Arrival Stop: C Station
    Number of Via Stops: 1
    --
    Route Name: Blue Line
    Departure Stop: C Station
    Arrival Stop: G Station
    Number of Via Stops: 0
    """
    # one formatter for the whole project: the scorer parses exactly what this writes
    from mapkit.scoring.routes import TEMPLATE_VARIANTS, format_route_answer

    return format_route_answer(ctx.graph, route, variant=TEMPLATE_VARIANTS.get(variant, variant))


def _gold(ctx: Any, routes: list[Route], cost: float, transfer_cost: float) -> dict[str, Any]:
    names, lines, g = ctx.names, ctx.line_names, ctx.graph
    out = []
    ends: dict[str, None] = {}
    for r in routes:
        legs = []
        for leg in r.legs:
            ends.setdefault(leg.start, None)
            ends.setdefault(leg.end, None)
            legs.append(
                {
                    "line": leg.line, "line_name": lines[leg.line],
                    "from": leg.start, "from_name": names[leg.start],
                    "to": leg.end, "to_name": names[leg.end],
                    "via": list(leg.via), "via_names": [names[v] for v in leg.via],
                }
            )
        out.append({"legs": legs, "transfers": r.transfers, "stops": r.stops})
    aliases = {sid: list(g.stations[sid].aliases) for sid in ends if g.stations[sid].aliases}
    return {
        "routes": out,
        "cost": float(cost),
        "transfer_cost": float(transfer_cost),
        "complete": len(routes) < MAX_ROUTES,
        "aliases": aliases,
    }


def derive(item: dict[str, Any], g: MetroGraph) -> tuple[Any, str, dict[str, Any]]:
    """Recompute every best route between the row's two stations."""
    m = item["mapkit"]
    a, b = m["station_ids"]
    if a not in g.stations or b not in g.stations:
        raise ItemError(f"{item.get('id')}: station id(s) not in the graph.")
    tc = float(m.get("gold", {}).get("transfer_cost", DEFAULT_TRANSFER_COST))
    oracle = oracle_for(g, tc)
    ctx = context(g)
    routes = oracle.best_routes(a, b)
    return None, render_route(ctx, routes[0], m["template"]), _gold(ctx, routes, oracle.cost(a, b), tc)


# --- checking a written route -------------------------------------------------------------------


def check(item: dict[str, Any], extracted: str) -> Correctness:
    """The scorer's route check (:func:`mapkit.scoring.routes.check_route`): one path for validation,
    evaluation and reward. The route is verified on the graph when it can be loaded (any real journey
    between the right endpoints is correct; ``optimal`` is reported in the notes), else against the
    stored best routes.
    """
    from mapkit.scoring.routes import check_route  # scoring imports the registry lazily: no cycle

    r = check_route(item, extracted)
    notes = list(r.notes)
    if r.correct and r.optimal is False:
        notes.insert(0, "a valid route, but not an optimal one")
    return Correctness(r.correct, r.detail, "; ".join(notes))


FAMILY = register(
    Family(
        name=NAME, version=VERSION, config_cls=PlanningConfig, generate=generate, derive=derive, check=check,
        capacity=capacity, description="route planning: one optimal route as leg blocks (ReasonMap)",
    )
)
