"""The one exception hierarchy of mapkit.

Every error a user can cause derives from :class:`MapkitError`; the CLI prints its
message (one paragraph, naming the file, the place and what to do) and exits non-zero
without a traceback. Anything else escaping is a bug in mapkit.

Example:
    >>> try:  # doctest: +NORMALIZE_WHITESPACE
    ...     raise CityNotFoundError("atlantis", suggestions=["auckland"])
    ... except MapkitError as err:
    ...     print(err)
    Unknown city 'atlantis'. Did you mean: auckland? Run `mapkit cities` to list every city (`demo` and
    `synthetic:<seed>` need no data; a city file is given by its path).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class MapkitError(Exception):
    """Base of every error mapkit raises on purpose. ``exit_code`` is what the CLI returns."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(message if hint is None else f"{message} {hint}")

    def __reduce__(self) -> tuple[Any, ...]:
        # rebuilt without __init__ (subclasses take other arguments): an error raised in a worker
        # process reaches the parent with its message, hint and fields intact
        return (_rebuild, (type(self), self.args, self.__dict__))


def _rebuild(cls: type[MapkitError], args: tuple[Any, ...], state: dict[str, Any]) -> MapkitError:
    err = cls.__new__(cls)
    err.args = args
    err.__dict__.update(state)
    return err


# --- user input --------------------------------------------------------------------------


class UserInputError(MapkitError):
    """Raised when a flag, file or document given by the user cannot be used."""

    exit_code = 2


class ConfigError(UserInputError):
    """Raised when options contradict each other or a config value is out of range."""


class DataFileError(UserInputError):
    """Raised when a data file is unreadable or malformed; names the file and the place in it."""

    def __init__(
        self, message: str, *, path: object = None, location: str | None = None, hint: str | None = None
    ) -> None:
        self.path = None if path is None else str(path)
        self.location = location
        where = ""
        if self.path:
            where = f"{self.path}"
            if location:
                where += f" ({location})"
            where += ": "
        super().__init__(where + message, hint=hint)


class SchemaViolationError(DataFileError):
    """Raised when a document does not match its JSON Schema; ``location`` is the JSON path."""


class CurationError(DataFileError):
    """Raised when a curation file names something the raw data lacks, or contradicts itself."""


class OutputPathError(UserInputError):
    """Raised before any work when an output path cannot be written (a folder, read-only, under a file)."""


class EmptyResultError(UserInputError):
    """Raised when a command would write or score nothing (``--n 0``, no response id matches an item)."""


class OutputTooLargeError(UserInputError):
    """Raised when the projected output is larger than the size guard and ``--yes`` was not given."""


class CityNotFoundError(UserInputError):
    """Raised when a city name matches no source; carries the closest known names."""

    def __init__(self, name: str, *, suggestions: Sequence[str] = ()) -> None:
        self.name = name
        self.suggestions = list(suggestions)
        msg = f"Unknown city {name!r}."
        if self.suggestions:
            msg += f" Did you mean: {', '.join(self.suggestions)}?"
        super().__init__(
            msg,
            hint="Run `mapkit cities` to list every city (`demo` and `synthetic:<seed>` need no data; a city file "
            "is given by its path).",
        )


class DataNotFoundError(UserInputError):
    """Raised when the ReasonMap data directory or a file in it is missing."""


# --- graph -------------------------------------------------------------------------------


class GraphError(MapkitError):
    """Raised when a graph query cannot be answered as asked."""


class StationNotFoundError(GraphError, UserInputError):
    """Raised when a station reference (id, name or alias) matches no station."""


class AmbiguousStationError(GraphError, UserInputError):
    """Raised when a name matches several distinct stations (e.g. NYC's several `7 Av`)."""


class LineNotFoundError(GraphError, UserInputError):
    """Raised when a line reference matches no line."""


class NotOnSameLineError(GraphError):
    """Raised when two stations share no line (or no service of a branched line)."""


class AmbiguousSpanError(GraphError):
    """Raised when both directions of a loop give equally short, different spans."""


class NoRouteError(GraphError):
    """Raised when no route connects two stations."""


class GraphBuildError(GraphError, UserInputError):
    """Raised when stations and lines do not form a valid metro graph (empty line, unknown id...)."""


class DisconnectedNetworkWarning(UserWarning):
    """Warned when a city's network falls apart into several components."""


# --- downloads ---------------------------------------------------------------------------


class DownloadError(MapkitError):
    """Raised when fetching data from upstream or a mirror fails."""


class ChecksumError(DownloadError):
    """Raised when a downloaded file does not match its pinned checksum."""


# --- items, scoring, validation ----------------------------------------------------------


class ItemError(UserInputError):
    """Raised when an item row is malformed or cannot be re-derived."""


class ValidationFailedError(MapkitError):
    """Raised (exit code 1) when items disagree with the graph; carries the report path."""


# --- render, export, publish, review -----------------------------------------------------


class RenderError(MapkitError):
    """Raised when a map cannot be rendered."""


class FontNotFoundError(RenderError, UserInputError):
    """Raised when no font can draw the station names (e.g. no CJK font installed)."""


class LegibilityError(RenderError):
    """Raised when a render fails the legibility gate and ``force`` was not given."""


class ExportError(MapkitError):
    """Raised when an export cannot be written."""


class LeakageError(ExportError, UserInputError):
    """Raised when train and test splits share a map or a station pair."""


class PublishError(MapkitError):
    """Raised when a dataset folder cannot be published."""


class AnnotationError(MapkitError):
    """Raised when a Label Studio round trip fails."""


class TrainingError(MapkitError):
    """Raised when the training loop is misconfigured."""
