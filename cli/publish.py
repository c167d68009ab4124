"""`mapkit publish DIR --repo-id ORG/NAME`: upload an exported dataset folder to the Hugging Face Hub."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from mapkit.cli.console import human_size, out
from mapkit.cli.options import examples
from rich.table import Table


def register(app: typer.Typer) -> None:
    app.command(
        "publish",
        help="Publish an exported dataset folder to the Hugging Face Hub. The folder must load with `datasets` "
        "and its card metadata must validate. The token comes from HF_TOKEN or the stored `hf auth login` and is "
        "never printed. --dry-run lists what would be uploaded and makes no network call."
        + examples(
            "mapkit publish out/hf --repo-id my-org/mapkit-vqa --dry-run",
            "mapkit publish out/hf --repo-id my-org/mapkit-vqa --private",
            "mapkit publish out/hf --repo-id my-org/mapkit-vqa --revision v0.1",
        ),
    )(publish)


def publish(
    folder: Annotated[Path, typer.Argument(help="A folder written by `mapkit export --to hf`.")],
    repo_id: Annotated[str, typer.Option("--repo-id", help="Target dataset repo, ORG/NAME.")],
    private: Annotated[bool, typer.Option("--private", help="Create the repo private.")] = False,
    revision: Annotated[str | None, typer.Option("--revision", help="Branch to upload to (created if absent).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print what would be uploaded; no network call.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
) -> None:
    from mapkit.export.publish import publish as publish_folder

    plan = publish_folder(folder, repo_id=repo_id, private=private, revision=revision, dry_run=dry_run)
    if as_json:
        print(json.dumps(plan.to_dict(), ensure_ascii=False, indent=2))
        return
    d = plan.to_dict()
    head = "DRY RUN: nothing uploaded, no network call" if dry_run else "uploaded"
    out.print(f"{head}", markup=False)
    out.print(
        f"repo: datasets/{d['repo_id']} ({'private' if private else 'public'})  revision: {d['revision']}  "
        f"method: {d['method']}  token: {d['token']}",
        markup=False,
    )
    table = Table(title=f"{len(plan.files)} files, {human_size(plan.total_bytes)}")
    table.add_column("file")
    table.add_column("size", justify="right")
    for path, size in plan.files:
        table.add_row(path, human_size(size))
    out.print(table)
    for note in plan.notes:
        out.print(f"note: {note}", markup=False)
    if plan.commit_url:
        out.print(f"commit: {plan.commit_url}", markup=False)
