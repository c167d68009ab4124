"""The ReasonMap-Plus audit: rows in the published layout checked against the curated graphs.

Rows carry ``country, city, station_1, station_2, figure, question, answer, type, difficulty_city,
city_line_count, city_transfer_count`` (JSONL, JSON, CSV or Parquet); station and line names (and
Counting1's options) are read out of the row, and the answer the curated graph gives is compared with
the published one.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mapkit.difficulty import city_difficulty, city_line_count, city_transfer_count
from mapkit.errors import ConfigError, DataFileError, DataNotFoundError, MapkitError
from mapkit.graph.model import MetroGraph
from mapkit.graph.queries import common_lines, share_line, track_span
from mapkit.io import iter_lines, load_document
from mapkit.questions.counting1 import span_of
from mapkit.validate.loaders import Graphs, jsonl_rows
from mapkit.validate.report import Collector

__all__ = ["PLUS_COLUMNS", "check_plus_row", "plus_rows"]

_OPTION = re.compile(r"(?:^|\n)\s*([A-D])\)\s*(-?\d+)")
_TORF2_LINE = re.compile(r"is on the line (.+?)\?\s*$", re.S)
PLUS_COLUMNS = (
    "country", "city", "station_1", "station_2", "figure", "question", "answer", "type", "difficulty_city",
    "city_line_count", "city_transfer_count",
)


def plus_rows(path: Path) -> Iterator[tuple[int, Any, str | None]]:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        yield from jsonl_rows(path)
    elif suffix == ".json":
        doc = load_document(path)
        if not isinstance(doc, list):
            raise DataFileError("expected a JSON list of rows.", path=path)
        for i, row in enumerate(doc, 1):
            yield i, row, None
    elif suffix == ".csv":
        lines = (line for _, line in iter_lines(path, newline=""))
        for i, row in enumerate(csv.DictReader(lines), 2):
            yield i, row, None
    elif suffix == ".parquet":
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise ConfigError("reading Parquet needs pyarrow: pip install 'mapkit[hub]'.") from None
        for i, row in enumerate(pq.read_table(path).to_pylist(), 1):
            yield i, row, None
    else:
        raise ConfigError(f"{path}: --format reasonmap-plus reads .jsonl, .json, .csv or .parquet files.")


def _plus_expected(row: dict[str, Any], g: MetroGraph) -> tuple[Any, str]:
    """The answer the curated graph gives for a published row, and how it was read."""
    kind = row["type"]
    if kind == "Counting3":
        return len(g.lines), "lines of the curated graph"
    a = g.station(str(row["station_1"])).id
    if kind == "Counting2":
        return len(g.lines_at(a)), "lines serving station_1 in the curated graph"
    if kind == "TorF2":
        m = _TORF2_LINE.search(str(row["question"]))
        if not m:
            raise ValueError("cannot read the line name out of the question")
        lid = g.line(m.group(1).strip()).id
        return int(lid in g.lines_at(a)), f"membership of station_1 in {g.lines[lid].name}"
    b = g.station(str(row["station_2"])).id
    if kind == "TorF1":
        return int(share_line(g, a, b)), "whether station_1 and station_2 share a line"
    if kind == "Counting1":
        options = [int(v) for _, v in _OPTION.findall(str(row["question"]))]
        if len(options) != 4:
            raise ValueError("cannot read four options A)-D) out of the question")
        sp = span_of(g, a, b)
        how = "stops between on the curated graph"
        if sp is not None:
            count = len(sp[0])
        else:
            count = _track_count(g, a, b)
            how = "stops along the line's track through the junction (no single train rides it)"
            if count is None:
                raise ValueError(
                    "no unambiguous count: the stations share no service and no unique track, are equally "
                    "far both ways round a loop, the count depends on the direction of a one-way service, "
                    "or their common lines disagree"
                )
        if count not in options:
            raise ValueError(f"the true count {count} is not among the options {options}")
        pos = options.index(count)
        return pos, f"{count} {how}, option {'ABCD'[pos]}"
    raise ValueError(f"unknown ReasonMap-Plus type {kind!r}")


def _track_count(g: MetroGraph, a: str, b: str) -> int | None:
    """Stops between two stations on different branches of their common line(s), counted along the
    track through the junction as a reader does - only where every common line's track offers exactly
    one way between them and the lines agree."""
    counts = set()
    for lid in common_lines(g, a, b):
        t = track_span(g, a, b, lid)
        if t is None:
            return None
        counts.add(len(t))
    return counts.pop() if len(counts) == 1 else None


def check_plus_row(row: Any, lineno: int, graphs: Graphs, out: Collector) -> str:
    """Audit one published row against the curated graph; returns its type (for the report's counts)."""
    if not isinstance(row, dict):
        out.add(f"line {lineno}", lineno, "$", "an object", type(row).__name__, "each row must be an object")
        return "?"
    kind = str(row.get("type", "?"))
    item_id = str(row.get("id") or f"{row.get('city', '?')}:{kind}:line{lineno}")
    missing = [c for c in PLUS_COLUMNS if c not in row]
    if missing:
        out.add(item_id, lineno, missing[0], "present", None, f"missing column(s) {', '.join(missing)}")
        return kind
    try:
        g = graphs.get(str(row["city"]))
    except DataNotFoundError:
        raise  # the data is not here: one clear message, not the same cause on every row
    except MapkitError as e:
        out.add(item_id, lineno, "city", "a known city", row["city"], f"cannot load the city: {e}")
        return kind
    for fld, want in (
        ("difficulty_city", city_difficulty(g)), ("city_line_count", city_line_count(g)),
        ("city_transfer_count", city_transfer_count(g)),
    ):
        if str(row[fld]) != str(want):
            out.add(item_id, lineno, fld, want, row[fld], f"{fld} of {g.city} by the documented rule")
    try:
        expected, how = _plus_expected(row, g)
    except (MapkitError, ValueError) as e:
        out.add(item_id, lineno, "answer", None, row["answer"], f"cannot decide from the curated graph: {e}")
        return kind
    try:
        stored = int(row["answer"])
    except (TypeError, ValueError):
        stored = row["answer"]
    if stored != expected:
        out.add(item_id, lineno, "answer", expected, row["answer"], how)
    return kind
