"""A tiny Qwen2.5-VL built offline: model, tokenizer and processor from code, no download.

``--model tiny`` (tests, demos, the bench): the real ``Qwen2_5_VLForConditionalGeneration`` architecture
(vision tower with windowed attention and patch merger, M-RoPE text model) at a few hundred thousand
parameters, random weights from a fixed seed, and

* a byte-level BPE tokenizer trained here with the ``tokenizers`` library on the given texts (the
  items' questions and boxed answers), with Qwen's special tokens and a hand-written ChatML template;
* the PIL image processor (``Qwen2VLImageProcessorPil``: no torchvision) and a video-processor
  stand-in. transformers 5 insists on a video processor and the real one needs torchvision, whose
  PyPI wheel does not import next to the CPU torch; images are all mapkit uses.

The processor does not reload through ``AutoProcessor`` (the stand-in is not a registered class):
:func:`load_model` rebuilds it in code for a folder written by :func:`save_tiny`.

Example (about a second on CPU):
    >>> model, processor = build_tiny(["Is A on Line 1? \\\\boxed{yes}"], seed=0)   # doctest: +SKIP
    >>> sum(p.numel() for p in model.parameters()) < 1_000_000                    # doctest: +SKIP
    True
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast, Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration
from transformers.models.qwen2_5_vl.processing_qwen2_5_vl import Qwen2_5_VLProcessor
from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

__all__ = ["CHAT_TEMPLATE", "SPECIAL_TOKENS", "TinyProcessor", "build_tiny", "load_model", "save_tiny"]

SPECIAL_TOKENS = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|image_pad|>",
    "<|video_pad|>",
)
"""Qwen's special tokens, in Qwen's order (ids 0-6 here)."""

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for part in message['content'] %}"
    "{% if part['type'] == 'image' %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}"
    "{% endfor %}{% endif %}<|im_end|>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
"""ChatML as Qwen2.5-VL writes it (image block first in a user turn), without the default system turn."""

TINY_MARKER = "mapkit-tiny.json"
"""The file :func:`save_tiny` writes beside the weights: how to rebuild the processor."""

# small enough to train in seconds on 2 CPU cores, shaped like the real thing: head_dim 16 with
# M-RoPE sections (2, 3, 3) = head_dim / 2, a 2-block vision tower with one full-attention block
VISION = {"depth": 2, "hidden_size": 32, "intermediate_size": 64, "num_heads": 2, "patch_size": 14,
          "spatial_merge_size": 2, "temporal_patch_size": 2, "window_size": 56,
          "fullatt_block_indexes": [1]}  # fmt: skip
TEXT = {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
        "num_key_value_heads": 2, "max_position_embeddings": 4096, "rms_norm_eps": 1e-6,
        "rope_parameters": {"rope_type": "default", "rope_theta": 10000.0, "mrope_section": [2, 3, 3]}}  # fmt: skip


class VideoStandIn:
    """Stands where transformers 5 wants a video processor; mapkit sends no video, so any use is an error."""

    merge_size = 2
    temporal_patch_size = 2
    model_input_names: list[str] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("the tiny model's processor takes images only (no torchvision here)")

    def to_dict(self) -> dict[str, Any]:
        return {}

    def to_json_string(self) -> str:
        return "{}"


class TinyProcessor(Qwen2_5_VLProcessor):
    """``Qwen2_5_VLProcessor`` that accepts :class:`VideoStandIn` as its video processor."""

    def check_argument_for_proper_class(self, argument_name: str, argument: Any) -> Any:
        if argument_name == "video_processor" and isinstance(argument, VideoStandIn):
            return VideoStandIn
        return super().check_argument_for_proper_class(argument_name, argument)


def train_tokenizer(texts: Iterable[str], vocab_size: int = 384) -> PreTrainedTokenizerFast:
    """A byte-level BPE over ``texts`` (every byte stays encodable) with Qwen's special tokens."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(list(texts), trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=list(SPECIAL_TOKENS[1:]),
    )
    fast.chat_template = CHAT_TEMPLATE
    fast.padding_side = "left"
    return fast


def make_processor(tokenizer: PreTrainedTokenizerFast, *, min_pixels: int, max_pixels: int) -> TinyProcessor:
    """Qwen2.5-VL's processor over ``tokenizer`` with the PIL image processor and ``min/max_pixels`` bounds."""
    images = Qwen2VLImageProcessorPil(
        min_pixels=min_pixels,
        max_pixels=max_pixels,
        size={"shortest_edge": min_pixels, "longest_edge": max_pixels},
    )
    proc = TinyProcessor(image_processor=images, tokenizer=tokenizer, video_processor=VideoStandIn())
    proc.chat_template = CHAT_TEMPLATE
    return proc


def tiny_config(tokenizer: PreTrainedTokenizerFast) -> Qwen2_5_VLConfig:
    """The Qwen2.5-VL config of the tiny model for ``tokenizer``'s vocabulary."""
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in SPECIAL_TOKENS}
    text = dict(TEXT, vocab_size=len(tokenizer), bos_token_id=ids["<|endoftext|>"],
                eos_token_id=ids["<|im_end|>"], pad_token_id=ids["<|endoftext|>"])  # fmt: skip
    return Qwen2_5_VLConfig(
        text_config=text,
        vision_config=dict(VISION, out_hidden_size=TEXT["hidden_size"]),
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
        tie_word_embeddings=False,
    )


def build_tiny(
    texts: Iterable[str],
    *,
    seed: int = 0,
    vocab_size: int = 384,
    min_pixels: int = 56 * 56,
    max_pixels: int = 112 * 112,
) -> tuple[Qwen2_5_VLForConditionalGeneration, TinyProcessor]:
    """The tiny model (random weights from ``seed``) and its processor, tokenizer trained on ``texts``."""
    tokenizer = train_tokenizer(texts, vocab_size=vocab_size)
    processor = make_processor(tokenizer, min_pixels=min_pixels, max_pixels=max_pixels)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = Qwen2_5_VLForConditionalGeneration(tiny_config(tokenizer))
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    return model.float().eval(), processor


def save_tiny(model: Any, processor: TinyProcessor, folder: str | os.PathLike[str]) -> Path:
    """Write weights, config and tokenizer to ``folder`` (plus the marker :func:`load_model` reads)."""
    from transformers.utils import logging as hf_logging

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    hf_logging.disable_progress_bar()  # no tqdm bar per checkpoint in the middle of the live view
    model.save_pretrained(out)
    processor.tokenizer.save_pretrained(out)
    size = processor.image_processor.size
    marker = {"format": "mapkit.train.tiny/1", "min_pixels": size["shortest_edge"], "max_pixels": size["longest_edge"]}
    (out / TINY_MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
    return out


def load_model(path: str | os.PathLike[str], *, dtype: Any = None, min_pixels: int, max_pixels: int) -> tuple[Any, Any]:
    """A local Hugging Face model folder (or one written by :func:`save_tiny`) and its processor.

    Raises :class:`mapkit.errors.TrainingError` naming the folder when it holds no loadable model.
    """
    from transformers import AutoModelForImageTextToText, AutoProcessor
    from transformers.utils import logging as hf_logging

    from mapkit.errors import TrainingError

    hf_logging.disable_progress_bar()

    folder = Path(path)
    if not (folder / "config.json").is_file():
        raise TrainingError(
            f"{folder}: no config.json, so this is not a Hugging Face model folder.",
            hint="Pass --model tiny, or a local folder with config.json and weights (no download happens here).",
        )
    kwargs = {"dtype": dtype} if dtype is not None else {}
    try:
        if (folder / TINY_MARKER).is_file():
            tok = PreTrainedTokenizerFast.from_pretrained(folder)
            tok.chat_template = CHAT_TEMPLATE
            tok.padding_side = "left"
            processor = make_processor(tok, min_pixels=min_pixels, max_pixels=max_pixels)
            model = Qwen2_5_VLForConditionalGeneration.from_pretrained(folder, **kwargs)
        else:
            processor = AutoProcessor.from_pretrained(folder, min_pixels=min_pixels, max_pixels=max_pixels)
            processor.tokenizer.padding_side = "left"
            model = AutoModelForImageTextToText.from_pretrained(folder, **kwargs)
    except (OSError, ValueError) as e:
        raise TrainingError(f"{folder}: cannot load the model ({e}).") from None
    return model, processor
