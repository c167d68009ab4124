"""Render benchmark: wall time and peak memory of ``render_city``, layout included.

Two cases, each in a fresh interpreter (so that one case's caches and memory peak do not
flatter the other):

* ``synthetic``: the 8-line synthetic city ``synthetic:7:8`` (station coordinates) drawn at
  2048x2048 -- target <= 0.3 s;
* ``beijing``: the curated ReasonMap graph of Beijing (no coordinates: schematic layout
  computed from the topology), canvas sized from the city -- target <= 3 s.

Each case renders once to warm up (imports, font discovery), then ``--repeat`` times; the
median wall time is reported with the CPU time, the process's peak RSS (``ru_maxrss``:
interpreter, numpy and the image buffers) and the peak of Python/numpy allocations
(tracemalloc, one extra traced run). A per-phase split (layout, labels, drawing, PNG) of one
run shows where the time goes.

Usage:
    python bench/bench_render.py --data-dir ../shared/data/reasonmap
    python bench/bench_render.py --case synthetic --repeat 10 --json out/bench_render.json

Example (the statistic used):
    >>> median([0.3, 0.1, 0.2])
    0.2
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024
CASES = {
    "synthetic": {"city": "synthetic:7:8", "width": 2048, "height": 2048, "target_s": 0.3},
    "beijing": {"city": "beijing", "width": None, "height": None, "target_s": 3.0},
}


def median(xs: list[float]) -> float:
    """The median of ``xs``."""
    return statistics.median(xs)


def run_case(name: str, repeat: int, data_dir: str | None) -> dict[str, Any]:
    """Run one case in this interpreter (called in the child process)."""
    import resource
    import tempfile
    import time
    import tracemalloc

    from mapkit.render import DEFAULT_STYLE, render_city
    from mapkit.sources import load_city

    case = CASES[name]
    graph = load_city(case["city"], data_dir=data_dir)
    style = DEFAULT_STYLE.with_size(case["width"], case["height"])
    out = Path(tempfile.mkdtemp(prefix="bench-render-"))
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    res = render_city(graph, out, style=style)  # warm-up: imports, fonts, numpy threads
    walls, cpus = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        res = render_city(graph, out, style=style)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    tracemalloc.start()
    render_city(graph, out, style=style)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "case": name,
        "city": case["city"],
        "stations": len(graph.stations),
        "lines": len(graph.lines),
        "image": f"{res.figures.width}x{res.figures.height}",
        "png_bytes": res.png_path.stat().st_size,
        "passed_gate": res.passed,
        "repeat": repeat,
        "wall_s_median": round(median(walls), 4),
        "wall_s_min": round(min(walls), 4),
        "cpu_s_median": round(median(cpus), 4),
        "target_s": case["target_s"],
        "meets_target": median(walls) <= case["target_s"],
        "peak_rss_mib": round(rss_peak / MIB, 1),
        "rss_growth_mib": round((rss_peak - rss_before) / MIB, 1),
        "traced_peak_mib": round(traced_peak / MIB, 1),
        "phases_s": phases(graph, style),
    }


def phases(graph: Any, style: Any) -> dict[str, float]:
    """CPU seconds of each stage of one render (the same calls render_city makes)."""
    import time

    from mapkit.render.draw import draw_png, png_bytes
    from mapkit.render.fonts import font_chain
    from mapkit.render.gate import check, measure
    from mapkit.render.geometry import build_geometry
    from mapkit.render.labels import place_labels
    from mapkit.render.layout import layout_city

    out: dict[str, float] = {}
    clock = time.process_time

    def timed(key: str, fn: Any, *args: Any, **kw: Any) -> Any:
        t = clock()
        value = fn(*args, **kw)
        out[key] = round(clock() - t, 4)
        return value

    texts = [s.name for s in graph.stations.values()] + [ln.name for ln in graph.lines.values()] + [graph.city]
    fonts = timed("fonts", font_chain, texts, prefer=style.font)
    lay = timed("layout", layout_city, graph, mode=style.layout, octilinear=style.octilinear)
    geo = timed("geometry", build_geometry, graph, lay, style, fonts)
    labels = timed("labels", place_labels, graph, geo, style, fonts)
    timed("gate", lambda: check(measure(geo, labels)))
    img = timed("draw", draw_png, geo, labels, style)
    timed("png", png_bytes, img)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--case", choices=sorted(CASES), action="append", help="Run only this case (repeatable).")
    ap.add_argument("--repeat", type=int, default=5, help="Timed renders per case (after one warm-up).")
    ap.add_argument("--data-dir", default=os.environ.get("MAPKIT_DATA"), help="ReasonMap data (for beijing).")
    ap.add_argument("--json", type=Path, help="Also write the results to this JSON file.")
    ap.add_argument("--baseline", type=Path,
                    help="Another checkout (e.g. `git worktree add ../base main`): each case runs there too, "
                    "alternating with this one, and the ratio is printed.")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(run_case(args.child, args.repeat, args.data_dir)))
        return 0
    results = []
    for name in args.case or list(CASES):
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child", name, "--repeat", str(args.repeat)]
        if args.data_dir:
            cmd += ["--data-dir", str(args.data_dir)]
        if args.baseline:  # the same child, importing the other checkout's mapkit first
            env = {**os.environ, "PYTHONPATH": str(args.baseline.resolve())}
            proc = subprocess.run(cmd, capture_output=True, text=True, cwd=args.baseline, check=False, env=env)
            if proc.returncode != 0:
                print(proc.stderr, file=sys.stderr)
                return proc.returncode
            base = json.loads(proc.stdout.strip().splitlines()[-1])
            print(f"{name:10s} baseline {args.baseline}: {base['image']:>10s}  wall {base['wall_s_median']:.3f} s "
                  f"(cpu {base['cpu_s_median']:.3f})  png {base['png_bytes'] / 1024:.0f} KiB")
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, check=False)
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            return proc.returncode
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        if args.baseline:
            r["baseline_wall_s_median"] = base["wall_s_median"]
            print(f"{name:10s} this / baseline wall: {r['wall_s_median'] / base['wall_s_median']:.2f}x")
        results.append(r)
        status = "ok" if r["meets_target"] else "SLOWER THAN TARGET"
        print(f"{r['case']:10s} {r['city']:14s} {r['stations']:4d} stations {r['lines']:2d} lines  {r['image']:>10s}  "
              f"wall {r['wall_s_median']:.3f} s (min {r['wall_s_min']:.3f}, cpu {r['cpu_s_median']:.3f})  "
              f"target {r['target_s']} s: {status}  peak RSS {r['peak_rss_mib']} MiB "
              f"(+{r['rss_growth_mib']} rendering), traced peak {r['traced_peak_mib']} MiB  "
              f"png {r['png_bytes'] / 1024:.0f} KiB")
        print("           phases (cpu s): " + ", ".join(f"{k} {v:.3f}" for k, v in r["phases_s"].items()))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0 if all(r["meets_target"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
