"""Station positions for drawing: from coordinates when a city has them, else from topology.

Two methods, picked by :func:`layout_city`:

``coords``
    Every station has ``coords`` (synthetic cities, mapkit city files). Coordinates are map
    units in image orientation (*y grows downwards*, as the synthetic generator makes them);
    they are scaled so that the median edge is one unit long, and stations that would end up
    cramped are nudged apart.

``schematic``
    ReasonMap cities have no coordinates, so positions are computed from the graph alone:

    1. *stress majorization* (SMACOF, weights ``d⁻²``) on hop distances, started from
       classical MDS: graph distance becomes drawing distance, which keeps lines untangled;
    2. *octilinear refinement*: each edge is given one of the eight compass directions
       (nearest to its current angle, with at most one edge per direction at a station),
       and positions are re-solved by least squares towards those directions, plus a term
       that keeps consecutive stations of a line collinear and a weak anchor to the stress
       layout; repeated a few times with a growing octilinear weight;
    3. *overlap removal*: stations closer than a minimum distance, and stations lying on
       an edge they are not part of, are pushed apart.

Both return positions in *layout units* (about one unit between neighbouring stations),
y down; the renderer scales them to pixels. Disconnected parts are laid out one by one and
placed side by side. Everything is deterministic for a given graph and seed.

Example:
    >>> from mapkit.graph import toy_city
    >>> lay = layout_city(toy_city())
    >>> lay.method, len(lay.positions)
    ('coords', 12)
    >>> layout_city(toy_city(), mode="schematic").method
    'schematic'
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass

import networkx as nx
import numpy as np

from mapkit.errors import ConfigError
from mapkit.graph.model import MetroGraph
from mapkit.render._blas import single_threaded_blas

MIN_STATION_DISTANCE = 0.7
"""Closest two stations may be after overlap removal, in units of the typical edge length."""

MIN_STATION_EDGE_DISTANCE = 0.45
"""Closest a station may be to an edge it is not on, in the same units."""

EDGE_STRETCH = 0.3
"""Extra length of an edge per line beyond the first at its two ends (see ``_edge_lengths``)."""


@dataclass(frozen=True)
class Layout:
    """Station positions in layout units (y down); ``method`` is ``coords`` or ``schematic``."""

    positions: dict[str, tuple[float, float]]
    method: str
    seed: int


def layout_city(
    graph: MetroGraph,
    *,
    seed: int = 0,
    mode: str = "auto",
    octilinear: bool = True,
    coords: Mapping[str, tuple[float, float]] | None = None,
) -> Layout:
    """Positions for every station of ``graph`` (see the module docstring for the methods).

    ``mode``: ``auto`` (coordinates when every station has them), ``coords`` or ``schematic``.
    ``coords``: station positions from outside the graph (``[x east, y south]``, e.g. a reviewed
    positions overlay, :func:`mapkit.annotations.localisation.overlay_coords`); they take the place of
    the stations' own ``coords``, so an overlay for some stations turns a computed layout the way the
    city lies, and one for every station is drawn as it is. The graph (and its hash) is unchanged.

    Example:
        >>> from mapkit.graph import toy_city
        >>> a = layout_city(toy_city(), mode="schematic", seed=3)
        >>> a == layout_city(toy_city(), mode="schematic", seed=3)
        True
    """
    ids = list(graph.stations)
    known = station_coords(graph, coords)
    has_coords = len(known) == len(ids)
    if mode == "auto":
        mode = "coords" if has_coords else "schematic"
    if mode == "coords":
        if not has_coords:
            missing = [sid for sid in ids if sid not in known]
            raise ConfigError(
                f"{graph.city}: layout 'coords' needs coordinates for every station; "
                f"{len(missing)} have none (e.g. {missing[0]!r}).",
                hint="Use the schematic layout (style layout='schematic' or 'auto').",
            )
        X = np.array([known[sid] for sid in ids], dtype=float)
        edges = _edge_index(graph.graph, ids)
        X = _normalise(X, edges)
        # gentler than for schematic layouts: coordinates are the truth, only fix real crowding
        X = _separate(X, edges, MIN_STATION_DISTANCE * 0.6, MIN_STATION_EDGE_DISTANCE * 0.6)
    elif mode == "schematic":
        with single_threaded_blas():
            X = _schematic(graph, ids, seed, octilinear, known)
    else:
        raise ConfigError(f"Unknown layout mode {mode!r}; use auto, coords or schematic.")
    X = np.round(X - X.min(axis=0), 6)  # rounding: identical bytes even if the last ulp differs
    return Layout({sid: (float(x), float(y)) for sid, (x, y) in zip(ids, X)}, mode, seed)


# --- schematic ---------------------------------------------------------------------------


def station_coords(
    graph: MetroGraph, coords: Mapping[str, tuple[float, float]] | None = None
) -> dict[str, tuple[float, float]]:
    """The stations' known positions: their own ``coords``, replaced or completed by ``coords``.

    Example:
        >>> from mapkit.graph import toy_city
        >>> g = toy_city()
        >>> station_coords(g, {"a": (9.0, 9.0)})["a"], station_coords(g)["a"] == g.stations["a"].coords
        ((9.0, 9.0), True)
    """
    out = {sid: st.coords for sid, st in graph.stations.items() if st.coords is not None}
    for sid, xy in (coords or {}).items():
        if sid not in graph.stations:
            raise ConfigError(f"{graph.city}: a position is given for {sid!r}, which is not a station of the city.")
        out[sid] = (float(xy[0]), float(xy[1]))
    return out


def _schematic(
    graph: MetroGraph, ids: list[str], seed: int, octilinear: bool, known: Mapping[str, tuple[float, float]]
) -> np.ndarray:
    index = {sid: i for i, sid in enumerate(ids)}
    X = np.zeros((len(ids), 2))
    comps = graph.components()  # largest first, deterministic order
    offset_x = 0.0
    rng = np.random.default_rng(seed)
    for comp in comps:
        # order the component's stations as in the graph, for a seed-stable result
        in_comp = set(comp)
        members = [sid for sid in ids if sid in in_comp]
        sub = graph.graph.subgraph(members)
        if len(members) == 1:
            P = np.zeros((1, 2))
        else:
            edges = _edge_index(sub, members)
            lengths = _edge_lengths(graph, sub, members, edges)
            P = _stress_layout(_distances(len(members), edges, lengths), rng)
            P = _orient(P, seed, rng)
            P = _align_to_geography(P, graph, members, known)
            if octilinear:
                triples = _line_triples(graph, {s: i for i, s in enumerate(members)})
                P = _octilinearize(P, edges, lengths, triples)
            P = _separate(P, edges, MIN_STATION_DISTANCE, MIN_STATION_EDGE_DISTANCE)
            if octilinear:
                P = _untangle(P, edges, triples, lengths)
        P = P - P.min(axis=0)
        P[:, 0] += offset_x
        offset_x = float(P[:, 0].max()) + 2.0
        for sid, p in zip(members, P):
            X[index[sid]] = p
    return X


def _edge_lengths(graph: MetroGraph, sub: nx.Graph, members: list[str], edges: np.ndarray) -> np.ndarray:
    """Target length of each edge: longer between busy stations, which need room for labels.

    Interchange-dense centres otherwise come out cramped next to long suburban branches
    (stress spreads hop distances evenly), and their crossings tangle.
    """
    nlines = np.array([len(graph.lines_at(s)) for s in members], dtype=float)
    deg = np.array([sub.degree[s] for s in members], dtype=float)
    busy = np.maximum(nlines, deg / 2)
    return 1.0 + EDGE_STRETCH * np.maximum(0.0, busy[edges[:, 0]] + busy[edges[:, 1]] - 2.0)


def _distances(n: int, edges: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """All-pairs shortest path lengths (Floyd-Warshall, vectorised: fine to ~1000 stations)."""
    D = np.full((n, n), np.inf)
    np.fill_diagonal(D, 0.0)
    D[edges[:, 0], edges[:, 1]] = lengths
    D[edges[:, 1], edges[:, 0]] = lengths
    for k in range(n):
        np.minimum(D, D[:, k, None] + D[None, k, :], out=D)
    return D


def _stress_layout(D: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n = len(D)
    if n == 2:
        return np.array([[0.0, 0.0], [D[0, 1], 0.0]])
    X = _classical_mds(D) + rng.normal(0.0, 0.01, (n, 2))
    return _smacof(D, X)


def _classical_mds(D: np.ndarray) -> np.ndarray:
    n = len(D)
    J = np.eye(n) - 1.0 / n
    B = -0.5 * J @ (D**2) @ J
    vals, vecs = np.linalg.eigh(B)
    top = np.argsort(vals)[::-1][:2]
    return vecs[:, top] * np.sqrt(np.maximum(vals[top], 1e-9))


def _smacof(D: np.ndarray, X: np.ndarray, iters: int = 300, tol: float = 1e-4) -> np.ndarray:
    """Weighted stress majorization (Gansner, Koren & North 2004) with w = d^-2."""
    n = len(D)
    off = ~np.eye(n, dtype=bool)
    W = np.zeros_like(D)
    W[off] = D[off] ** -2.0
    V = -W
    V[np.diag_indices(n)] = W.sum(axis=1)
    # V is singular (translation); the pseudo-inverse solves in the centred subspace
    Vp = np.linalg.pinv(V)
    WD = W * D
    prev = math.inf
    for it in range(iters):
        diff = X[:, None, :] - X[None, :, :]
        dist = np.sqrt((diff**2).sum(axis=2))
        np.fill_diagonal(dist, 1.0)
        ratio = WD / np.maximum(dist, 1e-9)
        np.fill_diagonal(ratio, 0.0)
        Bm = -ratio
        Bm[np.diag_indices(n)] = ratio.sum(axis=1)
        X = Vp @ (Bm @ X)
        if it % 10 == 9:
            stress = float((W[off] * (dist[off] - D[off]) ** 2).sum())
            if prev - stress < tol * prev:
                break
            prev = stress
    return X


def _orient(P: np.ndarray, seed: int, rng: np.random.Generator) -> np.ndarray:
    """Principal axis horizontal (maps are wider than tall); other seeds turn the drawing."""
    P = P - P.mean(axis=0)
    _, vecs = np.linalg.eigh(P.T @ P)
    R = vecs[:, ::-1]
    P = P @ R
    # eigenvector signs are arbitrary: fix them from the data so the result is canonical
    for k in range(2):
        if (P[:, k] ** 3).sum() < 0:
            P[:, k] = -P[:, k]
    if seed:
        a = rng.uniform(-math.pi, math.pi)
        c, s = math.cos(a), math.sin(a)
        P = P @ np.array([[c, -s], [s, c]])
        if rng.random() < 0.5:
            P[:, 0] = -P[:, 0]
    return P


_COMPASS_CHARS = {"东": (1.0, 0.0), "西": (-1.0, 0.0), "南": (0.0, 1.0), "北": (0.0, -1.0)}
_COMPASS_WORDS = {"east": (1.0, 0.0), "west": (-1.0, 0.0), "south": (0.0, 1.0), "north": (0.0, -1.0)}
MIN_HINTS = 3
"""Geographic hints needed before a computed layout is turned to match them (fewer could mislead)."""


def compass_hints(names: dict[str, str]) -> list[tuple[str, str, tuple[float, float]]]:
    """Pairs ``(a, b, direction)`` meaning station ``b`` lies towards ``direction`` (x east, y south)
    of station ``a``, read from names that differ by a compass word: 北京南站 is south of 北京站,
    南京东路 east of 南京西路, "Park North" north of "Park".

    Example:
        >>> compass_hints({"a": "北京站", "b": "北京南站", "c": "Elm"})
        [('a', 'b', (0.0, 1.0))]
        >>> compass_hints({"w": "南京西路", "e": "南京东路"})
        [('w', 'e', (2.0, 0.0))]
    """
    groups: dict[str, list[tuple[str, tuple[float, float]]]] = {}
    for sid, name in names.items():
        n = name.strip()
        groups.setdefault(n, []).append((sid, (0.0, 0.0)))
        for i, ch in enumerate(n):
            if i > 0 and ch in _COMPASS_CHARS:  # a leading 北/南 is part of a name (北京, 南京)
                groups.setdefault(n[:i] + n[i + 1:], []).append((sid, _COMPASS_CHARS[ch]))
        words = n.split()
        for i, w in enumerate(words):
            if len(words) > 1 and w.lower() in _COMPASS_WORDS:
                groups.setdefault(" ".join(words[:i] + words[i + 1:]), []).append((sid, _COMPASS_WORDS[w.lower()]))
    out = []
    for members in groups.values():
        for (a, da), (b, db) in itertools.combinations(members, 2):
            if a != b and da != db:
                out.append((a, b, (db[0] - da[0], db[1] - da[1])))
    return out


def _align_to_geography(
    P: np.ndarray, graph: MetroGraph, members: list[str], coords: Mapping[str, tuple[float, float]]
) -> np.ndarray:
    """Turn (and if need be mirror) a computed layout to agree with what is known of the geography.

    Hints: stations with known positions (``coords``: a curation's ``geo_hints``, a native file's
    coordinates or a positions overlay may give some, not all) and compass
    words in names (:func:`compass_hints`). The best orthogonal map (rotation or reflection) is the
    orthogonal Procrustes solution; with fewer than :data:`MIN_HINTS` hints the layout is left alone.
    """
    pos = {s: i for i, s in enumerate(members)}
    A = np.zeros((2, 2))
    known = [(pos[s], coords[s]) for s in members if s in coords]
    pairs = [(pos[a], pos[b], d) for a, b, d in compass_hints({s: graph.stations[s].name for s in members})]
    if len(known) < MIN_HINTS and len(pairs) < MIN_HINTS:
        return P
    if len(known) >= MIN_HINTS:
        idx = np.array([i for i, _ in known])
        C = np.array([c for _, c in known], dtype=float)
        V, D = P[idx] - P[idx].mean(axis=0), C - C.mean(axis=0)
        A += V.T @ D / max(float(np.linalg.norm(V) * np.linalg.norm(D)), 1e-12)
    if len(pairs) >= MIN_HINTS:
        B = np.zeros((2, 2))
        for i, j, d in pairs:
            v = P[j] - P[i]
            nv, nd = float(np.linalg.norm(v)), math.hypot(*d)
            if nv > 1e-9:
                B += np.outer(v / nv, np.array(d) / nd)
        A += B / len(pairs)
    U, _, Vt = np.linalg.svd(A)
    R = U @ Vt  # maximises trace(R.T @ A): layout directions onto the hinted ones
    return P @ R


def _edge_index(g: nx.Graph, members: list[str]) -> np.ndarray:
    """The edges of ``g`` as sorted pairs of indices into ``members``."""
    pos = {s: i for i, s in enumerate(members)}
    return np.array(sorted((pos[u], pos[v]) for u, v in g.edges), dtype=int).reshape(-1, 2)


def _line_triples(graph: MetroGraph, pos: dict[str, int]) -> np.ndarray:
    """Consecutive station triples (u, v, w) along every service, within this component."""
    triples: set[tuple[int, int, int]] = set()
    for ln in graph.lines.values():
        for br in ln.branches:
            seq = list(br.stations)
            if br.loop and len(seq) > 2:
                seq = [seq[-1], *seq, seq[0]]
            for a, b, c in zip(seq, seq[1:], seq[2:]):
                if a in pos and b in pos and c in pos:
                    t = (pos[a], pos[b], pos[c])
                    triples.add(min(t, t[::-1]))
    return np.array(sorted(triples), dtype=int).reshape(-1, 3)


_DIRS = np.array([[math.cos(k * math.pi / 4), math.sin(k * math.pi / 4)] for k in range(8)])


def _assign_directions(P: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Octilinear direction index per edge; at most one edge per direction at each station."""
    d = P[edges[:, 1]] - P[edges[:, 0]]
    theta = np.arctan2(d[:, 1], d[:, 0])
    slot = theta / (math.pi / 4)
    nearest = np.round(slot).astype(int) % 8
    dev = np.abs(slot - np.round(slot))
    taken: dict[int, set[int]] = {}
    out = nearest.copy()
    # most confident edges first: an edge near 22.5° yields its port to a clear one
    for e in np.argsort(dev, kind="stable"):
        u, v = int(edges[e, 0]), int(edges[e, 1])
        s = float(slot[e])
        cands = sorted(range(8), key=lambda k: (_circ(k, s), k))[:3]
        for k in cands:
            if k not in taken.get(u, ()) and (k + 4) % 8 not in taken.get(v, ()):
                out[e] = k
                break
        taken.setdefault(u, set()).add(int(out[e]))
        taken.setdefault(v, set()).add(int(out[e] + 4) % 8)
    return out


def _circ(k: int, s: float) -> float:
    d = abs(k - s) % 8
    return min(d, 8 - d)


def _octilinearize(
    P: np.ndarray, edges: np.ndarray, lengths: np.ndarray, triples: np.ndarray, rounds: int = 14
) -> np.ndarray:
    n = len(P)
    anchor = P.copy()
    # fixed parts of the normal equations: edge Laplacian and collinearity along lines
    Lap = np.zeros((n, n))
    np.add.at(Lap, (edges[:, 0], edges[:, 0]), 1.0)
    np.add.at(Lap, (edges[:, 1], edges[:, 1]), 1.0)
    np.add.at(Lap, (edges[:, 0], edges[:, 1]), -1.0)
    np.add.at(Lap, (edges[:, 1], edges[:, 0]), -1.0)
    S = np.zeros((n, n))
    if len(triples):
        coef = np.array([1.0, -2.0, 1.0])
        for a in range(3):
            for b in range(3):
                np.add.at(S, (triples[:, a], triples[:, b]), coef[a] * coef[b])
    w_line = 0.15
    for r in range(rounds):
        # the octilinear pull grows and the anchor fades: first keep the shape, then snap
        w_oct = 1.0 + 0.6 * r
        w_anchor = 0.08 * (0.75**r)
        M = w_oct * Lap + w_line * S + w_anchor * np.eye(n)
        k = _assign_directions(P, edges)
        T = _DIRS[k] * lengths[:, None]
        rhs = w_anchor * anchor
        np.add.at(rhs, edges[:, 1], w_oct * T)
        np.add.at(rhs, edges[:, 0], -w_oct * T)
        P = np.linalg.solve(M, rhs)
    return P


# --- untangling --------------------------------------------------------------------------


def _turn(p: np.ndarray, q: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Twice the signed area of triangles p-q-r (points on the last axis; broadcasts)."""
    return (q[..., 0] - p[..., 0]) * (r[..., 1] - p[..., 1]) - (q[..., 1] - p[..., 1]) * (r[..., 0] - p[..., 0])


def _segments_cross(a: np.ndarray, b: np.ndarray, C: np.ndarray, D: np.ndarray) -> np.ndarray:
    """Whether segment a-b properly crosses each segment C[i]-D[i] (vectorised)."""
    d1 = _turn(C, D, a[None])
    d2 = _turn(C, D, b[None])
    d3 = _turn(a[None], b[None], C)
    d4 = _turn(a[None], b[None], D)
    return (d1 * d2 < 0) & (d3 * d4 < 0)


def _point_segment_distance(p: np.ndarray, A: np.ndarray, B: np.ndarray) -> np.ndarray:
    AB = B - A
    denom = np.maximum((AB**2).sum(axis=-1), 1e-12)
    t = np.clip(((p - A) * AB).sum(axis=-1) / denom, 0.0, 1.0)
    Q = A + t[..., None] * AB
    return np.sqrt(((p - Q) ** 2).sum(axis=-1))


class _Untangler:
    """Local moves that remove edge crossings, folded-back lines and near misses.

    Stress plus octilinear snapping leaves a few defects that a person notices at once: a
    short spur folded over a neighbouring line, or a line doubling back in a tight V with no
    room for a label. Each is local, so it is repaired by moving a few stations: single
    stations of degree one or two to octilinear spots around their neighbours, pendant
    paths (a spur out to a terminus) rotated about the station they hang from, and one end
    of each of two crossing edges exchanged (:meth:`swap_crossings`). A move is kept only
    when it lowers a cost that counts crossings, acute bends along a line, stations too close
    to each other or to an edge, and departures from the octilinear directions.
    """

    W_CROSS = 10.0
    W_ACUTE = 4.0
    W_NEAR = 6.0
    W_OCT = 0.3
    W_LEN = 0.5

    def __init__(self, P: np.ndarray, edges: np.ndarray, triples: np.ndarray, lengths: np.ndarray) -> None:
        self.P = P.copy()
        self.E = edges
        self.T = triples
        self.L = lengths
        n = len(P)
        self.adj: list[list[int]] = [[] for _ in range(n)]
        self.inc: list[list[int]] = [[] for _ in range(n)]
        for k, (u, v) in enumerate(edges.tolist()):
            self.adj[u].append(v)
            self.adj[v].append(u)
            self.inc[u].append(k)
            self.inc[v].append(k)
        self.tri_at: list[list[int]] = [[] for _ in range(n)]
        for k, t in enumerate(triples.tolist()):
            for x in t:
                self.tri_at[x].append(k)

    def cost(self, S: list[int]) -> float:
        """Cost of everything that touches the stations in ``S`` at their current positions."""
        P, E = self.P, self.E
        eks = sorted({k for v in S for k in self.inc[v]})
        total = 0.0
        A, B = P[E[:, 0]], P[E[:, 1]]
        moved = np.isin(E[:, 0], S) | np.isin(E[:, 1], S)
        idx = np.arange(len(E))
        for k in eks:
            u, v = E[k]
            crosses = _segments_cross(P[u], P[v], A, B)
            crosses &= (E[:, 0] != u) & (E[:, 1] != u) & (E[:, 0] != v) & (E[:, 1] != v)
            # a crossing between two moved edges is counted once
            total += self.W_CROSS * float((crosses & (~moved | (idx > k))).sum())
            d = P[v] - P[u]
            length = float(np.hypot(d[0], d[1]))
            ang = math.atan2(d[1], d[0]) / (math.pi / 4)
            total += self.W_OCT * abs(ang - round(ang)) * 4
            total += self.W_LEN * abs(length - float(self.L[k])) / max(float(self.L[k]), 1e-9)
            # other stations lying on this edge
            dist = _point_segment_distance(P, P[u][None], P[v][None])
            dist[[u, v]] = np.inf
            total += self.W_NEAR * float((dist < MIN_STATION_EDGE_DISTANCE).sum())
        tks = {k for v in S for k in self.tri_at[v]} | {k for v in S for w in self.adj[v] for k in self.tri_at[w]}
        if tks:
            T = self.T[sorted(tks)]
            x, y = P[T[:, 0]] - P[T[:, 1]], P[T[:, 2]] - P[T[:, 1]]
            # the line turns back by more than 90 degrees
            total += self.W_ACUTE * float(((x * y).sum(axis=1) > 1e-9).sum())
        for v in S:
            dist = np.sqrt(((P - P[v]) ** 2).sum(axis=1))
            dist[v] = np.inf
            total += self.W_NEAR * float((dist < MIN_STATION_DISTANCE).sum())
            # this station lying on other edges
            others = (E[:, 0] != v) & (E[:, 1] != v)
            de = _point_segment_distance(P[v][None], A[others], B[others])
            total += self.W_NEAR * float((de < MIN_STATION_EDGE_DISTANCE).sum())
        return total

    def try_positions(self, S: list[int], options: list[np.ndarray]) -> bool:
        """Move ``S`` to the cheapest of ``options`` (arrays of positions) if it beats staying."""
        before = self.cost(S)
        if before <= 0.5:
            return False
        keep = self.P[S].copy()
        best, best_cost = None, before - 1e-6
        for opt in options:
            self.P[S] = opt
            c = self.cost(S)
            if c < best_cost:
                best, best_cost = opt, c
        self.P[S] = keep if best is None else best
        return best is not None and best_cost < before - 0.5

    def pendant_paths(self) -> list[tuple[int, list[int]]]:
        """(anchor, [stations out to the terminus]) for every spur of degree-two stations."""
        out = []
        for leaf in range(len(self.P)):
            if len(self.adj[leaf]) != 1:
                continue
            path, prev, cur = [leaf], leaf, self.adj[leaf][0]
            while len(self.adj[cur]) == 2:
                path.append(cur)
                nxt = self.adj[cur][0] if self.adj[cur][0] != prev else self.adj[cur][1]
                prev, cur = cur, nxt
                if len(path) > 12:
                    break
            if len(self.adj[cur]) >= 3 and len(path) <= 12:
                out.append((cur, path[::-1]))
        return out

    def chains(self) -> list[tuple[int, list[int], int]]:
        """(a, [degree-two stations in order], b) for every path between two branching stations."""
        out, seen = [], set()
        for a in range(len(self.P)):
            if len(self.adj[a]) == 2:
                continue
            for first in self.adj[a]:
                if len(self.adj[first]) != 2 or first in seen:
                    continue
                path, prev, cur = [], a, first
                while len(self.adj[cur]) == 2 and len(path) <= 8:
                    path.append(cur)
                    nxt = self.adj[cur][0] if self.adj[cur][0] != prev else self.adj[cur][1]
                    prev, cur = cur, nxt
                if len(self.adj[cur]) != 2 and cur != a and len(path) <= 8:
                    seen.update(path)
                    out.append((a, path, cur))
        return out

    def chain_options(self, a: int, path: list[int], b: int) -> list[np.ndarray]:
        """The chain's stations spread evenly along the straight and octilinear-elbow routes a->b."""
        pa, pb = self.P[a], self.P[b]
        dx, dy = float(pb[0] - pa[0]), float(pb[1] - pa[1])
        sx, sy = math.copysign(1.0, dx), math.copysign(1.0, dy)
        ax, ay = abs(dx), abs(dy)
        elbows = [
            np.array([pb[0], pa[1]]), np.array([pa[0], pb[1]]),
            pa + (np.array([dx - sx * ay, 0.0]) if ax > ay else np.array([0.0, dy - sy * ax])),
            pa + (np.array([sx * ay, dy]) if ax > ay else np.array([dx, sy * ax])),
        ]
        routes = [[pa, pb]] + [[pa, c, pb] for c in elbows]
        out = []
        k = len(path)
        for route in routes:
            seg = [np.linalg.norm(q - p) for p, q in zip(route, route[1:])]
            total = sum(seg)
            if total < 1e-9:
                continue
            pts = []
            for i in range(1, k + 1):
                t = total * i / (k + 1)
                for (p, q), sl in zip(zip(route, route[1:]), seg):
                    if t <= sl or (p is route[-2]):
                        pts.append(p + (q - p) * (t / sl if sl > 0 else 0.0))
                        break
                    t -= sl
            out.append(np.array(pts))
        return out

    def problems(self) -> set[int]:
        """Stations touching a crossing, an acute bend or a near miss (vectorised screen)."""
        P, E = self.P, self.E
        A, B = P[E[:, 0]], P[E[:, 1]]
        a, b = A[:, None], B[:, None]
        c, d = A[None], B[None]
        cross = (_turn(c, d, a) * _turn(c, d, b) < 0) & (_turn(a, b, c) * _turn(a, b, d) < 0)
        i, j = np.nonzero(cross)
        bad = set(E[i].ravel().tolist()) | set(E[j].ravel().tolist())
        if len(self.T):
            x, y = P[self.T[:, 0]] - P[self.T[:, 1]], P[self.T[:, 2]] - P[self.T[:, 1]]
            acute = (x * y).sum(axis=1) > 1e-9
            bad |= set(self.T[acute].ravel().tolist())
        dist = np.sqrt(((P[:, None] - P[None]) ** 2).sum(axis=2))
        np.fill_diagonal(dist, np.inf)
        bad |= set(np.nonzero((dist < MIN_STATION_DISTANCE).any(axis=1))[0].tolist())
        return bad

    def run(self, rounds: int = 2) -> np.ndarray:
        for _ in range(rounds):
            bad = self.problems()
            if not bad:
                break
            changed = False
            for anchor, path in self.pendant_paths():
                if not bad.intersection(path):
                    continue
                rel = self.P[path] - self.P[anchor]
                options = []
                for k in range(1, 8):
                    a = k * math.pi / 4
                    R = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
                    options.append(self.P[anchor] + rel @ R.T)
                changed |= self.try_positions(path, options)
            for a, path, b in self.chains():
                if len(path) >= 2 and bad.intersection(path):
                    changed |= self.try_positions(path, self.chain_options(a, path, b))
            for v in sorted(bad):
                nb = self.adj[v]
                if not 1 <= len(nb) <= 2:
                    continue
                options = []
                for k in self.inc[v]:
                    w = int(self.E[k, 0] if self.E[k, 1] == v else self.E[k, 1])
                    for d in _DIRS:
                        options.append(self.P[w] + d * float(self.L[k]))
                if len(nb) == 2:
                    a, b = self.P[nb[0]], self.P[nb[1]]
                    mid = (a + b) / 2
                    options.append(2 * mid - self.P[v])  # mirror across the chord
                    options.append(mid)
                changed |= self.try_positions([v], [o[None] for o in options])
            changed |= self.swap_crossings()
            if not changed:
                break
        return self.P

    def crossing_pairs(self) -> list[tuple[int, int]]:
        """Index pairs of edges (no shared station) whose segments cross, in edge order."""
        P, E = self.P, self.E
        A, B = P[E[:, 0]], P[E[:, 1]]
        a, b = A[:, None], B[:, None]
        c, d = A[None], B[None]
        cross = (_turn(c, d, a) * _turn(c, d, b) < 0) & (_turn(a, b, c) * _turn(a, b, d) < 0)
        i, j = np.nonzero(np.triu(cross, 1))
        return [(int(x), int(y)) for x, y in zip(i, j)]

    def swap_crossings(self) -> bool:
        """For each crossing of two edges, try exchanging the positions of one end of each: two stations
        put on the wrong sides of each other by the stress layout swap back (kept only if cheaper)."""
        changed = False
        for k, m in self.crossing_pairs():
            (u1, v1), (u2, v2) = self.E[k].tolist(), self.E[m].tolist()
            if not _segments_cross(self.P[u1], self.P[v1], self.P[u2][None], self.P[v2][None])[0]:
                continue  # an earlier swap already undid it
            for a, b in ((u1, u2), (u1, v2), (v1, u2), (v1, v2)):
                if a == b:
                    continue
                S = [a, b]
                if self.try_positions(S, [self.P[[b, a]].copy()]):
                    changed = True
                    break
        return changed


def _untangle(P: np.ndarray, edges: np.ndarray, triples: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """See :class:`_Untangler`."""
    if len(edges) < 2:
        return P
    return _Untangler(P, edges, triples, lengths).run()


# --- shared ------------------------------------------------------------------------------


def _normalise(X: np.ndarray, edges: np.ndarray) -> np.ndarray:
    if len(edges):
        lengths = np.linalg.norm(X[edges[:, 1]] - X[edges[:, 0]], axis=1)
        lengths = lengths[lengths > 0]
        unit = float(np.median(lengths)) if len(lengths) else 1.0
    else:
        span = float(np.ptp(X, axis=0).max()) if len(X) > 1 else 1.0
        unit = span / max(1.0, math.sqrt(len(X))) or 1.0
    return (X - X.mean(axis=0)) / (unit or 1.0)


def _separate(P: np.ndarray, edges: np.ndarray, dmin: float, demin: float, iters: int = 30) -> np.ndarray:
    """Push apart stations closer than ``dmin`` and stations within ``demin`` of a foreign edge.

    A station wedged between two parallel edges cannot always be freed by local pushes; the
    iteration cap bounds the time spent on such cases (they end up near, not on, the edge).
    """
    n = len(P)
    if n < 2:
        return P
    P = P.copy()
    rng = np.random.default_rng(0)
    eye = np.eye(n, dtype=bool)
    # push a little past the threshold so that the loop ends instead of creeping up to it
    over = 1.15
    own = np.zeros((n, len(edges)), dtype=bool)
    if len(edges):
        own[edges[:, 0], np.arange(len(edges))] = True
        own[edges[:, 1], np.arange(len(edges))] = True
    for _ in range(iters):
        moved = False
        diff = P[:, None, :] - P[None, :, :]
        dist = np.sqrt((diff**2).sum(axis=2))
        close = (dist < dmin) & ~eye
        if close.any():
            moved = True
            # coincident stations get a deterministic nudge so they have a direction to move
            same = close & (dist < 1e-9)
            if same.any():
                P += rng.normal(0, 1e-3, P.shape) * same.any(axis=1, keepdims=True)
                continue
            push = np.where(close, (dmin * over - dist) / (2 * np.maximum(dist, 1e-9)), 0.0)
            P += (push[:, :, None] * diff).sum(axis=1)
        if len(edges):
            A, B = P[edges[:, 0]], P[edges[:, 1]]
            # cheap bounding-box filter first: only nearby (station, edge) pairs are measured
            lo = np.minimum(A, B) - demin
            hi = np.maximum(A, B) + demin
            near = ((P[:, None, 0] >= lo[None, :, 0]) & (P[:, None, 0] <= hi[None, :, 0])
                    & (P[:, None, 1] >= lo[None, :, 1]) & (P[:, None, 1] <= hi[None, :, 1]) & ~own)
            ii, ee = np.nonzero(near)
            if len(ii):
                a, ab = A[ee], B[ee] - A[ee]
                denom = np.maximum((ab**2).sum(axis=1), 1e-12)
                t = np.clip(((P[ii] - a) * ab).sum(axis=1) / denom, 0, 1)
                off = P[ii] - (a + t[:, None] * ab)
                d = np.sqrt((off**2).sum(axis=1))
                bad = (d < demin) & (t > 0.02) & (t < 0.98)
                if bad.any():
                    moved = True
                    ii, ee, t, off, d, ab, denom = ii[bad], ee[bad], t[bad], off[bad], d[bad], ab[bad], denom[bad]
                    normal = np.stack([-ab[:, 1], ab[:, 0]], axis=1) / np.sqrt(denom)[:, None]
                    dirs = np.where(d[:, None] > 1e-9, off / np.maximum(d, 1e-9)[:, None], normal)
                    gap = (demin * over - d)[:, None] * dirs
                    # the station takes two thirds of the move, the edge's ends the rest
                    delta = np.zeros_like(P)
                    np.add.at(delta, ii, gap * (2 / 3))
                    np.add.at(delta, edges[ee, 0], -gap * (1 / 3) * (1 - t)[:, None])
                    np.add.at(delta, edges[ee, 1], -gap * (1 / 3) * t[:, None])
                    P += delta
        if not moved:
            break
    return P
