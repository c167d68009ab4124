"""Shared pieces of every question family: seeding, the per-city context, the canonical item row.

* :func:`item_rng` - the ``random.Random`` of item ``index`` of ``family`` under ``seed``; seeded
  from a blake2b digest (stable across processes and Python versions, unlike ``hash()``).
* :class:`Scene` - what a family draws on: the graph, the rendered map (or ``None``), and the per-city
  facts every item repeats (city, paths, difficulty, weight, usable stations), computed once per graph.
  Families take a ``Scene`` (a bare :class:`MetroGraph` is its scene without a render).
* :func:`build_item` - the row in the contract's fixed key order (docs/design.md).

Example:
    >>> from mapkit.graph import toy_city
    >>> ctx = context(toy_city())
    >>> (ctx.city, ctx.figure, ctx.difficulty_city, ctx.split)
    ('toyville', './maps/nowhere/toyville.png', 'easy', 'train')
    >>> item_rng(7, "Counting1", 3).random() == item_rng(7, "Counting1", 3).random()
    True
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import random
import re
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from mapkit.difficulty import CITY_LEVELS, MAP_WEIGHT, city_difficulty, city_line_count, city_transfer_count
from mapkit.errors import ConfigError
from mapkit.graph.model import MetroGraph
from mapkit.graph.oracle import ORACLE_KEY
from mapkit.names import name_key

__all__ = [
    "CITY_LEVELS",
    "ITEM_KEYS",
    "LEVELS",
    "TEST_CITIES",
    "CityContext",
    "Scene",
    "StrataTurn",
    "build_item",
    "context",
    "item_rng",
    "level_from_thresholds",
    "scene_and_graph",
    "split_of",
    "stable_seed",
]

LEVELS = ("easy", "medium", "hard")
"""Question difficulty levels (``difficulty_question``)."""
"""City difficulty levels (``difficulty_city``), spelled as ReasonMap-Plus spells them."""

TEST_CITIES = frozenset(
    {
        "auckland", "los_angeles", "miami", "lisboa", "geneva", "beijing",
        "hangzhou", "budapest", "singapore", "rome", "toronto",
    }
)
"""The 11 ReasonMap-Plus test cities; every other city's items are ``train`` (``mapkit.split``)."""

ITEM_KEYS = (
    "id", "country", "city", "station_1", "station_2", "figure", "json", "question", "answer",
    "answer_text", "type", "difficulty_city", "city_line_count", "city_transfer_count",
    "question_transfer_count", "difficulty_question", "weight", "mapkit",
)
"""Top-level keys of an item, in the fixed order of the contract."""

QUESTION_WEIGHT_TRANSFER = 0.5
"""RewardMap's W_question: +0.5 for a planning item whose reference route has a transfer."""


def split_of(city: str) -> str:
    """``test`` for the 11 ReasonMap-Plus test cities, ``train`` for every other city.

    >>> split_of("beijing"), split_of("shanghai"), split_of("synthetic-7")
    ('test', 'train', 'train')
    """
    return "test" if city in TEST_CITIES else "train"


def stable_seed(seed: int, family: str, index: int, sub: int = 0, *, city: str = "") -> int:
    """A 64-bit integer from (seed, city, family, index, sub) via blake2b: same in every process.

    The city is part of the key so that item ``i`` of two cities does not share its draws (the
    right option's position, yes/no orientation ...).

    >>> stable_seed(1, "TorF1", 2) == stable_seed(1, "TorF1", 2) != stable_seed(1, "TorF1", 3)
    True
    >>> stable_seed(1, "TorF1", 2, city="rome") != stable_seed(1, "TorF1", 2, city="oslo")
    True
    """
    key = f"{seed}\x1f{city}\x1f{family}\x1f{index}\x1f{sub}".encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "little")


def item_rng(seed: int, family: str, index: int, sub: int = 0, *, city: str = "") -> random.Random:
    """The random stream of item ``index`` of ``family`` in ``city`` (``sub`` > 0: deterministic retries).

    >>> item_rng(0, "x", 0, city="c").randrange(10**9) == item_rng(0, "x", 0, city="c").randrange(10**9)
    True
    """
    return random.Random(stable_seed(seed, family, index, sub, city=city))


def level_from_thresholds(value: int, easy_max: int, medium_max: int) -> str:
    """``easy`` when ``value <= easy_max``, ``medium`` when ``<= medium_max``, else ``hard``.

    >>> [level_from_thresholds(v, 3, 7) for v in (0, 4, 8)]
    ['easy', 'medium', 'hard']
    """
    if value <= easy_max:
        return "easy"
    return "medium" if value <= medium_max else "hard"


def _mentions(station_name: str, line_name: str) -> bool:
    """True when the station's name spells the line's name (a question that gives itself away).

    ASCII names must match as whole words (line ``A`` is not in ``Alameda``); other scripts
    have no word breaks, so a plain substring counts.
    """
    s, ln = name_key(station_name), name_key(line_name)
    if not ln:
        return False
    if ln.isascii():
        return re.search(rf"(?<!\w){re.escape(ln)}(?!\w)", s) is not None
    return ln in s


@dataclass
class Scene:
    """What a question family draws on: ``graph``, the ``render`` new items are asked about (``None``: no
    rendered map, the published ``./maps/<country>/<city>.png`` figure), the ``renders`` of existing items
    by manifest reference (validation), and facts about the city that every item repeats.

    :func:`context` gives a graph's scene without a render (computed once per graph); a caller that drew
    the map passes ``context(g).with_render(r)`` - a copy sharing the facts and caches. Nothing is set on
    the graph and nothing needs undoing.

    >>> from mapkit.graph import toy_city
    >>> g = toy_city()
    >>> s = context(g)
    >>> context(s) is s, s.render is None, s.with_render(None).caches is s.caches
    (True, True, True)
    """

    graph: MetroGraph
    city_ref: str
    city: str
    country: str
    figure: str
    json: str
    difficulty_city: str
    line_count: int
    transfer_count: int
    w_map: float
    graph_hash: str
    split: str
    names: dict[str, str]
    line_names: dict[str, str]
    usable: frozenset[str]
    usable_list: tuple[str, ...]
    caches: dict[Any, Any] = field(default_factory=dict)
    render: Any = None
    """The :class:`~mapkit.questions.maps.MapRender` new items point their ``figure`` at (``None``: the
    published ``./maps/<country>/<city>.png``); the visual families ask about its pixels."""
    renders: Mapping[str, Any] = field(default_factory=dict)
    """Renders by manifest reference (``./maps/...json``), for the visual families' ``derive``."""

    def with_render(self, render: Any, *, city_ref: str | None = None) -> Scene:
        """This scene asking about ``render`` (``None``: no map); ``city_ref``: how rows reload the city."""
        renders = {render.manifest_ref: render} if render is not None else {}
        return replace(self, render=render, renders=renders, city_ref=city_ref or self.city_ref)

    def with_renders(self, renders: Mapping[str, Any]) -> Scene:
        """This scene re-deriving items asked about ``renders`` (manifest reference -> render)."""
        return replace(self, renders=dict(renders))

    def mentions(self, station_id: str, line_id: str) -> bool:
        """True when ``station_id``'s name contains ``line_id``'s name (degenerate pair)."""
        key = ("mentions", station_id, line_id)
        hit = self.caches.get(key)
        if hit is None:
            hit = self.caches[key] = _mentions(self.names[station_id], self.line_names[line_id])
        return hit

    def clean(self, station_id: str, lines: Sequence[str] = ()) -> bool:
        """A station usable in a question that also names (or asks about) ``lines``."""
        return station_id in self.usable and not any(self.mentions(station_id, lid) for lid in lines)

    def lines_at(self, station_id: str) -> tuple[str, ...]:
        """Line ids serving the station (membership, line order)."""
        return self.graph.lines_at(station_id)

    def hops(self, a: str, b: str) -> int:
        """Edges on the shortest station-graph path from ``a`` to ``b`` (a large number if none)."""
        dist = self.caches.get(("hops", a))
        if dist is None:
            dist = self.caches[("hops", a)] = _bfs(self.graph, [a])
        return dist.get(b, 10**6)

    def hops_to_line(self, line_id: str, station_id: str) -> int:
        """Edges from ``station_id`` to the nearest station of ``line_id`` (0 when on it)."""
        dist = self.caches.get(("to-line", line_id))
        if dist is None:
            dist = self.caches[("to-line", line_id)] = _bfs(self.graph, self.graph.lines[line_id].station_ids)
        return dist.get(station_id, 10**6)


def _bfs(g: MetroGraph, sources: Sequence[str]) -> dict[str, int]:
    adj = g.graph.adj
    dist = dict.fromkeys(sources, 0)
    queue = deque(sources)
    while queue:
        u = queue.popleft()
        du = dist[u] + 1
        for v in adj[u]:
            if v not in dist:
                dist[v] = du
                queue.append(v)
    return dist


SCENE_KEY = "questions.scene"
"""The :meth:`MetroGraph.derived` entry holding a graph's scene without a render."""

CityContext = Scene
"""The former name of :class:`Scene`."""


def city_ref_of(g: MetroGraph) -> str:
    """The reference that reloads ``g`` with :func:`mapkit.sources.load_city`, as well as known.

    >>> from mapkit.graph import toy_city
    >>> city_ref_of(toy_city())
    'toyville'
    """
    if isinstance(g.meta.get("ref"), str):
        return g.meta["ref"]
    if g.source.startswith("synthetic:"):
        return g.source
    return g.city


def context(g: MetroGraph | Scene) -> Scene:
    """The :class:`Scene` of ``g`` without a render (computed once per graph); a scene is returned as is.

    A station is *usable* in questions unless its display name also names another station
    (``graph.station_ids_named(name)`` has several ids): a reader could not tell which is meant.
    """
    if isinstance(g, Scene):
        return g
    return g.derived(SCENE_KEY, lambda: _scene(g))


def scene_and_graph(g: MetroGraph | Scene) -> tuple[Scene, MetroGraph]:
    """``(scene, graph)`` of what a family was given (a graph is its scene without a render).

    >>> from mapkit.graph import toy_city
    >>> g = toy_city()
    >>> scene_and_graph(g) == (context(g), g)
    True
    """
    scene = context(g)
    return scene, scene.graph


def _scene(g: MetroGraph) -> Scene:
    names = {sid: st.name for sid, st in g.stations.items()}
    usable = tuple(sid for sid in names if len(g.ids_named_like(sid)) == 1)
    level = city_difficulty(g)
    return Scene(
        graph=g,
        city_ref=city_ref_of(g),
        city=g.city,
        country=g.country,
        figure=f"./maps/{g.country}/{g.city}.png",
        json=f"./stations/{g.country}/{g.city}.json",
        difficulty_city=level,
        line_count=city_line_count(g),
        transfer_count=city_transfer_count(g),
        w_map=MAP_WEIGHT[level],
        graph_hash=g.content_hash,
        split=split_of(g.city),
        names=names,
        line_names={lid: ln.name for lid, ln in g.lines.items()},
        usable=frozenset(usable),
        usable_list=usable,
    )


def cached(ctx: CityContext, key: Any, build: Any) -> Any:
    """``ctx.caches[key]``, computed by ``build()`` on first use (per-city pools and spans)."""
    hit = ctx.caches.get(key)
    if hit is None:
        hit = ctx.caches[key] = build()
    return hit


def build_item(
    ctx: CityContext,
    *,
    family: str,
    version: int,
    template: str,
    seed: int,
    index: int,
    question: str,
    answer: int | None,
    answer_text: str,
    difficulty_question: str,
    station_ids: Sequence[str] = (),
    line_ids: Sequence[str] = (),
    options: list[int] | None = None,
    gold: dict[str, Any] | None = None,
    question_transfer_count: int = 0,
    question_weight: float = 0.0,
) -> dict[str, Any]:
    """One canonical item row, keys in the contract's order (docs/design.md).

    ``station_1``/``station_2`` are the display names of the first two ``station_ids``;
    ``weight`` = W_map (city level) + ``question_weight``.

    >>> from mapkit.graph import toy_city
    >>> row = build_item(context(toy_city()), family="demo", version=1, template="t", seed=0,
    ...                  index=5, question="?", answer=1, answer_text="yes",
    ...                  difficulty_question="easy", station_ids=["a"])
    >>> tuple(row) == ITEM_KEYS, row["id"], row["station_1"], row["weight"]
    (True, 'toyville:demo:0:5', 'A Station', 1.0)
    """
    names = ctx.names
    return {
        "id": f"{ctx.city}:{family}:{seed}:{index}",
        "country": ctx.country,
        "city": ctx.city,
        "station_1": names[station_ids[0]] if len(station_ids) > 0 else "",
        "station_2": names[station_ids[1]] if len(station_ids) > 1 else "",
        "figure": ctx.figure if ctx.render is None else ctx.render.figure,
        "json": ctx.json,
        "question": question,
        "answer": answer,
        "answer_text": answer_text,
        "type": family,
        "difficulty_city": ctx.difficulty_city,
        "city_line_count": ctx.line_count,
        "city_transfer_count": ctx.transfer_count,
        "question_transfer_count": question_transfer_count,
        "difficulty_question": difficulty_question,
        "weight": round(ctx.w_map + question_weight, 4),
        "mapkit": {
            "family": family,
            "family_version": version,
            "template": template,
            "seed": seed,
            "index": index,
            "graph_hash": ctx.graph_hash,
            "city_ref": ctx.city_ref,
            "split": ctx.split,
            "station_ids": list(station_ids),
            "line_ids": list(line_ids),
            "options": options,
            "gold": gold if gold is not None else {},
        },
    }


# --- pools: item i -> a candidate, without repeats until the pool is used up ------------------


def pick(ctx: CityContext, pool: Sequence[Any], family: str, tag: str, seed: int, j: int) -> Any:
    """Element ``j`` of a seeded permutation of ``pool`` (cycle ``j // len(pool)`` reshuffles).

    Item ``i`` of a family draws ``pick(..., i)``: the first ``len(pool)`` items never repeat a
    candidate, and the result depends only on (seed, family, tag, j) - generation stays stateless.
    ``tag`` names the pool within the family (one pool per tag and config).

    >>> from mapkit.graph import toy_city
    >>> ctx = context(toy_city())
    >>> sorted(pick(ctx, "abc", "demo", "letters", 0, j) for j in range(3))
    ['a', 'b', 'c']
    """
    n = len(pool)
    cycle, k = divmod(j, n)
    key = ("perm", family, tag, seed, cycle, n)
    perm = ctx.caches.get(key)
    if perm is None:
        perm = list(range(n))
        random.Random(stable_seed(seed, family, -1 - cycle, hash_tag(tag), city=ctx.city)).shuffle(perm)
        ctx.caches[key] = perm
    return pool[perm[k]]


def hash_tag(tag: str) -> int:
    """A small stable integer for a string tag (part of a seed)."""
    return int.from_bytes(hashlib.blake2b(tag.encode(), digest_size=4).digest(), "little")


def name_list(names: Sequence[str]) -> str:
    """Names joined as a model should list them: ``"Line 1, Line 2"``."""
    return ", ".join(names)


def choose_template(rng: random.Random, templates: Sequence[str]) -> str:
    """One of the configured wordings (no draw when there is only one, so streams stay aligned)."""
    return templates[0] if len(templates) == 1 else templates[rng.randrange(len(templates))]


def template_for(templates: Sequence[str], seed: int, family: str, index: int, city: str) -> str:
    """The wording of an item that draws nothing else (no rng is built for a single template)."""
    if len(templates) == 1:
        return templates[0]
    return choose_template(item_rng(seed, family, index, city=city), templates)


def check_templates(family: str, templates: Sequence[str], known: Sequence[str]) -> None:
    """Raise :class:`~mapkit.errors.ConfigError` unless ``templates`` is a non-empty subset of ``known``."""
    bad = [t for t in templates if t not in known]
    if not templates or bad:
        raise ConfigError(
            f"{family}: unknown template(s) {bad or '(none given)'}; choose from {', '.join(known)}."
        )


def stratified(
    ctx: CityContext,
    strata: dict[Any, Sequence[Any]],
    family: str,
    seed: int,
    index: int,
    *,
    strict: bool = False,
) -> tuple[Any, Any]:
    """``(stratum key, candidate)`` for item ``index``: strata in turn, candidates without repeats.

    Items ``0, 1, 2 ...`` visit the non-empty strata round-robin (so answers such as yes/no or a
    count spread evenly by construction) and draw within a stratum by :func:`pick`. A stratum whose
    candidates are used up drops out of the turn, so the first ``sum(len(s) for s in strata)`` items
    are all distinct; later items repeat that order with each stratum reshuffled. ``strict=True``
    keeps the strict alternation instead (yes/no families, whose capacity is ``len(keys) * min``).

    >>> from mapkit.graph import toy_city
    >>> ctx = context(toy_city())
    >>> [stratified(ctx, {1: "abcd", 2: "x"}, "demo", 0, i)[0] for i in range(6)]
    [1, 2, 1, 1, 1, 1]
    >>> sorted(stratified(ctx, {1: "abcd", 2: "x"}, "demo", 0, i)[1] for i in range(5))
    ['a', 'b', 'c', 'd', 'x']
    """
    drawn = StrataTurn(strata, strict).draw(ctx, family, seed, index, any_empty_ok=True)
    if drawn is None:
        raise IndexError("stratified: every stratum is empty")
    return drawn


class StrataTurn:
    """The turn :func:`stratified` gives strata ``groups``, worked out once: the non-empty keys, their
    sizes and pool tags, and (round-robin) the order in which items visit them.

    ``draw(ctx, family, seed, index)`` is ``stratified(ctx, groups, family, seed, index, strict=...)``, or
    ``None`` when the strata cannot be asked (all empty; with ``strict``, any empty). A turn belongs to
    one scene (the order is the scene's, as :func:`stratified` caches it).

    >>> from mapkit.graph import toy_city
    >>> ctx = context(toy_city())
    >>> turn = StrataTurn({1: "abcd", 2: "x"})
    >>> [turn.draw(ctx, "demo", 0, i) for i in range(3)] == [stratified(ctx, {1: "abcd", 2: "x"}, "demo", 0, i)
    ...                                                     for i in range(3)]
    True
    >>> StrataTurn({"yes": "ab", "no": ""}, strict=True).draw(ctx, "demo", 0, 0) is None
    True
    """

    __slots__ = ("askable", "groups", "keys", "order", "pools", "sizes", "strict", "tags")

    def __init__(self, groups: Mapping[Any, Sequence[Any]], strict: bool = False) -> None:
        self.groups = groups = dict(groups)
        self.strict = strict
        self.keys = keys = [k for k, v in groups.items() if v]
        self.pools = [groups[k] for k in keys]
        self.tags = [f"stratum:{k}" for k in keys]
        self.sizes = tuple(len(p) for p in self.pools)
        self.askable = all(groups.values()) if strict else bool(keys)
        self.order: list[tuple[int, int]] | None = None

    def _order(self, ctx: Any) -> list[tuple[int, int]]:
        okey = ("strata-order", tuple(self.keys), self.sizes)
        order = ctx.caches.get(okey)
        if order is None:
            order = []
            used = [0] * len(self.sizes)
            total = sum(self.sizes)
            while len(order) < total:
                for i, n in enumerate(self.sizes):
                    if used[i] < n:
                        order.append((i, used[i]))
                        used[i] += 1
            ctx.caches[okey] = order
        return order

    def draw(
        self, ctx: Any, family: str, seed: int, index: int, *, any_empty_ok: bool = False
    ) -> tuple[Any, Any] | None:
        """``(stratum key, candidate)`` of item ``index`` (``None``: the strata cannot be asked)."""
        if not self.keys or not (self.askable or any_empty_ok):
            return None
        if self.strict:
            nk = len(self.keys)
            i = index % nk
            return self.keys[i], pick(ctx, self.pools[i], family, self.tags[i], seed, index // nk)
        order = self.order
        if order is None:
            order = self.order = self._order(ctx)
        cycle, r = divmod(index, len(order))
        i, j = order[r]
        return self.keys[i], pick(ctx, self.pools[i], family, self.tags[i], seed, j + cycle * self.sizes[i])


def release(g: MetroGraph | Scene) -> None:
    """Drop every per-city cache (pools, spans, route trees) once a city's items are done.

    >>> from mapkit.graph import toy_city
    >>> g = toy_city(); _ = context(g).hops("a", "b"); release(g); context(g).caches
    {}
    """
    scene = context(g)
    scene.caches.clear()
    scene.graph.forget(ORACLE_KEY)



@contextlib.contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector for a bulk loop (items are acyclic: refcounting frees them).

    Generating or validating a million rows allocates tens of millions of small containers; the
    collector's generation-0 passes over them cost 10-15 % of the run and find nothing.

    >>> with no_gc():
    ...     gc.isenabled()
    False
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def track_gap(g: MetroGraph, line: str, a: str, b: str) -> int | None:
    """Fewest stops strictly between ``a`` and ``b`` along ``line``'s drawn track (any service, either
    direction), as a reader of the map would count; ``None`` when the track does not join them.

    Only lines with several services or a one-way service can ride longer than this (a plain or
    loop service is its own track); :func:`rides_against_track` compares the two.

    >>> from mapkit.graph import toy_city
    >>> track_gap(toy_city(), "green", "k", "l")
    1
    """
    ctx = context(g)
    key = ("track-dist", line, a)
    dist = ctx.caches.get(key)
    if dist is None:
        adj: dict[str, set[str]] = {}
        for br in g.lines[line].branches:
            for u, v in br.edges():
                adj.setdefault(u, set()).add(v)
                adj.setdefault(v, set()).add(u)
        dist = {a: 0}
        queue = deque([a])
        while queue:
            u = queue.popleft()
            for v in adj.get(u, ()):
                if v not in dist:
                    dist[v] = dist[u] + 1
                    queue.append(v)
        ctx.caches[key] = dist
    d = dist.get(b)
    return None if d is None else max(d - 1, 0)


def rides_against_track(g: MetroGraph, line: str, a: str, b: str, ride: int) -> bool:
    """True when a ride of ``ride`` stops from ``a`` to ``b`` on ``line`` is longer than the way the
    drawn track offers (a one-way service, or services that do not ride every stretch of the track):
    a reader counting on the map would answer differently, so the pair is not asked.

    >>> from mapkit.graph.examples import oneway_city
    >>> g = oneway_city()
    >>> rides_against_track(g, "ring", "castle", "abbey", 3)  # one way round: Dock, Elm, Forge
    True
    """
    ln = g.lines[line]
    if len(ln.branches) == 1 and not ln.oneway:
        return False
    gap = track_gap(g, line, a, b)
    return gap is not None and gap < ride


def line_paths(g: MetroGraph, line: str, a: str, b: str) -> tuple[tuple[str, ...], ...]:
    """Every distinct way one train of ``line`` rides from ``a`` to ``b`` (stops strictly between),
    shortest first, in the running direction only on a one-way service; ``()`` when no service has
    both - the ``paths`` of :func:`mapkit.graph.stops_between`.

    The same rule as ``stops_between`` on station ids, with each service's positions indexed once per
    city: counting and next-station pools ask it for every pair of every line.

    >>> from mapkit.graph import toy_city
    >>> g = toy_city()
    >>> line_paths(g, "blue", "f", "g"), line_paths(g, "green", "k", "l")
    ((('c',), ('h',)), ())
    """
    ctx = context(g)
    index = ctx.caches.get(("positions", line))
    if index is None:
        index = ctx.caches[("positions", line)] = [
            ({s: i for i, s in enumerate(br.stations)}, br.stations, br.loop, br.oneway)
            for br in g.lines[line].branches
        ]
    found: dict[tuple[str, ...], None] = {}
    for pos, seq, loop, oneway in index:
        i, j = pos.get(a), pos.get(b)
        if i is None or j is None:
            continue
        # the listed order runs forward; a one-way service never runs backward
        if i < j:
            found.setdefault(seq[i + 1 : j], None)
            if loop and not oneway:
                found.setdefault((seq[j + 1 :] + seq[:i])[::-1], None)
        else:
            if not oneway:
                found.setdefault(seq[j + 1 : i][::-1], None)
            if loop:
                found.setdefault(seq[i + 1 :] + seq[:j], None)
    if len(found) < 2:
        return tuple(found)
    return tuple(sorted(found, key=len))
