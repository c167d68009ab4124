"""`--engine ray`: the same shards as Ray tasks on a local Ray instance (started by the run, shut down after).

Runs only where Ray is installed (``pip install 'mapkit[scale]'``; not part of the default test install:
Ray is a 240 MB package).
"""

from __future__ import annotations

import pytest

from mapkit import parallel
from mapkit.errors import ConfigError
from mapkit.generate import write_items

ray = pytest.importorskip("ray")

pytestmark = pytest.mark.slow


def _summary(s) -> dict:
    d = s.to_dict()
    del d["seconds"], d["path"]
    return d


def test_ray_engine_writes_the_one_process_bytes(tmp_path, reasonmap_dir, monkeypatch):
    monkeypatch.setattr(parallel, "SHARD_ITEMS", 9)  # many tasks, entries split over several of them
    cities = ["new_york", "rome", "synthetic:3"]
    local = write_items(tmp_path / "local.jsonl", cities, n_per_type=30, seed=3, data_dir=reasonmap_dir, workers=1)
    assert not ray.is_initialized()
    remote = write_items(tmp_path / "ray.jsonl", cities, n_per_type=30, seed=3, data_dir=reasonmap_dir, engine="ray")
    assert not ray.is_initialized()  # the local instance it started is shut down
    assert (tmp_path / "ray.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()
    assert _summary(remote) == _summary(local) and local.total > 500


def test_engine_and_address_are_checked(tmp_path):
    with pytest.raises(ConfigError, match="`engine` must be local or ray"):
        write_items(tmp_path / "x.jsonl", ["demo"], engine="spark")
    with pytest.raises(ConfigError, match="`ray_address` needs `engine` ray"):
        write_items(tmp_path / "x.jsonl", ["demo"], ray_address="auto")
