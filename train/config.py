"""The run's configuration: one dataclass, written verbatim to ``RUN/config.json`` and printed at start.

Every knob of ``mapkit train`` is a field here; a JSON/YAML file (``--config``) and the command-line
flags set them. Defaults are sized for the tiny model on a CPU; the README's recipe says what to set
for a real 3B/7B model.

Example:
    >>> cfg = TrainConfig(items="items.jsonl", steps=3)
    >>> TrainConfig.from_dict(cfg.to_dict()) == cfg
    True
    >>> [s.name for s in cfg.curriculum]
    ['true-false', 'counting-2-3', 'counting-1', 'lookup', 'planning']
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from mapkit.errors import ConfigError

__all__ = ["REWARDMAP_CURRICULUM", "Stage", "TrainConfig"]


@dataclass(frozen=True)
class Stage:
    """One curriculum stage: the item types it draws, shuffled; optionally a reward gate to leave it.

    ``min_reward`` (in [0, 1], the mean of reward / max reward over the last ``gate_window`` steps of the
    stage): the stage is repeated (reshuffled) until the policy reaches it; ``None`` = one pass.
    ``max_passes`` bounds the repeats.
    """

    name: str
    types: tuple[str, ...]
    min_reward: float | None = None
    max_passes: int = 10


REWARDMAP_CURRICULUM = (
    # RewardMap's order (true/false -> counting 2/3 -> counting 1 -> planning); mapkit's own families are
    # slotted in by the kind of answer: a colour is a one-word read-off like a yes/no, a line's station
    # count is a count, names read off the map come after the multiple-choice counting and before routes
    Stage("true-false", ("TorF1", "TorF2", "line_colour")),
    Stage("counting-2-3", ("Counting2", "Counting3", "line_stations_count")),
    Stage("counting-1", ("Counting1",)),
    Stage("lookup", ("lines_at", "connecting_line", "next_station", "terminals", "station_at_point", "localise")),
    Stage("planning", ("planning",)),
)


@dataclass(frozen=True)
class TrainConfig:
    """Everything a run depends on (with the items file and the seed, the run is reproducible on CPU)."""

    items: str
    """Items JSONL (``mapkit generate``) or an hf/trl export folder."""
    model: str = "tiny"
    """``tiny`` (built offline from a config, see :mod:`mapkit.train.tiny`) or a local HF model folder."""
    out: str = "runs/grpo"
    data_dir: str | None = None
    split: str = "train"
    types: tuple[str, ...] | None = None
    """Keep only these item types (None: all)."""
    min_pixels: int = 56 * 56
    max_pixels: int = 112 * 112
    """Image bounds (pixels); Qwen2.5-VL turns each 28 x 28 patch into one token."""

    curriculum: tuple[Stage, ...] = REWARDMAP_CURRICULUM
    gate_window: int = 8

    steps: int = 100
    prompts_per_step: int = 4
    group_size: int = 8
    max_new_tokens: int = 64
    temperature: float = 1.0
    rollout: str = "hf"
    """``hf`` (``model.generate``) or ``vllm`` (optional, imported only when chosen)."""

    lr: float = 1e-3
    weight_decay: float = 0.0
    adam_betas: tuple[float, float] = (0.9, 0.99)
    max_grad_norm: float = 1.0
    clip_low: float = 0.2
    clip_high: float = 0.2
    kl_coef: float = 0.0
    """beta of the k3 KL to the initial model (RewardMap: 1e-3 to 1e-2); 0 = no reference model."""
    advantage: str = "group"
    """``group``: (r - mean) / (std + eps); ``mean``: r - mean (Dr. GRPO)."""
    loss_agg: str = "token-mean"
    updates_per_batch: int = 1
    """Optimiser steps on each batch of rollouts (> 1 recomputes the old log-probs before the first)."""
    micro_batch: int = 16
    """Sequences per forward/backward (gradients accumulate over the batch)."""
    require_optimal: bool = False

    device: str = "auto"
    bf16: bool | None = None
    """Autocast to bfloat16 (default: on for CUDA, off for CPU)."""
    param_dtype: str = "float32"
    """``float32`` or ``bfloat16`` weights (bf16 halves weight/optimiser memory at some precision cost)."""
    gradient_checkpointing: bool | None = None
    """Default: on for CUDA, off for CPU."""

    cpu_threads: int = 0
    """torch CPU threads (0: torch's default). 1 is fastest on a small shared CPU: threads spin-wait."""

    seed: int = 0
    save_every: int = 50
    display: bool = True

    def __post_init__(self) -> None:
        from mapkit.train.grpo import AGGREGATIONS

        checks = [
            (self.steps >= 1, "steps must be >= 1"),
            (self.prompts_per_step >= 1, "prompts_per_step must be >= 1"),
            (self.group_size >= 2, "group_size must be >= 2 (advantages compare samples of one prompt)"),
            (self.max_new_tokens >= 1, "max_new_tokens must be >= 1"),
            (self.temperature > 0, "temperature must be > 0 (sampling; eval decodes greedily)"),
            (self.lr > 0, "lr must be > 0"),
            (0 <= self.clip_low < 1 and self.clip_high >= 0, "clip_low must be in [0, 1) and clip_high >= 0"),
            (self.kl_coef >= 0, "kl_coef must be >= 0"),
            (self.advantage in ("group", "mean"), "advantage must be 'group' or 'mean'"),
            (self.loss_agg in AGGREGATIONS, f"loss_agg must be one of {', '.join(AGGREGATIONS)}"),
            (self.updates_per_batch >= 1, "updates_per_batch must be >= 1"),
            (self.micro_batch >= 1, "micro_batch must be >= 1"),
            (self.rollout in ("hf", "vllm"), "rollout must be 'hf' or 'vllm'"),
            (self.param_dtype in ("float32", "bfloat16"), "param_dtype must be 'float32' or 'bfloat16'"),
            (0 < self.min_pixels <= self.max_pixels, "need 0 < min_pixels <= max_pixels"),
            (self.curriculum != (), "the curriculum needs at least one stage"),
            (self.save_every >= 0, "save_every must be >= 0"),
            (self.cpu_threads >= 0, "cpu_threads must be >= 0"),
        ]
        for ok, why in checks:
            if not ok:
                raise ConfigError(f"Invalid training config: {why}.")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, every field (what ``RUN/config.json`` holds)."""
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> TrainConfig:
        """From a dict (a ``--config`` file or ``RUN/config.json``); unknown keys are an error naming them."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(raw) - names)
        if unknown:
            raise ConfigError(
                f"Unknown training config key(s): {', '.join(unknown)}.", hint=f"Known: {', '.join(sorted(names))}."
            )
        kw = {k: _coerce(k, v) for k, v in raw.items()}
        if "curriculum" in kw:
            kw["curriculum"] = tuple(_stage(s) for s in kw["curriculum"])
        if kw.get("types") is not None:
            kw["types"] = tuple(kw["types"])
        if "adam_betas" in kw:
            kw["adam_betas"] = tuple(kw["adam_betas"])
        if "items" not in kw:
            raise ConfigError("The training config needs 'items' (an items JSONL file or an export folder).")
        return cls(**kw)

    def replace(self, **changes: Any) -> TrainConfig:
        return dataclasses.replace(self, **changes)


def _coerce(key: str, value: Any) -> Any:
    """A number given as text (``--set lr=2e-3``: YAML reads ``2e-3`` as a string) to the field's type."""
    default = next(f.default for f in dataclasses.fields(TrainConfig) if f.name == key)
    kind = type(default)
    if not isinstance(value, str) or kind not in (int, float) or isinstance(default, bool):
        return value
    try:
        return kind(value)
    except ValueError:
        raise ConfigError(f"Training config {key!r}: {value!r} is not a number.") from None


def _stage(raw: Any) -> Stage:
    if isinstance(raw, Stage):
        return raw
    if not isinstance(raw, dict) or "name" not in raw or "types" not in raw:
        raise ConfigError(f"A curriculum stage must be {{name, types, [min_reward], [max_passes]}}, got {raw!r}.")
    return Stage(str(raw["name"]), tuple(raw["types"]), raw.get("min_reward"), int(raw.get("max_passes", 10)))
