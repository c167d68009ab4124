"""Sharded output (`generate --parts`): parts that concatenate to the one-process file, read directly by
validate and export with the results of the one file; incomplete or changed folders are refused."""

from __future__ import annotations

import json
import shutil

import pytest
from mapkit.cli.app import main

from mapkit import parallel
from mapkit.errors import ConfigError, DataFileError
from mapkit.generate import write_items
from mapkit.shardset import MANIFEST, ShardSet, ShardWriter, item_lines, items_sha256, read_items
from mapkit.validate import validate_items

CITIES = ["new_york", "miami", "synthetic:3"]  # Miami offers few questions: shortfalls and top-ups


def _summary(s) -> dict:
    d = s.to_dict()
    del d["seconds"], d["path"]
    return d


def _report(rep) -> dict:
    d = rep.to_dict()
    del d["seconds"], d["items_per_second"], d["path"]
    return d


@pytest.fixture
def small_shards(monkeypatch):
    monkeypatch.setattr(parallel, "SHARD_ITEMS", 7)  # entries split over several parts, skips topped up


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_parts_concatenate_to_the_one_process_file(tmp_path, reasonmap_dir, small_shards, fmt):
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    one = tmp_path / "one.jsonl"
    s1 = write_items(one, CITIES, n_per_type=25, seed=5, data_dir=reasonmap_dir, workers=1)
    for w in (1, 3):
        d = tmp_path / f"{fmt}-{w}"
        s = write_items(d, CITIES, n_per_type=25, seed=5, data_dir=reasonmap_dir, workers=w, parts=fmt)
        assert _summary(s) == _summary(s1)
        shards = ShardSet.open(d)
        names = [p.name for p in shards.parts]
        assert names == [f"part-{k:05d}.{fmt}" for k in range(len(names))] and len(names) > 20
        assert sorted(p.name for p in d.iterdir()) == sorted([*names, MANIFEST])  # no temp file or token left
        assert "".join(item_lines(d)).encode() == one.read_bytes()
        assert items_sha256(d) == items_sha256(one) and shards.jsonl_bytes == one.stat().st_size
        assert shards.items == s1.total == sum(p.items for p in shards.parts)
        gen = shards.generation
        assert gen["seed"] == 5 and gen["cities"] == CITIES and gen["n_per_type"] == 25
    if fmt == "jsonl":
        joined = b"".join(
            (tmp_path / "jsonl-3" / p.name).read_bytes() for p in ShardSet.open(tmp_path / "jsonl-3").parts
        )
        assert joined == one.read_bytes()
        # the manifest and every part are the same for 1 and 3 workers
        for f in (tmp_path / "jsonl-1").iterdir():
            assert f.read_bytes() == (tmp_path / "jsonl-3" / f.name).read_bytes()


def test_rendered_maps_live_in_the_folder(tmp_path, small_shards):
    one = tmp_path / "file" / "items.jsonl"
    write_items(one, ["synthetic:3"], n_per_type=10, seed=2, render=True, workers=1)
    d = tmp_path / "sharded"
    s = write_items(d, ["synthetic:3"], n_per_type=10, seed=2, render=True, workers=2, parts="jsonl")
    assert s.maps == ["./maps/synthetic/synthetic-3.png"]
    assert (d / "maps" / "synthetic" / "synthetic-3.png").read_bytes() == (
        tmp_path / "file" / "maps" / "synthetic" / "synthetic-3.png"
    ).read_bytes()
    assert "".join(item_lines(d)).encode() == one.read_bytes()
    assert ShardSet.open(d).generation["render"] is True
    rep = validate_items(d)  # the visual families re-derive their answers from d/maps/
    assert rep.ok and rep.total == s.total and rep.by_type["line_colour"] == s.by_type["line_colour"] > 0


def test_validate_reads_a_folder_with_the_files_report(items_with_defects, tmp_path, reasonmap_dir):
    """Wrong rows spread over the parts: the same counts, disagreements and line numbers as the one file."""
    one = items_with_defects
    lines = one.read_bytes().split(b"\n")[:-1]
    d = tmp_path / "sharded"
    with ShardWriter(d, "jsonl") as w:
        for k in range(0, len(lines), 37):
            w.add(b"".join(line + b"\n" for line in lines[k : k + 37]))
        w.commit({"seed": 1})
    shutil.copytree(tmp_path / "maps", d / "maps")
    want = _report(validate_items(one, data_dir=reasonmap_dir))
    assert want["failing"] == 2 and {x["line"] for x in want["disagreements"]} == {41, 101}
    for workers in (1, 3):
        assert _report(validate_items(d, data_dir=reasonmap_dir, workers=workers)) == want


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_export_of_a_folder_is_the_export_of_the_merged_file(tmp_path, fmt, small_shards, monkeypatch):
    """Every file of the hf export is the same bytes (the card's checksum and verified regeneration included)."""
    pytest.importorskip("datasets")
    from mapkit.export import export_items

    # an export names its source and its folder: both sides use the same names, in two folders
    d = tmp_path / "a" / "items"
    write_items(d, ["synthetic:3"], n_per_type=8, seed=4, render=True, workers=2, parts=fmt)
    merged = tmp_path / "b" / "items"
    merged.parent.mkdir()
    merged.write_bytes("".join(item_lines(d)).encode())
    shutil.copytree(d / "maps", tmp_path / "b" / "maps")
    reports = {}
    for side in ("a", "b"):
        monkeypatch.chdir(tmp_path / side)
        reports[side] = export_items("items", to="hf", out="hf")
    assert reports["a"].items_in == reports["b"].items_in > 90
    assert reports["a"].row_bytes == reports["b"].row_bytes == merged.stat().st_size
    assert reports["a"].maps == reports["b"].maps == {"synthetic/synthetic-3": "rendered"}

    def files(side):
        root = tmp_path / side / "hf"
        return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}

    a, b = files("a"), files("b")
    assert sorted(a) == sorted(b) and len(a) > 5
    assert [f for f in a if a[f] != b[f]] == []
    assert b"byte for byte" in a["README.md"]


def test_an_unfinished_or_changed_folder_is_refused(tmp_path):
    d = tmp_path / "items"
    write_items(d, ["synthetic:3"], types=["TorF1"], n_per_type=30, parts="jsonl")
    manifest = (d / MANIFEST).read_bytes()
    (d / MANIFEST).unlink()  # as a run stopped before its last step leaves it
    for read in (lambda: list(read_items(d)), lambda: validate_items(d)):
        with pytest.raises(DataFileError, match="not a complete sharded output: manifest.json is missing"):
            read()
    (d / MANIFEST).write_bytes(manifest)
    assert len(list(read_items(d))) == 30
    part = d / "part-00000.jsonl"
    data = part.read_bytes()
    part.write_bytes(data.replace(b'"yes"', b'"nop"', 1))  # same size, other bytes
    assert part.read_bytes() != data
    with pytest.raises(DataFileError, match="do not match the sha256 in manifest.json"):
        list(read_items(d))
    part.write_bytes(data[:-5])
    with pytest.raises(DataFileError, match="bytes, but manifest.json lists"):
        ShardSet.open(d)
    (d / "part-00000.jsonl").unlink()
    with pytest.raises(DataFileError, match="part-00000.jsonl: missing"):
        ShardSet.open(d)


def test_writing_clears_an_old_output_and_refuses_a_foreign_folder(tmp_path, small_shards):
    d = tmp_path / "items"
    write_items(d, ["synthetic:3"], types=["TorF1"], n_per_type=30, parts="jsonl")
    n_old = len(ShardSet.open(d).parts)
    write_items(d, ["synthetic:3"], types=["TorF1"], n_per_type=10, parts="jsonl")
    assert len(ShardSet.open(d).parts) < n_old and len(list(d.iterdir())) == len(ShardSet.open(d).parts) + 1
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="holds files that are not a sharded output"):
        write_items(other, ["synthetic:3"], types=["TorF1"], n_per_type=3, parts="jsonl")
    assert [p.name for p in other.iterdir()] == ["notes.txt"]
    with pytest.raises(ConfigError, match="`parts` must be one of jsonl, parquet"):
        write_items(tmp_path / "x", ["synthetic:3"], types=["TorF1"], n_per_type=3, parts="csv")


def test_an_error_mid_run_leaves_no_manifest_and_no_parts(tmp_path, small_shards, monkeypatch):
    d = tmp_path / "items"
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    real = parallel._run_shard
    monkeypatch.setattr(parallel, "_run_shard", failing)
    with pytest.raises(KeyboardInterrupt):
        write_items(d, ["synthetic:3"], types=["TorF1"], n_per_type=40, parts="jsonl", workers=1)
    assert list(d.iterdir()) == []


def test_cli_generate_parts_then_validate_and_export_the_folder(tmp_path, capsys):
    d = tmp_path / "run"
    assert main(["generate", "--city", "demo", "--types", "TorF1,Counting2", "--n", "12", "--parts", "jsonl",
                 "--out", str(d), "--workers", "2"]) == 0  # fmt: skip
    assert (d / MANIFEST).is_file()
    capsys.readouterr()
    assert main(["validate", str(d), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["ok"] is True and rep["total"] == 24
    assert main(["export", str(d), "--to", "sharegpt", "--out", str(tmp_path / "sft")]) == 0
    assert len(json.loads((tmp_path / "sft" / "train.json").read_text())) == 24
    (d / MANIFEST).unlink()
    capsys.readouterr()
    assert main(["validate", str(d)]) != 0
    assert "manifest.json is missing" in capsys.readouterr().err
