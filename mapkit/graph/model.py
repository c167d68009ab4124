"""The curated metro graph: stations, lines (with loops and branches) and a networkx view.

A :class:`Line` is a set of *services*: each :class:`Branch` is one ordered station
sequence that a train runs end to end (``loop=True``: the last station connects back to
the first; ``oneway=True``: trains run in the listed order only, e.g. a one-way terminal
loop). A plain line has one branch; a Y-shaped line has two that share the trunk.
The networkx graph ``MetroGraph.graph`` has one node per station id and one edge per
adjacent pair on any branch, whose ``lines`` attribute lists the line ids running on it.

Example:
    >>> g = MetroGraph(
    ...     city="toy", country="nowhere",
    ...     stations=[Station("a", "A"), Station("b", "B"), Station("c", "C")],
    ...     lines=[Line("red", "Red", (Branch(("a", "b", "c")),))],
    ... )
    >>> sorted(g.graph.edges(data="lines"))
    [('a', 'b', ('red',)), ('b', 'c', ('red',))]
    >>> g.station("b").name
    'B'
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import networkx as nx

from mapkit.errors import (
    AmbiguousStationError,
    DisconnectedNetworkWarning,
    GraphBuildError,
    LineNotFoundError,
    StationNotFoundError,
)
from mapkit.names import name_key

GRAPH_FORMAT = "mapkit.metro-graph/1"


@dataclass(frozen=True)
class Station:
    """A station: canonical ``id``, display ``name``, other spellings, optional map coordinates."""

    id: str
    name: str
    aliases: tuple[str, ...] = ()
    coords: tuple[float, float] | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "name": self.name}
        if self.aliases:
            d["aliases"] = list(self.aliases)
        if self.coords is not None:
            d["coords"] = [self.coords[0], self.coords[1]]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Station:
        coords = d.get("coords")
        return cls(
            id=str(d["id"]),
            name=str(d["name"]),
            aliases=tuple(d.get("aliases", ())),
            coords=None if coords is None else (float(coords[0]), float(coords[1])),
        )


@dataclass(frozen=True)
class Branch:
    """One service of a line: station ids in running order; ``loop`` closes last -> first.

    ``oneway``: trains run only in the listed order (last -> first through the closing edge of a
    loop, never back); otherwise the service runs both ways.

    >>> list(Branch(("a", "b", "c"), loop=True, oneway=True).arcs())
    [('a', 'b'), ('b', 'c'), ('c', 'a')]
    >>> list(Branch(("a", "b")).arcs())
    [('a', 'b'), ('b', 'a')]
    """

    stations: tuple[str, ...]
    loop: bool = False
    oneway: bool = False

    def edges(self) -> Iterator[tuple[str, str]]:
        """Adjacent pairs along the service, the closing pair included for a loop."""
        seq = self.stations
        yield from zip(seq, seq[1:])
        if self.loop and len(seq) > 2:
            yield seq[-1], seq[0]

    def arcs(self) -> Iterator[tuple[str, str]]:
        """Directed hops a train of this service makes: each edge forward, and backward unless one-way."""
        for u, v in self.edges():
            yield u, v
            if not self.oneway:
                yield v, u

    def to_dict(self) -> dict[str, Any]:
        # ``oneway`` only when set, so two-way graphs keep their content hash
        d: dict[str, Any] = {"stations": list(self.stations), "loop": self.loop}
        if self.oneway:
            d["oneway"] = True
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Branch:
        return cls(tuple(str(s) for s in d["stations"]), bool(d.get("loop", False)), bool(d.get("oneway", False)))


@dataclass(frozen=True)
class Line:
    """A line: ``branches[0]`` is the main service; others are branch services of the same line.

    ``aliases``: other names a reader may use, from the map's legend (Singapore's ``NSL``, ``EWL``).
    """

    id: str
    name: str
    branches: tuple[Branch, ...]
    color: str | None = None
    aliases: tuple[str, ...] = ()

    # a line never changes: these are computed on first use and kept (question families ask per item)
    @cached_property
    def loop(self) -> bool:
        """True when any service of the line is circular."""
        return any(b.loop for b in self.branches)

    @cached_property
    def oneway(self) -> bool:
        """True when any service of the line runs one way only."""
        return any(b.oneway for b in self.branches)

    @cached_property
    def station_ids(self) -> tuple[str, ...]:
        """Every station of the line once: main service order, then branch-only stations."""
        seen: dict[str, None] = {}
        for branch in self.branches:
            for sid in branch.stations:
                seen.setdefault(sid, None)
        return tuple(seen)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "name": self.name}
        if self.aliases:  # only when set, so graphs without line aliases keep their content hash
            d["aliases"] = list(self.aliases)
        if self.color:
            d["color"] = self.color
        d["branches"] = [b.to_dict() for b in self.branches]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Line:
        return cls(
            id=str(d["id"]),
            name=str(d["name"]),
            color=d.get("color"),
            branches=tuple(Branch.from_dict(b) for b in d["branches"]),
            aliases=tuple(str(a) for a in d.get("aliases", ())),
        )


@dataclass
class MetroGraph:
    """A city's metro network with canonical ids; the single source of truth for answers."""

    city: str
    country: str
    stations: Iterable[Station]
    lines: Iterable[Line]
    source: str = "unknown"
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.stations = {s.id: s for s in self.stations}
        self.lines = {ln.id: ln for ln in self.lines}
        self._check()
        self.graph = self._build_graph()
        self._name_index = self._build_name_index()
        self._line_index = {name_key(ln.name): ln.id for ln in self.lines.values()}
        for ln in self.lines.values():
            for alias in ln.aliases:
                self._line_index.setdefault(name_key(alias), ln.id)
        self._lines_at: dict[str, tuple[str, ...]] = {sid: () for sid in self.stations}
        for ln in self.lines.values():
            for sid in ln.station_ids:
                self._lines_at[sid] += (ln.id,)
        self._hash: str | None = None
        self._derived: dict[str, Any] = {}

    # --- construction -------------------------------------------------------------------

    def _check(self) -> None:
        if not self.lines:
            raise GraphBuildError(f"{self.city}: the network has no lines.")
        for ln in self.lines.values():
            if not ln.branches:
                raise GraphBuildError(f"{self.city}: line {ln.name!r} has no stations (an empty line).")
            for i, br in enumerate(ln.branches):
                where = f"{self.city}: line {ln.name!r}" + (f", branch {i}" if i else "")
                if len(br.stations) < 2:
                    raise GraphBuildError(f"{where} has fewer than two stations.")
                missing = [s for s in br.stations if s not in self.stations]
                if missing:
                    raise GraphBuildError(f"{where} names unknown station id(s): {', '.join(missing)}.")
                dupes = sorted({s for s in br.stations if br.stations.count(s) > 1})
                if dupes:
                    names = ", ".join(self.stations[s].name for s in dupes)
                    raise GraphBuildError(
                        f"{where} visits {names} twice.",
                        hint="If the line is circular, flag it as a loop (the closing edge is implied); "
                        "if it has a branch, split it into separate services.",
                    )

    def _build_graph(self) -> nx.Graph:
        g = nx.Graph(city=self.city, country=self.country)
        g.add_nodes_from((st.id, {"name": st.name}) for st in self.stations.values())
        # each edge once, in first-seen order (adjacency order: what breadth-first searches visit first)
        edges: dict[tuple[str, str], dict[str, tuple[str, ...]]] = {}
        for ln in self.lines.values():
            for br in ln.branches:
                for u, v in br.edges():
                    data = edges.get((u, v)) or edges.get((v, u))
                    if data is None:
                        edges[(u, v)] = {"lines": (ln.id,)}
                    elif ln.id not in data["lines"]:
                        data["lines"] += (ln.id,)
        g.add_edges_from((u, v, data) for (u, v), data in edges.items())
        return g

    def _build_name_index(self) -> dict[str, tuple[str, ...]]:
        index: dict[str, tuple[str, ...]] = {}
        self._display_keys: dict[str, str] = {}
        for st in self.stations.values():
            for n in (st.name, *st.aliases):
                key = name_key(n)
                if st.id not in index.get(key, ()):
                    index[key] = index.get(key, ()) + (st.id,)
            self._display_keys[st.id] = name_key(st.name) if st.aliases else key
        return index

    # --- lookups ------------------------------------------------------------------------

    def station(self, ref: str) -> Station:
        """A station by id, display name or alias (case-insensitive); raises if none or several."""
        if ref in self.stations:
            return self.stations[ref]
        ids = self._name_index.get(name_key(ref), ())
        if len(ids) == 1:
            return self.stations[ids[0]]
        if ids:
            raise AmbiguousStationError(
                f"{self.city}: {ref!r} names {len(ids)} different stations ({', '.join(ids)}).",
                hint="Refer to the station by its id.",
            )
        raise StationNotFoundError(f"{self.city}: no station {ref!r}.", hint="`mapkit city show` lists the stations.")

    def station_ids_named(self, name: str) -> tuple[str, ...]:
        """Every station id whose name or alias is ``name`` (several for NYC's `7 Av`)."""
        return self._name_index.get(name_key(name), ())

    def ids_named_like(self, station_id: str) -> tuple[str, ...]:
        """:meth:`station_ids_named` of the station's own display name (its key computed once, at
        construction): several ids when another station shares the name.

        >>> from mapkit.graph import toy_city
        >>> toy_city().ids_named_like("a")
        ('a',)
        """
        return self._name_index[self._display_keys[station_id]]

    def line(self, ref: str) -> Line:
        """A line by id or name (case-insensitive)."""
        if ref in self.lines:
            return self.lines[ref]
        lid = self._line_index.get(name_key(ref))
        if lid is None:
            raise LineNotFoundError(
                f"{self.city}: no line {ref!r}; lines are {', '.join(ln.name for ln in self.lines.values())}."
            )
        return self.lines[lid]

    def lines_at(self, station_id: str) -> tuple[str, ...]:
        """Ids of the lines serving ``station_id``, in line order (no name resolution)."""
        return self._lines_at[station_id]

    # --- whole-graph facts --------------------------------------------------------------

    def components(self) -> list[list[str]]:
        """Connected components as sorted lists of station ids, largest first."""
        comps = [sorted(c) for c in nx.connected_components(self.graph)]
        return sorted(comps, key=lambda c: (-len(c), c))

    def warn_if_disconnected(self) -> None:
        """Emit :class:`DisconnectedNetworkWarning` listing the components if there are several."""
        comps = self.components()
        if len(comps) > 1:
            parts = []
            for comp in comps:
                lines = sorted({lid for sid in comp for lid in self._lines_at[sid]})
                names = ", ".join(self.lines[lid].name for lid in lines)
                parts.append(f"[{names}: {len(comp)} stations]")
            warnings.warn(
                f"{self.city}: the network has {len(comps)} disconnected parts: {' '.join(parts)}.",
                DisconnectedNetworkWarning,
                stacklevel=2,
            )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict in mapkit's city format (stations, lines), plus ``source`` and ``meta``."""
        return {
            "format": "mapkit.city/1",
            "city": self.city,
            "country": self.country,
            "source": self.source,
            "meta": self.meta,
            "stations": [s.to_dict() for s in self.stations.values()],
            "lines": [ln.to_dict() for ln in self.lines.values()],
        }

    @property
    def content_hash(self) -> str:
        """sha256 over the canonical JSON of city, country, stations and lines (not meta/source)."""
        if self._hash is None:
            core = {
                "city": self.city,
                "country": self.country,
                "stations": sorted((s.to_dict() for s in self.stations.values()), key=lambda s: s["id"]),
                "lines": [ln.to_dict() for ln in self.lines.values()],
            }
            blob = json.dumps(core, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
            self._hash = "sha256:" + hashlib.sha256(blob.encode()).hexdigest()
        return self._hash

    def derived(self, key: str, build: Callable[[], Any]) -> Any:
        """A value computed from this graph once and kept with it (route oracles, question pools).

        A graph is never changed after construction, so what is derived from it stays true; ``key``
        names the deriving module's entry (``"graph.oracle"``, ``"questions.scene"``).

        >>> from mapkit.graph import toy_city
        >>> g = toy_city()
        >>> g.derived("demo", list) is g.derived("demo", list)
        True
        """
        hit = self._derived.get(key)
        if hit is None:
            hit = self._derived[key] = build()
        return hit

    def forget(self, key: str) -> None:
        """Drop the derived value ``key`` (a finished city's pools: memory, not correctness)."""
        self._derived.pop(key, None)

    def __repr__(self) -> str:
        return (
            f"MetroGraph(city={self.city!r}, lines={len(self.lines)}, "
            f"stations={len(self.stations)}, source={self.source!r})"
        )
