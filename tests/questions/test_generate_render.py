"""`mapkit generate --render`: one map per city beside the items, figures that resolve, the visual
families in the default types, identical bytes on a second run, and `mapkit validate` pinning the maps."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from mapkit.cli.app import main
from mapkit.schemas import schema_errors
from PIL import Image

from mapkit.errors import ConfigError
from mapkit.generate import RenderOptions, generate_items, write_items
from mapkit.graph import toy_city
from mapkit.io import dumps_canonical
from mapkit.questions import families
from mapkit.questions.base import context
from mapkit.scoring import max_reward, score
from mapkit.validate import validate_items

VISUAL = {"line_colour", "localise", "station_at_point"}


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory) -> Path:
    """`mapkit generate --city demo --render` into a fresh folder (module-wide: tests only read it)."""
    out = tmp_path_factory.mktemp("gen") / "out" / "demo.jsonl"
    assert main(["generate", "--city", "demo", "--render", "--n", "8", "--seed", "3", "--out", str(out)]) == 0
    return out


def test_one_map_per_city_and_every_figure_resolves(demo_out):
    folder = demo_out.parent
    files = sorted(p.relative_to(folder).as_posix() for p in (folder / "maps").rglob("*") if p.is_file())
    assert files == ["maps/synthetic/synthetic-7.json", "maps/synthetic/synthetic-7.png"]
    rows = _rows(demo_out)
    assert {r["figure"] for r in rows} == {"./maps/synthetic/synthetic-7.png"}
    for r in rows:
        assert (folder / r["figure"]).is_file()
        assert schema_errors(r, "item") == []
    manifest = json.loads((folder / "maps/synthetic/synthetic-7.json").read_text(encoding="utf-8"))
    with Image.open(folder / rows[0]["figure"]) as img:
        assert img.size == (manifest["width"], manifest["height"])
    assert manifest["graph_hash"] == rows[0]["mapkit"]["graph_hash"]


def test_render_adds_the_visual_types_to_the_defaults(demo_out):
    counts = Counter(r["type"] for r in _rows(demo_out))
    assert set(counts) == set(families(with_render=True))
    assert counts["localise"] == counts["station_at_point"] == 8
    assert counts["line_colour"] == 6  # capped: the demo city has six lines
    for r in _rows(demo_out):
        if r["type"] in VISUAL:
            assert r["mapkit"]["gold"]["map"]["manifest"] == "./maps/synthetic/synthetic-7.json"


def test_the_oracle_scores_full_marks_from_the_row_alone(demo_out):
    for r in _rows(demo_out):
        if r["type"] not in VISUAL:
            continue
        b = score(r, "\\boxed{" + r["answer_text"] + "}")
        assert b.correct and b.reward == pytest.approx(max_reward(r["weight"])), (r["id"], b.notes)


def test_same_seed_same_bytes(demo_out, tmp_path):
    again = tmp_path / "demo.jsonl"
    assert main(["generate", "--city", "demo", "--render", "--n", "8", "--seed", "3", "--out", str(again)]) == 0
    assert again.read_bytes() == demo_out.read_bytes()
    first = demo_out.parent / "maps/synthetic"
    for name in ("synthetic-7.png", "synthetic-7.json"):
        assert (tmp_path / "maps/synthetic" / name).read_bytes() == (first / name).read_bytes()


def test_validate_passes_then_names_the_items_of_a_tampered_manifest(demo_out, tmp_path, capsys):
    assert main(["validate", str(demo_out)]) == 0
    # a copy of the whole folder (items and maps travel together) validates too
    copy = tmp_path / "copy"
    for p in demo_out.parent.rglob("*"):
        if p.is_file():
            (copy / p.relative_to(demo_out.parent)).parent.mkdir(parents=True, exist_ok=True)
            (copy / p.relative_to(demo_out.parent)).write_bytes(p.read_bytes())
    items = copy / demo_out.name
    assert validate_items(items).ok
    manifest_path = copy / "maps/synthetic/synthetic-7.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    victim = next(r for r in _rows(items) if r["type"] == "localise")
    sid = victim["mapkit"]["station_ids"][0]
    for st in manifest["stations"]:
        if st["id"] == sid:
            st["marker_bbox"] = [v + 40 for v in st["marker_bbox"]]
    manifest_path.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    report = tmp_path / "report.json"
    capsys.readouterr()
    assert main(["validate", str(items), "--report", str(report)]) == 1
    rep = json.loads(report.read_text(encoding="utf-8"))
    failing = {d["id"] for d in rep["disagreements"]}
    visual = {r["id"] for r in _rows(items) if r["type"] in VISUAL}
    assert failing == visual  # every item asked from that map, and nothing else
    mine = [d for d in rep["disagreements"] if d["id"] == victim["id"]]
    assert any("render manifest ./maps/synthetic/synthetic-7.json changed" in d["why"] for d in mine)
    box = next(d for d in mine if d["field"] == "mapkit.gold")
    assert box["expected"]["box"] == [v + 40 for v in victim["mapkit"]["gold"]["box"]]
    assert victim["id"] in capsys.readouterr().out


def test_validate_notices_a_changed_or_missing_image(demo_out, tmp_path):
    items = tmp_path / "demo.jsonl"
    items.write_bytes(demo_out.read_bytes())
    maps = tmp_path / "maps/synthetic"
    maps.mkdir(parents=True)
    (maps / "synthetic-7.json").write_bytes((demo_out.parent / "maps/synthetic/synthetic-7.json").read_bytes())
    rep = validate_items(items)
    assert not rep.ok and "missing" in rep.disagreements[0].why and rep.disagreements[0].field == "figure"
    png = (demo_out.parent / "maps/synthetic/synthetic-7.png").read_bytes()
    (maps / "synthetic-7.png").write_bytes(png + b"\0")  # one byte more: another file
    rep = validate_items(items)
    assert not rep.ok and {d.field for d in rep.disagreements} == {"mapkit.gold.map.image_sha256", "mapkit.gold"}
    assert all("changed since the item was generated" in d.why or d.field == "mapkit.gold" for d in rep.disagreements)


def test_without_render_nothing_changes(tmp_path):
    g = toy_city()
    plain = tmp_path / "plain.jsonl"
    write_items(plain, [g], n_per_type=5, seed=2)
    rendered = tmp_path / "r" / "rendered.jsonl"
    s = write_items(rendered, [g], n_per_type=5, seed=2, render=True)  # the same graph object
    assert s.maps == ["./maps/nowhere/toyville.png"] and context(g).render is None  # the graph itself carries no render
    again = tmp_path / "again.jsonl"
    write_items(again, [g], n_per_type=5, seed=2)
    assert again.read_bytes() == plain.read_bytes()
    assert not (tmp_path / "maps").exists()
    # with --render, the same questions (text families) differ only in their figure
    base = {r["id"]: r for r in _rows(plain)}
    for r in _rows(rendered):
        if r["type"] in VISUAL:
            continue
        assert r["figure"] == "./maps/nowhere/toyville.png"
        assert dumps_canonical({**r, "figure": base[r["id"]]["figure"]}) == dumps_canonical(base[r["id"]])


def test_visual_types_need_render(tmp_path, capsys):
    with pytest.raises(ConfigError, match="`render`"):  # the library names its parameter, the CLI its flag
        list(generate_items([toy_city()], types=["localise"]))
    assert main(["generate", "--types", "line_colour", "--out", str(tmp_path / "x.jsonl")]) == 2
    assert "--render" in capsys.readouterr().err
    assert main(["generate", "--style-seed", "3", "--out", str(tmp_path / "x.jsonl")]) == 2


def test_render_dir_inside_maps_and_style_seed(tmp_path):
    out = tmp_path / "items.jsonl"
    code = main(["generate", "--city", "demo", "--render", "--render-dir", str(tmp_path / "maps" / "style-3"),
                 "--style-seed", "3", "--types", "localise,TorF1", "--n", "4", "--out", str(out)])
    assert code == 0
    rows = _rows(out)
    assert {r["figure"] for r in rows} == {"./maps/style-3/synthetic/synthetic-7.png"}
    manifest = json.loads((tmp_path / "maps/style-3/synthetic/synthetic-7.json").read_text(encoding="utf-8"))
    assert manifest["settings"]["style_seed"] == 3
    assert validate_items(out).ok
    with pytest.raises(ConfigError, match="maps/ folder"):
        RenderOptions(tmp_path / "elsewhere", tmp_path).check()
    assert main(["generate", "--city", "demo", "--render", "--render-dir", str(tmp_path.parent / "outside"),
                 "--out", str(out)]) == 2


def test_several_cities_real_and_synthetic(tmp_path, reasonmap_dir):
    out = tmp_path / "two.jsonl"
    s = write_items(out, ["rome", "synthetic:3"], n_per_type=6, seed=1, data_dir=reasonmap_dir, render=True,
                    types=["localise", "line_colour", "station_at_point", "Counting2"])
    assert s.maps == ["./maps/italy/rome.png", "./maps/synthetic/synthetic-3.png"]
    assert sorted(p.name for p in (tmp_path / "maps").rglob("*.png")) == ["rome.png", "synthetic-3.png"]
    by_city = Counter((r["city"], r["figure"]) for r in _rows(out))
    assert set(by_city) == {("rome", "./maps/italy/rome.png"), ("synthetic-3", "./maps/synthetic/synthetic-3.png")}
    rep = validate_items(out, data_dir=reasonmap_dir)
    assert rep.ok, rep.disagreements[:3]
    assert set(rep.by_type) == {"localise", "line_colour", "station_at_point", "Counting2"}
