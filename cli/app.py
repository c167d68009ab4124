"""The `mapkit` typer app: assembles the command groups and turns MapkitError into exit codes.

Each command checks its flags and calls one public library function; see the group modules.
"""

from __future__ import annotations

import sys
import warnings

import typer
from mapkit.cli import cities as cities_cmd
from mapkit.cli import curate as curate_cmd
from mapkit.cli import data as data_cmd
from mapkit.cli import export as export_cmd
from mapkit.cli import generate as generate_cmd
from mapkit.cli import publish as publish_cmd
from mapkit.cli import render as render_cmd
from mapkit.cli import score as score_cmd
from mapkit.cli import train as train_cmd
from mapkit.cli import validate as validate_cmd
from mapkit.cli.console import err
from mapkit.cli.errors import run_cli

from mapkit import __version__

app = typer.Typer(
    name="mapkit",
    help="Build verified visual-question datasets from transit maps.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        print(f"mapkit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """Build verified visual-question datasets from transit maps."""


cities_cmd.register(app)
app.add_typer(curate_cmd.app, name="curate")

COMMANDS = (data_cmd, generate_cmd, validate_cmd, score_cmd, render_cmd, export_cmd, publish_cmd, train_cmd)
"""Command modules in `--help` order, each with ``register(app)``: a new command is its module plus one entry."""

for _m in COMMANDS:
    _m.register(app)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001
    err.print("[yellow]warning:[/]", end=" ")
    err.print(str(message), markup=False, soft_wrap=True)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script: user errors print one paragraph, never a traceback."""
    warnings.showwarning = _show_warning
    return run_cli(app, argv)


if __name__ == "__main__":
    sys.exit(main())
