"""Best routes between two stations under a transfer-aware cost.

The search runs on a *service graph*: one node per (station, line, branch) plus an entry and
exit node per station; a one-way service (``Branch.oneway``) is ridden in its running order only.
Riding one stop costs 1; changing trains (to another line, or to another
branch of the same line) costs ``transfer_cost``. Every equally cheap route is returned, each as
legs ``(line, start, end, via)``; routes that differ only in which branch of a line carried a leg
are the same route and appear once.

Example:
    >>> from mapkit.graph.examples import toy_city
    >>> g = toy_city()
    >>> [str(r) for r in best_routes(g, "a", "g")]
    ['red: a -> c (via b) | blue: c -> g']
    >>> best_routes(g, "a", "g")[0].transfers
    1
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from mapkit.errors import ConfigError, NoRouteError
from mapkit.graph.model import MetroGraph

__all__ = ["Leg", "Route", "best_routes", "enumerate_best_routes", "DEFAULT_TRANSFER_COST"]

DEFAULT_TRANSFER_COST = 3.0
"""A change of train costs as much as riding three stops (documented in docs/graph.md)."""


@dataclass(frozen=True)
class Leg:
    """One ride: ``line`` id from ``start`` to ``end`` (station ids), ``via`` the stops in between."""

    line: str
    start: str
    end: str
    via: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {"line": self.line, "from": self.start, "to": self.end, "via": list(self.via)}

    @classmethod
    def from_dict(cls, d: dict[str, object]) -> Leg:
        return cls(str(d["line"]), str(d["from"]), str(d["to"]), tuple(d.get("via", ())))  # type: ignore[arg-type]


@dataclass(frozen=True)
class Route:
    """A sequence of legs; ``transfers`` = legs - 1, ``stops`` = stations ridden past or to."""

    legs: tuple[Leg, ...]

    @property
    def transfers(self) -> int:
        return len(self.legs) - 1

    @property
    def stops(self) -> int:
        return sum(len(leg.via) + 1 for leg in self.legs)

    def cost(self, transfer_cost: float = DEFAULT_TRANSFER_COST) -> float:
        return self.stops + transfer_cost * self.transfers

    def __str__(self) -> str:
        parts = []
        for leg in self.legs:
            via = f" (via {', '.join(leg.via)})" if leg.via else ""
            parts.append(f"{leg.line}: {leg.start} -> {leg.end}{via}")
        return " | ".join(parts)

    def to_dict(self) -> dict[str, object]:
        return {"legs": [leg.to_dict() for leg in self.legs]}


def _service_graph(g: MetroGraph, transfer_cost: float) -> nx.DiGraph:
    sg = nx.DiGraph()
    half = transfer_cost / 2.0
    for ln in g.lines.values():
        for bi, br in enumerate(ln.branches):
            for u, v in br.arcs():  # both ways unless the service is one-way
                sg.add_edge((u, ln.id, bi), (v, ln.id, bi), weight=1.0)
            for s in br.stations:
                # boarding and alighting each cost half a transfer, so a change costs one;
                # the route's first boarding and last alighting are netted out below.
                sg.add_edge(("in", s), (s, ln.id, bi), weight=half)
                sg.add_edge((s, ln.id, bi), ("out", s), weight=half)
                sg.add_edge(("out", s), ("in", s), weight=0.0)
    return sg


def _legs_from_path(path: list[tuple]) -> tuple[Leg, ...]:
    legs: list[Leg] = []
    ride: list[str] = []
    line = None
    for node in path:
        if len(node) == 2:  # an ('in'|'out', station) node ends the current ride
            if ride and line is not None and len(ride) > 1:
                legs.append(Leg(line, ride[0], ride[-1], tuple(ride[1:-1])))
            ride, line = [], None
            continue
        station, lid, _ = node
        line = lid
        ride.append(station)
    return tuple(legs)


_CACHE_KEY = "graph.service_graphs"


def best_routes(
    g: MetroGraph,
    a: str,
    b: str,
    *,
    transfer_cost: float = DEFAULT_TRANSFER_COST,
    max_routes: int = 32,
) -> list[Route]:
    """All cheapest routes from ``a`` to ``b`` (at most ``max_routes``), deterministic order.

    Cost = stops ridden + ``transfer_cost`` x changes of train. Raises :class:`NoRouteError`.
    Answered by the graph's cached :class:`~mapkit.graph.oracle.RouteOracle` (one search per
    source station, shared by every target).

    >>> from mapkit.graph.examples import toy_city
    >>> [str(r) for r in best_routes(toy_city(), "k", "l")]
    ['green: k -> j | green: j -> l']
    """
    from mapkit.graph.oracle import MAX_ROUTES, oracle_for

    sa, sb = g.station(a).id, g.station(b).id
    # the oracle needs positive weights (a free change makes zero-cost cycles) and a fixed cap
    if transfer_cost <= 0 or max_routes != MAX_ROUTES:
        return enumerate_best_routes(g, sa, sb, transfer_cost=transfer_cost, max_routes=max_routes)
    return oracle_for(g, transfer_cost).best_routes(sa, sb)


def enumerate_best_routes(
    g: MetroGraph,
    a: str,
    b: str,
    *,
    transfer_cost: float = DEFAULT_TRANSFER_COST,
    max_routes: int = 32,
) -> list[Route]:
    """The reference computation of :func:`best_routes`: networkx's ``all_shortest_paths`` on the
    service graph, one search per call. Slow for many pairs, simple to trust; the fast
    :class:`~mapkit.graph.oracle.RouteOracle` is tested against it and falls back to it.

    >>> from mapkit.graph.examples import toy_city
    >>> [str(r) for r in enumerate_best_routes(toy_city(), "k", "l")]
    ['green: k -> j | green: j -> l']
    """
    if transfer_cost < 0:
        raise ConfigError(f"transfer_cost must be 0 or more, not {transfer_cost}.")
    sa, sb = g.station(a).id, g.station(b).id
    if sa == sb:
        raise NoRouteError(f"{g.stations[sa].name} is both start and end; there is no route to plan.")
    # the service graph is reused across many questions
    services: dict[float, nx.DiGraph] = g.derived(_CACHE_KEY, dict)
    sg = services.get(transfer_cost)
    if sg is None:
        sg = services[transfer_cost] = _service_graph(g, transfer_cost)
    try:
        paths = nx.all_shortest_paths(sg, ("in", sa), ("out", sb), weight="weight")
        seen: dict[tuple[Leg, ...], None] = {}
        for p in paths:
            legs = _legs_from_path(p)
            seen.setdefault(legs, None)
            if len(seen) >= max_routes:
                break
    except nx.NetworkXNoPath:
        raise NoRouteError(
            f"{g.city}: no route from {g.stations[sa].name} to {g.stations[sb].name} "
            "(they lie in disconnected parts of the network)."
        ) from None
    routes = [Route(legs) for legs in seen]
    return sorted(routes, key=lambda r: (r.transfers, [(lg.line, lg.via) for lg in r.legs]))


def route_from_stations(g: MetroGraph, legs: list[tuple[str, str, str]]) -> Route:
    """Build a :class:`Route` from ``(line, start, end)`` triples, filling ``via`` by shortest span.

    >>> from mapkit.graph.examples import toy_city
    >>> str(route_from_stations(toy_city(), [("red", "a", "c")]))
    'red: a -> c (via b)'
    """
    from mapkit.graph.queries import stops_between

    out = []
    for line, s, e in legs:
        span = stops_between(g, s, e, line)
        out.append(Leg(g.line(line).id, g.station(s).id, g.station(e).id, span.stops))
    return Route(tuple(out))
