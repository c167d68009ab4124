"""Generation presets: named plans of how many items of each type each city gets.

``reasonmap-plus`` is ReasonMap-Plus's published plan over the 30 ReasonMap cities: 35 Counting1 and
one Counting3 per city, and the published totals of Counting2 (970), TorF1 (1,039) and TorF2 (929)
spread evenly (the first cities in alphabetical order take the remainder); a city that cannot ask as
many distinct questions (Sydney has one line, so no TorF "no") passes its shortfall to the other cities
of its split, then to any city. 4,018 items over all 30 cities.

A new preset is a name in :data:`PRESETS`, its types, its default cities and a quota function here;
:func:`mapkit.generate.plan_items` asks :func:`preset_quotas`.

Example:
    >>> PRESETS, len(REASONMAP_CITIES), preset_types("reasonmap-plus")
    (('reasonmap-plus',), 30, ('Counting1', 'Counting2', 'Counting3', 'TorF1', 'TorF2'))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from mapkit.errors import ConfigError
from mapkit.questions import PLUS_TYPES
from mapkit.questions.base import split_of

__all__ = ["PRESETS", "REASONMAP_CITIES", "check_preset", "preset_cities", "preset_quotas", "preset_types",
           "reasonmap_plus_quotas"]

PRESETS = ("reasonmap-plus",)

REASONMAP_CITIES = (
    "auckland", "beijing", "budapest", "changsha", "changzhou", "dalian", "dubai", "geneva", "guiyang",
    "hangzhou", "hefei", "huhehaote", "jinan", "kl", "kunming", "lisboa", "los_angeles", "miami",
    "nanchang", "nanning", "new_york", "oslo", "rome", "shanghai", "shenzhen", "singapore", "sydney",
    "toronto", "washington", "xian",
)
"""The 30 ReasonMap cities, alphabetical (the preset's reference order)."""

PLUS_PER_CITY = {"Counting1": 35, "Counting3": 1}
"""ReasonMap-Plus types with a fixed number of items per city."""
PLUS_TOTALS = {"Counting2": 970, "TorF1": 1039, "TorF2": 929}
"""ReasonMap-Plus types with a published total over the 30 cities."""


def _even(total: int, cities: Sequence[str]) -> dict[str, int]:
    base, extra = divmod(total, len(cities))
    return {c: base + (1 if i < extra else 0) for i, c in enumerate(cities)}


def reasonmap_plus_quotas(capacity: Mapping[str, Mapping[str, int | None]]) -> dict[tuple[str, str], int]:
    """The preset's item counts per (city, type), given each city's capacity per type.

    Reference quotas are computed over the 30 ReasonMap cities (a city outside them gets an even
    share as if it were one more); each quota is capped at the city's capacity and the shortfall
    goes round-robin to cities of the same split with room, then to any city with room.

    >>> caps = {c: {t: 10**6 for t in ("Counting1", "Counting2", "Counting3", "TorF1", "TorF2")}
    ...         for c in REASONMAP_CITIES}
    >>> q = reasonmap_plus_quotas(caps)
    >>> sum(q.values()), q[("auckland", "Counting1")], q[("auckland", "Counting2")], q[("xian", "Counting2")]
    (4018, 35, 33, 32)
    """
    cities = sorted(capacity)
    ref = list(REASONMAP_CITIES)
    out: dict[tuple[str, str], int] = {}
    for t in PLUS_TYPES:
        if t in PLUS_PER_CITY:
            want = dict.fromkeys(cities, PLUS_PER_CITY[t])
        else:
            shares = _even(PLUS_TOTALS[t], ref)
            want = {c: shares.get(c, round(PLUS_TOTALS[t] / len(ref))) for c in cities}
        cap = {c: capacity[c].get(t) for c in cities}
        room = {c: (10**12 if cap[c] is None else int(cap[c])) for c in cities}  # type: ignore[arg-type]
        got = {c: min(want[c], room[c]) for c in cities}
        if t not in PLUS_PER_CITY or t == "Counting1":
            for c in cities:
                short = want[c] - got[c]
                for pool in ([d for d in cities if split_of(d) == split_of(c)], cities):
                    while short > 0:
                        takers = [d for d in pool if got[d] < room[d]]
                        if not takers:
                            break
                        for d in takers:
                            if short == 0:
                                break
                            got[d] += 1
                            short -= 1
        for c in cities:
            out[(c, t)] = got[c]
    return out


def check_preset(preset: str | None) -> None:
    """Raise :class:`ConfigError` (naming ``preset``) unless it is ``None`` or a known preset."""
    if preset is not None and preset not in PRESETS:
        raise ConfigError(f"Unknown `preset` {preset!r}; presets: {', '.join(PRESETS)}.")


def preset_types(preset: str) -> tuple[str, ...]:
    """The question types a preset fixes."""
    check_preset(preset)
    return PLUS_TYPES


def preset_cities(preset: str) -> tuple[str, ...]:
    """The cities a preset uses when none are given."""
    check_preset(preset)
    return REASONMAP_CITIES


def preset_quotas(preset: str, capacity: Mapping[str, Mapping[str, int | None]]) -> dict[tuple[str, str], int]:
    """Item counts per (city, type) of ``preset``, given each city's capacity per type."""
    check_preset(preset)
    return reasonmap_plus_quotas(capacity)
