"""TorF2 (ReasonMap-Plus): is a station on line x? (yes/no)

Yes (even index) and no (odd index) alternate. Both pools are every usable (station, line) pair -
served or not - whose station name does not spell the line's name (``Red Hill`` is not asked
about ``Red``); each is drawn without repeats. One-line cities cannot ask "no": capacity 0.

Difficulty: yes - the station is served by 1 line easy, 2 medium, 3+ hard; no - the station is
1 hop from the line hard, 2-3 medium, farther easy.

Example:
    >>> from mapkit.graph import toy_city
    >>> item = generate(toy_city(), 0, 1, TorF2Config())
    >>> item["answer"], item["mapkit"]["gold"]["on_line"]
    (0, False)
"""

from __future__ import annotations

from typing import Any

from mapkit.answers.checks import check_yes_no
from mapkit.graph.model import MetroGraph
from mapkit.questions.base import (
    Scene,
    cached,
    level_from_thresholds,
    scene_and_graph,
)
from mapkit.questions.family import Asker, pooled_strata, row_ids, templates_config
from mapkit.questions.registry import Family, register

NAME = "TorF2"
VERSION = 1

TEMPLATES = {
    "reasonmap": (
        'Please solve the problem and put your answer (only answer yes or no) in one "\\boxed{{}}". '
        "According to the subway map, is it true that {stop1} is on the line {x}?"
    ),
    "plain": "Look at the subway map. Does {x} stop at {stop1}? Answer only yes or no, in \"\\boxed{{}}\".",
}


ASK = Asker(NAME, VERSION, TEMPLATES)


TorF2Config = templates_config("TorF2Config", ASK, "reasonmap")


def _strata(ctx: Scene, config: Any = None) -> dict[str, list[tuple[str, str]]]:
    g = ctx.graph

    def build() -> dict[str, list[tuple[str, str]]]:
        yes, no = [], []
        for sid in ctx.usable_list:
            at = set(g.lines_at(sid))
            for lid in g.lines:
                if ctx.mentions(sid, lid):
                    continue
                (yes if lid in at else no).append((sid, lid))
        return {"yes": yes, "no": no} if no else {"yes": [], "no": []}

    return cached(ctx, (NAME, "strata"), build)


def _ask(ctx: Scene, pair: tuple[str, str], config: Any) -> tuple[dict, dict[str, Any]]:
    sid, lid = pair
    answer, text, gold = _truth(ctx, sid, lid)
    if answer:
        level = level_from_thresholds(len(ctx.lines_at(sid)), 1, 2)
    else:
        near = ctx.hops_to_line(lid, sid)
        level = "hard" if near <= 1 else ("medium" if near <= 3 else "easy")
    return {"stop1": ctx.names[sid], "x": ctx.line_names[lid]}, {
        "answer": answer, "answer_text": text, "difficulty_question": level,
        "station_ids": (sid,), "line_ids": (lid,), "gold": gold,
    }  # fmt: skip


capacity, generate = pooled_strata(ASK, _strata, _ask, strict=True)
"""Capacity: twice the smaller of the yes and no pools (0 for a one-line city); even index: a served
(station, line) pair, odd: an unserved one."""


def _truth(ctx: Any, sid: str, lid: str) -> tuple[int, str, dict[str, Any]]:
    on = lid in ctx.lines_at(sid)
    return (1, "yes", {"on_line": True}) if on else (0, "no", {"on_line": False})


def derive(item: dict[str, Any], g: MetroGraph | Scene) -> tuple[Any, str, dict[str, Any]]:
    """Recompute whether the line serves the station."""
    ctx, g = scene_and_graph(g)
    sid, lid = row_ids(item, g, 1, 1)
    return _truth(ctx, sid, lid)


FAMILY = register(
    Family(
        name=NAME, version=VERSION, config_cls=TorF2Config, generate=generate, derive=derive,
        check=check_yes_no, capacity=capacity, description="is a station on a given line? (yes/no)",
    )
)
