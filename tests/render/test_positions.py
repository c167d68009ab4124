"""Station positions from outside the graph (a reviewed positions overlay, a native file's coordinates)
turn and place the render layout: what is west on the real map is west in the render."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mapkit.annotations.localisation import overlay_coords, validate_positions
from mapkit.cli.app import main

from mapkit.errors import DataFileError
from mapkit.graph import MetroGraph
from mapkit.render import layout_city, load_manifest, render_city
from mapkit.sources import load_city

# far apart in the default layout of `accents` (checked below), so their order is no accident
PAIRS = [("s6", "s11"), ("s5", "s7"), ("s4", "s2"), ("s0", "s10")]


def _city_file(graph: MetroGraph, tmp_path: Path) -> Path:
    path = tmp_path / "accentville.json"
    path.write_text(json.dumps(graph.to_dict(), ensure_ascii=False), encoding="utf-8")
    return path


def _overlay(graph: MetroGraph, centers: dict[str, tuple[float, float]], city: str | None = None) -> dict:
    """An overlay in the format `mapkit annotate pull` writes (schemas/map-positions.schema.json)."""
    return {
        "format": "mapkit.map-positions/1",
        "city": city or graph.city,
        "country": graph.country,
        "city_ref": city or graph.city,
        "graph_hash": graph.content_hash,
        "figure": "./maps/nowhere/accentville.png",
        "image_sha256": "sha256:" + "0" * 64,
        "width": 1000,
        "height": 800,
        "marker_radius": 10.0,
        "stations": [
            {
                "id": sid,
                "name": graph.stations.get(sid).name if sid in graph.stations else sid,
                "center": [x, y],
                "annotators": ["ann@example.org"],
                "spread": 0.0,
            }
            for sid, (x, y) in centers.items()
        ],
        "provenance": {"project": "accentville positions", "task_id": 1, "annotations": []},
    }


def _mirrored(graph: MetroGraph, ids: list[str]) -> dict[str, tuple[float, float]]:
    """Pixel positions of ``ids``: the default layout mirrored east-west, scaled onto a 1000 x 800 image."""
    P = layout_city(graph).positions
    xmax = max(P[s][0] for s in ids)
    return {s: (round(40 + 90 * (xmax - P[s][0]), 1), round(40 + 90 * P[s][1], 1)) for s in ids}


def _west_of(pos: dict, a: str, b: str) -> bool:
    return pos[a][0] < pos[b][0]


def test_partial_overlay_mirrors_the_computed_layout(accents):
    hinted = sorted({s for p in PAIRS for s in p})
    plain = layout_city(accents).positions
    centers = _mirrored(accents, hinted)
    validate_positions(_overlay(accents, centers), accents)
    turned = layout_city(accents, coords=centers).positions
    for a, b in PAIRS:
        assert abs(plain[a][0] - plain[b][0]) > 1.0  # far apart, so the order says something
        # the overlay has them the other way round; the layout follows the overlay, not its old self
        assert _west_of(centers, a, b) != _west_of(plain, a, b)
        assert _west_of(turned, a, b) == _west_of(centers, a, b)
    assert layout_city(accents, coords=centers).method == "schematic"  # some stations only: still computed
    assert accents.content_hash == _overlay(accents, centers)["graph_hash"]  # the graph itself is unchanged


def test_cli_render_follows_the_overlay(accents, tmp_path, capsys):
    city = _city_file(accents, tmp_path)
    hinted = sorted({s for p in PAIRS for s in p})
    centers = _mirrored(accents, hinted)
    overlay = tmp_path / "accentville.positions.json"
    overlay.write_text(json.dumps(_overlay(accents, centers)), encoding="utf-8")
    plain_dir, geo_dir = tmp_path / "plain", tmp_path / "geo"
    assert main(["render", "--city", str(city), "--out", str(plain_dir)]) == 0
    assert main(["render", "--city", str(city), "--out", str(geo_dir), "--positions", str(overlay)]) == 0
    capsys.readouterr()
    plain, geo = (
        {s["id"]: s["center"] for s in load_manifest(d / "accentville.json")["stations"]} for d in (plain_dir, geo_dir)
    )
    for a, b in PAIRS:
        assert _west_of(geo, a, b) == _west_of(centers, a, b) != _west_of(plain, a, b)
    # the drawn graph is the curated one: items generated on this render pin the same graph hash
    assert load_manifest(geo_dir / "accentville.json")["graph_hash"] == accents.content_hash


def test_overlay_of_every_station_is_drawn_as_placed(accents, tmp_path):
    # a real map's positions for every station: no computed layout, the pixels' shape is kept
    centers = {sid: (100.0 + 70 * (i % 4), 100.0 + 70 * (i // 4)) for i, sid in enumerate(accents.stations)}
    path = tmp_path / "all.positions.json"
    path.write_text(json.dumps(_overlay(accents, centers)), encoding="utf-8")
    res = render_city(accents, tmp_path / "out", coords=overlay_coords(path, accents))
    m = load_manifest(res.manifest_path)
    assert m["settings"]["layout"] == "coords"
    drawn = {s["id"]: s["center"] for s in m["stations"]}
    for a in centers:
        for b in centers:
            for k in (0, 1):  # east-west and north-south order both kept
                if centers[a][k] < centers[b][k]:
                    assert drawn[a][k] < drawn[b][k], (a, b, k)


def test_native_city_coordinates_turn_the_layout_the_same_way(accents, tmp_path):
    """A mapkit city file with coordinates for a few stations: the same hints as an overlay."""
    hinted = sorted({s for p in PAIRS for s in p})
    centers = _mirrored(accents, hinted)
    doc = accents.to_dict()
    for st in doc["stations"]:
        if st["id"] in centers:
            st["coords"] = list(centers[st["id"]])
    path = tmp_path / "accentville.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    native = load_city(str(path))
    assert sum(s.coords is not None for s in native.stations.values()) == len(hinted)
    assert layout_city(native).positions == layout_city(accents, coords=centers).positions


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda g, d: d["stations"].append(dict(d["stations"][0], id="atlantis")), "'atlantis'"),
        (lambda g, d: d.update(city="Zurich", city_ref="zurich"), "the positions are for 'Zurich'"),
        (lambda g, d: d.pop("graph_hash"), "graph_hash"),
    ],
    ids=["unknown-station", "other-city", "not-schema-valid"],
)
def test_bad_overlay_is_a_clear_error(accents, tmp_path, capsys, change, expected):
    city = _city_file(accents, tmp_path)
    doc = _overlay(accents, {"s0": (10.0, 10.0), "s4": (900.0, 10.0)})
    change(accents, doc)
    overlay = tmp_path / "bad.positions.json"
    overlay.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(DataFileError):
        overlay_coords(overlay, accents)
    code = main(["render", "--city", str(city), "--out", str(tmp_path / "out"), "--positions", str(overlay)])
    err = capsys.readouterr().err
    assert code != 0
    assert "Traceback" not in err
    flat = " ".join(err.split())
    assert expected in flat and "bad.positions.json" in flat
    assert not (tmp_path / "out" / "accentville.png").exists()


def test_all_cities_refuses_positions(tmp_path, capsys):
    code = main(["render", "--all-cities", "--out", str(tmp_path), "--positions", str(tmp_path / "x.json")])
    assert code != 0 and "--positions" in " ".join(capsys.readouterr().err.split())
