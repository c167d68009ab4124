"""GRPO step benchmark: this repository's loop vs TRL's ``GRPOTrainer``, same tiny model, data and settings.

Both sides train the tiny offline Qwen2.5-VL (:mod:`mapkit.train.tiny`, identical initial weights) on the
same TorF1 items of the synthetic demo city (rendered map, ``max_pixels`` 112x112) with mapkit's reward,
``prompts x group`` completions per step, the same ``max_new_tokens``, temperature 1, no KL, on CPU in
fp32 without gradient checkpointing (TRL: ``use_vllm=False, bf16=False, gradient_checkpointing=False``).
The sides alternate (mapkit, TRL, mapkit, TRL, ...) in one process so that a busy machine slows both;
each run's first step (warm-up) is dropped and the median step time is reported with the ratio
TRL / mapkit. The step time is generation + reward + update, as each trainer logs it (mapkit:
``step_s``; TRL: ``step_time``).

Usage (needs ``pip install -e ".[train]"``):
    python bench/bench_train.py
    python bench/bench_train.py --steps 8 --rounds 3 --group 8 --prompts 4 --new-tokens 16 --threads 1

Example (the statistic used):
    >>> median([0.3, 0.1, 0.2])
    0.2
"""

from __future__ import annotations

import argparse
import copy
import statistics
import tempfile
import time
from pathlib import Path


def median(xs: list[float]) -> float:
    """The median of ``xs``."""
    return statistics.median(xs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=6, help="steps per run (the first is a warm-up)")
    ap.add_argument("--rounds", type=int, default=2, help="alternating runs per side")
    ap.add_argument("--prompts", type=int, default=4)
    ap.add_argument("--group", type=int, default=8)
    ap.add_argument("--new-tokens", type=int, default=16)
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads (1 is fastest on a shared CPU)")
    args = ap.parse_args()

    import torch
    import transformers
    import trl
    from mapkit.train.config import Stage, TrainConfig
    from mapkit.train.data import corpus, load_examples
    from mapkit.train.loop import train
    from mapkit.train.tiny import build_tiny
    from mapkit.train.trl_adapter import make_trl_trainer
    from transformers.trainer_callback import PrinterCallback

    from mapkit.generate import write_items

    torch.set_num_threads(args.threads)
    work = Path(tempfile.mkdtemp(prefix="bench-train-"))
    items = work / "items.jsonl"
    write_items(items, ["demo"], types=["TorF1"], n_per_type=100, seed=0, render=True)
    exs = load_examples(items, min_pixels=56 * 56, max_pixels=112 * 112)
    model0, processor = build_tiny(corpus(exs), seed=0)
    n_params = sum(p.numel() for p in model0.parameters())

    def cfg(out: Path) -> TrainConfig:
        return TrainConfig(items=str(items), out=str(out), steps=args.steps, prompts_per_step=args.prompts,
                           group_size=args.group, max_new_tokens=args.new_tokens, lr=1e-3, device="cpu",
                           curriculum=(Stage("tf", ("TorF1",)),), display=False, save_every=0,
                           micro_batch=args.prompts * args.group, cpu_threads=args.threads)  # fmt: skip

    times: dict[str, list[float]] = {"mapkit": [], "trl": []}
    for r in range(args.rounds):
        t0 = time.perf_counter()
        res = train(cfg(work / f"mapkit-{r}"), examples=exs)
        times["mapkit"] += [row["step_s"] for row in res.rows[1:]]
        t1 = time.perf_counter()
        trainer = make_trl_trainer(cfg(work / f"trl-{r}"), examples=exs, model=copy.deepcopy(model0),
                                   processor=processor, logging_steps=1)  # fmt: skip
        trainer.remove_callback(PrinterCallback)  # TRL prints every log dict when tqdm is off
        trainer.train()
        steps = [h["step_time"] for h in trainer.state.log_history if "step_time" in h]
        times["trl"] += steps[1:]
        t2 = time.perf_counter()
        print(f"round {r + 1}: mapkit run {t1 - t0:.1f} s, TRL run {t2 - t1:.1f} s (setup included)")

    m, t = median(times["mapkit"]), median(times["trl"])
    print()
    print(f"tiny Qwen2.5-VL ({n_params / 1e6:.2f} M params), {args.prompts} prompts x {args.group} samples, "
          f"{args.new_tokens} new tokens, CPU x{args.threads} thread(s)")  # fmt: skip
    print(f"torch {torch.__version__}, transformers {transformers.__version__}, trl {trl.__version__}")
    print(f"{'':<10}{'median s/step':>14}{'min':>8}{'max':>8}{'steps':>7}")
    for name in ("mapkit", "trl"):
        xs = times[name]
        print(f"{name:<10}{median(xs):>14.3f}{min(xs):>8.3f}{max(xs):>8.3f}{len(xs):>7}")
    print(f"ratio TRL / mapkit: {t / m:.2f}x")


if __name__ == "__main__":
    main()
