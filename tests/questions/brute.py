"""Independent answers for the question families, computed straight from the raw branch lists.

Nothing here calls mapkit.graph.queries, mapkit.graph.routes or mapkit.questions: each function
walks ``Line.branches`` (lists of station ids, a loop flag) by hand, so a bug in the library's
queries cannot hide in both computations.
"""

from __future__ import annotations

import itertools

from mapkit.graph import MetroGraph


def services(g: MetroGraph):
    for ln in g.lines.values():
        for br in ln.branches:
            yield ln.id, list(br.stations), br.loop, br.oneway


def lines_of(g: MetroGraph, s: str) -> list[str]:
    return [lid for lid, ln in g.lines.items() if any(s in br.stations for br in ln.branches)]


def rides(seq: list[str], loop: bool, a: str, b: str, oneway: bool = False) -> list[list[str]]:
    """Every way along one service from a to b: the stations strictly between, in riding order
    (a one-way service steps forward through its list only)."""
    i, j = seq.index(a), seq.index(b)
    n = len(seq)
    out = []
    for step in (1,) if oneway else (1, -1):
        if not loop and (j - i) * step < 0:
            continue
        path, k = [], i
        while True:
            k = (k + step) % n if loop else k + step
            if k == j:
                break
            path.append(seq[k])
        out.append(path)
    return out


def line_rides(g: MetroGraph, line: str, a: str, b: str) -> list[list[str]]:
    out: list[list[str]] = []
    for br in g.lines[line].branches:
        seq = list(br.stations)
        if a in seq and b in seq:
            for r in rides(seq, br.loop, a, b, br.oneway):
                if r not in out:
                    out.append(r)
    return out


def track_paths(g: MetroGraph, line: str, a: str, b: str) -> list[list[str]]:
    """Every simple path from a to b along the line's drawn track (any service, either way): the
    stations strictly between, by depth-first search over the hand-built adjacency."""
    adj: dict[str, set[str]] = {}
    for br in g.lines[line].branches:
        seq = list(br.stations)
        pairs = list(zip(seq, seq[1:])) + ([(seq[-1], seq[0])] if br.loop and len(seq) > 2 else [])
        for u, v in pairs:
            adj.setdefault(u, set()).add(v)
            adj.setdefault(v, set()).add(u)
    out: list[list[str]] = []

    def dfs(at: str, path: list[str]) -> None:
        if at == b:
            out.append(path[1:-1])
            return
        for nxt in sorted(adj.get(at, ())):
            if nxt not in path:
                dfs(nxt, [*path, nxt])

    if a in adj:
        dfs(a, [a])
    return out


def shortest_unique(rs: list[list[str]]) -> list[str] | None:
    rs = sorted(rs, key=len)
    if not rs or (len(rs) > 1 and len(rs[0]) == len(rs[1]) and rs[0] != rs[1]):
        return None
    return rs[0]


def count_between(g: MetroGraph, a: str, b: str) -> int | None:
    """Counting1's truth, or None: each common line's shortest ride, the same in both directions of
    travel (one-way services), never longer than the drawn track, the same on every common line."""
    found = None
    common = [lid for lid in lines_of(g, a) if lid in lines_of(g, b)]
    if not common:
        return None
    for lid in common:
        there, back = line_rides(g, lid, a, b), line_rides(g, lid, b, a)
        if not there and not back:
            return None
        picks = []
        for rs, rev in ((there, False), (back, True)):
            if rs:
                best = shortest_unique(rs)
                if best is None:
                    return None
                picks.append(best[::-1] if rev else best)
        if any(p != picks[0] for p in picks):
            return None
        track = min((len(p) for p in track_paths(g, lid, a, b)), default=None)
        if track is not None and track < len(picks[0]):
            return None
        if found is not None and picks[0] != found:
            return None
        found = picks[0]
    return None if found is None else len(found)


def defensible_counts(g: MetroGraph, a: str, b: str) -> set[int]:
    """Every count a reader could defend: each ride either way and each track path, on every common line."""
    common = [lid for lid in lines_of(g, a) if lid in lines_of(g, b)]
    out: set[int] = set()
    for lid in common:
        out |= {len(r) for r in line_rides(g, lid, a, b) + line_rides(g, lid, b, a)}
        out |= {len(p) for p in track_paths(g, lid, a, b)}
    return out


def next_after(g: MetroGraph, line: str, a: str, b: str) -> str | None:
    rs = sorted(line_rides(g, line, a, b), key=len)
    if not rs or (len(rs) > 1 and len(rs[0]) == len(rs[1])) or not rs[0]:
        return None
    if len(rs) > 1 and not g.lines[line].loop:
        return None
    track = min((len(p) for p in track_paths(g, line, a, b)), default=None)
    if track is not None and track < len(rs[0]):
        return None
    return rs[0][0]


def terminals(g: MetroGraph, line: str) -> set[str]:
    return {s for br in g.lines[line].branches for s in (br.stations[0], br.stations[-1])}


def line_station_count(g: MetroGraph, line: str) -> int:
    return len({s for br in g.lines[line].branches for s in br.stations})


def best_routes(g: MetroGraph, a: str, b: str, transfer_cost: float = 3.0, max_legs: int = 4):
    """(cost, set of routes) by enumerating every leg sequence of up to ``max_legs`` rides."""
    legs_from: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {}
    for lid, seq, loop, oneway in services(g):
        for s, t in itertools.permutations(seq, 2):
            for via in rides(seq, loop, s, t, oneway):
                legs_from.setdefault(s, []).append((lid, t, tuple(via)))
    best: tuple[float, set] = (float("inf"), set())

    def walk(at: str, route: tuple, seen: frozenset, cost: float) -> None:
        nonlocal best
        if cost > best[0]:
            return
        if at == b and route:
            if cost < best[0]:
                best = (cost, {route})
            elif cost == best[0]:
                best[1].add(route)
            return
        if len(route) >= max_legs:
            return
        for lid, t, via in legs_from.get(at, ()):
            if t in seen or any(v in seen for v in via):
                continue
            leg = (lid, at, t, via)
            extra = len(via) + 1 + (transfer_cost if route else 0)
            walk(t, (*route, leg), seen | {t, *via}, cost + extra)

    walk(a, (), frozenset({a}), 0.0)
    return best
