"""``--to verl``: Parquet rows for verl's ``RLHFDataset`` and a mapkit ``compute_score``.

Files: ``train.parquet``, ``test.parquet`` (one per split) and ``maps/<country>/<city>.png``.
Row: ``data_source`` ("mapkit"), ``prompt`` (chat messages; ``<image>`` marks where the map goes),
``images`` (``[{"image": path}]``: a path, so the map is stored once, not per row), ``ability``,
``reward_model`` (``{"style": "rule", "ground_truth": <canonical item as JSON>}``) and ``extra_info``
(``split, index, id, type, answer_text, weight``).

verl resolves an image path relative to its working directory, so paths are written absolute
(the export folder's location at export time) unless ``image_root`` is given (``--image-root``:
a prefix such as ``/data/mapkit`` where the folder will live, or ``.`` for relative paths).

Train with::

    data.train_files=OUT/train.parquet data.val_files=OUT/test.parquet data.image_key=images
    custom_reward_function.path=<site-packages>/mapkit/scoring/verl.py
    custom_reward_function.name=compute_score

Example:
    >>> row_of("train", 0, {"id": "x", "question": "Q?", "type": "TorF1", "answer_text": "yes", "weight": 1.0},
    ...        "/m/x.png")["prompt"]
    [{'role': 'user', 'content': '<image>Q?'}]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mapkit.export.core import ExportContext, map_id_of, write_marker
from mapkit.export.formats import ParquetSplits
from mapkit.io import dumps_canonical

DATA_SOURCE = "mapkit"
ABILITY = "visual_reasoning"


def schema() -> Any:
    import pyarrow as pa

    return pa.schema(
        [
            ("data_source", pa.string()),
            ("prompt", pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))),
            ("images", pa.list_(pa.struct([("image", pa.string())]))),
            ("ability", pa.string()),
            ("reward_model", pa.struct([("style", pa.string()), ("ground_truth", pa.string())])),
            (
                "extra_info",
                pa.struct(
                    [
                        ("split", pa.string()),
                        ("index", pa.int64()),
                        ("id", pa.string()),
                        ("type", pa.string()),
                        ("answer_text", pa.string()),
                        ("weight", pa.float64()),
                    ]
                ),
            ),
        ]
    )


def row_of(split: str, index: int, item: dict[str, Any], image: str) -> dict[str, Any]:
    """The verl row of one item (``image``: the path written into ``images``)."""
    return {
        "data_source": DATA_SOURCE,
        "prompt": [{"role": "user", "content": "<image>" + item["question"]}],
        "images": [{"image": image}],
        "ability": ABILITY,
        "reward_model": {"style": "rule", "ground_truth": dumps_canonical(item)},
        "extra_info": {
            "split": split,
            "index": index,
            "id": item["id"],
            "type": item["type"],
            "answer_text": item["answer_text"],
            "weight": item["weight"],
        },
    }


def numbered(table: Any, start: int) -> Any:
    """``table`` with ``extra_info.index`` set to ``start, start + 1, ...`` (rows are made in ranges, in
    worker processes, that do not know how many rows of their split came before)."""
    import pyarrow as pa

    k = table.schema.get_field_index("extra_info")
    info = table.column(k).combine_chunks()
    fields = list(info.type)
    children = info.flatten()
    children[info.type.get_field_index("index")] = pa.array(range(start, start + table.num_rows), pa.int64())
    return table.set_column(k, table.schema.field(k), pa.StructArray.from_arrays(children, fields=fields))


def image_paths(ctx: ExportContext, rel: dict[str, str], final_out: Path) -> dict[str, str]:
    """map_id -> the path written into rows: under ``image_root`` if given, else absolute."""
    root = ctx.options.get("image_root")
    if root is None:
        return {m: str((final_out / r).resolve()) for m, r in rel.items()}
    if root in ("", "."):
        return dict(rel)
    return {m: f"{str(root).rstrip('/')}/{r}" for m, r in rel.items()}


def write(ctx: ExportContext) -> dict[str, Any]:
    """Write the verl files into ``ctx.out``."""
    from mapkit.export.hf import _require_hub

    _require_hub()
    rel = ctx.copy_maps("maps")
    paths = image_paths(ctx, rel, Path(ctx.options.get("final_out", ctx.out)))
    index: dict[str, int] = {}

    def row(split: str, item: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return split, row_of(split, -1, item, paths[map_id_of(item)])  # the index is the parent's to number

    with ParquetSplits(ctx.out, schema()) as out:
        for split, table in ctx.row_tables(row, schema()):
            start = index.get(split, 0)
            index[split] = start + table.num_rows
            out.add_table(split, numbered(table, start))
    write_marker(ctx, "verl")
    return {"files": out.files}
