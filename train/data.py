"""Training data: mapkit items (a JSONL file or an hf/trl export folder) with their map images.

Each :class:`Example` is one canonical item (the row :func:`mapkit.scoring.score` grades against), its map
as a PIL image bounded by ``max_pixels`` (transit maps are huge: the image is shrunk with PIL before the
processor ever sees it, so memory stays bounded whatever the source), and the chat prompt: one user turn,
the image first, then the item's ``question`` (which already carries the answer-format instruction) --
the same prompt as ``mapkit export --to trl``.

Example:
    >>> exs = load_examples("out/demo/items.jsonl", max_pixels=112 * 112)     # doctest: +SKIP
    >>> exs[0].messages[0]["content"][0]                                      # doctest: +SKIP
    {'type': 'image'}
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from mapkit.errors import TrainingError

__all__ = ["Example", "bound_image", "load_examples", "messages_of"]


@dataclass(frozen=True)
class Example:
    """One training/eval prompt: the canonical item, its map image and the chat messages."""

    item: dict[str, Any]
    image: Image.Image
    messages: list[dict[str, Any]]

    @property
    def id(self) -> str:
        return str(self.item.get("id", ""))

    @property
    def type(self) -> str:
        return str(self.item.get("type", ""))


def messages_of(item: dict[str, Any]) -> list[dict[str, Any]]:
    """One user turn: the map image, then the question (the trl export's prompt, for the chat template)."""
    return [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": item["question"]}]}]


def bound_image(image: Image.Image, *, min_pixels: int, max_pixels: int) -> Image.Image:
    """RGB copy of ``image`` with ``min_pixels <= w*h <= max_pixels`` (aspect kept; LANCZOS when shrinking).

    >>> bound_image(Image.new("RGB", (4000, 1000)), min_pixels=1, max_pixels=10_000).size
    (200, 50)
    """
    img = image.convert("RGB")
    w, h = img.size
    area = w * h
    if area > max_pixels:
        s = math.sqrt(max_pixels / area)
        img = img.resize((max(1, math.floor(w * s)), max(1, math.floor(h * s))), Image.Resampling.LANCZOS)
    elif area < min_pixels:
        s = math.sqrt(min_pixels / area)
        img = img.resize((math.ceil(w * s), math.ceil(h * s)), Image.Resampling.BICUBIC)
    return img


def _open_bounded(path: Path, min_pixels: int, max_pixels: int) -> Image.Image:
    try:
        with Image.open(path) as im:
            # draft() lets JPEG decoders downscale while decoding; PNG ignores it
            im.draft("RGB", (int(math.sqrt(max_pixels)) * 2,) * 2)
            return bound_image(im, min_pixels=min_pixels, max_pixels=max_pixels)
    except OSError as e:
        raise TrainingError(f"{path}: cannot read the map image ({e}).") from None


def _from_jsonl(path: Path, data_dir: Any, min_pixels: int, max_pixels: int) -> list[Example]:
    from mapkit.export.core import map_id_of, resolve_maps, scan_items
    from mapkit.io import read_jsonl

    items = list(read_jsonl(path))
    if not items:
        raise TrainingError(f"{path}: no items.", hint="Generate some with `mapkit generate`.")
    with tempfile.TemporaryDirectory(prefix="mapkit-train-") as work:
        # the export's rule: a map beside the items (generate --render), else the data dir's, else a render
        maps = resolve_maps(scan_items(path), data_dir=data_dir, workdir=Path(work))
        images = {mid: _open_bounded(m.path, min_pixels, max_pixels) for mid, m in maps.items()}
    return [Example(it, images[map_id_of(it)], messages_of(it)) for it in items]


def _from_export(folder: Path, split: str, min_pixels: int, max_pixels: int) -> list[Example]:
    try:
        from datasets import load_dataset
    except ImportError:
        raise TrainingError(
            f"{folder}: reading an export folder needs `datasets`.", hint='pip install -e ".[hub]"'
        ) from None
    from mapkit.export.hf import attach_images, item_from_row

    ds = load_dataset(str(folder), split=split)
    if "image" not in ds.column_names:
        ds = attach_images(ds, folder)
    cache: dict[tuple[int, int, bytes], Image.Image] = {}
    out = []
    for row in ds:
        item = json.loads(row["item"]) if "item" in row else item_from_row(row, ds.features)
        raw = row["image"]
        key = (*raw.size, raw.tobytes()[:4096])  # one map is shared by many rows: bound it once
        if key not in cache:
            cache[key] = bound_image(raw, min_pixels=min_pixels, max_pixels=max_pixels)
        out.append(Example(item, cache[key], messages_of(item)))
    return out


def load_examples(
    source: str | os.PathLike[str],
    *,
    min_pixels: int,
    max_pixels: int,
    types: Sequence[str] | None = None,
    split: str = "train",
    data_dir: str | os.PathLike[str] | None = None,
) -> list[Example]:
    """Examples from an items JSONL file or an hf/trl export folder, in file order.

    ``types`` keeps only those item types; ``split`` picks the export split (JSONL: items whose
    ``mapkit.split`` differs are kept too -- filter the file if you need to). Raises
    :class:`TrainingError` naming the source when it holds nothing usable.
    """
    src = Path(source)
    if src.is_dir():
        exs = _from_export(src, split, min_pixels, max_pixels)
    elif src.is_file():
        exs = _from_jsonl(src, data_dir, min_pixels, max_pixels)
    else:
        raise TrainingError(f"{src}: no such items file or export folder.")
    if types:
        wanted = set(types)
        exs = [e for e in exs if e.type in wanted]
        if not exs:
            raise TrainingError(f"{src}: no items of type {', '.join(sorted(wanted))}.")
    return exs


def corpus(examples: Iterable[Example]) -> list[str]:
    """Texts to train the tiny model's tokenizer on: every question, and every gold answer boxed.

    The boxed answers are repeated so that byte-level BPE gives them few tokens: a random tiny policy
    then writes a well-formed answer now and then, and GRPO has a reward to learn from.
    """
    qs, answers = [], []
    for e in examples:
        qs.append(e.item.get("question", ""))
        answers.append("\\boxed{" + str(e.item.get("answer_text", "")) + "}")
    return qs + answers * 8
