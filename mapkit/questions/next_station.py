"""next_station: on line L, which station comes right after A when travelling towards B?

Candidates are ordered (line, A, B) triples on one service of L with at least one stop between them
and exactly one way to ride (on a loop: a strictly shorter way round, which the question asks for; on a
one-way service: the way its trains run, unless that is longer than the drawn track between A and B,
where a reader would expect another next stop).
A, B and the answer are usable stations whose names do not spell L. The answer is the first
intermediate stop of :func:`mapkit.graph.stops_between`.

Difficulty: stops between A and B 1-2 easy, 3-7 medium, 8+ hard (direction read over a longer stretch).

Example:
    >>> from mapkit.graph import toy_city
    >>> item = generate(toy_city(), 0, 0, NextStationConfig())
    >>> check(item, item["answer_text"]).correct
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mapkit.answers.checks import Correctness, Given
from mapkit.answers.normalize import match_name
from mapkit.graph.model import MetroGraph
from mapkit.questions.base import Scene, cached, context, level_from_thresholds, line_paths, scene_and_graph
from mapkit.questions.family import Asker, FamilyConfig, pooled, row_ids
from mapkit.questions.registry import Family, register
from mapkit.questions.services import between, services, track_gap

NAME = "next_station"
VERSION = 1

TEMPLATES = {
    "boxed": (
        'Please solve the problem and put your answer in one "\\boxed{{}}". According to the subway map, '
        "if you ride {line} from {stop1} towards {stop2}{way}, which station is the next stop after {stop1}?"
    ),
    "plain": (
        "Look at the subway map. You board {line} at {stop1}, travelling in the direction of {stop2}{way}. "
        'Name the very next station, inside "\\boxed{{}}".'
    ),
}
_WAY = " (the shorter way round the loop)"
ASK = Asker(NAME, VERSION, TEMPLATES)


@dataclass(frozen=True)
class NextStationConfig(FamilyConfig):
    """``min_between``/``max_between``: stops between A and B (at least 1: B next to A gives the answer
    away); ``templates``: wordings drawn per item."""

    ASKER = ASK
    BOUNDS = (("min_between", "max_between", 1),)
    min_between: int = 1
    max_between: int | None = None
    templates: tuple[str, ...] = ("boxed",)


def path_of(g: MetroGraph, line: str, a: str, b: str) -> tuple[tuple[str, ...], bool] | None:
    """``(stops between, is_loop_way)`` when one train of ``line`` rides a -> b one clear way, else ``None``.

    >>> from mapkit.graph import toy_city
    >>> path_of(toy_city(), "red", "a", "d")
    (('b', 'c'), False)
    >>> path_of(toy_city(), "blue", "f", "g") is None  # a tie round the loop
    True
    """
    if a == b:
        return None
    ln = services(g)[line]
    if ln.simple:  # one two-way open service: the slice between, one way, along the track
        return (between(ln, a, b), False) if a in ln.pos and b in ln.pos else None
    paths = line_paths(g, line, a, b)  # stops_between's paths (tests/questions check the equality)
    if not paths or (len(paths) > 1 and len(paths[0]) == len(paths[1])):
        return None
    loop = ln.loop
    if len(paths) > 1 and not loop:
        return None  # two services ride differently between the same stations
    if len(ln.branches) > 1 or ln.oneway:  # rides_against_track, on the prebuilt track
        gap = track_gap(context(g), line, a, b)
        if gap is not None and gap < len(paths[0]):
            return None  # a one-way service rides the long way: the map's track suggests another next stop
    return paths[0], loop and len(paths) > 1


def _pool(ctx: Scene, config: NextStationConfig) -> list[tuple[str, str, str]]:
    g = ctx.graph

    def build() -> list[tuple[str, str, str]]:
        out = []
        lo, hi = config.min_between, config.max_between
        index = services(g)
        for lid, ln in g.lines.items():
            ids = [s for s in ln.station_ids if ctx.clean(s, (lid,))]
            line = index[lid]
            if line.simple:
                # one two-way open service: the stops between are a slice, the next stop its first
                out.extend(_simple_triples(ctx, lid, line.seq, [line.pos[s] for s in ids], lo, hi))
                continue
            oneway = ln.oneway
            for i, a in enumerate(ids):
                for b in ids[i + 1 :]:
                    p = path_of(g, lid, a, b)
                    # one span serves both directions, unless a service runs one way only
                    q = path_of(g, lid, b, a) if oneway else (None if p is None else (p[0][::-1], p[1]))
                    for x, y, r in ((a, b, p), (b, a, q)):
                        if r is None or len(r[0]) < lo or (hi is not None and len(r[0]) > hi):
                            continue
                        if ctx.clean(r[0][0], (lid,)):
                            out.append((lid, x, y))
        return out

    return cached(ctx, (NAME, "pool", config.min_between, config.max_between), build)


def _simple_triples(
    ctx: Scene, lid: str, seq: tuple[str, ...], at: list[int], lo: int, hi: int | None
) -> list[tuple[str, str, str]]:
    """The pool's triples of a simple line, in the general loop's order: for the usable stations at
    positions ``at`` (ascending), each pair a -> b then b -> a whose stops between number ``lo`` to
    ``hi`` and whose next stop is clean (:func:`path_of` on such a line is the slice between)."""
    clean = [ctx.clean(s, (lid,)) for s in seq]
    out = []
    for x, i in enumerate(at):
        a = seq[i]
        for j in at[x + 1 :]:
            n = j - i - 1
            if n < lo or (hi is not None and n > hi):
                continue
            if clean[i + 1]:
                out.append((lid, a, seq[j]))
            if clean[j - 1]:
                out.append((lid, seq[j], a))
    return out


def _ask(ctx: Scene, triple: tuple[str, str, str], config: NextStationConfig) -> tuple[dict, dict[str, Any]]:
    lid, a, b = triple
    _, text, gold = _truth(ctx, lid, a, b)
    way = _WAY if gold["loop_way"] else ""
    fields = {"line": ctx.line_names[lid], "stop1": ctx.names[a], "stop2": ctx.names[b], "way": way}
    return fields, {
        "answer": None, "answer_text": text, "difficulty_question": level_from_thresholds(len(gold["path"]), 2, 7),
        "station_ids": (a, b), "line_ids": (lid,), "gold": gold,
    }  # fmt: skip


capacity, generate = pooled(ASK, _pool, _ask, tag=lambda c: f"pool:{c.min_between}:{c.max_between}")
"""Capacity: the (line, from, towards) triples; item ``index``: a triple drawn without repeats."""


def _truth(ctx: Any, lid: str, a: str, b: str) -> tuple[None, str, dict[str, Any]]:
    p = path_of(ctx.graph, lid, a, b)
    if p is None:
        return None, "", {"error": "no single way to ride between the stations"}
    path, loop_way = p
    nxt = path[0]
    st = ctx.graph.stations[nxt]
    return None, st.name, {
        "next": nxt, "next_name": st.name, "aliases": list(st.aliases), "path": list(path), "loop_way": loop_way,
    }


def derive(item: dict[str, Any], g: MetroGraph | Scene) -> tuple[Any, str, dict[str, Any]]:
    """Recompute the next stop on the row's line towards its second station."""
    ctx, g = scene_and_graph(g)
    a, b, lid = row_ids(item, g, 2, 1)
    return _truth(ctx, lid, a, b)


def check(item: dict[str, Any], extracted: str | None, given: Given | None = None) -> Correctness:
    """The station's name or one of its aliases (the shared name keys: case, spacing, "Station", markers)."""
    gold = item["mapkit"]["gold"]
    if match_name(extracted, [gold["next_name"], *gold.get("aliases", ())]):
        return Correctness(True, 1.0)
    return Correctness(False, 0.0, f"expected {gold['next_name']}")


FAMILY = register(
    Family(
        name=NAME, version=VERSION, config_cls=NextStationConfig, generate=generate, derive=derive, check=check,
        capacity=capacity, description="the next station after A on line L towards B",
    )
)
