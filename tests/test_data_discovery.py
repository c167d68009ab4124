"""tests/conftest.py finds the real data in order, or skips with one line, or fails under MAPKIT_REQUIRE_DATA.

Each case runs pytest in a subprocess on a copy of the conftest in a temporary checkout, with its own
``../shared``, ``$MAPKIT_DATA`` and user cache (``XDG_CACHE_HOME``), so the real ones do not interfere.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CONFTEST = Path(__file__).with_name("conftest.py")
PROBE = '''
def test_uses_the_data(reasonmap_dir):
    print("DATA=" + (reasonmap_dir / "which").read_text())

def test_needs_no_data():
    pass
'''


def _data(folder: Path, label: str) -> Path:
    (folder / "stations").mkdir(parents=True)
    (folder / "which").write_text(label)
    return folder


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    repo = tmp_path / "work" / "mapkit"
    (repo / "tests").mkdir(parents=True)
    shutil.copy(CONFTEST, repo / "tests" / "conftest.py")
    (repo / "tests" / "test_probe.py").write_text(PROBE)
    return repo


def _pytest(repo: Path, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("MAPKIT_DATA", "MAPKIT_REQUIRE_DATA")}
    clean["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "-p", "no:randomly", "tests"],
        cwd=repo, capture_output=True, text=True, env=clean, timeout=300,
    )  # fmt: skip


def test_no_data_skips_with_one_line(checkout, tmp_path):
    proc = _pytest(checkout, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = [ln for ln in proc.stdout.splitlines() if "real-data tests skipped" in ln]
    assert lines == [
        "real-data tests skipped: run `mapkit data pull` or set MAPKIT_DATA (1 tests; looked in MAPKIT_DATA, "
        "../shared, the cache)"
    ], proc.stdout
    assert "1 passed, 1 skipped" in proc.stdout


def test_require_data_turns_the_skip_into_an_error(checkout, tmp_path):
    proc = _pytest(checkout, tmp_path, MAPKIT_REQUIRE_DATA="1")
    assert proc.returncode != 0
    assert "MAPKIT_REQUIRE_DATA=1 but no ReasonMap data was found" in proc.stderr + proc.stdout
    assert "passed" not in proc.stdout


def test_the_order_is_env_then_shared_then_cache(checkout, tmp_path):
    cache = _data(tmp_path / "cache" / "mapkit" / "reasonmap", "cache")
    proc = _pytest(checkout, tmp_path, MAPKIT_REQUIRE_DATA="1")
    assert "DATA=cache" in proc.stdout and "2 passed" in proc.stdout, proc.stdout + proc.stderr
    _data(tmp_path / "work" / "shared" / "data" / "reasonmap", "shared")
    proc = _pytest(checkout, tmp_path)
    assert "DATA=shared" in proc.stdout and "2 passed" in proc.stdout, proc.stdout + proc.stderr
    env = _data(tmp_path / "elsewhere", "env")
    proc = _pytest(checkout, tmp_path, MAPKIT_DATA=str(env))
    assert "DATA=env" in proc.stdout and "2 passed" in proc.stdout, proc.stdout + proc.stderr
    assert cache.is_dir()
