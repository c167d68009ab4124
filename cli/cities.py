"""`mapkit cities` and `mapkit city show`."""

from __future__ import annotations

from typing import Annotated

import typer
from mapkit.cli.console import out
from mapkit.cli.options import CityArg, DataDirOpt, JsonOpt, examples
from rich.table import Table

from mapkit.catalog import iter_city_summaries

city_app = typer.Typer(help="Inspect one city.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command(
        "cities",
        help="List the known cities with their size and difficulty."
        + examples("mapkit cities", "mapkit cities --data-dir ../shared/data/reasonmap"),
    )(cities)
    app.add_typer(city_app, name="city")


def cities(data_dir: DataDirOpt = None, as_json: JsonOpt = False) -> None:
    if as_json:
        keys = ("city", "country", "available", "lines", "stations", "transfer_stations", "difficulty")
        out.print_json(data=[{k: getattr(s, k) for k in keys} for s in iter_city_summaries(data_dir)])
        return
    table = Table(title="Cities")
    for col in ("city", "country", "lines", "stations", "transfer stations", "difficulty"):
        table.add_column(col, justify="right" if col in ("lines", "stations", "transfer stations") else "left")
    missing = 0
    for s in iter_city_summaries(data_dir):
        if not s.available:
            missing += 1
            table.add_row(s.city, s.country, "-", "-", "-", "[dim]no data[/]")
            continue
        table.add_row(s.city, s.country, str(s.lines), str(s.stations), str(s.transfer_stations), s.difficulty)
    out.print(table)
    if missing:
        out.print(f"{missing} cities have no data here: run `mapkit data pull` or pass --data-dir.")


@city_app.command(
    "show",
    help="Show a city's lines, stations and transfers."
    + examples(
        "mapkit city show demo",
        "mapkit city show beijing --data-dir ../shared/data/reasonmap",
        "mapkit city show singapore --line 'Circle Line'",
    ),
)
def show(
    city: CityArg,
    data_dir: DataDirOpt = None,
    line: Annotated[str | None, typer.Option("--line", help="Show only this line's services.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the city in mapkit's city format.")] = False,
) -> None:
    from mapkit.catalog import summarize
    from mapkit.sources import load_city

    g = load_city(city, data_dir=data_dir)
    if as_json:
        import json

        print(json.dumps(g.to_dict(), ensure_ascii=False, indent=2))
        return
    lines = [g.line(line)] if line else list(g.lines.values())
    for ln in lines:
        kind = "loop" if ln.loop else ("branched" if len(ln.branches) > 1 else "line")
        out.print(f"[bold]{ln.name}[/] ({ln.id}, {kind}, {len(ln.station_ids)} stations)")
        for i, br in enumerate(ln.branches):
            names = " - ".join(g.stations[s].name for s in br.stations)
            tag = f"  service {i + 1}: " if len(ln.branches) > 1 else "  "
            out.print(tag + names + (" - (back to start)" if br.loop else ""))
    s = summarize(g)
    table = Table(title=f"{g.city} ({g.country})")
    for col in ("lines", "stations", "transfer stations", "difficulty", "graph hash"):
        table.add_column(col)
    table.add_row(str(s.lines), str(s.stations), str(s.transfer_stations), s.difficulty, g.content_hash[:19])
    out.print(table)
