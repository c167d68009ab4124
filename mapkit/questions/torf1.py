"""TorF1 (ReasonMap-Plus): are two stations on the same line? (yes/no)

``yes`` and ``no`` alternate with the item index (even: yes, odd: no), so any run of items is
balanced by construction. Yes-pairs are drawn without repeats from every usable pair that shares a
line, no-pairs likewise from every usable pair that shares none (capacity: twice the smaller pool). A
city with a single line cannot ask a "no" and is skipped (capacity 0) rather than emit only "yes".

Difficulty: yes - 0-2 stops between them on their common line easy, 3-7 medium, 8+ hard; no - one
station is 1 hop from a line of the other: hard, 2-3 hops: medium, farther: easy (near misses are harder).

Example:
    >>> from mapkit.graph import toy_city
    >>> [generate(toy_city(), 0, i, TorF1Config())["answer_text"] for i in range(4)]
    ['yes', 'no', 'yes', 'no']
"""

from __future__ import annotations

from typing import Any

from mapkit.answers.checks import check_yes_no
from mapkit.graph.model import MetroGraph
from mapkit.questions.base import (
    Scene,
    cached,
    choose_template,
    context,
    item_rng,
    level_from_thresholds,
    pick,
    scene_and_graph,
)
from mapkit.questions.family import Asker, row_ids, templates_config
from mapkit.questions.registry import Family, register
from mapkit.questions.strata import ride_length

NAME = "TorF1"
VERSION = 1

TEMPLATES = {
    "reasonmap": (
        'Please solve the problem and put your answer (only answer yes or no) in one "\\boxed{{}}". '
        "According to the subway map, is it true that {stop1} is the same line as {stop2}?"
    ),
    "plain": (
        "Look at the subway map. Is there a line that serves both {stop1} and {stop2}? "
        'Answer only yes or no, in "\\boxed{{}}".'
    ),
}


ASK = Asker(NAME, VERSION, TEMPLATES)


TorF1Config = templates_config("TorF1Config", ASK, "reasonmap")


def _yes_pool(g: MetroGraph) -> list[tuple[str, str]]:
    ctx = context(g)

    def build() -> list[tuple[str, str]]:
        seen: dict[tuple[str, str], None] = {}
        for ln in g.lines.values():
            ids = [s for s in ln.station_ids if s in ctx.usable]
            for i, a in enumerate(ids):
                for b in ids[i + 1 :]:
                    seen.setdefault((a, b) if a < b else (b, a), None)
        return list(seen)

    return cached(ctx, (NAME, "yes"), build)


def _no_pool(g: MetroGraph) -> list[tuple[str, str]]:
    """Every usable unordered pair sharing no line (stations grouped by line set: a few ms for Beijing)."""
    ctx = context(g)

    def build() -> list[tuple[str, str]]:
        sets = {s: frozenset(g.lines_at(s)) for s in ctx.usable_list}
        stations = ctx.usable_list
        out = []
        for i, a in enumerate(stations):
            la = sets[a]
            for b in stations[i + 1 :]:
                if la.isdisjoint(sets[b]):
                    out.append((a, b) if a < b else (b, a))
        return out

    return cached(ctx, (NAME, "no"), build)


def capacity(g: MetroGraph | Scene, config: TorF1Config) -> int:
    """Twice the smaller of the yes- and no-pair pools (yes and no alternate); 0 when no "no" can be asked."""
    ctx, g = scene_and_graph(g)
    return 2 * min(len(_yes_pool(g)), len(_no_pool(g)))


def _share(g: MetroGraph, a: str, b: str) -> list[str]:
    at_b = set(g.lines_at(b))
    return [lid for lid in g.lines_at(a) if lid in at_b]


def generate(g: MetroGraph | Scene, seed: int, index: int, config: TorF1Config) -> dict[str, Any] | None:
    """Even index: a yes-pair, odd index: a no-pair, each from its pool in a seeded order without repeats."""
    ctx, g = scene_and_graph(g)
    no_pool = _no_pool(g)
    if not no_pool:
        return None
    rng = item_rng(seed, NAME, index, city=ctx.city)
    yes = index % 2 == 0
    if yes:
        a, b = pick(ctx, _yes_pool(g), NAME, "yes", seed, index // 2)
    else:
        a, b = pick(ctx, no_pool, NAME, "no", seed, index // 2)
    if rng.random() < 0.5:
        a, b = b, a
    template = choose_template(rng, config.templates)
    answer, text, gold = _truth(ctx, a, b)
    return ASK.item(
        ctx, template, seed, index, dict(stop1=ctx.names[a], stop2=ctx.names[b]),
        answer=answer, answer_text=text, difficulty_question=difficulty(ctx, a, b, gold["lines"]),
        station_ids=(a, b), gold=gold,
    )


def difficulty(ctx: Any, a: str, b: str, common: list[str]) -> str:
    """Yes: stops between them on a common service 0-2 / 3-7 / 8+ (hops on the map when they are on
    different branches); no: nearest line of one station 1 / 2-3 / 4+ hops from the other."""
    if common:
        rides = [r for r in (ride_length(ctx.graph, lid, a, b) for lid in common) if r is not None]
        between = min(rides) if rides else ctx.hops(a, b) - 1
        return level_from_thresholds(between, 2, 7)
    near = min(
        min(ctx.hops_to_line(lid, b) for lid in ctx.lines_at(a)),
        min(ctx.hops_to_line(lid, a) for lid in ctx.lines_at(b)),
    )
    return "hard" if near <= 1 else ("medium" if near <= 3 else "easy")


def _truth(ctx: Any, a: str, b: str) -> tuple[int, str, dict[str, Any]]:
    common = _share(ctx.graph, a, b)
    return (1, "yes", {"same_line": True, "lines": common}) if common else (0, "no", {"same_line": False, "lines": []})


def derive(item: dict[str, Any], g: MetroGraph | Scene) -> tuple[Any, str, dict[str, Any]]:
    """Recompute whether the two stations share a line."""
    ctx, g = scene_and_graph(g)
    a, b = row_ids(item, g, 2, None)
    return _truth(ctx, a, b)


FAMILY = register(
    Family(
        name=NAME, version=VERSION, config_cls=TorF1Config, generate=generate, derive=derive,
        check=check_yes_no, capacity=capacity, description="are two stations on a common line? (yes/no)",
    )
)
