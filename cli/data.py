"""`mapkit data pull` and `mapkit data where`: thin wrappers over :mod:`mapkit.datapull`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from mapkit.cli.console import out
from mapkit.cli.options import DataDirOpt, JsonOpt, examples
from rich.table import Table

data_app = typer.Typer(help="Fetch the ReasonMap data and show where it lives.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the ``data`` command group to the root app.

    >>> app = typer.Typer(); register(app); [g.name for g in app.registered_groups]
    ['data']
    """
    app.add_typer(data_app, name="data")


@data_app.command(
    "pull",
    help="Download the ReasonMap station lists and map images at their pinned revisions, verifying "
    "every file's sha256; files already present and verified are skipped."
    + examples(
        "mapkit data pull",
        "mapkit data pull --city beijing --city oslo",
        "mapkit data pull --dest ./reasonmap --from ../shared/data/reasonmap",
        "mapkit data pull --from https://mirror.example.org/reasonmap/",
        "mapkit data pull --fonts",
    ),
)
def pull(
    dest: Annotated[
        Optional[Path],  # noqa: UP045 - typer needs Optional at runtime on 3.10
        typer.Option("--dest", help="Folder to fill. Default: $MAPKIT_DATA, else the user cache.", show_default=False),
    ] = None,
    source: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--from", metavar="DIR|URL", show_default=False,
            help="A mirror with the same layout (stations/, maps/): a folder or an http(s)/file base URL. "
            "Default: upstream GitHub at the pinned revisions.",
        ),
    ] = None,
    city: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(
            "--city", metavar="CITY", help="Only this city (repeat for several). Default: all 30.", show_default=False
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    fonts: Annotated[
        bool,
        typer.Option(
            "--fonts",
            help="Instead of the data: fetch the pinned CJK + Latin font (WenQuanYi Micro Hei, from PyPI, "
            "sha256-verified) into the user cache ($MAPKIT_FONT_DIR); rendering uses it when the system has "
            "no font for a name. --dest: the font folder; --from: a folder/URL holding the pinned wheel.",
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    from mapkit.data import resolve_data_dir
    from mapkit.datapull import pull_data
    from mapkit.errors import ConfigError, DownloadError
    from mapkit.io import check_output_dir

    if fonts:
        if city:
            raise ConfigError("--city does not apply to --fonts (the font covers every city).")
        from mapkit.fontpull import font_cache_dir

        check_output_dir(dest if dest is not None else font_cache_dir(), flag="--dest")
        _pull_fonts(dest, source, quiet)
        return

    check_output_dir(resolve_data_dir(dest), flag="--dest")  # before any download
    report = pull_data(
        dest=dest, source=source, cities=list(city) if city else None, progress=not (quiet or as_json)
    )
    if as_json:
        out.print_json(data={
            "dest": str(report.dest), "source": str(report.source), "downloaded": [str(p) for p in report.downloaded],
            "skipped": [str(p) for p in report.skipped], "missing": [str(p) for p in report.missing],
            "failed": [[str(p), str(why)] for p, why in report.failed], "bytes_downloaded": report.bytes_downloaded,
        })  # fmt: skip
    else:
        _print_pull(report)
    if report.failed:
        first = "; ".join(f"{p} ({why})" for p, why in report.failed[:3])
        raise DownloadError(
            f"{len(report.failed)} file(s) could not be fetched: {first}"
            + (" …" if len(report.failed) > 3 else "") + ".",
            hint="Check --from (a mirror must hold stations/<country>/<city>.json), or run again later.",
        )


def _print_pull(report) -> None:  # noqa: ANN001
    table = Table(title=f"data pull -> {report.dest}")
    table.add_column("files")
    table.add_column("count", justify="right")
    table.add_row("downloaded", str(len(report.downloaded)))
    table.add_row("skipped (already verified)", str(len(report.skipped)))
    table.add_row("map image not upstream", str(len(report.missing)))
    table.add_row("failed", str(len(report.failed)))
    out.print(table)
    out.print(f"source: {report.source}; {report.bytes_downloaded:,} bytes fetched.")
    if report.missing:
        names = ", ".join(Path(m).stem for m in report.missing)
        out.print(f"No map image upstream for: {names} (map images are optional; station lists suffice).")
    from mapkit.data import ENV_VAR, resolve_data_dir

    if report.dest.resolve() != resolve_data_dir(None).resolve():
        out.print(f"Use it with --data-dir {report.dest} or `export {ENV_VAR}={report.dest}`.", soft_wrap=True)


def _pull_fonts(dest: Path | None, source: str | None, quiet: bool) -> None:
    from mapkit.fontpull import PINNED_FONT, pull_fonts

    report = pull_fonts(dest=dest, source=source, progress=not quiet)
    verb = f"fetched ({report.bytes_downloaded:,} bytes)" if report.downloaded else "already there (verified)"
    out.print(f"font {PINNED_FONT.file_name}: {verb} -> {report.path}", soft_wrap=True)
    out.print(f"source: {report.source}; licence: {PINNED_FONT.license}.", soft_wrap=True)


@data_app.command(
    "where",
    help="Print the data directory in force (--data-dir, else $MAPKIT_DATA, else the user cache) and what it holds."
    + examples("mapkit data where", "mapkit data where --data-dir ../shared/data/reasonmap"),
)
def where(data_dir: DataDirOpt = None, as_json: JsonOpt = False) -> None:
    from mapkit.datapull import data_status

    s = data_status(data_dir)
    if as_json:
        keys = ("origin", "exists", "station_files", "pinned_stations", "map_images", "pinned_maps",
                "missing_cities", "unknown_files")  # fmt: skip
        out.print_json(data={"path": str(s.path), **{k: getattr(s, k) for k in keys}})
        return
    out.print(f"{s.path}  [dim](from {s.origin})[/]", soft_wrap=True)
    if not s.exists:
        out.print("The folder does not exist yet: run `mapkit data pull`.")
        return
    table = Table()
    table.add_column("what")
    table.add_column("here", justify="right")
    table.add_column("pinned", justify="right")
    table.add_row("station lists (stations/)", str(s.station_files), str(s.pinned_stations))
    table.add_row("map images (maps/)", str(s.map_images), str(s.pinned_maps))
    out.print(table)
    if s.missing_cities:
        shown = ", ".join(s.missing_cities[:10]) + (" …" if len(s.missing_cities) > 10 else "")
        out.print(f"{len(s.missing_cities)} cities have no station list here ({shown}): run `mapkit data pull`.")
    if s.unknown_files:
        out.print(f"{len(s.unknown_files)} file(s) are not in the pinned manifest: {', '.join(s.unknown_files[:5])}")
