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

from bisect import bisect_right
from collections.abc import Sequence
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
from mapkit.questions.services import ride, services

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


def _yes_pool(ctx: Scene) -> list[tuple[str, str]]:
    g = ctx.graph

    def build() -> list[tuple[str, str]]:
        # pairs in order of first sight, line by line; a pair with a station no other line serves is
        # seen on one line only, so only pairs of two interchanges need the check
        out: list[tuple[str, str]] = []
        seen: set[tuple[str, str]] = set()
        lines_at = g.lines_at
        for ln in g.lines.values():
            ids = [s for s in ln.station_ids if s in ctx.usable]
            alone = [len(lines_at(s)) == 1 for s in ids]
            for i, a in enumerate(ids):
                for j in range(i + 1, len(ids)):
                    b = ids[j]
                    key = (a, b) if a < b else (b, a)
                    if alone[i] or alone[j]:
                        out.append(key)
                    elif key not in seen:
                        seen.add(key)
                        out.append(key)
        return out

    return cached(ctx, (NAME, "yes"), build)


class _NoPairs(Sequence[tuple[str, str]]):
    """Every usable unordered pair sharing no line, in the order of the nested loop over
    ``stations`` (i < j), without building the pairs: stations with the same line set share the
    sorted list of stations they share nothing with, so station ``i``'s partners are that list's tail
    after ``i`` and pair ``k`` is found by bisection (a few ms for Beijing)."""

    def __init__(self, g: MetroGraph, stations: tuple[str, ...]) -> None:
        line_sets = [frozenset(g.lines_at(s)) for s in stations]
        apart: dict[frozenset[str], list[int]] = {}
        for ls in line_sets:
            if ls not in apart:
                apart[ls] = [j for j, other in enumerate(line_sets) if ls.isdisjoint(other)]
        self._stations = stations
        self._partners = [apart[ls] for ls in line_sets]
        self._start = [bisect_right(apart[ls], i) for i, ls in enumerate(line_sets)]
        self._offsets = [0]
        for partners, start in zip(self._partners, self._start):
            self._offsets.append(self._offsets[-1] + len(partners) - start)

    def __len__(self) -> int:
        return self._offsets[-1]

    def __getitem__(self, k: Any) -> Any:
        if not isinstance(k, int):
            return [self[x] for x in range(len(self))[k]]
        if k < 0:
            k += len(self)
        if not 0 <= k < len(self):
            raise IndexError(k)
        i = bisect_right(self._offsets, k) - 1
        a = self._stations[i]
        b = self._stations[self._partners[i][self._start[i] + k - self._offsets[i]]]
        return (a, b) if a < b else (b, a)


def _no_pool(ctx: Scene) -> Sequence[tuple[str, str]]:
    """Every usable unordered pair sharing no line (:class:`_NoPairs`)."""
    return cached(ctx, (NAME, "no"), lambda: _NoPairs(ctx.graph, ctx.usable_list))


def capacity(g: MetroGraph | Scene, config: TorF1Config) -> int:
    """Twice the smaller of the yes- and no-pair pools (yes and no alternate); 0 when no "no" can be asked."""
    ctx = context(g)
    return 2 * min(len(_yes_pool(ctx)), len(_no_pool(ctx)))


def _share(g: MetroGraph, a: str, b: str) -> list[str]:
    at_b = set(g.lines_at(b))
    return [lid for lid in g.lines_at(a) if lid in at_b]


def generate(g: MetroGraph | Scene, seed: int, index: int, config: TorF1Config) -> dict[str, Any] | None:
    """Even index: a yes-pair, odd index: a no-pair, each from its pool in a seeded order without repeats."""
    ctx = context(g)
    no_pool = _no_pool(ctx)
    if not no_pool:
        return None
    rng = item_rng(seed, NAME, index, city=ctx.city)
    yes = index % 2 == 0
    if yes:
        a, b = pick(ctx, _yes_pool(ctx), NAME, "yes", seed, index // 2)
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
        index = services(ctx.graph)
        rides = [r for r in (ride(index[lid], a, b) for lid in common) if r is not None]
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
