"""line_stations_count: how many stations does line L have?

Every station of the line once (a branched line's shared trunk is not counted twice; a loop's
first station once). ``answer`` is the count (an integer, as in the Counting types).

Difficulty: up to 10 stations easy, 11-25 medium, 26+ hard.

Example:
    >>> from mapkit.graph import toy_city
    >>> item = generate(toy_city(), 0, 0, LineStationsCountConfig())
    >>> item["answer"] == len(toy_city().line(item["mapkit"]["line_ids"][0]).station_ids)
    True
"""

from __future__ import annotations

from typing import Any

from mapkit.answers.checks import check_count
from mapkit.graph.model import MetroGraph
from mapkit.questions.base import Scene, level_from_thresholds, scene_and_graph
from mapkit.questions.family import Asker, pooled, row_ids, templates_config
from mapkit.questions.registry import Family, register

NAME = "line_stations_count"
VERSION = 1

TEMPLATES = {
    "boxed": (
        'Please solve the problem and put your answer in one "\\boxed{{}}". According to the subway map, '
        "how many stations does {line} have? Count every station of the line once, terminals included."
    ),
    "plain": (
        'Look at the subway map. Count the stations of {line}, both ends included. Put the number in "\\boxed{{}}".'
    ),
}


ASK = Asker(NAME, VERSION, TEMPLATES)


LineStationsCountConfig = templates_config("LineStationsCountConfig", ASK, "boxed")


def _ask(ctx: Scene, lid: str, config: LineStationsCountConfig) -> tuple[dict, dict[str, Any]]:
    n, text, gold = _truth(ctx, lid)
    fields = {"line": ctx.line_names[lid]}
    return fields, {
        "answer": n, "answer_text": text, "difficulty_question": level_from_thresholds(n, 10, 25),
        "line_ids": (lid,), "gold": gold,
    }  # fmt: skip


capacity, generate = pooled(ASK, lambda ctx, config: list(ctx.graph.lines), _ask, tag=lambda config: "lines")
"""Capacity: one question per line; item ``index``: a line drawn without repeats."""


def _truth(ctx: Any, lid: str) -> tuple[int, str, dict[str, Any]]:
    ids = ctx.graph.lines[lid].station_ids
    return len(ids), str(len(ids)), {"count": len(ids), "stations": list(ids)}


def derive(item: dict[str, Any], g: MetroGraph | Scene) -> tuple[Any, str, dict[str, Any]]:
    """Recount the line's stations."""
    ctx, g = scene_and_graph(g)
    (lid,) = row_ids(item, g, 0, 1)
    return _truth(ctx, lid)


FAMILY = register(
    Family(
        name=NAME, version=VERSION, config_cls=LineStationsCountConfig, generate=generate, derive=derive,
        check=check_count, capacity=capacity, description="number of stations of a line",
    )
)
