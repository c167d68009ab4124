"""The same data, curriculum order and reward through TRL's ``GRPOTrainer`` (optional; TRL imported lazily).

For what this repository's loop leaves out (multi-GPU with accelerate/DeepSpeed, vLLM server mode, PEFT):
:func:`make_trl_trainer` maps a :class:`TrainConfig` onto ``GRPOConfig`` field by field, builds a
``datasets.Dataset`` in curriculum order (``shuffle_dataset=False``, so the stages stay in order), and
uses :func:`mapkit.scoring.trl_reward` -- the same scorer as ``mapkit score`` -- as the reward.

Config mapping: ``group_size`` -> ``num_generations``; ``prompts_per_step x group_size`` ->
``per_device_train_batch_size``; ``kl_coef`` -> ``beta``; ``clip_low/high`` -> ``epsilon/epsilon_high``;
``loss_agg`` token-mean / seq-mean-token-mean / seq-mean-token-sum-norm -> ``loss_type`` dapo / grpo /
dr_grpo; ``advantage`` group / mean -> ``scale_rewards`` group / none; ``updates_per_batch`` ->
``num_iterations``; constant learning rate, no warm-up. Curriculum gates are not applied (TRL reads the
dataset in order; a gate needs the loop's rewards).

Example:
    >>> trainer = make_trl_trainer(cfg, examples=exs)   # doctest: +SKIP
    >>> trainer.train()                                 # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mapkit.train.config import TrainConfig
from mapkit.train.curriculum import Curriculum
from mapkit.train.data import Example

from mapkit.errors import TrainingError
from mapkit.io import dumps_canonical

__all__ = ["LOSS_TYPES", "make_trl_trainer", "trl_dataset"]

LOSS_TYPES = {"token-mean": "dapo", "seq-mean-token-mean": "grpo", "seq-mean-token-sum-norm": "dr_grpo"}


def _require_trl() -> Any:
    try:
        import trl
    except ImportError:
        raise TrainingError("The TRL adapter needs the trl package.", hint='pip install -e ".[train]"') from None
    return trl


def trl_dataset(examples: Sequence[Example], cfg: TrainConfig) -> Any:
    """``steps x prompts_per_step`` rows in curriculum order: ``prompt``, ``image``, ``item`` (canonical JSON)."""
    from datasets import Dataset, Features, Image, Value

    cur = Curriculum([e.item for e in examples], cfg.curriculum, seed=cfg.seed, gate_window=cfg.gate_window)
    picks = cur.take(cfg.steps * cfg.prompts_per_step)
    rows = {"prompt": [], "image": [], "item": []}
    for i, _ in picks:
        e = examples[i]
        rows["prompt"].append(e.messages)
        rows["image"].append(e.image)
        rows["item"].append(dumps_canonical(e.item))
    part = {"type": Value("string"), "text": Value("string")}
    features = Features({"prompt": [{"role": Value("string"), "content": [part]}], "image": Image(),
                         "item": Value("string")})  # fmt: skip
    for msgs in rows["prompt"]:
        for m in msgs:
            m["content"] = [{"type": p["type"], "text": p.get("text")} for p in m["content"]]
    return Dataset.from_dict(rows, features=features)


def make_trl_trainer(
    cfg: TrainConfig,
    *,
    examples: Sequence[Example],
    model: Any,
    processor: Any,
    **overrides: Any,
) -> Any:
    """A ``trl.GRPOTrainer`` for ``cfg`` on ``examples``; ``overrides`` are passed on to ``GRPOConfig``."""
    trl = _require_trl()
    from mapkit.scoring import make_trl_reward

    on_cpu = cfg.device == "cpu" or (cfg.device == "auto" and not _cuda())
    args = dict(
        output_dir=str(Path(cfg.out) / "trl"),
        per_device_train_batch_size=cfg.prompts_per_step * cfg.group_size,
        num_generations=cfg.group_size,
        max_completion_length=cfg.max_new_tokens,
        temperature=cfg.temperature,
        top_p=1.0,
        learning_rate=cfg.lr,
        lr_scheduler_type="constant",
        warmup_steps=0,
        weight_decay=cfg.weight_decay,
        adam_beta1=cfg.adam_betas[0],
        adam_beta2=cfg.adam_betas[1],
        max_grad_norm=cfg.max_grad_norm,
        beta=cfg.kl_coef,
        epsilon=cfg.clip_low,
        epsilon_high=cfg.clip_high,
        loss_type=LOSS_TYPES[cfg.loss_agg],
        scale_rewards="group" if cfg.advantage == "group" else "none",
        num_iterations=cfg.updates_per_batch,
        max_steps=cfg.steps,
        shuffle_dataset=False,
        seed=cfg.seed,
        bf16=False if on_cpu else (cfg.bf16 if cfg.bf16 is not None else True),
        gradient_checkpointing=False if on_cpu else (cfg.gradient_checkpointing is not False),
        use_vllm=cfg.rollout == "vllm",
        vllm_mode="colocate",  # vLLM inside the training processes: no separate server to start
        use_cpu=on_cpu,
        logging_steps=1,
        save_strategy="no",
        report_to=[],
        disable_tqdm=True,
    )
    args.update(overrides)
    if cfg.kl_coef > 0 and not Path(getattr(model.config, "_name_or_path", "") or "-").is_dir():
        # TRL builds its reference model from the policy's folder; an in-memory model (tiny) gets one
        from mapkit.train.checkpoint import save_model

        model.config._name_or_path = str(save_model(model, processor, Path(cfg.out) / "trl" / "reference"))
    reward = make_trl_reward(require_optimal=cfg.require_optimal, data_dir=cfg.data_dir)
    reward.__name__ = "mapkit_reward"
    return trl.GRPOTrainer(
        model=model,
        reward_funcs=[reward],
        args=trl.GRPOConfig(**args),
        train_dataset=trl_dataset(examples, cfg),
        processing_class=processor,
    )


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()
