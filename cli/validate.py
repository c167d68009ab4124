"""`mapkit validate`: recompute every answer of an item file from the curated graphs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from mapkit.cli.console import out
from mapkit.cli.options import DataDirOpt, JsonOpt, as_flags, examples
from rich.table import Table

from mapkit.errors import ValidationFailedError

SHOWN = 20
"""Disagreements printed to the terminal (the --report file lists them all, up to 10,000)."""


def register(app: typer.Typer) -> None:
    app.command(
        "validate",
        help="Check an item file: schema, then every answer recomputed from the curated graph. Exits 0 only if "
        "every row agrees."
        + examples(
            "mapkit validate out/demo.jsonl",
            "mapkit validate out/plus.jsonl --report out/validation.json --data-dir ../shared/data/reasonmap",
            "mapkit validate ReasonMap-Plus/test.jsonl --format reasonmap-plus",
            "mapkit validate out/all.jsonl --workers 4",
            "mapkit validate /shared/all --workers 4",
        ),
    )(validate)


def validate(
    path: Annotated[
        Path,
        typer.Argument(help="Items file (JSONL; reasonmap-plus also reads .json/.csv/.parquet), or a sharded output "
                       "folder (`mapkit generate --parts`)."),
    ],
    report: Annotated[
        Path | None, typer.Option("--report", help="Write the full report (every disagreement) as JSON here.")
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="`mapkit` (canonical items) or `reasonmap-plus` (published layout).")
    ] = "mapkit",
    data_dir: DataDirOpt = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", show_default=False,
            help="Processes that check (default: every core; a mapkit JSONL file is split at line boundaries). "
            "The report is the same for every value.",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    from mapkit.io import check_output_file
    from mapkit.parallel import available_cores
    from mapkit.validate import validate_items

    if report is not None:
        check_output_file(report, flag="--report")
    with as_flags({"workers": "--workers"}):
        rep = validate_items(
            path, data_dir=data_dir, report=report, fmt=fmt, workers=available_cores() if workers is None else workers
        )
    if as_json:
        out.print_json(data=rep.to_dict())
    else:
        _print_summary(rep, path, report)
    if not rep.ok:
        # an error, not typer.Exit: the app's main() turns MapkitError into its exit code
        where = f" (every one is listed in {report})" if report else ""
        raise ValidationFailedError(
            f"{path}: {rep.failing:,} of {rep.total:,} rows disagree with the curated graph{where}."
            if rep.total else f"{path}: the file has no rows."
        )


def _print_summary(rep, path: Path, report: Path | None) -> None:  # noqa: ANN001
    table = Table(title=f"validate {path} ({rep.format})")
    for col in ("type", "rows", "agree", "disagree"):
        table.add_column(col, justify="left" if col == "type" else "right")
    for t, n in rep.by_type.items():
        table.add_row(t, f"{n:,}", f"{n - rep.failing_by_type[t]:,}", f"{rep.failing_by_type[t]:,}")
    out.print(table)
    for d in rep.disagreements[:SHOWN]:
        out.print(
            f"[red]{d.id}[/] (line {d.line}) {d.field}: expected {d.expected!r}, stored {d.stored!r} - {d.why}",
            markup=True, highlight=False, soft_wrap=True,
        )
    if rep.problems > SHOWN:
        out.print(f"... {rep.problems - SHOWN:,} more" + (f" in {report}" if report else " (use --report FILE)"))
    verdict = "all rows agree" if rep.ok else f"{rep.failing:,} of {rep.total:,} rows disagree"
    out.print(f"{verdict}; {rep.total:,} rows in {rep.seconds:.1f} s ({rep.items_per_second:,.0f} rows/s)")
