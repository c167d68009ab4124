"""``mapkit train plot RUN``: the reward and KL curves of a run as one PNG (matplotlib, headless).

Three panels over steps: the mean reward with its ±1 std band and a moving average, the format and
correct rates, and the KL to the reference with the policy entropy (KL is 0 when ``kl_coef`` is 0).
Curriculum stage changes are marked by vertical lines named after the stage.

Example:
    >>> plot_run("runs/demo")          # doctest: +SKIP
    PosixPath('runs/demo/curves.png')
"""

from __future__ import annotations

import os
from pathlib import Path

from mapkit.train.metrics import read_metrics

from mapkit.errors import TrainingError

__all__ = ["plot_run"]


def _smooth(xs: list[float], k: int) -> list[float]:
    out, acc = [], 0.0
    for i, x in enumerate(xs):
        acc += x
        if i >= k:
            acc -= xs[i - k]
        out.append(acc / min(i + 1, k))
    return out


def plot_run(run: str | os.PathLike[str], out: str | os.PathLike[str] | None = None) -> Path:
    """Write ``RUN/curves.png`` (or ``out``) from ``RUN/metrics.jsonl``; returns the PNG path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = read_metrics(Path(run) / "metrics.jsonl")
    if not rows:
        raise TrainingError(f"{run}: the run has logged no step yet.")
    steps = [r["step"] for r in rows]
    reward = [r["reward"] for r in rows]
    std = [r.get("reward_std", 0.0) for r in rows]
    fig, axes = plt.subplots(3, 1, figsize=(8, 8), sharex=True, constrained_layout=True)
    ax = axes[0]
    ax.fill_between(steps, [m - s for m, s in zip(reward, std)], [m + s for m, s in zip(reward, std)],
                    alpha=0.2, label="±1 std")  # fmt: skip
    ax.plot(steps, reward, lw=0.8, label="mean reward")
    ax.plot(steps, _smooth(reward, max(1, len(rows) // 20)), lw=2, label="moving average")
    ax.set_ylabel("reward")
    ax.legend(loc="upper left", fontsize=8)
    ax = axes[1]
    for key in ("format", "correct", "zero_spread"):
        ax.plot(steps, _smooth([r.get(key, 0.0) for r in rows], max(1, len(rows) // 20)), label=key)
    ax.set_ylabel("rate")
    ax.set_ylim(-0.05, 1.05)
    ax.legend(loc="upper left", fontsize=8)
    ax = axes[2]
    ax.plot(steps, [r.get("kl", 0.0) for r in rows], color="tab:red", label="KL to reference (k3)")
    ax.set_ylabel("KL")
    twin = ax.twinx()
    twin.plot(steps, [r.get("entropy", 0.0) for r in rows], color="tab:gray", lw=0.8, label="entropy")
    twin.set_ylabel("entropy")
    ax.legend(loc="upper left", fontsize=8)
    twin.legend(loc="upper right", fontsize=8)
    ax.set_xlabel("step")
    prev = None
    for r in rows:
        if r.get("stage") != prev:
            for a in axes:
                a.axvline(r["step"], color="k", alpha=0.2, lw=0.8)
            axes[0].annotate(str(r.get("stage", "")), (r["step"], 0.02), xycoords=("data", "axes fraction"),
                             fontsize=7, va="bottom", rotation=90)  # fmt: skip
            prev = r.get("stage")
    fig.suptitle(f"GRPO run {Path(run).name}")
    path = Path(out) if out else Path(run) / "curves.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    os.replace(tmp, path)
    return path
