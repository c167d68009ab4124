"""What reviewers said, checked against the graph: per annotation, per item, and agreement figures.

Pure functions over an export (a list of Label Studio task dicts), so ``pull`` and ``status`` share them.

Each annotation (skips - ``was_cancelled`` - are counted and otherwise ignored) is first validated
against the project's config on the client (:func:`validate_result`, the SDK's ``LabelInterface``:
the server accepts unknown choices and controls). A valid one gets one **label**:

* ``ambiguous`` - the verdict is *ambiguous*;
* ``agrees`` - the verdict is *valid* and the answer is right by the graph;
* ``disagrees`` - the verdict is *wrong* (the question is wrong), or the answer differs from the graph's.

"Right by the graph" is decided by the scoring code against the graph's truth as ``mapkit validate``
recomputes it (:func:`mapkit.annotations.items.graph_truth`): the family's ``check``
(:func:`mapkit.questions.registry.check`; routes are verified on the graph) for canonical items, the integer answer for
ReasonMap-Plus rows. So a reviewer's "Line 2, Line 4" agrees with a gold "Line 4, Line 2" exactly when a
model's answer would.

**Resolution rule** (several annotators): an item takes the label that a strict majority of its valid
annotations carry; with no strict majority it is a ``conflict`` (listed with every answer, for a person
to adjudicate). No valid annotation: ``unreviewed``. A ``disagrees`` or ``conflict`` item names both
suspects: the item (its id, stored and graph answers) and the graph (the curation file line to look at,
:func:`curation_ref`).

Agreement figures (:func:`agreement`): over items with at least two valid annotations, the share whose
annotations all carry one label, and pairwise agreement (agreeing annotation pairs / all pairs).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import parse_qs, urlsplit

from mapkit.annotations.configs import ANSWER_CONTROLS
from mapkit.annotations.items import Row, Truth

from mapkit.errors import AnnotationError, MapkitError
from mapkit.graph.model import MetroGraph

__all__ = [
    "LABELS",
    "STATUSES",
    "HumanAnswer",
    "agreement",
    "check_answer",
    "curation_ref",
    "human_answer",
    "resolve",
    "resolve_image",
    "validate_result",
]

LABELS = ("agrees", "disagrees", "ambiguous")
STATUSES = ("agrees", "disagrees", "ambiguous", "conflict", "unreviewed")


@dataclass(frozen=True)
class HumanAnswer:
    """One annotation read back: ``answer`` (text as the reviewer wrote it, ``None`` if empty),
    ``verdict``, ``comment``."""

    answer: str | None
    verdict: str | None
    comment: str


def validate_result(interface: Any, result: Sequence[Mapping[str, Any]]) -> list[str]:
    """Problems of an annotation's ``result`` against the config (``LabelInterface``); empty when valid.

    Per-region text (``perRegion`` boxes) is checked by the SDK too; an empty result is a problem.
    """
    if not result:
        return ["the annotation has no result"]
    try:
        errors = interface.validate_prediction({"result": list(result)}, return_errors=True)
    except Exception as e:  # the SDK raises on shapes it cannot read at all
        return [f"unreadable result: {type(e).__name__}: {e}"]
    return [str(e) for e in (errors or [])] if errors is not True else []


def human_answer(result: Sequence[Mapping[str, Any]], kind: str) -> HumanAnswer:
    """The answer (from the control of ``kind``), the verdict and the comment of one annotation.

    >>> r = [{"from_name": "answer_yesno", "type": "choices", "value": {"choices": ["no"]}},
    ...      {"from_name": "verdict", "type": "choices", "value": {"choices": ["valid"]}}]
    >>> human_answer(r, "yesno")
    HumanAnswer(answer='no', verdict='valid', comment='')
    """
    control = ANSWER_CONTROLS[kind]
    answer = verdict = None
    comment = ""
    for res in result:
        name, value = res.get("from_name"), res.get("value") or {}
        if name == control:
            if "choices" in value and value["choices"]:
                answer = str(value["choices"][0])
            elif "number" in value and value["number"] is not None:
                answer = str(int(value["number"])) if float(value["number"]).is_integer() else str(value["number"])
            elif value.get("text"):
                answer = "\n".join(str(t) for t in value["text"]).strip() or None
        elif name == "verdict" and value.get("choices"):
            verdict = str(value["choices"][0])
        elif name == "comment" and value.get("text"):
            comment = "\n".join(str(t) for t in value["text"]).strip()
    return HumanAnswer(answer, verdict, comment)


def _plus_value(kind: str, text: str) -> int | None:
    t = text.strip().lower()
    if kind == "yesno":
        return {"yes": 1, "no": 0}.get(t)
    if kind == "choice":
        return "abcd".index(t) if len(t) == 1 and t in "abcd" else None
    return int(t) if re.fullmatch(r"-?\d+", t) else None


def check_answer(row: Row, truth: Truth, text: str, graph: MetroGraph | None = None) -> tuple[bool, str]:
    """``(right, notes)``: is the human answer ``text`` the graph's answer? (module docstring)

    >>> row = Row("x", {"type": "TorF1", "answer": 1}, "reasonmap-plus", 1, "yesno")
    >>> check_answer(row, Truth(1, "yes", None, True), "yes"), check_answer(row, Truth(1, "yes", None, True), "no")
    ((True, ''), (False, 'the graph says yes'))
    """
    if truth.answer_text is None:
        return False, "the graph gives no answer to this question"
    if row.format != "mapkit":
        value = _plus_value(row.kind, text)
        if value is None:
            return False, f"{text!r} is not a {row.kind} answer"
        return (value == truth.answer, "" if value == truth.answer else f"the graph says {truth.answer_text}")
    item = dict(row.row)
    item["answer"], item["answer_text"] = truth.answer, truth.answer_text
    item["mapkit"] = {**row.row["mapkit"], "gold": truth.gold}
    from mapkit.answers import Given
    from mapkit.questions.registry import check

    # the scorer's own entry point: routes are verified on the graph when it is given
    c = check(item, text, Given(response=text, graph=graph))
    return c.correct, ("" if c.correct else (c.notes or f"the graph says {truth.answer_text}"))


def label_of(row: Row, truth: Truth, ans: HumanAnswer, graph: MetroGraph | None) -> tuple[str, str]:
    """The label of one valid annotation and why (see the module docstring)."""
    if ans.verdict == "ambiguous":
        return "ambiguous", ans.comment
    if ans.verdict == "wrong":
        return "disagrees", "the reviewer marked the question wrong" + (f": {ans.comment}" if ans.comment else "")
    if ans.answer is None:
        raise ValueError("no answer")
    right, notes = check_answer(row, truth, ans.answer, graph)
    return ("agrees", "") if right else ("disagrees", notes)


def resolve(labels: Sequence[str]) -> str:
    """The item's status from its annotations' labels (strict majority, else ``conflict``).

    >>> resolve([]), resolve(["agrees"]), resolve(["agrees", "agrees", "disagrees"]), resolve(["agrees", "disagrees"])
    ('unreviewed', 'agrees', 'agrees', 'conflict')
    """
    if not labels:
        return "unreviewed"
    (top, n), *_ = Counter(labels).most_common(1)
    return top if 2 * n > len(labels) else "conflict"


def agreement(per_item: Sequence[Sequence[str]]) -> dict[str, Any]:
    """Agreement figures over items with two or more labels (module docstring).

    >>> agreement([["agrees", "agrees"], ["agrees", "disagrees"], ["agrees"]])
    {'items_multi': 2, 'unanimous': 1, 'unanimous_share': 0.5, 'pairs': 2, 'pairwise_agreement': 0.5}
    """
    multi = [labels for labels in per_item if len(labels) >= 2]
    pairs = agree = 0
    for labels in multi:
        for a, b in combinations(labels, 2):
            pairs += 1
            agree += a == b
    unanimous = sum(1 for labels in multi if len(set(labels)) == 1)
    return {
        "items_multi": len(multi),
        "unanimous": unanimous,
        "unanimous_share": round(unanimous / len(multi), 4) if multi else None,
        "pairs": pairs,
        "pairwise_agreement": round(agree / pairs, 4) if pairs else None,
    }


def curation_ref(city: str, names: Sequence[str], data_dir: str | os.PathLike[str] | None = None) -> str:
    """Where to look when the graph may be wrong: ``<curation file>:<line>`` of the first line naming one
    of ``names`` (stations, lines), else the raw station list's line, else the curation file itself.

    >>> curation_ref("geneva", ["Palettes Station"]).rsplit("/", 1)[1]
    'geneva.yaml:30'
    """
    from mapkit.sources.curation_files import curation_path

    wanted = [n for n in names if n]
    cur = curation_path(city)
    candidates = [cur]
    try:
        from mapkit.data import resolve_data_dir, station_files

        raw = station_files(resolve_data_dir(data_dir)).get(city)
        if raw is not None:
            candidates.append(raw)
    except MapkitError:
        pass
    for path in candidates:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        for i, line in enumerate(lines, 1):
            if any(n in line for n in wanted):
                return f"{path}:{i}"
    return str(cur) if cur.exists() else f"(no curation file for {city})"


def resolve_image(url: str, image_root: str | os.PathLike[str]) -> Path:
    """The file behind a task's image URL (``/data/local-files/?d=<path>``), refused unless it lies inside
    ``image_root`` (an export is untrusted input: no absolute path, no ``..``, no other URL).

    >>> resolve_image("/data/local-files/?d=maps/norway/oslo.png", "/data").as_posix()
    '/data/maps/norway/oslo.png'
    >>> resolve_image("/data/local-files/?d=../etc/passwd", "/data")
    Traceback (most recent call last):
    ...
    mapkit.errors.AnnotationError: the image '/data/local-files/?d=../etc/passwd' is not a file inside /data.
    """
    root = Path(image_root)
    parts = urlsplit(url)
    d = parse_qs(parts.query).get("d", [""])[0] if parts.path == "/data/local-files/" else ""
    rel = PurePosixPath(d)
    if not d or rel.is_absolute() or ".." in rel.parts or "\\" in d or parts.scheme or parts.netloc:
        raise AnnotationError(f"the image {url!r} is not a file inside {root}.")
    target = root.joinpath(*rel.parts)
    if os.path.commonpath([os.path.abspath(target), os.path.abspath(root)]) != os.path.abspath(root):
        raise AnnotationError(f"the image {url!r} is not a file inside {root}.")
    return target
