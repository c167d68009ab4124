"""`mapkit score ITEMS RESPONSES`: accuracy, weighted accuracy and reward of a response file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from mapkit.cli.console import err, out
from mapkit.cli.options import DataDirOpt, JsonOpt, examples
from rich.table import Table


def register(app: typer.Typer) -> None:
    app.command(
        "score",
        help="Score model responses against items: accuracy, weighted accuracy and reward per type and difficulty."
        + examples(
            "mapkit score out/demo.jsonl responses.jsonl",
            "mapkit score items.jsonl responses.jsonl --out breakdown.jsonl",
            "mapkit score items.jsonl responses.jsonl --require-optimal --data-dir ../shared/data/reasonmap",
        ),
    )(score)


def _warn(message: str) -> None:
    err.print("[yellow]warning:[/]", end=" ")
    err.print(message, markup=False, soft_wrap=True)


def _table(title: str, groups: dict[str, dict], first: str) -> Table:
    table = Table(title=title)
    for col in (first, "n", "correct", "accuracy", "weighted acc.", "mean reward", "format ok"):
        table.add_column(col, justify="left" if col == first else "right")
    for name, s in groups.items():
        table.add_row(
            name or "-",
            str(s["n"]),
            str(s["correct"]),
            f"{s['accuracy']:.2%}",
            f"{s['weighted_accuracy']:.2%}",
            f"{s['mean_reward']:.3f}",
            f"{s['format_rate']:.2%}",
        )
    return table


def score(
    items: Annotated[Path, typer.Argument(help="Items JSONL (canonical rows, e.g. from `mapkit generate`).")],
    responses: Annotated[Path, typer.Argument(help='Responses JSONL: one {"id": ..., "response": ...} per line.')],
    out_path: Annotated[
        Path | None, typer.Option("--out", help="Write one breakdown row per item to this JSONL file.")
    ] = None,
    data_dir: DataDirOpt = None,
    require_optimal: Annotated[
        bool, typer.Option("--require-optimal", help="Count a valid but non-optimal route as wrong.")
    ] = False,
    allow_no_match: Annotated[
        bool,
        typer.Option("--allow-no-match", help="Score even when no response id matches an item (all count as wrong)."),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    from mapkit.evaluate import score_file
    from mapkit.io import check_output_file

    if out_path is not None:
        check_output_file(out_path, flag="--out")
    report = score_file(
        items, responses, data_dir=data_dir, require_optimal=require_optimal, allow_no_match=allow_no_match
    )
    if out_path is not None:
        n = report.write_breakdown(out_path)
    if as_json:
        out.print_json(data=report.to_dict())
        return
    order = {"easy": 0, "middle": 1, "hard": 2}
    by_type = dict(sorted(report.by("type").items()))
    by_level = dict(sorted(report.by("difficulty_city").items(), key=lambda kv: order.get(kv[0], 9)))
    out.print(_table("By type", {**by_type, "all": report.summary}, "type"))
    out.print(_table("By city difficulty", by_level, "difficulty"))
    if report.missing:
        _warn(f"{len(report.missing)} item(s) have no response and count as wrong.")
    if report.unknown:
        shown = ", ".join(report.unknown[:5]) + (" ..." if len(report.unknown) > 5 else "")
        _warn(f"{len(report.unknown)} response id(s) match no item and were not scored: {shown}")
    if report.duplicates:
        _warn(f"{len(report.duplicates)} response id(s) repeat; the first response of each was scored.")
    if report.errors:
        _warn(f"{len(report.errors)} item(s) could not be scored (counted as wrong): {report.errors[0][1]}")
    if out_path is not None:
        out.print(f"wrote {n} breakdown rows to {out_path}")
