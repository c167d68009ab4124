"""The teacher-forced forward: log-probs of sampled completions under the current (or reference) model.

One forward over prompt + completion with the *same* vision inputs the sampler had: ``pixel_values``,
``image_grid_thw`` and ``mm_token_type_ids`` (extended with zeros over the completion). Without
``mm_token_type_ids`` transformers 5 gives Qwen2.5-VL 1-D positions instead of M-RoPE, silently: the
training log-probs then drift from the sampler's by ~1e-3 per token (``tests/train/test_logprobs.py``
holds them within 1e-5).

Example:
    >>> logp, ent = completion_logprobs(model, batch, ro.tokens, ro.mask, range(4))   # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from mapkit.train.grpo import token_logprobs
from mapkit.train.rollout import PromptBatch

__all__ = ["completion_logprobs", "rows_inputs"]


def rows_inputs(batch: PromptBatch, rows: Sequence[int]) -> dict[str, torch.Tensor]:
    """The processor tensors of some rows of ``batch`` (their image patches included).

    Every row holds exactly one image (mapkit prompts: one map each), so row ``r``'s patches are the
    ``r``-th block of ``pixel_values``.
    """
    inp = batch.inputs
    rows = list(rows)
    idx = torch.tensor(rows, device=inp["input_ids"].device)
    out = {k: inp[k].index_select(0, idx) for k in ("input_ids", "attention_mask", "mm_token_type_ids")}
    grid = inp["image_grid_thw"]
    sizes = grid.prod(-1).tolist()
    starts = [0]
    for s in sizes:
        starts.append(starts[-1] + s)
    out["pixel_values"] = torch.cat([inp["pixel_values"][starts[r] : starts[r + 1]] for r in rows])
    out["image_grid_thw"] = grid.index_select(0, idx)
    return out


def completion_logprobs(
    model: Any,
    batch: PromptBatch,
    tokens: torch.Tensor,
    mask: torch.Tensor,
    rows: Sequence[int],
    *,
    temperature: float = 1.0,
    suppress: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-token log-probs and entropies ``[len(rows), T]`` of ``tokens[rows]`` given their prompts."""
    inp = rows_inputs(batch, rows)
    idx = torch.tensor(list(rows), device=tokens.device)
    comp, cmask = tokens.index_select(0, idx), mask.index_select(0, idx)
    out = model(
        input_ids=torch.cat([inp["input_ids"], comp], 1),
        attention_mask=torch.cat([inp["attention_mask"], cmask.to(inp["attention_mask"].dtype)], 1),
        mm_token_type_ids=torch.cat([inp["mm_token_type_ids"], torch.zeros_like(comp)], 1),
        pixel_values=inp["pixel_values"],
        image_grid_thw=inp["image_grid_thw"],
        use_cache=False,
        # only the last T + 1 positions go through the LM head: prompt logits would be vocab x prompt
        # length of memory for nothing (1 GB per 3.5k-token sequence at Qwen's 152k vocabulary)
        logits_to_keep=comp.shape[1] + 1,
    )
    # logits at position p predict token p + 1: the completion's are the T positions before its end
    logits = out.logits[:, :-1]
    if suppress is not None:
        suppress = suppress.to(logits.device)
    return token_logprobs(logits, comp, temperature=temperature, suppress=suppress)
