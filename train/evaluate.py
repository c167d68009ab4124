"""``mapkit eval``: greedy answers from a model, scored by the same path as ``mapkit score``.

The responses are written as ``{"id", "response"}`` JSONL (what ``mapkit score ITEMS RESPONSES`` reads),
then scored with :func:`mapkit.evaluate.score_file`, so accuracy and weighted accuracy per type and
per city difficulty are exactly ReasonMap-Plus's numbers as ``mapkit score`` reports them.

Example:
    >>> report = evaluate("tiny", "out/demo/items.jsonl", "runs/eval")   # doctest: +SKIP
    >>> report.summary["weighted_accuracy"]                              # doctest: +SKIP
    0.0
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from mapkit.train.data import corpus, load_examples
from mapkit.train.rollout import encode_prompts, make_backend

from mapkit.evaluate import ScoreReport, score_file
from mapkit.io import write_jsonl, write_text_atomic

__all__ = ["evaluate"]


def evaluate(
    model: str | os.PathLike[str],
    items: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    batch_size: int = 8,
    max_new_tokens: int = 256,
    min_pixels: int = 56 * 56,
    max_pixels: int = 112 * 112,
    data_dir: str | os.PathLike[str] | None = None,
    require_optimal: bool = False,
    device: str = "auto",
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ScoreReport:
    """Answer every item of ``items`` greedily with ``model`` (a folder, or ``tiny``) and score the answers.

    Writes ``OUT/responses.jsonl`` and ``OUT/report.json`` (the :class:`ScoreReport` summary, per type and
    per difficulty) and returns the report. ``limit`` answers only the first items (the report then
    scores only those).
    """
    from mapkit.train.loop import _device
    from mapkit.train.tiny import build_tiny, load_model

    exs = load_examples(items, min_pixels=min_pixels, max_pixels=max_pixels, data_dir=data_dir)
    if limit is not None:
        exs = exs[:limit]
    dev = _device(device)
    if str(model) == "tiny":  # untrained: the pipeline end to end, accuracy near zero
        policy, processor = build_tiny(corpus(exs), min_pixels=min_pixels, max_pixels=max_pixels)
    else:
        dtype = torch.bfloat16 if dev.type == "cuda" else torch.float32
        policy, processor = load_model(model, dtype=dtype, min_pixels=min_pixels, max_pixels=max_pixels)
    policy.to(dev).eval()
    backend = make_backend("hf", policy, processor)
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    responses: list[dict[str, Any]] = []
    for i in range(0, len(exs), batch_size):
        chunk = exs[i : i + batch_size]
        batch = encode_prompts(processor, [e.messages for e in chunk], [e.image for e in chunk]).to(dev)
        ro = backend.generate(batch, max_new_tokens=max_new_tokens, temperature=1.0, greedy=True)
        responses += [{"id": e.id, "response": t} for e, t in zip(chunk, ro.texts)]
        if progress:
            progress(min(i + batch_size, len(exs)), len(exs))
    resp_path = out_dir / "responses.jsonl"
    write_jsonl(resp_path, responses)
    items_path = Path(items)
    if limit is not None or not items_path.is_file():
        # score exactly the answered items (an export folder or a limit): write them as JSONL beside the answers
        items_path = out_dir / "items.jsonl"
        write_jsonl(items_path, (e.item for e in exs))
    report = score_file(items_path, resp_path, data_dir=data_dir, require_optimal=require_optimal)
    doc = {"model": str(model), "items": str(items), "responses": str(resp_path), **report.to_dict()}
    write_text_atomic(out_dir / "report.json", json.dumps(doc, indent=2) + "\n")
    return report
