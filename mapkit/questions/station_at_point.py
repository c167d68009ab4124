"""station_at_point (visual): which station is at the point (x, y) of the map?

The inverse of ``localise``: a pixel position is given and the station there must be named. The point
is the station's marker centre from the render manifest, optionally moved inside the marker
(``StationAtPointConfig.jitter``); it is asked only when it falls inside that station's marker box and
in no other station's, and lies nearer to that station's centre than to any other. The family needs a
rendered map (:mod:`mapkit.questions.maps`): without one it asks nothing (capacity 0).

``derive`` does not trust the row's station: it looks the point up in the manifest again (the station
whose marker box holds it, nearest centre first) and names that station.

Answer: the station's display name; its aliases are accepted, case, spacing, punctuation and a
trailing "Station"/"站" ignored (:func:`mapkit.answers.normalize.station_keys`).

Difficulty: crowding around the station, as ``localise`` (0-3 other stations nearby easy, 4-5 medium,
6+ hard).

Example:
    >>> item = {"mapkit": {"gold": {"name": "Xidan", "aliases": ["西单"]}}}
    >>> check(item, "Xidan Station").correct, check(item, "西单").correct, check(item, "Fuxingmen").correct
    (True, True, False)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from mapkit.answers.checks import Correctness, Given
from mapkit.answers.normalize import station_key, station_keys
from mapkit.errors import ItemError
from mapkit.graph.model import MetroGraph
from mapkit.questions.base import (
    Scene,
    cached,
    context,
    item_rng,
    level_from_thresholds,
    pick,
    scene_and_graph,
    template_for,
)
from mapkit.questions.family import Asker, FamilyConfig
from mapkit.questions.maps import CROWDING_LEVELS, MapRender, crowding, item_render
from mapkit.questions.registry import Family, register

NAME = "station_at_point"
VERSION = 1

TEMPLATES = {
    "boxed": (
        'Please solve the problem and put your answer in one "\\boxed{{}}". According to the subway map, '
        "which station is at the point ({x}, {y})? The image is {width} x {height} pixels; coordinates are "
        "pixels from the top-left corner, x to the right and y down. Answer with the station's name."
    ),
    "plain": (
        "Look at the subway map ({width} x {height} pixels, origin at the top-left corner). Which station's "
        'marker is at pixel ({x}, {y})? Write its name inside "\\boxed{{}}".'
    ),
}


ASK = Asker(NAME, VERSION, TEMPLATES)


@dataclass(frozen=True)
class StationAtPointConfig(FamilyConfig):
    """``jitter``: how far the point may move from the marker centre, as a fraction of the marker's
    half-size (0: the centre itself); ``templates``: wordings drawn per item."""

    ASKER = ASK
    INTERVALS = (("jitter", "[0, 1)"),)
    jitter: float = 0.0
    templates: tuple[str, ...] = ("boxed",)


def station_at(render: MapRender, x: float, y: float) -> str | None:
    """The station whose marker is at pixel ``(x, y)``: inside exactly one marker box and nearer to
    that station's centre than to any other; ``None`` when no station, or not one clearly, is there.

    >>> r = MapRender("./m.png", "./m.json", {"stations": [
    ...     {"id": "a", "center": [10, 10], "marker_bbox": [5, 5, 15, 15]},
    ...     {"id": "b", "center": [18, 10], "marker_bbox": [13, 5, 23, 15]}], "lines": []}, "", "")
    >>> station_at(r, 10, 10), station_at(r, 14, 10), station_at(r, 50, 50)
    ('a', None, None)
    """
    memo = render.caches.get((NAME, "at"))
    if memo is None:
        memo = render.caches[(NAME, "at")] = {}
    key = (x, y)
    if key in memo:  # the pool and every item at a marker centre ask the same points again
        return memo[key]
    found = memo[key] = _station_at(_index(render), x, y)
    return found


def _index(render: MapRender) -> tuple[list[str], list[Any], Any, Any]:
    """(ids, centres, marker boxes array, centres array) of the render's stations, built once per render."""
    hit = render.caches.get((NAME, "index"))
    if hit is None:
        import numpy as np

        ids = list(render.stations)
        centres = [render.stations[s]["center"] for s in ids]
        boxes = np.array([render.stations[s]["marker_bbox"] for s in ids], dtype=float).reshape(-1, 4)
        hit = render.caches[(NAME, "index")] = (ids, centres, boxes, np.array(centres, dtype=float).reshape(-1, 2))
    return hit


def _station_at(index: tuple[list[str], list[Any], Any, Any], x: float, y: float) -> str | None:
    import numpy as np

    ids, centres, boxes, pts = index
    # the same comparisons as a loop over every marker box (float64 either way: the same answers)
    hits = np.flatnonzero((boxes[:, 0] <= x) & (x <= boxes[:, 2]) & (boxes[:, 1] <= y) & (y <= boxes[:, 3]))
    if len(hits) != 1:
        return None
    i = int(hits[0])
    own = math.dist(centres[i], (x, y))
    # numpy narrows the stations that could be as near (a margin for its rounding); math.dist decides
    d2 = (pts[:, 0] - x) ** 2 + (pts[:, 1] - y) ** 2
    for j in np.flatnonzero(d2 <= own * own * (1 + 1e-9) + 1e-9):
        if j != i and math.dist(centres[j], (x, y)) <= own:
            return None
    return ids[i]


def _centre_point(render: MapRender, sid: str) -> tuple[int, int]:
    cx, cy = render.stations[sid]["center"]
    return round(cx), round(cy)


def _pool(ctx: Scene, render: MapRender) -> list[str]:
    def build() -> list[str]:
        return [
            s for s in ctx.usable_list
            if s in render.stations and station_at(render, *_centre_point(render, s)) == s
        ]

    return cached(ctx, (NAME, "pool", render.manifest_ref), build)


def capacity(g: MetroGraph | Scene, config: StationAtPointConfig) -> int:
    """Stations whose marker centre names them unambiguously on the current render (0 without one).

    >>> from mapkit.graph import toy_city
    >>> capacity(toy_city(), StationAtPointConfig())  # a scene without a rendered map
    0
    """
    ctx = context(g)
    return 0 if ctx.render is None else len(_pool(ctx, ctx.render))


def _point(render: MapRender, sid: str, seed: int, index: int, city: str, jitter: float) -> tuple[int, int]:
    x, y = _centre_point(render, sid)
    if jitter <= 0.0:
        return x, y
    x0, y0, x1, y1 = render.stations[sid]["marker_bbox"]
    rng = item_rng(seed, NAME, index, 1, city=city)
    cx, cy = render.stations[sid]["center"]
    for _ in range(8):  # a few tries: a moved point must still name this station alone
        px = round(cx + rng.uniform(-1, 1) * jitter * (x1 - x0) / 2)
        py = round(cy + rng.uniform(-1, 1) * jitter * (y1 - y0) / 2)
        if station_at(render, px, py) == sid:
            return px, py
    return x, y


def generate(g: MetroGraph | Scene, seed: int, index: int, config: StationAtPointConfig) -> dict[str, Any] | None:
    """Item ``index``: a station drawn without repeats, asked at its marker; ``None`` without a render.

    >>> from mapkit.graph import toy_city
    >>> generate(toy_city(), 0, 0, StationAtPointConfig()) is None  # a scene without a rendered map
    True
    """
    ctx = context(g)
    render = ctx.render
    if render is None:
        return None
    g = ctx.graph
    pool = _pool(ctx, render)
    if not pool:
        return None
    sid = pick(ctx, pool, NAME, "pool", seed, index)
    template = template_for(config.templates, seed, NAME, index, ctx.city)
    x, y = _point(render, sid, seed, index, ctx.city, config.jitter)
    _, text, gold = _truth(g, render, x, y)
    return ASK.item(
        ctx, template, seed, index, dict(x=x, y=y, width=render.width, height=render.height),
        answer=None, answer_text=text,
        difficulty_question=level_from_thresholds(crowding(render, sid), *CROWDING_LEVELS),
        station_ids=(sid,), gold=gold,
    )


def _truth(g: MetroGraph, render: MapRender, x: int, y: int) -> tuple[None, str, dict[str, Any]]:
    sid = station_at(render, x, y)
    base = {"point": [x, y]}
    if sid is None or sid not in g.stations:
        return None, "", {**base, "error": "no single station's marker is at the point", "map": render.gold()}
    st = g.stations[sid]
    return None, st.name, {
        **base,
        "station": sid,
        "name": st.name,
        "aliases": list(st.aliases),
        "marker_bbox": [float(v) for v in render.stations[sid]["marker_bbox"]],
        "map": render.gold(),
    }


def derive(item: dict[str, Any], g: MetroGraph | Scene) -> tuple[Any, str, dict[str, Any]]:
    """Look the row's point up in the manifest beside its figure and name the station there."""
    ctx, g = scene_and_graph(g)
    render = item_render(item, ctx)
    point = item["mapkit"]["gold"].get("point")
    if not (isinstance(point, list) and len(point) == 2 and all(isinstance(v, int) for v in point)):
        raise ItemError(f"{item.get('id')}: gold.point must be two integers [x, y].")
    return _truth(g, render, point[0], point[1])


def check(item: dict[str, Any], extracted: str | None, given: Given | None = None) -> Correctness:
    """The station's name or an alias (keys ignore case, spacing and a trailing "Station").

    The answer's full key must be one of the gold names' keys, so "Jurong East" names
    "Jurong East (EW24)" but "Hub (North)" does not name "Hub".
    """
    gold = item["mapkit"]["gold"]
    accepted = {k for n in (gold["name"], *gold.get("aliases", ())) for k in station_keys(n)}
    if station_key(extracted or "") in accepted:
        return Correctness(True, 1.0)
    return Correctness(False, 0.0, f"expected {gold['name']}")


FAMILY = register(
    Family(
        name=NAME, version=VERSION, config_cls=StationAtPointConfig, generate=generate, derive=derive, check=check,
        capacity=capacity, description="the station at a given pixel of the rendered map", needs_render=True,
    )
)
