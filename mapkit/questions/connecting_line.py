"""connecting_line: which line takes you from A to B without changing trains?

Candidates are unordered pairs of usable stations that share exactly one line and lie on one
service of it (a train runs between them; on a one-way service the pair is asked in the direction
its trains run), in cities with two or more lines; neither station's
name spells that line. ``answer_text`` is the line's name ("Line 2" = "2" when checking).

Difficulty: stops between them along the line 0-3 easy, 4-8 medium, 9+ hard.

Example:
    >>> from mapkit.graph import toy_city
    >>> item = generate(toy_city(), 0, 0, ConnectingLineConfig())
    >>> check(item, item["answer_text"]).correct, check(item, "Purple Line").correct
    (True, False)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mapkit.answers.checks import Correctness, Given
from mapkit.answers.normalize import match_name
from mapkit.graph.model import MetroGraph
from mapkit.questions.base import (
    Scene,
    cached,
    choose_template,
    level_from_thresholds,
    line_paths,
    scene_and_graph,
)
from mapkit.questions.family import Asker, FamilyConfig, paired, row_ids
from mapkit.questions.registry import Family, register
from mapkit.questions.services import ride, services

NAME = "connecting_line"
VERSION = 1

TEMPLATES = {
    "boxed": (
        'Please solve the problem and put your answer in one "\\boxed{{}}". According to the subway map, '
        "which line can you take from {stop1} to {stop2} without changing trains?"
    ),
    "plain": "Look at the subway map. Which single line connects {stop1} and {stop2}? Put its name in \"\\boxed{{}}\".",
}


ASK = Asker(NAME, VERSION, TEMPLATES)


@dataclass(frozen=True)
class ConnectingLineConfig(FamilyConfig):
    """``min_between``/``max_between``: stops between the pair along the line; ``templates``: wordings."""

    ASKER = ASK
    BOUNDS = (("min_between", "max_between", 0),)
    min_between: int = 0
    max_between: int | None = None
    templates: tuple[str, ...] = ("boxed",)


def _ride(g: MetroGraph, line: str, a: str, b: str) -> int | None:
    """Fewest stops between riding ``line`` from ``a`` to ``b`` (one-way services: their direction only)."""
    ln = services(g)[line]
    if not ln.oneway:
        return ride(ln, a, b)
    paths = line_paths(g, line, a, b)
    return len(paths[0]) if paths else None


def _line_ride(g: MetroGraph, a: str, b: str) -> tuple[str, int] | None:
    """``(line, stops between)`` of the one line joining ``a`` to ``b`` (riding a -> b), else ``None``."""
    at_b = g.lines_at(b)
    common = [lid for lid in g.lines_at(a) if lid in at_b]
    if len(common) != 1:
        return None
    n = _ride(g, common[0], a, b)
    return None if n is None else (common[0], n)


def _truth_line(g: MetroGraph, a: str, b: str) -> str | None:
    found = _line_ride(g, a, b)
    return None if found is None else found[0]


def _pool(ctx: Scene, config: ConnectingLineConfig) -> list[tuple[str, str]]:
    g = ctx.graph

    def build() -> list[tuple[str, str]]:
        if len(g.lines) < 2:
            return []
        # pairs in order of first sight, line by line; a pair with a station no other line serves is
        # seen on this line only, and on a two-way line its ride is the same both ways
        index = services(g)
        lines_at = g.lines_at
        lo, hi = config.min_between, config.max_between

        def fits(n: int | None) -> bool:
            return n is not None and n >= lo and (hi is None or n <= hi)

        out: list[tuple[str, str]] = []
        seen: set[tuple[str, str]] = set()
        for lid, ln in g.lines.items():
            ids = [s for s in ln.station_ids if ctx.clean(s, (lid,))]
            alone = [len(lines_at(s)) == 1 for s in ids]
            line = index[lid]
            two_way = not line.oneway
            at = [line.pos[s] for s in ids] if line.simple else None  # a simple line's ride: positions apart
            for i, a in enumerate(ids):
                for j in range(i + 1, len(ids)):
                    b = ids[j]
                    if two_way and (alone[i] or alone[j]):
                        if fits(at[j] - at[i] - 1 if at is not None else ride(line, a, b)):
                            out.append((a, b) if a < b else (b, a))
                        continue
                    if _truth_line(g, a, b) == lid:
                        n = _ride(g, lid, a, b)
                    elif _truth_line(g, b, a) == lid:  # a one-way service rides only b -> a
                        n = _ride(g, lid, b, a)
                    else:
                        continue
                    if not fits(n):
                        continue
                    key = (a, b) if a < b else (b, a)
                    if key not in seen:
                        seen.add(key)
                        out.append(key)
        return out

    return cached(ctx, (NAME, "pool", config.min_between, config.max_between), build)


def _ask(ctx: Scene, a: str, b: str, rng: Any, config: ConnectingLineConfig) -> tuple[str, dict, dict[str, Any]]:
    found = _line_ride(ctx.graph, a, b)
    if found is None:  # a one-way service: ask in the direction its trains run
        a, b = b, a
        found = _line_ride(ctx.graph, a, b)
    template = choose_template(rng, config.templates)
    _, text, gold = _answer(ctx, found)
    return template, {"stop1": ctx.names[a], "stop2": ctx.names[b]}, {
        "answer": None, "answer_text": text, "difficulty_question": level_from_thresholds(gold["between"], 3, 8),
        "station_ids": (a, b), "line_ids": (gold["line"],), "gold": gold,
    }  # fmt: skip


capacity, generate = paired(ASK, _pool, lambda c: f"pool:{c.min_between}:{c.max_between}", _ask)
"""Capacity: the pairs joined by exactly one line; item ``index``: a pair drawn without repeats, in a
drawn order."""


def _truth(ctx: Any, a: str, b: str) -> tuple[None, str, dict[str, Any]]:
    return _answer(ctx, _line_ride(ctx.graph, a, b))


def _answer(ctx: Any, found: tuple[str, int] | None) -> tuple[None, str, dict[str, Any]]:
    if found is None:
        return None, "", {"error": "the stations are not joined by exactly one line"}
    lid, n = found
    gold: dict[str, Any] = {"line": lid, "line_name": ctx.line_names[lid], "between": n}
    if ctx.graph.lines[lid].aliases:  # the legend's abbreviations (Singapore's NSL)
        gold["line_aliases"] = list(ctx.graph.lines[lid].aliases)
    return None, ctx.line_names[lid], gold


def derive(item: dict[str, Any], g: MetroGraph | Scene) -> tuple[Any, str, dict[str, Any]]:
    """Recompute the one line serving both stations."""
    ctx, g = scene_and_graph(g)
    a, b = row_ids(item, g, 2, None)
    return _truth(ctx, a, b)


def check(item: dict[str, Any], extracted: str | None, given: Given | None = None) -> Correctness:
    """The line's name (case, spacing and the word "Line" ignored)."""
    gold = item["mapkit"]["gold"]
    if match_name(extracted, [gold["line_name"], gold["line"], *gold.get("line_aliases", ())], kind="line"):
        return Correctness(True, 1.0)
    return Correctness(False, 0.0, f"expected {gold['line_name']}")


FAMILY = register(
    Family(
        name=NAME, version=VERSION, config_cls=ConnectingLineConfig, generate=generate, derive=derive,
        check=check, capacity=capacity, description="the one line joining two stations without a change",
    )
)
