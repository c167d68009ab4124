"""One scoring path for evaluation and reward: :func:`score` (docs/scoring.md).

``score(item, response)`` extracts the answer, asks the item's family whether it is right, adds the
detail (partial-credit) score, and prices it with RewardMap's shape::

    reward = weight * (format + correct + 0.5 * detail)      format, correct in {0, 1}; detail in [0, 1]

(for a route answer ``correct`` in the reward is ``correct * efficiency``, the cheapest route's cost over
the answer's: a valid detour counts for the accuracy but earns clearly less), so a fully right,
well-formatted answer earns ``2.5 * weight`` and the RL reward and the benchmark
accuracy are two views of the same :class:`ScoreBreakdown`. Differences from the released RewardMap
code, on purpose: correctness is worth 1 (not 10) next to an explicit format term; the Counting1
detail (listed intermediate stops) is actually added; the planning leg-count penalty starts *after*
the reference's leg count (the released off-by-one also penalised correct routes).

Example (``_demo`` is a TorF1 row and its family; ``score`` finds the family by the row's type):
    >>> from mapkit.scoring.score import _demo
    >>> item, fam = _demo()
    >>> b = score(item, r"They share Red Line, so \\boxed{yes}.", family=fam)
    >>> b.correct, b.format_ok, b.reward
    (True, True, 2.5)
    >>> score(item, "The answer is yes.", family=fam).reward   # right, but not boxed: no format point
    1.5
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mapkit.answers.checks import Given, stops_detail
from mapkit.answers.extract import extract_answer
from mapkit.difficulty import ACCURACY_WEIGHT, CITY_LEVELS, MAP_WEIGHT
from mapkit.errors import ItemError, MapkitError
from mapkit.graph.model import MetroGraph
from mapkit.questions.base import LEVELS
from mapkit.questions.registry import get_family

__all__ = [
    "DETAIL_SCALE",
    "ScoreBreakdown",
    "accuracy_weight",
    "item_weight",
    "max_reward",
    "score",
    "stops_detail",
    "weighted_accuracy",
]

FORMAT_SCALE = 1.0
CORRECT_SCALE = 1.0
DETAIL_SCALE = 0.5
"""R = W * (FORMAT_SCALE*format + CORRECT_SCALE*correct + DETAIL_SCALE*detail) (RewardMap's shape)."""

ROUTE_TYPES = frozenset({"planning"})
"""Item types whose answer is a route (their weights follow ReasonMap's planning rules)."""

_CITY_LEVEL = {level: i for i, level in enumerate(CITY_LEVELS)}
_QUESTION_LEVEL = {level: i for i, level in enumerate(LEVELS)}


@dataclass(frozen=True)
class ScoreBreakdown:
    """Everything :func:`score` decided about one response; ``reward`` and ``accuracy`` are views.

    ``accuracy`` is 1.0/0.0 (the benchmark's per-item accuracy); ``accuracy_weight`` its weight in
    the weighted accuracy; ``optimal`` is set for route answers; ``sub_scores`` are the named parts
    of ``detail`` (route answers, Counting1 stops).
    """

    id: str
    type: str
    format_ok: bool
    extracted: str | None
    correct: bool
    detail: float
    weight: float
    reward: float
    accuracy: float
    accuracy_weight: float = 1.0
    difficulty_city: str = ""
    optimal: bool | None = None
    method: str = "none"
    sub_scores: tuple[tuple[str, float], ...] = ()
    notes: tuple[str, ...] = field(default=())
    efficiency: float | None = None
    """Route answers: the cheapest route's cost over this route's (1.0 optimal, 0.0 invalid); the
    reward's correctness term is ``correct * efficiency``, the accuracy stays ReasonMap's validity."""

    @property
    def credit(self) -> float:
        """The reward's correctness term: 1/0, or for a route ``correct * efficiency``."""
        if self.efficiency is None:
            return float(self.correct)
        return float(self.correct) * self.efficiency

    @property
    def components(self) -> dict[str, float]:
        """The unweighted reward terms, for logging: format, correct (the credit), detail."""
        return {"format": float(self.format_ok), "correct": self.credit, "detail": self.detail}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready row (the ``--out`` breakdown file of ``mapkit score``).

        >>> ScoreBreakdown("x", "TorF1", True, "yes", True, 1.0, 1.0, 2.5, 1.0).to_dict()["reward"]
        2.5
        """
        return {
            "id": self.id,
            "type": self.type,
            "difficulty_city": self.difficulty_city,
            "format_ok": self.format_ok,
            "method": self.method,
            "extracted": self.extracted,
            "correct": self.correct,
            "optimal": self.optimal,
            "detail": self.detail,
            "sub_scores": dict(self.sub_scores),
            "weight": self.weight,
            "reward": self.reward,
            "accuracy": self.accuracy,
            "accuracy_weight": self.accuracy_weight,
            "efficiency": self.efficiency,
            "notes": list(self.notes),
        }


def max_reward(weight: float) -> float:
    """The reward of a fully right, well-formatted answer with full detail: ``2.5 * weight``.

    >>> max_reward(1.5)
    3.75
    """
    return weight * (FORMAT_SCALE + CORRECT_SCALE + DETAIL_SCALE)


def item_weight(item: Mapping[str, Any]) -> float:
    """RewardMap's W = W_map + W_question: the stored ``weight``, else recomputed from the row.

    >>> item_weight({"difficulty_city": "hard", "type": "planning", "question_transfer_count": 1})
    2.0
    """
    w = item.get("weight")
    if isinstance(w, (int, float)) and not isinstance(w, bool):
        return float(w)
    level = str(item.get("difficulty_city") or "easy")
    base = MAP_WEIGHT.get(level, 1.0)
    if _is_route(item) and int(item.get("question_transfer_count") or 0) > 0:
        base += 0.5
    return base


def accuracy_weight(item: Mapping[str, Any]) -> float:
    """The item's weight in the benchmark's weighted accuracy.

    ReasonMap-Plus (and every non-route type): easy 1.0, middle 1.5, hard 2.0 by ``difficulty_city``.
    Route planning: ReasonMap's matrix ``1 + 0.5 * (question level + map level)``, levels 0/1/2 (the
    same numbers when the question is easy).

    >>> accuracy_weight({"type": "TorF1", "difficulty_city": "middle"})
    1.5
    >>> accuracy_weight({"type": "planning", "difficulty_city": "hard", "difficulty_question": "medium"})
    2.5
    """
    city = str(item.get("difficulty_city") or "easy")
    if _is_route(item):
        q = _QUESTION_LEVEL.get(str(item.get("difficulty_question") or "easy"), 0)
        return 1.0 + 0.5 * (q + _CITY_LEVEL.get(city, 0))
    return ACCURACY_WEIGHT.get(city, 1.0)


def weighted_accuracy(breakdowns: Iterable[ScoreBreakdown], items: Iterable[Mapping[str, Any]] | None = None) -> float:
    """Σ w·correct / Σ w over items (weights from ``items`` when given, else from the breakdowns).

    >>> bs = [ScoreBreakdown("a", "TorF1", True, "yes", True, 1, 1, 2.5, 1.0, accuracy_weight=2.0),
    ...       ScoreBreakdown("b", "TorF1", True, "no", False, 0, 1, 1.0, 0.0, accuracy_weight=1.0)]
    >>> round(weighted_accuracy(bs), 4)
    0.6667
    """
    bs = list(breakdowns)
    weights = [accuracy_weight(it) for it in items] if items is not None else [b.accuracy_weight for b in bs]
    if len(weights) != len(bs):
        raise ValueError(f"{len(bs)} breakdowns but {len(weights)} items")
    total = sum(weights)
    return sum(w * b.accuracy for w, b in zip(weights, bs)) / total if total else 0.0


# --- the scoring path ---------------------------------------------------------------------------


def _is_route(item: Mapping[str, Any]) -> bool:
    return str(item.get("type")) in ROUTE_TYPES


def _notes(raw: Any) -> tuple[str, ...]:
    if not raw:
        return ()
    if isinstance(raw, str):
        return (raw,)
    return tuple(str(n) for n in raw if n)


def score(
    item: Mapping[str, Any],
    response: str | None,
    *,
    graph: MetroGraph | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    require_optimal: bool = False,
    family: Any = None,
) -> ScoreBreakdown:
    """Score one response to one item (a pure function of the two, plus the city graph for routes).

    * ``graph``: the item's city graph (route answers); loaded from ``city_ref`` and cached otherwise.
    * ``require_optimal``: a valid but non-optimal route is *not* correct (default: it is, as in the
      published accuracy; a detour then earns the correctness term times its efficiency, best cost / route cost).
    * ``family``: a family object to use instead of the registry's (custom or test families): its
      ``check(item, extracted, given)``, and ``extract``/``checks_unanswered`` when it has them.

    The family decides correctness and detail (:class:`mapkit.answers.Correctness`); this adds the
    format term and the weight.

    Raises :class:`ItemError` when the item's type has no registered family.

    >>> from mapkit.scoring.score import _demo
    >>> item, fam = _demo()
    >>> b = score(item, r"\\boxed{maybe}", family=fam)
    >>> b.correct, b.format_ok, b.reward
    (False, True, 1.0)
    """
    if not isinstance(item, Mapping):
        raise ItemError("an item must be a JSON object (a dict).")
    kind = str(item.get("type") or "")
    if not kind:
        raise ItemError("the item has no 'type', so its question family is unknown.")
    text = response if isinstance(response, str) else ""
    fam = family if family is not None else _family(kind)  # an unknown type fails even with no answer
    ex = getattr(fam, "extract", extract_answer)(text)
    notes = list(ex.notes)
    format_ok = ex.format_ok
    res = None
    if ex.text is not None or getattr(fam, "checks_unanswered", False):
        res = fam.check(dict(item), ex.text, Given(text, graph, data_dir))
    correct = bool(getattr(res, "correct", False))
    detail = float(getattr(res, "detail", 1.0 if correct else 0.0) or 0.0)
    optimal: bool | None = getattr(res, "optimal", None)
    subs: tuple[tuple[str, float], ...] = tuple(getattr(res, "sub_scores", ()))
    notes += _notes(getattr(res, "notes", ()))
    format_note = getattr(res, "format_note", "")
    if format_ok and format_note:
        format_ok = False
        notes.append(format_note)
    if require_optimal and correct and optimal is False:
        correct = False
        notes.append("not optimal, and optimality is required")
    efficiency: float | None = None
    if _is_route(item):
        # a detour is a valid route (ReasonMap's accuracy counts it) but earns the correctness term
        # only in proportion to its efficiency, so RL sees the cost of every extra stop and change
        efficiency = dict(subs).get("optimal", 1.0) if correct else 0.0
    detail = max(0.0, min(1.0, detail))
    weight = item_weight(item)
    credit = float(correct) if efficiency is None else float(correct) * efficiency
    reward = weight * (FORMAT_SCALE * format_ok + CORRECT_SCALE * credit + DETAIL_SCALE * detail)
    return ScoreBreakdown(
        id=str(item.get("id", "")),
        type=kind,
        format_ok=bool(format_ok),
        extracted=ex.text,
        correct=bool(correct),
        detail=round(detail, 6),
        weight=weight,
        reward=round(reward, 6),
        accuracy=1.0 if correct else 0.0,
        accuracy_weight=accuracy_weight(item),
        difficulty_city=str(item.get("difficulty_city") or ""),
        optimal=optimal,
        method=ex.method,
        sub_scores=subs,
        notes=tuple(dict.fromkeys(n for n in notes if n)),
        efficiency=None if efficiency is None else round(efficiency, 6),
    )


def _family(kind: str) -> Any:
    try:
        return get_family(kind)
    except MapkitError as e:
        raise ItemError(f"cannot score type {kind!r}: {e.message}") from None


def _demo() -> tuple[dict[str, Any], Any]:
    """A TorF1 row and its family (doctests and docs)."""
    item = {
        "id": "toyville:TorF1:0:0",
        "type": "TorF1",
        "difficulty_city": "easy",
        "weight": 1.0,
        "answer": 1,
        "answer_text": "yes",
        "mapkit": {"gold": {}},
    }
    return item, get_family("TorF1")
