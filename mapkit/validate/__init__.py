"""Validate item files: schema, then every answer recomputed from the curated graph.

:func:`validate_items` streams a JSONL file. Format ``mapkit`` (canonical items): each row is
schema-checked (``schemas/item.schema.json`` compiled by ``fastjsonschema``:
:func:`mapkit.schemas.checker`, shared with export), its city graph is loaded once
(``mapkit.city_ref``) and compared with the row's ``graph_hash``, and its family's ``derive``
recomputes ``answer``, ``answer_text`` and ``gold``;
city fields, station names, planning transfers and the weight are checked too.

Rows of the visual families (``localise``, ``line_colour``, ``station_at_point``) are asked about a
rendered map: the manifest beside the row's ``figure`` (a path relative to the items file's folder) is
read once per map, both files' sha256 are compared with the row's ``gold.map`` (a map changed after
generation is a disagreement saying so), and the family re-derives the answer from it.

Format ``reasonmap-plus`` audits rows in the published ReasonMap-Plus layout (``country, city,
station_1, station_2, figure, question, answer, type, difficulty_city, city_line_count,
city_transfer_count``; JSONL, JSON, CSV or Parquet) against the curated graph, reading station and
line names (and Counting1's options) out of the row.

Each disagreement names the item, the field, the expected and stored values and why.

The package: :mod:`~mapkit.validate.checks` (one function per check of a canonical row, each
returning its problems), :mod:`~mapkit.validate.plus` (the ReasonMap-Plus audit),
:mod:`~mapkit.validate.loaders` (graphs, maps, rows), :mod:`~mapkit.validate.report`.

Example:
    >>> import tempfile, pathlib
    >>> from mapkit.graph import toy_city
    >>> from mapkit.generate import write_items
    >>> g = toy_city()
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "items.jsonl"
    >>> _ = write_items(p, [g], types=["TorF1", "Counting1"], n_per_type=5)
    >>> validate_items(p, graphs={"toyville": g}).ok
    True
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mapkit.errors import ConfigError, DataFileError
from mapkit.graph.model import MetroGraph
from mapkit.io import utf8_error, write_json
from mapkit.parallel import map_ordered
from mapkit.questions.base import no_gc as _no_gc
from mapkit.schemas import Checker, checker, compile_checker
from mapkit.shardset import ShardSet
from mapkit.validate import ranges
from mapkit.validate.checks import check_row
from mapkit.validate.loaders import Graphs, Maps, jsonl_rows, parse_lines
from mapkit.validate.plus import check_plus_row, plus_rows
from mapkit.validate.report import Collector, Disagreement, ValidationReport

__all__ = ["FORMATS", "Disagreement", "ValidationReport", "compile_checker", "validate_items"]

FORMATS = ("mapkit", "reasonmap-plus")
"""What :func:`validate_items` reads: canonical items, or rows in the published ReasonMap-Plus layout."""


def validate_items(
    path: str | os.PathLike[str],
    *,
    data_dir: str | os.PathLike[str] | None = None,
    report: str | os.PathLike[str] | None = None,
    fmt: str = "mapkit",
    graphs: Mapping[str, MetroGraph] | None = None,
    workers: int = 1,
) -> ValidationReport:
    """Check every row of ``path`` against the curated graphs; write the JSON report to ``report``.

    ``graphs`` maps a city reference (``mapkit.city_ref``, or the ``city`` column) to a graph to use
    instead of loading it (tests, cities built in memory). Never raises for a wrong row: the
    report lists it. Raises :class:`~mapkit.errors.DataFileError` for an unreadable file.
    ``workers`` > 1 checks a ``mapkit`` JSONL file in line-aligned byte ranges on forked processes
    (:mod:`mapkit.validate.ranges`); the report is the same as one process's. ``path`` may be a sharded
    output folder (:mod:`mapkit.shardset`): its parts are checked as the one file they concatenate to
    (line numbers count through the parts), one part per task with ``workers`` > 1.
    """
    if workers < 1:
        raise ConfigError(f"`workers` must be 1 or more (got {workers}).")
    if fmt not in FORMATS:
        raise ConfigError(f"Unknown format {fmt!r}; formats: {', '.join(FORMATS)}.")
    p = Path(path)
    shards = None
    if p.is_dir():  # a sharded output (mapkit generate --parts): its parts read as one file
        if fmt != "mapkit":
            raise ConfigError(f"{p} is a folder: only `mapkit` items are read from a sharded output.")
        shards = ShardSet.open(p)
    elif not p.is_file():
        raise DataFileError("file not found.", path=p)
    t0 = time.perf_counter()
    rep = ValidationReport(path=str(p), format=fmt)
    gs = Graphs(data_dir, graphs)
    out = Collector(rep)
    if shards is not None:
        tasks: list[Any] = list(range(len(shards.parts))) if workers > 1 else []
        check = ranges.validate_part
    else:
        tasks = ranges.byte_ranges(p, workers) if fmt == "mapkit" and workers > 1 else []
        check = ranges.validate_range
    if len(tasks) > 1:
        ranges.STATE.update(path=p, shards=shards, data_dir=data_dir, graphs=graphs, loop=_loop)
        try:
            lines = 0
            for part, n_lines in map_ordered(check, tasks, workers=workers):
                if part is None:
                    raise utf8_error(p)
                ranges.merge_report(rep, part, lines)
                lines += n_lines
        finally:
            ranges.close_worker_graphs()
            ranges.STATE.clear()
    else:
        if shards is not None:
            rows = parse_lines(enumerate(shards.lines(), 1))
        else:
            rows = jsonl_rows(p) if fmt == "mapkit" else plus_rows(p)
        schema = checker("item")
        maps = Maps(p if shards is not None else p.parent)
        with _no_gc():
            _loop(rows, fmt, gs, out, schema, rep, maps)
    gs.close()
    rep.seconds = time.perf_counter() - t0
    if report is not None:
        write_json(report, rep.to_dict())
    return rep


def _loop(
    rows: Any, fmt: str, gs: Graphs, out: Collector, schema: Checker, rep: ValidationReport, maps: Maps
) -> None:
    for lineno, row, error in rows:
        rep.total += 1
        out.row_failed = False
        if error is not None:
            out.add(f"line {lineno}", lineno, "$", "a JSON object", None, error)
            kind = "?"
        elif fmt == "mapkit":
            kind = str(row.get("type", "?")) if isinstance(row, dict) else "?"
            check_row(row, lineno, gs, out, schema, maps)
        else:
            kind = check_plus_row(row, lineno, gs, out)
        rep.by_type[kind] += 1
        if out.row_failed:
            rep.failing += 1
            rep.failing_by_type[kind] += 1
        else:
            rep.agreeing += 1
