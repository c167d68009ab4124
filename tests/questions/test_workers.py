"""`--workers N`: the same bytes and the same summary for every N; Ctrl-C leaves no file behind."""

from __future__ import annotations

import hashlib
import json

import pytest
from mapkit.cli.app import main

from mapkit import parallel
from mapkit.errors import ConfigError
from mapkit.generate import GenerateSpec, plan_items, write_items
from mapkit.parallel import shards, tasks

CITIES = ["new_york", "miami", "rome"]  # New York's planning spaces its picks; Miami offers few questions


def _summary(s) -> dict:
    d = s.to_dict()
    del d["seconds"], d["path"]
    return d


@pytest.fixture
def small_shards(monkeypatch):
    # a handful of items per shard: entries split over several shards and workers, skips and top-ups in play
    monkeypatch.setattr(parallel, "SHARD_ITEMS", 7)


def test_output_is_identical_for_1_2_and_3_workers(tmp_path, reasonmap_dir, small_shards):
    digests, summaries = {}, {}
    for w in (1, 2, 3):
        out = tmp_path / f"w{w}.jsonl"
        s = write_items(out, CITIES, n_per_type=25, seed=5, data_dir=reasonmap_dir, workers=w)
        digests[w] = hashlib.sha256(out.read_bytes()).hexdigest()
        summaries[w] = _summary(s)
    assert digests[1] == digests[2] == digests[3]
    assert summaries[1] == summaries[2] == summaries[3]
    plan = plan_items(GenerateSpec(CITIES, n_per_type=25, data_dir=reasonmap_dir))
    per_entry = [s.entry for s in shards([e for _, e in plan], size=7)]
    assert max(per_entry.count(k) for k in set(per_entry)) >= 4  # entries split over several shards


def test_rendered_maps_and_visual_families_are_identical(tmp_path, small_shards):
    got = {}
    for w in (1, 3):
        out = tmp_path / f"w{w}" / "items.jsonl"
        s = write_items(out, ["synthetic:3"], n_per_type=20, seed=2, render=True, workers=w)
        assert {"localise", "line_colour", "station_at_point"} <= set(s.by_type)
        got[w] = (out.read_bytes(), _summary(s))
    assert got[1] == got[3]


def test_repeats_and_a_preset_are_identical_too(tmp_path, reasonmap_dir, small_shards):
    a = write_items(tmp_path / "a.jsonl", ["beijing", "sydney"], types=["planning", "TorF1"], n_per_type=60,
                    repeats=True, data_dir=reasonmap_dir, workers=1)
    b = write_items(tmp_path / "b.jsonl", ["beijing", "sydney"], types=["planning", "TorF1"], n_per_type=60,
                    repeats=True, data_dir=reasonmap_dir, workers=3)
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    assert _summary(a) == _summary(b)
    three = ["beijing", "rome", "sydney"]
    p1 = write_items(tmp_path / "p1.jsonl", three, preset="reasonmap-plus", data_dir=reasonmap_dir, workers=1)
    p2 = write_items(tmp_path / "p2.jsonl", three, preset="reasonmap-plus", data_dir=reasonmap_dir, workers=2)
    assert (tmp_path / "p1.jsonl").read_bytes() == (tmp_path / "p2.jsonl").read_bytes()
    assert p1.total == p2.total > 100


def test_progress_reaches_the_total(tmp_path, small_shards):
    seen = []
    s = write_items(tmp_path / "i.jsonl", ["synthetic:3"], n_per_type=30, workers=2,
                    progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (s.total, s.total) and len(seen) > 5
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_workers_must_be_positive(tmp_path, capsys):
    never = tmp_path / "never.jsonl"
    with pytest.raises(ConfigError, match="`workers` must be 1 or more"):
        write_items(never, ["demo"], workers=0)
    assert main(["generate", "--workers", "0", "--out", str(never)]) == 2
    assert "--workers must be 1 or more" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_leaves_no_partial_output(tmp_path, reasonmap_dir, interrupted):
    out = tmp_path / "items.jsonl"
    code, err = interrupted(
        ["generate", "--city", "beijing", "--city", "shanghai", "--city", "rome", "--n", "20000", "--allow-repeats",
         "--workers", "2", "--out", str(out)],
        {"MAPKIT_DATA": str(reasonmap_dir)}, lambda: bool(list(tmp_path.glob(".items.jsonl.*.tmp"))),
    )  # fmt: skip
    assert code == 130, err[-2000:]
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_tasks_keep_a_city_in_one_worker_and_cover_the_plan(reasonmap_dir):
    plan = plan_items(GenerateSpec(CITIES, n_per_type=25, data_dir=reasonmap_dir))
    entries = [e for _, e in plan]
    work = shards(entries, size=7)
    for workers, per_worker in ((2, 8), (3, 1), (2, 100)):
        got = tasks(entries, work, workers=workers, per_worker=per_worker)
        assert [s for t in got for s in t.shards] == work  # every shard once, in plan order
        assert all(len({entries[s.entry].city for s in t.shards}) == 1 for t in got)  # one city per task
        for t in got:  # an entry is "whole" in a task exactly when all its shards are there
            here = {s.entry for s in t.shards}
            assert t.whole == {k for k in here if all(s in t.shards for s in work if s.entry == k)}
        target = -(-sum(s.stop - s.start for s in work) // (workers * per_worker))
        per_city = {}
        for t in got:
            per_city.setdefault(entries[t.shards[0].entry].city, []).append(sum(s.stop - s.start for s in t.shards))
        for city, sizes in per_city.items():
            if sum(sizes) <= target:
                assert len(sizes) == 1, city  # a city that fits is never split
            else:
                assert max(sizes) - min(sizes) <= 2 * 7 + 1, (city, sizes)  # near-equal slices
    assert len(tasks(entries, work, workers=2, per_worker=1)) == len(CITIES)


def test_a_worker_tops_up_the_entries_it_holds_whole(tmp_path, reasonmap_dir, monkeypatch):
    # every 5th index skipped (as a family or the render gate may skip one): an entry whose shards all ran
    # in one task is topped up past index n by that worker; the parent tops up only entries split over tasks
    from dataclasses import replace

    import mapkit.questions.registry as registry

    types = ["planning", "TorF1", "Counting3"]
    for t in types:  # the family itself skips: every runner (one process, workers) sees the same skips
        fam = registry._REGISTRY[t]
        monkeypatch.setitem(registry._REGISTRY, t, replace(fam, generate=lambda scene, seed, i, cfg, g=fam.generate: (
            None if i % 5 == 3 else g(scene, seed, i, cfg))))
    monkeypatch.setattr(parallel, "SHARD_ITEMS", 7)
    monkeypatch.setattr(parallel, "TASKS_PER_WORKER", 1)  # big tasks: a whole city in most
    in_parent = []
    real_extra = parallel._extra

    def spy(plan, seed, cfgs, k, start, made):
        extra, i = real_extra(plan, seed, cfgs, k, start, made)
        in_parent.append((k, len(extra)))  # the workers' calls land in their own copies of this list
        return extra, i

    monkeypatch.setattr(parallel, "_extra", spy)
    entries = [e for _, e in plan_items(GenerateSpec(CITIES, types=types, n_per_type=30, data_dir=reasonmap_dir))]
    got = {}
    for w in (1, 2, 3):
        in_parent.clear()
        out = tmp_path / f"w{w}.jsonl"
        s = write_items(out, CITIES, types=types, n_per_type=30, seed=4, data_dir=reasonmap_dir, workers=w)
        got[w] = (out.read_bytes(), _summary(s))
        if w > 1:
            held = tasks(entries, shards(entries, size=7), workers=w)
            whole = set().union(*(t.whole for t in held))
            assert {k for k, n in in_parent if n} == {k for k, e in enumerate(entries) if e.n >= 4} - whole
            assert {k for k in whole if entries[k].n >= 4}  # and some entries were topped up in a worker
            assert len(in_parent) == len(entries)  # the parent closed every entry (shortfalls in plan order)
    assert got[1] == got[2] == got[3]
    ids = [json.loads(line)["id"] for line in got[1][0].splitlines()]
    assert "rome:planning:4:36" in ids and not any(i.endswith(":3") for i in ids)  # topped up past n
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w1.jsonl", "w2.jsonl", "w3.jsonl"]  # no part files left
