"""The reference computation of best routes: networkx's ``all_shortest_paths`` on a service graph.

Slow for many pairs and simple to trust: :class:`~mapkit.graph.oracle.RouteOracle` is tested
against it and hands it the rare pair it does not enumerate itself; :func:`mapkit.graph.routes.best_routes`
uses it for the costs the oracle refuses (a free change).

Example:
    >>> from mapkit.graph.examples import toy_city
    >>> [str(r) for r in enumerate_best_routes(toy_city(), "a", "g")]
    ['red: a -> c (via b) | blue: c -> g']
"""

from __future__ import annotations

import networkx as nx

from mapkit.errors import ConfigError, NoRouteError
from mapkit.graph.model import MetroGraph
from mapkit.graph.route_types import DEFAULT_TRANSFER_COST, Leg, Route

__all__ = ["enumerate_best_routes"]


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


def enumerate_best_routes(
    g: MetroGraph,
    a: str,
    b: str,
    *,
    transfer_cost: float = DEFAULT_TRANSFER_COST,
    max_routes: int = 32,
) -> list[Route]:
    """The reference computation of :func:`mapkit.graph.routes.best_routes`: networkx's ``all_shortest_paths`` on the
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
