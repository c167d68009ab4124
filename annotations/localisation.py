"""Station positions read off real maps: keypoints -> a validated overlay -> questions on the real map.

1. :func:`positions_from_export` turns a localisation project's annotations into one overlay per city
   (``schemas/map-positions.schema.json``): each station's centre is the median of the annotators'
   points; a station whose points lie further apart than ``tolerance`` pixels, that one annotator placed
   twice, or that lands on another station's marker is left out and listed as a conflict. Stations and
   lines that annotators added (the ``+ missing station`` label with its name, the missing-lines box)
   become **proposals** for the curation file: listed, never applied.
2. :func:`load_positions` reads an overlay back and validates it (schema, every station id in the
   curated graph and inside the image, no id twice).
3. :func:`apply_positions` copies the real map into ``<out>/maps/<country>/<city>.png`` (after checking
   its sha256 against the overlay) and writes a render manifest beside it (``layout: coords``, a square
   marker of ``marker_radius`` around each position; labels are not annotated, so a label box is the
   marker box), so :mod:`mapkit.questions.maps` reads the real map like a rendered one.
4. :func:`overlay_coords` gives the positions to the render layout (``mapkit render --positions``), so a
   drawn map follows the real map's geography (x right = east, y down = south);
5. :func:`generate_on_map` asks the visual families (``localise``, ``station_at_point``) about it; the
   items validate with ``mapkit validate`` like any other.
"""

from __future__ import annotations

import math
import os
import shutil
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from mapkit.annotations.configs import MISSING_STATION

from mapkit.errors import AnnotationError, DataFileError
from mapkit.graph.model import MetroGraph
from mapkit.io import file_sha256, load_document, write_json, write_jsonl

__all__ = [
    "DEFAULT_MARKER_RADIUS",
    "DEFAULT_TOLERANCE",
    "apply_positions",
    "generate_on_map",
    "load_positions",
    "overlay_coords",
    "positions_from_export",
    "validate_positions",
    "write_localisation",
]

FORMAT = "mapkit.map-positions/1"
DEFAULT_MARKER_RADIUS = 10.0
"""Half the side (px) of the marker box put around a position: the station dots of the ReasonMap maps
(1,000-4,000 px wide) are 8-25 px across."""
DEFAULT_TOLERANCE = 20.0
"""Annotators' points for one station further than this (px) from their median: a conflict."""


def _graph(ref: str, data_dir: Any, graphs: Mapping[str, MetroGraph] | None) -> MetroGraph:
    if graphs and ref in graphs:
        return graphs[ref]
    from mapkit.sources import load_city

    return load_city(ref, data_dir=data_dir)


def positions_from_export(
    tasks: Sequence[Mapping[str, Any]],
    *,
    users: Mapping[int, str],
    interface: Any,
    project: str,
    project_id: int,
    data_dir: str | os.PathLike[str] | None = None,
    graphs: Mapping[str, MetroGraph] | None = None,
    res: Any = None,
    marker_radius: float = DEFAULT_MARKER_RADIUS,
    tolerance: float = DEFAULT_TOLERANCE,
) -> dict[str, Any]:
    """``{"overlays": [...], "proposals": [...], "conflicts": [...]}`` from a localisation export."""
    from mapkit.annotations.review import validate_result

    overlays, proposals, conflicts = [], [], []
    for task in sorted(tasks, key=lambda t: t.get("id") or 0):
        data = task.get("data") or {}
        labels = data.get("labels")
        if not isinstance(labels, dict) or "city_ref" not in data:
            continue
        g = _graph(str(data["city_ref"]), data_dir, graphs)
        width, height = int(data["width"]), int(data["height"])
        points: dict[str, list[tuple[str, float, float]]] = defaultdict(list)
        twice: set[tuple[str, str]] = set()
        provenance = []
        for a in sorted(task.get("annotations") or [], key=lambda a: a.get("id") or 0):
            who = users.get(a.get("completed_by"), f"user {a.get('completed_by')}")
            if res is not None:
                res.annotations += 1
            if a.get("was_cancelled"):
                if res is not None:
                    res.skipped += 1
                    res.per_annotator[who]["skipped"] += 1
                continue
            result = a.get("result") or []
            errors = validate_result(interface, result)
            if errors:
                conflicts.append({"city": g.city, "annotator": who, "annotation_id": a.get("id"), "errors": errors})
                if res is not None:
                    res.invalid += 1
                    res.per_annotator[who]["invalid"] += 1
                continue
            texts = {
                r.get("id"): "\n".join((r.get("value") or {}).get("text") or []).strip()
                for r in result
                if r.get("from_name") == "new_station"
            }
            mine: dict[str, tuple[float, float]] = {}
            placed = 0
            for r in result:
                v = r.get("value") or {}
                if r.get("from_name") == "missing_lines":
                    for line in "\n".join(v.get("text") or []).splitlines():
                        if line.strip():
                            proposals.append(
                                {
                                    "kind": "line",
                                    "city": g.city,
                                    "text": line.strip(),
                                    "annotator": who,
                                    "annotation_id": a.get("id"),
                                    "task_id": task.get("id"),
                                }
                            )
                    continue
                if r.get("type") != "keypointlabels" or not v.get("keypointlabels"):
                    continue
                x = float(v["x"]) * width / 100.0
                y = float(v["y"]) * height / 100.0
                label = v["keypointlabels"][0]
                if label == MISSING_STATION:
                    text = texts.get(r.get("id"), "")
                    name, _, lines = text.partition(";")
                    proposals.append(
                        {
                            "kind": "station",
                            "city": g.city,
                            "name": name.strip(),
                            "lines": [s.strip() for s in lines.split(",") if s.strip()],
                            "center": [round(x, 2), round(y, 2)],
                            "annotator": who,
                            "annotation_id": a.get("id"),
                            "task_id": task.get("id"),
                        }
                    )
                    continue
                sid = labels.get(label)
                if sid is None:
                    continue  # validate_result refuses labels outside the config
                if sid in mine:
                    twice.add((sid, who))
                mine[sid] = (x, y)
                placed += 1
            for sid, (x, y) in mine.items():
                points[sid].append((who, x, y))
            if res is not None:
                res.per_annotator[who]["keypoints"] += placed
            provenance.append(
                {
                    "annotator": who,
                    "annotation_id": a.get("id"),
                    "created_at": a.get("created_at"),
                    "updated_at": a.get("updated_at"),
                    "keypoints": placed,
                }
            )
        stations = []
        for sid in sorted(points):
            pts = [p for p in points[sid] if (sid, p[0]) not in twice]
            if sid not in g.stations:
                conflicts.append({"city": g.city, "station": sid, "why": "the station is no longer in the graph"})
                continue
            for who in sorted({w for s, w in twice if s == sid}):
                conflicts.append(
                    {
                        "city": g.city,
                        "station": sid,
                        "annotator": who,
                        "why": "placed twice by one annotator (both points ignored)",
                    }
                )
            if not pts:
                continue
            cx = statistics.median(p[1] for p in pts)
            cy = statistics.median(p[2] for p in pts)
            spread = max(math.dist((cx, cy), (p[1], p[2])) for p in pts)
            if spread > tolerance:
                conflicts.append(
                    {
                        "city": g.city,
                        "station": sid,
                        "name": g.stations[sid].name,
                        "why": f"annotators' points are {spread:.0f} px apart (tolerance {tolerance:g})",
                        "points": [[w, round(x, 2), round(y, 2)] for w, x, y in pts],
                    }
                )
                continue
            stations.append(
                {
                    "id": sid,
                    "name": g.stations[sid].name,
                    "center": [round(cx, 2), round(cy, 2)],
                    "annotators": sorted({p[0] for p in pts}),
                    "spread": round(spread, 2),
                }
            )
        stations = _drop_overlaps(stations, marker_radius, conflicts, g.city)
        overlays.append(
            {
                "format": FORMAT,
                "city": g.city,
                "country": g.country,
                "city_ref": str(data["city_ref"]),
                "graph_hash": g.content_hash,
                "figure": str(data["figure"]),
                "image_sha256": str(data["image_sha256"]),
                "width": width,
                "height": height,
                "marker_radius": marker_radius,
                "stations": stations,
                "provenance": {
                    "project": project,
                    "project_id": project_id,
                    "task_id": task.get("id"),
                    "annotations": provenance,
                },
            }
        )
        if res is not None:
            res.by_status["stations placed"] += len(stations)
    if res is not None:
        res.by_status["proposals"] += len(proposals)
        res.by_status["conflicts"] += len(conflicts)
    return {"overlays": overlays, "proposals": proposals, "conflicts": conflicts}


def _drop_overlaps(stations: list[dict[str, Any]], r: float, conflicts: list[dict[str, Any]], city: str) -> list:
    bad = set()
    for i, a in enumerate(stations):
        for b in stations[i + 1 :]:
            if math.dist(a["center"], b["center"]) < 2 * r:
                bad.update((a["id"], b["id"]))
                conflicts.append(
                    {
                        "city": city,
                        "station": a["id"],
                        "other": b["id"],
                        "why": f"the two markers overlap (centres closer than {2 * r:g} px)",
                    }
                )
    return [s for s in stations if s["id"] not in bad]


def write_localisation(loc: Mapping[str, Any], target: Path) -> list[str]:
    """Write the overlay(s) (``target``; ``<stem>.<city>.json`` when the project has several maps) and
    ``<stem>.proposals.json`` (proposals and conflicts, for a person to act on); returns the paths."""
    overlays = loc["overlays"]
    if not overlays:
        raise AnnotationError("the localisation project has no map task to pull.")
    written = []
    for ov in overlays:
        path = target if len(overlays) == 1 else target.with_name(f"{target.stem}.{ov['city']}.json")
        write_json(path, ov)
        written.append(str(path))
    prop = target.with_name(f"{target.stem}.proposals.json")
    write_json(
        prop,
        {
            "proposals": loc["proposals"],
            "conflicts": loc["conflicts"],
            "note": "Proposals are never applied: add a station or line to the curation file by hand "
            "(docs/curation.md) once the map confirms it.",
        },
    )
    written.append(str(prop))
    return written


def validate_positions(doc: Any, graph: MetroGraph, *, source: object = "<positions>") -> None:
    """Raise :class:`DataFileError` unless ``doc`` is a valid overlay for ``graph`` (module docstring)."""
    from mapkit.schemas import validate_document

    validate_document(doc, "map-positions", source=source)
    if doc["city"] != graph.city:
        raise DataFileError(
            f"the positions are for {doc['city']!r}, not {graph.city!r}.",
            path=source,
            location="$.city",
            hint=f"Use them with the city they were read off ({doc['city_ref']}), or pull that city's project.",
        )
    seen = set()
    for i, st in enumerate(doc["stations"]):
        where = f"$.stations[{i}]"
        if st["id"] in seen:
            raise DataFileError(f"station {st['id']!r} is listed twice.", path=source, location=where)
        seen.add(st["id"])
        if st["id"] not in graph.stations:
            raise DataFileError(
                f"station {st['id']!r} is not in the curated graph of {graph.city}.",
                path=source,
                location=where,
                hint="Pull the project again, or remove the entry.",
            )
        x, y = st["center"]
        if not (0 <= x <= doc["width"] and 0 <= y <= doc["height"]):
            raise DataFileError(
                f"station {st['id']!r} at ({x}, {y}) is outside the {doc['width']} x {doc['height']} image.",
                path=source,
                location=where,
            )


def load_positions(
    path: str | os.PathLike[str], *, data_dir: Any = None, graphs: Mapping[str, MetroGraph] | None = None
) -> tuple[dict[str, Any], MetroGraph]:
    """Read and validate an overlay; returns it with the curated graph it refers to."""
    doc = load_document(path)
    if not isinstance(doc, dict) or "city_ref" not in doc:
        from mapkit.schemas import validate_document

        validate_document(doc, "map-positions", source=path)
    g = _graph(str(doc["city_ref"]), data_dir, graphs)
    validate_positions(doc, g, source=path)
    return doc, g


def overlay_coords(path: str | os.PathLike[str], graph: MetroGraph) -> dict[str, tuple[float, float]]:
    """The positions of the overlay at ``path``, validated against ``graph``, as layout coordinates.

    Pixels of the real map (x right = east, y down = south) are already in the frame of
    :func:`mapkit.render.layout.layout_city` (``[x east, y south]``, any unit), so they pass unchanged:
    a station the reviewers placed west of another is drawn west of it. An overlay for another city,
    or one naming a station the graph lacks, raises :class:`DataFileError` naming the file and station.

    Example::

        graph = load_city("geneva", data_dir=data)
        render_city(graph, "maps/", coords=overlay_coords("geneva.positions.json", graph))
    """
    doc = load_document(path)
    validate_positions(doc, graph, source=path)
    return {st["id"]: (float(st["center"][0]), float(st["center"][1])) for st in doc["stations"]}


def apply_positions(
    positions: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    data_dir: str | os.PathLike[str] | None = None,
    graphs: Mapping[str, MetroGraph] | None = None,
) -> Path:
    """Copy the real map into ``out_dir/maps/...`` and write its manifest from the overlay; the PNG path."""
    from mapkit.annotations.review import resolve_image
    from mapkit.schemas import validate_document

    from mapkit.data import resolve_data_dir
    from mapkit.render.manifest import MANIFEST_FORMAT, write_manifest

    doc, g = load_positions(positions, data_dir=data_dir, graphs=graphs)
    root = resolve_data_dir(data_dir)
    src = resolve_image("/data/local-files/?d=" + doc["figure"][2:], root)
    if not src.is_file():
        raise DataFileError(f"the real map {src} is missing.", path=positions, hint="Pass --data-dir.")
    if file_sha256(src) != doc["image_sha256"]:
        raise DataFileError(
            f"the map image {src} is not the one the positions were read off (sha256 differs).",
            path=positions,
            hint="Localise the stations on this image again.",
        )
    out = Path(out_dir)
    png = out.joinpath(*doc["figure"][2:].split("/"))
    png.parent.mkdir(parents=True, exist_ok=True)
    tmp = png.with_name(f".{png.name}.tmp")
    shutil.copyfile(src, tmp)
    os.replace(tmp, png)
    r = float(doc["marker_radius"])
    stations = []
    for st in doc["stations"]:
        x, y = st["center"]
        box = [
            round(max(0.0, x - r), 2),
            round(max(0.0, y - r), 2),
            round(min(doc["width"], x + r), 2),
            round(min(doc["height"], y + r), 2),
        ]
        stations.append(
            {
                "id": st["id"],
                "name": g.stations[st["id"]].name,
                "center": [x, y],
                "marker_bbox": box,
                "label_bbox": box,
                "lines": list(g.lines_at(st["id"])),
            }
        )
    manifest = {
        "format": MANIFEST_FORMAT,
        "image": png.name,
        "city": g.city,
        "country": g.country,
        "graph_hash": g.content_hash,
        "width": doc["width"],
        "height": doc["height"],
        "settings": {
            "style": {},
            "style_seed": None,
            "seed": 0,
            "layout": "coords",
            "font": {"family": "(real map)", "file": "", "size": 1},
            "source": "real map, station positions read off by reviewers",
            "positions": {"project": doc["provenance"]["project"], "marker_radius": r, "stations": len(stations)},
        },
        "stations": stations,
        "lines": [],
        "legend": None,
        "figures": {"min_label_height_px": 0, "label_overlaps": 0, "stations_outside": 0, "labels_outside": 0},
        "gate": {"passed": True, "failures": []},
    }
    validate_document(manifest, "render-manifest", source=png.with_suffix(".json"))
    write_manifest(png.with_suffix(".json"), manifest)
    return png


def generate_on_map(
    png: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    types: Iterable[str] = ("localise", "station_at_point"),
    n_per_type: int = 10,
    seed: int = 0,
    city_ref: str | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    graphs: Mapping[str, MetroGraph] | None = None,
) -> int:
    """Write visual items about the real map at ``png`` (from :func:`apply_positions`) to ``out`` (a JSONL
    file in the folder holding ``maps/``); returns how many. Same inputs, same bytes."""
    from mapkit.questions import get_family
    from mapkit.questions.base import context
    from mapkit.questions.maps import load_render

    out_path = Path(out)
    manifest = load_document(Path(png).with_suffix(".json"))
    ref = city_ref or manifest["city"]
    g = _graph(ref, data_dir, graphs)
    # the families ask about the scene they are given: this graph, asking about the real map
    scene = context(g).with_render(load_render(png, out_path.parent), city_ref=ref)
    items = []
    for t in types:
        fam = get_family(t)
        cfg = fam.config_cls()
        cap = fam.capacity(scene, cfg) or 0
        i = made = 0
        while made < n_per_type and i < cap:
            item = fam.generate(scene, seed, i, cfg)
            i += 1
            if item is not None:
                items.append(item)
                made += 1
    return write_jsonl(out_path, items)
