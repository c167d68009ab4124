"""Sampler and trainer agree: log-probs recorded while sampling equal the teacher-forced forward's.

Prompts of different lengths (left padding) with images of different sizes (different numbers of image
tokens), on the real Qwen2.5-VL architecture (tiny, random weights). Dropping ``mm_token_type_ids``
from the training forward -- transformers 5's silent fallback to 1-D positions -- must break the match.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from mapkit.train.forward import completion_logprobs, rows_inputs  # noqa: E402
from mapkit.train.rollout import HFGenerate, encode_prompts  # noqa: E402
from PIL import Image  # noqa: E402


def _mixed(examples):
    """Three prompts of different lengths and three map sizes (so different image-token counts)."""
    by_type = {}
    for e in examples:
        by_type.setdefault(e.type, e)
    picks = [by_type["TorF1"], by_type["Counting1"], by_type["Counting2"]]
    sizes = [(94, 132), (200, 60), (56, 56)]
    return [e.messages for e in picks], [e.image.resize(s) for e, s in zip(picks, sizes)]


@pytest.mark.parametrize("temperature", [1.0, 0.7])
def test_sampler_logprobs_equal_training_logprobs(tiny, examples, temperature):
    model, processor = tiny
    messages, images = _mixed(examples)
    batch = encode_prompts(processor, messages, images, n=2)
    am = batch.inputs["attention_mask"]
    assert len(set(am.sum(1).tolist())) == 3 and (am[:, 0] == 0).any()  # really left padded, mixed lengths
    assert len(set(batch.inputs["image_grid_thw"].prod(-1).tolist())) == 3
    torch.manual_seed(1)
    backend = HFGenerate(model, processor)
    ro = backend.generate(batch, max_new_tokens=12, temperature=temperature)
    assert ro.logprobs is not None and ro.mask.sum() > 12
    with torch.no_grad():
        lp, _ = completion_logprobs(model, batch, ro.tokens, ro.mask, range(batch.rows), temperature=temperature,
                                    suppress=backend.suppress)  # fmt: skip
    gap = ((lp - ro.logprobs).abs() * ro.mask).max().item()
    assert gap < 1e-5
    # the trap: the same forward without mm_token_type_ids falls back to 1-D positions, silently
    inp = rows_inputs(batch, range(batch.rows))
    plen = inp["input_ids"].shape[1]
    with torch.no_grad():
        logits = model(input_ids=torch.cat([inp["input_ids"], ro.tokens], 1),
                       attention_mask=torch.cat([inp["attention_mask"], ro.mask], 1),
                       pixel_values=inp["pixel_values"], image_grid_thw=inp["image_grid_thw"],
                       use_cache=False).logits[:, plen - 1 : -1]  # fmt: skip
    from mapkit.train.grpo import token_logprobs

    bad, _ = token_logprobs(logits, ro.tokens, temperature=temperature, suppress=backend.suppress)
    assert ((bad - ro.logprobs).abs() * ro.mask).max().item() > 1e-4


def test_micro_batch_rows_see_their_own_image(tiny, examples):
    model, processor = tiny
    messages, images = _mixed(examples)
    batch = encode_prompts(processor, messages, images, n=1)
    torch.manual_seed(2)
    backend = HFGenerate(model, processor)
    ro = backend.generate(batch, max_new_tokens=6, temperature=1.0)
    with torch.no_grad():
        whole, _ = completion_logprobs(model, batch, ro.tokens, ro.mask, [0, 1, 2], suppress=backend.suppress)
        last, _ = completion_logprobs(model, batch, ro.tokens, ro.mask, [2], suppress=backend.suppress)
    # row 2 alone has less left padding than in the whole batch; its log-probs must not move
    assert ((whole[2] - last[0]).abs() * ro.mask[2]).max().item() < 1e-5


def test_the_image_changes_the_logprobs(tiny, examples):
    model, processor = tiny
    e = next(x for x in examples if x.type == "TorF1")
    plain = Image.new("RGB", e.image.size, "white")
    batch = encode_prompts(processor, [e.messages, e.messages], [e.image, plain])
    tokens = processor.tokenizer(["\\boxed{yes}<|im_end|>"] * 2, return_tensors="pt")["input_ids"]
    mask = torch.ones_like(tokens)
    with torch.no_grad():
        lp, _ = completion_logprobs(model, batch, tokens, mask, [0, 1])
    assert torch.equal(batch.inputs["input_ids"][0], batch.inputs["input_ids"][1])  # same text, same length
    assert (lp[0] - lp[1]).abs().max().item() > 1e-4
