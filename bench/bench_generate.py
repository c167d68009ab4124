"""Generation and validation benchmark: per core against reasoning-gym, then on every core, in one run.

1. Per core, side by side (CPU seconds of this process, so the machine's other load does not count):
   reasoning-gym's ``shortest_path`` (generate + write JSONL) and mapkit ``write_items`` with one
   worker on one city (``--city``, default beijing), on every city, and on every family over every
   city; items/s per core and the ratio to reasoning-gym (target >= 2).
2. End to end (wall time): the same all-cities run with 1 and N workers (``--workers``, default every
   core), checked byte-identical.
3. ``--items`` (default 1,000,000) items over every city and family to JSONL with N workers: wall
   time (target <= 15 s on 2 cores), peak RSS of the parent and of the largest worker (target
   <= 400 MB), then ``validate`` with 1 and N workers.

Usage:
    python bench/bench_generate.py --data-dir ../shared/data/reasonmap
    python bench/bench_generate.py --items 200000 --per-core-items 40000   # a shorter run

Example (the per-type count for a target total):
    >>> per_type(1_000_000, cities=30, types=11)
    3031
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import resource
import sys
import tempfile
import time
from pathlib import Path


def per_type(total: int, *, cities: int, types: int) -> int:
    """Items per (city, type) so that ``cities * types * n`` reaches ``total``."""
    return math.ceil(total / (cities * types))


def rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident set size so far, in MB (Linux reports KiB): this process, or its largest child."""
    return resource.getrusage(who).ru_maxrss / 1024


def _cpu_rate(fn) -> tuple[int, float, float]:
    """(items, CPU s, wall s) of ``fn()``, which returns the number of items it made."""
    w0, c0 = time.perf_counter(), time.process_time()
    n = fn()
    return n, time.process_time() - c0, time.perf_counter() - w0


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def gym_items(count: int, out: Path) -> int:
    import reasoning_gym

    ds = reasoning_gym.create_dataset("shortest_path", size=count, seed=1)
    with out.open("w", encoding="utf-8") as fh:
        for item in ds:
            fh.write(json.dumps(item, ensure_ascii=False, separators=(",", ":")) + "\n")
    return count


def main(argv: list[str] | None = None) -> int:
    from mapkit.generate import write_items
    from mapkit.parallel import available_cores
    from mapkit.questions import families
    from mapkit.sources import known_cities
    from mapkit.validate import validate_items

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--items", type=int, default=1_000_000, help="items of the big run (all cities, N workers)")
    ap.add_argument("--per-core-items", type=int, default=100_000, help="items of each per-core run")
    ap.add_argument("--city", default="beijing", help="the single-city run's city")
    ap.add_argument("--workers", type=int, default=available_cores(), help="N (default: every core)")
    ap.add_argument("--data-dir", default=os.environ.get("MAPKIT_DATA"), help="ReasonMap data (default $MAPKIT_DATA)")
    args = ap.parse_args(argv)
    try:
        from importlib.metadata import version

        import reasoning_gym  # noqa: F401

        gym_version = version("reasoning-gym")
    except ImportError:
        gym_version = None
    d = args.data_dir
    cities = list(known_cities(d))
    fams = list(families())
    checks: list[tuple[str, bool, str]] = []

    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)

        def mk(path: Path, cs: list[str], n: int, workers: int = 1, types: list[str] | None = None) -> int:
            return write_items(path, cs, n_per_type=n, repeats=True, data_dir=d, types=types, workers=workers).total

        # 1. per core, side by side ------------------------------------------------------------------
        print(f"per core (CPU time, one process), {args.per_core_items:,} items per run")
        gym_rate = None
        if gym_version is None:
            print("  reasoning-gym: not installed (pip install -e '.[bench]'): no ratio")
        else:
            n, cpu, _ = _cpu_rate(lambda: gym_items(args.per_core_items // 4, t / "gym.jsonl"))
            gym_rate = n / cpu
            print(f"  reasoning-gym {gym_version} shortest_path: {gym_rate:10,.0f} items/s")
        runs = [
            (f"mapkit {args.city}, every family", [args.city], per_type(args.per_core_items, cities=1, types=len(fams)),
             None),
            ("mapkit every city, every family", cities, per_type(args.per_core_items, cities=len(cities),
                                                                 types=len(fams)), None),
        ]
        runs += [(f"  {f}", cities, per_type(args.per_core_items // 4, cities=len(cities), types=1), [f]) for f in fams]
        for label, cs, n, types in runs:
            if label.startswith("  ") and label == f"  {fams[0]}":
                print("  every city, one family:")
            made, cpu, _ = _cpu_rate(lambda cs=cs, n=n, types=types: mk(t / "pc.jsonl", cs, n, types=types))
            ratio = f"  {made / cpu / gym_rate:5.2f}x reasoning-gym" if gym_rate else ""
            print(f"  {label:<36} {made / cpu:10,.0f} items/s ({made:,} items){ratio}")
            if gym_rate and not label.startswith("  "):
                checks.append((f"per core >= 2x reasoning-gym ({label})", made / cpu >= 2 * gym_rate,
                               f"{made / cpu / gym_rate:.2f}x"))

        # 2. end to end, 1 and N workers ---------------------------------------------------------------
        n = per_type(args.per_core_items * 2, cities=len(cities), types=len(fams))
        print(f"end to end (wall time), every city and family, n={n} per (city, type)")
        digests = {}
        for w in sorted({1, args.workers}):
            kids = _children_cpu()
            made, cpu, wall = _cpu_rate(lambda w=w: mk(t / f"e2e{w}.jsonl", cities, n, workers=w))
            cpu += _children_cpu() - kids
            digests[w] = hashlib.sha256((t / f"e2e{w}.jsonl").read_bytes()).hexdigest()
            print(f"  {w} worker(s): {made:,} items in {wall:.1f} s = {made / wall:,.0f} items/s "
                  f"({cpu:.1f} CPU s over all processes; {cpu / wall:.2f} cores busy on average)")
        checks.append(("same bytes for 1 and N workers", len(set(digests.values())) == 1, digests[1][:16]))

        # 3. the big run ------------------------------------------------------------------------------
        n = per_type(args.items, cities=len(cities), types=len(fams))
        big = t / "items.jsonl"
        made, _, wall = _cpu_rate(lambda: mk(big, cities, n, workers=args.workers))
        per_million = wall * 1_000_000 / made
        print(f"{made:,} items to JSONL with {args.workers} workers: {wall:.1f} s ({made / wall:,.0f} items/s), "
              f"{big.stat().st_size / 1e6:,.0f} MB; peak RSS parent {rss_mb():.0f} MB, "
              f"largest worker {rss_mb(resource.RUSAGE_CHILDREN):.0f} MB")
        checks.append((f"1,000,000 items <= 15 s ({args.workers} workers)", per_million <= 15,
                       f"{per_million:.1f} s per million"))
        checks.append(("RSS <= 400 MB", max(rss_mb(), rss_mb(resource.RUSAGE_CHILDREN)) <= 400,
                       f"{max(rss_mb(), rss_mb(resource.RUSAGE_CHILDREN)):.0f} MB"))
        for w in sorted({1, args.workers}):
            w0 = time.perf_counter()
            rep = validate_items(big, data_dir=d, workers=w)
            wall = time.perf_counter() - w0
            print(f"validate with {w} worker(s): {rep.total:,} rows in {wall:.1f} s = {rep.total / wall:,.0f} rows/s; "
                  f"{rep.failing} disagreeing")
    for name, ok, value in checks:
        print(f"  [{'ok' if ok else 'MISS'}] {name}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
