"""An export's rows made on several cores: the items file read in line-aligned byte ranges, each range's
rows turned into Arrow tables (one per output key) by a forked worker, handed back in file order.

The ranges are cut every :data:`RANGE_BYTES` whatever the number of workers, and the parent receives
the same tables in the same order for every number of workers, so what it writes from them is the same
bytes. Turning parsed items into rows and rows into Arrow (``Table.from_pylist``) is most of an export's
CPU once the maps are drawn; the parent only encodes Parquet.

Example:
    >>> import tempfile, pathlib, pyarrow as pa
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "items.jsonl"
    >>> _ = p.write_text('{"id": "a", "n": 1}\\n\\n{"id": "b", "n": 2}\\n{"id": "c", "n": 3}\\n')
    >>> schema = pa.schema([("id", pa.string())])
    >>> [(k, t.column("id").to_pylist()) for k, t in row_tables(
    ...     p, lambda split, it: (it["n"] % 2, {"id": it["id"]}), schema, workers=1, split_of=lambda it: "train")]
    [(1, ['a', 'c']), (0, ['b'])]
"""

from __future__ import annotations

import io
import json
import os
from collections import Counter
from collections.abc import Callable, Hashable, Iterator
from pathlib import Path
from typing import Any

from mapkit.errors import ExportError
from mapkit.parallel import map_ordered
from mapkit.questions.base import no_gc
from mapkit.shardset import ShardSet, is_sharded

__all__ = ["RANGE_BYTES", "item_ranges", "row_tables"]

RANGE_BYTES = 4 << 20
"""Bytes of JSONL per task (about 3,000 items): fixed, so the tables do not depend on the number of workers."""

RowFn = Callable[[str, dict[str, Any]], tuple[Hashable, Any]]
"""``row(split, item) -> (key, row)``: the output (file, split ...) a row goes to, and the row; ``(None,
label)`` leaves the item out, counted under ``label``."""

_JOB: dict[str, Any] = {}
"""What a forked worker inherits: the file, the row function, the schema, how to name a key."""


def item_ranges(path: str | os.PathLike[str], *, step: int | None = None) -> list[tuple[int, int]]:
    """``(offset, length)`` ranges of ``path`` that start and end at line boundaries (every ``step`` bytes,
    default :data:`RANGE_BYTES`)."""
    from mapkit.validate.ranges import byte_ranges

    return byte_ranges(Path(path), 1, step=step or RANGE_BYTES)


def _lines(task: tuple[int, int]) -> Iterator[str]:
    """The lines of one task: a byte range of the items file, or (with a sharded folder) part ``task[0]``."""
    shards = _JOB.get("shards")
    if shards is not None:
        return shards.part_lines(task[0])
    offset, length = task
    with open(_JOB["path"], "rb") as fh:
        fh.seek(offset)
        data = fh.read(length)
    # the same line splitting as the first pass (a text file opened with universal newlines)
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")


def _range(task: tuple[int, int]) -> tuple[int, list[tuple[Hashable, Any]], Counter[str]]:
    """The items of one byte range (or part): (how many, [(key, Arrow table of the key's rows)] in
    first-seen order, the items skipped by label)."""
    import pyarrow as pa

    row, split_of, schema = _JOB["row"], _JOB["split_of"], _JOB["schema"]
    groups: dict[Hashable, list[Any]] = {}
    skipped: Counter[str] = Counter()
    n = 0
    with no_gc():
        for line in _lines(task):
            if not line.strip():
                continue
            item = json.loads(line)
            n += 1
            key, r = row(split_of(item), item)
            if key is None:
                skipped[r] += 1
            else:
                groups.setdefault(key, []).append(r)
        out: list[tuple[Hashable, Any]] = []
        for key, rows in groups.items():
            if schema is None:  # rows the row function encoded itself (JSON text)
                out.append((key, rows))
                continue
            try:
                table = pa.Table.from_pylist(rows, schema=schema)
            except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as err:
                raise ExportError(f"Cannot write rows of {_JOB['name'](key)}: {err}.") from None
            out.append((key, _to_ipc(table) if _JOB["ipc"] else table))
    return n, out, skipped


def _to_ipc(table: Any) -> bytes:
    # Arrow's own stream format crosses the process boundary ~10x faster than pickling the Table
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _from_ipc(data: Any) -> Any:
    import pyarrow as pa

    return pa.ipc.open_stream(data).read_all() if isinstance(data, bytes) else data


def row_tables(
    path: str | os.PathLike[str],
    row: RowFn,
    schema: Any,
    *,
    workers: int,
    split_of: Callable[[dict[str, Any]], str] | None = None,
    name: Callable[[Hashable], str] = str,
    progress: Callable[[int], None] | None = None,
    skipped: Counter[str] | None = None,
) -> Iterator[tuple[Hashable, Any]]:
    """``(key, table)`` for the items of ``path`` in file order: each range's rows, grouped by key.

    ``row(split, item)`` runs in the workers (``fork``: it may close over anything); with ``schema``
    None the rows come back as the row function made them (a list per key, e.g. JSON text), else as
    one Arrow table per key. ``name(key)`` names a key in an error; ``progress(n)`` is called with the
    items of each range as it arrives; ``skipped`` counts the items ``row`` left out.
    """
    from mapkit.export.core import split_of as item_split

    split_of = split_of or item_split
    _JOB.update(path=str(path), row=row, schema=schema, split_of=split_of, name=name, ipc=workers > 1)
    if is_sharded(path):  # a sharded folder: one task per part (its bytes checked against the manifest)
        shards = _JOB["shards"] = ShardSet.open(path)
        ranges = [(k, 0) for k in range(len(shards.parts))]
    else:
        ranges = item_ranges(path)
    try:
        for n, tables, left_out in map_ordered(_range, ranges, workers=workers):
            for key, table in tables:
                yield key, _from_ipc(table)
            if skipped is not None:
                skipped.update(left_out)
            if progress is not None:
                progress(n)
    finally:
        _JOB.clear()
