"""``mapkit annotate pull`` and ``status``: a project's snapshot export, checked and merged by item id.

:func:`review_project` downloads a snapshot export (full predictions and annotations of every task),
maps each task back to its item by ``data.mapkit_id`` (never by position), validates every result
against the project's config on the client, checks every human answer against the graph and resolves
several annotators (:mod:`mapkit.annotations.review`). :func:`pull_review` writes the outcome to a JSONL
file, one row per item sorted by id, atomically: an interrupted pull leaves the previous file as it was,
and the server is only read, so running it again loses nothing. Rows hold no pull time, so pulling an
unchanged project again gives the same bytes.

Unannotated tasks come from the task list (their data is all a pull needs) and annotated ones from the
snapshot export, which costs five times more per task.

A localisation project (the config of :func:`~mapkit.annotations.configs.localisation_config`) is pulled
into a station-position overlay and curation proposals instead (:mod:`mapkit.annotations.localisation`).

Each reviewed row::

    {"id", "status": agrees|disagrees|ambiguous|conflict|unreviewed, "type", "city",
     "stored_answer", "graph_answer", "item_agrees_with_graph", "graph_disagreements": [...],
     "annotations": [{"annotator", "annotation_id", "created_at", "updated_at", "answer", "verdict",
                      "comment", "label", "why"}],
     "invalid": [{"annotator", "annotation_id", "errors"}], "skipped": N,
     "look_at": {"item": id, "graph": "<curation file>:<line>"} (disagrees / conflict only),
     "provenance": {"project", "project_id", "task_id", "server", "pushed_model_version"},
     "item": the row as pushed}
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mapkit.annotations.client import Connection
from mapkit.annotations.configs import answer_kind
from mapkit.annotations.items import Row, graph_truth, row_format
from mapkit.annotations.push import model_version
from mapkit.annotations.review import (
    agreement,
    curation_ref,
    human_answer,
    label_of,
    resolve,
    validate_result,
)

from mapkit.errors import AnnotationError, MapkitError
from mapkit.graph.model import MetroGraph
from mapkit.io import plain_fields, write_jsonl

__all__ = ["ReviewResult", "pull_review", "review_project"]


@dataclass
class ReviewResult:
    """The checked review of a project: ``rows`` (one per item, sorted by id), counts by ``status``,
    ``agreement`` figures, per-annotator counts, and the number of ``tasks`` / ``annotations``."""

    project: str
    project_id: int
    kind: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    tasks: int = 0
    annotations: int = 0
    skipped: int = 0
    invalid: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    per_annotator: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    agreement: dict[str, Any] = field(default_factory=dict)
    outputs: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Everything but the ``rows`` (they go to the reviewed file), with ``extra`` merged in."""
        return plain_fields(self, skip=("rows", "extra")) | self.extra


def _project(conn: Connection, project: str) -> Any:
    proj = conn.find_project(project)
    if proj is None:
        raise AnnotationError(
            f"no Label Studio project is titled {project!r} at {conn.url}.",
            hint="Push items first (`mapkit annotate push ITEMS --project NAME`).",
        )
    return proj


def _kind(config: str) -> str:
    if 'name="verdict"' in config:
        return "review"
    if 'name="stations"' in config:
        return "localisation"
    raise AnnotationError("the project was not made by mapkit (no verdict or stations control).")


def review_project(
    *,
    project: str,
    conn: Connection,
    data_dir: str | os.PathLike[str] | None = None,
    graphs: Mapping[str, MetroGraph] | None = None,
    image_root: str | os.PathLike[str] | None = None,
    export: list[dict[str, Any]] | None = None,
) -> ReviewResult:
    """Check a review project's annotations against the graph (module docstring); writes nothing.

    ``export``: an already downloaded snapshot (tests, re-runs); default: download one now.
    """
    from label_studio_sdk.label_interface import LabelInterface

    proj = _project(conn, project)
    kind = _kind(proj.label_config or "")
    res = ReviewResult(project=project, project_id=proj.id, kind=kind)
    if export is not None:
        tasks = export
    elif kind == "localisation":
        tasks = conn.snapshot(proj.id)
    else:
        tasks = _review_tasks(conn, proj.id)
    users = conn.users()
    res.tasks = len(tasks)
    if kind == "localisation":
        from mapkit.annotations.localisation import positions_from_export

        res.extra["localisation"] = positions_from_export(
            tasks,
            users=users,
            interface=LabelInterface(proj.label_config),
            project=project,
            project_id=proj.id,
            data_dir=data_dir,
            graphs=graphs,
            res=res,
        )
        return res
    interface = LabelInterface(proj.label_config)
    rows: list[Row] = []
    by_id: dict[str, dict[str, Any]] = {}
    for task in tasks:
        data = task.get("data") or {}
        mid, item = data.get("mapkit_id"), data.get("item")
        if not isinstance(mid, str) or not isinstance(item, dict):
            continue  # a task somebody added by hand: not one of mapkit's items
        if mid in by_id:
            raise AnnotationError(
                f"two tasks of project {project!r} carry the item id {mid!r} "
                f"(tasks {by_id[mid]['id']} and {task.get('id')}).",
                hint="Delete the duplicate task in Label Studio, then pull again.",
            )
        by_id[mid] = task
        fmt = row_format(item)
        kind_of = answer_kind(str(item.get("type")), item.get("answer") if fmt == "mapkit" else 0)
        rows.append(Row(mid, item, fmt, len(rows) + 1, kind_of))
    rows.sort(key=lambda r: r.id)
    truth: dict[str, Any] = {}
    for fmt in ("mapkit", "reasonmap-plus"):
        part = [r for r in rows if r.format == fmt]
        if part:
            truth.update(graph_truth(None, part, data_dir=data_dir, graphs=graphs, maps_dir=image_root))
    graph_cache: dict[str, MetroGraph | None] = dict(graphs or {})
    per_item: list[list[str]] = []
    for r in rows:
        task = by_id[r.id]
        t = truth[r.id]
        graph = _graph_for(r, graph_cache, data_dir)
        anns, invalid, labels = [], [], []
        skipped = 0
        for a in sorted(task.get("annotations") or [], key=lambda a: a.get("id") or 0):
            who = users.get(a.get("completed_by"), f"user {a.get('completed_by')}")
            res.annotations += 1
            if a.get("was_cancelled"):
                skipped += 1
                res.per_annotator[who]["skipped"] += 1
                continue
            result = a.get("result") or []
            errors = validate_result(interface, result)
            ans = human_answer(result, r.kind)
            if not errors and ans.verdict is None:
                errors = ["no verdict (valid / ambiguous / wrong)"]
            label = why = None
            if not errors:
                try:
                    label, why = label_of(r, t, ans, graph)
                except ValueError:
                    errors = [f"no answer in the {r.kind} control, and the verdict is {ans.verdict}"]
            if errors:
                invalid.append({"annotator": who, "annotation_id": a.get("id"), "errors": errors})
                res.invalid += 1
                res.per_annotator[who]["invalid"] += 1
                continue
            labels.append(label)
            res.per_annotator[who][label] += 1
            anns.append(
                {
                    "annotator": who,
                    "annotation_id": a.get("id"),
                    "created_at": a.get("created_at"),
                    "updated_at": a.get("updated_at"),
                    "answer": ans.answer,
                    "verdict": ans.verdict,
                    "comment": ans.comment,
                    "label": label,
                    "why": why,
                }
            )
        res.skipped += skipped
        status = resolve(labels)
        res.by_status[status] += 1
        per_item.append(labels)
        preds = task.get("predictions") or []
        out = {
            "id": r.id,
            "status": status,
            "type": r.row.get("type"),
            "city": r.row.get("city"),
            "stored_answer": r.row.get("answer_text", r.row.get("answer")),
            "graph_answer": t.answer_text,
            "item_agrees_with_graph": t.agrees,
            "graph_disagreements": t.disagreements,
            "annotations": anns,
            "invalid": invalid,
            "skipped": skipped,
        }
        if status in ("disagrees", "conflict") or not t.agrees:
            names = [r.row.get("station_1", ""), r.row.get("station_2", "")]
            names += list((r.row.get("mapkit") or {}).get("line_ids", []) if r.format == "mapkit" else [])
            out["look_at"] = {"item": r.id, "graph": curation_ref(str(r.row.get("city")), names, data_dir)}
        out["provenance"] = {
            "project": project,
            "project_id": proj.id,
            "task_id": task.get("id"),
            "server": conn.url,
            "pushed_model_version": (
                preds[0].get("model_version") if preds and isinstance(preds[0], dict) else model_version(r)
            ),
        }
        out["item"] = r.row
        res.rows.append(out)
    res.agreement = agreement(per_item)
    return res


def _review_tasks(conn: Connection, project_id: int) -> list[dict[str, Any]]:
    """Every task: the annotated ones from a snapshot export (full annotations and predictions), the others
    (data only: nothing to read but the item) from the task list, which costs a fifth of exporting them.

    A task annotated between the two calls shows as unreviewed this time; nothing is lost.
    """
    annotated = conn.snapshot(project_id, annotated_only=True)
    seen = {t.get("id") for t in annotated}
    rest = [
        {"id": t.id, "data": t.data, "annotations": [], "predictions": []}
        for t in conn.iter_tasks(project_id)
        if t.id not in seen
    ]
    return annotated + rest


def _graph_for(r: Row, cache: dict[str, MetroGraph | None], data_dir: Any) -> MetroGraph | None:
    if r.row.get("type") != "planning" or r.format != "mapkit":
        return None
    ref = str(r.row["mapkit"].get("city_ref"))
    if ref not in cache:
        from mapkit.sources import load_city

        try:
            cache[ref] = load_city(ref, data_dir=data_dir)
        except MapkitError:
            cache[ref] = None
    return cache[ref]


def pull_review(
    *,
    project: str,
    conn: Connection,
    out: str | os.PathLike[str],
    data_dir: str | os.PathLike[str] | None = None,
    graphs: Mapping[str, MetroGraph] | None = None,
    image_root: str | os.PathLike[str] | None = None,
    export: list[dict[str, Any]] | None = None,
) -> ReviewResult:
    """Pull ``project`` into ``out`` (see the module docstring); returns the :class:`ReviewResult`.

    For a localisation project ``out`` receives the station-position overlay (JSON) and
    ``<out>.proposals.json`` the stations and lines annotators added.
    """
    res = review_project(
        project=project, conn=conn, data_dir=data_dir, graphs=graphs, image_root=image_root, export=export
    )
    target = Path(out)
    if res.kind == "localisation":
        from mapkit.annotations.localisation import write_localisation

        res.outputs = write_localisation(res.extra["localisation"], target)
        return res
    write_jsonl(target, res.rows)
    res.outputs = [str(target)]
    return res
