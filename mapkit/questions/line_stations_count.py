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

from dataclasses import dataclass
from typing import Any

from mapkit.answers.checks import check_count
from mapkit.errors import ItemError
from mapkit.graph.model import MetroGraph
from mapkit.questions.base import (
    build_item,
    check_templates,
    context,
    level_from_thresholds,
    pick,
    template_for,
)
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


@dataclass(frozen=True)
class LineStationsCountConfig:
    """``templates``: wordings drawn per item."""

    templates: tuple[str, ...] = ("boxed",)

    def __post_init__(self) -> None:
        check_templates(NAME, self.templates, tuple(TEMPLATES))


def capacity(g: MetroGraph, config: LineStationsCountConfig) -> int:
    """One question per line."""
    return len(g.lines)


def generate(g: MetroGraph, seed: int, index: int, config: LineStationsCountConfig) -> dict[str, Any] | None:
    """Item ``index``: a line drawn without repeats."""
    ctx = context(g)
    lid = pick(ctx, list(g.lines), NAME, "lines", seed, index)
    template = template_for(config.templates, seed, NAME, index, ctx.city)
    n, text, gold = _truth(ctx, lid)
    return build_item(
        ctx, family=NAME, version=VERSION, template=template, seed=seed, index=index,
        question=TEMPLATES[template].format(line=ctx.line_names[lid]), answer=n, answer_text=text,
        difficulty_question=level_from_thresholds(n, 10, 25), line_ids=(lid,), gold=gold,
    )


def _truth(ctx: Any, lid: str) -> tuple[int, str, dict[str, Any]]:
    ids = ctx.graph.lines[lid].station_ids
    return len(ids), str(len(ids)), {"count": len(ids), "stations": list(ids)}


def derive(item: dict[str, Any], g: MetroGraph) -> tuple[Any, str, dict[str, Any]]:
    """Recount the line's stations."""
    (lid,) = item["mapkit"]["line_ids"]
    if lid not in g.lines:
        raise ItemError(f"{item.get('id')}: line {lid!r} is not in the graph.")
    return _truth(context(g), lid)


FAMILY = register(
    Family(
        name=NAME, version=VERSION, config_cls=LineStationsCountConfig, generate=generate, derive=derive,
        check=check_count, capacity=capacity, description="number of stations of a line",
    )
)
