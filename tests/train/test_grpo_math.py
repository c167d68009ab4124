"""The GRPO maths on hand-built tensors: advantages, k3 KL, the clipped loss and its aggregations."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from mapkit.train.grpo import AGGREGATIONS, Norm, group_advantages, k3_kl, masked_sum, policy_loss, token_logprobs  # noqa: E402


def test_group_advantages_by_hand():
    r = torch.tensor([1.0, 2.0, 3.0, 5.0, 5.0, 5.0])
    adv, zero = group_advantages(r, 3)
    # group 1: mean 2, unbiased std 1 -> (-1, 0, 1); group 2: all equal -> 0, and counted
    assert adv.tolist() == pytest.approx([-1 / (1 + 1e-6), 0.0, 1 / (1 + 1e-6), 0.0, 0.0, 0.0])
    assert zero == 1
    mean_only, _ = group_advantages(r, 3, scale=False)
    assert mean_only.tolist() == pytest.approx([-1.0, 0.0, 1.0, 0.0, 0.0, 0.0])
    with pytest.raises(ValueError):
        group_advantages(r, 4)


def test_k3_kl_matches_the_formula_and_is_non_negative():
    logp = torch.tensor([-1.0, -2.0, -0.5, -3.0])
    ref = torch.tensor([-1.0, -1.0, -2.0, -30.0])
    d = ref - logp
    expected = torch.exp(d) - d - 1
    got = k3_kl(logp, ref)
    assert got[:3].tolist() == pytest.approx(expected[:3].tolist())
    assert got[0] == 0 and (got >= 0).all()
    assert got[3] <= 10.0  # clamped like verl's low_var_kl
    # an unbiased estimate of KL(p||q) when tokens are drawn from p: check on a categorical
    p = torch.tensor([0.5, 0.3, 0.2])
    q = torch.tensor([0.2, 0.5, 0.3])
    exact = float((p * (p / q).log()).sum())
    est = float((p * k3_kl(p.log(), q.log())).sum())
    assert est == pytest.approx(exact, rel=1e-5)


def test_token_logprobs_with_temperature_suppression_and_entropy():
    logits = torch.tensor([[[2.0, 1.0, 0.0, 5.0]]])
    tok = torch.tensor([[1]])
    sup = torch.tensor([False, False, False, True])
    lp, ent = token_logprobs(logits, tok, temperature=0.5, suppress=sup)
    z = torch.tensor([4.0, 2.0, 0.0])
    assert lp.item() == pytest.approx(float(torch.log_softmax(z, -1)[1]))
    probs = torch.softmax(z, -1)
    assert ent.item() == pytest.approx(float(-(probs * probs.log()).sum()))


def test_ratio_one_loss_is_minus_the_mean_advantage_per_token():
    mask = torch.tensor([[1, 1, 0], [1, 1, 1]])
    adv = torch.tensor([2.0, -1.0])
    lp = torch.full((2, 3), -1.0, requires_grad=True)
    loss, st = policy_loss(lp, lp.detach(), adv, mask, Norm.of(mask, 3))
    # token-mean over 5 tokens: -(2 + 2 - 1 - 1 - 1) / 5
    assert loss.item() == pytest.approx(-0.2)
    assert st["clip_frac"] == 0.0
    loss.backward()
    # d loss / d logp = -A / n_tokens on real tokens, 0 on padding
    assert lp.grad.flatten().tolist() == pytest.approx([-0.4, -0.4, 0.0, 0.2, 0.2, 0.2])


def test_clipping_stops_the_gradient_outside_the_trust_region():
    mask = torch.ones(2, 1)
    old = torch.zeros(2, 1)
    # token 0: ratio 1.5 with A > 0 -> clipped at 1.2 (no gradient); token 1: ratio 0.5 with A > 0 -> unclipped
    lp = torch.tensor([[math.log(1.5)], [math.log(0.5)]], requires_grad=True)
    adv = torch.tensor([1.0, 1.0])
    loss, st = policy_loss(lp, old, adv, mask, Norm.of(mask, 1), clip_low=0.2, clip_high=0.2)
    assert loss.item() == pytest.approx(-(1.2 + 0.5) / 2)
    assert st["clip_frac"] == pytest.approx(0.5)
    loss.backward()
    assert lp.grad[0].item() == 0.0 and lp.grad[1].item() == pytest.approx(-0.5 * 0.5)
    # negative advantage: ratio 0.5 is clipped at 0.8 (pessimistic bound), ratio 1.5 is not
    lp2 = torch.tensor([[math.log(0.5)], [math.log(1.5)]], requires_grad=True)
    loss2, _ = policy_loss(lp2, old, -adv, mask, Norm.of(mask, 1))
    assert loss2.item() == pytest.approx((0.8 + 1.5) / 2)
    # clip-higher: a wider upper bound lets ratio 1.5 through
    lp3 = torch.tensor([[math.log(1.5)]], requires_grad=True)
    loss3, _ = policy_loss(lp3, old[:1], adv[:1], mask[:1], Norm.of(mask[:1], 1), clip_high=0.6)
    assert loss3.item() == pytest.approx(-1.5)


def test_kl_term_adds_beta_times_k3():
    mask = torch.ones(1, 2)
    lp = torch.tensor([[-1.0, -2.0]])
    ref = torch.tensor([[-1.5, -1.0]])
    base, _ = policy_loss(lp, lp, torch.tensor([0.0]), mask, Norm.of(mask, 2))
    with_kl, st = policy_loss(lp, lp, torch.tensor([0.0]), mask, Norm.of(mask, 2), ref_logp=ref, kl_coef=0.1)
    k3 = k3_kl(lp, ref).mean().item()
    assert with_kl.item() - base.item() == pytest.approx(0.1 * k3)
    assert st["kl"] == pytest.approx(k3)


@pytest.mark.parametrize("agg", AGGREGATIONS)
def test_micro_batch_shares_add_up_to_the_batch_loss(agg):
    g = torch.Generator().manual_seed(0)
    lp = torch.randn(6, 5, generator=g) - 2
    old = lp + 0.1 * torch.randn(6, 5, generator=g)
    adv = torch.randn(6, generator=g)
    mask = (torch.arange(5).unsqueeze(0) < torch.tensor([5, 3, 1, 4, 2, 5]).unsqueeze(1)).long()
    norm = Norm.of(mask, 5)
    whole, _ = policy_loss(lp, old, adv, mask, norm, agg=agg)
    parts = sum(policy_loss(lp[i : i + 2], old[i : i + 2], adv[i : i + 2], mask[i : i + 2], norm, agg=agg)[0]
                for i in range(0, 6, 2))  # fmt: skip
    assert parts.item() == pytest.approx(whole.item(), abs=1e-6)


def test_the_three_aggregations_differ_as_documented():
    mask = torch.tensor([[1, 1, 1, 1], [1, 0, 0, 0]])
    x = torch.tensor([[1.0, 1.0, 1.0, 1.0], [5.0, 0, 0, 0]])
    norm = Norm.of(mask, 8)
    assert masked_sum(x, mask, "token-mean", norm).item() == pytest.approx(9 / 5)  # long answers weigh more
    assert masked_sum(x, mask, "seq-mean-token-mean", norm).item() == pytest.approx((1 + 5) / 2)
    assert masked_sum(x, mask, "seq-mean-token-sum-norm", norm).item() == pytest.approx(9 / (2 * 8))
    with pytest.raises(ValueError):
        masked_sum(x, mask, "sum", norm)
