"""Trainer formats: thin adapters from the canonical item to what each trainer reads.

Each module has one ``write(ctx) -> dict`` over an :class:`~mapkit.export.core.ExportContext`; every
row it writes carries the canonical item (as JSON or as columns), so :func:`mapkit.scoring.score`
can score a response from that row alone.

============== ================================================ ========================================
format         files                                            the item travels in
============== ================================================ ========================================
hf             README.md, data/<type>/*.parquet, maps/*.parquet  ``mapkit`` JSON + typed columns
reasonmap-plus train.json, test.json, maps/, stations/           published columns + ``mapkit`` object
trl            README.md, data/*.parquet, maps/*.parquet         ``item`` (JSON) column
verl           train.parquet, test.parquet, maps/                ``reward_model.ground_truth`` (JSON)
easyr1         train.parquet, test.parquet, maps/                ``answer`` (JSON)
sharegpt       train.json, test.json, dataset_info.json, maps/   ``item`` (JSON) key
============== ================================================ ========================================

Example:
    >>> sorted(FORMATS)
    ['easyr1', 'hf', 'reasonmap-plus', 'sharegpt', 'trl', 'verl']
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

from mapkit.export.core import ExportContext
from mapkit.io import atomic_writer


def _hf(ctx: ExportContext) -> dict[str, Any]:
    from mapkit.export.hf import write_hf

    return write_hf(ctx)


def _lazy(module: str) -> Callable[[ExportContext], dict[str, Any]]:
    def write(ctx: ExportContext) -> dict[str, Any]:
        mod = __import__(f"mapkit.export.formats.{module}", fromlist=["write"])
        return mod.write(ctx)

    return write


FORMATS: dict[str, Callable[[ExportContext], dict[str, Any]]] = {
    "hf": _hf,
    "reasonmap-plus": _lazy("reasonmap_plus"),
    "trl": _lazy("trl"),
    "verl": _lazy("verl"),
    "easyr1": _lazy("easyr1"),
    "sharegpt": _lazy("sharegpt"),
}
"""Format name -> writer; `mapkit export --to NAME`."""


class JsonArrays:
    """One streamed JSON array file per split (``<out>/<split>.json``), written atomically.

    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> with JsonArrays(out) as ja:
    ...     ja.add("train", {"a": 1}); ja.add("train", {"a": 2})
    >>> json.loads((out / "train.json").read_text())
    [{'a': 1}, {'a': 2}]
    """

    def __init__(self, out: Path, *, indent: int | None = None) -> None:
        self.out, self.indent = out, indent
        self._stack = ExitStack()
        self._files: dict[str, IO[str]] = {}
        self.counts: dict[str, int] = {}

    def __enter__(self) -> JsonArrays:
        self._stack.__enter__()
        return self

    def add(self, split: str, row: dict[str, Any]) -> None:
        self.add_texts(split, [self.encode(row)])

    def encode(self, row: dict[str, Any]) -> str:
        """A row's text in the array (what :meth:`add` writes; :meth:`add_texts` takes it made elsewhere)."""
        return json.dumps(row, ensure_ascii=False, indent=self.indent)

    def add_texts(self, split: str, texts: list[str]) -> None:
        """Rows already encoded by :meth:`encode` (in worker processes)."""
        if not texts:
            return
        fh = self._files.get(split)
        if fh is None:
            fh = self._files[split] = self._stack.enter_context(atomic_writer(self.out / f"{split}.json"))
            fh.write("[\n")
            self.counts[split] = 0
        if self.counts[split]:
            fh.write(",\n")
        fh.write(",\n".join(texts))
        self.counts[split] += len(texts)

    def __exit__(self, *exc: Any) -> Any:
        if exc[0] is None:
            for fh in self._files.values():
                fh.write("\n]\n")
        return self._stack.__exit__(*exc)

    @property
    def files(self) -> list[str]:
        return [f"{s}.json" for s in self._files]


class ParquetSplits:
    """One Parquet file per split (``<out>/<split>.parquet``), streamed ``batch`` rows at a time.

    >>> import tempfile, pathlib, pyarrow as pa, pyarrow.parquet as pq
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> with ParquetSplits(out, pa.schema([("a", pa.int64())])) as ps:
    ...     ps.add("test", {"a": 1})
    >>> pq.read_table(out / "test.parquet").to_pylist()
    [{'a': 1}]
    """

    def __init__(self, out: Path, schema: Any, *, batch: int = 2_048) -> None:
        self.out, self.schema, self.batch = out, schema, batch
        self._writers: dict[str, Any] = {}
        self._buffers: dict[str, list[dict[str, Any]]] = {}
        self._tables: dict[str, Any] = {}  # Arrow rows short of a batch (add_table)
        self.counts: dict[str, int] = {}

    def __enter__(self) -> ParquetSplits:
        return self

    def add(self, split: str, row: dict[str, Any]) -> None:
        buf = self._buffers.setdefault(split, [])
        buf.append(row)
        self.counts[split] = self.counts.get(split, 0) + 1
        if len(buf) >= self.batch:
            self._flush(split)

    def add_table(self, split: str, table: Any) -> None:
        """Rows already in Arrow: written in the row groups of ``batch`` rows that :meth:`add` cuts."""
        import pyarrow as pa

        pending = self._tables.get(split)
        pending = pa.concat_tables([pending, table]) if pending is not None else table
        self.counts[split] = self.counts.get(split, 0) + table.num_rows
        while pending.num_rows >= self.batch:
            self._write(split, pending.slice(0, self.batch).combine_chunks())
            pending = pending.slice(self.batch)
        self._tables[split] = pending

    def _write(self, split: str, table: Any) -> None:
        import pyarrow.parquet as pq

        w = self._writers.get(split)
        if w is None:
            w = self._writers[split] = pq.ParquetWriter(self.out / f"{split}.parquet", self.schema,
                                                        compression="zstd")  # fmt: skip
        w.write_table(table, row_group_size=self.batch)

    def _flush(self, split: str) -> None:
        import pyarrow as pa

        buf = self._buffers.get(split)
        if not buf:
            return
        self._write(split, pa.Table.from_pylist(buf, schema=self.schema))
        self._buffers[split] = []

    def __exit__(self, *exc: Any) -> None:
        try:
            if exc[0] is None:
                for split in list(self._buffers):
                    self._flush(split)
                for split, table in self._tables.items():
                    if table.num_rows:
                        self._write(split, table.combine_chunks())
        finally:
            for w in self._writers.values():
                w.close()

    @property
    def files(self) -> list[str]:
        return [f"{s}.parquet" for s in self._writers]
