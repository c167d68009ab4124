"""``--to trl``: a ``datasets`` folder for TRL's ``GRPOTrainer`` (conversational prompt + image).

Files: ``README.md`` (configs only), ``data/<split>-NNNNN-of-MMMMM.parquet`` and
``maps/train-*.parquet`` -- the same layout as the hf export: each map stored once, as PNG bytes in the
``maps`` config, joined to the rows by ``map_id`` with :func:`mapkit.export.hf.attach_images` (nothing in
the loaded data points into the folder, so it can be moved).

Columns: ``prompt`` (one user message whose content is an image part then the question text),
``map_id``, ``item`` (the canonical row as JSON: :func:`mapkit.scoring.trl_reward` rebuilds the item
from it), and plain copies of ``id, type, answer_text, difficulty_city, difficulty_question, weight``
for filtering and logging. TRL hands every column but ``prompt`` to the reward as keyword arguments::

    from datasets import load_dataset
    from mapkit.export.hf import attach_images
    from mapkit.scoring import trl_reward
    train = attach_images(load_dataset("OUT", split="train"), load_dataset("OUT", "maps", split="train"))
    GRPOTrainer(model=..., reward_funcs=[trl_reward], train_dataset=train, ...)

Example:
    >>> prompt_of({"question": "Is A on B?"})[0]["content"][1]["text"]
    'Is A on B?'
"""

from __future__ import annotations

from typing import Any

from mapkit.export.core import ExportContext, map_id_of, write_marker
from mapkit.export.hf import MAPS_DIR, ROWS_PER_SHARD, _require_hub, _ShardWriter, write_maps_parquet
from mapkit.io import dumps_canonical, write_text_atomic


def prompt_of(item: dict[str, Any]) -> list[dict[str, Any]]:
    """TRL's conversational prompt: one user turn, the map image first, then the question."""
    return [
        {
            "role": "user",
            "content": [{"type": "image", "text": None}, {"type": "text", "text": item["question"]}],
        }
    ]


def features() -> Any:
    """The stored columns (``attach_images`` adds ``image`` from ``map_id``)."""
    from datasets import Features, Value

    from mapkit.export.hf import _list_feature

    part = {"type": Value("string"), "text": Value("string")}
    return Features(
        {
            "prompt": _list_feature({"role": Value("string"), "content": _list_feature(part)}),
            "map_id": Value("string"),
            "item": Value("string"),
            "id": Value("string"),
            "type": Value("string"),
            "answer_text": Value("string"),
            "difficulty_city": Value("string"),
            "difficulty_question": Value("string"),
            "weight": Value("float64"),
        }
    )


def write(ctx: ExportContext) -> dict[str, Any]:
    """Write the TRL folder into ``ctx.out``."""
    _require_hub()
    (ctx.out / "data").mkdir(parents=True, exist_ok=True)
    write_maps_parquet(ctx)
    schema = features().arrow_schema
    rows_per_shard = int(ctx.options.get("rows_per_shard") or ROWS_PER_SHARD)
    def row(split: str, item: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return split, {
            "prompt": prompt_of(item),
            "map_id": map_id_of(item),
            "item": dumps_canonical(item),
            "id": item["id"],
            "type": item["type"],
            "answer_text": item["answer_text"],
            "difficulty_city": item["difficulty_city"],
            "difficulty_question": item["difficulty_question"],
            "weight": item["weight"],
        }

    writers: dict[str, _ShardWriter] = {}
    for split, table in ctx.row_tables(row, schema, name=lambda s: f"data/{s}"):
        w = writers.get(split)
        if w is None:
            w = writers[split] = _ShardWriter(ctx.out, f"data/{split}", ctx.scan.splits[split], schema, rows_per_shard)
        w.add_table(table)
    for w in writers.values():
        w.close()
    if not writers:  # an empty export (allow_empty): one empty shard so the config still loads
        w = writers["train"] = _ShardWriter(ctx.out, "data/train", 0, schema, rows_per_shard)
        w._open()
        w.close()
    default = {"config_name": "default", "default": True,
               "data_files": [{"split": s, "path": f"data/{s}-*.parquet"}
                                             for s in dict.fromkeys([*ctx.scan.split_names, *writers])]}  # fmt: skip
    maps = {"config_name": "maps", "data_files": [{"split": "train", "path": f"{MAPS_DIR}/train-*.parquet"}]}
    _write_readme(ctx, [default, maps])
    write_marker(ctx, "trl")
    return {"splits": {s: w.files for s, w in writers.items()}}


def _write_readme(ctx: ExportContext, configs: list[dict[str, Any]]) -> None:
    from huggingface_hub import DatasetCard, DatasetCardData

    from mapkit.export.card import LICENSE, TAGS, TASK_CATEGORIES, languages, size_category

    data = DatasetCardData(
        license=LICENSE,
        task_categories=TASK_CATEGORIES,
        language=languages(ctx.scan),
        size_categories=[size_category(ctx.scan.n_items)],
        pretty_name=ctx.options.get("pretty_name") or "mapkit transit-map VQA (TRL)",
        tags=[*TAGS, "trl", "grpo"],
        configs=configs,
    )
    body = (
        "# mapkit items for TRL GRPOTrainer\n\n"
        "```python\nfrom datasets import load_dataset\nfrom mapkit.export.hf import attach_images\n\n"
        'train = attach_images(load_dataset(OUT, split="train"), load_dataset(OUT, "maps", split="train"))\n```\n\n'
        "`prompt` (conversational, image part first), `image` (the map, stored once per map in the `maps` "
        "config and joined by `map_id`), `item` (the canonical mapkit row as JSON; "
        "`mapkit.scoring.trl_reward` scores completions from it).\n"
    )
    write_text_atomic(ctx.out / "README.md", str(DatasetCard(f"---\n{data.to_yaml()}\n---\n\n{body}")))
