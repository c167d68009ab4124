"""Sharded output and rendering as Ray tasks, on a local Ray instance this module starts and shuts down.

Runs only where Ray is installed (``pip install 'mapkit[scale]'``; not in the default test install).
"""

from __future__ import annotations

import pytest
from mapkit.cli.app import main

from mapkit import parallel
from mapkit.errors import ConfigError
from mapkit.generate import write_items
from mapkit.render.batch import render_cities
from mapkit.shardset import MANIFEST, Part, ShardSet, ShardWriter, item_lines, write_part

ray = pytest.importorskip("ray")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    assert not ray.is_initialized()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()
    assert not ray.is_initialized()


def _files(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_ray_tasks_write_the_parts_of_a_local_run(tmp_path, reasonmap_dir, monkeypatch, fmt):
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    monkeypatch.setattr(parallel, "SHARD_ITEMS", 9)  # many tasks; Miami's shortfalls need top-ups
    cities = ["new_york", "miami", "synthetic:3"]
    one = tmp_path / "one.jsonl"
    s1 = write_items(one, cities, n_per_type=30, seed=3, data_dir=reasonmap_dir, workers=1)
    local = tmp_path / "local"
    write_items(local, cities, n_per_type=30, seed=3, data_dir=reasonmap_dir, workers=2, parts=fmt)
    got = []  # what reaches the driver: a Ray task's part (name, count, hash), or the bytes of a top-up
    add = ShardWriter.add
    monkeypatch.setattr(ShardWriter, "add", lambda self, data: (got.append(data), add(self, data))[1])
    remote = tmp_path / "ray"
    s2 = write_items(remote, cities, n_per_type=30, seed=3, data_dir=reasonmap_dir, engine="ray", parts=fmt)
    from_tasks = [d for d in got if isinstance(d, Part)]
    assert len(from_tasks) > 40 and all(isinstance(d, Part) or len(d) < 20_000 for d in got)
    assert s2.total == s1.total > 500 and s2.shortfalls == s1.shortfalls
    assert _files(remote) == _files(local)  # every part and the manifest
    assert "".join(item_lines(remote)).encode() == one.read_bytes()
    assert len(ShardSet.open(remote).parts) > 40


def test_rendered_generation_draws_the_maps_as_ray_tasks(tmp_path):
    cities = ["synthetic:3", "synthetic:5", "synthetic:11:8"]
    local = tmp_path / "local" / "items.jsonl"
    write_items(local, cities, n_per_type=6, seed=1, render=True, workers=1)
    remote = tmp_path / "ray"
    s = write_items(remote, cities, n_per_type=6, seed=1, render=True, engine="ray", parts="jsonl")
    assert len(s.maps) == 3
    assert _files(remote / "maps") == _files(tmp_path / "local" / "maps")
    assert "".join(item_lines(remote)).encode() == local.read_bytes()


def test_many_synthetic_cities_render_as_ray_tasks(tmp_path):
    cities = [f"synthetic:{k}" for k in range(1, 7)] + ["atlantis"]
    local = render_cities(cities, tmp_path / "local", workers=1)
    remote = render_cities(cities, tmp_path / "ray", engine="ray")
    assert [(r.city, r.ok, r.failures) for r in remote] == [(r.city, r.ok, r.failures) for r in local]
    assert [r.png.relative_to(tmp_path / "ray") for r in remote if r.png] == [
        r.png.relative_to(tmp_path / "local") for r in local if r.png
    ]
    assert "Unknown city" in (remote[-1].error or "")
    got = _files(tmp_path / "ray")
    assert got == _files(tmp_path / "local") and len(got) == 12  # six maps, each PNG + manifest


def test_cli_render_synthetic_on_ray(tmp_path, capsys):
    assert main(["render", "--synthetic", "3", "--engine", "ray", "--out", str(tmp_path / "maps")]) == 0
    assert sorted(_files(tmp_path / "maps")) == [
        f"synthetic/synthetic-{k}.{e}" for k in (1, 2, 3) for e in ("json", "png")
    ]
    assert "render: 3 cities" in capsys.readouterr().out
    assert main(["render", "--city", "demo", "--engine", "ray", "--out", str(tmp_path / "m2")]) == 2
    assert "--engine and --ray-address go with --all-cities or --synthetic" in capsys.readouterr().err


def test_cli_generate_parts_on_ray_then_validate(tmp_path, capsys):
    d = tmp_path / "run"
    assert main(["generate", "--city", "synthetic:4", "--render", "--n", "5", "--engine", "ray", "--parts", "jsonl",
                 "--out", str(d)]) == 0  # fmt: skip
    assert (d / MANIFEST).is_file() and (d / "maps" / "synthetic" / "synthetic-4.png").is_file()
    assert main(["validate", str(d)]) == 0
    assert "all rows agree" in capsys.readouterr().out


def test_a_part_writer_that_does_not_see_the_drivers_folder_is_an_error(tmp_path):
    """What a task on a node without the shared path meets: a folder that is not there, or not this run's."""
    with pytest.raises(ConfigError, match="it does not exist here.*a path every node sees"):
        write_part(tmp_path / "elsewhere", "0-0", b'{"id":"a"}\n', "jsonl", "0" * 32)
    with ShardWriter(tmp_path / "out") as w:
        with pytest.raises(ConfigError, match="its run token differs"):
            write_part(tmp_path / "out", "0-0", b'{"id":"a"}\n', "jsonl", "f" * 32)
        w.add(write_part(tmp_path / "out", "0-0", b'{"id":"a"}\n', "jsonl", w.token))
        w.commit({})
