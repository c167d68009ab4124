"""The GRPO maths on tensors: advantages, token log-probs, the k3 KL and the clipped policy loss.

Pure functions, no model and no state, so each can be checked on hand-built tensors
(``tests/train/test_grpo_math.py``). Shapes: ``N`` sequences (prompts x group size), ``T`` completion
tokens; ``mask`` is 1 on completion tokens up to and including the first end-of-turn token.

Loss aggregation (``agg``) and the normalisers: the loss of one micro-batch is a *sum* over its tokens
divided by a normaliser of the whole batch (:class:`Norm`), so the micro-batch losses add up exactly to
the full-batch loss whatever the micro-batch size:

* ``token-mean`` (default, DAPO/verl): Σ over all tokens / number of completion tokens in the batch;
* ``seq-mean-token-mean`` (the original GRPO): mean over sequences of each sequence's token mean;
* ``seq-mean-token-sum-norm`` (Dr. GRPO): Σ over all tokens / (sequences x ``max_new_tokens``), a
  constant that does not favour short or long answers.

Example:
    >>> import torch
    >>> adv, zero = group_advantages(torch.tensor([1.0, 0.0, 2.0, 2.0]), group_size=2)
    >>> [round(a, 3) for a in adv.tolist()], zero
    ([0.707, -0.707, 0.0, 0.0], 1)
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = [
    "AGGREGATIONS",
    "Norm",
    "group_advantages",
    "k3_kl",
    "masked_sum",
    "policy_loss",
    "token_logprobs",
]

AGGREGATIONS = ("token-mean", "seq-mean-token-mean", "seq-mean-token-sum-norm")
LOG_RATIO_CLAMP = 20.0
"""log(new/old) is clamped to this before ``exp`` (a stale or diverged token must not overflow)."""
KL_CLAMP = 10.0
"""verl's clamp of the k3 estimate ("low_var_kl")."""


def group_advantages(
    rewards: torch.Tensor, group_size: int, *, scale: bool = True, eps: float = 1e-6
) -> tuple[torch.Tensor, int]:
    """``(r - group mean) / (group std + eps)`` per group of ``group_size`` consecutive rewards.

    ``scale=False`` is Dr. GRPO's mean-only advantage. The std is the unbiased one (torch's default, as
    in TRL and verl). Returns the advantages and the number of zero-spread groups (all rewards equal:
    no learning signal from that prompt).

    >>> group_advantages(torch.tensor([3.0, 1.0]), 2, scale=False)[0].tolist()
    [1.0, -1.0]
    """
    if rewards.numel() % group_size:
        raise ValueError(f"{rewards.numel()} rewards do not split into groups of {group_size}")
    r = rewards.float().view(-1, group_size)
    mean = r.mean(dim=1, keepdim=True)
    adv = r - mean
    if scale:
        std = r.std(dim=1, keepdim=True) if group_size > 1 else torch.zeros_like(mean)
        adv = adv / (std + eps)
    zero_spread = int((r.max(dim=1).values == r.min(dim=1).values).sum())
    return adv.view(-1), zero_spread


def token_logprobs(
    logits: torch.Tensor,
    tokens: torch.Tensor,
    *,
    temperature: float = 1.0,
    suppress: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Log-prob of each ``tokens[n, t]`` under ``logits[n, t]`` and the entropy of each distribution.

    The distribution is the one the sampler drew from: logits divided by the sampling temperature,
    tokens the sampler may never emit (``suppress``, a vocabulary-sized bool mask) removed, and
    ``log_softmax`` in fp32 (bf16 log-softmax is off by 1e-2).
    """
    z = logits.float() / temperature
    if suppress is not None:
        z = z.masked_fill(suppress, float("-inf"))
    logp_all = torch.log_softmax(z, dim=-1)
    logp = logp_all.gather(-1, tokens.unsqueeze(-1)).squeeze(-1)
    p = logp_all.exp()
    entropy = -(p * logp_all.nan_to_num(neginf=0.0)).sum(-1)
    return logp, entropy


def k3_kl(logp: torch.Tensor, ref_logp: torch.Tensor) -> torch.Tensor:
    """Per-token k3 estimate of KL(policy || reference): ``exp(d) - d - 1``, ``d = ref - logp`` (>= 0).

    Schulman's low-variance, always non-negative estimator (verl's "low_var_kl"), clamped to
    ``[0, KL_CLAMP]``.

    >>> k3_kl(torch.tensor([-1.0]), torch.tensor([-1.0])).item()
    0.0
    """
    d = (ref_logp - logp).clamp(-LOG_RATIO_CLAMP, LOG_RATIO_CLAMP)
    return (torch.exp(d) - d - 1).clamp(0.0, KL_CLAMP)


@dataclass(frozen=True)
class Norm:
    """Batch-wide normalisers for :func:`masked_sum` (counted over the *whole* batch, not a micro-batch)."""

    sequences: int
    tokens: int
    max_new_tokens: int

    @classmethod
    def of(cls, mask: torch.Tensor, max_new_tokens: int) -> Norm:
        return cls(int(mask.shape[0]), max(1, int(mask.sum())), max_new_tokens)


def masked_sum(x: torch.Tensor, mask: torch.Tensor, agg: str, norm: Norm) -> torch.Tensor:
    """This micro-batch's share of the batch aggregate of ``x`` (see the module docstring).

    >>> m = torch.tensor([[1.0, 1.0], [1.0, 0.0]])
    >>> x = torch.tensor([[1.0, 3.0], [5.0, 9.0]])
    >>> [masked_sum(x, m, a, Norm.of(m, 4)).item() for a in AGGREGATIONS]
    [3.0, 3.5, 1.125]
    """
    m = mask.to(x.dtype)
    if agg == "token-mean":
        return (x * m).sum() / norm.tokens
    if agg == "seq-mean-token-mean":
        per_seq = (x * m).sum(-1) / m.sum(-1).clamp(min=1)
        return per_seq.sum() / norm.sequences
    if agg == "seq-mean-token-sum-norm":
        return (x * m).sum() / (norm.sequences * norm.max_new_tokens)
    raise ValueError(f"unknown loss aggregation {agg!r}; one of {', '.join(AGGREGATIONS)}")


def policy_loss(
    logp: torch.Tensor,
    old_logp: torch.Tensor,
    advantages: torch.Tensor,
    mask: torch.Tensor,
    norm: Norm,
    *,
    clip_low: float = 0.2,
    clip_high: float = 0.2,
    ref_logp: torch.Tensor | None = None,
    kl_coef: float = 0.0,
    agg: str = "token-mean",
) -> tuple[torch.Tensor, dict[str, float]]:
    """PPO's clipped surrogate with one advantage per sequence, plus ``kl_coef`` x k3 KL to the reference.

    ``ratio = exp(logp - old_logp)``; per token ``-min(ratio * A, clip(ratio, 1 - clip_low, 1 + clip_high) * A)``
    (``clip_high > clip_low`` is DAPO's "clip higher"). Returns the loss of this micro-batch (a share of the
    batch loss, see :func:`masked_sum`) and its statistics as the same shares: ``clip_frac`` (tokens whose
    ratio was clipped), ``kl``, ``pg_loss``.
    """
    log_ratio = (logp - old_logp).clamp(-LOG_RATIO_CLAMP, LOG_RATIO_CLAMP)
    ratio = torch.exp(log_ratio)
    adv = advantages.unsqueeze(-1).to(logp.dtype)
    unclipped = ratio * adv
    clipped = ratio.clamp(1.0 - clip_low, 1.0 + clip_high) * adv
    pg = -torch.minimum(unclipped, clipped)
    loss = masked_sum(pg, mask, agg, norm)
    with torch.no_grad():
        was_clipped = (clipped < unclipped).float()  # the min picked the clipped term
        stats = {
            "pg_loss": float(masked_sum(pg.detach(), mask, agg, norm)),
            "clip_frac": float(masked_sum(was_clipped, mask, "token-mean", norm)),
        }
    if ref_logp is not None and kl_coef > 0:
        kl = k3_kl(logp, ref_logp)
        loss = loss + kl_coef * masked_sum(kl, mask, agg, norm)
        stats["kl"] = float(masked_sum(kl.detach(), mask, "token-mean", norm))
    return loss, stats
