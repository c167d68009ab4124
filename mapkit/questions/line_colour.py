"""line_colour (visual): what colour is line L on the map?

The truth is the colour the renderer drew the line in (the manifest's ``lines[].color``), so the family
needs a rendered map (:mod:`mapkit.questions.maps`); without one it asks nothing (capacity 0). A render
style may recolour lines (``style_from_seed``), which is the point: the answer is what the image shows,
not what the line is called or how the operator paints it.

Answer: a name from a fixed vocabulary of :data:`NAMED_COLOURS` (21 basic names, listed in the prompt)
or a hex code. Colour differences are CIEDE2000 ΔE (:func:`delta_e`; about 1 is just noticeable).
The gold name is the vocabulary colour nearest to the drawn colour; names within ``name_margin``
(default 3) of the nearest are accepted too (a colour half-way between "green" and "light green"
accepts both), and so are their synonyms (:data:`SYNONYMS`: "navy", "gray" ...). A hex code
(``#rrggbb``, ``#rgb``, ``rgb(r, g, b)``) is right within ``gold.hex_tolerance`` of the drawn colour:
:data:`DEFAULT_HEX_TOLERANCE` (10: the same colour read off an antialiased edge or a legend swatch,
where two different palette colours are 15+ apart), capped at half the distance to the nearest *other*
line's colour on the map, so one hex code can never be right for two different lines. A name and a
code together must both be right; two codes are a hedge.

Asked lines: every line drawn on the map, visited in turn (balanced across lines), except lines whose
name contains a colour word ("Red Line", Lisbon's "Azul": the name would give the answer away, or
contradict a recoloured map) and lines whose colour is farther than ``max_name_distance`` (default
15) from every vocabulary name (no fair name exists, e.g. a greyish mauve).

Difficulty: how close the nearest other line's colour on the map is: ΔE 25+ easy, 12-25 medium, under
12 hard (telling two similar lines apart).

Example:
    >>> item = {"mapkit": {"gold": {"hex": "#1b3a8c", "names": ["dark blue", "navy"], "hex_tolerance": 10.0}}}
    >>> check(item, "Navy").correct, check(item, "#1c3a8a").correct, check(item, "blue").correct
    (True, True, False)
    >>> check(item, "dark blue (#e41a1c)").correct  # a name and a code must both be right
    False
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mapkit.answers.checks import Correctness, Given
from mapkit.answers.normalize import colour_key, parse_colour
from mapkit.colour import delta_e
from mapkit.errors import ConfigError, ItemError
from mapkit.graph.model import MetroGraph
from mapkit.questions.base import Scene, cached, scene_and_graph
from mapkit.questions.family import Asker, FamilyConfig, pooled
from mapkit.questions.maps import MapRender, current_render, item_render
from mapkit.questions.registry import Family, register

NAME = "line_colour"
VERSION = 1

NAMED_COLOURS: dict[str, str] = {
    # typical metro-map colours rather than the extreme CSS ones ("blue" is not #0000ff), so that the
    # nearest name is the one a person would say; checked against every line colour of the ReasonMap
    # cities and every render palette (tests/questions/test_visual_families.py)
    "red": "#e31a1c", "dark red": "#8b1a1a", "salmon": "#f07470", "orange": "#f7941d", "yellow": "#fdd000",
    "beige": "#cdb48c", "brown": "#8b5a2b", "olive": "#8c8c1a", "light green": "#8cc63f", "green": "#1fa040",
    "dark green": "#0f6b3a", "teal": "#0a9a96", "light blue": "#5bb8e6", "blue": "#1f6fc0",
    "dark blue": "#1b2a80", "purple": "#8a3fa0", "lavender": "#b4a2d6", "pink": "#f287b7",
    "magenta": "#cc1f85", "grey": "#9a9a9a", "black": "#222222",
}
"""The answer vocabulary: name -> the colour it stands for (``#rrggbb``)."""

SYNONYMS: dict[str, tuple[str, ...]] = {
    "dark red": ("maroon", "burgundy"),
    "salmon": ("coral",),
    "beige": ("tan",),
    "light green": ("lime", "lime green"),
    "teal": ("turquoise",),
    "light blue": ("sky blue",),
    "dark blue": ("navy", "navy blue"),
    "purple": ("violet",),
    "magenta": ("fuchsia",),
    "grey": ("gray", "silver"),
}
"""Other spellings accepted for a name (``colour_key`` already makes "gray" = "grey", "Dark-Blue" = "dark blue")."""

DEFAULT_HEX_TOLERANCE = 10.0
"""A hex answer within this CIEDE2000 ΔE of the drawn colour is right (capped per line; module docstring)."""

_LATIN_COLOUR_WORDS = frozenset(
    {colour_key(w) for n in NAMED_COLOURS for w in n.split()} - {"light", "dark"}
    | {colour_key(s) for syn in SYNONYMS.values() for s in syn}
    | {  # colour words of the ReasonMap cities' languages (Lisbon's lines are Azul, Amarela, Verde, Vermelha)
        colour_key(w) for w in (
        "white", "gold", "golden", "cyan", "aqua", "indigo", "crimson", "scarlet", "amber", "bronze", "copper",
        "emerald", "ruby", "jade", "rojo", "roja", "rouge", "rosso", "rossa", "rot", "vermelho", "vermelha",
        "azul", "blau", "bleu", "blu", "verde", "vert", "grun", "gruen", "amarillo", "amarela", "amarelo",
        "jaune", "gelb", "giallo", "gialla", "naranja", "laranja", "arancione", "morado", "roxo", "roxa", "viola",
        "lila", "gris", "grau", "cinza", "grigio", "negro", "noir", "schwarz", "nero", "preto", "blanco",
        "blanc", "weiß", "weiss", "bianco", "branco", "marrón", "marron", "braun", "rosa", "rose", "oro", "plata",
        "prata", "grün",
        )
    }
)
_CJK_COLOUR_CHARS = frozenset("红紅绿綠蓝藍黄黃橙紫棕灰黑白粉青金银銀")

_TEMPLATE_TAIL = "Answer with one of these colour names: {names}; or with its hex colour code (#rrggbb)."
TEMPLATES = {
    "boxed": (
        'Please solve the problem and put your answer in one "\\boxed{{}}". According to the subway map, '
        "what colour is {line} drawn in? " + _TEMPLATE_TAIL
    ),
    "plain": (
        "Look at the subway map. In which colour is {line} drawn? Give one colour name ({names}) or the "
        'hex code of the colour, inside "\\boxed{{}}".'
    ),
}
NAME_LIST = ", ".join(NAMED_COLOURS)
"""The vocabulary as the prompt lists it."""


ASK = Asker(NAME, VERSION, TEMPLATES)


@dataclass(frozen=True)
class LineColourConfig(FamilyConfig):
    """``hex_tolerance``: ΔE within which a hex answer is right (before the per-line cap);
    ``name_margin``: names this much farther than the nearest are accepted too;
    ``max_name_distance``: lines farther than this from every name are not asked;
    ``templates``: wordings drawn per item."""

    ASKER = ASK
    hex_tolerance: float = DEFAULT_HEX_TOLERANCE
    name_margin: float = 3.0
    max_name_distance: float = 15.0
    templates: tuple[str, ...] = ("boxed",)

    def check(self) -> None:
        if self.hex_tolerance < 0 or self.name_margin < 0 or self.max_name_distance <= 0:
            raise ConfigError(f"{NAME}: hex_tolerance and name_margin must be >= 0, max_name_distance > 0.")


def nearest_names(code: str, margin: float = 0.0) -> list[tuple[str, float]]:
    """Vocabulary names within ``margin`` ΔE of the nearest one, nearest first, with their distances.

    >>> [n for n, _ in nearest_names("#1b3a8c")], [n for n, _ in nearest_names("#76a32e", 3.0)]
    (['dark blue'], ['light green', 'green', 'olive'])
    """
    ranked = sorted((delta_e(code, ref), name) for name, ref in NAMED_COLOURS.items())
    best = ranked[0][0]
    return [(name, d) for d, name in ranked if d <= best + margin]


def spellings(names: Sequence[str]) -> list[str]:
    """Every accepted spelling of ``names``: each name, then its synonyms.

    >>> spellings(["dark blue", "blue"])
    ['dark blue', 'navy', 'navy blue', 'blue']
    """
    return [s for n in names for s in (n, *SYNONYMS.get(n, ()))]


def names_a_colour(line_name: str) -> bool:
    """True when a line's name contains a colour word (it would give the answer away).

    >>> names_a_colour("Metrorail Green Line"), names_a_colour("Azul"), names_a_colour("Line 2")
    (True, True, False)
    >>> names_a_colour("红线"), names_a_colour("Thomson East Coast Line")
    (True, False)
    """
    if any(ch in _CJK_COLOUR_CHARS for ch in line_name):
        return True
    words = re.findall(r"[^\W\d_]+", line_name)
    return any(colour_key(w) in _LATIN_COLOUR_WORDS for w in words)


# --- the family ---------------------------------------------------------------------------------------


def _nearest_other(render: MapRender, line_id: str) -> float:
    """ΔE from ``line_id``'s colour to the nearest other line's colour on the map (inf when alone)."""
    mine = render.lines[line_id]["color"]
    return min((delta_e(mine, ln["color"]) for lid, ln in render.lines.items() if lid != line_id), default=math.inf)


def _pool(ctx: Scene, config: LineColourConfig) -> list[str]:
    """Lines that can be asked about on the scene's render (none without one).

    >>> from mapkit.graph import toy_city
    >>> capacity(toy_city(), LineColourConfig()), generate(toy_city(), 0, 0, LineColourConfig())  # no map
    (0, None)
    """
    render = current_render(ctx)
    if render is None:
        return []
    g = ctx.graph

    def build() -> list[str]:
        return [
            lid for lid in g.lines
            if lid in render.lines and render.lines[lid]["polylines"]
            and not names_a_colour(ctx.line_names[lid])
            and nearest_names(render.lines[lid]["color"])[0][1] <= config.max_name_distance
        ]

    return cached(ctx, (NAME, "pool", render.manifest_ref, config.max_name_distance), build)


def _level(nearest_other: float) -> str:
    return "easy" if nearest_other >= 25 else "medium" if nearest_other >= 12 else "hard"


def _ask(ctx: Scene, lid: str, config: LineColourConfig) -> tuple[dict, dict[str, Any]]:
    render = ctx.render
    # the colour distances (CIEDE2000 to every name and every other line) once per line and render:
    # the same line is asked again every cycle of the pool
    key = (NAME, "truth", lid, config.hex_tolerance, config.name_margin)
    hit = render.caches.get(key)
    if hit is None:
        hit = render.caches[key] = (
            _truth(render, lid, config.hex_tolerance, config.name_margin), _level(_nearest_other(render, lid))
        )
    (_, text, gold), level = hit
    gold = {**gold, "names": list(gold["names"]), "map": dict(gold["map"])}  # rows share no mutable part
    gold["map"]["image_size"] = list(gold["map"]["image_size"])
    fields = {"line": ctx.line_names[lid], "names": NAME_LIST}
    return fields, {
        "answer": None, "answer_text": text, "difficulty_question": level, "line_ids": (lid,), "gold": gold,
    }  # fmt: skip


capacity, generate = pooled(ASK, _pool, _ask, tag=lambda config: f"pool:{config.max_name_distance}")
"""Capacity: the askable lines of the render; item ``index``: the lines in turn (a seeded order, no repeats
within a cycle); ``None`` without a render."""


def _truth(render: MapRender, lid: str, tolerance: float, margin: float) -> tuple[None, str, dict[str, Any]]:
    code = render.lines[lid]["color"]
    near = nearest_names(code, margin)
    names = [n for n, _ in near]
    # half the distance to the nearest other line: no code can be right for two lines
    tol = round(min(tolerance, _nearest_other(render, lid) / 2), 3)
    return None, names[0], {
        "hex": code,
        "name": names[0],
        "names": spellings(names),
        "name_distance": round(near[0][1], 3),
        "hex_tolerance": tol,
        "name_margin": margin,
        "map": render.gold(),
    }


def derive(item: dict[str, Any], g: MetroGraph | Scene) -> tuple[Any, str, dict[str, Any]]:
    """Read the line's colour again from the manifest beside the row's figure and name it."""
    ctx, g = scene_and_graph(g)
    render = item_render(item, ctx)
    (lid,) = item["mapkit"]["line_ids"]
    if lid not in g.lines or lid not in render.lines:
        raise ItemError(f"{item.get('id')}: line {lid!r} is not on the map.")
    gold = item["mapkit"]["gold"]
    tol, margin = gold.get("hex_tolerance"), gold.get("name_margin")
    if not all(isinstance(v, (int, float)) and v >= 0 for v in (tol, margin)):
        raise ItemError(f"{item.get('id')}: gold.hex_tolerance and gold.name_margin must be numbers >= 0.")
    return _truth(render, lid, float(tol), float(margin))  # type: ignore[arg-type]


def check(item: dict[str, Any], extracted: str | None, given: Given | None = None) -> Correctness:
    """A colour name of ``gold.names`` and/or a code within ``gold.hex_tolerance`` ΔE of ``gold.hex``."""
    gold = item["mapkit"]["gold"]
    ans = parse_colour(extracted)
    if ans is None:
        return Correctness(False, 0.0, "no colour name or code (two codes are a hedge)")
    notes = []
    if ans.name is not None and ans.name not in {colour_key(n) for n in gold["names"]}:
        notes.append(f"the line is {gold['names'][0]} ({gold['hex']})")
    if ans.rgb is not None:
        d = delta_e(ans.rgb, gold["hex"])
        if d > float(gold["hex_tolerance"]):
            notes.append(f"the code is ΔE {d:.1f} from {gold['hex']} (tolerance {gold['hex_tolerance']:g})")
    if notes:
        return Correctness(False, 0.0, "; ".join(notes))
    return Correctness(True, 1.0)


FAMILY = register(
    Family(
        name=NAME, version=VERSION, config_cls=LineColourConfig, generate=generate, derive=derive, check=check,
        capacity=capacity, description="the colour a line is drawn in on the rendered map", needs_render=True,
    )
)
