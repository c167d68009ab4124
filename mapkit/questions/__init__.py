"""Question families: each module asks one kind of question about a curated metro graph.

Importing this package registers every family in :mod:`mapkit.questions.registry`. The five
ReasonMap-Plus types come first (Counting1-3, TorF1-2), then ReasonMap's route ``planning``, then
mapkit's own perception families. docs/questions.md describes each one's wording, answer and
difficulty rule.

Example:
    >>> from mapkit.questions import families
    >>> list(families())[5:]
    ['planning', 'connecting_line', 'line_stations_count', 'lines_at', 'next_station', 'terminals']
"""

from mapkit.answers.checks import Correctness
from mapkit.questions import (  # noqa: F401 - imported to register them
    connecting_line,
    counting1,
    counting2,
    counting3,
    line_colour,
    line_stations_count,
    lines_at,
    localise,
    next_station,
    planning,
    station_at_point,
    terminals,
    torf1,
    torf2,
)
from mapkit.questions.registry import Family, check, derive, families, get_family

PLUS_TYPES = ("Counting1", "Counting2", "Counting3", "TorF1", "TorF2")
"""The five ReasonMap-Plus item types."""

__all__ = ["PLUS_TYPES", "Correctness", "Family", "check", "derive", "families", "get_family"]
