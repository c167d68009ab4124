"""The same generation shards as Ray tasks: ``mapkit generate --engine ray [--ray-address ADDR] [--parts jsonl]``.

:mod:`mapkit.parallel` cuts a plan into shards (a city x family entry and a range of item indices)
and merges their JSONL bytes in plan order; here each shard is a Ray task instead of a forked worker,
so a run can use every core of a Ray cluster. The plan (graphs and rendered maps, without their
per-city pools) is put in Ray's object store once and read once per Ray worker process. Into one
file, the driver writes the shards' bytes in plan order (byte-identical to a one-process run); into a
sharded folder (``parts``, :mod:`mapkit.shardset`), each task writes its part itself and the driver
only renames the parts into order and writes the manifest. :func:`map_ray` runs any function over a
list as Ray tasks (the maps of ``generate --render``, ``render --synthetic N --engine ray``).

Ray is optional (``pip install 'mapkit[scale]'``) and imported only here. Without an address a
local Ray instance is started for the run (:func:`session`) and shut down after; ``address``
(``ray://host:10001`` or ``auto``) joins a running cluster, whose nodes need mapkit (same version)
installed and the output folder at a path they all see.

Example (a cluster run, docs/questions.md):
    ray start --head --port 6379                       # on the head node
    ray start --address HEAD:6379                      # on every other node
    mapkit generate --all-cities --n 20000 --engine ray --ray-address auto --parts jsonl --out /shared/all
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mapkit import parallel
from mapkit.errors import ConfigError
from mapkit.parallel import _STATE, _merge, _run_shard, shards
from mapkit.questions.base import release
from mapkit.shardset import Part, write_part

if TYPE_CHECKING:
    from mapkit.generate import GenerationSummary, PlanEntry
    from mapkit.parallel import Shard
    from mapkit.questions.base import Scene
    from mapkit.shardset import ShardWriter

__all__ = ["map_ray", "run_sharded_ray", "session", "started"]

_PLANS: dict[str, Any] = {}
"""Plans already read by this Ray worker process, by object id (one read per process, not per task)."""


def _ray_shard(
    boxed: list[Any], shard: Shard, out: tuple[str, str, str] | None = None
) -> tuple[Shard, bytes | Part, GenerationSummary]:
    import ray

    ref = boxed[0]  # boxed in a list, so Ray hands over the reference, not the value, on every task
    key = ref.hex()
    if _STATE.get("key") != key:
        plan, seed, cfgs = _PLANS.get(key) or ray.get(ref)
        _PLANS.clear()
        _PLANS[key] = (plan, seed, cfgs)
        _STATE.clear()
        _STATE.update(key=key, plan=plan, seed=seed, cfgs=cfgs)
    shard, data, part = _run_shard(shard)
    if out is None:
        return shard, data, part
    folder, fmt, token = out  # sharded output: the task writes its part, the driver gets its name and hash
    return shard, write_part(folder, f"{shard.entry}-{shard.start}", data, fmt, token), part


def run_sharded_ray(
    plan: Sequence[tuple[Scene, PlanEntry]],
    seed: int,
    cfgs: Mapping[str, Any],
    summary: GenerationSummary,
    write: Callable[[bytes], Any],
    *,
    address: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    size: int | None = None,
    parts: ShardWriter | None = None,
) -> None:
    """:func:`mapkit.parallel.run_sharded` with Ray tasks; starts (and stops) a local Ray without ``address``.

    With ``parts`` (a sharded folder being written), each task writes its shard as a part under a temp name
    and ``write`` (the writer's ``add``) gets a :class:`~mapkit.shardset.Part`, not the bytes.
    """
    with session(address) as ray:
        futures: list[Any] = []
        try:
            for scene, _ in plan:
                release(scene)  # ship graphs and maps, not the pools (each worker builds what its shards need)
            ref = ray.put((list(plan), seed, dict(cfgs)))
            work = shards([e for _, e in plan], size=size or parallel.SHARD_ITEMS)  # read now: tests set it
            task = ray.remote(_ray_shard)
            out = (str(parts.folder.resolve()), parts.fmt, parts.token) if parts is not None else None
            futures = [task.remote([ref], s, out) for s in work]
            total = sum(e.n for _, e in plan)
            _merge(plan, seed, cfgs, work, (ray.get(f) for f in futures), summary, write, progress, total)
        except BaseException:
            for f in futures:
                ray.cancel(f, force=True)
            raise


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ConfigError(
            "`engine` ray needs Ray, which is not installed.", hint="pip install 'mapkit[scale]' (or pip install ray)."
        ) from None
    return ray


def started() -> bool:
    """Whether this process is connected to a Ray instance already (a :func:`session` is open)."""
    return _ray().is_initialized()


@contextlib.contextmanager
def session(address: str | None = None) -> Iterator[Any]:
    """The ``ray`` module, connected: to ``address`` (``auto``, ``ray://host:10001``) or a local Ray started
    for the block and shut down after; inside an open session, that session (nothing started or stopped)."""
    ray = _ray()
    start = not ray.is_initialized()
    if start:
        ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        yield ray
    finally:
        if start:
            ray.shutdown()


def map_ray(fn: Callable[..., Any], tasks: Sequence[Any], *, address: str | None = None) -> Iterator[Any]:
    """``fn(task)`` for each task as a Ray task, results in task order (:func:`mapkit.parallel.map_ordered`
    on a Ray cluster); an error or Ctrl-C cancels the tasks still running."""
    with session(address) as ray:
        remote = ray.remote(fn)
        futures = [remote.remote(t) for t in tasks]
        try:
            for f in futures:
                yield ray.get(f)
        except BaseException:
            for f in futures:
                ray.cancel(f, force=True)
            raise
