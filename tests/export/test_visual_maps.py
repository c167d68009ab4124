"""Visual items (localise, line_colour, station_at_point) export with the exact image they ask about."""

from __future__ import annotations

import hashlib
import json

import pytest

from mapkit.errors import ExportError
from mapkit.export import export_items
from mapkit.generate import write_items


@pytest.fixture(scope="module")
def rendered_items(tmp_path_factory, reasonmap_dir):
    folder = tmp_path_factory.mktemp("visual")
    items = folder / "items.jsonl"
    write_items(items, ["rome"], types=["localise", "TorF1"], n_per_type=4, render=True, data_dir=reasonmap_dir)
    return items


def test_export_uses_the_render_beside_the_items_not_the_real_map(rendered_items, reasonmap_dir, tmp_path):
    report = export_items(rendered_items, to="reasonmap-plus", out=tmp_path / "rmp", data_dir=reasonmap_dir)
    (source,) = report.maps.values()
    assert source == "rendered"  # rome has a real map in the data dir; the items' own render wins
    rows = [json.loads(line) for line in rendered_items.read_text().splitlines()]
    (pin,) = {r["mapkit"]["gold"]["map"]["image_sha256"] for r in rows if r["type"] == "localise"}
    exported = tmp_path / "rmp" / "maps" / "italy" / "rome.png"
    assert "sha256:" + hashlib.sha256(exported.read_bytes()).hexdigest() == pin


def test_an_image_other_than_the_pinned_one_is_refused(rendered_items, reasonmap_dir, tmp_path):
    real = reasonmap_dir / "maps" / "italy" / "rome.png"
    with pytest.raises(ExportError, match="not the map its items ask about"):
        export_items(rendered_items, to="hf", out=tmp_path / "hf", data_dir=reasonmap_dir, images={"rome": real})
