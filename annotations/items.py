"""Items as review tasks: reading canonical items or published ReasonMap-Plus rows, and the graph's truth.

Both formats are read row by row (:func:`read_rows`) with the ids ``mapkit validate`` gives them: a
canonical item's ``id``; a ReasonMap-Plus row's ``id`` column, else ``<city>:<type>:line<N>`` (N its line
in a JSONL file, its 1-based index in a JSON list, its line in a CSV file).

The graph's truth (:func:`graph_truth`) is what ``mapkit validate`` recomputes: the file is validated
with :func:`mapkit.validate.validate_items` and, for a row that disagrees, the expected ``answer`` /
``answer_text`` / ``mapkit.gold`` of its disagreements replace the stored ones. So the pre-annotation
shown to a reviewer and the answer a human is checked against at pull time are the graph's, by the
same code as ``mapkit validate``, even for a stale or wrong row.

Example:
    >>> import tempfile, pathlib
    >>> from mapkit.graph import toy_city
    >>> from mapkit.generate import write_items
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "items.jsonl"
    >>> _ = write_items(p, [toy_city()], types=["TorF1"], n_per_type=2)
    >>> rows = read_rows(p)
    >>> rows[0].id, rows[0].format, rows[0].kind
    ('toyville:TorF1:0:0', 'mapkit', 'yesno')
    >>> truth = graph_truth(p, rows, graphs={"toyville": toy_city()})
    >>> truth[rows[0].id].answer_text == rows[0].row["answer_text"], truth[rows[0].id].agrees
    (True, True)
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mapkit.annotations.configs import answer_kind

from mapkit.errors import ConfigError, DataFileError
from mapkit.graph.model import MetroGraph
from mapkit.io import dumps_canonical

__all__ = ["Row", "Truth", "graph_truth", "item_hash", "plus_answer_text", "read_rows", "row_format"]


@dataclass(frozen=True)
class Row:
    """One item to review: its ``id``, the ``row`` as read, ``format`` (``mapkit`` / ``reasonmap-plus``),
    the ``line`` it came from and its answer ``kind``."""

    id: str
    row: dict[str, Any]
    format: str
    line: int
    kind: str


@dataclass(frozen=True)
class Truth:
    """What the graph says about a row: ``answer`` / ``answer_text`` (``None`` text: no answer),
    ``gold`` (canonical rows), ``agrees`` (the stored row matches), ``disagreements`` (from validate)."""

    answer: Any
    answer_text: str | None
    gold: dict[str, Any] | None
    agrees: bool
    disagreements: list[dict[str, Any]] = field(default_factory=list)


def row_format(row: Mapping[str, Any]) -> str:
    """``mapkit`` for a canonical item (it has the ``mapkit`` object), else ``reasonmap-plus``.

    >>> row_format({"mapkit": {}}), row_format({"type": "TorF1", "answer": 1})
    ('mapkit', 'reasonmap-plus')
    """
    return "mapkit" if isinstance(row.get("mapkit"), dict) else "reasonmap-plus"


def item_hash(row: Mapping[str, Any]) -> str:
    """A short content hash of a row (re-push compares it to tell a changed item from an unchanged one).

    >>> item_hash({"a": 1}) == item_hash({"a": 1}), item_hash({"a": 1}) == item_hash({"a": 2})
    (True, False)
    """
    return "sha256:" + hashlib.sha256(dumps_canonical(row).encode("utf-8")).hexdigest()[:32]


def plus_answer_text(kind: str, answer: Any) -> str | None:
    """A ReasonMap-Plus integer answer as a reviewer writes it: yes/no, a letter, a number.

    >>> plus_answer_text("yesno", 1), plus_answer_text("choice", 2), plus_answer_text("number", 7)
    ('yes', 'C', '7')
    >>> plus_answer_text("choice", 9) is None
    True
    """
    try:
        n = int(answer)
    except (TypeError, ValueError):
        return None
    if kind == "yesno":
        return {1: "yes", 0: "no"}.get(n)
    if kind == "choice":
        return "ABCD"[n] if 0 <= n < 4 else None
    return str(n)


def _numbered(path: Path) -> list[tuple[int, Any]]:
    suffix = path.suffix.lower()
    try:
        if suffix in (".jsonl", ".ndjson"):
            out = []
            with path.open(encoding="utf-8") as fh:
                for lineno, line in enumerate(fh, 1):
                    if not line.strip():
                        continue
                    try:
                        out.append((lineno, json.loads(line)))
                    except json.JSONDecodeError as e:
                        raise DataFileError(f"invalid JSON: {e.msg}.", path=path, location=f"line {lineno}") from None
            return out
        if suffix == ".json":
            doc = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(doc, list):
                raise DataFileError("expected a JSON list of rows.", path=path)
            return list(enumerate(doc, 1))
        if suffix == ".csv":
            with path.open(encoding="utf-8", newline="") as fh:
                return list(enumerate(csv.DictReader(fh), 2))
    except FileNotFoundError:
        raise DataFileError("file not found.", path=path) from None
    except json.JSONDecodeError as e:
        raise DataFileError(f"invalid JSON: {e.msg}.", path=path, location=f"line {e.lineno}") from None
    raise ConfigError(f"{path}: items to review are read from .jsonl, .json or .csv files.")


def read_rows(path: str | os.PathLike[str]) -> list[Row]:
    """Every row of an items file (canonical JSONL or ReasonMap-Plus JSONL / JSON / CSV), with its id.

    Raises :class:`DataFileError` for an unreadable file, a row that is not an object, a file mixing
    both formats, or an id used twice (a review maps results back by id, never by position).
    """
    p = Path(path)
    rows: list[Row] = []
    seen: dict[str, int] = {}
    formats = set()
    for lineno, row in _numbered(p):
        if not isinstance(row, dict):
            raise DataFileError("each row must be a JSON object.", path=p, location=f"line {lineno}")
        fmt = row_format(row)
        formats.add(fmt)
        if fmt == "mapkit":
            rid = str(row.get("id", ""))
            kind = answer_kind(str(row.get("type")), row.get("answer"))
        else:
            kind_name = str(row.get("type", "?"))
            rid = str(row.get("id") or f"{row.get('city', '?')}:{kind_name}:line{lineno}")
            kind = answer_kind(kind_name, 0)
        if not rid:
            raise DataFileError("the item has no id.", path=p, location=f"line {lineno}")
        if rid in seen:
            raise DataFileError(
                f"the id {rid!r} is used twice (lines {seen[rid]} and {lineno}).",
                path=p,
                location=f"line {lineno}",
                hint="Review tasks are matched to items by id: give every row its own id.",
            )
        seen[rid] = lineno
        rows.append(Row(rid, row, fmt, lineno, kind))
    if len(formats) > 1:
        raise DataFileError(
            "the file mixes canonical items and ReasonMap-Plus rows.", path=p, hint="Push them as two files."
        )
    if not rows:
        raise DataFileError("the file has no rows.", path=p)
    return rows


def _by_id(report: Any) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for d in report.disagreements:
        out.setdefault(d.id, []).append(d.to_dict())
    return out


def graph_truth(
    path: str | os.PathLike[str] | None,
    rows: Sequence[Row],
    *,
    data_dir: str | os.PathLike[str] | None = None,
    graphs: Mapping[str, MetroGraph] | None = None,
    maps_dir: str | os.PathLike[str] | None = None,
) -> dict[str, Truth]:
    """The graph's answer for every row, by id, as ``mapkit validate`` recomputes it (module docstring).

    ``path``: the file the rows came from (validated as it is); ``None`` writes ``rows`` to a temporary
    file first (rows pulled back from Label Studio). ``maps_dir``: the folder holding ``maps/`` for the
    visual families' manifests (default: the file's folder).
    """
    from mapkit.validate import validate_items  # the public entry point, exactly what `mapkit validate` runs

    if not rows:
        return {}
    fmt = rows[0].format
    with tempfile.TemporaryDirectory(prefix="mapkit-review-") as tmp:
        if path is None or maps_dir is not None:
            target = Path(tmp) / "items.jsonl"
            with target.open("w", encoding="utf-8") as fh:
                for r in rows:
                    fh.write(dumps_canonical(r.row) + "\n")
            src_maps = Path(maps_dir if maps_dir is not None else ".") / "maps"
            if maps_dir is not None and src_maps.is_dir():
                os.symlink(src_maps.resolve(), Path(tmp) / "maps")
            ids = [r.id for r in rows]
            # rows written afresh are numbered 1..n: map validate's ids (line-based for plus rows) back
            remap = {f"{r.row.get('city', '?')}:{r.row.get('type', '?')}:line{i}": r.id for i, r in enumerate(rows, 1)}
        else:
            target = Path(path)
            ids = [r.id for r in rows]
            remap = {}
        report = validate_items(target, data_dir=data_dir, fmt=fmt, graphs=graphs)
    by_id = {remap.get(k, k): v for k, v in _by_id(report).items()}
    out: dict[str, Truth] = {}
    for r, rid in zip(rows, ids):
        dis = by_id.get(rid, [])
        fields = {d["field"]: d for d in dis}
        if r.format == "mapkit":
            answer = fields["answer"]["expected"] if "answer" in fields else r.row.get("answer")
            text = fields["answer_text"]["expected"] if "answer_text" in fields else r.row.get("answer_text")
            gold = fields["mapkit.gold"]["expected"] if "mapkit.gold" in fields else r.row["mapkit"].get("gold")
            underivable = "answer" in fields and fields["answer"]["expected"] == "a derivable question"
            if underivable or (isinstance(gold, dict) and "error" in gold) or text == "":
                answer, text = None, None
        else:
            answer = fields["answer"]["expected"] if "answer" in fields else r.row.get("answer")
            gold = None
            text = None if answer is None else plus_answer_text(r.kind, answer)
        out[r.id] = Truth(answer, text, gold, not dis, dis)
    return out
