"""What validation found: one :class:`Disagreement` per problem, gathered into a :class:`ValidationReport`.

Example:
    >>> rep = ValidationReport(path="items.jsonl", format="mapkit")
    >>> out = Collector(rep)
    >>> out.add("x", 3, "answer", 2, 1, "recomputed")
    >>> rep.problems, rep.disagreements[0].field
    (1, 'answer')
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MAX_LISTED", "Collector", "Disagreement", "Problem", "ValidationReport"]

MAX_LISTED = 10_000
"""Disagreements kept in a report (all are counted)."""

Problem = tuple[str, Any, Any, str]
"""What a check returns per problem: ``(field, expected, stored, why)``."""


@dataclass(frozen=True)
class Disagreement:
    """One problem: item ``id`` (line ``line`` of the file), ``field``, ``expected`` vs ``stored``, ``why``."""

    id: str
    line: int
    field: str
    expected: Any
    stored: Any
    why: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "line": self.line, "field": self.field, "expected": self.expected,
            "stored": self.stored, "why": self.why,
        }  # fmt: skip


@dataclass
class ValidationReport:
    """The outcome of :func:`mapkit.validate.validate_items`; ``ok`` when every row agrees with the graph."""

    path: str
    format: str
    total: int = 0
    agreeing: int = 0
    failing: int = 0
    by_type: Counter[str] = field(default_factory=Counter)
    failing_by_type: Counter[str] = field(default_factory=Counter)
    disagreements: list[Disagreement] = field(default_factory=list)
    problems: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.failing == 0 and self.total > 0

    @property
    def items_per_second(self) -> float:
        return self.total / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready report (what ``--report`` writes)."""
        return {
            "path": self.path,
            "format": self.format,
            "ok": self.ok,
            "total": self.total,
            "agreeing": self.agreeing,
            "failing": self.failing,
            "by_type": dict(self.by_type),
            "failing_by_type": dict(self.failing_by_type),
            "problems": self.problems,
            "listed": len(self.disagreements),
            "seconds": round(self.seconds, 3),
            "items_per_second": round(self.items_per_second, 1),
            "disagreements": [d.to_dict() for d in self.disagreements],
        }


class Collector:
    """Adds problems to a report and remembers whether the current row failed."""

    def __init__(self, report: ValidationReport) -> None:
        self.report = report
        self.row_failed = False

    def add(self, item_id: str, line: int, fld: str, expected: Any, stored: Any, why: str) -> None:
        self.row_failed = True
        self.report.problems += 1
        if len(self.report.disagreements) < MAX_LISTED:
            self.report.disagreements.append(Disagreement(item_id, line, fld, expected, stored, why))

    def extend(self, item_id: str, line: int, problems: list[Problem]) -> None:
        for fld, expected, stored, why in problems:
            self.add(item_id, line, fld, expected, stored, why)
