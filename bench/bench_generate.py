"""Generation and validation benchmark: a million items over every city, in one process.

1. ``write_items`` over every known city and every question family, ``n`` per (city, type) so the
   total reaches ``--items`` (repeats allowed: small cities offer fewer distinct questions; a repeat
   costs exactly what a new item costs); wall time, CPU time, items/s, file size.
2. ``validate_items`` on that file: schema + every answer re-derived from the graph; items/s.
3. Peak RSS of the process (``ru_maxrss``) after each phase.
4. reasoning-gym's ``shortest_path`` generator side by side (items/s for generation + JSONL write of
   ``--gym-items`` items), or a clear note when reasoning-gym is not installed.

Targets: 1,000,000 items generated and written in < 30 s, validation >= 50,000 items/s, RSS < 400 MB.
The machine's other load shows in wall time, not in CPU time: both are printed.

Usage:
    python bench/bench_generate.py --data-dir ../shared/data/reasonmap
    python bench/bench_generate.py --items 200000 --gym-items 20000

Example (the per-type count for a target total):
    >>> per_type(1_000_000, cities=30, types=11)
    3031
"""

from __future__ import annotations

import argparse
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


def rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def bench_mapkit(total: int, out: Path, data_dir: str | None) -> dict[str, float]:
    from mapkit.generate import write_items
    from mapkit.questions import families
    from mapkit.sources import known_cities
    from mapkit.validate import validate_items

    cities = list(known_cities(data_dir))
    n = per_type(total, cities=len(cities), types=len(families()))
    w0, c0 = _clock()
    summary = write_items(out, cities, n_per_type=n, repeats=True, data_dir=data_dir)
    w1, c1 = _clock()
    gen = {"items": summary.total, "wall": w1 - w0, "cpu": c1 - c0, "rss": rss_mb(), "bytes": out.stat().st_size}
    rep = validate_items(out, data_dir=data_dir)
    w2, c2 = _clock()
    val = {"items": rep.total, "wall": w2 - w1, "cpu": c2 - c1, "rss": rss_mb(), "failing": rep.failing}
    return {
        "cities": len(cities), "n_per_type": n,
        **{f"gen_{k}": v for k, v in gen.items()}, **{f"val_{k}": v for k, v in val.items()},
        "shortfalls": len(summary.shortfalls),
    }


def bench_reasoning_gym(count: int, out: Path) -> dict[str, float] | str:
    try:
        import reasoning_gym
    except ImportError:
        return "reasoning-gym is not installed (pip install reasoning-gym): skipped"
    w0, c0 = _clock()
    ds = reasoning_gym.create_dataset("shortest_path", size=count, seed=1)
    with out.open("w", encoding="utf-8") as fh:
        for item in ds:
            fh.write(json.dumps(item, ensure_ascii=False, separators=(",", ":")) + "\n")
    w1, c1 = _clock()
    from importlib.metadata import version  # the module's __version__ lags the distribution's

    return {"items": count, "wall": w1 - w0, "cpu": c1 - c0, "version": version("reasoning-gym")}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--items", type=int, default=1_000_000, help="target number of mapkit items")
    ap.add_argument("--gym-items", type=int, default=50_000, help="reasoning-gym shortest_path items")
    ap.add_argument("--data-dir", default=os.environ.get("MAPKIT_DATA"), help="ReasonMap data (default $MAPKIT_DATA)")
    ap.add_argument("--keep", type=Path, help="keep the generated JSONL at this path")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        out = args.keep or Path(tmp) / "items.jsonl"
        m = bench_mapkit(args.items, out, args.data_dir)
        gym = bench_reasoning_gym(args.gym_items, Path(tmp) / "gym.jsonl")

    gen_rate = m["gen_items"] / m["gen_wall"]
    val_rate = m["val_items"] / m["val_wall"]
    print(f"mapkit: {m['cities']} cities x all families, n={m['n_per_type']} per (city, type), one process")
    print(
        f"  generate+write: {m['gen_items']:,} items in {m['gen_wall']:.1f} s wall ({m['gen_cpu']:.1f} s CPU) "
        f"= {gen_rate:,.0f} items/s wall, {m['gen_items'] / m['gen_cpu']:,.0f} items/s CPU; "
        f"{m['gen_bytes'] / 1e6:,.0f} MB; peak RSS {m['gen_rss']:.0f} MB"
    )
    print(
        f"  validate:       {m['val_items']:,} items in {m['val_wall']:.1f} s wall ({m['val_cpu']:.1f} s CPU) "
        f"= {val_rate:,.0f} items/s wall, {m['val_items'] / m['val_cpu']:,.0f} items/s CPU; "
        f"{m['val_failing']} disagreeing; peak RSS {m['val_rss']:.0f} MB"
    )
    if isinstance(gym, str):
        print(f"reasoning-gym: {gym}")
    else:
        print(
            f"reasoning-gym {gym['version']} shortest_path: {gym['items']:,} items generated+written in "
            f"{gym['wall']:.2f} s wall ({gym['cpu']:.2f} s CPU) = {gym['items'] / gym['wall']:,.0f} items/s"
        )
    per_million = m["gen_wall"] * 1_000_000 / m["gen_items"]
    checks = [
        ("1,000,000 items < 30 s", per_million < 30, f"{per_million:.1f} s per million (wall)"),
        ("validation >= 50,000 items/s", val_rate >= 50_000, f"{val_rate:,.0f}/s wall"),
        ("RSS < 400 MB", m["val_rss"] < 400, f"{m['val_rss']:.0f} MB"),
    ]
    for name, ok, value in checks:
        print(f"  [{'ok' if ok else 'MISS'}] {name}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
