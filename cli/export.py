"""`mapkit export ITEMS --to FORMAT --out DIR`: a Hub-ready folder or a trainer's files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from mapkit.cli.console import err, human_size, out
from mapkit.cli.options import AllowEmptyOpt, DataDirOpt, JsonOpt, as_flags, examples
from rich.table import Table

from mapkit.errors import ConfigError
from mapkit.export import FORMATS


def register(app: typer.Typer) -> None:
    app.command(
        "export",
        help="Export items to a Hugging Face dataset folder (typed Parquet, each map stored once, dataset card) "
        "or to a trainer's format: reasonmap-plus, trl, verl, easyr1, sharegpt. Refuses train/test splits that "
        "share a map or a station pair unless --allow-leakage."
        + examples(
            "mapkit export items.jsonl --to hf --out out/hf --data-dir ../shared/data/reasonmap",
            "mapkit export items.jsonl --to hf --out out/hf --image toyville=toy.png --maps-dir renders/",
            "mapkit export items.jsonl --to verl --out out/verl --image-root /data/mapkit-verl",
            "mapkit export items.jsonl --to reasonmap-plus --out out/rmp --data-dir ../shared/data/reasonmap",
            "mapkit export items.jsonl --to hf --out out/hf --workers 4",
        ),
    )(export)


def _images(pairs: list[str], maps_dir: Path | None) -> dict[str, Path]:
    """--maps-dir first (PNGs by country/city, city or render manifest), then the --image pairs."""
    from mapkit.export.core import images_from_folder

    images: dict[str, Path] = {}
    if maps_dir is not None:
        if not maps_dir.is_dir():
            raise ConfigError(f"--maps-dir {maps_dir} is not a folder.")
        images.update(images_from_folder(maps_dir))
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key or not value:
            raise ConfigError(f"--image {pair!r}: expected CITY=PATH.PNG (e.g. --image toyville=toy.png).")
        images[key] = Path(value)
    return images


def export(
    items: Annotated[
        Path,
        typer.Argument(help="Items JSONL (canonical rows from `mapkit generate`), or a sharded output folder "
                       "(`mapkit generate --parts`)."),
    ],
    out_dir: Annotated[
        Path,
        typer.Option("--out", help="Folder to write; an earlier export there is updated (files you added are kept)."),
    ],
    to: Annotated[str, typer.Option("--to", help=f"Format: {', '.join(FORMATS)}.")] = "hf",
    data_dir: DataDirOpt = None,
    image: Annotated[
        list[str] | None, typer.Option("--image", help="CITY=PNG: the map of a city (repeatable); wins over real maps.")
    ] = None,
    maps_dir: Annotated[
        Path | None,
        typer.Option("--maps-dir", help="Map PNGs: <country>/<city>.png, <city>.png, or `mapkit render` output."),
    ] = None,
    allow_leakage: Annotated[
        bool, typer.Option("--allow-leakage", help="Write even when train and test share a map or a station pair.")
    ] = False,
    image_root: Annotated[
        str | None, typer.Option("--image-root", help="verl: prefix for image paths in rows (default: absolute paths).")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="hf: the dataset's pretty name in its card.")] = None,
    repo_id: Annotated[
        str | None, typer.Option("--repo-id", help="hf: the Hub repo the card's quick start loads (default: --out).")
    ] = None,
    overwrite: Annotated[
        bool,
        typer.Option(
            "--overwrite",
            help="Replace an earlier export whole, deleting files in it that mapkit did not "
            "write (without it they are kept, and edited mapkit files are refused).",
        ),
    ] = False,
    allow_empty: AllowEmptyOpt = False,
    verify_reproduce: Annotated[
        bool,
        typer.Option(
            "--verify-reproduce/--no-verify-reproduce",
            help="hf: regenerate the items from the derived `mapkit generate` command to check the card's "
            "Reproduce section (default: on).",
        ),
    ] = True,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", show_default=False,
            help="Processes that turn items into rows, draw missing maps and (hf) regenerate the items to "
            "check the Reproduce section (default: every core). The folder is the same bytes for every value.",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from mapkit.export import export_items
    from mapkit.io import check_output_dir
    from mapkit.parallel import available_cores

    check_output_dir(out_dir, flag="--out")  # before reading any item: a file or read-only place fails now
    if to not in FORMATS:
        raise ConfigError(f"--to {to!r}: choose one of {', '.join(FORMATS)}.")
    if image_root is not None and to != "verl":
        raise ConfigError("--image-root applies to --to verl only.")
    if repo_id is not None and to != "hf":
        raise ConfigError("--repo-id applies to --to hf only.")
    images = _images(image or [], maps_dir)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err, transient=True, disable=as_json,
    ) as bar:  # fmt: skip
        tasks: dict[str, int] = {}

        def progress(stage: str, advance: int, total: int | None) -> None:
            if stage not in tasks:
                label = {"scan": "reading items", "maps": "preparing maps",
                         "reproduce": "regenerating to check Reproduce"}.get(stage, f"writing {to}")  # fmt: skip
                tasks[stage] = bar.add_task(label, total=total)
            bar.update(tasks[stage], advance=advance, total=total)

        with as_flags({"workers": "--workers"}):
            report = export_items(
                items, to=to, out=out_dir, data_dir=data_dir, images=images or None, allow_leakage=allow_leakage,
                image_root=image_root, pretty_name=name, progress=progress, overwrite=overwrite,
                allow_empty=allow_empty, repo_id=repo_id, verify_reproduce=verify_reproduce,
                workers=available_cores() if workers is None else workers,
            )  # fmt: skip
    if as_json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        return
    table = Table(title=f"mapkit export --to {to}")
    table.add_column("")
    table.add_column("value")
    sources: dict[str, int] = {}
    for s in report.maps.values():
        sources[s] = sources.get(s, 0) + 1
    rows = [
        ("folder", str(report.out)),
        ("items", f"{report.items_written:,} written of {report.items_in:,}"),
        ("splits", ", ".join(f"{s} {n:,}" for s, n in report.splits.items())),
        ("types", ", ".join(f"{t} {n:,}" for t, n in report.types.items())),
        ("maps", ", ".join(f"{n} {s}" for s, n in sorted(sources.items()))),
        ("files", f"{report.files:,}, {human_size(report.total_bytes)}"),
        (
            "size ratio",
            f"{report.size_ratio:.3f} x (maps {human_size(report.image_bytes)} + rows {human_size(report.row_bytes)})",
        ),
        ("leakage", report.leakage.describe()),
        ("time", f"{report.seconds:.2f} s"),
    ]
    if report.skipped:
        rows.append(("skipped", ", ".join(f"{t} {n:,}" for t, n in report.skipped.items())))
    for k, v in rows:
        table.add_row(k, v)
    out.print(table)
    for note in report.notes:
        out.print(f"note: {note}", markup=False)
