"""Validation on several cores: a JSONL file checked in line-aligned byte ranges on forked workers.

:func:`byte_ranges` cuts the file after a newline every :data:`RANGE_BYTES` or so; each worker checks
its range with its own graphs and maps (the rows parsed as one process parses them) and returns a
partial :class:`ValidationReport` with line numbers relative to the range and its line count; the
parent adds them up in file order (:func:`merge_report`), so the report - counts, disagreements and
their line numbers - is the one of one process.

Example:
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.jsonl"
    >>> _ = p.write_bytes(b'{"a":1}\\n{"b":2}\\n{"c":3}\\n')
    >>> byte_ranges(p, 2, step=9)
    [(0, 16), (16, 8)]
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from mapkit.questions.base import no_gc
from mapkit.schemas import checker
from mapkit.validate.loaders import Graphs, Maps, parse_lines
from mapkit.validate.report import MAX_LISTED, Collector, ValidationReport

__all__ = ["RANGE_BYTES", "byte_ranges", "close_worker_graphs", "merge_report", "validate_part", "validate_range"]

RANGE_BYTES = 8 << 20
"""Bytes of JSONL per parallel validation task (about 8,000 items)."""

STATE: dict[str, Any] = {}
"""What a forked worker inherits: the file, the data dir, the caller's graphs, the row loop."""


def byte_ranges(path: Path, workers: int, *, step: int | None = None) -> list[tuple[int, int]]:
    """``(offset, length)`` ranges of ``path`` that start and end at line boundaries (after a newline)."""
    size = path.stat().st_size
    if step is None:
        step = max(RANGE_BYTES, size // (workers * 8) + 1) if size > RANGE_BYTES else size
    out, start = [], 0
    with path.open("rb") as fh:
        while start < size:
            fh.seek(min(start + step, size))
            fh.readline()  # to the end of the line the cut fell in
            end = min(fh.tell(), size)
            out.append((start, end - start))
            start = end
    return out


def validate_range(task: tuple[int, int]) -> tuple[ValidationReport | None, int]:
    """Check the rows of one byte range: (report with range-relative line numbers, lines in the range);
    ``(None, 0)`` when the range is not UTF-8 (the parent names the file and the byte)."""
    offset, length = task
    path: Path = STATE["path"]
    with path.open("rb") as fh:
        fh.seek(offset)
        data = fh.read(length)
    text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")  # the same line splitting as open()
    lines = _Numbered(text)
    try:
        rep = _check(lines, path, path.parent)
    except UnicodeDecodeError:
        return None, 0
    # the lines the reader saw (a universal-newline reader ends a line at \n, \r\n and a lone \r)
    return rep, lines.count


class _Numbered:
    """``enumerate(lines, 1)`` that remembers how many lines it gave (no second pass over the bytes)."""

    def __init__(self, lines: Any) -> None:
        self.lines = lines
        self.count = 0

    def __iter__(self) -> Any:
        for self.count, line in enumerate(self.lines, 1):  # noqa: B020 - the count is the point
            yield self.count, line


def close_worker_graphs() -> None:
    """Free the caches of the graphs :func:`validate_range` and :func:`validate_part` kept (when they ran
    in this process)."""
    gs = STATE.pop("gs", None)
    if gs is not None:
        gs.close()


def validate_part(k: int) -> tuple[ValidationReport, int]:
    """Check part ``k`` of the sharded folder in ``STATE["shards"]``: (report with part-relative line
    numbers, lines in the part)."""
    lines = list(STATE["shards"].part_lines(k))
    return _check(enumerate(lines, 1), STATE["path"], STATE["shards"].folder), len(lines)


def _check(numbered: Iterable[tuple[int, str]], path: Path, items_dir: Path) -> ValidationReport:
    rep = ValidationReport(path=str(path), format="mapkit")
    gs = STATE.get("gs")
    if gs is None:  # one per worker, kept across its ranges: a city is loaded once, not once per range
        gs = STATE["gs"] = Graphs(STATE["data_dir"], STATE["graphs"])
    with no_gc():
        STATE["loop"](parse_lines(numbered), "mapkit", gs, Collector(rep), checker("item"), rep, Maps(items_dir))
    return rep


def merge_report(rep: ValidationReport, part: ValidationReport, line_offset: int) -> None:
    """Add a range's report to ``rep``, its line numbers moved by ``line_offset`` (lines before the range)."""
    rep.total += part.total
    rep.agreeing += part.agreeing
    rep.failing += part.failing
    rep.problems += part.problems
    rep.by_type.update(part.by_type)
    rep.failing_by_type.update(part.failing_by_type)
    for d in part.disagreements[: MAX_LISTED - len(rep.disagreements)]:
        line = d.line + line_offset
        rep.disagreements.append(replace(d, line=line, id=f"line {line}" if d.id == f"line {d.line}" else d.id))
