"""`mapkit annotate push | localise | pull | status | apply`: Label Studio review round trips.

The server URL comes from --url or $LABEL_STUDIO_URL, the key from $LABEL_STUDIO_API_KEY or
--api-key-file (never a flag value); the key is never printed. See docs/annotate.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from mapkit.cli.console import err, out
from mapkit.cli.options import DataDirOpt, SeedOpt, examples
from rich.table import Table

app = typer.Typer(
    help="Review items and localise stations in Label Studio, then bring the results back checked against "
    "the graph. URL: --url or $LABEL_STUDIO_URL; key: $LABEL_STUDIO_API_KEY or --api-key-file.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

UrlOpt = Annotated[
    Optional[str],  # noqa: UP045 - typer needs Optional at runtime
    typer.Option(
        "--url", help="Label Studio URL (default: $LABEL_STUDIO_URL, else http://localhost:8080).", show_default=False
    ),
]
KeyFileOpt = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option(
        "--api-key-file", help="A file holding the API key (default: $LABEL_STUDIO_API_KEY).", show_default=False
    ),
]
DocRootOpt = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option(
        "--document-root",
        help="The server's LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT (default: the image folder itself).",
        show_default=False,
    ),
]
ProjectOpt = Annotated[str, typer.Option("--project", help="Label Studio project title (created when missing).")]
ImageRootOpt = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option(
        "--image-root",
        help="Folder the items' ./maps/... figures live in (default: the items file's "
        "folder if it has maps/, else the data folder). Label Studio's document root must contain it.",
        show_default=False,
    ),
]


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="annotate")


def _conn(url: str | None, key_file: Path | None):  # noqa: ANN202
    from mapkit.annotations.client import connect

    return connect(url, api_key_file=key_file)


def _progress():  # noqa: ANN202
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    return Progress(
        "{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err, transient=True
    )


def _table(title: str, rows: list[tuple[str, object]]) -> None:
    table = Table(title=title)
    table.add_column("what")
    table.add_column("", justify="right")
    for k, v in rows:
        table.add_row(k, str(v))
    out.print(table)


@app.command(
    "push",
    help="Push canonical items or published ReasonMap-Plus rows into a review project (created or reused). "
    "Re-pushing adds new items, updates changed ones nobody annotated yet and reports the others."
    + examples(
        "mapkit annotate push out/items.jsonl --project 'beijing review'",
        "mapkit annotate push reasonmap_plus.json --project 'plus audit' --data-dir ../shared/data/reasonmap",
    ),
)
def push(
    items: Annotated[Path, typer.Argument(help="Items JSONL (canonical) or ReasonMap-Plus rows (.jsonl/.json/.csv).")],
    project: ProjectOpt,
    url: UrlOpt = None,
    api_key_file: KeyFileOpt = None,
    image_root: ImageRootOpt = None,
    document_root: DocRootOpt = None,
    data_dir: DataDirOpt = None,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Tasks per import request.")] = 1000,
) -> None:
    from mapkit.annotations.push import push_items

    conn = _conn(url, api_key_file)
    with _progress() as bar:
        job = bar.add_task("pushing", total=None)
        rep = push_items(
            items,
            project=project,
            conn=conn,
            image_root=image_root,
            document_root=document_root,
            data_dir=data_dir,
            batch_size=batch_size,
            progress=lambda done, total: bar.update(job, completed=done, total=total),
        )
    _table(
        f"project {rep.project!r} (id {rep.project_id}) at {conn.url}",
        [
            ("items in the file", rep.total),
            ("tasks created", rep.created),
            ("tasks updated", len(rep.updated)),
            ("unchanged", rep.unchanged),
            ("changed after review (not touched)", len(rep.changed_reviewed)),
            ("tasks on the server only", rep.server_only),
            ("items the graph answers differently", len(rep.graph_disagrees)),
            ("seconds", f"{rep.seconds:.1f}"),
        ],
    )
    for rid in rep.changed_reviewed[:20]:
        err.print(f"changed since it was annotated, not updated: {rid}", markup=False)


@app.command(
    "localise",
    help="Create (or reuse) the station-localisation project of a city's real map: one task, a keypoint label "
    "per station of the curated graph, and a way to add a station or line the graph lacks."
    + examples("mapkit annotate localise geneva --project 'geneva positions'"),
)
def localise(
    city: Annotated[str, typer.Argument(help="A ReasonMap city with a real map image (geneva, oslo ...).")],
    project: ProjectOpt,
    url: UrlOpt = None,
    api_key_file: KeyFileOpt = None,
    image_root: ImageRootOpt = None,
    document_root: DocRootOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    from mapkit.annotations.push import push_map

    conn = _conn(url, api_key_file)
    rep = push_map(
        city, project=project, conn=conn, data_dir=data_dir, image_root=image_root, document_root=document_root
    )
    _table(
        f"project {rep.project!r} (id {rep.project_id}) at {conn.url}",
        [
            ("map tasks created", rep.created),
            ("updated", len(rep.updated)),
            ("unchanged", rep.unchanged),
            ("changed after annotation (not touched)", len(rep.changed_reviewed)),
        ],
    )


@app.command(
    "pull",
    help="Pull a project's annotations (snapshot export), check every human answer against the graph and write "
    "one reviewed row per item (by item id). A localisation project gives a station-position overlay and "
    "<out>.proposals.json instead. Safe to interrupt and re-run."
    + examples(
        "mapkit annotate pull --project 'beijing review' --out out/reviewed.jsonl",
        "mapkit annotate pull --project 'geneva positions' --out out/geneva.positions.json",
    ),
)
def pull(
    project: ProjectOpt,
    out_path: Annotated[Path, typer.Option("--out", help="Reviewed JSONL (or the positions JSON).")],
    url: UrlOpt = None,
    api_key_file: KeyFileOpt = None,
    image_root: ImageRootOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    from mapkit.annotations.pull import pull_review

    conn = _conn(url, api_key_file)
    res = pull_review(project=project, conn=conn, out=out_path, data_dir=data_dir, image_root=image_root)
    _summary(res)
    for p in res.outputs:
        out.print(f"wrote {p}", markup=False)


def _summary(res) -> None:  # noqa: ANN001
    rows: list[tuple[str, object]] = [
        ("tasks", res.tasks),
        ("annotations", res.annotations),
        ("skipped", res.skipped),
        ("invalid (not used)", res.invalid),
    ]
    rows += [(k, v) for k, v in sorted(res.by_status.items())]
    ag = res.agreement
    if ag.get("items_multi"):
        rows += [
            ("items with 2+ annotators", ag["items_multi"]),
            ("unanimous", ag["unanimous"]),
            ("pairwise agreement", ag["pairwise_agreement"]),
        ]
    _table(f"{res.kind} project {res.project!r}", rows)
    if res.per_annotator:
        keys = sorted({k for c in res.per_annotator.values() for k in c})
        table = Table(title="per annotator")
        table.add_column("annotator")
        for k in keys:
            table.add_column(k, justify="right")
        for who, c in sorted(res.per_annotator.items()):
            table.add_row(who, *(str(c.get(k, 0)) for k in keys))
        out.print(table)
    for row in res.rows:
        if row["status"] in ("disagrees", "conflict"):
            out.print(f"{row['status']}: {row['id']} (item) / {row['look_at']['graph']} (graph)", markup=False)


@app.command(
    "status",
    help="Tasks, annotations, disagreements with the graph and counts per annotator of a project (writes nothing)."
    + examples("mapkit annotate status --project 'beijing review'"),
)
def status(
    project: ProjectOpt,
    url: UrlOpt = None,
    api_key_file: KeyFileOpt = None,
    image_root: ImageRootOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    from mapkit.annotations.pull import review_project

    conn = _conn(url, api_key_file)
    _summary(review_project(project=project, conn=conn, data_dir=data_dir, image_root=image_root))


@app.command(
    "apply",
    help="Turn a pulled station-position overlay into a manifest beside a copy of the real map, and ask the "
    "visual families (localise, station_at_point) about it: OUT/maps/... and OUT/items.jsonl."
    + examples("mapkit annotate apply out/geneva.positions.json --out out/geneva-real --n 20"),
)
def apply(
    positions: Annotated[Path, typer.Argument(help="A positions overlay written by `mapkit annotate pull`.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for maps/ and items.jsonl.")],
    n: Annotated[int, typer.Option("--n", help="Items per family.")] = 10,
    seed: SeedOpt = 0,
    data_dir: DataDirOpt = None,
) -> None:
    from mapkit.annotations.localisation import apply_positions, generate_on_map, load_positions

    doc, _ = load_positions(positions, data_dir=data_dir)
    png = apply_positions(positions, out_dir, data_dir=data_dir)
    items = out_dir / "items.jsonl"
    count = generate_on_map(png, items, n_per_type=n, seed=seed, city_ref=doc["city_ref"], data_dir=data_dir)
    _table(
        f"real map of {doc['city']}",
        [
            ("stations placed", len(doc["stations"])),
            ("map", png),
            ("manifest", png.with_suffix(".json")),
            ("items", f"{count} in {items}"),
        ],
    )
    out.print(f"check them: mapkit validate {items}", markup=False)
