"""Validate item files: schema, then every answer recomputed from the curated graph.

:func:`validate_items` streams a JSONL file. Format ``mapkit`` (canonical items): each row is
schema-checked (``schemas/item.schema.json``, through a checker compiled from the schema - same
verdicts as ``jsonschema``, tests/questions/test_validate.py - and ``jsonschema``'s own message when
it fails), its city graph is loaded once (``mapkit.city_ref``) and compared with the row's
``graph_hash``, and its family's ``derive`` recomputes ``answer``, ``answer_text`` and ``gold``;
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

import csv
import json
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mapkit.errors import ConfigError, DataFileError, DataNotFoundError, MapkitError
from mapkit.graph.model import MetroGraph
from mapkit.io import iter_lines, utf8_error, write_json
from mapkit.questions.base import QUESTION_WEIGHT_TRANSFER, context, release
from mapkit.questions.base import no_gc as _no_gc
from mapkit.questions.maps import MapRender, load_render, manifest_ref_of, resolve_ref
from mapkit.questions.registry import get_family
from mapkit.schemas import load_schema, schema_errors

__all__ = ["FORMATS", "Disagreement", "ValidationReport", "compile_checker", "validate_items"]

FORMATS = ("mapkit", "reasonmap-plus")
MAX_LISTED = 10_000
"""Disagreements kept in a report (all are counted)."""


@dataclass(frozen=True)
class Disagreement:
    """One problem: item ``id`` (line ``line`` of the file), ``field``, ``expected`` vs ``stored``, ``why``."""

    id: str
    line: int
    field: str
    expected: Any
    stored: Any
    why: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "line": self.line, "field": self.field, "expected": self.expected,
            "stored": self.stored, "why": self.why,
        }


@dataclass
class ValidationReport:
    """The outcome of :func:`validate_items`; ``ok`` when every row agrees with the graph."""

    path: str
    format: str
    total: int = 0
    agreeing: int = 0
    failing: int = 0
    by_type: Counter[str] = field(default_factory=Counter)
    failing_by_type: Counter[str] = field(default_factory=Counter)
    disagreements: list[Disagreement] = field(default_factory=list)
    problems: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.failing == 0 and self.total > 0

    @property
    def items_per_second(self) -> float:
        return self.total / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready report (what ``--report`` writes)."""
        return {
            "path": self.path,
            "format": self.format,
            "ok": self.ok,
            "total": self.total,
            "agreeing": self.agreeing,
            "failing": self.failing,
            "by_type": dict(self.by_type),
            "failing_by_type": dict(self.failing_by_type),
            "problems": self.problems,
            "listed": len(self.disagreements),
            "seconds": round(self.seconds, 3),
            "items_per_second": round(self.items_per_second, 1),
            "disagreements": [d.to_dict() for d in self.disagreements],
        }


# --- a schema checker compiled to Python ----------------------------------------------------------

_TYPE_TESTS = {
    "string": "type({v}) is str",
    "integer": "(type({v}) is int or (type({v}) is float and {v}.is_integer()))",
    "number": "type({v}) in (int, float)",
    "boolean": "type({v}) is bool",
    "null": "{v} is None",
    "array": "type({v}) is list",
    "object": "type({v}) is dict",
}
_IGNORED = {"$schema", "$id", "title", "description", "$comment", "examples", "default"}


class _Gen:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.consts: dict[str, Any] = {}
        self.n = 0

    def const(self, value: Any) -> str:
        self.n += 1
        name = f"_c{self.n}"
        self.consts[name] = value
        return name

    def var(self) -> str:
        self.n += 1
        return f"_v{self.n}"

    def emit(self, depth: int, line: str) -> None:
        self.lines.append("    " * depth + line)

    def fail(self, depth: int, path: str, msg: str) -> None:
        self.emit(depth, f"return ({path}, {msg!r})")

    def node(self, schema: dict[str, Any], v: str, path: str, depth: int) -> None:
        unknown = set(schema) - _IGNORED - {
            "type", "enum", "const", "required", "properties", "additionalProperties", "items", "minItems",
            "maxItems", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "pattern", "minLength",
            "maxLength",
        }
        if unknown:
            raise NotImplementedError(f"schema keywords {sorted(unknown)}")
        types = None
        if "type" in schema:
            types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            test = " or ".join(_TYPE_TESTS[t].format(v=v) for t in types)
            self.emit(depth, f"if not ({test}):")
            self.fail(depth + 1, path, f"is not of type {' or '.join(types)}")

        def guard(kind: str, test: str) -> str:
            # once the type test passed, a keyword of that single type needs no second type test
            return "" if types == [kind] else f"{test} and "

        if "enum" in schema:
            # (type, value) pairs: 1 must not match True, nor 1.0 match 1
            c = self.const(frozenset((type(e), e) for e in schema["enum"]))
            self.emit(depth, f"if type({v}) in (list, dict) or (type({v}), {v}) not in {c}:")
            self.fail(depth + 1, path, f"is not one of {schema['enum']}")
        if "const" in schema:
            c = self.const(schema["const"])
            self.emit(depth, f"if not (type({v}) is type({c}) and {v} == {c}):")
            self.fail(depth + 1, path, f"is not {schema['const']!r}")
        num = f"type({v}) in (int, float)"
        for key, op in (("minimum", "<"), ("maximum", ">"), ("exclusiveMinimum", "<="), ("exclusiveMaximum", ">=")):
            if key in schema:
                g = "" if types in (["integer"], ["number"]) else f"{num} and "
                self.emit(depth, f"if {g}{v} {op} {schema[key]!r}:")
                self.fail(depth + 1, path, f"violates {key} {schema[key]}")
        if "pattern" in schema:
            c = self.const(re.compile(schema["pattern"]))
            seen = self.const(set())  # values already matched (paths, hashes repeat on every row)
            self.emit(depth, f"if {guard('string', f'type({v}) is str')}{v} not in {seen}:")
            self.emit(depth + 1, f"if {c}.search({v}) is None:")
            self.fail(depth + 2, path, f"does not match {schema['pattern']!r}")
            self.emit(depth + 1, f"if len({seen}) < 4096:")
            self.emit(depth + 2, f"{seen}.add({v})")
        for key, op in (("minLength", "<"), ("maxLength", ">")):
            if key in schema:
                self.emit(depth, f"if {guard('string', f'type({v}) is str')}len({v}) {op} {schema[key]}:")
                self.fail(depth + 1, path, f"violates {key} {schema[key]}")
        for key, op in (("minItems", "<"), ("maxItems", ">")):
            if key in schema:
                self.emit(depth, f"if {guard('array', f'type({v}) is list')}len({v}) {op} {schema[key]}:")
                self.fail(depth + 1, path, f"violates {key} {schema[key]}")
        if "items" in schema:
            i, item = self.var(), self.var()
            if types != ["array"]:
                self.emit(depth, f"if type({v}) is list:")
                depth += 1
            self.emit(depth, f"for {i}, {item} in enumerate({v}):")
            self.node(schema["items"], item, f"{path} + '[' + str({i}) + ']'", depth + 1)
            if types != ["array"]:
                depth -= 1
        obj = any(k in schema for k in ("required", "properties", "additionalProperties"))
        if obj:
            d = depth
            if types != ["object"]:
                self.emit(depth, f"if type({v}) is dict:")
                d = depth + 1
            required = list(schema.get("required", ()))
            if required:
                c = self.const(frozenset(required))
                order = self.const(required)
                self.emit(d, f"if not {c}.issubset({v}):")
                self.emit(d + 1, f"_miss = next(k for k in {order} if k not in {v})")
                self.emit(d + 1, f"return ({path}, repr(_miss) + ' is a required property')")
            props = schema.get("properties", {})
            extra = schema.get("additionalProperties", True)
            if extra is False:
                c = self.const(frozenset(props))
                self.emit(d, f"if not {c}.issuperset({v}):")
                self.fail(d + 1, path, "has properties the schema does not allow")
            elif extra is not True:
                raise NotImplementedError("additionalProperties with a schema")
            for key, sub in props.items():
                pv = self.var()
                sub_path = repr("." + key)
                if key in required:  # present: checked above
                    self.emit(d, f"{pv} = {v}[{key!r}]")
                    self.node(sub, pv, f"{path} + {sub_path}", d)
                else:
                    self.emit(d, f"if {key!r} in {v}:")
                    self.emit(d + 1, f"{pv} = {v}[{key!r}]")
                    self.node(sub, pv, f"{path} + {sub_path}", d + 1)


def compile_checker(schema: dict[str, Any]) -> Callable[[Any], tuple[str, str] | None]:
    """A function ``check(doc) -> (json_path, problem) | None`` for the subset of JSON Schema mapkit uses.

    Generated Python code (no interpretation per document): ~20x faster than ``jsonschema`` on an
    item. Raises ``NotImplementedError`` for keywords outside that subset.

    >>> check = compile_checker({"type": "object", "required": ["a"], "properties": {"a": {"type": "integer"}}})
    >>> check({"a": 1}), check({"a": "x"}), check({})
    (None, ('$.a', 'is not of type integer'), ('$', "'a' is a required property"))
    """
    gen = _Gen()
    gen.emit(0, "def check(doc):")
    gen.node(schema, "doc", "'$'", 1)
    gen.emit(1, "return None")
    namespace: dict[str, Any] = dict(gen.consts)
    exec(compile("\n".join(gen.lines), "<item schema checker>", "exec"), namespace)  # noqa: S102 - our own code
    return namespace["check"]


_ITEM_CHECK: Callable[[Any], tuple[str, str] | None] | None = None


def _item_checker() -> Callable[[Any], tuple[str, str] | None]:
    global _ITEM_CHECK
    if _ITEM_CHECK is None:
        try:
            _ITEM_CHECK = compile_checker(load_schema("item"))
        except NotImplementedError:  # a schema edit went beyond the subset: stay right, get slow

            def slow(doc: Any) -> tuple[str, str] | None:
                errs = schema_errors(doc, "item")
                return ("$", errs[0]) if errs else None

            _ITEM_CHECK = slow
    return _ITEM_CHECK


# --- graphs ---------------------------------------------------------------------------------------


class _Graphs:
    """City graphs by reference, loaded once; only the current city keeps its question caches."""

    def __init__(self, data_dir: Any, given: Mapping[str, MetroGraph] | None) -> None:
        self.data_dir = data_dir
        self.given = dict(given or {})
        self.cache: dict[str, MetroGraph | MapkitError] = {}
        self.current: MetroGraph | None = None

    def get(self, ref: str) -> MetroGraph:
        hit = self.cache.get(ref)
        if hit is None:
            if ref in self.given:
                hit = self.given[ref]
            else:
                from mapkit.sources import load_city

                try:
                    hit = load_city(ref, data_dir=self.data_dir)
                except MapkitError as e:
                    hit = e
            self.cache[ref] = hit
        if isinstance(hit, MapkitError):
            raise hit
        if self.current is not None and hit is not self.current:
            release(self.current)  # rows come city by city: free the last city's spans and route trees
        self.current = hit
        return hit


class _Maps:
    """Rendered maps by manifest reference (``./maps/...json``), read once from beside the items file."""

    def __init__(self, items_dir: Path) -> None:
        self.items_dir = items_dir
        self.cache: dict[str, MapRender | MapkitError] = {}

    def get(self, figure: str) -> MapRender:
        ref = manifest_ref_of(figure)
        hit = self.cache.get(ref)
        if hit is None:
            try:
                hit = load_render(resolve_ref(figure, self.items_dir), self.items_dir)
            except MapkitError as e:
                hit = e
            self.cache[ref] = hit
        if isinstance(hit, MapkitError):
            raise hit
        return hit


def _check_map(
    row: dict[str, Any], item_id: str, lineno: int, g: MetroGraph, maps: _Maps, out: _Collector
) -> MapRender | None:
    """Load and pin the map a visual row was asked from; None when there is none to derive from."""
    figure = row["figure"]
    try:
        render = maps.get(figure)
    except MapkitError as e:
        out.add(item_id, lineno, "figure", "a rendered map with its manifest beside it", figure,
                f"cannot read the map the item asks about: {e}")
        return None
    stored = row["mapkit"]["gold"].get("map")
    stored = stored if isinstance(stored, dict) else {}
    if stored.get("manifest_sha256") != render.manifest_sha256:
        out.add(item_id, lineno, "mapkit.gold.map.manifest_sha256", render.manifest_sha256,
                stored.get("manifest_sha256"),
                f"the render manifest {render.manifest_ref} changed since the item was generated "
                "(answers re-derived from it as it is now)")
    if stored.get("image_sha256") != render.image_sha256:
        out.add(item_id, lineno, "mapkit.gold.map.image_sha256", render.image_sha256, stored.get("image_sha256"),
                f"the map image {render.figure} changed since the item was generated")
    graph_hash = context(g).graph_hash
    if render.graph_hash != graph_hash:
        out.add(item_id, lineno, "figure", graph_hash, render.graph_hash,
                f"the map {render.figure} was drawn from another graph of the city than the curated one")
    return render


# --- mapkit format --------------------------------------------------------------------------------


class _Collector:
    def __init__(self, report: ValidationReport) -> None:
        self.report = report
        self.row_failed = False

    def add(self, item_id: str, line: int, fld: str, expected: Any, stored: Any, why: str) -> None:
        self.row_failed = True
        self.report.problems += 1
        if len(self.report.disagreements) < MAX_LISTED:
            self.report.disagreements.append(Disagreement(item_id, line, fld, expected, stored, why))


_FAMILIES: dict[str, Any] = {}
"""Family by the row's ``type`` (the registry lookup is not free at a million rows)."""


def _check_row(
    row: dict[str, Any], lineno: int, graphs: _Graphs, out: _Collector,
    check: Callable[[Any], tuple[str, str] | None], maps: _Maps,
) -> None:
    item_id = str(row.get("id", f"line {lineno}")) if isinstance(row, dict) else f"line {lineno}"
    bad = check(row)
    if bad is not None:
        out.add(item_id, lineno, bad[0], "a value allowed by schemas/item.schema.json", _at(row, bad[0]),
                f"schema: {bad[0]} {bad[1]}")
        return
    m = row["mapkit"]
    try:
        g = graphs.get(m["city_ref"])
    except DataNotFoundError:
        raise  # the data is not here: one clear message, not the same cause on every row
    except MapkitError as e:
        out.add(item_id, lineno, "mapkit.city_ref", "a loadable city", m["city_ref"], f"cannot load the city: {e}")
        return
    ctx = context(g)
    if m["graph_hash"] != ctx.graph_hash:
        out.add(item_id, lineno, "mapkit.graph_hash", ctx.graph_hash, m["graph_hash"],
                "the curated graph differs from the one the item was generated from; "
                "answers re-derived on the current graph")
    try:
        fam = _FAMILIES.get(row["type"]) or _FAMILIES.setdefault(row["type"], get_family(row["type"]))
    except ConfigError as e:
        out.add(item_id, lineno, "type", "a registered family", row["type"], e.message)
        return
    city_fields = ctx.caches.get("validate-city-fields")
    if city_fields is None:
        city_fields = ctx.caches["validate-city-fields"] = (
            ("country", ctx.country), ("city", ctx.city), ("difficulty_city", ctx.difficulty_city),
            ("city_line_count", ctx.line_count), ("city_transfer_count", ctx.transfer_count),
        )
    for fld, want in city_fields:
        if row[fld] != want:
            out.add(item_id, lineno, fld, want, row[fld], f"{fld} of {ctx.city} by the documented rule")
    want_id = f"{ctx.city}:{row['type']}:{m['seed']}:{m['index']}"
    if row["id"] != want_id:
        out.add(item_id, lineno, "id", want_id, row["id"], "ids are <city>:<family>:<seed>:<index>")
    if row["json"] != ctx.json:
        out.add(item_id, lineno, "json", ctx.json, row["json"], "relative path of the city's station list")
    if m.get("split") != ctx.split:
        out.add(item_id, lineno, "mapkit.split", ctx.split, m.get("split"), "test = the published test cities")
    names = ctx.names
    ids = m["station_ids"]
    for k, fld in enumerate(("station_1", "station_2")):
        want = names.get(ids[k], f"<unknown station {ids[k]}>") if k < len(ids) else ""
        if row[fld] != want:
            out.add(item_id, lineno, fld, want, row[fld], "display name of mapkit.station_ids in the graph")
    scene = context(g)
    if fam.needs_render:
        render = _check_map(row, item_id, lineno, g, maps, out)
        if render is None:
            return
        scene = scene.with_renders({render.manifest_ref: render})
    try:
        answer, text, gold = fam.derive(row, scene)
    except (MapkitError, KeyError, ValueError, IndexError, TypeError) as e:
        out.add(item_id, lineno, "answer", "a derivable question", row["answer"], f"cannot re-derive: {e}")
        return
    if answer != row["answer"] or type(answer) is not type(row["answer"]):
        out.add(item_id, lineno, "answer", answer, row["answer"], _why(fam.name, gold))
    if text != row["answer_text"]:
        out.add(item_id, lineno, "answer_text", text, row["answer_text"], _why(fam.name, gold))
    if gold != m["gold"]:
        source = "the graph and the map" if fam.needs_render else "the graph"
        out.add(item_id, lineno, "mapkit.gold", gold, m["gold"], f"structured truth recomputed from {source} differs")
    transfers = 0
    if fam.name == "planning" and gold.get("routes"):
        transfers = gold["routes"][0]["transfers"]
    if row["question_transfer_count"] != transfers:
        out.add(item_id, lineno, "question_transfer_count", transfers, row["question_transfer_count"],
                "transfers of the first best route (0 for non-planning items)")
    weight = round(ctx.w_map + (QUESTION_WEIGHT_TRANSFER if transfers >= 1 else 0.0), 4)
    if abs(row["weight"] - weight) > 1e-9:
        out.add(item_id, lineno, "weight", weight, row["weight"], "W_map of the city level + W_question")


def _why(family: str, gold: dict[str, Any]) -> str:
    if "error" in gold:
        return f"the graph gives no answer: {gold['error']}"
    return f"{family} answer recomputed from the curated graph"


def _at(doc: Any, path: str) -> Any:
    cur = doc
    for part in re.findall(r"\.([^.\[]+)|\[(\d+)\]", path):
        key = part[0] if part[0] else int(part[1])
        try:
            cur = cur[key]
        except (KeyError, IndexError, TypeError):
            return None
    return cur if isinstance(cur, (str, int, float, bool, type(None))) else type(cur).__name__


def _rows(path: Path) -> Iterator[tuple[int, Any, str | None]]:
    """(line number, parsed row or None, error) for each non-blank line of a JSONL file."""
    # iter_lines: bad bytes or an unreadable path raise an error naming the file and the byte
    return _parse_lines(iter_lines(path))


def _parse_lines(lines: Iterator[tuple[int, str]]) -> Iterator[tuple[int, Any, str | None]]:
    loads = json.loads
    for lineno, line in lines:
        if not line.strip():
            continue
        try:
            yield lineno, loads(line), None
        except (json.JSONDecodeError, RecursionError, ValueError) as e:
            yield lineno, None, f"invalid JSON: {e}"


# --- reasonmap-plus format ------------------------------------------------------------------------

_OPTION = re.compile(r"(?:^|\n)\s*([A-D])\)\s*(-?\d+)")
_TORF2_LINE = re.compile(r"is on the line (.+?)\?\s*$", re.S)
PLUS_COLUMNS = (
    "country", "city", "station_1", "station_2", "figure", "question", "answer", "type", "difficulty_city",
    "city_line_count", "city_transfer_count",
)


def _plus_rows(path: Path) -> Iterator[tuple[int, Any, str | None]]:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        yield from _rows(path)
    elif suffix == ".json":
        from mapkit.io import load_document

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
    from mapkit.graph.queries import share_line
    from mapkit.questions.counting1 import span_of

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
    from mapkit.graph.queries import common_lines, track_span

    counts = set()
    for lid in common_lines(g, a, b):
        t = track_span(g, a, b, lid)
        if t is None:
            return None
        counts.add(len(t))
    return counts.pop() if len(counts) == 1 else None


def _check_plus_row(row: Any, lineno: int, graphs: _Graphs, out: _Collector) -> str:
    from mapkit.difficulty import city_difficulty, city_line_count, city_transfer_count

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


# --- entry point ----------------------------------------------------------------------------------


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
    ``workers`` > 1 checks a ``mapkit`` JSONL file in line-aligned byte ranges on forked processes;
    the report is the same as one process's (counts, and disagreements in line order).
    """
    if workers < 1:
        raise ConfigError(f"`workers` must be 1 or more (got {workers}).")
    if fmt not in FORMATS:
        raise ConfigError(f"Unknown format {fmt!r}; formats: {', '.join(FORMATS)}.")
    p = Path(path)
    if not p.is_file():
        raise DataFileError("file not found.", path=p)
    t0 = time.perf_counter()
    rep = ValidationReport(path=str(p), format=fmt)
    gs = _Graphs(data_dir, graphs)
    out = _Collector(rep)
    ranges = _byte_ranges(p, workers) if fmt == "mapkit" and workers > 1 else []
    ctx = _fork_context() if len(ranges) > 1 else None
    if ctx is not None:
        _VSTATE.update(path=p, data_dir=data_dir, graphs=graphs)
        try:
            with ctx.Pool(min(workers, len(ranges)), initializer=_init_worker) as pool:
                try:
                    lines = 0
                    for part, n_lines in pool.imap(_validate_range, ranges):
                        if part is None:
                            raise utf8_error(p)
                        _merge_report(rep, part, lines)
                        lines += n_lines
                except BaseException:
                    pool.terminate()
                    raise
        finally:
            _VSTATE.clear()
    else:
        rows = _rows(p) if fmt == "mapkit" else _plus_rows(p)
        check = _item_checker()
        maps = _Maps(p.parent)
        with _no_gc():
            _loop(rows, fmt, gs, out, check, rep, maps)
        if gs.current is not None:
            release(gs.current)
    rep.seconds = time.perf_counter() - t0
    if report is not None:
        write_json(report, rep.to_dict())
    return rep


RANGE_BYTES = 8 << 20
"""Bytes of JSONL per parallel validation task (about 8,000 items)."""

_VSTATE: dict[str, Any] = {}
"""What a forked validation worker inherits: the file, the data dir, the caller's graphs."""


def _byte_ranges(path: Path, workers: int) -> list[tuple[int, int]]:
    """``(offset, length)`` ranges of ``path`` that start and end at line boundaries (after a ``\\n``)."""
    size = path.stat().st_size
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


def _validate_range(task: tuple[int, int]) -> tuple[ValidationReport | None, int]:
    """Check the rows of one byte range; line numbers in the report are relative to the range."""
    import io

    offset, length = task
    path: Path = _VSTATE["path"]
    with path.open("rb") as fh:
        fh.seek(offset)
        data = fh.read(length)
    rep = ValidationReport(path=str(path), format="mapkit")
    gs = _Graphs(_VSTATE["data_dir"], _VSTATE["graphs"])
    text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")  # the same line splitting as open()
    try:
        with _no_gc():
            _loop(_parse_lines(enumerate(text, 1)), "mapkit", gs, _Collector(rep), _item_checker(), rep,
                  _Maps(path.parent))
    except UnicodeDecodeError:
        return None, 0  # the parent names the file and the byte, as one process does
    if gs.current is not None:
        release(gs.current)
    return rep, data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")


def _merge_report(rep: ValidationReport, part: ValidationReport, line_offset: int) -> None:
    from dataclasses import replace

    rep.total += part.total
    rep.agreeing += part.agreeing
    rep.failing += part.failing
    rep.problems += part.problems
    rep.by_type.update(part.by_type)
    rep.failing_by_type.update(part.failing_by_type)
    room = MAX_LISTED - len(rep.disagreements)
    for d in part.disagreements[:room]:
        line = d.line + line_offset
        rep.disagreements.append(replace(d, line=line, id=f"line {line}" if d.id == f"line {d.line}" else d.id))


def _fork_context() -> Any:
    from mapkit.parallel import _fork_context as fork

    return fork()


def _init_worker() -> None:
    from mapkit.parallel import _init_worker as init

    init()


def _loop(
    rows: Any, fmt: str, gs: _Graphs, out: _Collector, check: Any, rep: ValidationReport, maps: _Maps
) -> None:
    for lineno, row, error in rows:
        rep.total += 1
        out.row_failed = False
        if error is not None:
            out.add(f"line {lineno}", lineno, "$", "a JSON object", None, error)
            kind = "?"
        elif fmt == "mapkit":
            kind = str(row.get("type", "?")) if isinstance(row, dict) else "?"
            _check_row(row, lineno, gs, out, check, maps)
        else:
            kind = _check_plus_row(row, lineno, gs, out)
        rep.by_type[kind] += 1
        if out.row_failed:
            rep.failing += 1
            rep.failing_by_type[kind] += 1
        else:
            rep.agreeing += 1
