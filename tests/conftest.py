"""Shared fixtures: the real ReasonMap data (found or skipped with one line) and tiny maps.

The real data is looked for, in order, in ``$MAPKIT_DATA``, ``../shared/data/reasonmap`` beside the
checkout, and the user cache that ``mapkit data pull`` fills. Without it, every test that needs it
(through the ``reasonmap_dir`` fixture) is skipped and the run ends with one line saying so;
``MAPKIT_REQUIRE_DATA=1`` (set by ``.ci/run``) turns that into an error before any test runs.
"""

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
NO_DATA = "real-data tests skipped: run `mapkit data pull` or set MAPKIT_DATA"
"""The one line a run without the ReasonMap data ends with (and every such test's skip reason)."""
REQUIRE_DATA = "MAPKIT_REQUIRE_DATA"


def _candidates() -> list[Path]:
    from mapkit.data import ENV_VAR, default_data_dir

    out = []
    if os.environ.get(ENV_VAR):
        out.append(Path(os.environ[ENV_VAR]).expanduser())
    out.append(REPO.parent / "shared" / "data" / "reasonmap")
    out.append(default_data_dir())
    return out


def _reasonmap_dir() -> Path | None:
    """The first candidate folder that holds station lists, or None."""
    for d in _candidates():
        if (d / "stations").is_dir():
            return d.resolve()
    return None


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get(REQUIRE_DATA) == "1" and _reasonmap_dir() is None:
        looked = ", ".join(str(d) for d in _candidates())
        raise pytest.UsageError(
            f"{REQUIRE_DATA}=1 but no ReasonMap data was found (looked in {looked}): "
            "run `mapkit data pull` or set MAPKIT_DATA."
        )


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ANN001
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if NO_DATA in str(getattr(r, "longrepr", ""))]
    if skipped:
        terminalreporter.write_line(f"{NO_DATA} ({len(skipped)} tests; looked in MAPKIT_DATA, ../shared, the cache)")


@pytest.fixture
def interrupted():
    """``run(args, env, ready)``: ``mapkit ARGS`` in a child process, SIGINT once ``ready()`` (and half a
    second more: the workers are busy); returns (exit code, stderr). The child is killed if it hangs."""
    import signal
    import subprocess
    import sys
    import time

    def run(args: list[str], env: dict[str, str], ready) -> tuple[int, str]:  # noqa: ANN001
        proc = subprocess.Popen([sys.executable, "-m", "mapkit.cli.app", *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env={**os.environ, **env}, start_new_session=True)  # fmt: skip
        try:
            deadline = time.monotonic() + 120
            while not ready() and time.monotonic() < deadline:
                assert proc.poll() is None, proc.communicate()
                time.sleep(0.05)
            time.sleep(0.5)
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        return proc.returncode, err.decode()

    return run


@pytest.fixture(scope="session")
def reasonmap_dir() -> Path:
    """The read-only ReasonMap data (stations/, maps/); skips the test when there is none (see above)."""
    d = _reasonmap_dir()
    if d is None:
        pytest.skip(NO_DATA)
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
