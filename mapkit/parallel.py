"""Generation on several cores: deterministic shards whose merged output is the one-process output.

A plan (:func:`mapkit.generate.plan_items`) is cut into :class:`Shard` s - one plan entry (city x
family) and a range of item indices - of at most :data:`SHARD_ITEMS` indices each. Item ``i`` of a
family is a pure function of (city, seed, ``i``, config), so a shard can run anywhere and the file is
byte-identical for every number of workers. A family may skip an index (it returns ``None``); the
shards cover indices ``[0, n)`` and the entry is topped up from index ``n`` on exactly as one process
would - by the worker that ran all of the entry's shards, or by the parent for an entry split over tasks.

The shards are grouped into :class:`Task` s (:func:`tasks`): a city's shards run in one worker, one
after another, so its pools and route trees are built once (a fresh worker per shard would rebuild
them), unless the city is a large part of the plan, when it is cut into a few slices. Workers take
tasks as they free up and append each task's JSONL to a part file in a temporary folder beside the
output; the parent copies the parts into the output in plan order (``os.copy_file_range``, in the
kernel) and adds up their counts (partial :class:`~mapkit.generate.GenerationSummary` s). No item's
bytes cross a pipe or sit in the parent's memory, and no worker waits for the parent. Progress comes
from a shared counter the workers bump after each shard.

Workers are forked after the plan is made (the graphs and rendered maps are shared, not copied or
pickled); they ignore SIGINT, so Ctrl-C reaches only the parent, which stops them, removes the part
files and leaves no output file (the JSONL is written through :func:`mapkit.io.atomic_writer`). Where
``fork`` is not available (Windows), generation runs in one process.

Example:
    >>> from mapkit.generate import PlanEntry
    >>> [(s.entry, s.start, s.stop) for s in shards([PlanEntry("c", "TorF1", 5, None)], size=2)]
    [(0, 0, 2), (0, 2, 4), (0, 4, 5)]
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from mapkit.io import dumps_lines
from mapkit.questions import get_family
from mapkit.questions.base import no_gc, release

if TYPE_CHECKING:
    from mapkit.generate import GenerationSummary, PlanEntry
    from mapkit.questions.base import Scene

__all__ = [
    "SHARD_ITEMS",
    "TASKS_PER_WORKER",
    "Shard",
    "Task",
    "available_cores",
    "map_ordered",
    "run_sharded",
    "shards",
    "tasks",
]

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


# --- tasks: a worker keeps its city ----------------------------------------------------------------

TASKS_PER_WORKER = 8
"""Tasks per worker a plan is cut into (about, at most): few enough that a city's shards run in one
worker (its pools are built once, not once per shard), enough that the workers finish close together."""


@dataclass(frozen=True)
class Task:
    """Consecutive shards (plan order) that one worker runs in a row: a city's, or a slice of a big city's.

    ``whole``: the entries whose every shard is here; the worker tops those up itself (the one-process
    loop past index ``n`` when a family skips indices), so the parent generates nothing for them.
    """

    shards: tuple[Shard, ...]
    whole: frozenset[int]


def tasks(
    entries: Sequence[PlanEntry], work: Sequence[Shard], *, workers: int, per_worker: int | None = None
) -> list[Task]:
    """Group ``work`` (the plan's shards, :func:`shards`) into :class:`Task` s: each city's shards in one
    task, unless the city holds more than ``1 / (workers * per_worker)`` of the plan's indices, when it is
    cut at shard boundaries into that many near-equal slices. The tasks keep plan order; which worker
    runs which does not change a byte.

    >>> from mapkit.generate import PlanEntry
    >>> es = [PlanEntry("a", "TorF1", 4, None), PlanEntry("a", "TorF2", 4, None), PlanEntry("b", "TorF1", 16, None)]
    >>> [[(s.entry, s.start) for s in t.shards] for t in tasks(es, shards(es, size=4), workers=2, per_worker=1)]
    [[(0, 0), (1, 0)], [(2, 0), (2, 4)], [(2, 8), (2, 12)]]
    """
    per_worker = per_worker or TASKS_PER_WORKER
    target = max(1, -(-sum(s.stop - s.start for s in work) // (workers * per_worker)))
    cities: list[list[Shard]] = []
    for s in work:  # a city: a run of shards whose entries name the same city
        if cities and entries[cities[-1][-1].entry].city == entries[s.entry].city:
            cities[-1].append(s)
        else:
            cities.append([s])
    pieces: list[list[Shard]] = []
    for city in cities:
        items = sum(s.stop - s.start for s in city)
        n = min(len(city), -(-items // target))
        piece: list[Shard] = []
        done, cut = 0, 1
        for s in city:
            if piece and done * n >= items * cut:
                pieces.append(piece)
                piece, cut = [], cut + 1
            piece.append(s)
            done += s.stop - s.start
        pieces.append(piece)
    counts = Counter(s.entry for s in work)
    return [
        Task(tuple(p), frozenset(k for k, c in Counter(s.entry for s in p).items() if c == counts[k])) for p in pieces
    ]


def _run_task(t: int) -> tuple[int, GenerationSummary, list[tuple[int, int, int, int]]]:
    """Run task ``t`` in a worker, its JSONL appended to the part file ``<parts>/<t>``: (t, counts,
    segments), a segment per entry - (entry, items, next index, bytes) - in file order."""
    from mapkit.generate import GenerationSummary

    task: Task = _STATE["tasks"][t]
    plan, seed, cfgs = _STATE["plan"], _STATE["seed"], _STATE["cfgs"]
    counter = _STATE["counter"]
    part = GenerationSummary()
    segs: list[list[int]] = []
    with open(os.path.join(_STATE["parts"], str(t)), "wb") as fh, no_gc():
        for shard in task.shards:
            k = shard.entry
            scene, entry = plan[k]
            last = _STATE.get("last")
            if last is not None and last is not scene.graph:
                release(last)  # the worker's previous city is done
            _STATE["last"] = scene.graph
            items = _items(scene, entry, seed, cfgs[entry.family], shard.start, shard.stop)
            if not segs or segs[-1][0] != k:
                segs.append([k, 0, 0, 0])
            seg = segs[-1]
            seg[1] += len(items)
            seg[2] = shard.stop
            if k in task.whole and shard.stop == min(entry.n, _limit(entry)):  # the entry's last shard
                extra, seg[2] = _extra(plan, seed, cfgs, k, shard.stop, seg[1])
                seg[1] += len(extra)
                items += extra
            for item in items:
                part.add(item)
            data = dumps_lines(items)
            fh.write(data)
            seg[3] += len(data)
            with counter.get_lock():
                counter.value += len(items)
    return t, part, [(k, n, i, b) for k, n, i, b in segs]


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
    out: BinaryIO | None = None,
    per_shard: bool = False,
) -> None:
    """Generate ``plan`` on ``workers`` processes, passing the JSONL bytes to ``write`` in plan order.

    ``summary`` receives every item's counts and the shortfalls (as one process would report them);
    ``progress(done, total)`` is called as the workers go; ``size``: indices per shard (default
    :data:`SHARD_ITEMS`). The bytes are those of one process.

    Workers run :func:`tasks` (a city's shards in one worker) and write their bytes to part files in a
    temporary folder (beside ``out``, the file ``write`` writes to, when given); the parent copies them
    into the output in plan order (``os.copy_file_range``: in the kernel, when ``out`` is given), so no
    item's bytes pass through a pipe or the parent's memory, and workers never wait for the parent.

    ``per_shard``: ``write`` is called once per shard and once per top-up, whatever ``workers`` is (a
    sharded folder's parts, :mod:`mapkit.shardset`, are the same files for every N and for the Ray
    engine); the shards' bytes then come back to the parent through pipes.
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
            return
        if per_shard:
            results = map_ordered(_run_shard, work, workers=workers)
            _merge(plan, seed, cfgs, work, results, summary, write, progress, total)
            return
        todo = tasks(entries, work, workers=workers)
        where = None if out is None or not isinstance(getattr(out, "name", None), str) else Path(out.name).parent
        parts = tempfile.mkdtemp(prefix=".mapkit-parts-", dir=where)
        counter = ctx.Value("q", 0)
        _STATE.update(tasks=todo, parts=parts, counter=counter)
        try:
            with ctx.Pool(min(workers, len(todo)), initializer=_init_worker) as pool:
                try:
                    done = pool.imap_unordered(_run_task, range(len(todo)))
                    _merge_tasks(plan, seed, cfgs, todo, done, counter, summary, write, out, progress, total)
                except BaseException:
                    pool.terminate()  # Ctrl-C or an error: stop the workers now, not after their tasks
                    raise
        finally:
            shutil.rmtree(parts, ignore_errors=True)
    finally:
        last = _STATE.get("last")
        if last is not None:
            release(last)
        _STATE.clear()


def _in_order(
    results: Iterator[tuple[int, GenerationSummary, list[tuple[int, int, int, int]]]],
    counter: Any,
    report: Callable[[int], None],
) -> Iterator[tuple[int, GenerationSummary, list[tuple[int, int, int, int]]]]:
    """Task results in task order (they finish in any order); ``report(items made so far)`` while waiting."""
    early: dict[int, Any] = {}
    want = 0
    while True:
        while want in early:
            yield early.pop(want)
            want += 1
        try:
            res = results.next(timeout=0.25)  # type: ignore[attr-defined]
        except StopIteration:
            return
        except multiprocessing.TimeoutError:
            report(counter.value)
            continue
        early[res[0]] = res


def _merge_tasks(
    plan: Sequence[tuple[Scene, PlanEntry]],
    seed: int,
    cfgs: Mapping[str, Any],
    todo: list[Task],
    results: Iterator[tuple[int, GenerationSummary, list[tuple[int, int, int, int]]]],
    counter: Any,
    summary: GenerationSummary,
    write: Callable[[bytes], Any],
    out: BinaryIO | None,
    progress: Callable[[int, int], None] | None,
    total: int,
) -> None:
    shown = 0

    def report(done: int) -> None:
        nonlocal shown
        if progress is not None and done > shown:
            shown = min(done, total)
            progress(shown, total)

    n_segs = [0] * len(plan)  # tasks holding each entry
    for task in todo:
        for k in {s.entry for s in task.shards}:
            n_segs[k] += 1
    made = [0] * len(plan)
    nxt = [min(e.n, _limit(e)) for _, e in plan]
    seen = [0] * len(plan)
    k = 0  # the next entry to close (top up, note its shortfall)

    def close_through(stop: int) -> None:
        nonlocal k
        while k < stop:
            _top_up(plan, seed, cfgs, k, nxt[k], made, summary, write)
            k += 1

    copied = 0
    for t, part, segs in _in_order(results, counter, report):
        summary.merge(part)
        path = os.path.join(_STATE["parts"], str(t))
        with open(path, "rb") as src:
            offset = 0
            for e, n, i, nbytes in segs:
                close_through(e)  # entries before this one (with no shards, or finished) come first
                _copy(src, offset, nbytes, write, out)
                offset += nbytes
                made[e] += n
                nxt[e] = i
                seen[e] += 1
                copied += n
                if seen[e] == n_segs[e]:
                    close_through(e + 1)
                report(copied)
        os.unlink(path)  # its pages leave the page cache now, not at the end
    close_through(len(plan))


def _copy(src: BinaryIO, offset: int, nbytes: int, write: Callable[[bytes], Any], out: BinaryIO | None) -> None:
    """``nbytes`` of ``src`` from ``offset`` to the output: in the kernel when the output is a file (``out``)."""
    if out is not None and nbytes:
        out.flush()  # what ``write`` buffered goes first
        try:
            while nbytes:
                got = os.copy_file_range(src.fileno(), out.fileno(), nbytes, offset)
                if got <= 0:
                    break
                offset += got
                nbytes -= got
        except (AttributeError, OSError):  # no copy_file_range (Python < 3.8, not Linux, another filesystem)
            pass
    while nbytes:
        src.seek(offset)
        chunk = src.read(min(nbytes, 16 << 20))
        if not chunk:
            raise EOFError(f"{src.name} is shorter than its worker said")
        write(chunk)
        offset += len(chunk)
        nbytes -= len(chunk)


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


def _extra(
    plan: Sequence[tuple[Scene, PlanEntry]], seed: int, cfgs: Mapping[str, Any], k: int, start: int, made: int
) -> tuple[list[dict[str, Any]], int]:
    """Items ``start, start + 1, ...`` of entry ``k`` while it is short (``made`` so far) and under its limit
    (skipped indices): (the items, the next index)."""
    from mapkit.generate import item_at

    scene, entry = plan[k]
    gen = get_family(entry.family).generate
    i, limit = start, _limit(entry)
    extra = []
    while made + len(extra) < entry.n and i < limit:
        item = item_at(gen, scene, seed, i, cfgs[entry.family])
        i += 1
        if item is not None:
            extra.append(item)
    return extra, i


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
    """Top entry ``k`` up from index ``start`` (:func:`_extra`) in the parent, and note a shortfall."""
    _, entry = plan[k]
    extra, _ = _extra(plan, seed, cfgs, k, start, made[k])
    if extra:
        made[k] += len(extra)
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
