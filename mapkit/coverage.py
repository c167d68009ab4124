"""Map coverage: how much of each real map image the curated graph holds, and which families that allows.

``mapkit/sources/coverage.yaml`` (schema ``schemas/coverage.schema.json``) records, per city with a
real map image, what a station-by-station look at the image found: lines and stations on the map,
``status`` (``complete``: every line and station drawn is in the graph), what the graph still lacks,
and the printed names of every line and station the graph must keep (the coverage tests pin them).

Families whose gold depends on the graph holding *every* line (how many lines, which lines serve a
station, is a station on a line, terminals, how many stations a line has, which line connects two
stations) are not asked where the graph is known incomplete: a missing line would make their answer
wrong for a reader of the map. A complete city may still list families under ``not_asked`` when the
map allows two readings (e.g. a legend that lists a branch as its own line). Only ReasonMap graphs are
gated: a user's own city file or a synthetic city is complete by construction.

Example:
    >>> from mapkit.graph import toy_city
    >>> not_asked(toy_city())
    {}
    >>> sorted(load_coverage()["kl"].lines)[:3]
    ['Line 1', 'Line 10', 'Line 11']
    >>> load_coverage()["dubai"].status
    'incomplete'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from mapkit.graph.model import MetroGraph
from mapkit.schemas import validate_document

COVERAGE_PATH = Path(str(resources.files("mapkit.sources").joinpath("coverage.yaml")))

COMPLETENESS_FAMILIES = (
    "Counting2", "Counting3", "TorF1", "TorF2", "lines_at", "terminals", "line_stations_count", "connecting_line",
)
"""Families whose answer changes when the graph lacks a line or station that the map draws."""


@dataclass(frozen=True)
class CityCoverage:
    """One city's map review (see the module docstring)."""

    city: str
    map: str
    status: str
    lines_on_map: int
    stations_on_map: int
    stations_basis: str
    note: str
    missing: tuple[str, ...]
    not_modelled: tuple[str, ...]
    not_asked: Mapping[str, str]
    lines: Mapping[str, tuple[str, ...]]

    @property
    def complete(self) -> bool:
        return self.status == "complete"


@cache
def load_coverage() -> dict[str, CityCoverage]:
    """city -> :class:`CityCoverage`, from the schema-checked ``coverage.yaml`` shipped with mapkit."""
    doc: dict[str, Any] = yaml.load(COVERAGE_PATH.read_text(encoding="utf-8"), Loader=yaml.SafeLoader) or {}
    validate_document(doc, "coverage", source=COVERAGE_PATH)
    return {
        city: CityCoverage(
            city=city, map=d["map"], status=d["status"], lines_on_map=d["lines_on_map"],
            stations_on_map=d["stations_on_map"], stations_basis=d["stations_basis"], note=d["note"],
            missing=tuple(d["missing"]), not_modelled=tuple(d["not_modelled"]),
            not_asked=dict(d.get("not_asked", {})),
            lines={ln: tuple(names) for ln, names in d["lines"].items()},
        )
        for city, d in doc.items()
    }


UNCHECKED_GAPS = {
    "auckland": "no Onehunga Line",
    "hangzhou": "Line 6 lacks its Fuyang arm",
}
"""Gaps that a city's curation notes record but no shipped map image can confirm (so nothing is gated)."""


def known_gaps() -> dict[str, str]:
    """city -> what its graph lacks: the incomplete real-map cities, then :data:`UNCHECKED_GAPS`.

    >>> known_gaps()["auckland"], "singapore" in known_gaps()
    ('no Onehunga Line', False)
    """
    out = {c: "; ".join(cov.missing) for c, cov in load_coverage().items() if not cov.complete}
    return {**out, **UNCHECKED_GAPS}


def coverage_of(g: MetroGraph) -> CityCoverage | None:
    """The map review of a ReasonMap graph, or ``None`` (no real image, or not a ReasonMap city)."""
    if not str(g.source).startswith("reasonmap:"):
        return None
    return load_coverage().get(g.city)


def not_asked(g: MetroGraph) -> dict[str, str]:
    """family -> why it is not asked about ``g`` (empty when every family may be asked)."""
    cov = coverage_of(g)
    if cov is None:
        return {}
    out = dict(cov.not_asked)
    if not cov.complete:
        why = (
            f"the graph lacks what the map draws ({cov.lines_on_map} lines on the map, {len(g.lines)} in the"
            " graph; see mapkit/sources/coverage.yaml)"
        )
        out.update(dict.fromkeys(COMPLETENESS_FAMILIES, why))
    return out


def gate_capacities(
    loaded: Iterable[tuple[str, MetroGraph]], capacity: MutableMapping[str, MutableMapping[str, int | None]]
) -> dict[tuple[str, str], str]:
    """Zero the capacity of every (city ref, family) that is not asked; returns them with the reason.

    The generation planner calls this once: a zero capacity makes the ReasonMap-Plus preset move the
    quota to other cities of the same split, and the summary lists what was not asked.
    """
    gated: dict[tuple[str, str], str] = {}
    for ref, g in loaded:
        for family, why in not_asked(g).items():
            if family in capacity[ref]:
                capacity[ref][family] = 0
                gated[(ref, family)] = why
    return gated


def not_asked_notes(entries: Iterable[Any]) -> list[str]:
    """One line per city and reason for the plan entries (``city``, ``family``, ``not_asked``) left out.

    >>> from types import SimpleNamespace as E
    >>> not_asked_notes([E(city="x", family="TorF1", not_asked="why"), E(city="x", family="Counting3", not_asked="why"),
    ...                  E(city="y", family="TorF1", not_asked=None)])
    ['x: TorF1, Counting3 (why)']
    """
    grouped: dict[tuple[str, str], list[str]] = {}
    for e in entries:
        if e.not_asked:
            grouped.setdefault((e.city, e.not_asked), []).append(e.family)
    return [f"{city}: {', '.join(fams)} ({why})" for (city, why), fams in grouped.items()]


def lost_from_map(g: MetroGraph, cov: CityCoverage) -> list[str]:
    """What ``cov`` says the graph must hold but ``g`` does not (lines, then stations per line)."""
    problems = []
    by_name = {ln.name: ln for ln in g.lines.values()}
    for line, names in cov.lines.items():
        ln = by_name.get(line)
        if ln is None:
            problems.append(f"line {line!r} is gone")
            continue
        have = {g.stations[s].name for s in ln.station_ids}
        problems += [f"{line!r} lost station {n!r}" for n in names if n not in have]
    return problems
