"""`mapkit curate check`."""

from __future__ import annotations

from collections import Counter

import typer
from mapkit.cli.console import out
from mapkit.cli.options import CityOpt, DataDirOpt, JsonOpt, examples
from rich.table import Table

app = typer.Typer(help="Audit the curation of ReasonMap cities.", no_args_is_help=True)


@app.command(
    "check",
    help="Report what still looks suspicious in a curated city."
    + examples("mapkit curate check --city beijing --data-dir ../shared/data/reasonmap"),
)
def check(city: CityOpt, data_dir: DataDirOpt = None, as_json: JsonOpt = False) -> None:
    from mapkit.curate import check_city

    findings = check_city(city, data_dir=data_dir)
    if as_json:
        out.print_json(data={"city": city, "findings": [{"kind": f.kind, "message": f.message} for f in findings]})
        return
    for f in findings:
        out.print(f"[yellow]{f.kind}[/]  {f.message}")
    table = Table(title=f"curate check: {city}")
    table.add_column("finding")
    table.add_column("count", justify="right")
    for kind, n in sorted(Counter(f.kind for f in findings).items()):
        table.add_row(kind, str(n))
    if not findings:
        table.add_row("nothing suspicious", "0")
    out.print(table)
