"""How long loading + curating every ReasonMap city takes, and how much memory it needs.

One line per city (cold: the per-city curation cache is cleared before each load, imports are
done beforehand), then a total, then ``synthetic_city`` at 6 and 20 lines. Each load is timed
without tracemalloc (it slows allocation-heavy code several-fold) and then repeated, cold again,
under tracemalloc for the peak of Python allocations; ``ru_maxrss`` is the process's resident
high-water mark so far (it only grows). ``--isolate`` loads each city in a fresh interpreter
instead, so ``ru_maxrss`` is that city's own.

Usage:
    python bench/bench_load.py --data-dir ../shared/data/reasonmap
    MAPKIT_DATA=../shared/data/reasonmap python bench/bench_load.py --isolate

Example (the per-city measurement on its own):
    >>> from mapkit.graph import toy_city
    >>> m = measure(toy_city)
    >>> m.seconds >= 0 and m.peak_bytes > 0
    True
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024


@dataclass(frozen=True)
class Measure:
    """One cold load: wall seconds (no tracing), tracemalloc peak, ru_maxrss after it, the result.

    ``warm_seconds`` is the same load again with caches kept: the cost of the city itself, without
    parsing every curation file for the city catalogue.
    """

    seconds: float
    warm_seconds: float
    peak_bytes: int
    maxrss_bytes: int
    result: Any


def _maxrss_bytes() -> int:
    # ru_maxrss is KiB on Linux, bytes on macOS
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss if sys.platform == "darwin" else rss * 1024


def _cold() -> None:
    """Forget what a previous load cached, so every measured load parses its curation again."""
    from mapkit.sources import curation_files

    curation_files._load.cache_clear()


def measure(fn: Callable[[], Any]) -> Measure:
    """Time ``fn()`` cold, run it cold again under tracemalloc for its allocation peak, then warm.

    >>> measure(lambda: sum(range(1000))).result
    499500
    """
    _cold()
    t0 = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - t0
    _cold()
    tracemalloc.start()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    t0 = time.perf_counter()
    fn()
    warm = time.perf_counter() - t0
    return Measure(seconds, warm, peak, _maxrss_bytes(), result)


def _row(name: str, lines: str, stations: str, cold: float, warm: float, peak: int, rss: int) -> str:
    return (f"{name:<14} {lines:>5} {stations:>8} {cold * 1000:>9.1f} {warm * 1000:>9.1f} {peak / MIB:>9.2f} "
            f"{rss / MIB:>10.1f}")


HEADER = (f"{'city':<14} {'lines':>5} {'stations':>8} {'cold ms':>9} {'warm ms':>9} {'peak MiB':>9} "
          f"{'maxrss MiB':>10}")


def _one_city_json(city: str, data_dir: str) -> dict[str, Any]:
    """Measure one city and return the figures (used in --isolate child processes)."""
    from mapkit.sources import load_city

    m = measure(lambda: load_city(city, data_dir=data_dir))
    g = m.result
    return {"city": city, "lines": len(g.lines), "stations": len(g.stations), "seconds": m.seconds,
            "warm": m.warm_seconds, "peak": m.peak_bytes, "maxrss": m.maxrss_bytes}


def bench_cities(data_dir: str, isolate: bool) -> list[dict[str, Any]]:
    """Load every known city once, cold; one dict of figures per city."""
    from mapkit.sources import known_cities

    rows = []
    for city in known_cities(data_dir):
        if isolate:
            code = (
                "import json, sys; sys.path.insert(0, sys.argv[3]); from bench_load import _one_city_json;"
                "print(json.dumps(_one_city_json(sys.argv[1], sys.argv[2])))"
            )
            proc = subprocess.run(
                [sys.executable, "-c", code, city, data_dir, str(Path(__file__).parent)],
                capture_output=True, text=True, check=True,
            )
            row = json.loads(proc.stdout.strip().splitlines()[-1])
        else:
            row = _one_city_json(city, data_dir)
        rows.append(row)
        print(_row(row["city"], str(row["lines"]), str(row["stations"]), row["seconds"], row["warm"],
                   row["peak"], row["maxrss"]), flush=True)
    return rows


def bench_synthetic(lines: int, repeat: int) -> tuple[float, float, int, Any]:
    """Median and best seconds of ``synthetic_city`` at ``lines`` lines over seeds 0..repeat-1."""
    from mapkit.sources.synthetic import SyntheticConfig, synthetic_city

    cfg = SyntheticConfig(lines=lines)
    times = []
    g = None
    for seed in range(repeat):
        t0 = time.perf_counter()
        g = synthetic_city(seed, cfg)
        times.append(time.perf_counter() - t0)
    tracemalloc.start()
    try:
        synthetic_city(0, cfg)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return statistics.median(times), min(times), peak, g


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table; returns the exit status."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", default=os.environ.get("MAPKIT_DATA") or str(REPO.parent / "shared/data/reasonmap"),
                    help="ReasonMap data folder (default: $MAPKIT_DATA, else ../shared/data/reasonmap).")
    ap.add_argument("--isolate", action="store_true", help="Load each city in a fresh interpreter.")
    ap.add_argument("--repeat", type=int, default=20, help="Seeds per synthetic size (default 20).")
    args = ap.parse_args(argv)
    if not (Path(args.data_dir) / "stations").is_dir():
        print(f"no ReasonMap data at {args.data_dir}: pass --data-dir or set MAPKIT_DATA", file=sys.stderr)
        return 2

    import mapkit.sources  # noqa: F401 - imports are not part of a load
    import mapkit.sources.reasonmap  # noqa: F401

    print(f"python {sys.version.split()[0]}, data {args.data_dir}, {'isolated' if args.isolate else 'in-process'}")
    print(HEADER)
    t0 = time.perf_counter()
    rows = bench_cities(args.data_dir, args.isolate)
    wall = time.perf_counter() - t0
    total = sum(r["seconds"] for r in rows)
    warm = sum(r["warm"] for r in rows)
    print(_row(f"TOTAL ({len(rows)})", str(sum(r["lines"] for r in rows)), str(sum(r["stations"] for r in rows)),
               total, warm, max(r["peak"] for r in rows), max(r["maxrss"] for r in rows)))
    print(f"(sums of cold {total:.3f} s and warm {warm:.3f} s load times; peak and maxrss columns: max; "
          f"whole pass incl. re-runs {wall:.2f} s)")
    print()
    print(f"{'synthetic':<14} {'lines':>5} {'stations':>8} {'median ms':>9} {'best ms':>9} {'peak MiB':>10}")
    for n in (6, 20):
        med, best, peak, g = bench_synthetic(n, args.repeat)
        print(f"{'synthetic_city':<14} {n:>5} {len(g.stations):>8} {med * 1000:>9.1f} {best * 1000:>9.1f} "
              f"{peak / MIB:>10.2f}")
    print(f"process maxrss {_maxrss_bytes() / MIB:.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
