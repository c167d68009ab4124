"""The loop end to end on real mapkit items with the tiny model: resume is exact, and it learns."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")

from mapkit.train.config import Stage, TrainConfig  # noqa: E402
from mapkit.train.loop import train  # noqa: E402
from mapkit.train.metrics import read_metrics  # noqa: E402

TIMING = ("gen_s", "update_s", "step_s")


def _cfg(items, out, **kw):
    base = dict(items=str(items), out=str(out), steps=4, prompts_per_step=2, group_size=4, max_new_tokens=6,
                save_every=2, display=False, cpu_threads=1, lr=2e-3, micro_batch=3)  # fmt: skip
    base.update(kw)
    return TrainConfig(**base)


def _untimed(rows):
    return [{k: v for k, v in r.items() if k not in TIMING} for r in rows]


def _weights(run, step):
    from safetensors.torch import load_file

    return load_file(run / "checkpoints" / f"step-{step:06d}" / "model" / "model.safetensors")


def test_resume_reproduces_the_run_exactly(demo_items, tmp_path):
    # kl_coef > 0 and two updates per batch: the reference model and the old log-probs are restored too
    extra = dict(kl_coef=0.05, updates_per_batch=2)
    straight = train(_cfg(demo_items, tmp_path / "a", **extra))
    train(_cfg(demo_items, tmp_path / "b", steps=2, **extra))
    # the "killed" run logged a step past its checkpoint: a resume drops it and re-runs from step 2
    with (tmp_path / "b" / "metrics.jsonl").open("a") as fh:
        fh.write(json.dumps({"step": 3, "reward": 99.0}) + "\n")
    resumed = train(_cfg(demo_items, tmp_path / "b", steps=4, **extra), resume=True)
    assert [r["step"] for r in resumed.rows] == [3, 4]
    a = read_metrics(tmp_path / "a" / "metrics.jsonl")
    b = read_metrics(tmp_path / "b" / "metrics.jsonl")
    assert _untimed(a) == _untimed(b)
    assert len({r["stage"] for r in a}) >= 1 and any(r["kl"] > 0 for r in a[1:])
    wa, wb = _weights(tmp_path / "a", 4), _weights(tmp_path / "b", 4)
    assert wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)
    assert not all(torch.equal(wa[k], _weights(tmp_path / "a", 2)[k]) for k in wa)  # it did train
    oa = torch.load(tmp_path / "a" / "checkpoints" / "step-000004" / "optimizer.pt", weights_only=True)
    ob = torch.load(tmp_path / "b" / "checkpoints" / "step-000004" / "optimizer.pt", weights_only=True)
    assert all(torch.equal(oa["state"][i]["exp_avg"], ob["state"][i]["exp_avg"]) for i in oa["state"])
    assert straight.final is not None and straight.final.name == "model"


def test_resume_refuses_a_changed_config_and_an_empty_run(demo_items, tmp_path):
    from mapkit.errors import TrainingError

    with pytest.raises(TrainingError, match="nothing to resume"):
        train(_cfg(demo_items, tmp_path / "empty"), resume=True)
    train(_cfg(demo_items, tmp_path / "r", steps=2))
    with pytest.raises(TrainingError, match="lr"):
        train(_cfg(demo_items, tmp_path / "r", steps=4, lr=1e-2), resume=True)


def test_config_is_logged_verbatim(demo_items, tmp_path):
    cfg = _cfg(demo_items, tmp_path / "c", steps=1)
    train(cfg)
    assert TrainConfig.from_dict(json.loads((tmp_path / "c" / "config.json").read_text())) == cfg


def test_metrics_rows_carry_every_documented_field(demo_items, tmp_path):
    res = train(_cfg(demo_items, tmp_path / "m", steps=1))
    row = res.rows[0]
    for key in ("reward", "reward_std", "reward_norm", "format", "correct", "detail", "zero_spread", "kl",
                "clip_frac", "entropy", "grad_norm", "logprob_gap", "len_mean", "len_max", "truncated",
                "gen_s", "update_s", "stage", "loss", "pg_loss"):  # fmt: skip
        assert key in row, key
    assert row["logprob_gap"] < 1e-5  # the live check of the sampler/trainer agreement
    assert 0 < row["len_mean"] <= 6 and 0 <= row["truncated"] <= 1


@pytest.mark.slow
def test_reward_rises_on_a_mapkit_task_within_a_minute(demo_items, tmp_path):
    """TorF1 items of the demo city, mapkit's own reward; the random tiny policy rarely writes a boxed
    yes/no at first (reward ~0.1), and GRPO teaches it the format and then the answer."""
    cfg = _cfg(demo_items, tmp_path / "learn", steps=60, prompts_per_step=4, group_size=8, max_new_tokens=8,
               lr=2e-3, save_every=0, types=("TorF1",), micro_batch=32,
               curriculum=(Stage("true-false", ("TorF1",)),))  # fmt: skip
    rows = train(cfg).rows
    first = sum(r["reward"] for r in rows[:10]) / 10
    last = sum(r["reward"] for r in rows[-10:]) / 10
    fmt = sum(r["format"] for r in rows[-10:]) / 10
    print(f"reward {first:.3f} -> {last:.3f}; format rate (last 10) {fmt:.2f}; {sum(r['step_s'] for r in rows):.1f} s")
    assert last > first + 0.5
    assert fmt > 0.5
