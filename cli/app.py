"""The `mapkit` typer app: assembles the command groups and turns MapkitError into exit codes.

Each command checks its flags and calls one public library function; see the group modules.
"""

from __future__ import annotations

import sys
import warnings

import typer
from mapkit.cli import cities as cities_cmd
from mapkit.cli import curate as curate_cmd
from mapkit.cli import train as train_cmd
from mapkit.cli.console import err

from mapkit import __version__
from mapkit.errors import MapkitError

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
train_cmd.register(app)  # `train`, `train plot`, `eval` (torch is imported inside the commands only)

for _mod in ("data", "generate", "validate", "score", "render", "export", "publish", "annotate"):
    # command groups written in later issues register themselves when present
    try:
        _m = __import__(f"mapkit.cli.{_mod}", fromlist=["register"])
    except ModuleNotFoundError as _e:
        if _e.name != f"mapkit.cli.{_mod}":
            raise
        continue
    _m.register(app)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001
    err.print("[yellow]warning:[/]", end=" ")
    err.print(str(message), markup=False, soft_wrap=True)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script: user errors print one paragraph, never a traceback."""
    warnings.showwarning = _show_warning
    try:
        # with standalone_mode=False click *returns* the code of a typer.Exit instead of raising it
        rv = app(args=argv, standalone_mode=False)
    except MapkitError as e:
        err.print("[bold red]error:[/]", end=" ")
        err.print(str(e), markup=False, soft_wrap=True)
        return e.exit_code
    except typer.Exit as e:
        return e.exit_code
    except typer.Abort:
        err.print("aborted")
        return 130
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130
    except Exception as e:  # click usage errors carry their own exit code and message
        import click

        if isinstance(e, click.ClickException):
            e.show()
            return e.exit_code
        raise
    return rv if isinstance(rv, int) else 0


if __name__ == "__main__":
    sys.exit(main())
