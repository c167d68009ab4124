"""GRPO training and evaluation on mapkit items (``pip install -e ".[train]"``; imports torch).

* :func:`train` with a :class:`TrainConfig` -- the loop (:mod:`mapkit.train.loop`), readable top to bottom;
* :func:`evaluate` -- greedy decoding + the same scorer as ``mapkit score`` (:mod:`mapkit.train.evaluate`);
* :func:`plot_run` -- reward/KL curves of a run as PNG;
* :func:`build_tiny` -- a tiny Qwen2.5-VL built offline (``--model tiny``);
* :mod:`mapkit.train.trl_adapter` -- the same data and reward through TRL's ``GRPOTrainer``.

Names are imported on first use, so ``import mapkit.train`` itself stays cheap.

Example:
    >>> from mapkit.train import TrainConfig
    >>> TrainConfig(items="items.jsonl").group_size
    8
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "TrainConfig": "mapkit.train.config",
    "Stage": "mapkit.train.config",
    "REWARDMAP_CURRICULUM": "mapkit.train.config",
    "train": "mapkit.train.loop",
    "RunResult": "mapkit.train.loop",
    "evaluate": "mapkit.train.evaluate",
    "plot_run": "mapkit.train.plot",
    "build_tiny": "mapkit.train.tiny",
    "load_model": "mapkit.train.tiny",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'mapkit.train' has no attribute {name!r}")
