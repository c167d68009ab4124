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

from mapkit.graph.model import MetroGraph
from mapkit.graph.oracle import MAX_ROUTES, oracle_for
from mapkit.graph.route_reference import enumerate_best_routes
from mapkit.graph.route_types import DEFAULT_TRANSFER_COST, Leg, Route

__all__ = ["Leg", "Route", "best_routes", "enumerate_best_routes", "DEFAULT_TRANSFER_COST"]


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
    sa, sb = g.station(a).id, g.station(b).id
    # the oracle needs positive weights (a free change makes zero-cost cycles) and a fixed cap
    if transfer_cost <= 0 or max_routes != MAX_ROUTES:
        return enumerate_best_routes(g, sa, sb, transfer_cost=transfer_cost, max_routes=max_routes)
    return oracle_for(g, transfer_cost).best_routes(sa, sb)


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
