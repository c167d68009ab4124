"""Counting1 (ReasonMap-Plus): how many stops lie strictly between two stations of one line? (4-option MC)

Candidates are unordered pairs of usable stations on a common *service* of a line whose span
(:func:`mapkit.graph.stops_between`) is unambiguous: pairs on different branches of a line, pairs
equally far apart both ways round a loop, pairs whose count depends on the direction of travel (a
one-way service) and pairs a train rides the long way while the drawn track offers a shorter one are
never asked (no list-order count is ever used). A pair served by several lines is kept only when every
common line gives the same stops. On a loop the count is the shorter way round: the ``plain`` wording
says so; the published ``reasonmap`` wording is kept verbatim. A pair only one direction of a one-way
service rides is asked in riding order.

Options: the count and three distinct distractors drawn from ``[0, len(line) - 2]`` (widened
upwards for very short lines), never another defensible count (the long way round a loop, the track
through a junction), the right one at a uniformly drawn position. ``answer`` is that
position (0-3), ``answer_text`` its letter.

Difficulty: span length 0-3 easy, 4-7 medium, 8+ hard; one level harder when a distractor is
within one of the count (a close call on the map).

Example:
    >>> from mapkit.graph import toy_city
    >>> item = generate(toy_city(), 0, 0, Counting1Config())
    >>> item["type"], item["answer_text"] in "ABCD", len(item["mapkit"]["options"])
    ('Counting1', True, 4)
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from mapkit.answers.checks import Correctness, Given, stops_detail
from mapkit.answers.extract import listed_stops
from mapkit.answers.normalize import parse_choice
from mapkit.graph.model import MetroGraph
from mapkit.questions.base import (
    LEVELS,
    Scene,
    cached,
    choose_template,
    context,
    level_from_thresholds,
    line_paths,
    rides_against_track,
    scene_and_graph,
)
from mapkit.questions.family import Asker, FamilyConfig, paired, row_ids
from mapkit.questions.registry import Family, register
from mapkit.questions.services import between, services, track, track_gap

NAME = "Counting1"
VERSION = 1
LETTERS = "ABCD"

TEMPLATES = {
    "reasonmap": (
        'Please solve the multiple choice problem and put your answer (one of ABCD) in one "\\boxed{{}}". '
        "According to the subway map, how many intermediate stops are there between {stop1} and {stop2} "
        "(except for this two stops)? \nA) {a} \nB) {b} \nC) {c} \nD) {d} \n"
    ),
    "plain": (
        "Look at the subway map. A train runs on one line from {stop1} to {stop2}{way}. How many stations does it "
        "pass in between, not counting {stop1} and {stop2}? Answer with one letter (A, B, C or D) in "
        '"\\boxed{{}}".\nA) {a}\nB) {b}\nC) {c}\nD) {d}\n'
    ),
}


_WAY = ", the shorter way round the loop"


def _avoid(ctx: Any, a: str, b: str, line_ids: tuple[str, ...], count: int) -> frozenset[int]:
    """Other defensible counts (the long way round a loop, the track across a junction) - only lines
    with a loop, several services or a one-way service have any."""
    g = ctx.graph
    if all(len(g.lines[lid].branches) == 1 and not g.lines[lid].loop and not g.lines[lid].oneway for lid in line_ids):
        return frozenset()
    return frozenset(defensible_counts(g, a, b, line_ids) - {count})


ASK = Asker(NAME, VERSION, TEMPLATES)


@dataclass(frozen=True)
class Counting1Config(FamilyConfig):
    """Which pairs to ask about and how to word them.

    ``min_stops``/``max_stops``: range of the right count (``None``: no upper bound);
    ``templates``: wordings drawn per item (``reasonmap`` is the published one).
    """

    ASKER = ASK
    BOUNDS = (("min_stops", "max_stops", 0),)
    min_stops: int = 0
    max_stops: int | None = None
    templates: tuple[str, ...] = ("reasonmap",)


def span_of(g: MetroGraph, a: str, b: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """``(stops, line_ids)`` for a countable pair, else ``None``.

    ``stops`` lie strictly between ``a`` and ``b`` in the order a -> b. Not countable: no common
    service, a tie both ways round a loop, common lines that disagree, a count that depends on the
    direction of travel (a one-way service rides a -> b and b -> a differently), or a ride longer
    than the line's drawn track offers (a reader of the map would count the shorter track).

    >>> from mapkit.graph import toy_city, oneway_city
    >>> span_of(toy_city(), "a", "d")
    (('b', 'c'), ('red',))
    >>> span_of(toy_city(), "f", "g") is None  # equally far both ways round the Blue loop
    True
    >>> span_of(oneway_city(), "abbey", "castle") is None  # one way round: 1 stop there, 3 back
    True
    """
    at_b = set(g.lines_at(b))
    common = [lid for lid in g.lines_at(a) if lid in at_b]
    if not common:
        return None
    found: tuple[str, ...] | None = None
    for lid in common:
        best: tuple[str, ...] | None = None
        for paths, back in ((line_paths(g, lid, a, b), False), (line_paths(g, lid, b, a), True)):
            # stops_between's paths in each direction, without its name resolution
            if not paths:
                continue
            if len(paths) > 1 and len(paths[0]) == len(paths[1]):
                return None  # a tie both ways round a loop
            p = paths[0][::-1] if back else paths[0]
            if best is not None and p != best:
                return None  # the count depends on the direction of travel
            best = p
        if best is None:
            return None  # no service runs between them (different branches)
        if rides_against_track(g, lid, a, b, len(best)):
            return None
        if found is not None and best != found:
            return None
        found = best
    assert found is not None
    return found, tuple(common)


def defensible_counts(g: MetroGraph, a: str, b: str, line_ids: tuple[str, ...] | list[str]) -> set[int]:
    """Every count a reader could defend for the pair: each way one train rides between them (both
    directions, the long way round a loop included) and each way along the lines' drawn track.
    Distractors avoid them all but the gold.

    >>> from mapkit.graph import toy_city
    >>> sorted(defensible_counts(toy_city(), "f", "h", ["blue"]))  # 0 stops one way, 2 the other
    [0, 2]
    """
    out: set[int] = set()
    for lid in line_ids:
        for x, y in ((a, b), (b, a)):
            out.update(len(p) for p in line_paths(g, lid, x, y))
        adj, shape = track(g, lid)
        if a not in adj or b not in adj:
            continue
        if shape == "other":
            out.update(_track_counts(adj, a, b, 16))
            continue
        # a forest has one path between two stations, a ring two: the track's distance gives them
        gap = track_gap(context(g), lid, a, b)
        if gap is not None:
            out.add(gap)
            if shape == "ring":
                out.add(len(adj) - gap - 2)
    return out


def _track_counts(adj: dict[str, dict[str, None]], a: str, b: str, limit: int) -> list[int]:
    """Stops strictly between ``a`` and ``b`` on each of the first ``limit`` simple paths of the track,
    in the order ``networkx.all_simple_paths`` gives them (depth first, neighbours in adjacency order),
    so the capped set is the one it gave - without its per-step generator overhead.

    >>> _track_counts({"a": {"b": None, "c": None}, "b": {"a": None, "c": None}, "c": {"b": None, "a": None}},
    ...               "a", "c", 16)
    [1, 0]
    """
    out: list[int] = []
    on_path = {a}

    def walk(u: str) -> bool:
        for v in adj[u]:
            if v in on_path:
                continue
            if v == b:
                out.append(len(on_path) - 1)
                if len(out) == limit:
                    return True
            else:
                on_path.add(v)
                if walk(v):
                    return True
                on_path.discard(v)
        return False

    walk(a)
    return out


def _pool(ctx: Scene, config: Counting1Config) -> list[tuple[str, str]]:
    g = ctx.graph

    def build() -> list[tuple[str, str]]:
        # pairs in order of first sight, line by line; a pair with a station no other line serves is
        # seen on one line only, and on a simple line it is countable as listed (its span is a slice)
        facts = services(g)
        lines_at = g.lines_at
        lo, hi = config.min_stops, config.max_stops
        out: list[tuple[str, str]] = []
        seen: set[tuple[str, str]] = set()
        for ln in g.lines.values():
            f = facts[ln.id]
            ids = [s for s in ln.station_ids if ctx.clean(s, (ln.id,))]
            alone = [len(lines_at(s)) == 1 for s in ids]
            pos = [f.pos.get(s, 0) for s in ids]
            for i, a in enumerate(ids):
                for j in range(i + 1, len(ids)):
                    b = ids[j]
                    key = (a, b) if a < b else (b, a)
                    if f.simple and (alone[i] or alone[j]):
                        n = pos[j] - pos[i] - 1
                        if n >= lo and (hi is None or n <= hi):
                            out.append(key)
                        continue
                    if key in seen:
                        continue
                    sp = _span_cached(ctx, key[0], key[1])
                    if sp is None or not all(ctx.clean(s, sp[1]) for s in key):
                        continue
                    n = len(sp[0])
                    if n < lo or (hi is not None and n > hi):
                        continue
                    seen.add(key)
                    out.append(key)
        return out

    return cached(ctx, (NAME, "pool", config.min_stops, config.max_stops), build)


def _span_cached(ctx: Any, a: str, b: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """:func:`span_of` with ``a`` and ``b`` in either order, computed once per unordered pair (a pair
    whose common lines are all simple is a slice of each, not cached)."""
    g = ctx.graph
    first, second = (a, b) if a < b else (b, a)
    at_second = g.lines_at(second)
    common = tuple([lid for lid in g.lines_at(first) if lid in at_second])
    facts = services(g)
    if len(common) == 1 and facts[common[0]].simple:
        return between(facts[common[0]], a, b), common
    if common and all([facts[lid].simple for lid in common]):
        found = None
        for lid in common:
            stops = between(facts[lid], a, b)
            if found is not None and stops != found:
                return None
            found = stops
        return found, common
    key = ("span", first, second)
    if key in ctx.caches:
        hit = ctx.caches[key]
    else:
        hit = ctx.caches[key] = span_of(g, first, second)
    if hit is None or a < b:
        return hit
    return hit[0][::-1], hit[1]


def distractors(rng: Any, count: int, line_length: int, avoid: set[int] | frozenset[int] = frozenset()) -> list[int]:
    """Three distinct wrong counts in ``[0, max(line_length - 2, 4)]`` (widened upwards when ``avoid``
    takes values), never the count nor another defensible count in ``avoid``, in random order.

    >>> import random
    >>> d = distractors(random.Random(0), 5, 12, avoid={7})
    >>> len(set(d)), 5 in d, 7 in d, all(0 <= x <= 10 for x in d)
    (3, False, False, True)
    """
    hi = max(line_length - 2, 4)  # a short line still needs three other values (count <= len - 2)
    values = _others(hi, count)
    drawn = rng.sample(values, 3)
    if not avoid or not avoid.intersection(drawn):
        return drawn  # the common case draws exactly as before other defensible counts were avoided
    values = [v for v in values if v not in avoid]
    while len(values) < 3:
        hi += 1
        if hi not in avoid and hi != count:
            values.append(hi)
    return rng.sample(values, 3)


@functools.cache
def _others(hi: int, count: int) -> tuple[int, ...]:
    """``0 .. hi`` without ``count`` (a handful of line lengths and counts per city: built once each)."""
    return tuple(v for v in range(hi + 1) if v != count)


def _ask(ctx: Scene, a: str, b: str, rng: Any, config: Counting1Config) -> tuple[str, dict, dict[str, Any]]:
    g = ctx.graph
    stops, line_ids = _span_cached(ctx, a, b)  # type: ignore[misc]
    lines = [services(g)[lid] for lid in line_ids]
    simple = all([ln.simple for ln in lines])  # no one-way ride, loop or junction to weigh
    if not simple and not all(line_paths(g, lid, a, b) for lid in line_ids):
        # a one-way service rides only b -> a: ask in riding order (the plain wording says "from ... to")
        a, b = b, a
        stops = stops[::-1]
    count = len(stops)
    pos = rng.randrange(4)
    avoid = frozenset() if simple else _avoid(ctx, a, b, line_ids, count)
    options = distractors(rng, count, max([ln.size for ln in lines]), avoid)
    options.insert(pos, count)
    template = choose_template(rng, config.templates)
    names = ctx.names
    # the published wording stays verbatim; the paraphrase names the rule on a loop
    way = _WAY if not simple and any(len(line_paths(g, lid, a, b)) > 1 for lid in line_ids) else ""
    fields = {"stop1": names[a], "stop2": names[b], "a": options[0], "b": options[1], "c": options[2],
              "d": options[3], "way": way}  # fmt: skip
    return template, fields, {
        "answer": pos, "answer_text": LETTERS[pos], "difficulty_question": difficulty(count, options),
        "station_ids": (a, b), "line_ids": line_ids, "options": options, "gold": _gold(ctx, stops, count),
    }  # fmt: skip


capacity, generate = paired(ASK, _pool, lambda c: f"pairs:{c.min_stops}:{c.max_stops}", _ask)
"""Capacity: the countable station pairs (each asked once per cycle); item ``index``: a pair drawn
without repeats from the seeded pool, options from the item's rng."""


def difficulty(count: int, options: list[int]) -> str:
    """Span level (0-3 / 4-7 / 8+), one level harder if a distractor is within one of the count.

    >>> difficulty(2, [2, 9, 3, 7]), difficulty(2, [2, 9, 5, 7]), difficulty(12, [0, 1, 12, 11])
    ('medium', 'easy', 'hard')
    """
    level = LEVELS.index(level_from_thresholds(count, 3, 7))
    if any([o != count and -1 <= o - count <= 1 for o in options]):
        level = min(level + 1, 2)
    return LEVELS[level]


def _gold(ctx: Any, stops: tuple[str, ...], count: int) -> dict[str, Any]:
    return {"count": count, "stops": list(stops), "stop_names": [ctx.names[s] for s in stops]}


def derive(item: dict[str, Any], g: MetroGraph | Scene) -> tuple[Any, str, dict[str, Any]]:
    """Recount the stops between the row's two stations on the curated graph."""
    ctx, g = scene_and_graph(g)
    m = item["mapkit"]
    a, b = row_ids(item, g, 2, None)
    sp = _span_cached(ctx, a, b)
    if sp is None:
        return None, "", {"error": "no unambiguous span between the two stations"}
    stops, _ = sp
    count = len(stops)
    options = m.get("options") or []
    pos = options.index(count) if count in options else None
    return pos, LETTERS[pos] if pos is not None else "", _gold(ctx, stops, count)


def check(item: dict[str, Any], extracted: str | None, given: Given | None = None) -> Correctness:
    """One option letter A-D, as the prompt demands (a hedge or a bare count is no answer).

    With the whole response (``given``), detail is the intermediate stops it lists (:func:`stops_detail`,
    RewardMap's Counting1 detail, from the row plus a graph the caller passed: the reward must not depend
    on whether a data directory happens to be reachable); from the extracted answer alone it falls off
    with the chosen count's distance.
    """
    verdict = _check_choice(item, extracted) if extracted is not None else Correctness(False, 0.0)
    gold = _gold_stops(item, given.graph) if given is not None else None
    if gold is None:
        return verdict
    detail, why = stops_detail(listed_stops(given.response), gold)
    notes = tuple(n for n in (verdict.notes, why) if n)
    return Correctness(verdict.correct, detail, notes, sub_scores=(("stops", detail),))


def _gold_stops(item: dict[str, Any], graph: MetroGraph | None) -> dict[str, list[str]] | None:
    """The intermediate stops as id -> names: ``gold.stops`` (ids) with ``gold.stop_names`` (the display
    name of each, same order), plus aliases from a graph the caller gave."""
    gold = (item.get("mapkit") or {}).get("gold") or {}
    stops = gold.get("stops")
    if stops is None:
        return None
    names = list(gold.get("stop_names") or ())
    out: dict[str, list[str]] = {}
    for i, s in enumerate(stops):
        sid = str(s)
        extra = [str(names[i])] if i < len(names) and names[i] else []
        if graph is not None and sid in graph.stations:
            st = graph.stations[sid]
            extra += [st.name, *st.aliases]
        out[sid] = [sid, *extra]
    return out


def _check_choice(item: dict[str, Any], extracted: str) -> Correctness:
    options = item["mapkit"]["options"]
    right = item["answer"]
    count = options[right]
    choice = parse_choice(extracted, options=options)
    if choice is None:
        return Correctness(False, 0.0, "no single option letter A-D found")
    value = options[choice]
    if value == count:
        return Correctness(True, 1.0)
    return Correctness(False, max(0.0, 1.0 - abs(value - count) / max(count, 1)), f"chose {value}, expected {count}")


FAMILY = register(
    Family(
        name=NAME, version=VERSION, config_cls=Counting1Config, generate=generate, derive=derive, check=check,
        capacity=capacity,
        checks_unanswered=True,
        description="stops strictly between two stations of one line; 4-option multiple choice",
    )
)
