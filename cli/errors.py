"""The CLI's one error boundary: every way a command can end becomes an exit code and one message.

* a usage error (unknown option or command, missing argument, ``--n abc``, bare ``mapkit``): click's
  own one-line message and "Try 'mapkit CMD --help'" hint, exit 2;
* a :class:`~mapkit.errors.MapkitError` (the user's input, data or environment): one paragraph, the
  error's ``exit_code``;
* an operating-system refusal on a named file (permission denied, disk full, a folder where a file
  was expected): one line naming the file, exit 1;
* anything else is a bug in mapkit: the traceback, then a line saying how to report it, exit 70.

typer >= 0.26 bundles its own copy of click (``typer._click``), older typer uses the ``click``
package: the two have unrelated exception classes with the same names, so they are recognised by
class name along the MRO (``ClickException``, ``Exit``, ``Abort``), which holds for both.

Example:
    >>> import typer
    >>> app = typer.Typer()
    >>> @app.command()
    ... def hello(n: int) -> None:
    ...     print("hello" * n)
    >>> run_cli(app, ["2"])
    hellohello
    0
    >>> run_cli(app, ["abc"])  # click prints its usage message to stderr
    2
"""

from __future__ import annotations

import errno
import platform
import sys
import traceback
from collections.abc import Sequence
from typing import Any

from mapkit.cli.console import err

from mapkit import __version__
from mapkit.errors import MapkitError

BUG_EXIT = 70
"""Exit code of an unexpected exception (EX_SOFTWARE of sysexits.h): a bug in mapkit, not a user error."""

REPORT_LINE = (
    "This is a bug in mapkit, not in your input. Please report it (an issue on the mapkit repository) "
    "with the command you ran and the traceback above"
)

# OS errors that say something about the user's files or machine, not about mapkit's code
_ENV_ERRNOS = {
    errno.EACCES,
    errno.EPERM,
    errno.EROFS,
    errno.ENOSPC,
    errno.EDQUOT,
    errno.EISDIR,
    errno.ENOTDIR,
    errno.ENAMETOOLONG,
    errno.EEXIST,
    errno.ENOENT,
}


def _kind(exc: BaseException) -> str | None:
    """``"click"``, ``"exit"`` or ``"abort"`` for click's and typer's control exceptions, else None."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    if "ClickException" in names and hasattr(exc, "show"):
        return "click"
    if "Exit" in names and isinstance(getattr(exc, "exit_code", None), int):
        return "exit"
    if "Abort" in names:
        return "abort"
    return None


def print_error(message: str) -> None:
    """Print ``error: <message>`` to stderr (the message is not parsed for rich markup)."""
    err.print("[bold red]error:[/]", end=" ")
    err.print(message, markup=False, soft_wrap=True)


def report_bug(exc: BaseException) -> int:
    """Print the traceback of an unexpected exception and how to report it; returns :data:`BUG_EXIT`."""
    traceback.print_exception(exc, file=sys.stderr)
    try:
        import typer

        typer_version = getattr(typer, "__version__", "?")
    except Exception:  # pragma: no cover - typer is a dependency
        typer_version = "?"
    print(
        f"\n{REPORT_LINE} (mapkit {__version__}, Python {platform.python_version()}, typer {typer_version}).",
        file=sys.stderr,
    )
    return BUG_EXIT


def run_cli(app: Any, argv: Sequence[str] | None = None, *, prog_name: str = "mapkit") -> int:
    """Run the typer ``app`` on ``argv`` (default ``sys.argv[1:]``) and return the process exit code.

    Never raises (except ``SystemExit`` from code that calls ``sys.exit`` itself); see the module
    docstring for what each kind of failure prints.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        # with standalone_mode=False click *returns* the code of an Exit instead of raising it
        rv = app(args=args, prog_name=prog_name, standalone_mode=False)
    except MapkitError as e:
        print_error(str(e))
        return e.exit_code
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130
    except OSError as e:
        if e.errno in _ENV_ERRNOS and e.filename is not None:
            print_error(f"{e.filename}: {e.strerror}.")
            return 1
        return report_bug(e)
    except Exception as e:
        kind = _kind(e)
        if kind == "click":
            e.show()  # type: ignore[attr-defined]
            return int(e.exit_code)  # type: ignore[attr-defined]
        if kind == "exit":
            return int(e.exit_code)  # type: ignore[attr-defined]
        if kind == "abort":
            err.print("aborted")
            return 1
        return report_bug(e)
    code = rv if isinstance(rv, int) else 0
    if not args and code == 0:
        # click < 8.2 prints the help of a bare `mapkit` and exits 0; later versions exit 2 (no command
        # given is a usage error): the same code whatever click typer brings
        return 2
    return code
