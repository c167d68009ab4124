"""The Hugging Face dataset folder: typed Parquet shards, each map image stored once, a dataset card.

Layout (``mapkit export ITEMS --to hf --out DIR``)::

    DIR/README.md                                      card: YAML (configs by glob, dataset_info) + documentation
    DIR/assets/histogram.png                           type x difficulty histogram shown in the card
    DIR/maps/train-NNNNN-of-MMMMM.parquet              config `maps`: one row per map, the PNG bytes inside
    DIR/data/<type>/<split>-NNNNN-of-MMMMM.parquet     item rows: map_id, no image bytes

Why this layout: the published ReasonMap embeds the full map in every row (about 7 GB for 1,008 items).
Here each map's PNG is stored once, *inside* Parquet (an ``Image`` column of the ``maps`` config), and an
item row names its map by ``map_id``. Everything is plain Parquet, so what ``datasets`` caches holds
bytes, never a path into the folder: a loaded dataset keeps working after the folder is moved, copied or
deleted (an image-folder layout, where the cache keeps absolute paths to the PNGs, does not). The Hub's
viewer shows every config; the ``maps`` config with its images.

``ds[i]["image"]`` comes from one documented join, :func:`attach_images`, which decodes a row's map on
access from the ``maps`` config (no image bytes are copied per row)::

    ds = attach_images(load_dataset(REPO), load_dataset(REPO, "maps", split="train"))

Configs are declared by glob (``data/*/train-*.parquet`` for ``all``, ``data/<type>/...`` for one
type, ``maps/*.parquet``), so the card does not grow with the number of files.

Example:
    >>> feature_of(("struct", {"stops": ("list", ("str",)), "n": ("int",)}))
    {'stops': List(Value('string')), 'n': Value('int64')}
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from mapkit.errors import ExportError, ItemError
from mapkit.export.core import (
    CITY_LEVELS,
    ITEM_KEYS,
    QUESTION_LEVELS,
    REASONMAP_TYPES,
    ExportContext,
    Sketch,
    map_id_of,
    write_marker,
)
from mapkit.io import dumps_canonical

ROWS_PER_SHARD = 50_000
"""Item rows per Parquet file (about 50-100 MB): small enough for the Hub viewer, few files."""
BATCH_ROWS = 2_048
"""Rows converted to Arrow and written per batch (also the row-group size): bounded memory."""


def _require_hub() -> None:
    try:
        import datasets  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError as err:  # pragma: no cover - the [hub] extra is installed in CI
        raise ExportError(
            f"This export needs the Hugging Face libraries ({err.name} is missing).",
            hint='Install them with `pip install -e ".[hub]"`.',
        ) from None


def _list_feature(inner: Any) -> Any:
    import datasets

    # datasets >= 4 names it List; 3.x only has Sequence
    return datasets.List(inner) if hasattr(datasets, "List") else datasets.Sequence(inner)


# --- typed gold ----------------------------------------------------------------------------


def feature_of(sketch: Sketch) -> Any:
    """The ``datasets`` feature for a value shape; None for shapes Parquet cannot store (empty struct)."""
    from datasets import Value

    kind = sketch[0]
    if kind in ("null", "str", "json"):
        return Value("string")
    if kind == "bool":
        return Value("bool")
    if kind == "int":
        return Value("int64")
    if kind == "float":
        return Value("float64")
    if kind == "list":
        inner = feature_of(sketch[1])
        return _list_feature(inner if inner is not None else Value("string"))
    fields = {k: f for k, f in ((k, feature_of(v)) for k, v in sketch[1].items()) if f is not None}
    return fields or None


def _has_json(sketch: Sketch) -> bool:
    if sketch[0] == "json":
        return True
    if sketch[0] == "list":
        return _has_json(sketch[1])
    if sketch[0] == "struct":
        return any(_has_json(v) for v in sketch[1].values())
    return False


def conform(value: Any, sketch: Sketch) -> Any:
    """``value`` reshaped for ``sketch``: conflicting leaves become JSON text, empty structs drop.

    >>> conform({"a": 1, "b": {}}, ("struct", {"a": ("json",), "b": ("struct", {})}))
    {'a': '1'}
    """
    if value is None:
        return None
    kind = sketch[0]
    if kind == "json":
        return value if isinstance(value, str) else dumps_canonical(value)
    if kind == "list":
        return [conform(v, sketch[1]) for v in value]
    if kind == "struct":
        out = {}
        for k, s in sketch[1].items():
            if not _storable(s):
                continue
            out[k] = conform(value.get(k), s)
        return out
    return value


class GoldShape:
    """The ``gold`` column: a struct with one field per item type holding that type's typed gold.

    One field per type keeps each family's gold exactly typed (families disagree on field types)
    while every shard shares one schema, which the all-types config needs.
    """

    def __init__(self, sketches: Mapping[str, Sketch]) -> None:
        self.sketches = dict(sketches)
        self.features = {t: f for t, f in ((t, feature_of(s)) for t, s in self.sketches.items()) if f is not None}
        self.needs_conform = {t: _has_json(s) or _has_empty(s) for t, s in self.sketches.items()}
        self.json_types = sorted(t for t, s in self.sketches.items() if _has_json(s))

    def value(self, typ: str, gold: Any) -> dict[str, Any] | None:
        """The gold cell for an item of type ``typ``."""
        if typ not in self.features or gold is None:
            return None
        if self.needs_conform[typ]:
            gold = conform(gold, self.sketches[typ])
        return {typ: gold}


def _storable(sketch: Sketch) -> bool:
    """``feature_of(sketch) is not None``, without building features (conform asks once per value)."""
    return sketch[0] != "struct" or any(_storable(v) for v in sketch[1].values())


def _has_empty(sketch: Sketch) -> bool:
    if sketch[0] == "struct":
        return not sketch[1] or any(_has_empty(v) or feature_of(v) is None for v in sketch[1].values())
    if sketch[0] == "list":
        return _has_empty(sketch[1])
    return False


# --- schema --------------------------------------------------------------------------------


def type_names(types: Iterable[str]) -> list[str]:
    """The closed vocabulary of ``type``: ReasonMap's six first (stable ids), then others sorted.

    >>> type_names(["TorF1", "lines_between"])
    ['Counting1', 'Counting2', 'Counting3', 'TorF1', 'TorF2', 'planning', 'lines_between']
    """
    extra = sorted(set(types) - set(REASONMAP_TYPES))
    return [*REASONMAP_TYPES, *extra]


def item_features(types: Iterable[str], gold: GoldShape) -> Any:
    """Features of an item row (as stored in Parquet and as loaded; the map is joined by ``map_id``)."""
    from datasets import ClassLabel, Features, Value

    cols: dict[str, Any] = {
        "id": Value("string"),
        "map_id": Value("string"),
        "country": Value("string"),
        "city": Value("string"),
        "station_1": Value("string"),
        "station_2": Value("string"),
        "figure": Value("string"),
        "json": Value("string"),
        "question": Value("string"),
        "answer": Value("int64"),
        "answer_text": Value("string"),
        "type": ClassLabel(names=type_names(types)),
        "difficulty_city": ClassLabel(names=list(CITY_LEVELS)),
        "city_line_count": Value("int64"),
        "city_transfer_count": Value("int64"),
        "question_transfer_count": Value("int64"),
        "difficulty_question": ClassLabel(names=list(QUESTION_LEVELS)),
        "weight": Value("float64"),
    }
    if gold.features:
        cols["gold"] = dict(gold.features)
    cols["mapkit"] = Value("string")
    return Features(cols)


def map_features() -> Any:
    """Features of a ``maps`` row: the PNG itself (``Image``, bytes stored in the Parquet file) and its facts."""
    from datasets import Features, Image, Value

    return Features(
        {
            "map_id": Value("string"),
            "image": Image(),
            "country": Value("string"),
            "city": Value("string"),
            "city_ref": Value("string"),
            "splits": _list_feature(Value("string")),
            "source": Value("string"),
            "layout": Value("string"),
            "width": Value("int64"),
            "height": Value("int64"),
            "bytes": Value("int64"),
            "sha256": Value("string"),
            "graph_hash": Value("string"),
            "items": Value("int64"),
        }
    )


def _safe(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name)


# --- rows ----------------------------------------------------------------------------------


def item_row(item: Mapping[str, Any], gold: GoldShape, type_ids: Mapping[str, int]) -> dict:
    """The Parquet row of a canonical item (ClassLabels as ids; ``mapkit`` as canonical JSON)."""
    mk = item["mapkit"]
    return {
        "id": item["id"],
        "map_id": map_id_of(item),
        "country": item["country"],
        "city": item["city"],
        "station_1": item["station_1"],
        "station_2": item["station_2"],
        "figure": item["figure"],
        "json": item["json"],
        "question": item["question"],
        "answer": item["answer"],
        "answer_text": item["answer_text"],
        "type": type_ids[item["type"]],
        "difficulty_city": CITY_LEVELS.index(item["difficulty_city"]),
        "city_line_count": item["city_line_count"],
        "city_transfer_count": item["city_transfer_count"],
        "question_transfer_count": item["question_transfer_count"],
        "difficulty_question": QUESTION_LEVELS.index(item["difficulty_question"]),
        "weight": item["weight"],
        "gold": gold.value(item["type"], mk.get("gold")),
        # the lossless copy: scoring rebuilds the item from this, never from the typed view
        "mapkit": dumps_canonical(mk),
    }


def item_from_row(row: Mapping[str, Any], features: Any = None) -> dict[str, Any]:
    """The canonical item (docs/design.md key order) back from an exported row.

    Works on rows of the hf, trl and reasonmap-plus exports; ClassLabel ids are turned back into
    names with ``features`` (``ds.features``) when the row carries ids.

    >>> row = {"id": "x:TorF1:0:0", "country": "c", "city": "x", "station_1": "A", "station_2": "B",
    ...        "figure": "./maps/c/x.png", "json": "./stations/c/x.json", "question": "q", "answer": 1,
    ...        "answer_text": "yes", "type": "TorF1", "difficulty_city": "easy", "city_line_count": 2,
    ...        "city_transfer_count": 1, "question_transfer_count": 0, "difficulty_question": "easy",
    ...        "weight": 1.0, "mapkit": '{"family":"TorF1","gold":{"same":true}}', "image": None}
    >>> item = item_from_row(row)
    >>> list(item)[-3:], item["mapkit"]["gold"]
    (['difficulty_question', 'weight', 'mapkit'], {'same': True})
    """
    out: dict[str, Any] = {}
    for key in ITEM_KEYS:
        if key not in row:
            raise ItemError(f"The row has no {key!r} column; it is not a mapkit export row.")
        value = row[key]
        if key == "mapkit" and isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as err:
                raise ItemError(f"The row's `mapkit` column is not JSON ({err.msg}).") from None
        elif key in ("type", "difficulty_city", "difficulty_question") and isinstance(value, int):
            if features is None or key not in features:
                raise ItemError(f"{key!r} is a class id; pass the dataset's features to decode it.")
            value = features[key].int2str(value)
        out[key] = value
    return out


# --- the writer ----------------------------------------------------------------------------


class _ShardWriter:
    """Streams rows of one (type, split) into numbered Parquet files, ``BATCH_ROWS`` at a time.

    Rows come one by one (:meth:`add`) or as Arrow tables (:meth:`add_table`, from the workers of
    :mod:`mapkit.export.rows`); both cut the same row groups, so the files are the same bytes.
    """

    def __init__(self, out: Path, stem: str, total: int, schema: Any, rows_per_shard: int) -> None:
        self.out, self.stem, self.schema = out, stem, schema
        self.n_shards = max(1, math.ceil(total / rows_per_shard))
        self.rows_per_shard = rows_per_shard
        self.buffer: list[dict[str, Any]] = []
        self.tables: list[Any] = []  # Arrow rows not yet written (add_table)
        self.buffered = 0  # rows in ``tables`` that the row-by-row rule has buffered
        self.shard = -1
        self.in_shard = 0
        self.writer: Any = None
        self.files: list[str] = []

    def add(self, row: dict[str, Any]) -> None:
        self.buffer.append(row)
        if len(self.buffer) >= BATCH_ROWS or self.in_shard + len(self.buffer) >= self.rows_per_shard:
            self.flush()

    def add_table(self, table: Any) -> None:
        """Add rows already in Arrow: written in the very row groups :meth:`add` would have cut."""
        self.tables.append(table)
        left = table.num_rows
        while left:
            # add() flushes after the row that fills a batch or reaches the end of the shard
            k = max(1, min(BATCH_ROWS - self.buffered, self.rows_per_shard - self.in_shard - self.buffered))
            if left < k:
                self.buffered += left
                return
            self.buffered += k
            left -= k
            self._flush_tables()

    def _flush_tables(self) -> None:
        import pyarrow as pa

        while self.buffered:
            if self.writer is None or self.in_shard >= self.rows_per_shard:
                self._open()
            take = min(self.buffered, self.rows_per_shard - self.in_shard)
            pending = pa.concat_tables(self.tables) if len(self.tables) > 1 else self.tables[0]
            self.tables = [pending.slice(take)] if pending.num_rows > take else []
            # one contiguous chunk, as Table.from_pylist of these rows gives
            self.writer.write_table(pending.slice(0, take).combine_chunks(), row_group_size=BATCH_ROWS)
            self.in_shard += take
            self.buffered -= take

    def _open(self) -> None:
        import pyarrow.parquet as pq

        if self.writer is not None:
            self.writer.close()
        self.shard += 1
        self.in_shard = 0
        rel = f"{self.stem}-{self.shard:05d}-of-{self.n_shards:05d}.parquet"
        self.files.append(rel)
        (self.out / rel).parent.mkdir(parents=True, exist_ok=True)
        # zstd: item text compresses ~5x
        self.writer = pq.ParquetWriter(self.out / rel, self.schema, compression="zstd")

    def flush(self) -> None:
        import pyarrow as pa

        while self.buffer:
            if self.writer is None or self.in_shard >= self.rows_per_shard:
                self._open()
            take = min(len(self.buffer), self.rows_per_shard - self.in_shard)
            chunk, self.buffer = self.buffer[:take], self.buffer[take:]
            try:
                table = pa.Table.from_pylist(chunk, schema=self.schema)
            except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as err:
                raise ExportError(f"Cannot write rows of {self.stem}: {err}.") from None
            self.writer.write_table(table, row_group_size=BATCH_ROWS)
            self.in_shard += take

    def close(self) -> None:
        self.flush()
        self._flush_tables()
        if self.writer is not None:
            self.writer.close()
            self.writer = None


def write_hf(ctx: ExportContext) -> dict[str, Any]:
    """Write the Hub-ready folder described in the module docstring into ``ctx.out``."""
    _require_hub()
    from mapkit.export.card import write_card

    scan = ctx.scan
    rows_per_shard = int(ctx.options.get("rows_per_shard") or ROWS_PER_SHARD)
    (ctx.out / "data").mkdir(parents=True, exist_ok=True)
    maps_files = write_maps_parquet(ctx)

    gold = GoldShape(scan.gold)
    if gold.json_types:
        ctx.notes.append(
            "gold fields with values of several types were stored as JSON text in the typed `gold` "
            f"column for: {', '.join(gold.json_types)} (the `mapkit` column keeps them exactly)."
        )
    names = type_names(scan.types)
    type_ids = {t: i for i, t in enumerate(names)}
    features = item_features(scan.types, gold)
    schema = features.arrow_schema

    def row(split: str, item: dict[str, Any]) -> tuple[tuple[str, str], dict[str, Any]]:
        return (item["type"], split), item_row(item, gold, type_ids)

    writers: dict[tuple[str, str], _ShardWriter] = {}
    for key, table in ctx.row_tables(row, schema, name=lambda k: f"data/{type_dir(k[0])}/{k[1]}"):
        w = writers.get(key)
        if w is None:
            typ, split = key
            w = writers[key] = _ShardWriter(ctx.out, f"data/{type_dir(typ)}/{split}", scan.by_split_type[(split, typ)],
                                            schema, rows_per_shard)  # fmt: skip
        w.add_table(table)
    for w in writers.values():
        w.close()
    if not writers:  # an empty export (allow_empty): one empty shard, so the `all` config still loads
        w = writers[("", "train")] = _ShardWriter(ctx.out, f"data/{EMPTY_DIR}/train", 0, schema, rows_per_shard)
        w._open()
        w.close()

    shards = {key: w.files for key, w in writers.items()}
    configs = build_configs(ctx, shards)
    write_card(ctx, configs=configs, features=features, map_features=map_features(), shards=shards,
               maps_files=maps_files)  # fmt: skip
    write_marker(ctx, "hf", {"configs": [c["config_name"] for c in configs], "card_ref": ctx.options.get("card_ref")})
    return {"configs": [c["config_name"] for c in configs], "shards": sum(len(f) for f in shards.values())}


EMPTY_DIR = "_empty"
"""The type folder of the one empty shard an empty export writes."""
MAPS_DIR = "maps"
MAPS_PER_ROW_GROUP = 4
"""Maps per Parquet row group: a reader (the Hub viewer too) holds one group at a time, and maps are MBs."""
MAPS_SHARD_BYTES = 512 << 20
"""Start a new ``maps`` Parquet file past this many PNG bytes."""


def type_dir(typ: str) -> str:
    """The folder of one type's shards: the name with anything but word characters, ``.`` and ``-`` made ``_``
    (so it is also a literal glob).

    >>> type_dir("TorF1"), type_dir("a b*")
    ('TorF1', 'a_b_')
    """
    return _safe(typ)


def write_maps_parquet(ctx: ExportContext) -> list[str]:
    """``maps/train-NNNNN-of-MMMMM.parquet``: one row per map with its PNG bytes (the ``maps`` config)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    refs = sorted(ctx.scan.maps.items())
    groups: list[list[str]] = [[]]
    size = 0
    for mid, _ in refs:
        if groups[-1] and size + ctx.maps[mid].bytes > MAPS_SHARD_BYTES:
            groups.append([])
            size = 0
        groups[-1].append(mid)
        size += ctx.maps[mid].bytes
    schema = map_features().arrow_schema
    (ctx.out / MAPS_DIR).mkdir(parents=True, exist_ok=True)
    files = []
    for k, group in enumerate(groups):
        rel = f"{MAPS_DIR}/train-{k:05d}-of-{len(groups):05d}.parquet"
        files.append(rel)
        # PNG bytes do not compress further; the small columns still get zstd
        with pq.ParquetWriter(ctx.out / rel, schema, compression="zstd", use_dictionary=False) as writer:
            for start in range(0, max(len(group), 1), MAPS_PER_ROW_GROUP):
                rows = [_map_row(ctx, mid) for mid in group[start : start + MAPS_PER_ROW_GROUP]]
                writer.write_table(pa.Table.from_pylist(rows, schema=schema))
    return files


def _map_row(ctx: ExportContext, mid: str) -> dict[str, Any]:
    ref, m = ctx.scan.maps[mid], ctx.maps[mid]
    return {
        "map_id": mid,
        # a relative name, not a path to open: readers decode the bytes
        "image": {"bytes": Path(m.path).read_bytes(), "path": f"{mid}.png"},
        "country": ref.country,
        "city": ref.city,
        "city_ref": ref.city_ref,
        "splits": sorted(ref.splits),
        "source": m.source,
        "layout": m.layout,
        "width": m.width,
        "height": m.height,
        "bytes": m.bytes,
        "sha256": m.sha256,
        "graph_hash": ref.graph_hash,
        "items": ref.items,
    }


def build_configs(ctx: ExportContext, shards: Mapping[tuple[str, str], list[str]]) -> list[dict[str, Any]]:
    """The README ``configs``, each declared by glob: ``all`` (default), one per type, then ``maps``.

    A glob per split keeps the card short whatever the number of shards, and still names exactly the
    files of its config (``data/<type>/<split>-*``), so a Hub download of one config fetches only those.
    """
    scan = ctx.scan
    splits = [s for s in scan.split_names if any(k[1] == s for k in shards)] or ["train"]
    configs: list[dict[str, Any]] = [{"config_name": "all", "default": True, "data_files": [
        {"split": s, "path": f"data/*/{s}-*.parquet"} for s in splits]}]  # fmt: skip
    for t in scan.types:
        files = [{"split": s, "path": f"data/{type_dir(t)}/{s}-*.parquet"} for s in splits if (t, s) in shards]
        configs.append({"config_name": config_name(t), "data_files": files})
    configs.append({"config_name": "maps", "data_files": [{"split": "train", "path": f"{MAPS_DIR}/train-*.parquet"}]})
    return configs


def config_name(typ: str) -> str:
    """The config of one type: its name, unless that is taken by ``all``/``maps`` (then ``type-<name>``).

    >>> config_name("TorF1"), config_name("maps")
    ('TorF1', 'type-maps')
    """
    return f"type-{typ}" if typ in ("all", "maps") else typ


# --- reading back --------------------------------------------------------------------------


def _png_lookup(maps: Any) -> dict[str, Any]:
    """map_id -> PNG bytes (or a path) from a ``maps`` Dataset, an hf export folder, or ``{map_id: png}``."""
    if isinstance(maps, Mapping):
        return {str(k): Path(v) for k, v in maps.items()}
    if isinstance(maps, (str, os.PathLike)):
        import pyarrow.parquet as pq

        root = Path(maps)
        files = sorted((root / MAPS_DIR).glob("*.parquet"))
        if not files:
            raise ExportError(f"{root} is not a mapkit hf export (no {MAPS_DIR}/*.parquet).")
        out: dict[str, Any] = {}
        for f in files:
            table = pq.read_table(f, columns=["map_id", "image"])
            for mid, img in zip(table.column("map_id").to_pylist(), table.column("image").to_pylist()):
                out[mid] = img["bytes"]
        return out
    from datasets import Image

    if hasattr(maps, "keys") and "train" in maps:  # the maps config loaded without split=
        maps = maps["train"]
    raw = maps.cast_column("image", Image(decode=False))
    pairs = zip(raw["map_id"], raw["image"])
    return {mid: img["bytes"] if img.get("bytes") else Path(img["path"]) for mid, img in pairs}


def attach_images(ds: Any, maps: Any, *, column: str = "image") -> Any:
    """``ds`` whose rows also have ``column``: the PIL image of the row's map, decoded when the row is read.

    ``ds`` is a ``Dataset`` or ``DatasetDict`` of item rows (any mapkit hf/trl config, or the shards read
    as plain Parquet); ``maps`` is the ``maps`` config (a Dataset), an hf export folder, or
    ``{map_id: png_path}``. The maps are held once, as PNG bytes; no image is copied into a row, and the
    result does not depend on where any folder was (``datasets.Dataset.with_transform``).

    >>> import datasets, tempfile, pathlib
    >>> from PIL import Image as PILImage
    >>> png = pathlib.Path(tempfile.mkdtemp()) / "x.png"
    >>> PILImage.new("RGB", (4, 3)).save(png)
    >>> ds = datasets.Dataset.from_dict({"id": ["a"], "map_id": ["c/x"]})
    >>> attach_images(ds, {"c/x": png})[0]["image"].size
    (4, 3)
    """
    import io

    from PIL import Image as PILImage

    lookup = _png_lookup(maps)

    def add(batch: dict[str, list[Any]]) -> dict[str, list[Any]]:
        key = "map_id" if "map_id" in batch else "figure"
        if key not in batch:
            return batch
        ids = batch[key] if key == "map_id" else [map_id_of({"figure": f}) for f in batch[key]]
        missing = sorted({m for m in ids if m not in lookup})
        if missing:
            raise ExportError(f"No map for {', '.join(missing[:5])} in the maps given to attach_images.")
        images = []
        for m in ids:
            src = lookup[m]
            images.append(PILImage.open(io.BytesIO(src) if isinstance(src, bytes) else src))
        return {**batch, column: images}

    return ds.with_transform(add)
