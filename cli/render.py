"""`mapkit render`: draw a city's map (PNG + manifest) and print its legibility figures."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from mapkit.cli.console import out
from mapkit.cli.options import (
    DataDirOpt,
    EngineOpt,
    JsonOpt,
    MaybeCityOpt,
    RayAddressOpt,
    SeedOpt,
    StyleSeedOpt,
    examples,
)
from rich.table import Table


def register(app: typer.Typer) -> None:
    app.command(
        "render",
        help="Draw a schematic map of a city (PNG + JSON manifest of every station, label and line)."
        + examples(
            "mapkit render --city demo --out maps/",
            "mapkit render --city beijing --out maps/ --data-dir ../shared/data/reasonmap",
            "mapkit render --city synthetic:7 --out maps/ --style-seed 3 --width 2048 --height 2048 --svg",
            "mapkit render --city demo --out maps/ --styles default,seed-1,seed-2",
            "mapkit render --all-cities --out maps/ --workers 4",
            "mapkit render --synthetic 500 --out /shared/maps/ --engine ray --ray-address auto",
            "mapkit render --city geneva --positions geneva.positions.json --out maps/ --data-dir DATA",
        ),
    )(render)


def render(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for <city>.png and <city>.json.")],
    seed: SeedOpt = 0,
    style_seed: StyleSeedOpt = None,
    width: Annotated[
        int | None, typer.Option("--width", help="Image width in pixels (default: sized from the city).")
    ] = None,
    height: Annotated[
        int | None, typer.Option("--height", help="Image height in pixels (default: sized from the city).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Write the map even if it fails the legibility gate.")] = False,
    svg: Annotated[bool, typer.Option("--svg", help="Also write <city>.svg.")] = False,
    styles: Annotated[
        str | None,
        typer.Option("--styles", help="A render-robustness set: one map per style, e.g. default,seed-1,seed-2 "
                     "(written as <city>--<style>.png)."),
    ] = None,
    data_dir: DataDirOpt = None,
    city: MaybeCityOpt = None,
    all_cities: Annotated[
        bool, typer.Option("--all-cities", help="Every known ReasonMap city, into <out>/<country>/<city>.png.")
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", show_default=False, help="With --all-cities: processes that draw (default: every core)."
        ),
    ] = None,
    synthetic: Annotated[
        int | None,
        typer.Option("--synthetic", metavar="N", help="Draw N synthetic cities (synthetic:1 ... synthetic:N) into "
                     "<out>/synthetic/ (with --all-cities: as well).", show_default=False),
    ] = None,
    engine: EngineOpt = "local",
    ray_address: RayAddressOpt = None,
    positions: Annotated[
        Path | None,
        typer.Option("--positions", help="A station-positions overlay (`mapkit annotate pull`): the layout "
                     "follows where its stations lie on the real map."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    from mapkit.errors import ConfigError, LegibilityError
    from mapkit.io import check_output_dir
    from mapkit.render import GateLimits, render_city, style_from_seed
    from mapkit.render.robustness import parse_styles, render_styles
    from mapkit.sources import load_city

    if synthetic is not None and synthetic < 1:
        raise ConfigError(f"--synthetic must be 1 or more (got {synthetic}).")
    if all_cities or synthetic:
        if city or svg or styles or positions:
            raise ConfigError(
                "--all-cities and --synthetic draw many cities (PNG + manifest): drop --city, --svg, --styles and "
                "--positions."
            )
        _render_all(out_dir, seed, style_seed, width, height, force, data_dir, workers,
                    all_cities=all_cities, synthetic=synthetic or 0, engine=engine, ray_address=ray_address)
        return
    if engine != "local" or ray_address is not None:
        raise ConfigError("--engine and --ray-address go with --all-cities or --synthetic (one city draws here).")
    if city is None:
        raise ConfigError("Give --city CITY or --all-cities.")
    if styles is not None and style_seed is not None:
        raise ConfigError("--styles and --style-seed exclude each other: list the seed in --styles (seed-N).")
    check_output_dir(out_dir, flag="--out")
    graph = load_city(city, data_dir=data_dir)
    coords = None
    if positions is not None:
        from mapkit.annotations.localisation import overlay_coords

        coords = overlay_coords(positions, graph)
    if styles is not None:
        done = render_styles(graph, out_dir, parse_styles(styles), seed=seed, force=force, svg=svg,
                             width=width, height=height, coords=coords)
        table = Table(title=f"render: {graph.city}, {len(done)} styles")
        for col in ("style", "image", "size", "gate"):
            table.add_column(col)
        for r in done:
            table.add_row(r.png_path.stem.rsplit("--", 1)[-1], str(r.png_path), f"{r.figures.width}x{r.figures.height}",
                          "passed" if r.passed else "FAILED (--force)")
        out.print(table)
        return
    style = style_from_seed(style_seed).with_size(width, height)
    try:
        res = render_city(graph, out_dir, style=style, seed=seed, force=force, svg=svg, coords=coords)
    except LegibilityError as e:
        out.print(_figures_table(graph.city, e.figures.to_dict(), GateLimits()))  # type: ignore[attr-defined]
        out.print("legibility gate: FAILED")
        raise
    if as_json:
        files = [str(p) for p in (res.png_path, res.manifest_path, res.svg_path) if p is not None]
        out.print_json(data={"city": graph.city, "passed": res.passed, "failures": list(res.failures),
                             "figures": res.figures.to_dict(), "files": files})
    else:
        _print_summary(graph.city, res, GateLimits())
    if res.passed:
        return
    # a forced render that fails the gate still exits non-zero, so scripts notice
    raise LegibilityError(f"{graph.city}: written with --force, but the render fails the legibility gate: "
                          + "; ".join(res.failures) + ".")


def _print_summary(city: str, res, limits) -> None:  # noqa: ANN001
    out.print(_figures_table(city, res.figures.to_dict(), limits))
    for p in (res.png_path, res.manifest_path, res.svg_path):
        if p is not None:
            out.print(f"wrote {p}", soft_wrap=True)
    if res.passed:
        out.print("legibility gate: passed")
        return
    out.print("legibility gate: FAILED (written anyway: --force)")


def _render_all(out_dir, seed, style_seed, width, height, force, data_dir, workers, *,  # noqa: ANN001
                all_cities, synthetic, engine, ray_address) -> None:  # noqa: ANN001
    from mapkit.cli.console import err
    from mapkit.cli.options import as_flags
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from mapkit.errors import LegibilityError
    from mapkit.parallel import available_cores
    from mapkit.render.batch import render_cities
    from mapkit.sources import known_cities

    cities = list(known_cities(data_dir)) if all_cities else []
    cities += [f"synthetic:{k}" for k in range(1, synthetic + 1)]
    flags = {"workers": "--workers", "engine": "--engine", "ray_address": "--ray-address"}
    with as_flags(flags), Progress(
        TextColumn("[bold]render[/]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("cities", total=len(cities))
        results = render_cities(
            cities, out_dir, data_dir=data_dir, seed=seed, style_seed=style_seed, width=width, height=height,
            force=force, workers=available_cores() if workers is None else workers,
            progress=lambda done, total: bar.update(task, completed=done), engine=engine, ray_address=ray_address,
        )
    table = Table(title=f"render: {len(results)} cities -> {out_dir}")
    for col in ("city", "map", "gate"):
        table.add_column(col)
    for r in results:
        gate = "passed" if r.ok else (r.error or "FAILED (--force): " + "; ".join(r.failures))
        table.add_row(r.city, str(r.png) if r.png else "-", gate)
    out.print(table)
    bad = [r.city for r in results if not r.ok]
    if bad:
        raise LegibilityError(
            f"{len(bad)} of {len(results)} cities were not drawn legibly: {', '.join(bad)}.",
            hint="--force keeps a map that fails the gate (the manifest records the failures).",
        )


def _figures_table(city: str, figures: dict, limits) -> Table:  # noqa: ANN001
    table = Table(title=f"render: {city}")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("limit", justify="right")
    lim = {
        "min_label_height_px": f">= {limits.min_label_height_px}",
        "label_overlaps": f"<= {limits.max_label_overlaps}",
        "label_marker_overlaps": f"<= {limits.max_label_marker_overlaps}",
        "label_line_overlaps": f"<= {limits.max_label_line_overlaps}",
        "legend_overlaps": f"<= {limits.max_legend_overlaps}",
        "stations_outside": f"<= {limits.max_outside}",
        "labels_outside": f"<= {limits.max_outside}",
    }
    for key, value in figures.items():
        table.add_row(key.replace("_", " "), str(value), lim.get(key, ""))
    return table
