"""Per-check functions for canonical (``mapkit`` format) rows: each returns the problems it finds.

A check takes the row and the city's :class:`~mapkit.questions.base.Scene` (and what else it needs)
and returns a list of :data:`~mapkit.validate.report.Problem` ``(field, expected, stored, why)``;
:func:`check_row` runs the schema check, loads the city, then the checks in order:

* :func:`check_graph_hash` - the row was generated from the current curated graph;
* :func:`check_city_fields` - country, city, difficulty and counts of the city;
* :func:`check_identity` - id, station-list path, split, station names;
* :func:`check_map` - the rendered map a visual row was asked from, pinned by sha256;
* :func:`check_answer` - ``answer``, ``answer_text`` and ``gold`` re-derived by the row's family;
* :func:`check_weight` - planning transfers and the RewardMap weight.

Example:
    >>> from mapkit.graph import toy_city
    >>> from mapkit.generate import generate_items
    >>> from mapkit.questions.base import context
    >>> g = toy_city()
    >>> row = next(generate_items([g], types=["TorF1"], n_per_type=1))
    >>> row["city"] = "elsewhere"
    >>> check_city_fields(row, context(g))[0][:3]
    ('city', 'toyville', 'elsewhere')
"""

from __future__ import annotations

import re
from typing import Any

from mapkit.errors import ConfigError, DataNotFoundError, MapkitError
from mapkit.questions.base import QUESTION_WEIGHT_TRANSFER, Scene, context
from mapkit.questions.maps import MapRender
from mapkit.questions.registry import Family, get_family
from mapkit.schemas import Checker
from mapkit.validate.loaders import Graphs, Maps
from mapkit.validate.report import Collector, Problem

__all__ = [
    "check_answer",
    "check_city_fields",
    "check_graph_hash",
    "check_identity",
    "check_map",
    "check_row",
    "check_weight",
]

Row = dict[str, Any]

_FAMILIES: dict[str, Family] = {}
"""Family by the row's ``type`` (the registry lookup is not free at a million rows)."""


def check_graph_hash(row: Row, scene: Scene) -> list[Problem]:
    """The row's ``graph_hash`` is the curated graph's (else answers are re-derived on the current one)."""
    stored = row["mapkit"]["graph_hash"]
    if stored == scene.graph_hash:
        return []
    return [("mapkit.graph_hash", scene.graph_hash, stored,
             "the curated graph differs from the one the item was generated from; "
             "answers re-derived on the current graph")]  # fmt: skip


def check_city_fields(row: Row, scene: Scene) -> list[Problem]:
    """Country, city, city difficulty, line and transfer counts, by the documented rules."""
    want = scene.caches.get("validate-city-fields")
    if want is None:
        want = scene.caches["validate-city-fields"] = (
            ("country", scene.country), ("city", scene.city), ("difficulty_city", scene.difficulty_city),
            ("city_line_count", scene.line_count), ("city_transfer_count", scene.transfer_count),
        )  # fmt: skip
    return [(f, w, row[f], f"{f} of {scene.city} by the documented rule") for f, w in want if row[f] != w]


def check_identity(row: Row, scene: Scene) -> list[Problem]:
    """The id, the station list's path, the split and the station names the row shows."""
    m = row["mapkit"]
    out: list[Problem] = []
    want_id = f"{scene.city}:{row['type']}:{m['seed']}:{m['index']}"
    if row["id"] != want_id:
        out.append(("id", want_id, row["id"], "ids are <city>:<family>:<seed>:<index>"))
    if row["json"] != scene.json:
        out.append(("json", scene.json, row["json"], "relative path of the city's station list"))
    if m.get("split") != scene.split:
        out.append(("mapkit.split", scene.split, m.get("split"), "test = the published test cities"))
    ids = m["station_ids"]
    for k, fld in enumerate(("station_1", "station_2")):
        want = scene.names.get(ids[k], f"<unknown station {ids[k]}>") if k < len(ids) else ""
        if row[fld] != want:
            out.append((fld, want, row[fld], "display name of mapkit.station_ids in the graph"))
    return out


def check_map(row: Row, scene: Scene, maps: Maps) -> tuple[MapRender | None, list[Problem]]:
    """The map a visual row was asked from, loaded and pinned; ``None`` when there is none to derive from."""
    figure = row["figure"]
    try:
        render = maps.get(figure)
    except MapkitError as e:
        return None, [("figure", "a rendered map with its manifest beside it", figure,
                       f"cannot read the map the item asks about: {e}")]  # fmt: skip
    out: list[Problem] = []
    stored = row["mapkit"]["gold"].get("map")
    stored = stored if isinstance(stored, dict) else {}
    if stored.get("manifest_sha256") != render.manifest_sha256:
        out.append(("mapkit.gold.map.manifest_sha256", render.manifest_sha256, stored.get("manifest_sha256"),
                    f"the render manifest {render.manifest_ref} changed since the item was generated "
                    "(answers re-derived from it as it is now)"))  # fmt: skip
    if stored.get("image_sha256") != render.image_sha256:
        out.append(("mapkit.gold.map.image_sha256", render.image_sha256, stored.get("image_sha256"),
                    f"the map image {render.figure} changed since the item was generated"))  # fmt: skip
    if render.graph_hash != scene.graph_hash:
        out.append(("figure", scene.graph_hash, render.graph_hash,
                    f"the map {render.figure} was drawn from another graph of the city than the curated one"))
    return render, out


def check_answer(row: Row, family: Family, scene: Scene) -> tuple[dict[str, Any] | None, list[Problem]]:
    """``answer``, ``answer_text`` and ``gold`` re-derived by the row's family: ``(gold, problems)``."""
    try:
        answer, text, gold = family.derive(row, scene)
    except (MapkitError, KeyError, ValueError, IndexError, TypeError) as e:
        return None, [("answer", "a derivable question", row["answer"], f"cannot re-derive: {e}")]
    out: list[Problem] = []
    if answer != row["answer"] or type(answer) is not type(row["answer"]):
        out.append(("answer", answer, row["answer"], _why(family.name, gold)))
    if text != row["answer_text"]:
        out.append(("answer_text", text, row["answer_text"], _why(family.name, gold)))
    if gold != row["mapkit"]["gold"]:
        source = "the graph and the map" if family.needs_render else "the graph"
        out.append(("mapkit.gold", gold, row["mapkit"]["gold"], f"structured truth recomputed from {source} differs"))
    return gold, out


def check_weight(row: Row, family: Family, gold: dict[str, Any], scene: Scene) -> list[Problem]:
    """Planning's transfers (0 for other types) and the weight W_map + W_question."""
    out: list[Problem] = []
    transfers = 0
    if family.name == "planning" and gold.get("routes"):
        transfers = gold["routes"][0]["transfers"]
    if row["question_transfer_count"] != transfers:
        out.append(("question_transfer_count", transfers, row["question_transfer_count"],
                    "transfers of the first best route (0 for non-planning items)"))  # fmt: skip
    weight = round(scene.w_map + (QUESTION_WEIGHT_TRANSFER if transfers >= 1 else 0.0), 4)
    if abs(row["weight"] - weight) > 1e-9:
        out.append(("weight", weight, row["weight"], "W_map of the city level + W_question"))
    return out


def check_row(row: Any, lineno: int, graphs: Graphs, out: Collector, schema: Checker, maps: Maps) -> None:
    """Every check of one canonical row, in order; problems go to ``out``."""
    item_id = str(row.get("id", f"line {lineno}")) if isinstance(row, dict) else f"line {lineno}"
    bad = schema(row)
    if bad is not None:
        out.add(item_id, lineno, bad[0], "a value allowed by schemas/item.schema.json", _at(row, bad[0]),
                f"schema: {bad[0]} {bad[1]}")  # fmt: skip
        return
    m = row["mapkit"]
    try:
        g = graphs.get(m["city_ref"])
    except DataNotFoundError:
        raise  # the data is not here: one clear message, not the same cause on every row
    except MapkitError as e:
        out.add(item_id, lineno, "mapkit.city_ref", "a loadable city", m["city_ref"], f"cannot load the city: {e}")
        return
    scene = context(g)
    out.extend(item_id, lineno, check_graph_hash(row, scene))
    try:
        fam = _FAMILIES.get(row["type"]) or _FAMILIES.setdefault(row["type"], get_family(row["type"]))
    except ConfigError as e:
        out.add(item_id, lineno, "type", "a registered family", row["type"], e.message)
        return
    out.extend(item_id, lineno, check_city_fields(row, scene))
    out.extend(item_id, lineno, check_identity(row, scene))
    if fam.needs_render:
        render, problems = check_map(row, scene, maps)
        out.extend(item_id, lineno, problems)
        if render is None:
            return
        scene = scene.with_renders({render.manifest_ref: render})
    gold, problems = check_answer(row, fam, scene)
    out.extend(item_id, lineno, problems)
    if gold is not None:
        out.extend(item_id, lineno, check_weight(row, fam, gold, scene))


def _why(family: str, gold: dict[str, Any]) -> str:
    if "error" in gold:
        return f"the graph gives no answer: {gold['error']}"
    return f"{family} answer recomputed from the curated graph"


def _at(doc: Any, path: str) -> Any:
    cur = doc
    for part in re.findall(r"\.([^.\[]+)|\[(\d+)\]", path):
        key = part[0] if part[0] else int(part[1])
        try:
            cur = cur[key]
        except (KeyError, IndexError, TypeError):
            return None
    return cur if isinstance(cur, (str, int, float, bool, type(None))) else type(cur).__name__
