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

from dataclasses import dataclass
from typing import Any

from mapkit.answers.checks import check_yes_no
from mapkit.errors import ItemError
from mapkit.graph.model import MetroGraph
from mapkit.questions.base import (
    build_item,
    cached,
    check_templates,
    choose_template,
    context,
    item_rng,
    level_from_thresholds,
    pick,
)
from mapkit.questions.registry import Family, register


def ride_length(g: MetroGraph, line: str, a: str, b: str) -> int | None:
    """Fewest stops strictly between ``a`` and ``b`` on one service of ``line`` (``None``: no service has both).

    >>> from mapkit.graph import toy_city
    >>> ride_length(toy_city(), "blue", "f", "g"), ride_length(toy_city(), "green", "k", "l")
    (1, None)
    """
    best = None
    for br in g.lines[line].branches:
        seq = br.stations
        if a in seq and b in seq:
            d = abs(seq.index(a) - seq.index(b))
            if br.loop:
                d = min(d, len(seq) - d)
            best = d - 1 if best is None else min(best, d - 1)
    return best

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


@dataclass(frozen=True)
class TorF1Config:
    """``templates``: wordings drawn per item."""

    templates: tuple[str, ...] = ("reasonmap",)

    def __post_init__(self) -> None:
        check_templates(NAME, self.templates, tuple(TEMPLATES))


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


def capacity(g: MetroGraph, config: TorF1Config) -> int:
    """Twice the smaller of the yes- and no-pair pools (yes and no alternate); 0 when no "no" can be asked."""
    return 2 * min(len(_yes_pool(g)), len(_no_pool(g)))


def _share(g: MetroGraph, a: str, b: str) -> list[str]:
    at_b = set(g.lines_at(b))
    return [lid for lid in g.lines_at(a) if lid in at_b]


def generate(g: MetroGraph, seed: int, index: int, config: TorF1Config) -> dict[str, Any] | None:
    """Even index: a yes-pair, odd index: a no-pair, each from its pool in a seeded order without repeats."""
    ctx = context(g)
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
    return build_item(
        ctx, family=NAME, version=VERSION, template=template, seed=seed, index=index,
        question=TEMPLATES[template].format(stop1=ctx.names[a], stop2=ctx.names[b]),
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


def derive(item: dict[str, Any], g: MetroGraph) -> tuple[Any, str, dict[str, Any]]:
    """Recompute whether the two stations share a line."""
    a, b = item["mapkit"]["station_ids"]
    if a not in g.stations or b not in g.stations:
        raise ItemError(f"{item.get('id')}: station id(s) not in the graph.")
    return _truth(context(g), a, b)


FAMILY = register(
    Family(
        name=NAME, version=VERSION, config_cls=TorF1Config, generate=generate, derive=derive,
        check=check_yes_no, capacity=capacity, description="are two stations on a common line? (yes/no)",
    )
)
