"""mapkit validate: agrees on good files, names every corrupted item, audits the published layout."""

from __future__ import annotations

import copy
import csv
import json
import random

import jsonschema
import pytest
from mapkit.cli.app import main
from mapkit.schemas import load_schema

from mapkit.generate import write_items
from mapkit.questions import families
from mapkit.validate import compile_checker, validate_items


@pytest.fixture
def items_file(tmp_path, reasonmap_dir):
    p = tmp_path / "items.jsonl"
    write_items(p, ["rome", "singapore"], n_per_type=12, seed=2, data_dir=reasonmap_dir)
    return p


def _rewrite(path, change):
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    victim = change(rows)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return victim


def test_a_generated_file_validates(items_file, reasonmap_dir):
    rep = validate_items(items_file, data_dir=reasonmap_dir)
    assert rep.ok and rep.failing == 0 and rep.total == rep.agreeing > 100
    assert set(rep.by_type) == set(families())


@pytest.mark.parametrize("family", ["Counting1", "TorF1", "planning", "lines_at"])
def test_one_corrupted_answer_is_named(items_file, reasonmap_dir, tmp_path, family, capsys):
    def corrupt(rows):
        row = next(r for r in rows if r["type"] == family)
        if family == "Counting1":
            row["answer"] = (row["answer"] + 1) % 4
        elif family == "TorF1":
            row["answer"] = 1 - row["answer"]
        elif family == "planning":
            row["mapkit"]["gold"]["routes"][0]["legs"][0]["via"].append("nowhere")
        else:
            row["answer_text"] = "Line 99"
        return row["id"]

    victim = _rewrite(items_file, corrupt)
    report = tmp_path / "report.json"
    code = main(["validate", str(items_file), "--report", str(report), "--data-dir", str(reasonmap_dir)])
    assert code == 1
    assert victim in capsys.readouterr().out
    rep = json.loads(report.read_text())
    assert rep["failing"] == 1 and {d["id"] for d in rep["disagreements"]} == {victim}
    assert all(d["why"] for d in rep["disagreements"])


def test_cli_exit_zero_when_all_agree(items_file, reasonmap_dir, capsys):
    assert main(["validate", str(items_file), "--data-dir", str(reasonmap_dir)]) == 0
    assert "all rows agree" in capsys.readouterr().out


def test_schema_violation_and_bad_json_are_reported(items_file, reasonmap_dir):
    def corrupt(rows):
        rows[3]["difficulty_question"] = "trivial"
        del rows[5]["mapkit"]["graph_hash"]
        return rows[3]["id"]

    victim = _rewrite(items_file, corrupt)
    with items_file.open("a") as fh:
        fh.write("{not json\n")
    rep = validate_items(items_file, data_dir=reasonmap_dir)
    fields = {d.field for d in rep.disagreements}
    assert rep.failing == 3 and "$.difficulty_question" in fields and "$" in fields
    assert victim in {d.id for d in rep.disagreements}


def test_changed_graph_is_flagged(tmp_path, toy):
    p = tmp_path / "toy.jsonl"
    write_items(p, [toy], types=["TorF2"], n_per_type=4)
    _rewrite(p, lambda rows: rows[0]["mapkit"].__setitem__("graph_hash", "sha256:" + "0" * 64))
    rep = validate_items(p, graphs={"toyville": toy})
    assert [d.field for d in rep.disagreements] == ["mapkit.graph_hash"]


def test_compiled_checker_agrees_with_jsonschema(tmp_path, toy):
    schema = load_schema("item")
    check = compile_checker(schema)
    validator = jsonschema.Draft202012Validator(schema)
    p = tmp_path / "toy.jsonl"
    write_items(p, [toy], n_per_type=8)
    rows = [json.loads(line) for line in p.read_text().splitlines()]
    rng = random.Random(0)
    bad_values = [None, "", "x", -1, 1.5, 2.0, True, [], {}, ["a"], [1], "sha256:zz"]
    for row in rows:
        assert check(row) is None and validator.is_valid(row)
        for _ in range(20):
            mutant = copy.deepcopy(row)
            target = mutant if rng.random() < 0.5 else mutant["mapkit"]
            key = rng.choice(list(target))
            if rng.random() < 0.15:
                del target[key]
            elif rng.random() < 0.1:
                target["extra"] = 1
            else:
                target[key] = rng.choice(bad_values)
            assert (check(mutant) is None) == validator.is_valid(mutant), (key, target.get(key))


def _plus_rows(g):
    from mapkit.generate import generate_items

    rows = []
    for item in generate_items([g], types=["Counting1", "Counting2", "Counting3", "TorF1", "TorF2"], n_per_type=6):
        rows.append({k: item[k] for k in (
            "country", "city", "station_1", "station_2", "figure", "question", "answer", "type",
            "difficulty_city", "city_line_count", "city_transfer_count")})
    return rows


def test_reasonmap_plus_format_audit(tmp_path, load_real, reasonmap_dir):
    g = load_real("singapore")
    rows = _plus_rows(g)
    good = tmp_path / "plus.jsonl"
    good.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    rep = validate_items(good, fmt="reasonmap-plus", data_dir=reasonmap_dir)
    assert rep.ok, rep.disagreements[:3]
    rows[2]["answer"] = 1 - int(rows[2]["answer"]) if rows[2]["type"].startswith("TorF") else 99
    rows[7]["city_line_count"] = len(g.lines) + 1
    bad = tmp_path / "plus.csv"
    with bad.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    rep = validate_items(bad, fmt="reasonmap-plus", data_dir=reasonmap_dir)
    assert rep.failing == 2 and {d.field for d in rep.disagreements} == {"answer", "city_line_count"}


def test_reasonmap_plus_format_explains_undecidable_rows(tmp_path, reasonmap_dir):
    row = {
        "country": "singapore", "city": "singapore", "station_1": "Nowhere Station", "station_2": "",
        "figure": "./maps/singapore/singapore.png", "question": "... how many lines pass through Nowhere Station?",
        "answer": 2, "type": "Counting2", "difficulty_city": "hard", "city_line_count": 9, "city_transfer_count": 53,
    }
    p = tmp_path / "one.json"
    p.write_text(json.dumps([row]))
    rep = validate_items(p, fmt="reasonmap-plus", data_dir=reasonmap_dir)
    assert rep.failing == 1 and "no station" in rep.disagreements[0].why


@pytest.mark.slow
def test_every_city_every_family_validates(tmp_path, reasonmap_dir):
    from mapkit.sources import known_cities

    p = tmp_path / "all.jsonl"
    summary = write_items(p, list(known_cities(reasonmap_dir)), n_per_type=6, seed=9, data_dir=reasonmap_dir)
    assert len(summary.by_city) == 30 and set(summary.by_type) == set(families())
    rep = validate_items(p, data_dir=reasonmap_dir)
    assert rep.ok, rep.disagreements[:3]
    validator = jsonschema.Draft202012Validator(load_schema("item"))
    for line in p.read_text(encoding="utf-8").splitlines()[::7]:
        assert validator.is_valid(json.loads(line))


def test_missing_data_is_one_clear_error_not_a_disagreement_per_row(tmp_path, reasonmap_dir, capsys):
    from mapkit.cli.app import main

    from mapkit.generate import write_items

    items = tmp_path / "rome.jsonl"
    write_items(items, ["rome"], types=["TorF1"], n_per_type=5, data_dir=reasonmap_dir)
    code = main(["validate", str(items), "--data-dir", str(tmp_path / "no-data-here")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("error:") == 1 and "mapkit data pull" in err


@pytest.mark.parametrize(
    ("field", "change"),
    [
        ("id", lambda r: r.__setitem__("id", r["id"].rsplit(":", 1)[0] + ":99999")),  # well-formed, wrong index
        ("json", lambda r: r.__setitem__("json", "./stations/elsewhere/x.json")),
        ("mapkit.split", lambda r: r["mapkit"].update(split={"train": "test", "test": "train"}[r["mapkit"]["split"]])),
    ],
)
def test_bookkeeping_fields_are_checked(items_file, reasonmap_dir, tmp_path, field, change):
    from mapkit.validate import validate_items

    def corrupt(rows):
        change(rows[0])
        return rows[0]["id"]

    _rewrite(items_file, corrupt)
    rep = validate_items(items_file, data_dir=reasonmap_dir)
    assert not rep.ok and rep.failing == 1
    assert {d.field for d in rep.disagreements} == {field}
