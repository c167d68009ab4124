"""One GRPO update moves each sequence's log-prob in the direction of its advantage."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from mapkit.train.forward import completion_logprobs  # noqa: E402
from mapkit.train.grpo import Norm, group_advantages, policy_loss  # noqa: E402
from mapkit.train.rollout import HFGenerate, encode_prompts  # noqa: E402


def test_one_step_moves_each_sequence_with_the_sign_of_its_advantage(tiny, examples):
    model, processor = tiny
    picks = [e for e in examples if e.type == "TorF1"][:2]
    batch = encode_prompts(processor, [e.messages for e in picks], [e.image for e in picks], n=4)
    backend = HFGenerate(model, processor)
    torch.manual_seed(3)
    ro = backend.generate(batch, max_new_tokens=8, temperature=1.0)
    # random completions mostly score 0 with the real scorer; hand-set rewards give every group a spread
    rewards = torch.tensor([1.0, 0.0, 0.0, 2.0, 0.0, 1.0, 1.0, 0.0])
    adv, zero = group_advantages(rewards, 4)
    assert zero == 0
    rows = range(batch.rows)

    def seq_logp():
        lp, _ = completion_logprobs(model, batch, ro.tokens, ro.mask, rows, suppress=backend.suppress)
        return lp, (lp * ro.mask).sum(1)

    model.train()
    lp, before = seq_logp()
    loss, _ = policy_loss(lp, lp.detach(), adv, ro.mask, Norm.of(ro.mask, 8))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.0)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    with torch.no_grad():
        _, after = seq_logp()
    delta = (after - before.detach()).tolist()
    for a, d in zip(adv.tolist(), delta):
        assert (a > 0 and d > 0) or (a < 0 and d < 0), (adv.tolist(), delta)
