"""Evaluate a file of model responses against a file of items: :func:`score_file`.

Items are canonical JSONL rows; responses are JSONL ``{"id": ..., "response": ...}``. Every item is
scored with :func:`mapkit.scoring.score` (the same path as the RL reward); an item without a
response counts as wrong; responses whose id is not an item are reported, never scored; a repeated
response id keeps its first response and is reported.

Example:
    >>> import json, pathlib, tempfile
    >>> from mapkit.scoring.score import _demo
    >>> item, fam = _demo()
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "items.jsonl").write_text(json.dumps(item) + "\\n")
    >>> _ = (d / "resp.jsonl").write_text(json.dumps({"id": item["id"], "response": "\\\\boxed{yes}"}) + "\\n")
    >>> report = score_file(d / "items.jsonl", d / "resp.jsonl", family=fam)
    >>> report.summary["accuracy"], report.summary["weighted_accuracy"], report.missing
    (1.0, 1.0, [])
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from mapkit.errors import DataFileError, EmptyResultError, MapkitError
from mapkit.io import read_jsonl, write_jsonl
from mapkit.scoring.score import ScoreBreakdown, accuracy_weight, item_weight, score, weighted_accuracy

__all__ = ["ScoreReport", "score_file", "summarize"]


def summarize(rows: Iterable[ScoreBreakdown]) -> dict[str, Any]:
    """Counts and means of a group of breakdowns: n, correct, accuracy, weighted accuracy, reward, format.

    >>> summarize([])["n"]
    0
    """
    rs = list(rows)
    n = len(rs)
    return {
        "n": n,
        "correct": sum(b.correct for b in rs),
        "accuracy": round(sum(b.accuracy for b in rs) / n, 6) if n else 0.0,
        "weighted_accuracy": round(weighted_accuracy(rs), 6),
        "mean_reward": round(sum(b.reward for b in rs) / n, 6) if n else 0.0,
        "format_rate": round(sum(b.format_ok for b in rs) / n, 6) if n else 0.0,
        "mean_detail": round(sum(b.detail for b in rs) / n, 6) if n else 0.0,
    }


@dataclass
class ScoreReport:
    """The result of :func:`score_file`: one breakdown per item plus what did not line up."""

    rows: list[ScoreBreakdown]
    missing: list[str] = field(default_factory=list)
    """Item ids with no response (scored as wrong)."""
    unknown: list[str] = field(default_factory=list)
    """Response ids that match no item (not scored)."""
    duplicates: list[str] = field(default_factory=list)
    """Response ids given more than once (the first response is scored)."""
    errors: list[tuple[str, str]] = field(default_factory=list)
    """(item id, message) for items that could not be scored at all (counted as wrong)."""

    @property
    def summary(self) -> dict[str, Any]:
        """Overall numbers (see :func:`summarize`)."""
        return summarize(self.rows)

    def by(self, key: str) -> dict[str, dict[str, Any]]:
        """Summaries per ``type`` or ``difficulty_city`` (any :class:`ScoreBreakdown` attribute)."""
        groups: dict[str, list[ScoreBreakdown]] = defaultdict(list)
        for b in self.rows:
            groups[str(getattr(b, key))].append(b)
        return {k: summarize(v) for k, v in groups.items()}

    def to_dict(self) -> dict[str, Any]:
        """The report without the rows, JSON-ready."""
        return {
            "summary": self.summary,
            "by_type": self.by("type"),
            "by_difficulty": self.by("difficulty_city"),
            "missing": self.missing,
            "unknown": self.unknown,
            "duplicates": self.duplicates,
            "errors": [{"id": i, "error": m} for i, m in self.errors],
        }

    def write_breakdown(self, path: str | os.PathLike[str]) -> int:
        """Write one JSON row per item (``ScoreBreakdown.to_dict``) to ``path``; returns the count."""
        return write_jsonl(path, (b.to_dict() for b in self.rows))


def _load_responses(path: str | os.PathLike[str]) -> tuple[dict[str, str], list[str]]:
    out: dict[str, str] = {}
    dupes: list[str] = []
    for n, row in enumerate(read_jsonl(path), 1):
        if "id" not in row or "response" not in row:
            raise DataFileError('each line must be {"id": ..., "response": ...}.', path=path, location=f"record {n}")
        rid = str(row["id"])
        if rid in out:
            dupes.append(rid)
            continue
        resp = row["response"]
        out[rid] = resp if isinstance(resp, str) else ("" if resp is None else str(resp))
    return out, dupes


def score_file(
    items_path: str | os.PathLike[str],
    responses_path: str | os.PathLike[str],
    *,
    data_dir: str | os.PathLike[str] | None = None,
    require_optimal: bool = False,
    family: Any = None,
    allow_no_match: bool = False,
) -> ScoreReport:
    """Score every item of ``items_path`` with its response from ``responses_path``.

    ``data_dir`` is where route answers' city graphs are loaded from (default: ``$MAPKIT_DATA``, the
    user cache); ``require_optimal`` and ``family`` are passed to :func:`mapkit.scoring.score`.

    When no response id matches an item (or either file has no rows) the scores would say nothing but
    "every id is wrong": that raises :class:`~mapkit.errors.EmptyResultError` unless ``allow_no_match``.
    """
    responses, dupes = _load_responses(responses_path)
    seen: set[str] = set()
    rows: list[ScoreBreakdown] = []
    missing: list[str] = []
    errors: list[tuple[str, str]] = []
    for item in read_jsonl(items_path):
        iid = str(item.get("id", ""))
        seen.add(iid)
        response = responses.get(iid)
        if response is None:
            missing.append(iid)
        try:
            b = score(item, response or "", data_dir=data_dir, require_optimal=require_optimal, family=family)
        except MapkitError as e:
            errors.append((iid, e.message))
            b = ScoreBreakdown(
                id=iid, type=str(item.get("type", "")), format_ok=False, extracted=None, correct=False,
                detail=0.0, weight=item_weight(item), reward=0.0, accuracy=0.0,
                accuracy_weight=accuracy_weight(item), difficulty_city=str(item.get("difficulty_city") or ""),
                notes=(f"not scored: {e.message}",),
            )  # fmt: skip
        if response is None:
            b = replace(b, notes=("no response", *b.notes))
        rows.append(b)
    unknown = [rid for rid in responses if rid not in seen]
    if not allow_no_match and len(missing) == len(rows):
        if not rows:
            why = f"{items_path} has no items"
        elif not responses:
            why = f"{responses_path} has no responses"
        else:
            shown = ", ".join(repr(r) for r in unknown[:3])
            why = (f"none of the {len(responses):,} response ids matches one of the {len(rows):,} item ids "
                   f"(responses have {shown}{' ...' if len(unknown) > 3 else ''}; items have {rows[0].id!r} ...)")
        raise EmptyResultError(
            f"nothing to score: {why}.",
            hint="Check that the responses answer these items (same `id` values), or pass --allow-no-match "
            "to score every item as unanswered.",
        )
    return ScoreReport(rows, missing, unknown, sorted(set(dupes)), errors)
