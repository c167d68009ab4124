"""Round trips against a real Label Studio 1.23.2 (tests/annotations/conftest.py starts it).

Annotators are played through the API (``annotations.create(completed_by=...)``): the server stores what
they submit exactly as the web UI would, and mapkit reads it back from a snapshot export.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import httpx
import pytest
from mapkit.annotations.client import Connection
from mapkit.annotations.localisation import apply_positions, generate_on_map, load_positions
from mapkit.annotations.pull import pull_review, review_project
from mapkit.annotations.push import PushReport, push_items, push_map

from mapkit.generate import write_items
from mapkit.io import read_jsonl, write_jsonl
from mapkit.validate import validate_items

pytestmark = [pytest.mark.server, pytest.mark.slow]

CITY = "geneva"  # a real map image ships with the data


def _user(conn: Connection, name: str) -> int:
    sdk = conn.sdk()
    for u in sdk.users.list():
        if u.username == name:
            return u.id
    return sdk.users.create(username=name, email=f"{name}@review.test", password="pw-123456789").id


def _push(conn: Connection, path: Path, project: str, image_root: Path, data: Path, **kw: int) -> PushReport:
    """Push with the real maps seen through the server's document root (conftest's ``image_root``)."""
    return push_items(
        path, project=project, conn=conn, image_root=image_root / "real", document_root=image_root, data_dir=data, **kw
    )


def _tasks(conn: Connection, project_id: int) -> dict[str, int]:
    return {t.data["mapkit_id"]: t.id for t in conn.iter_tasks(project_id)}


def _choice(name: str, value: str) -> dict:
    return {"from_name": name, "to_name": "question", "type": "choices", "value": {"choices": [value]}}


def _text(name: str, value: str) -> dict:
    return {"from_name": name, "to_name": "question", "type": "textarea", "value": {"text": [value]}}


def _annotate(conn: Connection, task_id: int, user: int, result: list[dict], cancelled: bool = False) -> None:
    conn.sdk().annotations.create(id=task_id, result=result, completed_by=user, was_cancelled=cancelled)


@pytest.fixture
def items(tmp_path: Path, reasonmap_dir: Path) -> Path:
    p = tmp_path / "items.jsonl"
    write_items(
        p,
        [CITY],
        types=["TorF1", "Counting1", "Counting2", "planning", "lines_at"],
        n_per_type=2,
        seed=3,
        data_dir=reasonmap_dir,
    )
    return p


def test_pushed_image_is_served(conn, items, image_root, reasonmap_dir):
    rep = _push(conn, items, "served image", image_root, reasonmap_dir)
    task = next(iter(conn.iter_tasks(rep.project_id)))
    url = conn.url + task.data["image"]
    r = httpx.get(url, headers={"Authorization": f"Token {conn.api_key}"})
    assert r.status_code == 200
    assert r.content == (reasonmap_dir / "maps" / "switzerland" / "geneva.png").read_bytes()


def test_review_round_trip(conn, items, image_root, reasonmap_dir, tmp_path):
    root = image_root / "real"
    rows = {r["id"]: r for r in read_jsonl(items)}
    rep = _push(conn, items, "geneva review", image_root, reasonmap_dir, batch_size=3)
    assert (rep.created, rep.unchanged, rep.graph_disagrees) == (len(rows), 0, [])
    ids = _tasks(conn, rep.project_id)
    assert set(ids) == set(rows)  # mapkit's ids travel in the task data

    # the prediction is the graph's answer in the control of the item's kind, model_version = family + version
    export = conn.snapshot(rep.project_id)
    by_id = {t["data"]["mapkit_id"]: t for t in export}
    pred = by_id["geneva:TorF1:3:0"]["predictions"][0]
    assert pred["model_version"] == "mapkit TorF1 v1"
    assert pred["result"][0]["value"]["choices"] == [rows["geneva:TorF1:3:0"]["answer_text"]]

    ann1, ann2, ann3 = (_user(conn, n) for n in ("ann1", "ann2", "ann3"))
    valid = _choice("verdict", "valid")
    t0, t1 = "geneva:TorF1:3:0", "geneva:TorF1:3:1"
    c0, n0 = "geneva:Counting1:3:0", "geneva:Counting2:3:0"
    plan, lst = "geneva:planning:3:0", "geneva:lines_at:3:0"
    # agrees: the graph's answer, as the UI would submit it
    _annotate(conn, ids[t0], ann1, [_choice("answer_yesno", rows[t0]["answer_text"]), valid])
    # corrects an answer: another option letter
    other = "ABCD"[(rows[c0]["answer"] + 1) % 4]
    _annotate(conn, ids[c0], ann1, [_choice("answer_choice", other), valid, _text("comment", "I count more stops")])
    # ambiguous
    _annotate(conn, ids[n0], ann1, [_choice("verdict", "ambiguous"), _text("comment", "two stations share the name")])
    # two annotators disagree on one item
    flip = {"yes": "no", "no": "yes"}[rows[t1]["answer_text"]]
    _annotate(conn, ids[t1], ann1, [_choice("answer_yesno", rows[t1]["answer_text"]), valid])
    _annotate(conn, ids[t1], ann2, [_choice("answer_yesno", flip), valid])
    # a route, written as the graph gives it; a list in another order (the scorer's normaliser accepts it)
    _annotate(conn, ids[plan], ann2, [_text("answer_text", rows[plan]["answer_text"]), valid])
    reordered = ", ".join(reversed(rows[lst]["answer_text"].split(", ")))
    _annotate(conn, ids[lst], ann2, [_text("answer_text", reordered), valid])
    # a result the config does not allow (the server accepts it; the client must not), and a skip
    _annotate(conn, ids["geneva:Counting2:3:1"], ann3, [_choice("answer_number", "maybe"), valid])
    _annotate(conn, ids["geneva:Counting1:3:1"], ann3, [], cancelled=True)

    out = tmp_path / "reviewed.jsonl"
    res = pull_review(project="geneva review", conn=conn, out=out, data_dir=reasonmap_dir, image_root=root)
    got = {r["id"]: r for r in read_jsonl(out)}
    assert list(got) == sorted(rows)  # one row per item, by id
    status = {k: v["status"] for k, v in got.items()}
    assert status[t0] == "agrees"
    assert status[c0] == "disagrees"
    assert got[c0]["look_at"]["item"] == c0 and "geneva" in got[c0]["look_at"]["graph"]
    assert status[n0] == "ambiguous"
    assert status[t1] == "conflict"
    assert status[plan] == "agrees" and status[lst] == "agrees"
    assert status["geneva:Counting2:3:1"] == "unreviewed" and got["geneva:Counting2:3:1"]["invalid"]
    assert got["geneva:Counting1:3:1"]["skipped"] == 1
    assert res.invalid == 1 and res.skipped == 1
    assert res.agreement == {
        "items_multi": 1,
        "unanimous": 0,
        "unanimous_share": 0.0,
        "pairs": 1,
        "pairwise_agreement": 0.0,
    }
    a = got[c0]["annotations"][0]
    assert (a["annotator"], a["answer"], a["verdict"], a["comment"]) == (
        "ann1@review.test",
        other,
        "valid",
        "I count more stops",
    )
    assert a["created_at"] and got[c0]["provenance"]["project"] == "geneva review"
    assert res.per_annotator["ann2@review.test"]["disagrees"] == 1

    # re-pull and re-push change nothing
    first = out.read_bytes()
    pull_review(project="geneva review", conn=conn, out=out, data_dir=reasonmap_dir, image_root=root)
    assert out.read_bytes() == first
    again = _push(conn, items, "geneva review", image_root, reasonmap_dir)
    assert (again.created, again.unchanged, again.updated, again.changed_reviewed) == (0, len(rows), [], [])
    assert len(_tasks(conn, rep.project_id)) == len(rows)

    # a new item is added; a changed one nobody annotated is updated; a changed annotated one is reported
    changed = [copy.deepcopy(r) for r in rows.values()]
    for r in changed:
        if r["id"] in ("geneva:planning:3:1", t0):
            r["question"] += " (reworded)"
    extra = tmp_path / "more.jsonl"
    write_items(extra, [CITY], types=["TorF2"], n_per_type=1, seed=3, data_dir=reasonmap_dir)
    changed.append(next(read_jsonl(extra)))
    write_jsonl(items, changed)
    third = _push(conn, items, "geneva review", image_root, reasonmap_dir)
    assert third.created == 1
    assert third.updated == ["geneva:planning:3:1"]  # nobody had annotated it
    assert third.changed_reviewed == [t0]  # annotated: reported, not touched
    updated = conn.sdk().tasks.get(_tasks(conn, rep.project_id)["geneva:planning:3:1"])
    assert updated.data["question"].endswith("(reworded)")

    # status reads the same figures without writing anything
    st = review_project(project="geneva review", conn=conn, data_dir=reasonmap_dir, image_root=root)
    assert st.by_status["disagrees"] == 1 and st.by_status["conflict"] == 1


def test_reasonmap_plus_rows(conn, items, image_root, reasonmap_dir, tmp_path):
    """Published-layout rows (no id, integer answers); one stores a wrong answer: the graph's is pre-filled."""
    plus = []
    for r in read_jsonl(items):
        if r["type"] in ("TorF1", "Counting2"):
            plus.append(
                {
                    k: r[k]
                    for k in (
                        "country",
                        "city",
                        "station_1",
                        "station_2",
                        "figure",
                        "question",
                        "answer",
                        "type",
                        "difficulty_city",
                        "city_line_count",
                        "city_transfer_count",
                    )
                }
            )
    plus[0]["answer"] = 1 - plus[0]["answer"]  # a wrong published answer
    path = tmp_path / "plus.json"
    path.write_text(json.dumps(plus), encoding="utf-8")
    rep = _push(conn, path, "plus audit", image_root, reasonmap_dir)
    assert rep.graph_disagrees == ["geneva:TorF1:line1"]
    ids = _tasks(conn, rep.project_id)
    ann = _user(conn, "ann1")
    truth = {1: "yes", 0: "no"}[1 - plus[0]["answer"]]
    _annotate(conn, ids["geneva:TorF1:line1"], ann, [_choice("answer_yesno", truth), _choice("verdict", "valid")])
    out = tmp_path / "plus-reviewed.jsonl"
    pull_review(project="plus audit", conn=conn, out=out, data_dir=reasonmap_dir)
    got = {r["id"]: r for r in read_jsonl(out)}
    row = got["geneva:TorF1:line1"]
    assert row["status"] == "agrees" and row["item_agrees_with_graph"] is False
    assert row["graph_answer"] == truth and row["look_at"]["item"] == "geneva:TorF1:line1"


def test_localisation_round_trip(conn, image_root, reasonmap_dir, load_real, tmp_path):
    g = load_real(CITY)

    def push_positions():  # pushed twice: the second push must change nothing
        return push_map(
            CITY,
            project="geneva positions",
            conn=conn,
            data_dir=reasonmap_dir,
            image_root=image_root / "real",
            document_root=image_root,
        )

    rep = push_positions()
    assert rep.created == 1
    (task,) = conn.iter_tasks(rep.project_id)
    labels = task.data["labels"]
    by_sid = {sid: label for label, sid in labels.items()}
    w, h = task.data["width"], task.data["height"]
    # positions on a grid well apart (this checks the pipeline, not the geography of Geneva)
    sids = sorted(by_sid)[:8]
    pts = {sid: (100 + 120 * i, 150 + 60 * (i % 3)) for i, sid in enumerate(sids)}

    def kp(sid: str, x: float, y: float, rid: str, label: str | None = None) -> dict:
        return {
            "id": rid,
            "from_name": "stations",
            "to_name": "map",
            "type": "keypointlabels",
            "original_width": w,
            "original_height": h,
            "value": {"x": 100 * x / w, "y": 100 * y / h, "width": 0.5, "keypointlabels": [label or by_sid[sid]]},
        }

    ann1, ann2 = _user(conn, "ann1"), _user(conn, "ann2")
    r1 = [kp(s, *pts[s], f"a{i}") for i, s in enumerate(sids)]
    conn.sdk().annotations.create(id=task.id, result=r1, completed_by=ann1)
    far = sids[0]
    r2 = [kp(s, pts[s][0] + 3, pts[s][1] - 2, f"b{i}") for i, s in enumerate(sids[1:4])]
    r2.append(kp(far, pts[far][0] + 300, pts[far][1], "b9"))
    r2.append(kp("", 900, 900, "new1", label="+ missing station"))
    r2.append(
        {
            "id": "new1",
            "from_name": "new_station",
            "to_name": "map",
            "type": "textarea",
            "value": {"text": ["Nouvelle Gare; Line 12"]},
        }
    )
    r2.append(
        {
            "from_name": "missing_lines",
            "to_name": "map",
            "type": "textarea",
            "value": {"text": ["Line 19: Nouvelle Gare, Palettes Station"]},
        }
    )
    conn.sdk().annotations.create(id=task.id, result=r2, completed_by=ann2)

    out = tmp_path / "geneva.positions.json"
    res = pull_review(project="geneva positions", conn=conn, out=out, data_dir=reasonmap_dir)
    doc, _ = load_positions(out, data_dir=reasonmap_dir)
    placed = {s["id"]: s for s in doc["stations"]}
    assert set(placed) == set(sids) - {far}  # the station two annotators put far apart is a conflict
    assert placed[sids[1]]["annotators"] == ["ann1@review.test", "ann2@review.test"]
    assert placed[sids[5]]["center"] == [float(pts[sids[5]][0]), float(pts[sids[5]][1])]
    proposals = json.loads(out.with_name("geneva.positions.proposals.json").read_text())
    kinds = sorted((p["kind"], p.get("name") or p.get("text")) for p in proposals["proposals"])
    assert kinds == [("line", "Line 19: Nouvelle Gare, Palettes Station"), ("station", "Nouvelle Gare")]
    assert any(c.get("station") == far for c in proposals["conflicts"])
    assert res.by_status["stations placed"] == len(sids) - 1
    assert "Nouvelle Gare" not in {st.name for st in g.stations.values()}  # a proposal, not an edit

    # apply: the real map + a manifest; a localisation question asked on it validates like any other
    real = tmp_path / "real"
    png = apply_positions(out, real, data_dir=reasonmap_dir)
    assert png.read_bytes() == (reasonmap_dir / "maps" / "switzerland" / "geneva.png").read_bytes()
    n = generate_on_map(png, real / "items.jsonl", n_per_type=3, data_dir=reasonmap_dir, city_ref=CITY)
    got = list(read_jsonl(real / "items.jsonl"))
    assert n == len(got) and {it["type"] for it in got} == {"localise", "station_at_point"}
    loc = next(it for it in got if it["type"] == "localise")
    sid = loc["mapkit"]["station_ids"][0]
    x, y = placed[sid]["center"]
    assert loc["mapkit"]["gold"]["center"] == [x, y] and loc["figure"] == "./maps/switzerland/geneva.png"
    report = validate_items(real / "items.jsonl", data_dir=reasonmap_dir)
    assert report.ok, report.disagreements[:3]

    # the CLI does the same in one command
    from mapkit.cli.app import main

    cli_out = tmp_path / "cli-real"
    assert (
        main(["annotate", "apply", str(out), "--out", str(cli_out), "--n", "3", "--data-dir", str(reasonmap_dir)]) == 0
    )
    assert (cli_out / "items.jsonl").read_bytes() == (real / "items.jsonl").read_bytes()

    # re-pull and re-push change nothing
    first = out.read_bytes()
    pull_review(project="geneva positions", conn=conn, out=out, data_dir=reasonmap_dir)
    assert out.read_bytes() == first
    again = push_positions()
    assert (again.created, again.unchanged) == (0, 1)


def test_cli_never_prints_the_key(ls_server, capsys, monkeypatch, items, image_root, reasonmap_dir):
    from mapkit.cli.app import main

    monkeypatch.setenv("LABEL_STUDIO_URL", ls_server.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", ls_server.token)
    assert (
        main(
            [
                "annotate",
                "push",
                str(items),
                "--project",
                "cli push",
                "--image-root",
                str(image_root / "real"),
                "--document-root",
                str(image_root),
                "--data-dir",
                str(reasonmap_dir),
            ]
        )
        == 0
    )
    assert main(["annotate", "status", "--project", "cli push", "--data-dir", str(reasonmap_dir)]) == 0
    wrong = "f" * 40
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", wrong)
    assert main(["annotate", "status", "--project", "cli push"]) == 1
    text = capsys.readouterr()
    assert "tasks created" in text.out and "401" in text.err
    assert ls_server.token not in text.out + text.err and wrong not in text.out + text.err
