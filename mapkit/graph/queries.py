"""Graph queries as plain functions over a :class:`MetroGraph`.

All functions take station/line *references* (id, name or alias) and return ids.

Example:
    >>> from mapkit.graph.examples import toy_city
    >>> g = toy_city()
    >>> lines_through(g, "C Station")
    ['red', 'blue']
    >>> stops_between(g, "a", "d", "red").stops
    ('b', 'c')
"""

from __future__ import annotations

from dataclasses import dataclass

from mapkit.errors import AmbiguousSpanError, NotOnSameLineError
from mapkit.graph.model import MetroGraph

__all__ = [
    "Span",
    "common_lines",
    "lines_through",
    "share_line",
    "stations_of_line",
    "stops_between",
    "track_span",
    "transfer_stations",
]


def lines_through(g: MetroGraph, station: str) -> list[str]:
    """Ids of the lines that serve ``station``, by membership (never by transfer markers).

    >>> from mapkit.graph.examples import toy_city
    >>> lines_through(toy_city(), "b")
    ['red', 'green']
    """
    return list(g.lines_at(g.station(station).id))


def stations_of_line(g: MetroGraph, line: str) -> list[str]:
    """Station ids of ``line``: main service in order, then stations found only on branches.

    >>> from mapkit.graph.examples import toy_city
    >>> stations_of_line(toy_city(), "Green Line")
    ['i', 'b', 'j', 'k', 'l']
    """
    return list(g.line(line).station_ids)


def common_lines(g: MetroGraph, a: str, b: str) -> list[str]:
    """Ids of the lines serving both stations, in line order.

    >>> from mapkit.graph.examples import toy_city
    >>> common_lines(toy_city(), "a", "c")
    ['red']
    """
    sa, sb = g.station(a).id, g.station(b).id
    at_b = set(g.lines_at(sb))
    return [lid for lid in g.lines_at(sa) if lid in at_b]


def share_line(g: MetroGraph, a: str, b: str) -> bool:
    """True when some line serves both stations (the TorF1 question).

    >>> from mapkit.graph.examples import toy_city
    >>> share_line(toy_city(), "a", "g"), share_line(toy_city(), "k", "l")
    (False, True)
    """
    return bool(common_lines(g, a, b))


def transfer_stations(g: MetroGraph) -> list[str]:
    """Ids of stations served by two or more lines, in station order.

    >>> from mapkit.graph.examples import toy_city
    >>> transfer_stations(toy_city())
    ['b', 'c']
    """
    return [sid for sid in g.stations if len(g.lines_at(sid)) >= 2]


@dataclass(frozen=True)
class Span:
    """The stops strictly between ``start`` and ``end`` on ``line``, riding from start to end.

    ``paths`` holds every distinct way a train of the line runs from start to end (both directions
    of a two-way loop, only the running direction of a one-way service), shortest first. ``stops`` is
    the shortest; it raises :class:`AmbiguousSpanError` when two different paths tie, so a count is
    never guessed.
    """

    line: str
    start: str
    end: str
    paths: tuple[tuple[str, ...], ...]

    @property
    def ambiguous(self) -> bool:
        """True when the two shortest paths differ but have the same length."""
        return len(self.paths) > 1 and len(self.paths[0]) == len(self.paths[1])

    @property
    def stops(self) -> tuple[str, ...]:
        """Station ids strictly between the endpoints along the shortest path."""
        if self.ambiguous:
            raise AmbiguousSpanError(f"{self.start} and {self.end} are equally far apart both ways round {self.line}.")
        return self.paths[0]

    @property
    def count(self) -> int:
        """Number of intermediate stops (the Counting1 answer)."""
        return len(self.stops)


def _paths_on_branch(seq: tuple[str, ...], loop: bool, a: str, b: str, oneway: bool = False) -> list[tuple[str, ...]]:
    """The stops strictly between ``a`` and ``b`` for each way a train of this service rides a -> b."""
    i, j = seq.index(a), seq.index(b)
    paths = []
    # the listed order runs forward; a one-way service never runs backward
    if i < j:
        paths.append(seq[i + 1 : j])
        if loop and not oneway:  # backward through the closing edge
            paths.append((seq[j + 1 :] + seq[:i])[::-1])
    else:
        if not oneway:
            paths.append(seq[j + 1 : i][::-1])
        if loop:  # forward through the closing edge
            paths.append(seq[i + 1 :] + seq[:j])
    return paths


def track_span(g: MetroGraph, a: str, b: str, line: str) -> tuple[str, ...] | None:
    """The stops strictly between ``a`` and ``b`` along ``line``'s drawn track, when the track offers
    exactly one way between them (ignoring services and direction), else ``None``.

    This is how a reader counts two stations on different branches of a Y-shaped line: through the
    junction. A loop in the track gives two ways, so ``None``.

    >>> from mapkit.graph.examples import toy_city
    >>> g = toy_city()
    >>> track_span(g, "k", "l", "green"), track_span(g, "f", "g", "blue")
    (('j',), None)
    """
    import networkx as nx

    sa, sb = g.station(a).id, g.station(b).id
    ln = g.line(line)
    if sa == sb or sa not in ln.station_ids or sb not in ln.station_ids:
        return None
    track = nx.Graph()
    for br in ln.branches:
        track.add_edges_from(br.edges())
    found = None
    for k, path in enumerate(nx.all_simple_paths(track, sa, sb)):
        if k:
            return None
        found = tuple(path[1:-1])
    return found


def stops_between(g: MetroGraph, a: str, b: str, line: str | None = None) -> Span:
    """The stops strictly between ``a`` and ``b`` riding one train of ``line``.

    ``line`` may be omitted when the two stations share exactly one line. Branches count only
    when both stations lie on one service; loops give both directions (shortest first); a one-way
    service (``Branch.oneway``) gives only the rides in its running order, so the span from a to b
    may differ from the span from b to a.

    >>> from mapkit.graph.examples import toy_city
    >>> g = toy_city()
    >>> stops_between(g, "f", "g", "blue").paths
    (('c',), ('h',))
    >>> stops_between(g, "f", "g", "blue").ambiguous
    True
    >>> stops_between(g, "f", "h").stops
    ()
    >>> stops_between(g, "k", "l")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mapkit.errors.NotOnSameLineError: K Station and L Station are both on Green Line but on different branches; ...
    """
    sa, sb = g.station(a), g.station(b)
    if line is None:
        shared = common_lines(g, sa.id, sb.id)
        if len(shared) != 1:
            what = "no line" if not shared else f"{len(shared)} lines"
            raise NotOnSameLineError(f"{sa.name} and {sb.name} share {what}; name the line.")
        line = shared[0]
    ln = g.line(line)
    if sa.id == sb.id:
        raise NotOnSameLineError(f"{sa.name} is given twice; a span needs two stations.")
    found: dict[tuple[str, ...], None] = {}
    on_line = False
    for br in ln.branches:
        has_a, has_b = sa.id in br.stations, sb.id in br.stations
        on_line = on_line or has_a or has_b
        if has_a and has_b:
            for p in _paths_on_branch(br.stations, br.loop, sa.id, sb.id, br.oneway):
                found.setdefault(p, None)
    if not found:
        if any(sa.id in br.stations and sb.id in br.stations for br in ln.branches):
            raise NotOnSameLineError(
                f"{ln.name} runs one way only between {sa.name} and {sb.name}: no train rides from "
                f"{sa.name} to {sb.name} (ask the other way round)."
            )
        if sa.id in ln.station_ids and sb.id in ln.station_ids:
            raise NotOnSameLineError(
                f"{sa.name} and {sb.name} are both on {ln.name} but on different branches; no train runs between them."
            )
        raise NotOnSameLineError(f"{sa.name} and {sb.name} are not both on {ln.name}.")
    paths = tuple(sorted(found, key=len))
    return Span(ln.id, sa.id, sb.id, paths)
