"""Generation and validation benchmark: per core against reasoning-gym, then on every core, in one run.

1. Per core, side by side (CPU seconds of this process, so the machine's other load does not count):
   reasoning-gym's ``shortest_path`` (generate + write JSONL) and mapkit ``write_items`` with one
   worker, each line with both rates and the ratio (target >= 2): one city (``--city``, default
   beijing) with every family (``--city-n`` per family, default 20,000: ``mapkit generate --city beijing
   --n 20000``); every city with every family at ``--n`` per city and family (default 2,000: the issue's
   ``--all-cities --n 2000``) and at ``--small-n`` (default 303); then one line per family over every
   city (``--family-n``, default 2,000), the visual families included: their maps are drawn first (render
   time printed on its own line, not counted), the per-city setup (loading the city and its map) is
   counted in each visual family's line as a one-family run would pay it.
2. End to end (wall time): the same all-cities run with 1 and N workers (``--workers``, default every
   core), checked byte-identical.
3. ``--items`` (default 1,000,000) items over every city and family to JSONL with N workers and with
   1 (each run in a fresh process, checked byte-identical): wall time, CPU seconds over all processes
   and the wall time they imply on N idle cores (target <= 15 s on 2 cores; the host may be shared),
   the parallel machinery's cost (CPU of N workers - CPU of 1), peak RSS of the parent and of the
   largest worker (target <= 400 MB); then ``validate`` with 1 and N workers, the same figures.

Usage:
    python bench/bench_generate.py --data-dir ../shared/data/reasonmap
    python bench/bench_generate.py --items 200000 --per-core-items 40000   # a shorter run
    python bench/bench_generate.py --per-core-only --visual-cities 5          # section 1 only, 5 maps

Example (the per-type count for a target total):
    >>> per_type(1_000_000, cities=30, types=11)
    3031
"""

from __future__ import annotations

import argparse
import filecmp
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


VISUAL = ("line_colour", "localise", "station_at_point")


def visual_rates(
    cities: list[str], n: int, data_dir: str | None, out: Path
) -> tuple[float, float, dict[str, tuple[int, float]]]:
    """Draw the maps of ``cities`` once (the render timed apart), then generate each visual family from them.

    Returns ``(render CPU s, setup CPU s, {family: (items, CPU s)})``: setup is loading the cities and their
    drawn maps (``plan_items`` less the drawing); each family's CPU s is its generation and JSONL encoding.
    """
    import mapkit.render as render_mod
    from mapkit.generate import _configs, item_at, plan_items
    from mapkit.io import atomic_writer, dumps_lines
    from mapkit.questions import get_family
    from mapkit.questions.base import no_gc, release

    drawing = [0.0]
    real = render_mod.render_city

    def timed_render(*a, **kw):  # the drawing's CPU time, told apart from the rest of plan_items
        c0 = time.process_time()
        try:
            return real(*a, **kw)
        finally:
            drawing[0] += time.process_time() - c0

    render_mod.render_city = timed_render
    try:
        c0 = time.process_time()
        plan = plan_items(cities, types=list(VISUAL), n_per_type=n, repeats=True, data_dir=data_dir, render=True,
                          render_dir=out / "maps", items_dir=out)
        setup = time.process_time() - c0 - drawing[0]
    finally:
        render_mod.render_city = real
    cfgs = _configs(list(VISUAL), None)
    rates = {}
    for fam in VISUAL:
        gen, cfg = get_family(fam).generate, cfgs[fam]
        made = 0
        c0 = time.process_time()
        with no_gc(), atomic_writer(out / f"{fam}.jsonl", "wb") as fh:
            for scene, entry in plan:
                if entry.family != fam:
                    continue
                batch = []
                i = 0
                while len(batch) < entry.n and i < 2 * entry.n + 16:  # the runner's rule (repeats allowed)
                    item = item_at(gen, scene, 0, i, cfg)
                    i += 1
                    if item is not None:
                        batch.append(item)
                for k in range(0, len(batch), 32):
                    fh.write(dumps_lines(batch[k : k + 32]))
                made += len(batch)
                release(scene.graph)  # the next family starts from cold pools, as a one-family run would
                scene.render.caches.clear()
        rates[fam] = (made, time.process_time() - c0)
    return drawing[0], setup, rates


def _run_alone(job: dict) -> dict:
    """Run ``job`` (:func:`_job`) in a fresh Python process: its own CPU seconds (itself and its workers)
    and peak RSS (itself; its largest worker), untouched by the runs before it."""
    import subprocess

    code = "import json, sys; sys.path.insert(0, sys.argv[1]); import bench_generate as b; " \
           "print(json.dumps(b._job(json.loads(sys.argv[2]))))"
    out = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent), json.dumps(job)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _job(job: dict) -> dict:
    """One measured run in this process: ``generate`` (all cities, every family) or ``validate``."""
    w0 = time.perf_counter()
    if job["kind"] == "generate":
        from mapkit.generate import write_items
        from mapkit.sources import known_cities

        cities = list(known_cities(job["data_dir"]))
        made = write_items(job["path"], cities, n_per_type=job["n"], repeats=True, data_dir=job["data_dir"],
                           workers=job["workers"]).total
    else:
        from mapkit.validate import validate_items

        rep = validate_items(job["path"], data_dir=job["data_dir"], workers=job["workers"])
        made, job["failing"] = rep.total, rep.failing
    wall = time.perf_counter() - w0
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {**job, "items": made, "wall": wall, "cpu": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime,
            "rss_parent": _own_peak_mb(me.ru_maxrss / 1024), "rss_worker": kids.ru_maxrss / 1024}


def _own_peak_mb(fallback: float) -> float:
    """This process's peak RSS since it started, in MB. Linux's ``ru_maxrss`` survives ``exec``: a job
    started by a big bench process would report the bench's peak, so read the kernel's ``VmHWM`` (kept
    per address space) where there is one."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return fallback


def big_run(path: Path, n: int, workers: int, data_dir: str | None) -> list[tuple[str, bool, str]]:
    """Section 3: every city and family, ``n`` per (city, type), to JSONL with ``workers`` and with 1 worker
    (each in a fresh process); then ``validate`` with 1 and ``workers``. Prints wall time, CPU seconds
    over all processes, the wall time that CPU implies on ``workers`` idle cores (the machine may be
    shared), what the parallel machinery costs (CPU of N workers - CPU of 1), and peak RSS."""
    checks = []
    base = {"path": str(path), "n": n, "data_dir": data_dir}
    load = os.getloadavg()[0]
    one = path.with_name("one-worker.jsonl")
    runs = {w: _run_alone({**base, "path": str(path if w == workers else one), "kind": "generate", "workers": w})
            for w in sorted({workers, 1}, reverse=True)}
    for w, r in runs.items():
        print(f"{r['items']:,} items to JSONL with {w} worker(s): {r['wall']:.1f} s wall "
              f"({r['items'] / r['wall']:,.0f} items/s), {r['cpu']:.1f} CPU s over all processes = "
              f"{r['cpu'] / w:.1f} s on {w} idle core(s); "
              f"peak RSS parent {r['rss_parent']:.0f} MB, largest worker {r['rss_worker']:.0f} MB")
    big = runs[workers]
    print(f"  {path.stat().st_size / 1e6:,.0f} MB; machine load average {load:.1f} on {os.cpu_count()} cores "
          "at the start")
    if workers > 1:
        checks.append((f"same bytes for 1 and {workers} workers", filecmp.cmp(path, one, shallow=False),
                       f"{big['items']:,} items"))
        one.unlink()
        over = big["cpu"] - runs[1]["cpu"]
        print(f"  parallel machinery: {over:+.1f} CPU s ({over / runs[1]['cpu']:+.1%}) for {workers} workers over 1")
    per_million = big["cpu"] / workers * 1_000_000 / big["items"]
    checks.append((f"1,000,000 items <= 15 s on {workers} idle cores (CPU s / {workers})", per_million <= 15,
                   f"{per_million:.1f} s per million ({big['wall'] * 1_000_000 / big['items']:.1f} s wall here)"))
    rss = max(big["rss_parent"], big["rss_worker"])
    checks.append(("RSS <= 400 MB (parent and largest worker)", rss <= 400, f"{rss:.0f} MB"))
    for w in sorted({1, workers}):
        r = _run_alone({**base, "kind": "validate", "workers": w})
        print(f"validate with {w} worker(s): {r['items']:,} rows in {r['wall']:.1f} s wall = "
              f"{r['items'] / r['wall']:,.0f} rows/s; {r['cpu']:.1f} CPU s = {r['cpu'] / w:.1f} s on {w} idle "
              f"core(s); {r['failing']} disagreeing; "
              f"peak RSS parent {r['rss_parent']:.0f} MB, largest worker {r['rss_worker']:.0f} MB")
        if w == workers:
            rss = max(r["rss_parent"], r["rss_worker"])
            checks.append(("validate RSS <= 400 MB", rss <= 400, f"{rss:.0f} MB"))
    return checks


def main(argv: list[str] | None = None) -> int:
    from mapkit.generate import write_items
    from mapkit.parallel import available_cores
    from mapkit.questions import families
    from mapkit.sources import known_cities

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--items", type=int, default=1_000_000, help="items of the big run (all cities, N workers)")
    ap.add_argument("--per-core-items", type=int, default=100_000, help="items of each per-core run")
    ap.add_argument("--city", default="beijing", help="the single-city run's city")
    ap.add_argument("--city-n", type=int, default=20_000, help="items per family of the single-city run")
    ap.add_argument("--n", type=int, default=2000, help="items per city and family of the all-cities run")
    ap.add_argument("--small-n", type=int, default=303, help="the all-cities run again with this many")
    ap.add_argument("--family-n", type=int, default=2000, help="items per city of each one-family line")
    ap.add_argument("--visual-cities", type=int, default=None, help="cities whose maps are drawn (default all)")
    ap.add_argument("--per-core-only", action="store_true", help="section 1 only")
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
        gym_n = max(args.per_core_items // 4, 1000)
        print(f"per core (CPU time, one process; reasoning-gym: {gym_n:,} items)")
        gym_rate = None
        if gym_version is None:
            print("  reasoning-gym: not installed (pip install -e '.[bench]'): no ratio")
        else:
            n, cpu, _ = _cpu_rate(lambda: gym_items(gym_n, t / "gym.jsonl"))
            gym_rate = n / cpu
            print(f"  reasoning-gym {gym_version} shortest_path: {gym_rate:,.0f} items/s")
        head = f"  {'run':<50} {'items':>9} {'mapkit/s':>10} {'gym/s':>9}  ratio"
        print(head)

        def line(label: str, made: int, cpu: float, check: bool = True) -> None:
            rate = made / cpu if cpu > 0 else float("inf")
            gym = f"{gym_rate:9,.0f}  {rate / gym_rate:5.2f}x" if gym_rate else f"{'-':>9}      -"
            print(f"  {label:<50} {made:9,} {rate:10,.0f} {gym}", flush=True)
            if gym_rate and check:
                checks.append((f"per core >= 2x reasoning-gym ({label.strip()})", rate >= 2 * gym_rate,
                               f"{rate / gym_rate:.2f}x"))

        for label, cs, n, types in [
            (f"{args.city}, every family, n={args.city_n}", [args.city], args.city_n, None),
            (f"every city, every family, n={args.n}", cities, args.n, None),
            (f"every city, every family, n={args.small_n}", cities, args.small_n, None),
        ]:
            made, cpu, _ = _cpu_rate(lambda cs=cs, n=n, types=types: mk(t / "pc.jsonl", cs, n, types=types))
            line(label, made, cpu)
        print(f"  every city, one family, n={args.family_n} per city:")
        for f in fams:
            made, cpu, _ = _cpu_rate(lambda f=f: mk(t / "pc.jsonl", cities, args.family_n, types=[f]))
            line(f"  {f}", made, cpu)
        vis_cities = cities[: args.visual_cities] if args.visual_cities else cities
        drawing, setup, rates = visual_rates(vis_cities, args.family_n, d, t / "visual")
        print(f"  visual families, {len(vis_cities)} cities (maps drawn first: {drawing:.1f} CPU s rendering, not "
              f"counted; {setup:.2f} CPU s loading cities and maps, counted in each line):")
        for f, (made, cpu) in rates.items():
            line(f"  {f}", made, cpu + setup)
        if args.per_core_only:
            for name, ok, value in checks:
                print(f"  [{'ok' if ok else 'MISS'}] {name}: {value}")
            return 0

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
        checks += big_run(big, n, args.workers, d)
    for name, ok, value in checks:
        print(f"  [{'ok' if ok else 'MISS'}] {name}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
