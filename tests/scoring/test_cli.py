"""score_file and `mapkit score` on a tiny file: planning items on the toy city saved as a city file."""

from __future__ import annotations

import json

import pytest
from mapkit.cli.app import main

from mapkit.answers.routes import clear_graph_cache
from mapkit.errors import DataFileError
from mapkit.evaluate import score_file
from mapkit.io import read_jsonl, write_jsonl

from .test_routes import block, planning_item


@pytest.fixture
def files(toy, tmp_path):
    from mapkit.sources.native import save_city_file

    clear_graph_cache()
    city = tmp_path / "toy.json"
    save_city_file(toy, city)
    items = [
        planning_item(toy, "a", "g", city_ref=str(city)),  # 1 transfer: weight 1.5
        planning_item(toy, "a", "e", city_ref=str(city)),  # direct
        planning_item(toy, "k", "l", city_ref=str(city)),  # change at the branch junction
    ]
    items[2]["difficulty_city"] = "hard"
    detour = block(
        ("Red Line", "A Station", "C Station"),
        ("Blue Line", "C Station", "H Station"),
        ("Blue Line", "H Station", "G Station"),
    )
    responses = [
        {"id": items[0]["id"], "response": "\\boxed{" + detour + "}"},  # valid, not optimal
        {"id": items[1]["id"], "response": "\\boxed{" + items[1]["answer_text"] + "}"},
        {"id": "nobody:planning:0:0", "response": "\\boxed{x}"},  # unknown id
        {"id": items[1]["id"], "response": "a repeated id: ignored"},
    ]
    ip, rp = tmp_path / "items.jsonl", tmp_path / "responses.jsonl"
    write_jsonl(ip, items)
    write_jsonl(rp, responses)
    yield ip, rp, items
    clear_graph_cache()


def test_score_file(files):
    ip, rp, items = files
    report = score_file(ip, rp)
    assert [b.id for b in report.rows] == [it["id"] for it in items]
    assert report.missing == [items[2]["id"]]
    assert report.unknown == ["nobody:planning:0:0"]
    assert report.duplicates == [items[1]["id"]]
    first, second, third = report.rows
    assert first.correct and first.optimal is False
    assert second.correct and second.optimal and second.reward == 2.5
    assert not third.correct and third.reward == 0.0 and "no response" in third.notes
    s = report.summary
    assert s["n"] == 3 and s["correct"] == 2
    assert s["accuracy"] == pytest.approx(2 / 3)
    # weights: a->g medium question in an easy city 1.5; a->e 1.0; k->l (hard city, medium question) 2.5
    assert s["weighted_accuracy"] == pytest.approx((1.5 + 1.0) / (1.5 + 1.0 + 2.5))
    assert report.by("type")["planning"]["n"] == 3
    assert set(report.by("difficulty_city")) == {"easy", "hard"}
    assert report.to_dict()["missing"] == [items[2]["id"]]
    strict = score_file(ip, rp, require_optimal=True)
    assert strict.summary["correct"] == 1


def test_score_file_bad_responses(tmp_path, files):
    ip, _, _ = files
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x"}\n')
    with pytest.raises(DataFileError, match="record 1"):
        score_file(ip, bad)


def test_unscorable_items_are_reported(tmp_path, files):
    _, _, items = files
    ip, rp = tmp_path / "i.jsonl", tmp_path / "r.jsonl"
    direct = items[1]  # a right answer, accuracy weight 1.0
    write_jsonl(ip, [{"id": "q1", "type": "NoSuchFamily", "difficulty_city": "hard", "mapkit": {}}, direct])
    write_jsonl(rp, [{"id": "q1", "response": "\\boxed{1}"}, {"id": direct["id"], "response": direct["answer_text"]}])
    report = score_file(ip, rp)
    assert report.errors and report.errors[0][0] == "q1"
    bad = report.rows[0]
    assert bad.correct is False
    # an unscorable item still weighs what its difficulty says (hard city: W 1.5, accuracy weight 2.0)
    assert bad.weight == 1.5 and bad.accuracy_weight == 2.0
    assert report.summary["weighted_accuracy"] == pytest.approx(1.0 / (1.0 + 2.0))


def test_cli_prints_tables_and_writes_breakdown(files, capsys, tmp_path):
    ip, rp, items = files
    out = tmp_path / "breakdown.jsonl"
    code = main(["score", str(ip), str(rp), "--out", str(out)])
    cap = capsys.readouterr()
    assert code == 0, cap.err
    assert "By type" in cap.out and "planning" in cap.out and "66.67%" in cap.out
    assert "By city difficulty" in cap.out and "hard" in cap.out
    assert "1 item(s) have no response" in cap.err
    assert "match no item" in cap.err and "nobody:planning:0:0" in cap.err
    assert "repeat" in cap.err
    rows = list(read_jsonl(out))
    assert [r["id"] for r in rows] == [it["id"] for it in items]
    assert rows[0]["optimal"] is False and rows[1]["reward"] == 2.5
    assert set(rows[0]["sub_scores"]) == {"endpoints", "lines", "transfers", "legs", "optimal"}
    json.dumps(rows)


def test_cli_missing_file_is_a_user_error(capsys, tmp_path):
    code = main(["score", str(tmp_path / "nope.jsonl"), str(tmp_path / "nope2.jsonl")])
    cap = capsys.readouterr()
    assert code == 2 and "cannot read" in cap.err and "Traceback" not in cap.err
