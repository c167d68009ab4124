"""The TRL adapter: same data (curriculum order), same reward, config mapped onto GRPOConfig; one real step."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("torch")
pytest.importorskip("trl")

from mapkit.train.config import Stage, TrainConfig  # noqa: E402
from mapkit.train.curriculum import Curriculum  # noqa: E402
from mapkit.train.trl_adapter import make_trl_trainer, trl_dataset  # noqa: E402

from mapkit.scoring import score  # noqa: E402


def _cfg(tmp_path, **kw):
    return TrainConfig(items="-", out=str(tmp_path), steps=1, prompts_per_step=2, group_size=4, max_new_tokens=6,
                       device="cpu", curriculum=(Stage("tf", ("TorF1", "TorF2")), Stage("c", ("Counting2",))),
                       **kw)  # fmt: skip


def test_dataset_is_in_curriculum_order_with_the_canonical_item(examples, tmp_path):
    exs = [e for e in examples if e.type in ("TorF1", "TorF2", "Counting2")]
    cfg = _cfg(tmp_path).replace(steps=30)
    ds = trl_dataset(exs, cfg)
    picks = Curriculum([e.item for e in exs], cfg.curriculum, seed=cfg.seed).take(60)
    assert [json.loads(r)["id"] for r in ds["item"]] == [exs[i].id for i, _ in picks]
    row = ds[0]
    assert row["prompt"][0]["content"][0]["type"] == "image" and row["image"].size == exs[picks[0][0]].image.size


def test_one_grpo_trainer_step_with_mapkits_reward(examples, tiny, tmp_path):
    model, processor = tiny
    exs = [e for e in examples if e.type in ("TorF1", "TorF2")]
    cfg = _cfg(tmp_path, kl_coef=0.01, clip_high=0.28, loss_agg="seq-mean-token-sum-norm", advantage="mean")
    trainer = make_trl_trainer(cfg, examples=exs, model=model, processor=processor)
    args = trainer.args
    assert (args.num_generations, args.beta, args.epsilon, args.epsilon_high) == (4, 0.01, 0.2, 0.28)
    assert (args.loss_type, args.scale_rewards, args.shuffle_dataset) == ("dr_grpo", "none", False)
    trainer.train()
    logged = next(h for h in trainer.state.log_history if "reward" in h)
    assert "mapkit/format" in logged  # mapkit's reward logged its components through TRL
    # the reward TRL used is mapkit's score: a boxed right answer earns max reward
    item = exs[0].item
    fn = trainer.reward_funcs[0]
    right = "\\boxed{" + item["answer_text"] + "}"
    assert fn(prompts=["p"], completions=[right], item=[json.dumps(item)]) == [score(item, right).reward]
