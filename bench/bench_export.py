"""Export benchmark: a ReasonMap-Plus-sized hf export, its image-once size ratio, and 100,000 items.

1. Generates the ``reasonmap-plus`` preset (4,018 items over the 30 ReasonMap cities) unless
   ``--items`` is given, exports it with ``--to hf`` (real maps from the data dir for the 17 cities
   that have one, maps rendered by ``mapkit.render`` for the other 13) -- once as by default (the card's
   Reproduce section regenerates the items to check its command) and once with ``verify_reproduce=False``
   --, loads the folder back with ``datasets`` (``all`` and ``maps`` joined by ``attach_images``, one
   image decoded), moves the folder and loads it again with the same cache, and prints the folder's
   size against (unique map bytes + canonical JSONL bytes) -- and what embedding the map in every
   row, as the published ReasonMap does, would have cost.
2. Replicates those items to ``--n-large`` (100,000) rows with fresh ids and exports them to every
   format in a fresh interpreter each, with 1x1 placeholder maps (images excluded from the figures):
   wall time, the process's peak RSS (``VmHWM``: interpreter + pyarrow/datasets included), and
   with ``--trace`` the peak of Python allocations (tracemalloc, a second run: it slows the export).

3. ``--workers N`` (default: every core): the same hf export of items written by ``mapkit generate
   --render`` (``--workers-cities`` cities; the Reproduce check draws every map again) with 1 and with N
   workers, one after the other in this run: wall time and CPU time of all processes for each, and
   whether the two folders are the same bytes (``--only-workers`` runs this step alone).

Replicated rows compress unusually well (every 4,018th row repeats), so the 100,000-item *sizes*
are not representative; the times and memory are.

Usage:
    python bench/bench_export.py --data-dir ../shared/data/reasonmap
    python bench/bench_export.py --data-dir ../shared/data/reasonmap --formats hf verl --n-large 20000
    python bench/bench_export.py --data-dir ../shared/data/reasonmap --only-workers --workers 2

Example (the replication on its own):
    >>> rows = [{"id": "a:TorF1:0:0", "mapkit": {"index": 0}}]
    >>> [r["id"] for r in replicate(rows, 3)]
    ['a:TorF1:0:0', 'a:TorF1:0:0~1', 'a:TorF1:0:0~2']
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024
FORMATS = ("hf", "trl", "verl", "easyr1", "sharegpt", "reasonmap-plus")
TARGET_SECONDS, TARGET_MIB = 20.0, 500


def replicate(rows: list[dict[str, Any]], n: int) -> Iterator[dict[str, Any]]:
    """``n`` rows cycling through ``rows``; copies get ``~k`` appended to their id (ids stay unique)."""
    k = 0
    made = 0
    while made < n:
        for r in rows:
            if made >= n:
                return
            yield r if k == 0 else {**r, "id": f"{r['id']}~{k}"}
            made += 1
        k += 1


def _mib(n: float) -> str:
    return f"{n / MIB:,.1f} MiB"


def reasonmap_plus(items: Path, data_dir: str | None, out: Path) -> dict[str, Any]:
    """Step 1: export, load back, size ratio."""
    import shutil

    import datasets

    from mapkit.export import export_items
    from mapkit.export.hf import attach_images

    t = time.perf_counter()
    export_items(items, to="hf", out=out.with_name("hf-noverify"), data_dir=data_dir, verify_reproduce=False)
    noverify_s = time.perf_counter() - t
    t = time.perf_counter()
    report = export_items(items, to="hf", out=out, data_dir=data_dir)
    seconds = time.perf_counter() - t
    cache = tempfile.mkdtemp(prefix="mapkit-bench-cache-")
    t = time.perf_counter()
    maps = datasets.load_dataset(str(out), "maps", split="train", cache_dir=cache)
    ds = attach_images(datasets.load_dataset(str(out), cache_dir=cache), maps)
    image = ds["test"][0]["image"]
    load_s = time.perf_counter() - t
    moved = out.parent / "moved" / out.name
    moved.parent.mkdir()
    shutil.move(out, moved)
    t = time.perf_counter()
    again = attach_images(datasets.load_dataset(str(moved), cache_dir=cache),
                          datasets.load_dataset(str(moved), "maps", split="train", cache_dir=cache))  # fmt: skip
    again["test"][0]["image"].load()
    moved_s = time.perf_counter() - t
    rows = [json.loads(line) for line in items.read_text(encoding="utf-8").splitlines() if line.strip()]
    map_bytes = dict(zip(maps["map_id"], maps["bytes"]))
    embedded = sum(map_bytes[f"{r['country']}/{r['city']}"] for r in rows) + report.row_bytes
    card = (moved / "README.md").read_text(encoding="utf-8")
    yaml_lines = card.split("\n---\n", 1)[0].count("\n")
    return {
        "items": report.items_written,
        "splits": {s: ds[s].num_rows for s in ds},
        "maps": {src: sum(1 for v in report.maps.values() if v == src) for src in sorted(set(report.maps.values()))},
        "folder_bytes": report.total_bytes,
        "unique_map_bytes": report.image_bytes,
        "jsonl_bytes": report.row_bytes,
        "size_ratio": report.size_ratio,
        "embedded_per_row_bytes": embedded,
        "export_s": seconds,
        "export_noverify_s": noverify_s,
        "load_s": load_s,
        "moved_load_s": moved_s,
        "card_lines": card.count("\n"),
        "card_yaml_lines": yaml_lines,
        "reproduce_checked": "Checked at export" in card,
        "maps_rows": maps.num_rows,
        "decoded_image": list(image.size),
    }


_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from PIL import Image
from mapkit.export import export_items
from mapkit.export.core import scan_items
items, fmt, out, trace = sys.argv[1], sys.argv[2], Path(sys.argv[3]), sys.argv[4] == "1"
ph = out.parent / "placeholders"
ph.mkdir(exist_ok=True)
images = {}
for mid in scan_items(items).maps:
    p = ph / (mid.replace("/", "__") + ".png")
    Image.new("RGB", (1, 1)).save(p)
    images[mid] = p
t = time.perf_counter()
r = export_items(items, to=fmt, out=out, images=images, trace_memory=trace)
seconds = time.perf_counter() - t
# VmHWM: this process's resident high-water mark (ru_maxrss would carry the parent's over exec)
hwm = next(int(line.split()[1]) * 1024 for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"seconds": seconds, "rss": hwm, "traced": r.peak_memory_bytes, "bytes": r.total_bytes,
                  "items": r.items_written}))
"""


def large(items: Path, fmt: str, work: Path, data_dir: str | None, trace: bool) -> dict[str, Any]:
    """Step 2 for one format: a timed run (and a traced one), each in a fresh interpreter."""
    env = {**os.environ}
    if data_dir:
        env["MAPKIT_DATA"] = str(data_dir)
    out: dict[str, Any] = {"traced": None}
    for traced in ("0", "1") if trace else ("0",):
        proc = subprocess.run(
            [sys.executable, "-c", _CHILD, str(items), fmt, str(work / f"{fmt}-{traced}"), traced],
            capture_output=True, text=True, env=env, cwd=REPO,
        )  # fmt: skip
        if proc.returncode != 0:
            raise SystemExit(f"{fmt}: export failed:\n{proc.stderr[-2000:]}")
        res = json.loads(proc.stdout.strip().splitlines()[-1])
        if traced == "0":
            out.update(seconds=res["seconds"], rss=res["rss"], bytes=res["bytes"], items=res["items"])
        else:
            out["traced"] = res["traced"]
    return out


def _folder_digest(folder: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(folder).as_posix().encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def _cpu() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def workers_step(cities: int, n: int, workers: int, data_dir: str | None, work: Path) -> dict[str, Any]:
    """Step 3: the hf export of rendered items with 1 and ``workers`` processes, side by side."""
    from mapkit.export import export_items
    from mapkit.generate import write_items
    from mapkit.presets import REASONMAP_CITIES

    items = work / "rendered" / "items.jsonl"
    picked = list(REASONMAP_CITIES)[:cities]
    write_items(items, picked, n_per_type=n, render=True, data_dir=data_dir, workers=workers)
    runs: dict[int, dict[str, Any]] = {}
    for w in sorted({1, workers}):
        out = work / f"workers-{w}" / "hf"  # the same folder name: the card names it
        t, c = time.perf_counter(), _cpu()
        report = export_items(items, to="hf", out=out, data_dir=data_dir, repo_id="bench/mapkit", workers=w)
        runs[w] = {"seconds": time.perf_counter() - t, "cpu": _cpu() - c, "digest": _folder_digest(out),
                   "items": report.items_written, "files": report.files,
                   "checked": "Checked at export" in (out / "README.md").read_text(encoding="utf-8")}  # fmt: skip
    return {"cities": picked, "n": n, "workers": workers, "runs": runs,
            "same_bytes": len({r["digest"] for r in runs.values()}) == 1}  # fmt: skip


def _print_workers(res: dict[str, Any]) -> None:
    runs = res["runs"]
    one = runs[1]
    print(f"hf export of `generate --render` items ({one['items']:,} items, {len(res['cities'])} cities, "
          f"n {res['n']}; the Reproduce check draws every map again), 1 vs {res['workers']} workers:")  # fmt: skip
    for w, r in runs.items():
        print(f"  {w} worker(s): {r['seconds']:7.2f} s wall, {r['cpu']:7.2f} s CPU (all processes), "
              f"{one['seconds'] / r['seconds']:.2f}x; Reproduce verified: {r['checked']}; "
              f"folder sha256 {r['digest'][:16]}")  # fmt: skip
    print(f"  same bytes for every number of workers: {res['same_bytes']}  (load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores: other processes share them)")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", default=os.environ.get("MAPKIT_DATA"), help="ReasonMap data (maps, stations).")
    ap.add_argument("--items", type=Path, help="Items JSONL to use instead of generating the preset.")
    ap.add_argument("--n-large", type=int, default=100_000, help="Rows of the large run (default 100,000).")
    ap.add_argument("--formats", nargs="+", default=list(FORMATS), choices=FORMATS)
    ap.add_argument("--trace", action="store_true", help="Also measure the Python heap peak (tracemalloc run).")
    ap.add_argument("--work", type=Path, help="Working folder (default: a temporary one, removed).")
    ap.add_argument("--json", action="store_true", help="Print one JSON object instead of text.")
    ap.add_argument("--workers", type=int, default=None, help="N of step 3 (default: every core).")
    ap.add_argument("--workers-cities", type=int, default=6, help="Cities of step 3 (default 6).")
    ap.add_argument("--workers-n", type=int, default=20, help="Items per type and city in step 3 (default 20).")
    ap.add_argument("--only-workers", action="store_true", help="Run step 3 alone.")
    args = ap.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="mapkit-bench-export-"))
    work.mkdir(parents=True, exist_ok=True)
    from mapkit.parallel import available_cores

    n_workers = args.workers or max(2, available_cores())
    if args.only_workers:
        res = workers_step(args.workers_cities, args.workers_n, n_workers, args.data_dir, work)
        print(json.dumps(res)) if args.json else _print_workers(res)
        return 0 if res["same_bytes"] else 1
    items = args.items
    gen_s = None
    if items is None:
        from mapkit.generate import write_items

        items = work / "reasonmap-plus.jsonl"
        t = time.perf_counter()
        write_items(items, preset="reasonmap-plus", data_dir=args.data_dir)
        gen_s = time.perf_counter() - t

    rmp = reasonmap_plus(items, args.data_dir, work / "hf")
    rows = [json.loads(line) for line in items.read_text(encoding="utf-8").splitlines() if line.strip()]
    big = work / f"items-{args.n_large}.jsonl"
    with big.open("w", encoding="utf-8") as fh:
        for r in replicate(rows, args.n_large):
            fh.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")
    results = {fmt: large(big, fmt, work, args.data_dir, args.trace) for fmt in args.formats}
    par = workers_step(args.workers_cities, args.workers_n, n_workers, args.data_dir, work)

    if args.json:
        print(json.dumps({"generate_s": gen_s, "reasonmap_plus": rmp, "large": results, "n_large": args.n_large,
                          "workers": par}))  # fmt: skip
        return 0 if par["same_bytes"] else 1
    print(f"ReasonMap-Plus-sized hf export ({rmp['items']:,} items, splits {rmp['splits']}, maps {rmp['maps']})")
    if gen_s is not None:
        print(f"  generation (preset reasonmap-plus): {gen_s:.2f} s")
    print(f"  export: {rmp['export_s']:.2f} s (renders and the Reproduce check included; without the check "
          f"{rmp['export_noverify_s']:.2f} s); load back with datasets: {rmp['load_s']:.2f} s; "
          f"maps config {rmp['maps_rows']} rows; ds['test'][0]['image'] {rmp['decoded_image']}")  # fmt: skip
    print(
        f"  folder moved, loaded again with the same cache: {rmp['moved_load_s']:.2f} s; card {rmp['card_lines']} "
        f"lines ({rmp['card_yaml_lines']} YAML); reproduce command checked: {rmp['reproduce_checked']}"
    )
    print(f"  folder {_mib(rmp['folder_bytes'])} vs unique maps {_mib(rmp['unique_map_bytes'])} + JSONL rows "
          f"{_mib(rmp['jsonl_bytes'])}: ratio {rmp['size_ratio']:.3f} (limit 1.2)")  # fmt: skip
    print(
        f"  the same maps embedded in every row: {_mib(rmp['embedded_per_row_bytes'])} "
        f"({rmp['embedded_per_row_bytes'] / rmp['folder_bytes']:.0f}x this folder)"
    )
    print(f"\n{args.n_large:,} items (replicated; 1x1 placeholder maps: images excluded)")
    head = f"  {'format':<15}{'seconds':>9}{'peak RSS':>12}{'py heap':>12}{'written':>12}"
    print(f"{head}   target < {TARGET_SECONDS:.0f} s, < {TARGET_MIB} MB")
    for fmt, r in results.items():
        ok = r["seconds"] < TARGET_SECONDS and r["rss"] < TARGET_MIB * 1e6
        heap = _mib(r["traced"]) if r["traced"] else "-"
        print(f"  {fmt:<15}{r['seconds']:>9.2f}{_mib(r['rss']):>12}{heap:>12}"
              f"{_mib(r['bytes']):>12}   {'ok' if ok else 'OVER'}")  # fmt: skip
    print()
    _print_workers(par)
    print(f"\n(this process: ru_maxrss {_mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)}; work {work})")
    return 0 if par["same_bytes"] else 1


if __name__ == "__main__":
    sys.exit(main())
