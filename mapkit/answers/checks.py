"""Correctness: what a family's ``check`` returns, what it is given, and the checks several families share.

A question family's ``check(item, extracted, given)`` decides whether an extracted answer is right and
how much partial credit (``detail``) it earns; :func:`mapkit.scoring.score` only composes that verdict
with the format term and the weight. ``extracted`` is ``None`` when nothing was extracted (a family
that grades more than the extracted answer, such as Counting1's listed stops, still gets called);
``given`` carries the whole response and the city graph for the families that need them.

* :class:`Correctness` - the verdict (correct, detail, notes; optional optimality, named sub-scores,
  and a ``format_note`` when the answer is not in the form the question asks for);
* :class:`Given` - what the scorer knows beyond the extracted answer;
* :func:`check_count`, :func:`check_yes_no`, :func:`check_list` - the integer, yes/no and list checks of
  several families;
* :func:`stops_detail` - Counting1's listed-stops partial credit.

Example:
    >>> check_count({"answer": 3, "answer_text": "3"}, "three")
    Correctness(correct=True, detail=1.0, notes='')
    >>> check_yes_no({"answer_text": "no"}, "Yes").notes
    'expected no'
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mapkit.answers.normalize import match_line_list, name_index, parse_int, parse_yes_no
from mapkit.graph.model import MetroGraph

__all__ = ["Correctness", "Given", "check_count", "check_list", "check_yes_no", "stops_detail"]


@dataclass(frozen=True)
class Correctness:
    """How an extracted answer compares with an item's gold.

    ``correct``: the answer is right; ``detail`` in [0, 1]: partial credit (1.0 when correct);
    ``notes``: a short human-readable reason (or several). The rest is set by families that know more:
    ``optimal`` (route answers), ``sub_scores`` (the named parts of ``detail``) and ``format_note``
    (non-empty: the answer is not in the form asked for, which costs the format point).

    >>> Correctness(True, 1.0).correct
    True
    """

    correct: bool
    detail: float
    notes: str | tuple[str, ...] = ""
    optimal: bool | None = field(default=None, repr=False)
    sub_scores: tuple[tuple[str, float], ...] = field(default=(), repr=False)
    format_note: str = field(default="", repr=False)


@dataclass(frozen=True)
class Given:
    """What the scorer knows besides the extracted answer: the whole ``response``, the city ``graph``
    (when the caller has it) and the ``data_dir`` to load it from otherwise."""

    response: str = ""
    graph: MetroGraph | None = None
    data_dir: str | os.PathLike[str] | None = None


def check_count(item: Mapping[str, Any], extracted: str | None, given: Given | None = None) -> Correctness:
    """An integer answer: correct when equal; detail = 1 - relative error (floored at 0)."""
    want = item["answer"] if isinstance(item.get("answer"), int) else int(item["answer_text"])
    got = parse_int(extracted)
    if got is None:
        return Correctness(False, 0.0, "no number found")
    if got == want:
        return Correctness(True, 1.0)
    return Correctness(False, max(0.0, 1.0 - abs(got - want) / max(want, 1)), f"said {got}, expected {want}")


def check_yes_no(item: Mapping[str, Any], extracted: str | None, given: Given | None = None) -> Correctness:
    """yes/no (true/false, 是/否) against the row's ``answer_text``."""
    got = parse_yes_no(extracted)
    if got is None:
        return Correctness(False, 0.0, "neither yes nor no")
    want = item["answer_text"] == "yes"
    return Correctness(True, 1.0) if got == want else Correctness(False, 0.0, f"expected {item['answer_text']}")


def check_list(
    item: Mapping[str, Any], extracted: str | None, ids: Sequence[str], names: Mapping[str, Sequence[str]],
    *, kind: str = "line",
) -> Correctness:
    """A list answer in any order: right when it names exactly ``ids`` (``names``: id -> accepted names);
    an unrecognised or repeated item costs; detail = F1 (:func:`~mapkit.answers.normalize.match_line_list`)."""
    m = match_line_list(extracted, ids, names, kind=kind)
    if m.correct:
        return Correctness(True, 1.0)
    return Correctness(False, round(m.detail, 4), "; ".join((f"expected {item['answer_text']}", *m.notes)))


def stops_detail(listed: Sequence[str] | None, gold: Mapping[str, Sequence[str]]) -> tuple[float, str]:
    """Counting1's detail: RewardMap's +0.5 per right stop, -0.5 per wrong or repeated one, in [0, 1].

    Normalised by the number of gold stops and clipped; an empty list is right only when the two
    stations are adjacent.

    >>> gold = {"b": ["B Station"], "c": ["C Station"]}
    >>> stops_detail(["B", "C Station"], gold)[0], stops_detail(["B", "B", "X"], gold)[0]
    (1.0, 0.0)
    >>> stops_detail(["C"], gold)[0]
    0.5
    """
    if listed is None:
        return 0.0, "no 'Stops: [...]' list of intermediate stops"
    if not gold:
        return (1.0, "") if not listed else (0.0, "stops listed, but the stations are adjacent")
    seen: set[str] = set()
    hits = wrong = 0
    index = name_index(gold)
    for name in listed:
        ids = index.resolve(name)
        if len(ids) == 1 and ids[0] not in seen:
            seen.add(ids[0])
            hits += 1
        else:
            wrong += 1
    value = max(0.0, min(1.0, (hits - wrong) / len(gold)))
    note = "" if value == 1.0 else f"stops listed: {hits} of {len(gold)} right, {wrong} wrong or repeated"
    return value, note
