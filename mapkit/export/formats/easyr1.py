"""``--to easyr1``: Parquet rows ``problem, answer, images`` for EasyR1, and a reward adapter.

Files: ``train.parquet``, ``test.parquet`` and ``maps/<country>/<city>.png``. ``problem`` is
``<image>`` + the question; ``images`` lists the map's path relative to the export folder (EasyR1
joins it with ``data.image_dir``); ``answer`` is the canonical item as JSON, because EasyR1 hands
only ``answer`` (as ``ground_truth``) to the reward function. ``id``, ``type`` and ``answer_text``
ride along for reading.

Train with::

    data.train_files=OUT/train.parquet data.val_files=OUT/test.parquet data.image_dir=OUT
    worker.reward.reward_function=<site-packages>/mapkit/export/formats/easyr1.py:compute_score

Example:
    >>> import json
    >>> from mapkit.scoring.score import _demo
    >>> item, fam = _demo()
    >>> compute_score([{"response": r"\\boxed{yes}", "ground_truth": json.dumps(item)}], family=fam)[0]["overall"]
    2.5
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mapkit.export.core import ExportContext, map_id_of, write_marker
from mapkit.export.formats import ParquetSplits
from mapkit.io import dumps_canonical


def schema() -> Any:
    import pyarrow as pa

    return pa.schema(
        [
            ("problem", pa.string()),
            ("answer", pa.string()),
            ("images", pa.list_(pa.string())),
            ("id", pa.string()),
            ("type", pa.string()),
            ("answer_text", pa.string()),
        ]
    )


def write(ctx: ExportContext) -> dict[str, Any]:
    """Write the EasyR1 files into ``ctx.out``."""
    from mapkit.export.hf import _require_hub

    _require_hub()
    rel = ctx.copy_maps("maps")

    def row(split: str, item: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return split, {
            "problem": "<image>" + item["question"],
            "answer": dumps_canonical(item),
            "images": [rel[map_id_of(item)]],
            "id": item["id"],
            "type": item["type"],
            "answer_text": item["answer_text"],
        }

    with ParquetSplits(ctx.out, schema()) as out:
        for split, table in ctx.row_tables(row, schema()):
            out.add_table(split, table)
    write_marker(ctx, "easyr1")
    return {"files": out.files}


def compute_score(reward_inputs: Sequence[dict[str, Any]] | str, ground_truth: str | None = None,
                  **kwargs: Any) -> Any:  # fmt: skip
    """EasyR1 reward function over mapkit's scorer.

    Batch form (EasyR1 >= 0.3): a list of ``{"response", "ground_truth", ...}`` -> a list of
    ``{"overall", "format", "accuracy", "detail"}``. Sequential form: ``(response, ground_truth)``
    -> one such dict. ``ground_truth`` is the ``answer`` column: the canonical item as JSON.
    """
    from mapkit.scoring.verl import compute_score as verl_score

    def one(response: str, gt: Any) -> dict[str, float]:
        # the verl adapter is the one reward path (argument filtering included); EasyR1 names differ
        v = verl_score(None, response, gt, **kwargs)
        return {"overall": v["score"], "format": v["format"], "accuracy": v["acc"], "detail": v["detail"]}

    if isinstance(reward_inputs, str):
        return one(reward_inputs, ground_truth)
    return [one(r.get("response", ""), r.get("ground_truth")) for r in reward_inputs]
