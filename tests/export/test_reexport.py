"""Exporting again into an export folder never loses a user's files; an empty export is refused.

Driven through the real entry point, ``mapkit.cli.app.main()``: exit codes, messages, no traceback, and
the folder exactly as it was after every refusal.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mapkit.cli.app import main

from mapkit.export.core import MARKER_FILE


def run(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    cap = capsys.readouterr()
    return code, cap.out + cap.err


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def exported(toy_export: dict, capsys: pytest.CaptureFixture) -> dict:
    out = toy_export["tmp"] / "hf"
    args = ["export", str(toy_export["items"]), "--to", "hf", "--out", str(out), "--maps-dir",
            str(toy_export["images"]["toyville"].parent)]  # fmt: skip
    code, text = run(capsys, *args)
    assert code == 0, text
    return {**toy_export, "out": out, "args": args}


def test_reexport_keeps_files_mapkit_did_not_write(exported: dict, capsys: pytest.CaptureFixture) -> None:
    out = exported["out"]
    (out / "NOTES.md").write_text("my notes")
    (out / "eval").mkdir()
    (out / "eval" / "results.json").write_text('{"acc": 0.5}')
    stale = next((out / "data" / "TorF1").glob("train-*.parquet"))
    # the items change: TorF1 is gone, so its shards are stale mapkit files and go; the user's files stay
    rows = [r for r in exported["rows"] if r["type"] != "TorF1"]
    exported["items"].write_text("".join(json.dumps(r) + "\n" for r in rows))
    code, text = run(capsys, *exported["args"])
    assert code == 0, text
    assert (out / "NOTES.md").read_text() == "my notes" and (out / "eval" / "results.json").is_file()
    assert "kept 2 file(s)" in text and "NOTES.md" in text
    assert not stale.exists() and not (out / "data" / "TorF1").exists()
    marker = json.loads((out / MARKER_FILE).read_text())
    assert "NOTES.md" not in marker["files"] and "README.md" in marker["files"]
    # a third export still keeps them (they are still not mapkit's)
    assert run(capsys, *exported["args"])[0] == 0 and (out / "NOTES.md").read_text() == "my notes"


def test_an_edited_mapkit_file_is_refused_unless_overwrite(exported: dict, capsys: pytest.CaptureFixture) -> None:
    out = exported["out"]
    readme = out / "README.md"
    readme.write_text(readme.read_text() + "\nMy own paragraph.\n")
    (out / "NOTES.md").write_text("my notes")
    before = snapshot(out)
    code, text = run(capsys, *exported["args"])
    assert code == 1 and "Traceback" not in text
    assert "1 file(s) that mapkit wrote were changed since (README.md)" in text and "--overwrite" in text
    assert snapshot(out) == before  # nothing touched
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".hf.")]  # and no staging folder left
    code, text = run(capsys, *exported["args"], "--overwrite")
    assert code == 0, text
    assert "My own paragraph" not in readme.read_text() and not (out / "NOTES.md").exists()


def test_a_user_file_where_the_export_writes_is_refused(exported: dict, capsys: pytest.CaptureFixture) -> None:
    out = exported["out"]
    marker = json.loads((out / MARKER_FILE).read_text())
    del marker["files"]["assets/histogram.png"]  # as if the user had put their own image there
    (out / MARKER_FILE).write_text(json.dumps(marker))
    before = snapshot(out)
    code, text = run(capsys, *exported["args"])
    assert code == 1 and "Traceback" not in text and "assets/histogram.png" in text and "--overwrite" in text
    assert snapshot(out) == before


def test_an_export_by_an_older_mapkit_needs_overwrite(exported: dict, capsys: pytest.CaptureFixture) -> None:
    out = exported["out"]
    marker = json.loads((out / MARKER_FILE).read_text())
    del marker["files"]
    (out / MARKER_FILE).write_text(json.dumps(marker))
    (out / "NOTES.md").write_text("my notes")
    before = snapshot(out)
    code, text = run(capsys, *exported["args"])
    assert code == 1 and "older mapkit" in text and "--overwrite" in text and snapshot(out) == before
    assert run(capsys, *exported["args"], "--overwrite")[0] == 0 and "files" in json.loads(
        (out / MARKER_FILE).read_text()
    )


@pytest.mark.parametrize("fmt", ["hf", "sharegpt"])
def test_empty_items_are_refused_unless_allowed(fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    items = tmp_path / "empty.jsonl"
    items.write_text("")
    out = tmp_path / "out"
    code, text = run(capsys, "export", str(items), "--to", fmt, "--out", str(out))
    assert code == 2 and "Traceback" not in text
    assert "holds no items" in text and "--allow-empty" in text
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]
    code, text = run(capsys, "export", str(items), "--to", fmt, "--out", str(out), "--allow-empty")
    assert code == 0, text
    assert (out / MARKER_FILE).is_file()


def test_an_allowed_empty_hf_export_is_a_valid_card_over_empty_parquet(tmp_path: Path) -> None:
    """`datasets` itself cannot load a split of zero rows ("corresponds to no data"), so the empty folder is
    checked as what it is: a valid card and readable, empty Parquet of the right schema."""
    import pyarrow.parquet as pq

    from mapkit.export import export_items
    from mapkit.export.card import validate_card

    items = tmp_path / "empty.jsonl"
    items.write_text("")
    export_items(items, to="hf", out=tmp_path / "hf", allow_empty=True)
    assert validate_card(tmp_path / "hf") == []
    shard = pq.read_table(tmp_path / "hf" / "data" / "_empty" / "train-00000-of-00001.parquet")
    assert shard.num_rows == 0 and "map_id" in shard.column_names
    assert "0 visual questions" in (tmp_path / "hf" / "README.md").read_text()
