"""localise (visual): where is station X on the map? Answer with its marker's bounding box in pixels.

RewardMap's perception -> localisation -> reasoning ladder asks a model to *find* things before it
reasons about them; this family grades finding a station. The truth is the render manifest (the
station's ``marker_bbox`` and ``center``), so the family needs a rendered map: it asks nothing (capacity
0) unless :mod:`mapkit.generate` renders the maps (``mapkit generate --render``); see
:mod:`mapkit.questions.maps`.

Candidates: usable stations (a unique display name), drawn without repeats. The answer is
``[x0, y0, x1, y1]`` (pixels, origin top-left, y down; the numbers of the manifest). A box is right
when its IoU with the marker box is at least ``gold.iou_threshold`` (default
:data:`DEFAULT_IOU_THRESHOLD` = 0.5, the usual detection threshold; ``LocaliseConfig.iou_threshold``);
the detail (partial credit) is the IoU itself, so a closer box earns more.

Difficulty: how crowded the spot is - other stations within twice the map's median nearest-station
distance (:func:`mapkit.questions.maps.crowding`): 0-3 easy, 4-5 medium, 6+ hard.

Example:
    >>> item = {"mapkit": {"gold": {"box": [10, 10, 20, 20], "iou_threshold": 0.5}}}
    >>> check(item, "[10, 10, 20, 20]"), check(item, "[11, 11, 21, 21]").correct
    (Correctness(correct=True, detail=1.0, notes=''), True)
    >>> check(item, "[100, 100, 110, 110]").correct, check(item, "[10, 10, 20, 20] or [0, 0, 5, 5]").correct
    (False, False)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mapkit.answers.checks import Correctness, Given
from mapkit.answers.normalize import parse_box
from mapkit.errors import ItemError
from mapkit.graph.model import MetroGraph
from mapkit.questions.base import Scene, cached, level_from_thresholds, scene_and_graph
from mapkit.questions.family import Asker, FamilyConfig, pooled
from mapkit.questions.maps import CROWDING_LEVELS, MapRender, crowding, current_render, item_render
from mapkit.questions.registry import Family, register

NAME = "localise"
VERSION = 1

DEFAULT_IOU_THRESHOLD = 0.5
"""A box is right when its IoU with the station's marker box is at least this (``LocaliseConfig``)."""


_FRAME = (
    "The image is {width} x {height} pixels; coordinates are pixels from the top-left corner, x to the right "
    "and y down."
)
TEMPLATES = {
    "boxed": (
        'Please solve the problem and put your answer in one "\\boxed{{}}". According to the subway map, '
        "where is the station {stop1}? " + _FRAME + " Answer with the bounding box of the station's marker "
        "as [x0, y0, x1, y1]."
    ),
    "plain": (
        "Look at the subway map ({width} x {height} pixels, origin at the top-left corner). Find the marker "
        'of {stop1} and give its bounding box [x0, y0, x1, y1] in pixels, inside "\\boxed{{}}".'
    ),
}


ASK = Asker(NAME, VERSION, TEMPLATES)


@dataclass(frozen=True)
class LocaliseConfig(FamilyConfig):
    """``iou_threshold``: the IoU a box needs to be right (stored in each item's gold);
    ``templates``: wordings drawn per item."""

    ASKER = ASK
    INTERVALS = (("iou_threshold", "(0, 1]"),)
    iou_threshold: float = DEFAULT_IOU_THRESHOLD
    templates: tuple[str, ...] = ("boxed",)


def box_iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two ``[x0, y0, x1, y1]`` boxes (0.0 when either has no area).

    >>> box_iou([0, 0, 10, 10], [0, 0, 10, 10]), box_iou([0, 0, 10, 10], [5, 0, 15, 10])
    (1.0, 0.3333333333333333)
    >>> box_iou([0, 0, 10, 10], [10, 0, 20, 10]), box_iou([0, 0, 10, 10], [2, 2, 2, 8])
    (0.0, 0.0)
    """
    ax0, ay0, ax1, ay1 = a
    bx0, by0, bx1, by1 = b
    area_a = max(0.0, ax1 - ax0) * max(0.0, ay1 - ay0)
    area_b = max(0.0, bx1 - bx0) * max(0.0, by1 - by0)
    if area_a <= 0.0 or area_b <= 0.0:
        return 0.0
    iw = min(ax1, bx1) - max(ax0, bx0)
    ih = min(ay1, by1) - max(ay0, by0)
    inter = iw * ih if iw > 0 and ih > 0 else 0.0
    return inter / (area_a + area_b - inter)


def format_number(v: float) -> str:
    """A manifest coordinate as written in an answer: ``409`` or ``409.5`` (no trailing zeros).

    >>> format_number(409.0), format_number(409.25), format_number(-0.0)
    ('409', '409.25', '0')
    """
    text = f"{float(v):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_box(box: Sequence[float]) -> str:
    """``[x0, y0, x1, y1]`` as the answer text (the manifest's numbers, so the gold scores IoU 1.0).

    >>> format_box([409.0, 489.0, 419.5, 499.0])
    '[409, 489, 419.5, 499]'
    """
    return "[" + ", ".join(format_number(v) for v in box) + "]"


def _pool(ctx: Scene, config: LocaliseConfig) -> list[str]:
    """Stations that can be asked about on the scene's render (none without one).

    >>> from mapkit.graph import toy_city
    >>> capacity(toy_city(), LocaliseConfig()), generate(toy_city(), 0, 0, LocaliseConfig())  # no rendered map
    (0, None)
    """
    render = current_render(ctx)
    if render is None:
        return []
    return cached(
        ctx, (NAME, "pool", render.manifest_ref), lambda: [s for s in ctx.usable_list if s in render.stations]
    )


def _ask(ctx: Scene, sid: str, config: LocaliseConfig) -> tuple[dict, dict[str, Any]]:
    render = ctx.render
    _, text, gold = _truth(render, sid, config.iou_threshold)
    fields = {"stop1": ctx.names[sid], "width": render.width, "height": render.height}
    return fields, {
        "answer": None, "answer_text": text,
        "difficulty_question": level_from_thresholds(crowding(render, sid), *CROWDING_LEVELS),
        "station_ids": (sid,), "gold": gold,
    }  # fmt: skip


capacity, generate = pooled(ASK, _pool, _ask)
"""Capacity: the stations on the render; item ``index``: a station drawn without repeats."""


def _truth(render: MapRender, sid: str, threshold: float) -> tuple[None, str, dict[str, Any]]:
    hit = render.caches.get((NAME, sid))
    if hit is None:  # a station is asked again every cycle of the pool: its box and text once per render
        st = render.stations[sid]
        box = tuple(float(v) for v in st["marker_bbox"])
        hit = render.caches[(NAME, sid)] = (box, tuple(float(v) for v in st["center"]), format_box(box))
    box, center, text = hit
    return None, text, {
        "box": list(box),
        "center": list(center),
        "iou_threshold": threshold,
        "map": render.gold(),
    }


def derive(item: dict[str, Any], g: MetroGraph | Scene) -> tuple[Any, str, dict[str, Any]]:
    """Read the station's marker box again from the manifest beside the row's figure.

    >>> import tempfile, pathlib
    >>> from mapkit.graph import toy_city
    >>> from mapkit.questions.base import context
    >>> from mapkit.questions.maps import load_render
    >>> from mapkit.render import render_city
    >>> g, d = toy_city(), pathlib.Path(tempfile.mkdtemp())
    >>> scene = context(g).with_render(load_render(render_city(g, d / "maps" / g.country, name=g.city).png_path, d))
    >>> item = generate(scene, 0, 0, LocaliseConfig())
    >>> derive(item, scene) == (None, item["answer_text"], item["mapkit"]["gold"])
    True
    """
    ctx, g = scene_and_graph(g)
    render = item_render(item, ctx)
    (sid,) = item["mapkit"]["station_ids"]
    if sid not in g.stations or sid not in render.stations:
        raise ItemError(f"{item.get('id')}: station {sid!r} is not on the map.")
    threshold = item["mapkit"]["gold"].get("iou_threshold")
    if not isinstance(threshold, (int, float)) or not 0 < threshold <= 1:
        raise ItemError(f"{item.get('id')}: gold.iou_threshold must be a number in (0, 1].")
    return _truth(render, sid, threshold)


def check(item: dict[str, Any], extracted: str | None, given: Given | None = None) -> Correctness:
    """A box ``[x0, y0, x1, y1]``: right when IoU >= ``gold.iou_threshold``; detail = IoU."""
    gold = item["mapkit"]["gold"]
    box = parse_box(extracted)
    if box is None:
        return Correctness(False, 0.0, "no box [x0, y0, x1, y1] (exactly four numbers, x1 > x0, y1 > y0)")
    iou = box_iou(box, gold["box"])
    threshold = float(gold.get("iou_threshold", DEFAULT_IOU_THRESHOLD))
    if iou >= threshold:
        return Correctness(True, iou, "" if iou == 1.0 else f"IoU {iou:.3f}")
    return Correctness(False, iou, f"IoU {iou:.3f} < {threshold:g} with the marker box {format_box(gold['box'])}")


FAMILY = register(
    Family(
        name=NAME, version=VERSION, config_cls=LocaliseConfig, generate=generate, derive=derive, check=check,
        capacity=capacity, description="the pixel bounding box of a station's marker on the rendered map",
        needs_render=True,
    )
)
