"""The Hugging Face dataset folder: typed Parquet shards, each map image stored once, a dataset card.

Layout (``mapkit export ITEMS --to hf --out DIR``)::

    DIR/README.md                          card: YAML (configs, dataset_info, ...) + documentation
    DIR/assets/histogram.png               type x difficulty histogram shown in the card
    DIR/data/maps/<country>/<city>.png     every map once
    DIR/data/metadata.parquet              `maps` config: one row per map
    DIR/data/<type>-<split>-NNNNN-of-MMMMM.parquet   item rows, one shard set per type and split

Why this layout: the published ReasonMap embeds the full map in every row (about 7 GB for 1,008 items).
Here an item row carries ``file_name`` (the map's path relative to ``data/``) and no image bytes. The
README declares every config as an *image folder with metadata*: the item shards are that folder's
metadata files (``metadata_filenames``) and the map PNGs are its images, so ``datasets`` turns
``file_name`` into an ``image`` column that decodes to a PIL image -- ``ds[i]["image"]`` works as if the
image were embedded, while the bytes on disk (and on the Hub) exist once per map. The ``maps`` config
comes first in the YAML because ``datasets`` picks the builder from the first config's files (PNGs
outnumber its one standard-named ``metadata.parquet``). Each config lists, per split, exactly the maps its
rows use, so a Hub download of one config fetches only those maps.

Reading the shards without ``datasets``' image-folder logic (plain ``pyarrow``, ``pandas``, or
``load_dataset("parquet", ...)``) gives ``file_name``/``map_id`` strings; :func:`attach_images` joins
the maps back in.

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
MAPS_ROOT = "data/maps"


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
            if feature_of(s) is None:
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


def item_features(types: Iterable[str], gold: GoldShape, *, image: bool) -> Any:
    """Features of an item row: ``image`` (decoded view) or ``file_name`` (as stored in Parquet)."""
    from datasets import ClassLabel, Features, Image, Value

    cols: dict[str, Any] = {"id": Value("string")}
    cols["image" if image else "file_name"] = Image() if image else Value("string")
    cols.update(
        {
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
    )
    if gold.features:
        cols["gold"] = dict(gold.features)
    cols["mapkit"] = Value("string")
    return Features(cols)


def map_features(*, image: bool) -> Any:
    """Features of a ``maps`` row."""
    from datasets import Features, Image, Value

    cols: dict[str, Any] = {"map_id": Value("string")}
    cols["image" if image else "file_name"] = Image() if image else Value("string")
    cols.update(
        {
            "country": Value("string"),
            "city": Value("string"),
            "city_ref": Value("string"),
            "splits": _list_feature(Value("string")),
            "source": Value("string"),
            "width": Value("int64"),
            "height": Value("int64"),
            "bytes": Value("int64"),
            "sha256": Value("string"),
            "graph_hash": Value("string"),
            "items": Value("int64"),
        }
    )
    return Features(cols)


def _safe(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name)


# --- rows ----------------------------------------------------------------------------------


def item_row(item: Mapping[str, Any], file_name: str, gold: GoldShape, type_ids: Mapping[str, int]) -> dict:
    """The Parquet row of a canonical item (ClassLabels as ids; ``mapkit`` as canonical JSON)."""
    mk = item["mapkit"]
    return {
        "id": item["id"],
        "file_name": file_name,
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
    """Streams rows of one (type, split) into numbered Parquet files, ``BATCH_ROWS`` at a time."""

    def __init__(self, out: Path, stem: str, total: int, schema: Any, rows_per_shard: int) -> None:
        self.out, self.stem, self.schema = out, stem, schema
        self.n_shards = max(1, math.ceil(total / rows_per_shard))
        self.rows_per_shard = rows_per_shard
        self.buffer: list[dict[str, Any]] = []
        self.shard = -1
        self.in_shard = 0
        self.writer: Any = None
        self.files: list[str] = []

    def add(self, row: dict[str, Any]) -> None:
        self.buffer.append(row)
        if len(self.buffer) >= BATCH_ROWS or self.in_shard + len(self.buffer) >= self.rows_per_shard:
            self.flush()

    def _open(self) -> None:
        import pyarrow.parquet as pq

        if self.writer is not None:
            self.writer.close()
        self.shard += 1
        self.in_shard = 0
        rel = f"data/{self.stem}-{self.shard:05d}-of-{self.n_shards:05d}.parquet"
        self.files.append(rel)
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
    rel = ctx.copy_maps(MAPS_ROOT)
    file_name = {mid: r[len("data/") :] for mid, r in rel.items()}  # relative to the metadata dir

    gold = GoldShape(scan.gold)
    if gold.json_types:
        ctx.notes.append(
            "gold fields with values of several types were stored as JSON text in the typed `gold` "
            f"column for: {', '.join(gold.json_types)} (the `mapkit` column keeps them exactly)."
        )
    names = type_names(scan.types)
    type_ids = {t: i for i, t in enumerate(names)}
    stored = item_features(scan.types, gold, image=False)
    schema = stored.arrow_schema

    writers: dict[tuple[str, str], _ShardWriter] = {}
    for split, item in ctx.iter_items():
        key = (item["type"], split)
        w = writers.get(key)
        if w is None:
            stem = f"{_safe(item['type'])}-{split}"
            w = writers[key] = _ShardWriter(ctx.out, stem, scan.by_split_type[(split, item["type"])], schema,
                                            rows_per_shard)  # fmt: skip
        w.add(item_row(item, file_name[map_id_of(item)], gold, type_ids))
    for w in writers.values():
        w.close()

    write_maps_metadata(ctx, file_name)

    shards = {key: w.files for key, w in writers.items()}
    configs = build_configs(ctx, shards, rel)
    write_card(ctx, configs=configs, features=item_features(scan.types, gold, image=True),
               map_features=map_features(image=True), shards=shards)  # fmt: skip
    write_marker(ctx, "hf", {"configs": [c["config_name"] for c in configs]})
    return {"configs": [c["config_name"] for c in configs], "shards": sum(len(f) for f in shards.values())}


def write_maps_metadata(ctx: ExportContext, file_name: Mapping[str, str]) -> None:
    """``data/metadata.parquet``: one row per map (the ``maps`` config; standard image-folder name)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [
        {
            "map_id": mid,
            "file_name": file_name[mid],
            "country": ref.country,
            "city": ref.city,
            "city_ref": ref.city_ref,
            "splits": sorted(ref.splits),
            "source": ctx.maps[mid].source,
            "width": ctx.maps[mid].width,
            "height": ctx.maps[mid].height,
            "bytes": ctx.maps[mid].bytes,
            "sha256": ctx.maps[mid].sha256,
            "graph_hash": ref.graph_hash,
            "items": ref.items,
        }
        for mid, ref in sorted(ctx.scan.maps.items())
    ]
    schema = map_features(image=False).arrow_schema
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), ctx.out / "data" / "metadata.parquet",
                   compression="zstd")  # fmt: skip


def maps_config(rel: Mapping[str, str]) -> dict[str, Any]:
    """The ``maps`` config; listed first, its PNGs make ``datasets`` pick the image-folder builder."""
    return {"config_name": "maps", "data_files": [{"split": "train", "path": ["data/metadata.parquet",
                                                                             *sorted(rel.values())]}]}


def build_configs(
    ctx: ExportContext, shards: Mapping[tuple[str, str], list[str]], rel: Mapping[str, str]
) -> list[dict[str, Any]]:
    """The README ``configs``: ``maps`` first (it fixes the builder), ``all`` (default), one per type."""
    scan = ctx.scan
    configs: list[dict[str, Any]] = [maps_config(rel)]

    def config(name: str, types: list[str], default: bool = False) -> dict[str, Any]:
        data_files, meta_names = [], []
        for split in scan.split_names:
            files = [f for t in types for f in shards.get((t, split), [])]
            if not files:
                continue
            maps = sorted({rel[m] for t in types for m in scan.by_split_type_map.get((split, t), ())})
            data_files.append({"split": split, "path": [*files, *maps]})
            meta_names.extend(os.path.basename(f) for f in files)
        c: dict[str, Any] = {"config_name": name}
        if default:
            c["default"] = True
        c["data_files"] = data_files
        c["metadata_filenames"] = meta_names
        return c

    configs.append(config("all", scan.types, default=True))
    for t in scan.types:
        configs.append(config(config_name(t), [t]))
    return configs


def config_name(typ: str) -> str:
    """The config of one type: its name, unless that is taken by ``all``/``maps`` (then ``type-<name>``).

    >>> config_name("TorF1"), config_name("maps")
    ('TorF1', 'type-maps')
    """
    return f"type-{typ}" if typ in ("all", "maps") else typ


# --- reading back --------------------------------------------------------------------------


def _maps_lookup(maps: Any) -> dict[str, dict[str, Any]]:
    """map_id -> {"path", "bytes"} from a maps Dataset, an export folder, or a mapping of paths."""
    if isinstance(maps, (str, os.PathLike)):
        import pyarrow.parquet as pq

        root = Path(maps)
        meta = root / "data" / "metadata.parquet"
        if not meta.is_file():
            raise ExportError(f"{root} is not a mapkit hf export (no data/metadata.parquet).")
        table = pq.read_table(meta, columns=["map_id", "file_name"])
        return {
            m: {"path": str((root / "data" / f).resolve()), "bytes": None}
            for m, f in zip(table.column("map_id").to_pylist(), table.column("file_name").to_pylist())
        }
    if isinstance(maps, Mapping):
        return {str(k): {"path": str(Path(v).resolve()), "bytes": None} for k, v in maps.items()}
    from datasets import Image

    raw = maps.cast_column("image", Image(decode=False))
    out = {}
    for mid, img in zip(raw["map_id"], raw["image"]):
        path = img.get("path")
        if path and os.path.isfile(path):
            out[mid] = {"path": path, "bytes": None}
        else:
            out[mid] = {"path": None, "bytes": img.get("bytes")}
    return out


def attach_images(ds: Any, maps: Any, *, column: str = "image") -> Any:
    """Add a decoded ``image`` column to item rows that only carry ``map_id``/``figure``.

    ``maps`` is the ``maps`` config (a Dataset), an hf export folder, or ``{map_id: png_path}``.
    Local maps are referenced by path, so no image bytes are copied per row.

    >>> import datasets, tempfile, pathlib
    >>> from PIL import Image as PILImage
    >>> png = pathlib.Path(tempfile.mkdtemp()) / "x.png"
    >>> PILImage.new("RGB", (4, 3)).save(png)
    >>> ds = datasets.Dataset.from_dict({"id": ["a"], "map_id": ["c/x"]})
    >>> attach_images(ds, {"c/x": png})[0]["image"].size
    (4, 3)
    """
    from datasets import Image

    lookup = _maps_lookup(maps)
    key = "map_id" if "map_id" in ds.column_names else "figure"

    def add(batch: dict[str, list[Any]]) -> dict[str, list[Any]]:
        ids = batch[key] if key == "map_id" else [map_id_of({"figure": f}) for f in batch[key]]
        missing = sorted({m for m in ids if m not in lookup})
        if missing:
            raise ExportError(f"No map for {', '.join(missing[:5])} in the maps given to attach_images.")
        return {column: [lookup[m] for m in ids]}

    features = ds.features.copy()
    features[column] = Image()
    return ds.map(add, batched=True, features=features)
