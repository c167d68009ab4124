"""generate_items / write_items / `mapkit generate`: plans, presets, bytes."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from mapkit.cli.app import main

from mapkit.errors import ConfigError
from mapkit.generate import REASONMAP_CITIES, generate_items, plan_items, reasonmap_plus_quotas, write_items
from mapkit.io import dumps_canonical
from mapkit.questions import families, get_family
from mapkit.questions.base import TEST_CITIES

PLUS = ("Counting1", "Counting2", "Counting3", "TorF1", "TorF2")


def test_written_bytes_are_mapkit_io_canonical(tmp_path, toy):
    p = tmp_path / "x.jsonl"
    write_items(p, [toy], n_per_type=7, seed=3)
    rows = list(generate_items([toy], n_per_type=7, seed=3))
    assert p.read_text(encoding="utf-8") == "".join(dumps_canonical(r) + "\n" for r in rows)


def test_n_is_capped_at_distinct_questions_unless_repeats(toy):
    capped = plan_items([toy], types=["Counting3", "line_stations_count"], n_per_type=10)
    assert [(e.family, e.n) for _, e in capped] == [("Counting3", 1), ("line_stations_count", 3)]
    again = plan_items([toy], types=["line_stations_count"], n_per_type=10, repeats=True)
    assert again[0][1].n == 10
    # past the capacity, --allow-repeats asks the same questions again: the first `cap` are all distinct
    cap = plan_items([toy], types=["TorF2"], n_per_type=10**6)[0][1].n
    keys = [question_key(it) for it in generate_items([toy], types=["TorF2"], n_per_type=50, repeats=True)]
    assert len(keys) == 50 > cap
    assert len(set(keys[:cap])) == cap and len(set(keys)) < 50


SYMMETRIC = frozenset({"Counting1", "TorF1", "connecting_line"})
"""Families whose question about (a, b) asks the same as about (b, a)."""


def question_key(item):
    """What a question asks, independent of its wording, option order and index (not the id)."""
    m = item["mapkit"]
    stations = m["station_ids"]
    if item["type"] in SYMMETRIC:
        stations = sorted(stations)
    return item["type"], tuple(stations), tuple(m["line_ids"])


@pytest.mark.parametrize("family", families())
@pytest.mark.parametrize("city", ["rome", "miami", "singapore"])
def test_no_question_repeats_within_capacity(load_real, family, city):
    g = load_real(city)
    fam = get_family(family)
    cfg = fam.config_cls()
    cap = fam.capacity(g, cfg)
    n = min(cap if cap is not None else 300, 300)
    keys = [question_key(it) for i in range(n) if (it := fam.generate(g, 0, i, cfg)) is not None]
    dup = [k for k, c in Counter(keys).items() if c > 1]
    assert not dup, f"{family} on {city}: {len(keys) - len(set(keys))} repeats within capacity {cap}: {dup[:3]}"


def test_items_do_not_repeat_within_capacity(load_real):
    g = load_real("rome")
    pairs = [frozenset(it["mapkit"]["station_ids"]) for it in generate_items([g], types=["Counting1"], n_per_type=300)]
    assert len(set(pairs)) == len(pairs)


def test_preset_quotas_with_full_capacity():
    caps = {c: dict.fromkeys(PLUS, 10**6) for c in REASONMAP_CITIES}
    q = reasonmap_plus_quotas(caps)
    per_type = Counter()
    for (_, t), n in q.items():
        per_type[t] += n
    assert per_type == {"Counting1": 1050, "Counting2": 970, "Counting3": 30, "TorF1": 1039, "TorF2": 929}
    assert all(q[(c, "Counting1")] == 35 and q[(c, "Counting3")] == 1 for c in REASONMAP_CITIES)


def test_preset_shortfall_moves_to_the_same_split():
    caps = {c: dict.fromkeys(PLUS, 10**6) for c in REASONMAP_CITIES}
    caps["sydney"]["TorF1"] = 0
    q = reasonmap_plus_quotas(caps)
    assert q[("sydney", "TorF1")] == 0
    assert sum(n for (c, t), n in q.items() if t == "TorF1") == 1039
    moved = sum(q[(c, "TorF1")] for c in REASONMAP_CITIES if c not in TEST_CITIES)
    assert moved == sum(n for c, n in {c: 1039 // 30 + (i < 1039 % 30) for i, c in enumerate(REASONMAP_CITIES)}.items()
                        if c not in TEST_CITIES)


def test_reasonmap_plus_preset_on_all_thirty_cities(tmp_path, reasonmap_dir):
    p = tmp_path / "plus.jsonl"
    s = write_items(p, preset="reasonmap-plus", data_dir=reasonmap_dir)
    # Counting3 is not asked where the graph lacks lines its map draws (dubai, new_york) or the map
    # allows two counts (dalian, sydney, toronto); the other gated quotas move to cities of the same split
    no_line_count = {"dalian", "dubai", "new_york", "sydney", "toronto"}
    assert s.total == 4018 - len(no_line_count) and not s.shortfalls
    assert dict(s.by_type) == {"Counting1": 1050, "Counting2": 970, "Counting3": 25, "TorF1": 1039, "TorF2": 929}
    assert {n.split(":")[0] for n in s.not_asked if "Counting3" in n.split(" (")[0]} == no_line_count
    dubai = [n.split(" (")[0] for n in s.not_asked if n.startswith("dubai")]
    assert dubai == ["dubai: Counting2, Counting3, TorF1, TorF2"]
    rows = [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines()]
    per_city = Counter((r["city"], r["type"]) for r in rows)
    assert all(per_city[(c, "Counting1")] == 35 for c in REASONMAP_CITIES)
    assert all(per_city[(c, "Counting3")] == (c not in no_line_count) for c in REASONMAP_CITIES)
    assert per_city[("new_york", "Counting2")] == per_city[("new_york", "TorF2")] == 0
    assert {r["city"] for r in rows if r["mapkit"]["split"] == "test"} == set(TEST_CITIES)
    assert all(r["mapkit"]["split"] == ("test" if r["city"] in TEST_CITIES else "train") for r in rows)
    assert per_city[("dubai", "TorF1")] == 0  # its graph lacks the Palm Monorail: the quota went elsewhere
    yes = Counter(r["answer"] for r in rows if r["type"] == "TorF1")
    assert abs(yes[1] - yes[0]) <= 30


def test_preset_rejects_types():
    with pytest.raises(ConfigError):
        plan_items(["demo"], types=["planning"], preset="reasonmap-plus")
    with pytest.raises(ConfigError):
        plan_items(["demo"], preset="nope")


def test_cli_generate_writes_and_summarises(tmp_path, reasonmap_dir, capsys):
    out = tmp_path / "rome.jsonl"
    code = main(["generate", "--city", "rome", "--types", "TorF1,counting1", "--n", "10", "--seed", "4",
                 "--out", str(out), "--data-dir", str(reasonmap_dir)])
    assert code == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert Counter(r["type"] for r in rows) == {"TorF1": 10, "Counting1": 10}
    text = capsys.readouterr().out
    assert "20 items" in text and "TorF1" in text and "yes 50%" in text


def test_cli_generate_default_city_is_demo(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["generate", "--types", "Counting3"]) == 0
    (row,) = [json.loads(line) for line in (tmp_path / "out" / "items.jsonl").read_text().splitlines()]
    assert row["mapkit"]["city_ref"] == "synthetic:7" and row["city"] == "synthetic-7"


def test_cli_generate_flag_errors(capsys):
    assert main(["generate", "--city", "rome", "--all-cities"]) == 2
    assert main(["generate", "--types", "Nope"]) == 2
    assert "Unknown question type" in capsys.readouterr().err


def test_demo_city_items_validate(tmp_path):
    from mapkit.validate import validate_items

    p = tmp_path / "demo.jsonl"
    write_items(p, ["demo"], n_per_type=15)
    assert validate_items(p).ok


def test_bytes_do_not_depend_on_the_hash_seed(tmp_path, reasonmap_dir):
    import os
    import subprocess
    import sys

    code = (
        "import sys; from mapkit.generate import write_items; "
        "write_items(sys.argv[1], ['rome', 'demo'], n_per_type=15, seed=4, data_dir=sys.argv[2])"
    )
    outs = []
    for hash_seed in ("1", "2"):
        p = tmp_path / f"h{hash_seed}.jsonl"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run([sys.executable, "-c", code, str(p), str(reasonmap_dir)], check=True, env=env)
        outs.append(p.read_bytes())
    assert outs[0] == outs[1] and len(outs[0]) > 10_000


@pytest.mark.parametrize("n", ["100", "7"])
def test_cli_refuses_n_with_a_preset(n, tmp_path):
    out = tmp_path / "x.jsonl"
    assert main(["generate", "--all-cities", "--preset", "reasonmap-plus", "--n", n, "--out", str(out)]) == 2
    assert not out.exists()
