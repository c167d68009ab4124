"""terminals: what are the terminal stations of line L?

Terminals are the first and last stations of every service of the line (a Y-shaped line has three).
Lines with a loop service have no terminals and are never asked; nor are lines where a service ends
at a station another service runs through (a short-turn: "terminal" would be ambiguous), or whose
terminal names are shared by several stations (a name holding a list separator, Dubai's "e& Station",
is read as one item of the answer). ``answer_text`` lists the
terminals (main service first); any order is accepted.

Difficulty: two terminals on a line of up to 15 stations easy, longer medium; three or more hard.

Example:
    >>> from mapkit.graph import toy_city
    >>> sorted(generate(toy_city(), 0, i, TerminalsConfig())["answer_text"] for i in range(2))
    ['A Station, E Station', 'I Station, K Station, L Station']
"""

from __future__ import annotations

from typing import Any

from mapkit.answers.checks import Correctness, Given, check_list
from mapkit.graph.model import Line, MetroGraph
from mapkit.questions.base import Scene, cached, name_list, scene_and_graph
from mapkit.questions.family import Asker, pooled, row_ids, templates_config
from mapkit.questions.registry import Family, register

NAME = "terminals"
VERSION = 1

TEMPLATES = {
    "boxed": (
        'Please solve the problem and put your answer in one "\\boxed{{}}". According to the subway map, '
        "what are the terminal stations of {line}? List every terminal, separated by commas."
    ),
    "plain": (
        "Look at the subway map. At which stations does {line} end? Name every end station, separated by "
        'commas, inside "\\boxed{{}}".'
    ),
}


ASK = Asker(NAME, VERSION, TEMPLATES)


TerminalsConfig = templates_config("TerminalsConfig", ASK, "boxed")


def terminals_of(line: Line) -> list[str] | None:
    """Terminal station ids of ``line`` (main service first), or ``None`` when it has none clearly.

    >>> from mapkit.graph import toy_city
    >>> g = toy_city()
    >>> terminals_of(g.lines["green"]), terminals_of(g.lines["blue"])
    (['i', 'k', 'l'], None)
    """
    if line.loop:
        return None
    ends: dict[str, None] = {}
    for br in line.branches:
        ends.setdefault(br.stations[0], None)
        ends.setdefault(br.stations[-1], None)
    for br in line.branches:
        if any(s in ends for s in br.stations[1:-1]):
            return None  # a service runs through another's end: a short-turn, not a clear terminal
    return list(ends)


def _pool(ctx: Scene) -> list[str]:
    g = ctx.graph

    def build() -> list[str]:
        out = []
        for lid, ln in g.lines.items():
            ends = terminals_of(ln)
            if ends and all(ctx.clean(s, (lid,)) for s in ends):
                out.append(lid)
        return out

    return cached(ctx, (NAME, "pool"), build)


def _ask(ctx: Scene, lid: str, config: TerminalsConfig) -> tuple[dict, dict[str, Any]]:
    _, text, gold = _truth(ctx, lid)
    n_ends, n_st = len(gold["terminals"]), len(ctx.graph.lines[lid].station_ids)
    level = "hard" if n_ends > 2 else ("easy" if n_st <= 15 else "medium")
    fields = {"line": ctx.line_names[lid]}
    return fields, {"answer": None, "answer_text": text, "difficulty_question": level, "line_ids": (lid,), "gold": gold}


capacity, generate = pooled(ASK, lambda ctx, config: _pool(ctx), _ask, tag=lambda config: "lines")
"""Capacity: the lines with clear terminals; item ``index``: a line drawn without repeats."""


def _truth(ctx: Any, lid: str) -> tuple[None, str, dict[str, Any]]:
    ends, names, aliases, text = cached(ctx, (NAME, "truth", lid), lambda: _line_truth(ctx.graph, lid))
    if not ends:
        return None, "", {"error": "the line has no clear terminals"}
    # fresh containers per item: rows never share mutable parts
    gold = {"terminals": list(ends), "terminal_names": list(names), "aliases": {s: list(a) for s, a in aliases}}
    return None, text, gold


def _line_truth(g: MetroGraph, lid: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[Any, ...], str]:
    """(terminal ids, their names, (id, aliases) of those with aliases, the answer text) of a line, once per city."""
    ends = terminals_of(g.lines[lid]) or []
    st = g.stations
    names = tuple(st[s].name for s in ends)
    return tuple(ends), names, tuple((s, st[s].aliases) for s in ends if st[s].aliases), name_list(names)


def derive(item: dict[str, Any], g: MetroGraph | Scene) -> tuple[Any, str, dict[str, Any]]:
    """Recompute the line's terminals."""
    ctx, g = scene_and_graph(g)
    (lid,) = row_ids(item, g, 0, 1)
    return _truth(ctx, lid)


def check(item: dict[str, Any], extracted: str | None, given: Given | None = None) -> Correctness:
    """The set of terminals (aliases accepted, any order); an unrecognised or repeated item costs; detail = F1."""
    gold = item["mapkit"]["gold"]
    aliases = gold.get("aliases", {})
    names = {sid: [name, *aliases.get(sid, ())] for sid, name in zip(gold["terminals"], gold["terminal_names"])}
    return check_list(item, extracted, gold["terminals"], names, kind="station")


FAMILY = register(
    Family(
        name=NAME, version=VERSION, config_cls=TerminalsConfig, generate=generate, derive=derive, check=check,
        capacity=capacity, description="the terminal stations of a line (open-ended list)",
    )
)
