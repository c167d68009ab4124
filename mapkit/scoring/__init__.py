"""One scoring path for evaluation and the RL reward (docs/scoring.md).

* :func:`score` -> :class:`ScoreBreakdown` (format, extracted answer, correctness, detail, weight,
  reward, accuracy); :func:`weighted_accuracy` is the benchmark's view of many breakdowns;
* each item's family decides correctness and detail (its ``check``, built from :mod:`mapkit.answers`:
  extraction, normalisation, route verification); this package adds the format term and the weight;
* adapters: :func:`trl_reward` (TRL ``GRPOTrainer``), :func:`mapkit.scoring.verl.compute_score`.

Example:
    >>> from mapkit.scoring import extract_answer
    >>> extract_answer(r"... so \\boxed{C}").text
    'C'
"""

from __future__ import annotations

from mapkit.answers.extract import Extraction, extract_answer, listed_stops
from mapkit.answers.routes import RouteCheck, check_route, format_route_answer, parse_route
from mapkit.scoring.score import (
    ScoreBreakdown,
    accuracy_weight,
    item_weight,
    max_reward,
    score,
    stops_detail,
    weighted_accuracy,
)
from mapkit.scoring.trl import make_trl_reward, trl_reward

__all__ = [
    "Extraction",
    "RouteCheck",
    "ScoreBreakdown",
    "accuracy_weight",
    "check_route",
    "extract_answer",
    "format_route_answer",
    "item_weight",
    "listed_stops",
    "make_trl_reward",
    "max_reward",
    "parse_route",
    "score",
    "stops_detail",
    "trl_reward",
    "weighted_accuracy",
]
