"""``--to sharegpt``: LLaMA-Factory SFT data (ShareGPT-style ``messages`` + ``images``).

Files: ``train.json``, ``test.json`` (JSON arrays), ``dataset_info.json`` (registers ``mapkit_train``
and ``mapkit_test``), and ``maps/<country>/<city>.png``. A row::

    {"messages": [{"role": "user", "content": "<image>" + question},
                  {"role": "assistant", "content": "\\\\boxed{" + answer_text + "}"}],
     "images": ["maps/<country>/<city>.png"],
     "item": "<the canonical item as JSON>"}

``images`` are relative to the folder, LLaMA-Factory's default ``media_dir`` (= ``dataset_dir``); the
``item`` key (a JSON string, so every row has the same type) lets mapkit score a response from the
row: ``score(json.loads(row["item"]), response)``. Train with ``dataset_dir: OUT``,
``dataset: mapkit_train``.

Example:
    >>> messages_of({"question": "Q?", "answer_text": "B"})[1]
    {'role': 'assistant', 'content': '\\\\boxed{B}'}
"""

from __future__ import annotations

from typing import Any

from mapkit.export.core import ExportContext, map_id_of, write_marker
from mapkit.export.formats import JsonArrays
from mapkit.io import dumps_canonical, write_json


def messages_of(item: dict[str, Any]) -> list[dict[str, str]]:
    """The user turn (image token + question) and the gold assistant turn."""
    return [
        {"role": "user", "content": "<image>" + item["question"]},
        {"role": "assistant", "content": "\\boxed{" + item["answer_text"] + "}"},
    ]


def dataset_info(splits: list[str]) -> dict[str, Any]:
    """LLaMA-Factory's ``dataset_info.json`` entries for the split files.

    >>> dataset_info(["train"])["mapkit_train"]["file_name"]
    'train.json'
    """
    return {
        f"mapkit_{s}": {
            "file_name": f"{s}.json",
            "formatting": "sharegpt",
            "columns": {"messages": "messages", "images": "images"},
            "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user", "assistant_tag": "assistant"},
        }
        for s in splits
    }


def write(ctx: ExportContext) -> dict[str, Any]:
    """Write the LLaMA-Factory folder into ``ctx.out``."""
    rel = ctx.copy_maps("maps")
    with JsonArrays(ctx.out) as out:

        def row(split: str, item: dict[str, Any]) -> tuple[str, str]:
            return split, out.encode(
                {"messages": messages_of(item), "images": [rel[map_id_of(item)]], "item": dumps_canonical(item)}
            )

        for split, texts in ctx.row_tables(row, None):
            out.add_texts(split, texts)
    write_json(ctx.out / "dataset_info.json", dataset_info(ctx.scan.split_names))
    write_marker(ctx, "sharegpt")
    return {"files": [*out.files, "dataset_info.json"]}
