"""TRL adapter: :func:`trl_reward` is a ``GRPOTrainer`` reward function, usable unchanged.

TRL calls ``reward_func(prompts=..., completions=..., completion_ids=..., **columns)``, where every
dataset column except ``prompt`` arrives as a keyword argument holding one value per completion
(newer TRL also passes ``trainer_state``, ``log_extra`` and ``log_metric``). The item is rebuilt
from the columns, in this order (docs/design.md, scoring section):

1. an ``item`` column: the canonical row as a JSON string (what mapkit's TRL export writes) or dict;
2. otherwise the canonical fields themselves as columns (``type``, ``answer_text``, ``mapkit`` as a
   dict or JSON string, ``weight``, ...).

Completions may be plain strings or conversational lists of ``{"role", "content"}`` messages (the
last assistant message is scored; multimodal content parts contribute their text).

Example:
    >>> import json
    >>> from mapkit.scoring.score import _demo
    >>> item, fam = _demo()
    >>> reward = make_trl_reward(family=fam)
    >>> reward(prompts=["p", "p"], completions=[r"\\boxed{yes}", [{"role": "assistant", "content": "no"}]],
    ...        item=[json.dumps(item)] * 2)
    [2.5, 0.0]
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from mapkit.errors import ItemError
from mapkit.io import json_error_message
from mapkit.questions.base import ITEM_KEYS
from mapkit.scoring.score import ScoreBreakdown, score

__all__ = ["ITEM_COLUMN", "completion_text", "items_from_columns", "make_trl_reward", "trl_reward"]

ITEM_COLUMN = "item"
"""The dataset column carrying the canonical row as JSON (written by the TRL export)."""



def completion_text(completion: Any) -> str:
    """The text to score from a TRL completion: a string, or the last assistant message's content.

    >>> completion_text([{"role": "assistant", "content": [{"type": "text", "text": "\\\\boxed{B}"}]}])
    '\\\\boxed{B}'
    """
    if completion is None:
        return ""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, Mapping):
        return _content_text(completion.get("content"))
    if isinstance(completion, Sequence):
        msgs = [m for m in completion if isinstance(m, Mapping)]
        assistant = [m for m in msgs if m.get("role", "assistant") == "assistant"]
        chosen = assistant[-1] if assistant else (msgs[-1] if msgs else None)
        return _content_text(chosen.get("content")) if chosen else ""
    return str(completion)


def _content_text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    parts = []
    for part in content:
        if isinstance(part, Mapping):
            if part.get("type", "text") == "text" and isinstance(part.get("text"), str):
                parts.append(part["text"])
        elif isinstance(part, str):
            parts.append(part)
    return "".join(parts)


def _as_item(value: Any) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (str, bytes)):
        try:
            obj = json.loads(value)
        except json.JSONDecodeError as e:
            raise ItemError(f"the {ITEM_COLUMN!r} column is not JSON: {json_error_message(e)}.") from None
        if isinstance(obj, dict):
            return obj
    raise ItemError(f"the {ITEM_COLUMN!r} column must hold the canonical item (a JSON object or dict).")


@lru_cache(maxsize=4096)
def _parsed_item(value: str | bytes) -> dict[str, Any]:
    """The item of one JSON string, parsed once per distinct string (bounded; treat it as read-only)."""
    return _as_item(value)


def items_from_columns(n: int, columns: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Rebuild ``n`` canonical items from TRL's per-completion column lists.

    >>> items_from_columns(1, {"type": ["TorF1"], "answer_text": ["yes"], "mapkit": ['{"gold": {}}']})
    [{'answer_text': 'yes', 'type': 'TorF1', 'mapkit': {'gold': {}}}]
    """
    if ITEM_COLUMN in columns and columns[ITEM_COLUMN] is not None:
        col = columns[ITEM_COLUMN]
        if len(col) != n:
            raise ItemError(f"{n} completions but {len(col)} values in the {ITEM_COLUMN!r} column.")
        # the G completions of a prompt (and every epoch) carry equal item strings, each a new str
        # object when the rows come from a datasets table: parse by value, once
        return [_parsed_item(v) if isinstance(v, (str, bytes)) else _as_item(v) for v in col]
    present = [k for k in ITEM_KEYS if k in columns]
    if "type" not in present:
        raise ItemError(
            f"cannot rebuild the items: pass an {ITEM_COLUMN!r} column (the canonical row as JSON) "
            "or the canonical fields (at least 'type', 'answer_text' and 'mapkit') as dataset columns."
        )
    items = []
    for i in range(n):
        row: dict[str, Any] = {}
        for k in present:
            v = columns[k][i]
            if k == "mapkit" and isinstance(v, (str, bytes)):
                v = json.loads(v)
            row[k] = v
        items.append(row)
    return items


def make_trl_reward(**score_kwargs: Any) -> Callable[..., list[float]]:
    """A TRL reward function with :func:`mapkit.scoring.score` options bound (``require_optimal``, ``data_dir``).

    The function logs the mean format/correct/detail terms through TRL's ``log_metric`` and the
    per-completion correctness through ``log_extra`` when the trainer provides them.
    """

    def trl_reward(prompts: Any = None, completions: Sequence[Any] | None = None, **kwargs: Any) -> list[float]:
        if completions is None:
            raise ItemError("trl_reward needs `completions` (TRL passes them as a keyword argument).")
        items = items_from_columns(len(completions), kwargs)
        scored: list[ScoreBreakdown] = [
            score(item, completion_text(c), **score_kwargs) for item, c in zip(items, completions)
        ]
        log_metric, log_extra = kwargs.get("log_metric"), kwargs.get("log_extra")
        if callable(log_metric) and scored:
            for key in ("format", "correct", "detail"):
                log_metric(f"mapkit/{key}", sum(b.components[key] for b in scored) / len(scored))
        if callable(log_extra):
            log_extra("mapkit_correct", [b.correct for b in scored])
            log_extra("mapkit_extracted", [b.extracted for b in scored])
        return [b.reward for b in scored]

    trl_reward.__name__ = "mapkit_reward"  # TRL names the reward's metrics after the function
    return trl_reward


trl_reward = make_trl_reward()
"""The default reward function: ``GRPOTrainer(reward_funcs=[trl_reward], ...)``."""
