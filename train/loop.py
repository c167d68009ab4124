"""GRPO on mapkit items, in one readable function: :func:`train`.

Each step: take ``prompts_per_step`` items from the curriculum, sample ``group_size`` completions per
prompt, score every completion with :func:`mapkit.scoring.score` (the same path as ``mapkit score``,
RewardMap's difficulty weight included), turn rewards into group-normalised advantages, and take one
AdamW step on the clipped policy loss (+ k3 KL to the initial model when ``kl_coef > 0``).

Simplifications, on purpose (what a bigger trainer adds and this one does not):

1. One process, one device. No FSDP/DeepSpeed/tensor parallelism: for 8 GPUs use the TRL adapter
   (:mod:`mapkit.train.trl_adapter`) or ``mapkit export --to verl`` (README, "Training").
2. Strictly on-policy: the policy samples (HF ``generate``), then updates; no asynchronous rollouts.
   With ``updates_per_batch > 1`` the old log-probs are recomputed once before the first update.
3. One image per prompt (a mapkit item asks about one map).
4. The reference model is a frozen copy of the initial weights, held only when ``kl_coef > 0``.
5. Constant learning rate (RewardMap's), no warm-up; no entropy bonus; no sequence packing.
6. The reward is a pure function of (completion, item): no reward model, no reward server.

Example (about a minute on a 2-core CPU):
    >>> from mapkit.train import TrainConfig, train
    >>> train(TrainConfig(items="out/demo/items.jsonl", steps=40, out="runs/demo"))  # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from mapkit.train.checkpoint import latest, load_checkpoint, save_checkpoint, save_model
from mapkit.train.config import TrainConfig
from mapkit.train.curriculum import Curriculum
from mapkit.train.data import Example, corpus, load_examples
from mapkit.train.forward import completion_logprobs
from mapkit.train.grpo import Norm, group_advantages, masked_sum, policy_loss
from mapkit.train.metrics import LiveView, MetricsLog
from mapkit.train.rollout import encode_prompts, make_backend

from mapkit.errors import TrainingError
from mapkit.scoring import max_reward, score

__all__ = ["RunResult", "train"]


@dataclass
class RunResult:
    """What :func:`train` leaves behind: the run folder, the last step's metrics, the final weights' folder."""

    run: Path
    rows: list[dict[str, Any]]
    final: Path | None


def train(
    cfg: TrainConfig,
    *,
    resume: bool = False,
    examples: Sequence[Example] | None = None,
    console: Any = None,
) -> RunResult:
    """Run (or, with ``resume``, continue) the GRPO run ``cfg`` describes; see the module docstring."""
    device = _device(cfg.device)
    bf16 = cfg.bf16 if cfg.bf16 is not None else device.type == "cuda"
    if cfg.cpu_threads:
        torch.set_num_threads(cfg.cpu_threads)
    torch.manual_seed(cfg.seed)

    # --- data and models ------------------------------------------------------------------------
    if examples is None:
        examples = load_examples(cfg.items, min_pixels=cfg.min_pixels, max_pixels=cfg.max_pixels, split=cfg.split,
                                 data_dir=cfg.data_dir, types=cfg.types)  # fmt: skip
    exs = list(examples)
    run = Path(cfg.out)
    ckpt = latest(run) if resume else None
    if resume and ckpt is None:
        raise TrainingError(f"{run}: nothing to resume (no checkpoint yet).", hint="Start it without --resume.")
    # the folder is made only now: a typo in --items or a bad resume leaves no empty run behind
    run.mkdir(parents=True, exist_ok=True)
    _write_config(run, cfg, resume)
    init_path = _initial_model(cfg, run, exs)
    model, processor = _load(ckpt / "model" if ckpt else init_path, cfg, device)
    ref = None
    if cfg.kl_coef > 0:  # the KL anchor is always the *initial* weights, also after a resume
        ref, _ = _load(init_path, cfg, device)
        ref.requires_grad_(False).eval()
    if cfg.gradient_checkpointing if cfg.gradient_checkpointing is not None else device.type == "cuda":
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, betas=cfg.adam_betas, weight_decay=cfg.weight_decay)
    cur = Curriculum([e.item for e in exs], cfg.curriculum, seed=cfg.seed, gate_window=cfg.gate_window)
    start = 0
    if ckpt is not None:
        state = load_checkpoint(ckpt, opt)
        start = int(state["step"])
        cur.load_state(state["curriculum"])
    backend = make_backend(cfg.rollout, model, processor, model_path=str(ckpt / "model" if ckpt else init_path),
                           seed=cfg.seed)  # fmt: skip
    suppress = getattr(backend, "suppress", None)
    log = MetricsLog(run / "metrics.jsonl")
    log.truncate(after_step=start)
    rows: list[dict[str, Any]] = []
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16)

    with LiveView(cfg.steps, start, enabled=cfg.display, console=console) as view:
        for step in range(start + 1, cfg.steps + 1):
            t0 = time.perf_counter()
            # 1. a batch of prompts, each repeated group_size times
            picks = cur.take(cfg.prompts_per_step)
            batch_exs = [exs[i] for i, _ in picks]
            batch = encode_prompts(processor, [e.messages for e in batch_exs], [e.image for e in batch_exs],
                                   n=cfg.group_size).to(device)  # fmt: skip

            # 2. rollouts
            with autocast:
                ro = backend.generate(batch, max_new_tokens=cfg.max_new_tokens, temperature=cfg.temperature)
            t_gen = time.perf_counter() - t0

            # 3. rewards: mapkit's scorer, one breakdown per completion
            items = [e.item for e in batch_exs for _ in range(cfg.group_size)]
            scored = [score(it, text, data_dir=cfg.data_dir, require_optimal=cfg.require_optimal)
                      for it, text in zip(items, ro.texts)]  # fmt: skip
            rewards = torch.tensor([b.reward for b in scored], dtype=torch.float32)
            adv, zero_spread = group_advantages(rewards, cfg.group_size, scale=cfg.advantage == "group")
            adv = adv.to(device)

            # 4. the update: old/reference log-probs without grad, then micro-batched loss + backward
            t1 = time.perf_counter()
            model.train()
            norm = Norm.of(ro.mask, cfg.max_new_tokens)
            micro = [range(i, min(i + cfg.micro_batch, batch.rows)) for i in range(0, batch.rows, cfg.micro_batch)]

            def logprobs(m: Any, rows: range, batch: Any = batch, ro: Any = ro) -> tuple[torch.Tensor, torch.Tensor]:
                with autocast:
                    return completion_logprobs(m, batch, ro.tokens, ro.mask, rows, temperature=cfg.temperature,
                                               suppress=suppress)  # fmt: skip

            with torch.no_grad():
                old = torch.cat([logprobs(model, r)[0] for r in micro]) if cfg.updates_per_batch > 1 else None
                ref_lp = torch.cat([logprobs(ref, r)[0] for r in micro]) if ref is not None else None
            stats: dict[str, float] = {"loss": 0.0, "pg_loss": 0.0, "clip_frac": 0.0, "kl": 0.0, "entropy": 0.0}
            gap = 0.0
            for update in range(cfg.updates_per_batch):
                opt.zero_grad(set_to_none=True)
                last = update == cfg.updates_per_batch - 1
                for r in micro:
                    lp, ent = logprobs(model, r)
                    mask = ro.mask[r.start : r.stop]
                    if update == 0 and ro.logprobs is not None:  # the sampler and the trainer must agree
                        gap = max(gap, float(((lp.detach() - ro.logprobs[r.start : r.stop]).abs() * mask).max()))
                    loss, st = policy_loss(
                        lp, old[r.start : r.stop] if old is not None else lp.detach(), adv[r.start : r.stop], mask,
                        norm, clip_low=cfg.clip_low, clip_high=cfg.clip_high, kl_coef=cfg.kl_coef,
                        ref_logp=ref_lp[r.start : r.stop] if ref_lp is not None else None, agg=cfg.loss_agg,
                    )  # fmt: skip
                    loss.backward()
                    if last:  # report the statistics of the final update
                        stats["loss"] += float(loss.detach())
                        for k in ("pg_loss", "clip_frac", "kl"):
                            stats[k] += st.get(k, 0.0)
                        stats["entropy"] += float(masked_sum(ent.detach(), mask, "token-mean", norm))
                grad_norm = float(torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.max_grad_norm))
                opt.step()
            backend.sync(model)
            t_upd = time.perf_counter() - t1

            # 5. log, gate the curriculum, save
            lengths = ro.mask.sum(1).float()
            top = torch.tensor([max_reward(b.weight) for b in scored])
            row = {
                "step": step,
                "stage": picks[-1][1],
                "reward": float(rewards.mean()),
                "reward_std": float(rewards.std()) if rewards.numel() > 1 else 0.0,
                "reward_norm": float((rewards / top).mean()),
                # each unweighted term of the scorer's reward (format, correct, detail, ...), averaged
                **{k: sum(b.components[k] for b in scored) / len(scored) for k in scored[0].components},
                "zero_spread": zero_spread / cfg.prompts_per_step,
                **stats,
                "grad_norm": grad_norm,
                "logprob_gap": gap,
                "len_mean": float(lengths.mean()),
                "len_max": int(lengths.max()),
                "truncated": float(ro.truncated.float().mean()),
                "gen_s": round(t_gen, 4),
                "update_s": round(t_upd, 4),
                "step_s": round(time.perf_counter() - t0, 4),
            }
            cur.record(row["reward_norm"])
            log.write(row)
            rows.append(row)
            view.update(row)
            if (cfg.save_every and step % cfg.save_every == 0) or step == cfg.steps:
                save_checkpoint(run, step, model, processor, opt, cur.state())

    final = latest(run)
    return RunResult(run, rows, final / "model" if final else None)


# --- helpers the loop reads through ------------------------------------------------------------------


def _device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise TrainingError(f"device {name!r} asked for, but torch sees no CUDA device.", hint="Use --device cpu.")
    return torch.device(name)


def _write_config(run: Path, cfg: TrainConfig, resume: bool) -> None:
    """``RUN/config.json`` is the run's identity: a resume must be the same run (steps may grow)."""
    from mapkit.io import write_text_atomic

    path = run / "config.json"
    if resume and path.is_file():
        import json

        before = json.loads(path.read_text())
        now = cfg.to_dict()
        differ = sorted(
            k for k in now if k not in ("steps", "display") and json.dumps(before.get(k)) != json.dumps(now[k])
        )
        if differ:
            raise TrainingError(
                f"{path}: --resume with a different config ({', '.join(differ)}).",
                hint="Resume with the run's own config (mapkit train --resume RUN); only --steps may change.",
            )
    write_text_atomic(path, cfg.to_json())


def _initial_model(cfg: TrainConfig, run: Path, exs: Sequence[Example]) -> Path:
    """The folder of the initial weights: the given model folder, or the tiny model built once into ``RUN/init``."""
    if cfg.model != "tiny":
        return Path(cfg.model)
    init = run / "init"
    if not (init / "config.json").is_file():
        from mapkit.train.tiny import build_tiny

        model, processor = build_tiny(corpus(exs), seed=cfg.seed, min_pixels=cfg.min_pixels, max_pixels=cfg.max_pixels)
        save_model(model, processor, init)
    return init


def _load(path: Path, cfg: TrainConfig, device: torch.device) -> tuple[Any, Any]:
    from mapkit.train.tiny import load_model

    dtype = torch.bfloat16 if cfg.param_dtype == "bfloat16" else torch.float32
    model, processor = load_model(path, dtype=dtype, min_pixels=cfg.min_pixels, max_pixels=cfg.max_pixels)
    return model.to(device), processor
