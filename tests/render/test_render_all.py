"""`render --all-cities --workers N` and render_cities: the same files for every N, failures reported per city."""

from __future__ import annotations

import pytest
from mapkit.cli.app import main

from mapkit.errors import ConfigError
from mapkit.render.batch import render_cities

CITIES = ["synthetic:3", "synthetic:11:8", "demo", "atlantis"]


def _files(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_files_for_1_and_3_workers(tmp_path, reasonmap_dir):
    got = {}
    for w in (1, 3):
        out = tmp_path / f"w{w}"
        res = render_cities(CITIES, out, data_dir=reasonmap_dir, workers=w)
        assert [r.city for r in res] == CITIES
        assert [r.ok for r in res] == [True, True, True, False] and "Unknown city" in (res[3].error or "")
        got[w] = _files(out)
    assert got[1] == got[3] and len(got[1]) == 6  # three maps, each PNG + manifest


def test_cli_all_cities_flags(tmp_path, capsys):
    assert main(["render", "--all-cities", "--city", "demo", "--out", str(tmp_path)]) == 2
    assert "--all-cities and --synthetic draw many cities" in capsys.readouterr().err
    assert main(["render", "--out", str(tmp_path)]) == 2
    assert "Give --city CITY or --all-cities" in capsys.readouterr().err
    assert main(["render", "--all-cities", "--workers", "0", "--out", str(tmp_path), "--data-dir", str(tmp_path)]) == 2
    with pytest.raises(ConfigError, match="`workers` must be 1 or more"):
        render_cities(["demo"], tmp_path, workers=0)
