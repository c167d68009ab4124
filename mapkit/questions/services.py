"""Each line's services indexed once per graph, for the pair families' hot loops (pools ask about
every pair of every line; items ask again per pair).

:func:`services` gives a :class:`LineServices` per line id: each service's first position of every
station, and whether the line is *simple* - one two-way open service that lists each station once,
where the stops between two stations are a slice of the service (the same both ways, one way to
ride, no other track to follow). :func:`ride_length` is :func:`mapkit.questions.strata.ride_length`
on that index (no ``tuple.index`` scans).

Example:
    >>> from mapkit.graph import toy_city
    >>> s = services(toy_city())
    >>> s["red"].simple, s["blue"].simple, between(s["red"], "a", "d")
    (True, False, ('b', 'c'))
    >>> ride_length(toy_city(), "blue", "f", "g")
    1
"""

from __future__ import annotations

from collections import deque
from typing import Any, NamedTuple

from mapkit.graph.model import MetroGraph

__all__ = ["LineServices", "Track", "between", "ride", "ride_length", "services", "track", "track_gap"]

KEY = "questions.services"
"""The :meth:`MetroGraph.derived` entry holding the index."""


class LineServices(NamedTuple):
    """One line's services as the pair families read them."""

    simple: bool
    """One two-way open service listing each station once (:func:`between` applies)."""
    seq: tuple[str, ...]
    """The main service's stations in running order."""
    pos: dict[str, int]
    """Each station's first position in ``seq``."""
    size: int
    """``len(line.station_ids)`` (a property rebuilt on every access)."""
    oneway: bool
    loop: bool
    branches: tuple[tuple[dict[str, int], int, bool], ...]
    """Per service: (first position of each station, number of stations, loop)."""


def _first_positions(seq: tuple[str, ...]) -> dict[str, int]:
    pos: dict[str, int] = {}
    for i, s in enumerate(seq):
        pos.setdefault(s, i)
    return pos


def services(g: MetroGraph) -> dict[str, LineServices]:
    """Every line's :class:`LineServices`, built once per graph."""

    def build() -> dict[str, LineServices]:
        out = {}
        for lid, ln in g.lines.items():
            branches = tuple((_first_positions(br.stations), len(br.stations), br.loop) for br in ln.branches)
            seq = ln.branches[0].stations
            loop, oneway = ln.loop, ln.oneway
            simple = len(ln.branches) == 1 and not loop and not oneway and len(branches[0][0]) == len(seq)
            out[lid] = LineServices(simple, seq, branches[0][0], len(ln.station_ids), oneway, loop, branches)
        return out

    return g.derived(KEY, build)


def between(line: LineServices, a: str, b: str) -> tuple[str, ...]:
    """The stops strictly between ``a`` and ``b`` in the order a -> b, on a *simple* line serving both."""
    i, j = line.pos[a], line.pos[b]
    return line.seq[i + 1 : j] if i < j else line.seq[j + 1 : i][::-1]


def ride_length(g: MetroGraph, line: str, a: str, b: str) -> int | None:
    """Fewest stops strictly between ``a`` and ``b`` on one service of ``line`` (``None``: no service has
    both) - :func:`mapkit.questions.strata.ride_length`, from the index.

    >>> from mapkit.graph import toy_city
    >>> ride_length(toy_city(), "green", "k", "l") is None
    True
    """
    return ride(services(g)[line], a, b)


def ride(line: LineServices, a: str, b: str) -> int | None:
    """:func:`ride_length` on a line's :class:`LineServices`."""
    best = None
    for pos, n, loop in line.branches:
        i, j = pos.get(a), pos.get(b)
        if i is None or j is None:
            continue
        d = i - j if i > j else j - i
        if loop and n - d < d:
            d = n - d
        if best is None or d - 1 < best:
            best = d - 1
    return best


class Track(NamedTuple):
    """A line's drawn track: every service's edges, undirected (a reader follows the ink)."""

    adj: dict[str, dict[str, None]]
    """Neighbours in the order ``networkx.Graph.add_edges_from`` keeps them (its path order follows)."""
    shape: str
    """``forest`` (no cycle: one path between two stations), ``ring`` (one cycle through every station:
    two paths) or ``other``."""


def track(g: MetroGraph, line: str) -> Track:
    """``line``'s :class:`Track`, built once per graph."""
    return g.derived(f"{KEY}.track:{line}", lambda: _build_track(g, line))


def _build_track(g: MetroGraph, line: str) -> Track:
    adj: dict[str, dict[str, None]] = {}
    for br in g.lines[line].branches:
        for u, v in br.edges():
            adj.setdefault(u, {})
            adj.setdefault(v, {})
            adj[u][v] = None
            adj[v][u] = None
    edges = sum(len(nbrs) for nbrs in adj.values()) // 2
    parts = 0
    seen: set[str] = set()
    for start in adj:
        if start not in seen:
            parts += 1
            seen.add(start)
            stack = [start]
            while stack:
                for v in adj[stack.pop()]:
                    if v not in seen:
                        seen.add(v)
                        stack.append(v)
    if edges == len(adj) - parts:
        shape = "forest"
    elif parts == 1 and all(len(nbrs) == 2 for nbrs in adj.values()):
        shape = "ring"
    else:
        shape = "other"
    return Track(adj, shape)


def track_gap(scene: Any, line: str, a: str, b: str) -> int | None:
    """:func:`mapkit.questions.base.track_gap` on the prebuilt :func:`track` (distances from ``a`` kept in
    the scene's caches): fewest stops strictly between ``a`` and ``b`` along the drawn track, ``None``
    when it does not join them.

    >>> from mapkit.graph import toy_city
    >>> from mapkit.questions.base import context
    >>> track_gap(context(toy_city()), "green", "k", "l")
    1
    """
    key = (KEY, "track-dist", line, a)
    dist = scene.caches.get(key)
    if dist is None:
        adj = track(scene.graph, line).adj
        dist = {a: 0}
        queue = deque([a])
        while queue:
            u = queue.popleft()
            du = dist[u] + 1
            for v in adj.get(u, ()):
                if v not in dist:
                    dist[v] = du
                    queue.append(v)
        scene.caches[key] = dist
    d = dist.get(b)
    return None if d is None else max(d - 1, 0)
