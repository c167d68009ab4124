"""Counting3 (ReasonMap-Plus global counting): how many lines does the map have? One per city.

``capacity`` is 1: item 0 is the city's question; later indices reword it (another template when
several are configured) and are generated only when repeats are asked for.

Difficulty: up to 3 lines easy, 4-8 medium, 9+ hard.

Example:
    >>> from mapkit.graph import toy_city
    >>> item = generate(toy_city(), 0, 0, Counting3Config())
    >>> item["answer"], item["station_1"]
    (3, '')
"""

from __future__ import annotations

from typing import Any

from mapkit.answers.checks import check_count
from mapkit.graph.model import MetroGraph
from mapkit.questions.base import Scene, context, level_from_thresholds, scene_and_graph
from mapkit.questions.family import Asker, templates_config
from mapkit.questions.registry import Family, register

NAME = "Counting3"
VERSION = 1

TEMPLATES = {
    "reasonmap": (
        'Please solve the problem and put your answer in one "\\boxed{{}}". '
        "According to the subway map, how many subway (metro) lines are there in total?"
    ),
    "plain": 'Count the lines on this metro map. How many lines are there? Put the number in "\\boxed{{}}".',
}


ASK = Asker(NAME, VERSION, TEMPLATES)


Counting3Config = templates_config("Counting3Config", ASK, "reasonmap")


def _ask(ctx: Scene, city: str, config: Any) -> tuple[None, dict[str, Any]]:
    n = len(ctx.graph.lines)
    return None, {"answer": n, "answer_text": str(n), "difficulty_question": level_from_thresholds(n, 3, 8),
                  "line_ids": (), "gold": _gold(ctx)}  # fmt: skip


def capacity(g: MetroGraph | Scene, config: Any) -> int:
    """One question per city (the city's line count)."""
    return 1


def generate(g: MetroGraph | Scene, seed: int, index: int, config: Any) -> dict[str, Any]:
    """Item ``index``: the city's one question in its drawn wording - :func:`~mapkit.questions.family.pooled`
    over the one-candidate pool ``(city,)`` without drawing a permutation of it per item (every item
    after the first starts a new cycle of a one-element pool, and its candidate is the city anyway)."""
    scene = context(g)
    template = ASK.template(config, seed, index, scene)
    fields, row = _ask(scene, scene.city, config)
    return ASK.item(scene, template, seed, index, fields, **row)


def _gold(ctx: Any) -> dict[str, Any]:
    return {"count": len(ctx.line_names), "line_names": list(ctx.line_names.values())}


def derive(item: dict[str, Any], g: MetroGraph | Scene) -> tuple[Any, str, dict[str, Any]]:
    """Recount the graph's lines."""
    ctx, g = scene_and_graph(g)
    n = len(g.lines)
    return n, str(n), _gold(ctx)


FAMILY = register(
    Family(
        name=NAME, version=VERSION, config_cls=Counting3Config, generate=generate, derive=derive,
        check=check_count, capacity=capacity, description="number of lines of the map (one per city)",
    )
)
