"""`mapkit export --workers N`: the same folder, byte for byte, for every N; Ctrl-C leaves nothing behind.

The work that is shared out: turning items into rows (Arrow tables or JSON text, every format), drawing
maps no image was found for (every format), and, for hf, the regeneration that checks the card's
Reproduce section (its maps drawn on the workers too).
"""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import pytest
from mapkit.cli.app import main

from mapkit.errors import ExportError
from mapkit.export import FORMATS, export_items
from mapkit.generate import write_items

CITIES = ["synthetic:3", "synthetic:5"]  # no real map: an export without the renders beside draws them


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Items drawn against `generate --render` maps (visual families pin the render's bytes)."""
    items = tmp_path_factory.mktemp("rendered") / "items.jsonl"
    write_items(items, CITIES, types=["TorF1", "localise", "Counting2"], n_per_type=4, seed=3, render=True, workers=2)
    return items


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Items without maps beside them: every export has to draw both maps."""
    items = tmp_path_factory.mktemp("plain") / "items.jsonl"
    write_items(items, CITIES, types=["TorF1", "Counting2", "planning", "lines_at"], n_per_type=5, seed=1)
    return items


def test_hf_folder_is_identical_for_1_2_and_3_workers(tmp_path: Path, rendered: Path) -> None:
    """Parquet shards, maps config, card (with its verified Reproduce section), histogram and marker."""
    got = {}
    for w in (1, 2, 3):
        out = tmp_path / f"w{w}" / "hf"  # the same folder name: the card's quick start names it
        export_items(rendered, to="hf", out=out, repo_id="me/mapkit", workers=w)
        got[w] = _files(out)
    assert got[1] == got[2] == got[3]
    assert any(f.startswith("data/localise/") and f.endswith(".parquet") for f in got[1])
    assert "maps/train-00000-of-00001.parquet" in got[1]
    card = got[1]["README.md"].decode()
    assert "Checked at export: running this `mapkit generate` gave `items.jsonl` byte for byte" in card


def test_drawn_maps_are_identical_for_every_format(tmp_path: Path, plain: Path) -> None:
    for fmt in FORMATS:
        got = {}
        for w in (1, 3):
            out = tmp_path / fmt / f"w{w}" / "out"
            opts = {"image_root": "."} if fmt == "verl" else {"repo_id": "me/mapkit"} if fmt == "hf" else {}
            report = export_items(plain, to=fmt, out=out, workers=w, **opts)
            assert sorted(set(report.maps.values())) == ["rendered"], fmt
            summary = {k: v for k, v in report.to_dict().items() if k not in ("seconds", "out")}
            got[w] = (_files(out), summary)
        assert got[1] == got[3], fmt
        if fmt == "reasonmap-plus":  # items without an integer answer are left out, and counted
            assert got[1][1]["skipped"] and got[1][1]["items_written"] < got[1][1]["items_in"]


def test_a_mismatched_regeneration_is_reported_the_same_for_every_n(tmp_path: Path, rendered: Path) -> None:
    """An edited item: the card names the same first differing line whatever the number of workers."""
    lines = rendered.read_text(encoding="utf-8").splitlines(keepends=True)
    row = json.loads(lines[9])
    row["question"] += " "
    lines[9] = json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n"
    edited = tmp_path / "e" / "items.jsonl"
    edited.parent.mkdir()
    edited.write_text("".join(lines), encoding="utf-8")
    shutil.copytree(rendered.parent / "maps", edited.parent / "maps")
    cards = []
    for w in (1, 2):
        export_items(edited, to="hf", out=tmp_path / f"w{w}" / "hf", repo_id="me/mapkit", workers=w)
        cards.append((tmp_path / f"w{w}" / "hf" / "README.md").read_text(encoding="utf-8"))
    assert cards[0] == cards[1]
    assert f"regenerating gave a different item at line 10 ({row['id']})" in cards[0]


def test_an_error_in_a_worker_reaches_the_user_whole(tmp_path: Path, plain: Path) -> None:
    """A map drawn in a worker from a graph that changed since: the ExportError keeps its hint."""
    rows = [json.loads(line) for line in plain.read_text(encoding="utf-8").splitlines()]
    for r in rows:
        if r["city"] == "synthetic-5" or r["mapkit"].get("city_ref") == "synthetic:5":
            r["mapkit"]["graph_hash"] = "sha256:" + "0" * 64
    bad = tmp_path / "items.jsonl"
    bad.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    with pytest.raises(ExportError, match="changed since the items were generated") as caught:
        export_items(bad, to="sharegpt", out=tmp_path / "out", workers=2)
    assert caught.value.hint and "--image" in caught.value.hint
    assert not (tmp_path / "out").exists()
    again = pickle.loads(pickle.dumps(caught.value))
    assert (type(again), again.message, again.hint) == (ExportError, caught.value.message, caught.value.hint)


def test_workers_must_be_positive(tmp_path: Path, plain: Path, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(Exception, match="`workers` must be 1 or more"):
        export_items(plain, to="hf", out=tmp_path / "never", workers=0)
    assert main(["export", str(plain), "--to", "hf", "--out", str(tmp_path / "never"), "--workers", "0"]) == 2
    assert "--workers must be 1 or more" in capsys.readouterr().err
    assert not (tmp_path / "never").exists()


def test_ctrl_c_leaves_no_partial_output(tmp_path: Path, reasonmap_dir: Path, interrupted) -> None:
    """SIGINT while the workers redraw the maps for the Reproduce check: exit 130, no folder, no temp files."""
    items = tmp_path / "in" / "items.jsonl"
    write_items(items, ["beijing", "shanghai", "singapore"], types=["TorF1"], n_per_type=20, render=True,
                data_dir=reasonmap_dir, workers=2)  # fmt: skip
    scratch = tmp_path / "tmp"
    scratch.mkdir()

    def regenerating() -> bool:
        # the regeneration's folder: the Parquet files are staged, the workers are drawing the maps again
        return bool(list(scratch.glob("mapkit-reproduce-*")))

    code, err = interrupted(
        ["export", str(items), "--to", "hf", "--out", str(tmp_path / "hf"), "--workers", "2"],
        {"MAPKIT_DATA": str(reasonmap_dir), "TMPDIR": str(scratch)}, regenerating,
    )  # fmt: skip
    assert code == 130, err[-2000:]
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "tmp"]
    assert list(scratch.iterdir()) == []


def test_rows_cut_across_ranges_give_the_same_parquet_bytes(tmp_path: Path, plain: Path, monkeypatch) -> None:
    """Tiny ranges, row groups and shards: a (type, split)'s rows come from many ranges and workers, its
    files still hold the row groups that writing row by row cuts (and the same bytes for every N)."""
    from mapkit.export import hf, rows

    monkeypatch.setattr(rows, "RANGE_BYTES", 3000)
    monkeypatch.setattr(hf, "BATCH_ROWS", 3)
    assert len(rows.item_ranges(plain)) >= 8
    got = {}
    for w in (1, 2, 3):
        out = tmp_path / f"w{w}" / "hf"
        export_items(plain, to="hf", out=out, repo_id="me/mapkit", workers=w, rows_per_shard=4,
                     verify_reproduce=False)  # fmt: skip
        got[w] = _files(out)
    assert got[1] == got[2] == got[3]
    assert "data/TorF1/train-00002-of-00003.parquet" in got[1]


def test_add_table_cuts_the_row_groups_of_add(tmp_path: Path, monkeypatch) -> None:
    """The Arrow path against the row-by-row one, tables of every size against batch 4 and shards of 10."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from mapkit.export import hf

    monkeypatch.setattr(hf, "BATCH_ROWS", 4)
    schema = pa.schema([("id", pa.string()), ("n", pa.int64())])
    rows = [{"id": f"r{i}", "n": i} for i in range(37)]
    one = hf._ShardWriter(tmp_path / "a", "data/x/train", len(rows), schema, 10)
    for r in rows:
        one.add(r)
    one.close()
    two = hf._ShardWriter(tmp_path / "b", "data/x/train", len(rows), schema, 10)
    start = 0
    for size in (1, 5, 0, 3, 9, 2, 4, 13):
        two.add_table(pa.Table.from_pylist(rows[start : start + size], schema=schema))
        start += size
    two.close()
    assert start == len(rows) and one.files == two.files and len(one.files) == 4
    for rel in one.files:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes()
        groups = [g.num_rows for g in [pq.ParquetFile(tmp_path / "b" / rel).metadata.row_group(k)
                                       for k in range(pq.ParquetFile(tmp_path / "b" / rel).num_row_groups)]]
        assert sum(groups) <= 10 and max(groups) <= 4
