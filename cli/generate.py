"""`mapkit generate`: write question items for one or more cities to a JSONL file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from mapkit.cli.console import err, out
from mapkit.cli.options import (
    AllowEmptyOpt,
    DataDirOpt,
    EngineOpt,
    JsonOpt,
    RayAddressOpt,
    SeedOpt,
    StyleSeedOpt,
    as_flags,
    examples,
)
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from mapkit.errors import ConfigError
from mapkit.generate import SIZE_GUARD_BYTES, GenerateSpec, write_items
from mapkit.io import check_output_dir, check_output_file
from mapkit.parallel import available_cores
from mapkit.questions import get_family
from mapkit.sources import known_cities

DEFAULT_OUT = Path("out/items.jsonl")
"""Where items go without ``--out`` (relative to the working directory)."""

FLAGS = {
    "cities": "--city", "types": "--types", "n_per_type": "--n", "seed": "--seed", "preset": "--preset",
    "repeats": "--allow-repeats", "skip_broken": "--skip-broken", "render": "--render", "render_dir": "--render-dir",
    "style_seed": "--style-seed", "render_force": "--force-render", "data_dir": "--data-dir",
    "allow_empty": "--allow-empty", "max_bytes": "--yes", "workers": "--workers",
    "engine": "--engine", "ray_address": "--ray-address", "parts": "--parts",
}
"""Which flag sets which :class:`~mapkit.generate.GenerateSpec` field (library errors name the fields)."""


def register(app: typer.Typer) -> None:
    app.command(
        "generate",
        help="Generate verified question items (JSONL) from curated metro graphs. Without --city, uses `demo`;"
        f" without --out, writes {DEFAULT_OUT}."
        + examples(
            "mapkit generate --city demo --out out/demo.jsonl",
            "mapkit generate --city beijing --city rome --types Counting1,TorF1 --n 200 --seed 3",
            "mapkit generate --all-cities --preset reasonmap-plus --out out/plus.jsonl",
            "mapkit generate --all-cities --types planning --n 40 --out out/planning.jsonl",
            "mapkit generate --city demo --render --out out/demo.jsonl",
            "mapkit generate --city beijing --render --style-seed 3 --render-dir out/maps/style-3 --out out/b.jsonl",
            "mapkit generate --all-cities --n 2000 --workers 4 --out out/all.jsonl",
            "mapkit generate --all-cities --n 20000 --engine ray --ray-address auto --out out/all.jsonl",
            "mapkit generate --all-cities --n 20000 --engine ray --ray-address auto --parts jsonl --out /shared/all",
        ),
    )(generate)


def _types(value: str | None) -> list[str] | None:
    if not value:
        return None
    return [get_family(t.strip()).name for t in value.split(",") if t.strip()]


def _confirm_size(bar: Progress):  # noqa: ANN202
    """Ask on a terminal whether to write a file over the size guard; elsewhere the answer is no."""

    def confirm(projected: int, items: int) -> bool:
        if not sys.stdin.isatty():
            return False
        bar.stop()
        return typer.confirm(f"Write about {projected / 1e9:,.1f} GB ({items:,} items)?", default=False)

    return confirm


def generate(
    city: Annotated[
        list[str] | None,
        typer.Option(
            "--city", metavar="CITY", help="City name (beijing), a city file, `demo` or `synthetic:<seed>`; repeatable."
        ),
    ] = None,
    all_cities: Annotated[bool, typer.Option("--all-cities", help="Every known ReasonMap city.")] = False,
    types: Annotated[
        str | None,
        typer.Option("--types", help="Comma-separated question types (default: all; see docs/questions.md)."),
    ] = None,
    n: Annotated[
        int | None, typer.Option("--n", help="Items per type and city (capped at the distinct questions; default 100).")
    ] = None,
    seed: SeedOpt = 0,
    out_path: Annotated[
        Path, typer.Option("--out", help="Output JSONL file (written atomically); with --parts, a folder.")
    ] = DEFAULT_OUT,
    preset: Annotated[
        str | None, typer.Option("--preset", help="`reasonmap-plus`: the published ReasonMap-Plus quotas and split.")
    ] = None,
    repeats: Annotated[
        bool, typer.Option("--allow-repeats", help="Past a city's distinct questions, ask them again (reworded).")
    ] = False,
    skip_broken: Annotated[
        bool, typer.Option("--skip-broken", help="Warn about and skip a city that fails to load.")
    ] = False,
    render: Annotated[
        bool,
        typer.Option(
            "--render",
            help="Draw each city's map once (PNG + manifest in maps/ beside --out), point every item's figure at"
            " it, and add the visual types (localise, line_colour, station_at_point) to the default types.",
        ),
    ] = False,
    render_dir: Annotated[
        Path | None,
        typer.Option(
            "--render-dir", metavar="DIR",
            help="With --render: where the maps go (default: maps/ beside --out; must be that folder or inside it).",
        ),
    ] = None,
    style_seed: StyleSeedOpt = None,
    force_render: Annotated[
        bool,
        typer.Option("--force-render", help="With --render: keep a map that fails the legibility gate."),
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Write even when the projected file is over the 1 GB size guard.")
    ] = False,
    allow_empty: AllowEmptyOpt = False,
    data_dir: DataDirOpt = None,
    as_json: JsonOpt = False,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", show_default=False,
            help="Processes that generate (default: every core). The file is byte-identical for every value.",
        ),
    ] = None,
    engine: EngineOpt = "local",
    ray_address: RayAddressOpt = None,
    parts: Annotated[
        str | None,
        typer.Option(
            "--parts", metavar="FORMAT",
            help="`jsonl` or `parquet`: --out is a folder of part files (one per shard, written by the workers or "
            "Ray tasks) and a manifest.json written last; validate and export read the folder. On a cluster, "
            "a path every node sees.",
        ),
    ] = None,
) -> None:
    if parts is None:
        check_output_file(out_path, flag="--out")
    else:
        check_output_dir(out_path, flag="--out")
    if render:
        beside = out_path if parts is not None else out_path.parent  # maps/ belongs to the items' folder
        check_output_dir(render_dir if render_dir is not None else beside / "maps", flag="--render-dir")
    if city and all_cities:
        raise ConfigError("Give --city or --all-cities, not both.")
    cities: list[str] | None
    if all_cities:
        cities = list(known_cities(data_dir))
    elif city:
        cities = list(city)
    else:
        cities = None
    with as_flags(FLAGS), Progress(
        TextColumn("[bold]generate[/]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err, transient=True,
    ) as bar:
        task = bar.add_task("items", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        spec = GenerateSpec(
            cities, types=_types(types), n_per_type=n, seed=seed, preset=preset, data_dir=data_dir,
            repeats=repeats, skip_broken=skip_broken, render=render, render_dir=render_dir,
            style_seed=style_seed, render_force=force_render, workers=available_cores() if workers is None else workers,
            engine=engine, ray_address=ray_address,
        )
        summary = write_items(
            out_path, spec, progress=progress, allow_empty=allow_empty,
            max_bytes=None if yes else SIZE_GUARD_BYTES, confirm=_confirm_size(bar), parts=parts,
        )
    if as_json:
        out.print_json(data=summary.to_dict())
        return
    table = Table(title=f"{summary.total:,} items -> {out_path}")
    for col in ("type", "items", "easy", "medium", "hard", "answer balance"):
        table.add_column(col, justify="left" if col in ("type", "answer balance") else "right")
    for t, count in summary.by_type.items():
        d = summary.difficulty[t]
        bal = summary.balance[t]
        top = " ".join(f"{k} {v / count:.0%}" for k, v in sorted(bal.items(), key=lambda kv: -kv[1])[:3])
        if len(bal) > 3:
            top += f" +{len(bal) - 3} more"
        table.add_row(t, f"{count:,}", str(d["easy"]), str(d["medium"]), str(d["hard"]), top)
    out.print(table)
    splits = ", ".join(f"{k} {v:,}" for k, v in sorted(summary.by_split.items()))
    out.print(f"{len(summary.by_city)} cities; split: {splits}; {summary.seconds:.1f} s")
    if summary.maps:
        beside = out_path if parts is not None else out_path.parent
        # figures are relative to the JSONL file's folder: that folder (items + maps/) is the dataset
        shown = ", ".join(summary.maps) if len(summary.maps) <= 3 else f"{summary.maps[0]}, ..."
        out.print(f"{len(summary.maps)} map(s) rendered (figures relative to {beside}): {shown}",
                  soft_wrap=True)
    for note in summary.shortfalls:
        err.print(f"[yellow]note:[/] {note} (fewer distinct questions; --allow-repeats asks them again)")
    for note in summary.not_asked:
        err.print(f"[yellow]not asked:[/] {note}", soft_wrap=True)
