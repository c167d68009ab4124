"""An hf export that survives being moved, and a card whose claims are checked against the data.

Real items (oslo + geneva, generated through `mapkit generate` itself), real maps, real `datasets` loading
with one cache directory shared across the move, `huggingface_hub`'s own card classes.
"""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import datasets
import pytest
from mapkit.cli.app import main
from PIL import Image

from mapkit.export import export_items
from mapkit.export.card import reproduce_command, validate_card
from mapkit.export.hf import attach_images

GENERATE = ["generate", "--city", "oslo", "--city", "geneva", "--types", "Counting1,TorF1,Counting2", "--n", "4",
            "--seed", "11"]  # fmt: skip


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory, reasonmap_dir: Path) -> dict:
    """Items written by the real CLI, and their hf export (card with a verified Reproduce section)."""
    root = tmp_path_factory.mktemp("portable")
    items = root / "items.jsonl"
    assert main([*GENERATE, "--out", str(items), "--data-dir", str(reasonmap_dir)]) == 0
    out = root / "A" / "hf"
    report = export_items(items, to="hf", out=out, data_dir=reasonmap_dir)
    return {"root": root, "items": items, "out": out, "report": report}


def _load(folder: Path, cache: Path) -> datasets.DatasetDict:
    maps = datasets.load_dataset(str(folder), "maps", split="train", cache_dir=str(cache))
    return attach_images(datasets.load_dataset(str(folder), cache_dir=str(cache)), maps)


def test_export_loads_again_after_the_folder_is_moved(tmp_path: Path, generated: dict) -> None:
    """Export, load, move the folder (the old place is gone), load from the new place with the same cache:
    every row and every image comes back (the image-folder layout failed here with FileNotFoundError)."""
    a = tmp_path / "A"
    shutil.copytree(generated["out"], a / "hf")
    cache = tmp_path / "cache"
    first = _load(a / "hf", cache)
    ids = sorted([*first["train"]["id"], *first["test"]["id"]])
    sizes = {r["map_id"]: r["image"].size for split in first.values() for r in split}
    assert len(ids) == generated["report"].items_in and set(sizes) == {"norway/oslo", "switzerland/geneva"}

    b = tmp_path / "B"
    shutil.move(a, b)
    assert not a.exists()
    again = _load(b / "hf", cache)
    assert sorted([*again["train"]["id"], *again["test"]["id"]]) == ids
    for split in again.values():
        for r in split:
            assert isinstance(r["image"], Image.Image) and r["image"].size == sizes[r["map_id"]]
            r["image"].load()  # decodes the pixels, not just the header
    # the cached copy holds bytes, not paths: it still works with the folder deleted altogether
    shutil.rmtree(b)
    cached = _load_cached(cache)
    assert cached.size == sizes["norway/oslo"]


def _load_cached(cache: Path) -> Image.Image:
    """The oslo map from the `datasets` cache alone (the Arrow files the maps config was prepared into)."""
    # <cache>/<folder name>/<config>/<version>/<hash>/<name>-train.arrow: A/hf and B/hf share one entry
    arrows = sorted(cache.glob("*/maps/*/*/*-train.arrow"))
    for arrow in arrows:
        ds = datasets.Dataset.from_file(str(arrow))
        if "image" in ds.column_names and "norway/oslo" in ds["map_id"]:
            ds = ds.cast_column("image", datasets.Image())
            return ds[ds["map_id"].index("norway/oslo")]["image"]
    raise AssertionError(f"no prepared maps config in {cache}")


def test_map_bytes_stored_once_within_the_size_bound(generated: dict, reasonmap_dir: Path) -> None:
    report = generated["report"]
    maps = {m: (reasonmap_dir / "maps" / f"{m}.png").read_bytes() for m in ("norway/oslo", "switzerland/geneva")}
    assert report.image_bytes == sum(len(b) for b in maps.values())
    assert report.size_ratio <= 1.2, report.to_dict()
    import pyarrow.parquet as pq

    rows = pq.read_table(generated["out"] / "maps" / "train-00000-of-00001.parquet").to_pylist()
    assert {r["map_id"]: r["image"]["bytes"] for r in rows} == maps
    assert {r["map_id"]: r["layout"] for r in rows} == {"norway/oslo": "published", "switzerland/geneva": "published"}


def test_card_validates_with_huggingface_hub_and_datasets(generated: dict) -> None:
    from datasets.info import DatasetInfosDict
    from datasets.utils.metadata import MetadataConfigs
    from huggingface_hub import DatasetCard, DatasetCardData
    from huggingface_hub.repocard_data import CardData

    out = generated["out"]
    assert validate_card(out) == []
    card = DatasetCard.load(out / "README.md")
    assert isinstance(card.data, DatasetCardData) and isinstance(card.data, CardData)
    # the round trip through huggingface_hub's own YAML writer is lossless
    assert DatasetCardData(**card.data.to_dict()).to_dict() == card.data.to_dict()
    configs = MetadataConfigs.from_dataset_card_data(card.data)
    assert list(configs) == ["all", "Counting1", "TorF1", "Counting2", "maps"]
    assert configs["all"]["data_files"] == [{"split": "train", "path": "data/*/train-*.parquet"},
                                            {"split": "test", "path": "data/*/test-*.parquet"}]  # fmt: skip
    infos = DatasetInfosDict.from_dataset_card_data(card.data)
    assert infos["all"].splits["test"].num_examples == 12 and infos["maps"].splits["train"].num_examples == 2
    data = card.data.to_dict()
    assert data["language"] == ["en", "fr", "no"]  # Geneva's French and Oslo's Norwegian station names
    readme = (out / "README.md").read_text()
    yaml_part = readme.split("\n---\n", 1)[0]
    assert yaml_part.count("\n") < 300 and "-of-0" not in yaml_part and ".png" not in yaml_part  # no file lists
    # every config loads with datasets, by its glob
    for name in configs:
        ds = datasets.load_dataset(str(out), name, streaming=True)
        assert next(iter(ds[next(iter(ds))]))


def test_card_sections_state_facts_of_this_export(generated: dict) -> None:
    text = (generated["out"] / "README.md").read_text()
    body = text.split("\n---\n", 1)[1]
    quick = body.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert f'load_dataset("{generated["out"]}")' in quick and "<this repo" not in quick
    repro = body.split("## Reproduce", 1)[1].split("\n## ", 1)[0]
    assert "mapkit 0.1.0" in repro and "fscdc/ReasonMap` at `e68dd65`" in repro
    assert "Checked at export" in repro and "seed 11" in repro
    assert repro.count("matches the pin") == 2 and "DIFFERS" not in repro
    limits = body.split("## Limitations", 1)[1].split("\n## ", 1)[0]
    assert "2 of 2 maps are ReasonMap's own images" in limits and "Prompt grammar is inherited" in limits
    assert "Known incomplete graphs" not in limits  # neither oslo nor geneva is listed as incomplete
    for heading in ("## Intended use", "## Out-of-scope uses"):
        assert heading in body


def test_reproduce_command_from_the_card_regenerates_identical_items(
    generated: dict, reasonmap_dir: Path, tmp_path: Path
) -> None:
    command = reproduce_command((generated["out"] / "README.md").read_text())
    assert command is not None and command.startswith("mapkit generate ")
    argv = shlex.split(command)[1:]
    assert argv[argv.index("--seed") + 1] == "11"
    argv[argv.index("--out") + 1] = str(tmp_path / "again.jsonl")
    assert main([*argv, "--data-dir", str(reasonmap_dir)]) == 0
    assert (tmp_path / "again.jsonl").read_bytes() == generated["items"].read_bytes()


def test_card_says_so_when_no_command_reproduces_the_items(
    generated: dict, tmp_path: Path, reasonmap_dir: Path
) -> None:
    lines = generated["items"].read_text().splitlines(keepends=True)
    edited = tmp_path / "edited.jsonl"
    edited.write_text("".join(lines[:3] + [lines[3].replace("Please", "Kindly", 1)] + lines[4:]))
    export_items(edited, to="hf", out=tmp_path / "hf", data_dir=reasonmap_dir)
    text = (tmp_path / "hf" / "README.md").read_text()
    assert reproduce_command(text) is None
    assert (
        "No single `mapkit generate` command reproduces these items: regenerating gave a different item at line 4"
        in text
    )


def test_rendered_maps_are_named_computed_and_gaps_listed(tmp_path: Path, reasonmap_dir: Path) -> None:
    """Auckland has no real map: it is rendered with a computed layout, and its graph is known incomplete."""
    items = tmp_path / "items.jsonl"
    assert main(["generate", "--city", "auckland", "--types", "TorF1", "--n", "2", "--out", str(items),
                 "--data-dir", str(reasonmap_dir)]) == 0  # fmt: skip
    export_items(items, to="hf", out=tmp_path / "hf", data_dir=reasonmap_dir, verify_reproduce=False)
    text = (tmp_path / "hf" / "README.md").read_text()
    limits = text.split("## Limitations", 1)[1].split("\n## ", 1)[0]
    assert "1 of 1 maps were rendered by mapkit with a layout computed" in limits and "(auckland)" in limits
    assert "auckland: no Onehunga Line" in limits
    assert "Not checked: regeneration was skipped" in text
    ds = datasets.load_dataset(str(tmp_path / "hf"), "maps", split="train", cache_dir=str(tmp_path / "c"))
    assert ds[0]["layout"] == "schematic" and ds[0]["source"] == "rendered"
    assert "mi" in validate_language(tmp_path / "hf")


def validate_language(folder: Path) -> list[str]:
    from huggingface_hub import DatasetCard

    return DatasetCard.load(folder / "README.md").data.to_dict()["language"]


def test_reproduce_with_rendered_maps_and_a_style_seed(tmp_path: Path, reasonmap_dir: Path) -> None:
    """Items drawn against `mapkit generate --render` maps: the command carries --render and the style seed."""
    items = tmp_path / "g" / "items.jsonl"
    args = ["generate", "--city", "toronto", "--types", "localise,TorF1", "--n", "2", "--render", "--style-seed", "3"]
    assert main([*args, "--out", str(items), "--data-dir", str(reasonmap_dir)]) == 0
    export_items(items, to="hf", out=tmp_path / "hf", data_dir=reasonmap_dir)
    text = (tmp_path / "hf" / "README.md").read_text()
    command = reproduce_command(text)
    assert command is not None and "--render --style-seed 3" in command and "Checked at export" in text
    argv = shlex.split(command)[1:]
    argv[argv.index("--out") + 1] = str(tmp_path / "again" / "items.jsonl")
    assert main([*argv, "--data-dir", str(reasonmap_dir)]) == 0
    assert (tmp_path / "again" / "items.jsonl").read_bytes() == items.read_bytes()


def test_the_cards_quick_start_code_runs(generated: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both snippets of the quick start (with mapkit's join, and plain `datasets`) run as printed."""
    import re

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "cache")
    text = (generated["out"] / "README.md").read_text()
    quick = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", quick, flags=re.S)
    assert len(blocks) == 2
    for code in blocks:
        scope: dict = {}
        exec(compile(code, "quick-start", "exec"), scope)  # noqa: S102 - the card's own example code
        assert isinstance(scope["ds"]["train"][0]["image"], Image.Image)
        assert list(scope["ds"]["test"]["id"])  # column access works through the join too
