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
from mapkit.questions.strata import ride_length

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
    if not g.lines[line].oneway:
        return ride_length(g, line, a, b)
    paths = line_paths(g, line, a, b)
    return len(paths[0]) if paths else None


def _truth_line(g: MetroGraph, a: str, b: str) -> str | None:
    at_b = set(g.lines_at(b))
    common = [lid for lid in g.lines_at(a) if lid in at_b]
    if len(common) != 1 or _ride(g, common[0], a, b) is None:
        return None
    return common[0]


def _pool(ctx: Scene, config: ConnectingLineConfig) -> list[tuple[str, str]]:
    g = ctx.graph

    def build() -> list[tuple[str, str]]:
        if len(g.lines) < 2:
            return []
        seen: dict[tuple[str, str], None] = {}
        for lid, ln in g.lines.items():
            ids = [s for s in ln.station_ids if ctx.clean(s, (lid,))]
            for i, a in enumerate(ids):
                for b in ids[i + 1 :]:
                    if _truth_line(g, a, b) == lid:
                        n = _ride(g, lid, a, b)
                    elif _truth_line(g, b, a) == lid:  # a one-way service rides only b -> a
                        n = _ride(g, lid, b, a)
                    else:
                        continue
                    too_long = config.max_between is not None and n is not None and n > config.max_between
                    if n is None or n < config.min_between or too_long:
                        continue
                    seen.setdefault((a, b) if a < b else (b, a), None)
        return list(seen)

    return cached(ctx, (NAME, "pool", config.min_between, config.max_between), build)


def _ask(ctx: Scene, a: str, b: str, rng: Any, config: ConnectingLineConfig) -> tuple[str, dict, dict[str, Any]]:
    if _truth_line(ctx.graph, a, b) is None:  # a one-way service: ask in the direction its trains run
        a, b = b, a
    template = choose_template(rng, config.templates)
    _, text, gold = _truth(ctx, a, b)
    return template, {"stop1": ctx.names[a], "stop2": ctx.names[b]}, {
        "answer": None, "answer_text": text, "difficulty_question": level_from_thresholds(gold["between"], 3, 8),
        "station_ids": (a, b), "line_ids": (gold["line"],), "gold": gold,
    }  # fmt: skip


capacity, generate = paired(ASK, _pool, lambda c: f"pool:{c.min_between}:{c.max_between}", _ask)
"""Capacity: the pairs joined by exactly one line; item ``index``: a pair drawn without repeats, in a
drawn order."""


def _truth(ctx: Any, a: str, b: str) -> tuple[None, str, dict[str, Any]]:
    lid = _truth_line(ctx.graph, a, b)
    if lid is None:
        return None, "", {"error": "the stations are not joined by exactly one line"}
    n = _ride(ctx.graph, lid, a, b)
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
