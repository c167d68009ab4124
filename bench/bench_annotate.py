"""Label Studio round-trip benchmark: push and pull 10,000 review tasks against a real local server.

Starts Label Studio 1.23.2 from ``.ls-venv`` (installed when missing) on 127.0.0.1 with a freshly
initialised data folder, generates ``--n`` canonical items over the cities that have a real map (TorF1,
TorF2, Counting1, Counting2, planning), then measures:

* ``push``: :func:`mapkit.annotations.push.push_items` into an empty project (graph truth by
  ``mapkit validate``'s code, project + storage, batched import);
* ``re-push``: the same file again (lists every task, imports nothing);
* ``pull``: :func:`mapkit.annotations.pull.pull_review` after ``--annotate`` tasks got one annotation
  each through the API (snapshot export of every task, client-side validation, every answer checked
  against the graph, JSONL written); the annotation calls are timed on their own line;
* the server's peak resident memory (its whole process group, sampled every 0.2 s).

Targets: push <= 60 s, pull <= 30 s for 10,000 tasks.

Usage:
    python bench/bench_annotate.py --data-dir ../shared/data/reasonmap
    python bench/bench_annotate.py --data-dir ../shared/data/reasonmap --n 2000 --annotate 200
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024
TARGET_PUSH_S, TARGET_PULL_S = 60.0, 30.0
TYPES = ("TorF1", "TorF2", "Counting1", "Counting2", "planning")


class Peak:
    """Samples a server's RSS in a thread; ``peak`` in bytes."""

    def __init__(self, server) -> None:  # noqa: ANN001
        self.server, self.peak, self._stop = server, 0, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.server.rss_bytes())
            time.sleep(0.2)

    def __enter__(self) -> Peak:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:  # noqa: ANN002
        self._stop.set()
        self.thread.join()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", default=os.environ.get("MAPKIT_DATA"))
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--annotate", type=int, default=500, help="tasks that get one annotation before the pull")
    ap.add_argument("--venv", default=str(REPO / ".ls-venv"))
    args = ap.parse_args()

    from mapkit.annotations.client import Connection
    from mapkit.annotations.pull import pull_review
    from mapkit.annotations.push import push_items
    from mapkit.annotations.server import LocalServer, ensure_venv, init_data_dir

    from mapkit.data import resolve_data_dir
    from mapkit.generate import REASONMAP_CITIES, generate_items
    from mapkit.io import write_jsonl

    data = resolve_data_dir(args.data_dir)
    cities = [c for c in REASONMAP_CITIES if any((data / "maps").glob(f"*/{c}.png"))]
    work = Path(tempfile.mkdtemp(prefix="bench-annotate-"))
    items = work / "items.jsonl"
    t0 = time.perf_counter()
    per = -(-args.n * 11 // (10 * len(cities) * len(TYPES)))  # some cities ask fewer of a type: 10% spare
    rows = []
    for it in generate_items(cities, types=list(TYPES), n_per_type=per, data_dir=data, repeats=True, skip_broken=True):
        rows.append(it)
        if len(rows) == args.n:
            break
    write_jsonl(items, rows)
    print(f"items: {len(rows):,} over {len(cities)} cities with a real map ({time.perf_counter() - t0:.1f} s)")

    venv = ensure_venv(Path(args.venv))
    t0 = time.perf_counter()
    template, _ = init_data_dir(venv, work / "template")
    print(f"label-studio init: {time.perf_counter() - t0:.1f} s")
    with LocalServer(venv, template, work / "run", document_root=data) as srv, Peak(srv) as peak:
        conn = Connection(srv.url, srv.token)
        idle = srv.rss_bytes()
        t0 = time.perf_counter()
        rep = push_items(items, project="bench", conn=conn, data_dir=data, image_root=data)
        push_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = push_items(items, project="bench", conn=conn, data_dir=data, image_root=data)
        repush_s = time.perf_counter() - t0
        assert rep.created == len(rows) and again.unchanged == len(rows), (rep.to_dict(), again.to_dict())

        sdk = conn.sdk()
        t0 = time.perf_counter()
        tasks = list(conn.iter_tasks(rep.project_id))[: args.annotate]
        for k, task in enumerate(tasks):
            item = task.data["item"]
            kind = task.data["answer_kind"]
            ctrl = {"yesno": "answer_yesno", "choice": "answer_choice", "number": "answer_number"}.get(
                kind, "answer_text"
            )
            if kind in ("yesno", "choice"):
                res = {"type": "choices", "value": {"choices": [item["answer_text"]]}}
            elif kind == "number":
                res = {"type": "number", "value": {"number": int(item["answer_text"])}}
            else:
                res = {"type": "textarea", "value": {"text": [item["answer_text"]]}}
            verdict = "ambiguous" if k % 10 == 0 else "valid"
            sdk.annotations.create(
                id=task.id,
                result=[
                    {"from_name": ctrl, "to_name": "question", **res},
                    {"from_name": "verdict", "to_name": "question", "type": "choices", "value": {"choices": [verdict]}},
                ],
            )
        annotate_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        res = pull_review(project="bench", conn=conn, out=work / "reviewed.jsonl", data_dir=data)
        pull_s = time.perf_counter() - t0
    n = len(rows)
    print(
        f"push    {n:,} tasks: {push_s:6.1f} s ({n / push_s:,.0f} tasks/s; target <= {TARGET_PUSH_S:.0f} s)"
        f"  {'OK' if push_s <= TARGET_PUSH_S else 'OVER'}"
    )
    print(f"re-push {n:,} tasks: {repush_s:6.1f} s (all unchanged)")
    print(f"annotate {len(tasks):,} tasks through the API: {annotate_s:.1f} s (not part of pull)")
    print(
        f"pull    {n:,} tasks: {pull_s:6.1f} s ({n / pull_s:,.0f} tasks/s; target <= {TARGET_PULL_S:.0f} s)"
        f"  {'OK' if pull_s <= TARGET_PULL_S else 'OVER'}   statuses: {dict(res.by_status)}"
    )
    print(f"server RSS: idle {idle / MIB:.0f} MiB, peak {peak.peak / MIB:.0f} MiB (process group, sampled 5/s)")
    print(f"work folder: {work}")


if __name__ == "__main__":
    main()
