"""Generation on several cores: deterministic shards whose merged output is the one-process output.

A plan (:func:`mapkit.generate.plan_items`) is cut into :class:`Shard` s - one plan entry (city x
family) and a range of item indices - of at most :data:`SHARD_ITEMS` indices each. Item ``i`` of a
family is a pure function of (city, seed, ``i``, config), so a shard can run anywhere; the workers
encode their items to JSONL bytes and count them (a partial :class:`~mapkit.generate.GenerationSummary`),
and the parent writes the shards' bytes in plan order. A family may skip an index (it returns
``None``); the shards cover indices ``[0, n)``, and the parent tops an entry up from index ``n`` on
exactly as one process would, so the file is byte-identical for every number of workers.

Workers are forked after the plan is made (the graphs and rendered maps are shared, not copied or
pickled); they ignore SIGINT, so Ctrl-C reaches only the parent, which stops them and leaves no
output file (the JSONL is written through :func:`mapkit.io.atomic_writer`). Where ``fork`` is not
available (Windows), generation runs in one process.

Example:
    >>> from mapkit.generate import PlanEntry
    >>> [(s.entry, s.start, s.stop) for s in shards([PlanEntry("c", "TorF1", 5, None)], size=2)]
    [(0, 0, 2), (0, 2, 4), (0, 4, 5)]
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mapkit.io import dumps_lines
from mapkit.questions import get_family
from mapkit.questions.base import no_gc, release

if TYPE_CHECKING:
    from mapkit.generate import GenerationSummary, PlanEntry
    from mapkit.questions.base import Scene

__all__ = ["SHARD_ITEMS", "Shard", "available_cores", "map_ordered", "run_sharded", "shards"]

SHARD_ITEMS = 4000
"""Item indices per shard: big enough that a shard's fixed cost (a city's pools in a fresh worker)
is spread thin, small enough that N workers stay busy and the parent holds few shards at once."""


def available_cores() -> int:
    """The cores this process may run on (the CLI's default ``--workers``).

    >>> available_cores() >= 1
    True
    """
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class Shard:
    """Item indices ``[start, stop)`` of plan entry ``entry`` (its position in the plan)."""

    entry: int
    start: int
    stop: int


def _limit(entry: PlanEntry) -> int:
    # the one-process rule of mapkit.generate._run: past the capacity a family may repeat a question
    limit = 2 * entry.n + 16
    return limit if entry.distinct is None else min(limit, entry.distinct)


def shards(entries: Sequence[PlanEntry], *, size: int = SHARD_ITEMS) -> list[Shard]:
    """The shards of a plan: each entry's first ``min(n, limit)`` indices in runs of ``size``."""
    out = []
    for k, e in enumerate(entries):
        end = min(e.n, _limit(e))
        out.extend(Shard(k, a, min(a + size, end)) for a in range(0, end, size))
    return out


# --- one shard (in a worker, or in the parent) ---------------------------------------------------

_STATE: dict[str, Any] = {}
"""What a forked worker inherits: the plan, the configs, the seed; and the last graph it generated for."""


def _items(scene: Scene, entry: PlanEntry, seed: int, cfg: Any, start: int, stop: int) -> list[dict[str, Any]]:
    from mapkit.generate import item_at

    gen = get_family(entry.family).generate
    out = []
    for i in range(start, stop):
        item = item_at(gen, scene, seed, i, cfg)
        if item is not None:
            out.append(item)
    return out


def _run_shard(shard: Shard) -> tuple[Shard, bytes, GenerationSummary]:
    from mapkit.generate import GenerationSummary

    scene, entry = _STATE["plan"][shard.entry]
    last = _STATE.get("last")
    if last is not None and last is not scene.graph:
        release(last)  # a worker moves through the cities in plan order: drop the finished one's pools
    _STATE["last"] = scene.graph
    with no_gc():
        items = _items(scene, entry, _STATE["seed"], _STATE["cfgs"][entry.family], shard.start, shard.stop)
        part = GenerationSummary()
        for item in items:
            part.add(item)
        return shard, dumps_lines(items), part


def _init_worker() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle


# --- the run ---------------------------------------------------------------------------------------


def run_sharded(
    plan: Sequence[tuple[Scene, PlanEntry]],
    seed: int,
    cfgs: Mapping[str, Any],
    summary: GenerationSummary,
    write: Callable[[bytes], Any],
    *,
    workers: int,
    progress: Callable[[int, int], None] | None = None,
    size: int | None = None,
) -> None:
    """Generate ``plan`` on ``workers`` processes, passing the JSONL bytes to ``write`` in plan order.

    ``summary`` receives every item's counts and the shortfalls (as one process would report them);
    ``progress(done, total)`` is called as shards finish; ``size``: indices per shard (default
    :data:`SHARD_ITEMS`). The bytes are those of one process.
    """
    entries = [e for _, e in plan]
    total = sum(e.n for e in entries)
    size = size or SHARD_ITEMS
    work = shards(entries, size=size)
    ctx = _fork_context()
    _STATE.clear()
    _STATE.update(plan=list(plan), seed=seed, cfgs=dict(cfgs))
    try:
        if ctx is None or workers <= 1 or len(work) <= 1 or total < size:  # too little to share out
            results: Iterator[tuple[Shard, bytes, GenerationSummary]] = map(_run_shard, work)
            _merge(plan, seed, cfgs, work, results, summary, write, progress, total)
        else:
            with ctx.Pool(min(workers, len(work)), initializer=_init_worker) as pool:
                try:
                    _merge(plan, seed, cfgs, work, pool.imap(_run_shard, work), summary, write, progress, total)
                except BaseException:
                    pool.terminate()  # Ctrl-C or an error: stop the workers now, not after their shards
                    raise
    finally:
        last = _STATE.get("last")
        if last is not None:
            release(last)
        _STATE.clear()


def _merge(
    plan: Sequence[tuple[Scene, PlanEntry]],
    seed: int,
    cfgs: Mapping[str, Any],
    work: list[Shard],
    results: Iterator[tuple[Shard, bytes, GenerationSummary]],
    summary: GenerationSummary,
    write: Callable[[bytes], Any],
    progress: Callable[[int, int], None] | None,
    total: int,
) -> None:
    per_entry = [0] * len(plan)
    for s in work:
        per_entry[s.entry] += 1
    made = [0] * len(plan)
    for k, (_, entry) in enumerate(plan):  # results come in plan order: entry by entry
        for _ in range(per_entry[k]):
            _shard, data, part = next(results)
            write(data)
            summary.merge(part)
            made[k] += part.total
            if progress is not None:
                progress(summary.total, total)
        _top_up(plan, seed, cfgs, k, min(entry.n, _limit(entry)), made, summary, write)


def _top_up(
    plan: Sequence[tuple[Scene, PlanEntry]],
    seed: int,
    cfgs: Mapping[str, Any],
    k: int,
    start: int,
    made: list[int],
    summary: GenerationSummary,
    write: Callable[[bytes], Any],
) -> None:
    """Items ``start, start + 1, ...`` of entry ``k`` while it is short and under its limit (skipped indices)."""
    from mapkit.generate import item_at

    scene, entry = plan[k]
    gen = get_family(entry.family).generate
    i, limit = start, _limit(entry)
    extra = []
    while made[k] < entry.n and i < limit:
        item = item_at(gen, scene, seed, i, cfgs[entry.family])
        i += 1
        if item is not None:
            made[k] += 1
            extra.append(item)
    if extra:
        for item in extra:
            summary.add(item)
        write(dumps_lines(extra))
    if made[k] < entry.n:
        summary.shortfalls.append(f"{entry.city}: {entry.family} gave {made[k]} of {entry.n} items")


def map_ordered(fn: Callable[[Any], Any], tasks: Sequence[Any], *, workers: int) -> Iterator[Any]:
    """``fn(task)`` for each task, in task order, on up to ``workers`` forked processes.

    ``fn`` must be a module-level function (it is pickled by name); what it closes over in module state
    set before the call is inherited by the fork. Workers ignore SIGINT; on Ctrl-C or an error the
    parent stops them. One process where fork is not available or there is one task.

    >>> list(map_ordered(abs, [-3, 1, -2], workers=2))
    [3, 1, 2]
    """
    ctx = _fork_context()
    if ctx is None or workers <= 1 or len(tasks) <= 1:
        yield from map(fn, tasks)
        return
    with ctx.Pool(min(workers, len(tasks)), initializer=_init_worker) as pool:
        try:
            yield from pool.imap(fn, tasks)
        except BaseException:
            pool.terminate()
            raise


def _fork_context() -> Any:
    try:
        return multiprocessing.get_context("fork")
    except ValueError:  # no fork on this platform: one process
        return None
