"""Counting2 (ReasonMap-Plus): how many lines pass through a station?

The count is graph membership (``graph.lines_at``), never the raw file's transfer markers.
Candidates are usable stations whose name does not spell one of their lines. Answers spread by
construction: items visit the strata "1 line", "2 lines", "3 or more lines" in turn (a used-up
stratum drops out, so the first ``capacity`` items never repeat a station).

Difficulty: 1 line easy, 2 medium, 3+ hard (more colours to tell apart at one dot).

Example:
    >>> from mapkit.graph import toy_city
    >>> [generate(toy_city(), 0, i, Counting2Config())["answer"] for i in range(4)]
    [1, 2, 1, 2]
"""

from __future__ import annotations

from typing import Any

from mapkit.answers.checks import check_count
from mapkit.graph.model import MetroGraph
from mapkit.questions.base import Scene, level_from_thresholds, scene_and_graph
from mapkit.questions.family import Asker, pooled_strata, row_ids, templates_config
from mapkit.questions.registry import Family, register
from mapkit.questions.strata import LinesRangeConfig, lines_range_strata

NAME = "Counting2"
VERSION = 1

TEMPLATES = {
    "reasonmap": (
        'Please solve the problem and put your answer in one "\\boxed{{}}". '
        "According to the subway map, how many lines pass through {stop1}?"
    ),
    "plain": (
        "Look at the subway map. How many different lines serve {stop1}? "
        'Put the number in "\\boxed{{}}".'
    ),
}


ASK = Asker(NAME, VERSION, TEMPLATES)


Counting2Config = templates_config("Counting2Config", ASK, "reasonmap", base=LinesRangeConfig)


_strata = lines_range_strata(NAME)


def _ask(ctx: Scene, sid: str, config: Any) -> tuple[dict, dict[str, Any]]:
    lines = ctx.graph.lines_at(sid)
    n = len(lines)
    return {"stop1": ctx.names[sid]}, {
        "answer": n, "answer_text": str(n), "difficulty_question": level_from_thresholds(n, 1, 2),
        "station_ids": (sid,), "line_ids": (), "gold": _gold(ctx, lines),
    }  # fmt: skip


capacity, generate = pooled_strata(ASK, _strata, _ask)
"""Capacity: the askable stations; item ``index``: a station from the stratum (1, 2, 3+ lines) ``index``
falls in, drawn without repeats."""


def _gold(ctx: Any, lines: tuple[str, ...]) -> dict[str, Any]:
    return {"count": len(lines), "lines": list(lines), "line_names": [ctx.line_names[lid] for lid in lines]}


def derive(item: dict[str, Any], g: MetroGraph | Scene) -> tuple[Any, str, dict[str, Any]]:
    """Recount the lines serving the row's station."""
    ctx, g = scene_and_graph(g)
    (sid,) = row_ids(item, g, 1, None)
    lines = g.lines_at(sid)
    return len(lines), str(len(lines)), _gold(ctx, lines)


FAMILY = register(
    Family(
        name=NAME, version=VERSION, config_cls=Counting2Config, generate=generate, derive=derive,
        check=check_count, capacity=capacity, description="number of lines through a station",
    )
)
