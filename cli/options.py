"""Option aliases shared by every command group (one definition, one help text)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

DataDirOpt = Annotated[
    Optional[Path],  # noqa: UP045 - typer needs Optional at runtime on 3.10
    typer.Option(
        "--data-dir",
        envvar="MAPKIT_DATA",
        help="Folder with the ReasonMap data (stations/, maps/). Default: $MAPKIT_DATA, else the user cache.",
        show_default=False,
    ),
]
CityArg = Annotated[
    str, typer.Argument(help="City name (beijing), a city file, `demo` or `synthetic:<seed>`.", show_default=False)
]
CityOpt = Annotated[str, typer.Option("--city", help="City name (beijing), a city file, `demo` or `synthetic:<seed>`.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Random seed; same seed and inputs give identical bytes.")]


def examples(*lines: str) -> str:
    """An 'Examples' block for a command's help text."""
    body = "\n\n".join(f"  $ {line}" for line in lines)
    return f"\n\nExamples:\n\n{body}"
