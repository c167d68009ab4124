"""Prompt batches and rollout backends: who samples the completions.

* :func:`encode_prompts` -- chat template + processor, left padded, each prompt repeated ``n`` times
  (its image rows too), keeping ``pixel_values``, ``image_grid_thw`` and ``mm_token_type_ids``: the
  training forward must see exactly what the sampler saw.
* :class:`RolloutBackend` -- the protocol: ``generate(batch, ...) -> Rollout``.
* :class:`HFGenerate` -- the default: ``model.generate`` with plain sampling (no top-k/top-p, whose
  renormalisation would make the sampler's distribution differ from the one the loss uses), the image
  and other special tokens suppressed, and the sampler's own log-probs recorded on the fly (one
  vocabulary row per sequence kept, not the whole ``scores`` tensor).
* :class:`VLLMBackend` -- optional, imported only when chosen (``rollout = "vllm"``); not exercised in
  this repository's tests (no vLLM wheel for this CPU torch).

Example (``model, processor`` from :func:`mapkit.train.tiny.build_tiny`):
    >>> batch = encode_prompts(processor, [ex.messages for ex in exs], [ex.image for ex in exs], n=4)  # doctest: +SKIP
    >>> ro = HFGenerate(model, processor).generate(batch, max_new_tokens=16, temperature=1.0)          # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import torch
from transformers import LogitsProcessor, LogitsProcessorList

from mapkit.errors import TrainingError

__all__ = ["HFGenerate", "PromptBatch", "Rollout", "RolloutBackend", "VLLMBackend", "encode_prompts", "make_backend"]

NEVER_SAMPLE = ("<|image_pad|>", "<|video_pad|>", "<|vision_start|>", "<|vision_end|>", "<|im_start|>")
"""Tokens a completion must never contain: placeholders the processor expands, and a new turn."""


@dataclass
class PromptBatch:
    """Processor output for ``rows`` prompt rows (each prompt ``n`` times in a row), left padded."""

    inputs: dict[str, torch.Tensor]
    n: int
    images: list[Any] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return int(self.inputs["input_ids"].shape[0])

    def to(self, device: Any) -> PromptBatch:
        return PromptBatch({k: v.to(device) for k, v in self.inputs.items()}, self.n, self.images, self.texts)


@dataclass
class Rollout:
    """Completions of one :class:`PromptBatch`: ``[rows, T]`` tensors, padded after the first end token."""

    tokens: torch.Tensor
    mask: torch.Tensor
    """1 up to and including the first end-of-turn token (all ones for a truncated completion)."""
    truncated: torch.Tensor
    """True where no end token came within ``max_new_tokens``."""
    texts: list[str]
    logprobs: torch.Tensor | None = None
    """The sampler's log-prob of each token (None when the backend does not report them)."""


class RolloutBackend(Protocol):
    """Samples completions for a prompt batch; after each optimiser step :meth:`sync` sees the new weights."""

    def generate(
        self, batch: PromptBatch, *, max_new_tokens: int, temperature: float, greedy: bool = False
    ) -> Rollout: ...

    def sync(self, model: Any) -> None: ...


def encode_prompts(processor: Any, messages: Sequence[Any], images: Sequence[Any], *, n: int = 1) -> PromptBatch:
    """Chat-template the prompts and run the processor; each prompt (and its image) repeated ``n`` times."""
    texts = [processor.apply_chat_template(m, add_generation_prompt=True, tokenize=False) for m in messages]
    texts = [t for t in texts for _ in range(n)]
    imgs = [im for im in images for _ in range(n)]
    processor.tokenizer.padding_side = "left"
    enc = processor(text=texts, images=imgs, return_tensors="pt", padding=True)
    inputs = {k: v for k, v in enc.items() if isinstance(v, torch.Tensor)}
    if "mm_token_type_ids" not in inputs:
        # older processors do not return it; the model then silently falls back to 1-D positions
        ids = inputs["input_ids"]
        image_id = processor.tokenizer.convert_tokens_to_ids("<|image_pad|>")
        inputs["mm_token_type_ids"] = (ids == image_id).long()
    return PromptBatch(inputs, n, imgs, texts)


def never_sample_mask(processor: Any, vocab_size: int) -> torch.Tensor:
    """Vocabulary-sized bool mask of :data:`NEVER_SAMPLE` (tokens the tokenizer has)."""
    mask = torch.zeros(vocab_size, dtype=torch.bool)
    unk = processor.tokenizer.unk_token_id
    for t in NEVER_SAMPLE:
        i = processor.tokenizer.convert_tokens_to_ids(t)
        if isinstance(i, int) and i != unk and 0 <= i < vocab_size:
            mask[i] = True
    return mask


def end_ids(processor: Any, model: Any) -> list[int]:
    """Token ids that end a completion: ``<|im_end|>`` and ``<|endoftext|>``."""
    tok = processor.tokenizer
    ids = {tok.convert_tokens_to_ids(t) for t in ("<|im_end|>", "<|endoftext|>")}
    eos = model.generation_config.eos_token_id
    ids |= set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
    return sorted(i for i in ids if isinstance(i, int) and i != tok.unk_token_id)


def completion_mask(tokens: torch.Tensor, ends: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """(mask up to and including the first end token, truncated flags) of ``[rows, T]`` tokens.

    >>> m, tr = completion_mask(torch.tensor([[5, 2, 0], [5, 6, 7]]), [2])
    >>> m.tolist(), tr.tolist()
    ([[1, 1, 0], [1, 1, 1]], [False, True])
    """
    is_end = torch.isin(tokens, torch.tensor(list(ends), device=tokens.device))
    # position of the first end token, or T when there is none
    first = torch.where(
        is_end.any(1), is_end.float().argmax(1), torch.full_like(is_end[:, 0], tokens.shape[1], dtype=torch.long)
    )
    pos = torch.arange(tokens.shape[1], device=tokens.device).unsqueeze(0)
    mask = (pos <= first.unsqueeze(1)).long()
    return mask, ~is_end.any(1)


class _TemperatureAndRecord(LogitsProcessor):
    """Divides by the temperature (last, after the token suppression) and records log p of each sampled token.

    ``generate`` would put its own temperature warper *after* custom processors, so this one does the
    scaling itself (``generate`` is called with temperature 1): what it records is exactly the
    distribution sampled from. At step t it sees the token drawn at step t - 1.
    """

    def __init__(self, prompt_len: int, temperature: float, record: bool) -> None:
        self.prompt_len = prompt_len
        self.temperature = temperature
        self.record = record
        self.prev: torch.Tensor | None = None
        self.out: list[torch.Tensor] = []

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        scores = scores / self.temperature
        if self.record:
            self.settle(input_ids)
            self.prev = torch.log_softmax(scores.float(), dim=-1)
        return scores

    def settle(self, input_ids: torch.Tensor) -> None:
        if self.prev is not None and input_ids.shape[1] > self.prompt_len + len(self.out):
            tok = input_ids[:, -1:]
            self.out.append(self.prev.gather(-1, tok).squeeze(-1))
            self.prev = None


class HFGenerate:
    """Rollouts with Hugging Face ``model.generate`` (the default backend; same weights as training)."""

    def __init__(self, model: Any, processor: Any, *, record_logprobs: bool = True) -> None:
        self.model = model
        self.processor = processor
        self.record = record_logprobs
        self.ends = end_ids(processor, model)
        vocab = model.get_output_embeddings().weight.shape[0]
        self.suppress = never_sample_mask(processor, vocab)

    def sync(self, model: Any) -> None:  # the policy itself samples
        self.model = model

    @torch.no_grad()
    def generate(self, batch: PromptBatch, *, max_new_tokens: int, temperature: float, greedy: bool = False) -> Rollout:
        prompt_len = batch.inputs["input_ids"].shape[1]
        recorder = None if greedy else _TemperatureAndRecord(prompt_len, temperature, self.record)
        sampling = {"do_sample": False} if greedy else {"do_sample": True, "temperature": 1.0, "top_k": 0, "top_p": 1.0}
        was_training = self.model.training
        self.model.eval()
        try:
            seq = self.model.generate(
                **batch.inputs,
                **sampling,
                max_new_tokens=max_new_tokens,
                eos_token_id=self.ends,
                pad_token_id=self.processor.tokenizer.pad_token_id,
                suppress_tokens=self.suppress.nonzero().flatten().tolist(),
                logits_processor=LogitsProcessorList([recorder]) if recorder else None,
                use_cache=True,
            )
        finally:
            self.model.train(was_training)
        tokens = seq[:, prompt_len:]
        mask, truncated = completion_mask(tokens, self.ends)
        logprobs = None
        if recorder is not None and self.record:
            recorder.settle(seq)
            logprobs = torch.zeros(tokens.shape, dtype=torch.float32, device=tokens.device)
            if recorder.out:
                got = torch.stack(recorder.out, 1)
                logprobs[:, : got.shape[1]] = got
            logprobs = logprobs * mask
        pad = self.processor.tokenizer.pad_token_id
        texts = self.processor.tokenizer.batch_decode(tokens * mask + (1 - mask) * pad, skip_special_tokens=True)
        return Rollout(tokens, mask, truncated, texts, logprobs)


class VLLMBackend:
    """Rollouts with vLLM (optional; ``pip install vllm`` against your torch). Not run in this repository.

    The engine loads the model folder once; :meth:`sync` pushes the policy's weights after every step
    through the engine's in-process model (vLLM's V0 engine layout; newer engines move it -- check
    against the vLLM version you install, this code has never met one).
    Completions are re-tokenised into this processor's ids so the loss sees the same tokens.
    """

    def __init__(self, model_path: str, processor: Any, *, gpu_memory_utilization: float = 0.4, seed: int = 0) -> None:
        try:
            from vllm import LLM
        except ImportError:
            raise TrainingError(
                "rollout = 'vllm' needs the vllm package, which is not installed.",
                hint="pip install vllm (it pins its own torch), or use the default rollout = 'hf'.",
            ) from None
        self.processor = processor
        self.llm = LLM(model=model_path, gpu_memory_utilization=gpu_memory_utilization, seed=seed,
                       limit_mm_per_prompt={"image": 1}, enable_sleep_mode=False)  # fmt: skip

    def sync(self, model: Any) -> None:
        weights = ((k, v) for k, v in model.state_dict().items())
        self.llm.llm_engine.model_executor.driver_worker.model_runner.model.load_weights(weights)

    def generate(self, batch: PromptBatch, *, max_new_tokens: int, temperature: float, greedy: bool = False) -> Rollout:
        from vllm import SamplingParams

        params = SamplingParams(n=1, temperature=0.0 if greedy else temperature, top_k=-1, top_p=1.0,
                                max_tokens=max_new_tokens, logprobs=0)  # fmt: skip
        reqs = [{"prompt": t, "multi_modal_data": {"image": im}} for t, im in zip(batch.texts, batch.images)]
        outs = self.llm.generate(reqs, params, use_tqdm=False)
        seqs = [list(o.outputs[0].token_ids) for o in outs]
        width = max(1, max(len(s) for s in seqs))
        pad = self.processor.tokenizer.pad_token_id
        tokens = torch.tensor([s + [pad] * (width - len(s)) for s in seqs])
        lps = [[next(iter(d.values())).logprob for d in (o.outputs[0].logprobs or [])] for o in outs]
        logprobs = torch.tensor([lp + [0.0] * (width - len(lp)) for lp in lps])
        ends = end_ids(self.processor, _NoGen())
        mask, truncated = completion_mask(tokens, ends)
        texts = [o.outputs[0].text for o in outs]
        return Rollout(tokens.to(batch.inputs["input_ids"].device), mask, truncated, texts, logprobs * mask)


class _NoGen:
    class generation_config:  # noqa: N801 - stands in for a model's attribute
        eos_token_id = None


def make_backend(
    name: str, model: Any, processor: Any, *, model_path: str | None = None, seed: int = 0
) -> RolloutBackend:
    """The rollout backend ``name`` (``hf`` or ``vllm``)."""
    if name == "hf":
        return HFGenerate(model, processor)
    if name == "vllm":
        if not model_path:
            raise TrainingError("rollout = 'vllm' needs a model folder (vLLM loads weights from disk).")
        return VLLMBackend(model_path, processor, seed=seed)
    raise TrainingError(f"Unknown rollout backend {name!r}; use 'hf' or 'vllm'.")
