"""Fast best routes for many pairs: one Dijkstra per *source* station, shared by every target.

:func:`mapkit.graph.routes.best_routes` runs a full Dijkstra per call on a networkx service
graph; generating or validating tens of thousands of planning items that way takes minutes.
:class:`RouteOracle` builds the same service graph once (integer nodes, plain lists), keeps each
source's distances and *every* tight predecessor, and enumerates a target's cheapest paths by
walking them back. It returns exactly what the reference enumeration returns (same set, same order); the
rare pair with 32 or more distinct best routes (where the reference truncates in its own
enumeration order) or an explosion of equal paths is handed to the reference itself.
tests/graph/test_oracle.py checks the equality on every pair of several cities.

Example:
    >>> from mapkit.graph import toy_city
    >>> from mapkit.graph.routes import enumerate_best_routes
    >>> g = toy_city()
    >>> oracle = RouteOracle(g)
    >>> oracle.best_routes("a", "g") == enumerate_best_routes(g, "a", "g")
    True
    >>> [str(r) for r in oracle.best_routes("k", "l")]
    ['green: k -> j | green: j -> l']
"""

from __future__ import annotations

import heapq
from typing import Any

from mapkit.errors import ConfigError, NoRouteError
from mapkit.graph.model import MetroGraph
from mapkit.graph.route_reference import enumerate_best_routes
from mapkit.graph.route_types import DEFAULT_TRANSFER_COST, Leg, Route

__all__ = ["RouteOracle", "oracle_for"]

MAX_ROUTES = 32
"""The reference's default cap; a pair reaching it is delegated to the reference."""
MAX_PATHS = 20_000
"""Equal node paths walked before giving up and delegating (branch duplicates multiply paths)."""


class RouteOracle:
    """All cheapest routes between stations of one graph, cached per source station."""

    def __init__(self, g: MetroGraph, transfer_cost: float = DEFAULT_TRANSFER_COST) -> None:
        if transfer_cost <= 0:  # zero-cost changes make zero-weight cycles the tight-predecessor walk cannot take
            raise ConfigError(f"RouteOracle needs a positive transfer_cost, not {transfer_cost}; use best_routes.")
        self.g = g
        self.transfer_cost = transfer_cost
        # Integer weights keep tie detection exact: ride = 2, board/alight = transfer_cost
        # (the doubled half-transfer), unless the cost is fractional.
        if float(transfer_cost).is_integer():
            ride: Any = 2
            half: Any = int(transfer_cost)
        else:
            ride, half = 1.0, transfer_cost / 2.0
        self.ride, self.half = ride, half
        self.node_station: list[str] = []
        self.node_line: list[str | None] = []
        self.in_node: dict[str, int] = {}
        self.out_node: dict[str, int] = {}
        for sid in g.stations:
            self.in_node[sid] = self._add(sid, None)
            self.out_node[sid] = self._add(sid, None)
        # edges are (target, weight, boards): boards = 1 on a boarding edge, so the search can
        # also keep the fewest boardings among the cheapest paths (a planning level test without
        # enumerating the routes)
        adj: list[list[tuple[int, Any, int]]] = [[] for _ in self.node_station]
        # per service: its line nodes in running order, whether it closes into a loop, whether one-way
        self.services: list[tuple[tuple[int, ...], bool, bool]] = []
        for ln in g.lines.values():
            for br in ln.branches:
                nodes = {}
                for s in br.stations:
                    v = self._add(s, ln.id)
                    adj.append([])
                    nodes[s] = v
                    adj[self.in_node[s]].append((v, half, 1))
                    adj[v].append((self.out_node[s], half, 0))
                for u, v in br.arcs():  # both ways unless the service is one-way
                    adj[nodes[u]].append((nodes[v], ride, 0))
                self.services.append((tuple(nodes.values()), br.loop and len(br.stations) > 2, br.oneway))
        for sid in g.stations:
            adj[self.out_node[sid]].append((self.in_node[sid], 0, 0))
        self.adj = adj
        # per source: dist, pred, boards, settled flags and the search's heap (empty once complete)
        self._trees: dict[str, tuple[list[Any], list[Any], list[int], list[bool], list[Any]]] = {}
        self._routes: dict[tuple[str, str], list[Route]] = {}

    def _add(self, station: str, line: str | None) -> int:
        self.node_station.append(station)
        self.node_line.append(line)
        return len(self.node_station) - 1

    def _tree(self, source: str, target: str | None = None) -> tuple[list[Any], list[Any], list[int]]:
        """Distances from ``source``'s entry node, all tight predecessors (int or tuple), and the
        fewest boardings on a cheapest path to each node: final for every node when ``target`` is
        ``None``, else at least for ``target``'s exit node and every node a cheapest path to it visits.

        The search stops once ``target`` is settled and resumes from there when a later call needs
        more (validation asks one target per source; generation's pools read whole trees). It pops
        nodes in the same order whether it runs in one go or in several, so results are identical.
        """
        state = self._trees.get(source)
        if state is None:
            n = len(self.adj)
            start = self.in_node[source]
            dist: list[Any] = [float("inf")] * n
            dist[start] = 0
            state = self._trees[source] = (dist, [None] * n, [0] * n, [False] * n, [(0, start)])
        dist, pred, boards, done, heap = state
        if not heap or (target is not None and done[self.out_node[target]]):
            return dist, pred, boards
        stop = self.out_node[target] if target is not None else -1
        adj = self.adj
        pop, push = heapq.heappop, heapq.heappush
        while heap:
            d, u = pop(heap)
            if done[u]:
                continue
            done[u] = True
            bu = boards[u]
            for v, w, b in adj[u]:
                nd = d + w
                dv = dist[v]
                if nd < dv:
                    dist[v] = nd
                    pred[v] = u
                    boards[v] = bu + b
                    push(heap, (nd, v))
                elif nd == dv:
                    # every tight predecessor of v is final before v is popped (positive weights,
                    # and an entry node is reached only from its own exit node), so this is exact
                    p = pred[v]
                    pred[v] = (*p, u) if isinstance(p, tuple) else (p, u)
                    if bu + b < boards[v]:
                        boards[v] = bu + b
            if u == stop:  # settled: its distance, predecessors and boardings are final, and its ancestors'
                break
        return dist, pred, boards

    def min_transfers(self, a: str, b: str) -> int | None:
        """Fewest changes among the cheapest routes from ``a`` to ``b`` (``None``: unreachable).

        >>> from mapkit.graph import toy_city
        >>> RouteOracle(toy_city()).min_transfers("a", "g")
        1
        """
        tree = self._tree(a, b)
        end = self.out_node[b]
        if tree[0][end] == float("inf") or a == b:
            return None
        return tree[2][end] - 1

    def best_routes(self, a: str, b: str) -> list[Route]:
        """Every cheapest route from station id ``a`` to ``b``, in the reference's order."""
        key = (a, b)
        hit = self._routes.get(key)
        if hit is not None:
            return hit
        if a == b:
            return enumerate_best_routes(self.g, a, b, transfer_cost=self.transfer_cost)  # raises NoRouteError
        dist, pred, _ = self._tree(a, b)
        end = self.out_node[b]
        if dist[end] == float("inf"):
            raise NoRouteError(
                f"{self.g.city}: no route from {self.g.stations[a].name} to {self.g.stations[b].name} "
                "(they lie in disconnected parts of the network)."
            )
        routes = self._walk(self.in_node[a], end, pred)
        if routes is None:  # too many equal routes: let the reference pick its 32
            routes = enumerate_best_routes(self.g, a, b, transfer_cost=self.transfer_cost)
        self._routes[key] = routes
        return routes

    def _walk(self, start: int, end: int, pred: list[Any]) -> list[Route] | None:
        # depth-first from the end back to the start over tight predecessors; ``path`` holds the
        # current branch (end first), so each path costs its length, not its length squared
        # most pairs have one cheapest path: follow single predecessors without a stack
        path: list[int] = [end]
        node = end
        while node != start:
            p = pred[node]
            if isinstance(p, tuple):
                break
            node = p
            path.append(node)
        else:
            return [Route(self._legs(path[::-1]))]
        seen: dict[tuple[Leg, ...], None] = {}
        paths = 0
        path = []
        stack: list[tuple[int, int]] = [(end, 0)]
        while stack:
            node, depth = stack.pop()
            del path[depth:]
            path.append(node)
            if node == start:
                paths += 1
                seen.setdefault(self._legs(path[::-1]), None)
                if len(seen) >= MAX_ROUTES or paths > MAX_PATHS:
                    return None
                continue
            p = pred[node]
            if isinstance(p, tuple):
                for q in p:
                    stack.append((q, depth + 1))
            elif p is not None:
                stack.append((p, depth + 1))
        routes = [Route(legs) for legs in seen]
        if len(routes) > 1:
            routes.sort(key=lambda r: (r.transfers, [(lg.line, lg.via) for lg in r.legs]))
        return routes

    def _legs(self, path: list[int]) -> tuple[Leg, ...]:
        legs: list[Leg] = []
        stations, lines = self.node_station, self.node_line
        start = -1  # index in ``path`` of the current ride's first station node
        for k, node in enumerate(path):
            if lines[node] is None:  # an entry/exit node ends the current ride
                if start >= 0 and k - start > 1:
                    ride = [stations[n] for n in path[start:k]]
                    legs.append(Leg(lines[path[start]], ride[0], ride[-1], tuple(ride[1:-1])))  # type: ignore[arg-type]
                start = -1
            elif start < 0:
                start = k
        return tuple(legs)

    def cost(self, a: str, b: str) -> float:
        """The cheapest cost from ``a`` to ``b`` in stops (+ ``transfer_cost`` per change)."""
        d = self._tree(a, b)[0][self.out_node[b]]
        # every leg paid a boarding and an alighting half-transfer; the route pays one fewer change
        if float(self.transfer_cost).is_integer():
            return d / 2 - self.transfer_cost
        return d - self.transfer_cost

    def clear(self) -> None:
        """Drop the per-source caches (keeps the service graph)."""
        self._trees.clear()
        self._routes.clear()


ORACLE_KEY = "graph.oracle"
"""The :meth:`MetroGraph.derived` entry holding a graph's oracles by transfer cost."""


def oracle_for(g: MetroGraph, transfer_cost: float = DEFAULT_TRANSFER_COST) -> RouteOracle:
    """The :class:`RouteOracle` of ``g`` for ``transfer_cost``, cached on the graph.

    >>> from mapkit.graph import toy_city
    >>> g = toy_city()
    >>> oracle_for(g) is oracle_for(g)
    True
    """
    cache: dict[float, RouteOracle] = g.derived(ORACLE_KEY, dict)
    o = cache.get(transfer_cost)
    if o is None:
        o = cache[transfer_cost] = RouteOracle(g, transfer_cost)
    return o
