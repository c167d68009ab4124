"""Scan, splits, leakage refusal, map resolution and the staged output folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mapkit.errors import DataNotFoundError, ExportError, ItemError, LeakageError
from mapkit.export import export_items
from mapkit.export.core import MARKER_FILE, scan_items, split_of

from .helpers import canonical, png, write_items


def test_split_by_city_unless_the_item_names_it() -> None:
    assert split_of(canonical("rome", "italy", "TorF1", 0)) == "test"
    assert split_of(canonical("oslo", "norway", "TorF1", 0)) == "train"
    it = canonical("rome", "italy", "TorF1", 0)
    it["mapkit"]["split"] = "train"
    assert split_of(it) == "train"


def test_scan_counts_types_splits_and_maps(toy_export: dict) -> None:
    scan = scan_items(toy_export["items"])
    assert scan.n_items == 36
    assert scan.split_names == ["train", "test"]
    assert scan.by_type["planning"] == 6 and scan.by_split_type[("test", "Counting1")] == 3
    assert set(scan.maps) == {"nowhere/toyville", "nowhere/toytown"}
    assert scan.gold["TorF1"] == ("struct", {"lines": ("list", ("str",)), "same_line": ("bool",)})
    assert not scan.leakage.leaks


def test_shared_map_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    a, b = canonical("toyville", "nowhere", "TorF1", 0), canonical("toyville", "nowhere", "TorF1", 1)
    a["mapkit"]["split"], b["mapkit"]["split"] = "train", "test"
    items = write_items(tmp_path / "items.jsonl", [a, b])
    images = {"toyville": png(tmp_path / "t.png")}
    with pytest.raises(LeakageError, match=r"1 map\(s\) in several splits \(nowhere/toyville\)"):
        export_items(items, to="sharegpt", out=tmp_path / "out", images=images)
    assert not (tmp_path / "out").exists()
    report = export_items(items, to="sharegpt", out=tmp_path / "out", images=images, allow_leakage=True)
    assert report.leakage.shared_maps == ["nowhere/toyville"]
    assert (tmp_path / "out" / "test.json").is_file()


def test_shared_station_pair_on_two_maps_is_refused(tmp_path: Path) -> None:
    # the same city drawn twice (real + rendered figure): different maps, same question pair
    a = canonical("toyville", "nowhere", "TorF1", 0)
    b = canonical("toyville", "nowhere", "TorF1", 1, figure="./maps/nowhere/toyville_rendered.png")
    b["mapkit"]["station_ids"] = list(reversed(a["mapkit"]["station_ids"]))
    a["mapkit"]["split"], b["mapkit"]["split"] = "train", "test"
    items = write_items(tmp_path / "items.jsonl", [a, b])
    images = {"nowhere/toyville": png(tmp_path / "a.png"), "nowhere/toyville_rendered": png(tmp_path / "b.png")}
    with pytest.raises(LeakageError, match=r"1 station pair\(s\) in several splits \(e\.g\. toyville: a / s0\)"):
        export_items(items, to="verl", out=tmp_path / "out", images=images)


def test_malformed_items_name_the_row(tmp_path: Path) -> None:
    bad = canonical("toyville", "nowhere", "TorF1", 0)
    del bad["answer_text"]
    items = write_items(tmp_path / "items.jsonl", [canonical("toyville", "nowhere", "TorF1", 1), bad])
    with pytest.raises(ItemError, match=r"item 2\): item 'toyville:TorF1:0:0' lacks answer_text"):
        scan_items(items)
    dup = write_items(tmp_path / "dup.jsonl", [canonical("x", "c", "TorF1", 0)] * 2)
    with pytest.raises(ItemError, match="duplicate id"):
        scan_items(dup)
    with pytest.raises(DataNotFoundError):
        scan_items(tmp_path / "missing.jsonl")


def test_missing_map_image_is_an_export_error(tmp_path: Path) -> None:
    items = write_items(tmp_path / "items.jsonl", [canonical("atlantis", "nowhere", "TorF1", 0)])
    with pytest.raises(ExportError, match=r"No map image for 1 map\(s\): nowhere/atlantis"):
        export_items(items, to="easyr1", out=tmp_path / "out", data_dir=tmp_path)


def test_real_map_comes_from_the_data_dir(tmp_path: Path, reasonmap_dir: Path) -> None:
    items = write_items(tmp_path / "items.jsonl", [canonical("oslo", "norway", "TorF1", 0)])
    report = export_items(items, to="easyr1", out=tmp_path / "out", data_dir=reasonmap_dir)
    assert report.maps == {"norway/oslo": "real"}
    copied = tmp_path / "out" / "maps" / "norway" / "oslo.png"
    assert copied.read_bytes() == (reasonmap_dir / "maps" / "norway" / "oslo.png").read_bytes()


def test_out_folder_refused_when_mapkit_did_not_write_it(toy_export: dict) -> None:
    tmp = toy_export["tmp"]
    foreign = tmp / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    for overwrite in (False, True):  # --overwrite only ever replaces an earlier export
        with pytest.raises(ExportError, match="not written by mapkit export .*refusing to write into it"):
            export_items(toy_export["items"], to="sharegpt", out=foreign, images=toy_export["images"],
                         overwrite=overwrite)  # fmt: skip
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"] and (foreign / "notes.txt").read_text() == "mine"
    out = tmp / "sft"
    export_items(toy_export["items"], to="sharegpt", out=out, images=toy_export["images"])
    marker = json.loads((out / MARKER_FILE).read_text())
    assert marker["format"] == "sharegpt" and "train.json" in marker["files"] and MARKER_FILE not in marker["files"]
    assert not [p for p in tmp.iterdir() if p.name.startswith(".sft.")]  # no staging folder left behind


@pytest.fixture(scope="module")
def auckland_items(tmp_path_factory: pytest.TempPathFactory, reasonmap_dir: Path) -> Path:
    """Generated items of a city that has no real map in the data dir."""
    from mapkit.generate import write_items as generate

    path = tmp_path_factory.mktemp("auckland") / "items.jsonl"
    generate(path, ["auckland"], types=["TorF1", "Counting3"], n_per_type=2, data_dir=reasonmap_dir)
    return path


def test_renderer_draws_cities_without_a_real_map(auckland_items: Path, reasonmap_dir: Path, tmp_path: Path) -> None:
    from mapkit.render import render_city
    from mapkit.sources import load_city

    assert not (reasonmap_dir / "maps" / "new_zealand" / "auckland.png").exists()
    report = export_items(auckland_items, to="easyr1", out=tmp_path / "e", data_dir=reasonmap_dir)
    assert report.maps == {"new_zealand/auckland": "rendered"}
    again = render_city(load_city("auckland", data_dir=reasonmap_dir), tmp_path / "r")
    assert (tmp_path / "e" / "maps" / "new_zealand" / "auckland.png").read_bytes() == again.png_path.read_bytes()


def test_maps_dir_of_renders_is_checked_against_the_items_graph(
    auckland_items: Path, reasonmap_dir: Path, tmp_path: Path
) -> None:
    from mapkit.render import render_city
    from mapkit.sources import load_city

    res = render_city(load_city("auckland", data_dir=reasonmap_dir), tmp_path / "renders")
    report = export_items(auckland_items, to="sharegpt", out=tmp_path / "s", images=tmp_path / "renders")
    assert report.maps == {"new_zealand/auckland": "rendered"}
    manifest = json.loads(res.manifest_path.read_text())
    manifest["graph_hash"] = "sha256:" + "0" * 64
    res.manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(ExportError, match="drawn from another graph"):
        export_items(auckland_items, to="sharegpt", out=tmp_path / "s2", images=tmp_path / "renders")


def test_disk_errors_are_export_errors(toy_export: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno
    import shutil

    def full(*a: object, **k: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "out" / "maps"))

    monkeypatch.setattr(shutil, "copyfile", full)
    with pytest.raises(ExportError, match="Cannot write the export to .*: No space left on device"):
        export_items(toy_export["items"], to="sharegpt", out=tmp_path / "out", images=toy_export["images"])
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("answer",), "1", r"\$\.answer must be integer or null"),
        (("difficulty_city",), "medium", r"\$\.difficulty_city must be one of"),
        (("mapkit", "split"), "dev", r"\$\.mapkit\.split must be one of"),
        (("mapkit", "graph_hash"), "", r"\$\.mapkit\.graph_hash must match pattern"),
        (("mapkit", "station_ids"), "a", r"\$\.mapkit\.station_ids must be array"),
    ],
)
def test_export_checks_rows_with_the_item_schema(tmp_path: Path, path: tuple[str, ...], value: Any, message: str):
    """Export runs the schema checker `mapkit validate` runs (mapkit.schemas.checker), naming row and path."""
    bad = canonical("toyville", "nowhere", "TorF1", 0)
    target = bad
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    items = write_items(tmp_path / "items.jsonl", [canonical("toyville", "nowhere", "TorF1", 1), bad])
    with pytest.raises(ItemError, match=r"item 2\): item 'toyville:TorF1:0:0': " + message):
        scan_items(items)
