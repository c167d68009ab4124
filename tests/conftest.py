"""Shared fixtures: the ReasonMap data directory (../shared beside the checkout) and tiny maps."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mapkit.graph import MetroGraph, toy_city
from mapkit.graph.examples import loop_branch_city, oneway_city

SMALL_MAPS = {"toyville": toy_city, "loopton": loop_branch_city, "oneborough": oneway_city}
"""The hand-made maps (a loop, a Y-branch, degenerate names, one-way services) that every family and query
is checked on."""

REPO = Path(__file__).resolve().parents[1]


def _reasonmap_dir() -> Path:
    env = os.environ.get("MAPKIT_DATA")
    if env:
        return Path(env)
    return (REPO / ".." / "shared" / "data" / "reasonmap").resolve()


@pytest.fixture(scope="session")
def reasonmap_dir() -> Path:
    """The read-only ReasonMap data (stations/, maps/) that every session and CI has beside the repo."""
    d = _reasonmap_dir()
    if not (d / "stations").is_dir():
        pytest.fail(f"ReasonMap data not found at {d}; set MAPKIT_DATA or put ../shared beside the checkout.")
    return d


@pytest.fixture(scope="session")
def load_real(reasonmap_dir: Path):
    """Load a curated ReasonMap city by name (cached for the session)."""
    from mapkit.sources import load_city

    cache: dict[str, MetroGraph] = {}

    def _load(name: str) -> MetroGraph:
        if name not in cache:
            cache[name] = load_city(name, data_dir=reasonmap_dir)
        return cache[name]

    return _load


@pytest.fixture(scope="session")
def load_raw(reasonmap_dir: Path):
    """Load a city's raw file with no curation at all (to show that a defect is in the data)."""
    from mapkit.data import station_files
    from mapkit.sources.reasonmap import load_reasonmap_city

    files = station_files(reasonmap_dir)
    cache: dict[str, MetroGraph] = {}

    def _load(city: str) -> MetroGraph:
        if city not in cache:
            cache[city] = load_reasonmap_city(files[city], curation={})
        return cache[city]

    return _load


@pytest.fixture
def toy() -> MetroGraph:
    """The three-line toy city (straight Red, loop Blue, branched Green); see mapkit.graph.examples."""
    return toy_city()


@pytest.fixture(params=sorted(SMALL_MAPS))
def small_map(request) -> MetroGraph:
    """Each hand-made map in turn (fresh object per test)."""
    return SMALL_MAPS[request.param]()
