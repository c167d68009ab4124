"""The rich consoles of the CLI: results to stdout, messages and errors to stderr."""

from __future__ import annotations

from rich.console import Console

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def human_size(n: float) -> str:
    """A byte count for a summary table: ``"512 B"``, ``"1.5 KB"``, ``"3.2 MB"``, ``"1.1 GB"``.

    >>> human_size(512), human_size(1536), human_size(5 * 1024**3)
    ('512 B', '1.5 KB', '5.0 GB')
    """
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return str(n)
