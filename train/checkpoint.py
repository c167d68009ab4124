"""Checkpoints that resume a run exactly: model, optimiser, RNG and curriculum position.

Layout of ``RUN/checkpoints/step-NNNNNN/``: ``model/`` (a model folder :func:`mapkit.train.tiny.load_model`
reads, so ``mapkit eval --model`` takes it), ``optimizer.pt``, ``rng.pt`` (torch CPU and CUDA generator
states) and ``state.json`` (step, curriculum position). A checkpoint is written into a temporary folder
and renamed into place, then ``RUN/checkpoints/latest`` is rewritten to name it: a run killed while
saving resumes from the previous one.

Example:
    >>> latest_step("runs/never-ran")   # doctest: +SKIP
    0
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import torch

from mapkit.errors import TrainingError
from mapkit.io import write_text_atomic

__all__ = ["latest", "load_checkpoint", "save_checkpoint", "save_model"]


def save_model(model: Any, processor: Any, folder: str | os.PathLike[str]) -> Path:
    """Weights + processor files in one folder (the tiny model's own format, else ``save_pretrained``)."""
    from mapkit.train.tiny import TinyProcessor, save_tiny

    if isinstance(processor, TinyProcessor):
        return save_tiny(model, processor, folder)
    out = Path(folder)
    model.save_pretrained(out)
    processor.save_pretrained(out)
    return out


def save_checkpoint(run: Path, step: int, model: Any, processor: Any, optimizer: Any, curriculum_state: dict) -> Path:
    """Write checkpoint ``step`` of ``run`` atomically and point ``latest`` at it."""
    root = run / "checkpoints"
    final = root / f"step-{step:06d}"
    tmp = root / f".step-{step:06d}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    save_model(model, processor, tmp / "model")
    torch.save(optimizer.state_dict(), tmp / "optimizer.pt")
    rng = {"cpu": torch.get_rng_state()}
    if torch.cuda.is_available():
        rng["cuda"] = torch.cuda.get_rng_state_all()
    torch.save(rng, tmp / "rng.pt")
    (tmp / "state.json").write_text(json.dumps({"step": step, "curriculum": curriculum_state}, indent=2) + "\n")
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)
    write_text_atomic(root / "latest", final.name + "\n")
    return final


def latest(run: str | os.PathLike[str]) -> Path | None:
    """The newest complete checkpoint folder of ``run``, or None."""
    marker = Path(run) / "checkpoints" / "latest"
    if not marker.is_file():
        return None
    folder = marker.parent / marker.read_text().strip()
    return folder if (folder / "state.json").is_file() else None


def load_checkpoint(folder: Path, optimizer: Any) -> dict[str, Any]:
    """Restore the optimiser and the RNG from ``folder``; returns ``state.json``.

    The weights are not touched here: the loop loads the policy from ``folder / "model"`` with
    :func:`mapkit.train.tiny.load_model` *before* building the optimiser, as for a fresh run.
    """
    try:
        state = json.loads((folder / "state.json").read_text())
        optimizer.load_state_dict(torch.load(folder / "optimizer.pt", weights_only=True))
        rng = torch.load(folder / "rng.pt", weights_only=False)
    except (OSError, ValueError, KeyError) as e:
        raise TrainingError(f"{folder}: cannot resume from this checkpoint ({e}).") from None
    torch.set_rng_state(rng["cpu"])
    if "cuda" in rng and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(rng["cuda"])
    return state
