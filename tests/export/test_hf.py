"""The hf folder: loads with `datasets` with typed features, images stored once, a valid card."""

from __future__ import annotations

import io
import json
from pathlib import Path

import datasets
import pyarrow.parquet as pq
import pytest
from PIL import Image

from mapkit.export import export_items
from mapkit.export.card import validate_card
from mapkit.export.hf import attach_images, item_from_row

from .helpers import TOY_TYPES, canonical, write_items


@pytest.fixture(scope="module")
def hf_dir(toy_session: dict) -> Path:
    out = toy_session["tmp"] / "hf"
    export_items(toy_session["items"], to="hf", out=out, images=toy_session["images"], pretty_name="Toy maps")
    return out


def test_default_config_loads_every_type_with_typed_features(hf_dir: Path, toy_session: dict, hf_cache: str) -> None:
    maps = datasets.load_dataset(str(hf_dir), "maps", split="train", cache_dir=hf_cache)
    ds = attach_images(datasets.load_dataset(str(hf_dir), cache_dir=hf_cache), maps)
    assert set(ds) == {"train", "test"} and ds["train"].num_rows == ds["test"].num_rows == 18
    f = ds["train"].features
    assert "image" not in f and f["map_id"] == datasets.Value("string")  # rows carry no image, only map_id
    assert isinstance(f["type"], datasets.ClassLabel) and f["type"].names[:6] == list(TOY_TYPES)
    assert f["difficulty_city"].names == ["easy", "middle", "hard"]
    assert f["difficulty_question"].names == ["easy", "medium", "hard"]
    assert f["answer"] == datasets.Value("int64") and f["weight"] == datasets.Value("float64")
    assert f["gold"]["TorF1"] == {"lines": datasets.List(datasets.Value("string")), "same_line": datasets.Value("bool")}
    assert isinstance(f["gold"]["planning"]["routes"], datasets.List)
    row = next(r for r in ds["test"] if r["id"] == "toytown:TorF1:0:1")
    assert isinstance(row["image"], Image.Image) and row["image"].size == (60, 80)
    assert row["gold"]["TorF1"] == {"lines": ["red"], "same_line": True} and row["gold"]["Counting1"] is None
    # the canonical item comes back exactly (key order included) from any row
    by_id = {r["id"]: r for r in toy_session["rows"]}
    for split in ("train", "test"):
        for r in ds[split]:
            item = item_from_row(r, ds[split].features)
            assert json.dumps(item) == json.dumps(by_id[r["id"]])


def test_family_and_maps_configs(hf_dir: Path, hf_cache: str) -> None:
    c1 = datasets.load_dataset(str(hf_dir), "Counting1", split="test", cache_dir=hf_cache)
    assert c1.num_rows == 3 and {c1.features["type"].int2str(t) for t in c1["type"]} == {"Counting1"}
    maps = datasets.load_dataset(str(hf_dir), "maps", split="train", cache_dir=hf_cache)
    assert sorted(maps["map_id"]) == ["nowhere/toytown", "nowhere/toyville"]
    m = maps[maps["map_id"].index("nowhere/toyville")]
    assert m["image"].size == (80, 60) and m["splits"] == ["train"] and m["source"] == "given"
    assert m["layout"] == "unknown"
    assert m["width"] == 80 and m["items"] == 18 and m["sha256"].startswith("sha256:")


def test_shards_carry_map_ids_and_each_map_is_stored_once(hf_dir: Path, toy_session: dict) -> None:
    shards = sorted(p.relative_to(hf_dir).as_posix() for p in (hf_dir / "data").rglob("*.parquet"))
    assert len(shards) == 12 and "data/Counting1/test-00000-of-00001.parquet" in shards  # 6 types x 2 splits
    for shard in shards:
        t = pq.read_table(hf_dir / shard)
        assert "map_id" in t.column_names and not {"image", "file_name"} & set(t.column_names)
    assert not list(hf_dir.rglob("*.png"))[1:]  # only assets/histogram.png: maps live inside Parquet
    maps = pq.read_table(hf_dir / "maps" / "train-00000-of-00001.parquet").to_pylist()
    assert [m["map_id"] for m in maps] == ["nowhere/toytown", "nowhere/toyville"]
    for m in maps:  # the PNG bytes, exactly those of the given image
        assert m["image"]["bytes"] == toy_session["images"][m["city"]].read_bytes()


def test_attach_images_to_plain_parquet_rows(hf_dir: Path, hf_cache: str) -> None:
    files = str(hf_dir / "data" / "TorF2" / "train-*.parquet")
    rows = datasets.load_dataset("parquet", data_files=files, split="train", cache_dir=hf_cache)
    assert "image" not in rows.column_names
    with_folder = attach_images(rows, hf_dir)
    assert with_folder[0]["image"].size == (80, 60)
    maps = datasets.load_dataset(str(hf_dir), "maps", split="train", cache_dir=hf_cache)
    assert attach_images(rows, maps)[0]["image"].size == (80, 60)


def test_card_metadata_validates_and_documents(hf_dir: Path) -> None:
    from huggingface_hub import DatasetCard

    assert validate_card(hf_dir) == []
    card = DatasetCard.load(hf_dir / "README.md")
    data = card.data.to_dict()
    assert data["license"] == "mit" and data["pretty_name"] == "Toy maps"
    assert data["size_categories"] == ["n<1K"] and "visual-question-answering" in data["task_categories"]
    assert [c["config_name"] for c in data["configs"]] == ["all", *TOY_TYPES, "maps"]
    # every config is one glob per split, not a list of files
    assert all(isinstance(df["path"], str) and "*" in df["path"] for c in data["configs"] for df in c["data_files"])
    assert {i["config_name"] for i in data["dataset_info"]} == {"maps", "all", *TOY_TYPES}
    text = card.text
    for needle in ("## Question types", "### Counting1", "## Counts", "## Cities", "assets/histogram.png",
                   "How answers were derived and validated", "arXiv:2505.18675", "arXiv:2510.02240",
                   "attach_images", "## Reproduce", "## Intended use", "## Out-of-scope uses",
                   "## Limitations"):  # fmt: skip
        assert needle in text
    png = Image.open(io.BytesIO((hf_dir / "assets" / "histogram.png").read_bytes()))
    assert png.format == "PNG" and png.width >= 640


def test_image_once_size_property(tmp_path: Path, hf_cache: str) -> None:
    """Four noisy 256x256 maps shared by 1,200 rows: the folder stays within 1.2x of maps + rows,
    where embedding the map in every row (the published ReasonMap layout) would be ~300x larger."""
    import os

    items, images = [], {}
    for c in range(4):
        city = f"city{c}"
        p = tmp_path / f"{city}.png"
        Image.frombytes("RGB", (256, 256), os.urandom(256 * 256 * 3)).save(p)
        images[city] = p
        for k in range(300):
            it = canonical(city, "nowhere", TOY_TYPES[k % 6], k)
            it["mapkit"]["split"] = "test" if c == 3 else "train"
            items.append(it)
    path = write_items(tmp_path / "items.jsonl", items)
    report = export_items(path, to="hf", out=tmp_path / "hf", images=images)
    unique = sum(p.stat().st_size for p in images.values())
    assert report.image_bytes == unique
    assert report.size_ratio <= 1.2, report.to_dict()
    embedded = sum(images[i["city"]].stat().st_size for i in items)
    assert report.total_bytes * 100 < embedded
    ds = attach_images(datasets.load_dataset(str(tmp_path / "hf"), split="test", cache_dir=hf_cache), tmp_path / "hf")
    assert ds[0]["image"].size == (256, 256)


def test_same_items_same_bytes_whatever_the_hash_seed(toy_session: dict, tmp_path: Path) -> None:
    """Export is deterministic: two processes with different PYTHONHASHSEED write identical folders."""
    import os
    import subprocess
    import sys

    code = (
        "import sys, json; from mapkit.export import export_items; "
        "export_items(sys.argv[1], to='hf', out=sys.argv[2], images=json.loads(sys.argv[3]))"
    )
    images = json.dumps({k: str(v) for k, v in toy_session["images"].items()})
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        (tmp_path / seed).mkdir()
        # the same --out as typed ("hf", relative): the card's quick start names it
        proc = subprocess.run([sys.executable, "-c", code, str(toy_session["items"]), "hf", images],
                              env=env, capture_output=True, text=True, cwd=tmp_path / seed)  # fmt: skip
        assert proc.returncode == 0, proc.stderr

    def files(root: Path) -> dict[str, bytes]:
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}

    a, b = files(tmp_path / "1" / "hf"), files(tmp_path / "2" / "hf")
    assert a.keys() == b.keys() and all(a[k] == b[k] for k in a), [k for k in a if a[k] != b.get(k)]


def test_planning_gold_schema_does_not_depend_on_the_city(load_real) -> None:
    """gold.aliases is keyed by station id: one JSON-text column, not one struct field per station."""
    from mapkit.export.core import merge_sketch, sketch_of
    from mapkit.export.hf import GoldShape
    from mapkit.questions.registry import get_family

    fam = get_family("planning")
    features = []
    for city in ("oslo", "geneva"):
        g = load_real(city)
        items = [it for i in range(60) if (it := fam.generate(g, 3, i, fam.config_cls()))]
        aliased = [it for it in items if it["mapkit"]["gold"].get("aliases")]
        assert aliased  # the items do carry station-keyed aliases (different stations per city)
        sketch: tuple = ("null",)
        for it in items:
            sketch = merge_sketch(sketch, sketch_of(it["mapkit"]["gold"]))
        shape = GoldShape({"planning": sketch})
        features.append(shape.features["planning"])
        gold = aliased[0]["mapkit"]["gold"]
        assert json.loads(shape.value("planning", gold)["planning"]["aliases"]) == gold["aliases"]
    assert features[0] == features[1]
    assert features[0]["aliases"] == datasets.Value("string")
