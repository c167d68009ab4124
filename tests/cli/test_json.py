"""Every command that prints a summary prints it as one JSON object (or list) with --json, through main()."""

from __future__ import annotations

import json

import pytest
from mapkit.cli.app import main


def _json(capsys, *argv: str):
    code = main(list(argv))
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)


@pytest.fixture
def items(tmp_path):
    path = tmp_path / "items.jsonl"
    assert main(["generate", "--city", "demo", "--n", "3", "--seed", "1", "--out", str(path)]) == 0
    return path


def test_generate_and_validate_and_score(capsys, items, tmp_path):
    capsys.readouterr()
    gen = _json(capsys, "generate", "--city", "demo", "--n", "2", "--out", str(tmp_path / "b.jsonl"), "--json")
    assert gen["total"] == sum(gen["by_type"].values()) > 0
    rep = _json(capsys, "validate", str(items), "--json")
    assert rep["ok"] and rep["total"] == rep["agreeing"] > 0
    first = json.loads(items.read_text(encoding="utf-8").splitlines()[0])
    responses = tmp_path / "responses.jsonl"
    responses.write_text(json.dumps({"id": first["id"], "response": f"\\boxed{{{first['answer_text']}}}"}) + "\n")
    scored = _json(capsys, "score", str(items), str(responses), "--json")
    assert scored["summary"]["n"] == rep["total"] and scored["summary"]["correct"] == 1
    assert len(scored["missing"]) == rep["total"] - 1


def test_city_commands(capsys, reasonmap_dir, tmp_path):
    data = str(reasonmap_dir)
    assert len(_json(capsys, "cities", "--data-dir", data, "--json")) == 30
    assert _json(capsys, "data", "where", "--data-dir", data, "--json")["station_files"] == 30
    assert _json(capsys, "curate", "check", "--city", "rome", "--data-dir", data, "--json")["city"] == "rome"
    rendered = _json(capsys, "render", "--city", "demo", "--out", str(tmp_path / "maps"), "--json")
    assert rendered["passed"] and len(rendered["files"]) == 2
