"""Cheapest routes from many source stations at once: numpy over the route oracle's service graph.

:class:`~mapkit.graph.oracle.RouteOracle` runs one Python Dijkstra per source. Generating planning
items needs nearly every source of a city (the pools rank every ordered pair of stations by its
transfers), so :class:`RouteTable` computes the same search results for a set of sources together:

* each node's distance and fewest boardings on a cheapest path, as one integer per (source, node)
  (``distance << 16 | boardings``: the minimum is the cheapest, then the fewest boardings), by
  rounds of "board anywhere, ride along each service" - a running minimum along every service at
  once - until no station's entry improves (one round per leg of the longest cheapest route);
* each node's tight predecessor when it has exactly one (most nodes on most routes).

:meth:`RouteTable.best_routes` follows those unique predecessors back from the target; where a node
has several, it runs the oracle's own enumeration over the tight predecessors listed in the order the
oracle's search settles them, so every answer equals :meth:`RouteOracle.best_routes` (same routes,
same order; tests/graph/test_route_table.py checks every pair of several cities). Integer transfer
costs only (their ties are exact); :func:`table_for` says ``None`` otherwise.

Example:
    >>> from mapkit.graph import toy_city
    >>> from mapkit.graph.oracle import oracle_for
    >>> g = toy_city()
    >>> table = RouteTable(oracle_for(g), sorted(g.stations))
    >>> table.best_routes("a", "g") == oracle_for(g).best_routes("a", "g")
    True
    >>> table.min_transfers("a", "g"), table.cost("a", "g")
    (1, 6.0)
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

import numpy as np

from mapkit.errors import ConfigError, NoRouteError
from mapkit.graph.oracle import MAX_PATHS, MAX_ROUTES, RouteOracle
from mapkit.graph.route_reference import enumerate_best_routes
from mapkit.graph.route_types import Leg, Route

__all__ = ["RouteTable", "table_for"]

BOARD_BITS = 16
"""Low bits of a table entry holding the boardings; the distance sits above them."""
_MASK = (1 << BOARD_BITS) - 1
_INF = 1 << 44
"""An unreached entry (far above any real distance << 16)."""
_HUGE = 1 << 46
"""Offset between services in the running minimum, so that it restarts at each service."""


def table_for(oracle: RouteOracle, sources: Sequence[str]) -> RouteTable | None:
    """A :class:`RouteTable` of ``sources``, or ``None`` where its integers cannot be exact (a fractional
    transfer cost, a network too large for the packed entries): the caller uses the oracle then.

    >>> from mapkit.graph import toy_city
    >>> from mapkit.graph.oracle import MAX_PATHS, MAX_ROUTES, RouteOracle
    >>> table_for(RouteOracle(toy_city(), 2.5), ["a"]) is None
    True
    """
    if not float(oracle.transfer_cost).is_integer():
        return None
    n = len(oracle.node_station)
    # boardings below 2**16, distances (<< 16) well below _INF, service offsets inside int64
    if n >= 1 << 15 or (oracle.ride + 2 * oracle.half) * n >= 1 << 26 or 2 * len(oracle.services) >= 1 << 15:
        return None
    return RouteTable(oracle, sources)


class RouteTable:
    """The oracle's search results for every source in ``sources`` (station ids), computed together."""

    def __init__(self, oracle: RouteOracle, sources: Sequence[str]) -> None:
        if not float(oracle.transfer_cost).is_integer():
            raise ConfigError(
                f"RouteTable needs an integer transfer_cost, not {oracle.transfer_cost}; use RouteOracle."
            )
        g = oracle.g
        self.oracle = oracle
        self.sources = tuple(sources)
        self.row = {s: i for i, s in enumerate(self.sources)}
        self.column = {sid: i for i, sid in enumerate(g.stations)}  # station i: in node 2i, out node 2i + 1
        self.first_line = 2 * len(g.stations)
        self._walks: dict[int, list[int]] = {}
        self._dists: dict[int, list[int]] = {}
        self._walkers: dict[int, _Walker] = {}
        self._in_edges: list[list[tuple[int, int]]] | None = None
        e_in, e_out, e_node = self._search()
        lex = np.empty((len(self.sources), len(oracle.node_station)), dtype=np.int64)
        lex[:, 0 : self.first_line : 2] = e_in
        lex[:, 1 : self.first_line : 2] = e_out
        lex[:, self.first_line :] = e_node
        self.lex = lex
        """``distance << 16 | boardings`` per (source row, node); ``>= _INF``: unreached."""
        self.dist = lex >> BOARD_BITS
        self.unique_pred = self._unique_preds()
        """Per (source row, node): its one tight predecessor, -1 for none (the source, or unreached), -2 for several."""

    # --- the search ------------------------------------------------------------------------------

    def _search(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        o = self.oracle
        first = self.first_line
        n_lines = len(o.node_station) - first
        ride, half = o.ride << BOARD_BITS, o.half << BOARD_BITS
        station_of = np.array([self.column[s] for s in o.node_station[first:]], dtype=np.intp)
        # every service once per direction it runs (a loop twice around, to wrap): a sequence of
        # elements, each a line node, ridden in element order
        seq: list[int] = []
        coord: list[int] = []
        offset: list[int] = []
        outs: list[list[int]] = [[] for _ in range(n_lines)]
        n_seg = 0
        for nodes, loop, oneway in o.services:
            cols = [v - first for v in nodes]
            for order in (cols,) if oneway else (cols, cols[::-1]):
                laps = 2 if loop else 1
                base = len(seq)
                for lap in range(laps):
                    for p, c in enumerate(order):
                        outs[c].append(base + lap * len(order) + p)
                seq.extend(order * laps)
                coord.extend(range(len(order) * laps))
                offset.extend([n_seg * _HUGE] * (len(order) * laps))
                n_seg += 1
        pad = len(seq)  # an element always unreached, for the short rows of ``outs``
        width = max((len(x) for x in outs), default=1)
        out_idx = np.array([x + [pad] * (width - len(x)) for x in outs], dtype=np.intp).reshape(n_lines, width)
        seq_station = station_of[np.array(seq, dtype=np.intp)]
        ride_at = ride * np.array(coord, dtype=np.int64)
        shift_down = np.array(offset, dtype=np.int64) + ride_at  # later services sit lower: the minimum restarts
        at_station: list[list[int]] = [[] for _ in self.column]
        for c, s in enumerate(station_of.tolist()):
            at_station[s].append(c)
        deg = max((len(x) for x in at_station), default=1) or 1
        station_nodes = np.array([x + [n_lines] * (deg - len(x)) for x in at_station], dtype=np.intp)

        # (element, source) layout: gathers copy whole rows, running minima run down the columns
        rows = len(self.sources)
        e_in = np.full((len(self.column), rows), _INF, dtype=np.int64)
        e_in[[self.column[s] for s in self.sources], np.arange(rows)] = 0
        shift_down = shift_down[:, None]
        ride_seq = np.empty((pad + 1, rows), dtype=np.int64)
        ride_seq[pad] = _INF
        nodes = np.empty((n_lines + 1, rows), dtype=np.int64)
        nodes[n_lines] = _INF
        while True:
            # board at any station (half a transfer, one boarding), ride on: a running minimum per service
            x = e_in[seq_station]
            x += half + 1
            x -= shift_down
            np.minimum.accumulate(x, axis=0, out=x)
            x += shift_down
            np.minimum(x, _INF, out=ride_seq[:pad])
            np.take(ride_seq, out_idx[:, 0], axis=0, out=nodes[:n_lines])
            for j in range(1, out_idx.shape[1]):
                np.minimum(nodes[:n_lines], ride_seq[out_idx[:, j]], out=nodes[:n_lines])
            # alight (half a transfer) at the exit node, which leads to the entry node for free
            e_out = nodes[station_nodes[:, 0]]
            for j in range(1, station_nodes.shape[1]):
                np.minimum(e_out, nodes[station_nodes[:, j]], out=e_out)
            e_out += half
            np.minimum(e_out, _INF, out=e_out)
            new_in = np.minimum(e_in, e_out)
            if np.array_equal(new_in, e_in):
                break
            e_in = new_in
        return e_in.T, e_out.T, nodes[:n_lines].T

    def _unique_preds(self) -> np.ndarray:
        o = self.oracle
        src, dst, wt = [], [], []
        for u, edges in enumerate(o.adj):
            for v, w, _ in edges:
                src.append(u)
                dst.append(v)
                wt.append(int(w))
        order = np.argsort(np.array(dst), kind="stable")
        eu = np.array(src, dtype=np.intp)[order]
        ev = np.array(dst, dtype=np.intp)[order]
        ew = np.array(wt, dtype=np.int64)[order]
        d = self.dist.T  # (node, source): gathers copy whole rows
        unreached = _INF >> BOARD_BITS
        tight = (d[eu] + ew[:, None] == d[ev]) & (d[ev] < unreached)
        n = d.shape[0]
        # per node (its in-edges are contiguous): how many are tight, and the sum of their sources
        # (the source itself where there is exactly one)
        has = np.flatnonzero(np.bincount(ev, minlength=n))
        starts = np.searchsorted(ev, has)
        counts = np.zeros(d.shape, dtype=np.int64)
        sums = np.zeros(d.shape, dtype=np.int64)
        counts[has] = np.add.reduceat(tight.astype(np.int64), starts, axis=0)
        sums[has] = np.add.reduceat(tight * (eu + 1)[:, None], starts, axis=0)
        return np.ascontiguousarray(np.where(counts == 1, sums - 1, np.where(counts == 0, -1, -2)).T)

    # --- answers ---------------------------------------------------------------------------------

    def reached(self, a: str, b: str) -> bool:
        """Whether ``b`` can be reached from source ``a``."""
        return bool(self.lex[self.row[a], 2 * self.column[b] + 1] < _INF)

    def min_transfers(self, a: str, b: str) -> int | None:
        """As :meth:`RouteOracle.min_transfers`: fewest changes among the cheapest routes (``None``: none)."""
        entry = int(self.lex[self.row[a], 2 * self.column[b] + 1])
        if entry >= _INF or a == b:
            return None
        return (entry & _MASK) - 1

    def cost(self, a: str, b: str) -> float:
        """As :meth:`RouteOracle.cost`: the cheapest cost from ``a`` to ``b`` in stops (+ changes)."""
        d = int(self.dist[self.row[a], 2 * self.column[b] + 1])
        return d / 2 - self.oracle.transfer_cost

    def levels(self, targets: Sequence[str]) -> np.ndarray:
        """Per (source row, target): fewest transfers on a cheapest route, capped at 2; -1 unreachable or itself."""
        cols = np.array([2 * self.column[t] + 1 for t in targets], dtype=np.intp)
        entry = self.lex[:, cols]
        level = np.minimum((entry & _MASK) - 1, 2)
        level[entry >= _INF] = -1
        same = np.array([self.row.get(t, -1) for t in targets])
        hit = same >= 0
        level[same[hit], np.flatnonzero(hit)] = -1
        return level

    def best_routes(self, a: str, b: str) -> list[Route]:
        """Every cheapest route from source ``a`` to ``b``: :meth:`RouteOracle.best_routes` (shares its cache)."""
        o = self.oracle
        key = (a, b)
        hit = o._routes.get(key)
        if hit is not None:
            return hit
        if a == b:
            return o.best_routes(a, b)  # raises NoRouteError
        r = self.row[a]
        start, end = 2 * self.column[a], 2 * self.column[b] + 1
        if self.lex[r, end] >= _INF:
            raise NoRouteError(
                f"{o.g.city}: no route from {o.g.stations[a].name} to {o.g.stations[b].name} "
                "(they lie in disconnected parts of the network)."
            )
        walker = self._walkers.get(r)
        if walker is None:
            walker = self._walkers[r] = _Walker(self, r, start)
        found = walker.single(end)
        if found is None:  # some node has several tight predecessors: enumerate them all
            found = walker.routes(end)
        if found is None:  # too many equal routes or paths: the reference picks, as the oracle does
            found = enumerate_best_routes(o.g, a, b, transfer_cost=o.transfer_cost)
        o._routes[key] = found
        return found

    def in_edges(self) -> list[list[tuple[int, int]]]:
        """Per node: ``(predecessor, weight)`` of every edge into it."""
        if self._in_edges is None:
            ins: list[list[tuple[int, int]]] = [[] for _ in self.oracle.adj]
            for u, edges in enumerate(self.oracle.adj):
                for v, w, _ in edges:
                    ins[v].append((u, int(w)))
            self._in_edges = ins
        return self._in_edges

    def unique_pred_row(self, r: int) -> list[int]:
        row = self._walks.get(r)
        if row is None:
            row = self._walks[r] = self.unique_pred[r].tolist()
        return row

    def dist_row(self, r: int) -> list[int]:
        row = self._dists.get(r)
        if row is None:
            row = self._dists[r] = self.dist[r].tolist()
        return row


class _TightPreds(dict):  # type: ignore[type-arg]
    """``pred[v]`` as the oracle's search leaves it, from a table row: ``None``, one node, or a tuple of
    nodes in the order the search settles them (by distance, then node id, an entry node right after
    its exit node, which reaches it at no cost). Filled on first use of each node (a dict: repeated
    lookups by the enumeration cost no Python call)."""

    def __init__(self, table: RouteTable, r: int) -> None:
        super().__init__()
        self.unique = table.unique_pred_row(r)
        self.dist = table.dist_row(r)
        self.ins = table.in_edges()
        self.first_line = table.first_line

    def __missing__(self, v: int) -> Any:
        p = self.unique[v]
        if p >= 0:
            self[v] = p
            return p
        if p == -1:
            self[v] = None
            return None
        dist, first = self.dist, self.first_line
        dv = dist[v]
        preds = [u for u, w in self.ins[v] if dist[u] + w == dv]
        preds.sort(key=lambda u: (dist[u], u + 1.5 if u < first and u % 2 == 0 else u))
        hit = self[v] = tuple(preds)
        return hit


_State = tuple[tuple[Leg, ...], tuple[str, ...]]
"""A path from the source to a line node, as the legs it completed and the stations of its open ride."""


class _TooMany(Exception):
    """More equal paths than the oracle enumerates (it hands such a pair to the reference)."""


class _Walker:
    """The oracle's enumeration of cheapest routes from one source, leg by leg.

    :meth:`RouteOracle._walk` follows every tight node path from the target back to the source and keeps
    each distinct route once, in the order first met. Here a ride with unique predecessors is followed
    in one loop, and the distinct routes into each exit node are kept (with the number of node paths
    into it) for every later target of the same source. The order is the same: the paths through a
    node are met in the same order whatever leads to it, so keeping the first of equal partial routes
    keeps the first of the routes they lead to.
    """

    def __init__(self, table: RouteTable, r: int, start: int) -> None:
        self.table = weakref.ref(table)  # the table keeps its walkers: no reference cycle to collect
        self.r = r
        self.up = table.unique_pred_row(r)
        self.tight: _TightPreds | None = None
        self.start = start
        self.first = table.first_line
        self.station = table.oracle.node_station
        self.line = table.oracle.node_line
        self.exits: dict[int, tuple[list[tuple[Leg, ...]], int]] = {}

    def routes(self, end: int) -> list[Route] | None:
        """Every cheapest route to exit node ``end`` in the oracle's order (``None``: too many)."""
        try:
            found, paths = self._at_exit(end)
        except _TooMany:
            return None
        if len(found) >= MAX_ROUTES or paths > MAX_PATHS:
            return None
        routes = [Route(legs) for legs in found]
        if len(routes) > 1:
            routes.sort(key=lambda r: (r.transfers, [(lg.line, lg.via) for lg in r.legs]))
        return routes

    def single(self, end: int) -> list[Route] | None:
        """The one cheapest route to exit node ``end`` when every node on the way has one tight
        predecessor (most pairs); ``None`` otherwise."""
        up, first, station, start = self.up, self.first, self.station, self.start
        legs = []
        x = end
        while True:
            v = up[x]
            if v < 0:
                return None
            back = [station[v]]
            w = v
            p = up[w]
            while p >= first:  # ride back along the service
                back.append(station[p])
                w = p
                p = up[w]
            if p < 0:
                return None
            if len(back) > 1:  # boarded at w; a ride of one station is no leg
                legs.append(Leg(self.line[v], back[-1], back[0], tuple(back[-2:0:-1])))  # type: ignore[arg-type]
            if p == start:
                break
            x = p + 1  # the entry node's one predecessor: its station's exit node
        legs.reverse()
        return [Route(tuple(legs))]

    def _preds(self, v: int) -> tuple[int, ...]:
        if self.tight is None:
            table = self.table()
            assert table is not None  # a walker is only reached through its table
            self.tight = _TightPreds(table, self.r)
        p = self.tight[v]
        return p if isinstance(p, tuple) else (p,)

    def _at_entry(self, u: int) -> tuple[list[tuple[Leg, ...]], int]:
        # an entry node's one predecessor is its station's exit node (the source's has none)
        return ([()], 1) if u == self.start else self._at_exit(u + 1)

    def _at_exit(self, x: int) -> tuple[list[tuple[Leg, ...]], int]:
        hit = self.exits.get(x)
        if hit is not None:
            return hit
        p = self.up[x]
        found: dict[tuple[Leg, ...], None] = {}
        paths = 0
        for v in reversed(self._preds(x)) if p < 0 else (p,):  # the oracle's stack takes the last first
            states, n = self._riding(v)
            paths += n
            line = self.line[v]
            for legs, ride in states:
                # a ride of one station is no leg (the oracle's _legs drops it too)
                found.setdefault(legs + (Leg(line, ride[0], ride[-1], ride[1:-1]),) if len(ride) > 1 else legs, None)  # type: ignore[arg-type]
        if paths > MAX_PATHS:
            raise _TooMany
        hit = self.exits[x] = (list(found), paths)
        return hit

    def _riding(self, v: int) -> tuple[list[_State], int]:
        up, first, station = self.up, self.first, self.station
        back = []
        w = v
        while True:
            back.append(station[w])
            p = up[w]
            if p >= first:  # the one predecessor rides the same service
                w = p
                continue
            tail = tuple(reversed(back))
            if p >= 0:  # boarded here
                legs, n = self._at_entry(p)
                return [(lg, tail) for lg in legs], n
            found: dict[_State, None] = {}
            paths = 0
            for u in reversed(self._preds(w)):
                if u < first:
                    legs, n = self._at_entry(u)
                    states = [(lg, tail) for lg in legs]
                else:
                    sub, n = self._riding(u)
                    states = [(lg, ride + tail) for lg, ride in sub]
                paths += n
                for st in states:
                    found.setdefault(st, None)
            if paths > MAX_PATHS:
                raise _TooMany
            return list(found), paths
