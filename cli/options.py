"""Option aliases shared by every command group (one definition, one help text)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Optional

import typer

from mapkit.errors import MapkitError

DataDirOpt = Annotated[
    Optional[Path],  # noqa: UP045 - typer needs Optional at runtime on 3.10
    typer.Option(
        "--data-dir",
        envvar="MAPKIT_DATA",
        help="Folder with the ReasonMap data (stations/, maps/). Default: $MAPKIT_DATA, else the user cache.",
        show_default=False,
    ),
]
CITY_HELP = "City name (beijing), a city file, `demo` or `synthetic:<seed>`."
CityArg = Annotated[str, typer.Argument(help=CITY_HELP, show_default=False)]
CityOpt = Annotated[str, typer.Option("--city", help=CITY_HELP)]
MaybeCityOpt = Annotated[Optional[str], typer.Option("--city", help=CITY_HELP)]  # noqa: UP045
SeedOpt = Annotated[int, typer.Option("--seed", help="Random seed; same seed and inputs give identical bytes.")]
JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print the summary as one JSON object on stdout instead of a table.")
]
StyleSeedOpt = Annotated[
    Optional[int],  # noqa: UP045 - typer needs Optional at runtime on 3.10
    typer.Option(
        "--style-seed", help="Vary palette, font size, line width and markers from this seed (generate: with --render)."
    ),
]
EngineOpt = Annotated[
    str,
    typer.Option(
        "--engine", help="`local` (--workers processes) or `ray` (Ray tasks, here or on a cluster; pip install "
        "'mapkit[scale]'). Same output either way.",
    ),
]
RayAddressOpt = Annotated[
    Optional[str],  # noqa: UP045 - typer needs Optional at runtime on 3.10
    typer.Option(
        "--ray-address", help="With --engine ray: the cluster to join (auto, ray://host:10001); default: a local "
        "Ray started for the run. Output paths must be ones every node sees.",
    ),
]
AllowEmptyOpt = Annotated[
    bool, typer.Option("--allow-empty", help="Accept no items instead of failing (an empty file or dataset).")
]


@contextlib.contextmanager
def as_flags(flags: Mapping[str, str]) -> Iterator[None]:
    """Re-raise a library error with its `parameter` names spelled as this command's flags.

    The library names its parameters in backticks ("`n_per_type` must be zero or more"); a command knows
    which flag sets which parameter.

    >>> from mapkit.errors import ConfigError
    >>> try:
    ...     with as_flags({"n_per_type": "--n"}):
    ...         raise ConfigError("`n_per_type` must be zero or more (got -1).")
    ... except ConfigError as e:
    ...     e.message
    '--n must be zero or more (got -1).'
    """
    try:
        yield
    except MapkitError as e:
        message, hint = e.message, e.hint
        for param, flag in flags.items():
            message = message.replace(f"`{param}`", flag)
            hint = hint.replace(f"`{param}`", flag) if hint else hint
        e.message, e.hint = message, hint
        e.args = (message if hint is None else f"{message} {hint}",)
        raise


def examples(*lines: str) -> str:
    """An 'Examples' block for a command's help text."""
    body = "\n\n".join(f"  $ {line}" for line in lines)
    return f"\n\nExamples:\n\n{body}"
