"""The value types of a planned route, shared by the reference search and the route oracle.

Example:
    >>> r = Route((Leg("red", "a", "c", ("b",)), Leg("blue", "c", "g")))
    >>> str(r), r.transfers, r.stops, r.cost()
    ('red: a -> c (via b) | blue: c -> g', 1, 3, 6.0)
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_TRANSFER_COST", "Leg", "Route"]

DEFAULT_TRANSFER_COST = 3.0
"""A change of train costs as much as riding three stops (documented in docs/graph.md)."""


@dataclass(frozen=True)
class Leg:
    """One ride: ``line`` id from ``start`` to ``end`` (station ids), ``via`` the stops in between."""

    line: str
    start: str
    end: str
    via: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {"line": self.line, "from": self.start, "to": self.end, "via": list(self.via)}

    @classmethod
    def from_dict(cls, d: dict[str, object]) -> Leg:
        return cls(str(d["line"]), str(d["from"]), str(d["to"]), tuple(d.get("via", ())))  # type: ignore[arg-type]


@dataclass(frozen=True)
class Route:
    """A sequence of legs; ``transfers`` = legs - 1, ``stops`` = stations ridden past or to."""

    legs: tuple[Leg, ...]

    @property
    def transfers(self) -> int:
        return len(self.legs) - 1

    @property
    def stops(self) -> int:
        return sum(len(leg.via) + 1 for leg in self.legs)

    def cost(self, transfer_cost: float = DEFAULT_TRANSFER_COST) -> float:
        return self.stops + transfer_cost * self.transfers

    def __str__(self) -> str:
        parts = []
        for leg in self.legs:
            via = f" (via {', '.join(leg.via)})" if leg.via else ""
            parts.append(f"{leg.line}: {leg.start} -> {leg.end}{via}")
        return " | ".join(parts)

    def to_dict(self) -> dict[str, object]:
        return {"legs": [leg.to_dict() for leg in self.legs]}
