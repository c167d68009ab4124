"""City summaries for `mapkit cities` and `mapkit city show`.

Example:
    >>> from mapkit.graph import toy_city
    >>> s = summarize(toy_city())
    >>> (s.lines, s.stations, s.transfer_stations, s.difficulty)
    (3, 12, 2, 'easy')
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

from mapkit.difficulty import city_difficulty
from mapkit.errors import DataNotFoundError
from mapkit.graph.model import MetroGraph
from mapkit.graph.queries import transfer_stations


@dataclass(frozen=True)
class CitySummary:
    """One row of the cities table; ``available`` is False when the data is not downloaded."""

    city: str
    country: str
    lines: int | None
    stations: int | None
    transfer_stations: int | None
    difficulty: str | None
    available: bool = True


def summarize(g: MetroGraph) -> CitySummary:
    """The summary row of a loaded graph."""
    return CitySummary(g.city, g.country, len(g.lines), len(g.stations), len(transfer_stations(g)), city_difficulty(g))


def iter_city_summaries(data_dir: str | os.PathLike[str] | None = None) -> Iterator[CitySummary]:
    """A summary per known ReasonMap city; cities whose data is missing come back unavailable."""
    from mapkit.sources import known_cities, load_city

    for city, country in known_cities(data_dir).items():
        try:
            g = load_city(city, data_dir=data_dir)
        except DataNotFoundError:
            yield CitySummary(city, country, None, None, None, None, available=False)
            continue
        yield summarize(g)
