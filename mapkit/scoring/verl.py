"""verl adapter: :func:`compute_score` as verl's reward manager calls a custom reward function.

verl calls ``compute_score(data_source, solution_str, ground_truth, extra_info=None, **kwargs)``
with ``ground_truth = row["reward_model"]["ground_truth"]``. mapkit's verl export stores the
canonical item there as a JSON string (docs/design.md, scoring section); an ``item`` entry of
``extra_info`` is accepted too. The return value is a dict whose ``score`` is the reward; its other
keys (always the same, all numbers, as verl requires) are logged per sample by verl.

Configure with ``custom_reward_function.path=<site-packages>/mapkit/scoring/verl.py`` and
``custom_reward_function.name=compute_score``.

Example:
    >>> import json
    >>> from mapkit.scoring.score import _demo
    >>> item, fam = _demo()
    >>> out = compute_score("mapkit", r"\\boxed{yes}", json.dumps(item), family=fam)
    >>> out["score"], out["acc"]
    (2.5, 1.0)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from mapkit.errors import ItemError
from mapkit.scoring.score import score

__all__ = ["compute_score", "item_from_ground_truth"]


@lru_cache(maxsize=4096)
def _parsed_item(text: str | bytes) -> dict[str, Any] | None:
    """The item in one ground-truth string, parsed once per distinct string (every rollout of a
    prompt carries the same one); None when it is not an item. Shared: treat it as read-only."""
    try:
        obj = json.loads(text)
    except json.JSONDecodeError:
        return None
    return obj if isinstance(obj, dict) and "type" in obj else None


def item_from_ground_truth(ground_truth: Any, extra_info: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The canonical item from verl's ``ground_truth`` (JSON string or dict) or ``extra_info["item"]``.

    >>> item_from_ground_truth('{"type": "TorF1"}')
    {'type': 'TorF1'}
    """
    for candidate in (ground_truth, (extra_info or {}).get("item")):
        if isinstance(candidate, Mapping) and "type" in candidate:
            return dict(candidate)
        if isinstance(candidate, (str, bytes)):
            obj = _parsed_item(candidate)
            if obj is not None:
                return obj
    raise ItemError(
        "verl's ground_truth must be the canonical mapkit item as JSON (reward_model.ground_truth), "
        "or extra_info must carry it under 'item'."
    )


def compute_score(
    data_source: str | None,
    solution_str: str,
    ground_truth: Any,
    extra_info: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> dict[str, float]:
    """Score one verl rollout: ``{"score": reward, "acc", "format", "detail", "weight", "optimal"}``.

    ``optimal`` is 1.0/0.0 for route answers and -1.0 where it does not apply (verl needs numbers).
    Keyword arguments that :func:`mapkit.scoring.score` accepts (``require_optimal``, ``data_dir``,
    ``family``) pass through; anything else verl adds is ignored.
    """
    item = item_from_ground_truth(ground_truth, extra_info)
    allowed = {k: v for k, v in kwargs.items() if k in ("require_optimal", "data_dir", "family", "graph")}
    b = score(item, solution_str, **allowed)
    return {
        "score": b.reward,
        "acc": b.accuracy,
        "format": float(b.format_ok),
        "detail": b.detail,
        "weight": b.weight,
        "optimal": -1.0 if b.optimal is None else float(b.optimal),
    }
