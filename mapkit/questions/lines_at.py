"""lines_at (open-ended twin of Counting2/TorF2): which lines pass through a station?

``answer`` is null; ``answer_text`` lists the line names in the city's line order, comma-separated;
any order is accepted. Stations are drawn like Counting2 (strata 1 / 2 / 3+ lines in turn); a line
name holding a list separator ("Red & Blue Line") is read as one item of the answer.

Difficulty: 1 line easy, 2 medium, 3+ hard. A wrong list earns its F1 with the right one as detail.

Example:
    >>> from mapkit.graph import toy_city
    >>> item = generate(toy_city(), 0, 1, LinesAtConfig())
    >>> item["station_1"], item["answer_text"]
    ('C Station', 'Red Line, Blue Line')
    >>> check(item, "blue line and red").correct, check(item, "Red Line").detail
    (True, 0.6667)
"""

from __future__ import annotations

from typing import Any

from mapkit.answers.checks import Correctness, Given, check_list
from mapkit.graph.model import MetroGraph
from mapkit.questions.base import Scene, level_from_thresholds, name_list, scene_and_graph
from mapkit.questions.family import Asker, pooled_strata, row_ids, templates_config
from mapkit.questions.registry import Family, register
from mapkit.questions.strata import LinesRangeConfig, lines_range_strata

NAME = "lines_at"
VERSION = 1

TEMPLATES = {
    "boxed": (
        'Please solve the problem and put your answer in one "\\boxed{{}}". According to the subway map, '
        "which lines pass through {stop1}? List every line name, separated by commas."
    ),
    "plain": (
        "Look at the subway map. Name all the lines that stop at {stop1}, separated by commas, "
        'inside "\\boxed{{}}".'
    ),
}


ASK = Asker(NAME, VERSION, TEMPLATES)


LinesAtConfig = templates_config("LinesAtConfig", ASK, "boxed", base=LinesRangeConfig)


_strata = lines_range_strata(NAME)


def _ask(ctx: Scene, sid: str, config: Any) -> tuple[dict, dict[str, Any]]:
    _, text, gold = _truth(ctx, sid)
    return {"stop1": ctx.names[sid]}, {
        "answer": None, "answer_text": text, "difficulty_question": level_from_thresholds(len(gold["lines"]), 1, 2),
        "station_ids": (sid,), "line_ids": gold["lines"], "gold": gold,
    }  # fmt: skip


capacity, generate = pooled_strata(ASK, _strata, _ask)
"""Capacity: the askable stations; item ``index``: a station from the stratum (1, 2, 3+ lines) ``index``
falls in, drawn without repeats."""


def _truth(ctx: Any, sid: str) -> tuple[None, str, dict[str, Any]]:
    lines = list(ctx.lines_at(sid))
    names = [ctx.line_names[lid] for lid in lines]
    gold: dict[str, Any] = {"lines": lines, "line_names": names}
    aliases = {lid: list(ctx.graph.lines[lid].aliases) for lid in lines if ctx.graph.lines[lid].aliases}
    if aliases:  # the legend's abbreviations (Singapore's NSL); absent where no line has any
        gold["line_aliases"] = aliases
    return None, name_list(names), gold


def derive(item: dict[str, Any], g: MetroGraph | Scene) -> tuple[Any, str, dict[str, Any]]:
    """Recompute the lines serving the row's station."""
    ctx, g = scene_and_graph(g)
    (sid,) = row_ids(item, g, 1, None)
    return _truth(ctx, sid)


def check(item: dict[str, Any], extracted: str | None, given: Given | None = None) -> Correctness:
    """The set of lines (any order, "Line 2" = "2"); an unrecognised or repeated item costs; detail = F1."""
    gold = item["mapkit"]["gold"]
    aliases = gold.get("line_aliases") or {}
    cands = {lid: [n, *aliases.get(lid, ())] for lid, n in zip(gold["lines"], gold["line_names"])}
    return check_list(item, extracted, gold["lines"], cands)


FAMILY = register(
    Family(
        name=NAME, version=VERSION, config_cls=LinesAtConfig, generate=generate, derive=derive, check=check,
        capacity=capacity, description="which lines pass through a station (open-ended list)",
    )
)
