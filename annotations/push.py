"""``mapkit annotate push``: items (or a city's real map) into a Label Studio project.

:func:`push_items` reads canonical items or published ReasonMap-Plus rows, computes the graph's answer
for each (:func:`mapkit.annotations.items.graph_truth`, the code of ``mapkit validate``), creates the
project titled ``project`` with the item-review config (:func:`~mapkit.annotations.configs.review_config`)
or reuses it, connects a Local Storage on the image folder so Label Studio serves the map images, and
imports the tasks in batches. Each task's ``data`` holds mapkit's item id (``mapkit_id``), a content hash
(``mapkit_hash``) and the row itself (``item``), so results come back by id, never by position; its
prediction is the graph's answer in the control of the item's answer kind, ``model_version`` =
``mapkit <family> v<version>``.

Re-pushing is idempotent: a task whose id and hash are already there is left alone; a new id is
imported; a changed row is updated in place (data and prediction) while nobody has annotated it, and
reported (not touched) once somebody has.

:func:`push_map` creates the station-localisation project of one city: one task with the real map image
and a keypoint label per station of the curated graph.

Images: an item's ``figure`` (``./maps/<country>/<city>.png``) is resolved inside ``image_root`` (default:
the items file's folder when it has a ``maps/`` folder, else the ReasonMap data folder), and the task
points at ``/data/local-files/?d=maps/<country>/<city>.png``. The server must run with
``LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED=true`` and ``LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT`` set to
``image_root`` or a folder above it (docs/annotate.md).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from mapkit.annotations.client import Connection
from mapkit.annotations.configs import (
    ANSWER_CONTROLS,
    localisation_config,
    review_config,
    station_labels,
)
from mapkit.annotations.items import Row, Truth, graph_truth, item_hash, read_rows

from mapkit.errors import AnnotationError, ConfigError, DataFileError
from mapkit.graph.model import MetroGraph
from mapkit.io import plain_fields

__all__ = ["PushReport", "image_ref", "push_items", "push_map", "task_for"]

Progress = Callable[[int, int], None]


@dataclass
class PushReport:
    """What a push did: ``project`` (title, id), tasks ``created``, ``updated``, ``unchanged``,
    ``changed_reviewed`` (ids changed since a reviewer annotated them: reported, not touched),
    ``server_only`` (ids on the server that the file lacks), ``graph_disagrees`` (rows the graph
    answers differently: their pre-annotation is the graph's answer), ``seconds``."""

    project: str
    project_id: int
    total: int = 0
    created: int = 0
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    changed_reviewed: list[str] = field(default_factory=list)
    server_only: int = 0
    graph_disagrees: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return plain_fields(self) | {"seconds": round(self.seconds, 3)}


def image_ref(figure: str, image_root: Path) -> tuple[str, Path]:
    """``(d, file)`` for a row's ``figure``: the ``?d=`` value of the local-files URL and the file on disk.

    Only ``./`` paths without ``..`` inside ``image_root`` are accepted (rows are untrusted).

    >>> image_ref("./maps/china/jinan.png", Path("/data"))
    ('maps/china/jinan.png', PosixPath('/data/maps/china/jinan.png'))
    """
    parts = PurePosixPath(figure).parts
    if not figure.startswith("./") or ".." in parts or "\\" in figure or len(parts) < 2:
        raise DataFileError(f"the figure {figure!r} is not a ./maps/... path inside the image folder.")
    return "/".join(parts), image_root.joinpath(*parts)


def model_version(r: Row) -> str:
    """``mapkit <family> v<version>``: the ``model_version`` of the graph's pre-annotation."""
    from mapkit.questions import get_family

    if r.format == "mapkit":
        m = r.row["mapkit"]
        return f"mapkit {m.get('family', r.row.get('type'))} v{m.get('family_version', '?')}"
    try:
        return f"mapkit {r.row.get('type')} v{get_family(str(r.row.get('type'))).version}"
    except ConfigError:
        return "mapkit reasonmap-plus"


def _prediction_result(kind: str, text: str | None) -> list[dict[str, Any]]:
    if text is None:
        return []
    name = ANSWER_CONTROLS[kind]
    if kind in ("yesno", "choice"):
        return [{"from_name": name, "to_name": "question", "type": "choices", "value": {"choices": [text]}}]
    if kind == "number":
        try:
            return [{"from_name": name, "to_name": "question", "type": "number", "value": {"number": int(text)}}]
        except ValueError:
            return []
    return [{"from_name": name, "to_name": "question", "type": "textarea", "value": {"text": [text]}}]


def task_for(r: Row, truth: Truth, image: str) -> dict[str, Any]:
    """The Label Studio task (data + the graph's answer as a prediction) of one row.

    >>> from mapkit.annotations.items import Row, Truth
    >>> row = {"id": "x:TorF1:0:0", "type": "TorF1", "city": "x", "question": "Q?", "answer": 1,
    ...        "answer_text": "yes", "mapkit": {"family": "TorF1", "family_version": 1}}
    >>> t = task_for(Row("x:TorF1:0:0", row, "mapkit", 1, "yesno"), Truth(1, "yes", None, True), "/img")
    >>> t["data"]["mapkit_id"], t["predictions"][0]["model_version"], t["predictions"][0]["result"][0]["value"]
    ('x:TorF1:0:0', 'mapkit TorF1 v1', {'choices': ['yes']})
    """
    row = r.row
    graph_answer = truth.answer_text if truth.answer_text is not None else "(the graph gives no answer)"
    if not truth.agrees:
        graph_answer += "   [the item stores a different answer: see the item's validation]"
    data = {
        "mapkit_id": r.id,
        "mapkit_hash": item_hash(row),
        "format": r.format,
        "title": f"{row.get('city', '?')} · {row.get('type', '?')} · {r.id}",
        "image": image,
        "question": str(row.get("question", "")),
        "graph_answer": graph_answer,
        "answer_kind": r.kind,
        "item": row,
    }
    pred = {"model_version": model_version(r), "score": 1.0, "result": _prediction_result(r.kind, truth.answer_text)}
    return {"data": data, "predictions": [pred]}


def _default_image_root(items_path: Path, data_dir: str | os.PathLike[str] | None) -> Path:
    from mapkit.data import resolve_data_dir

    if (items_path.parent / "maps").is_dir():
        return items_path.parent
    return resolve_data_dir(data_dir)


def _prefix(image_root: Path, document_root: str | os.PathLike[str] | None) -> str:
    """``image_root`` relative to the server's document root, as a ``?d=`` prefix (``""`` when equal)."""
    if document_root is None:
        return ""
    rel = os.path.relpath(os.path.abspath(image_root), os.path.abspath(document_root))
    if rel == ".":
        return ""
    if rel.startswith(".."):
        raise ConfigError(
            f"the image folder {image_root} is not inside the document root {document_root}.",
            hint="Start Label Studio with LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT set to a folder above it.",
        )
    return PurePosixPath(*Path(rel).parts).as_posix() + "/"


def _ensure_review_project(conn: Connection, title: str, kinds: set[str]) -> Any:
    sdk = conn.sdk()
    project = conn.find_project(title)
    if project is None:
        return conn.call(
            f"creating project {title!r}",
            sdk.projects.create,
            title=title,
            label_config=review_config(kinds),
            description="mapkit item review",
            show_skip_button=True,
        )
    config = project.label_config or ""
    if 'name="verdict"' not in config:
        raise AnnotationError(
            f"the Label Studio project {title!r} is not a mapkit item-review project.",
            hint="Push the items into another project (--project NAME).",
        )
    have = {k for k, name in ANSWER_CONTROLS.items() if f'name="{name}"' in config}
    if not kinds <= have:  # a new answer kind: add its control (existing annotations stay valid)
        conn.call(
            f"updating the config of {title!r}",
            sdk.projects.update,
            id=project.id,
            label_config=review_config(kinds | have),
        )
    return project


def _storage_for(conn: Connection, project_id: int, image_root: Path, refs: Sequence[str]) -> None:
    for top in sorted({ref.split("/", 1)[0] for ref in refs}):
        conn.local_storage(project_id, (image_root / top).absolute())


def push_items(
    items: str | os.PathLike[str],
    *,
    project: str,
    conn: Connection,
    image_root: str | os.PathLike[str] | None = None,
    document_root: str | os.PathLike[str] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    graphs: Mapping[str, MetroGraph] | None = None,
    batch_size: int = 1000,
    progress: Progress | None = None,
) -> PushReport:
    """Push the rows of ``items`` into the review project titled ``project`` (see the module docstring).

    ``document_root``: the server's ``LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT`` (default ``image_root``);
    image URLs are paths relative to it.
    """
    import time

    t0 = time.perf_counter()
    if batch_size < 1:
        raise ConfigError("--batch-size must be at least 1.")
    path = Path(items)
    rows = read_rows(path)
    root = Path(image_root) if image_root is not None else _default_image_root(path, data_dir)
    prefix = _prefix(root, document_root)
    images: dict[str, str] = {}
    missing: list[str] = []
    for r in rows:
        ref, file = image_ref(str(r.row.get("figure", "")), root)
        images[r.id] = f"/data/local-files/?d={prefix}{ref}"
        if not file.is_file() and str(file) not in missing:
            missing.append(str(file))
    if missing:
        raise DataFileError(
            f"{len(missing)} map image(s) the items show are not in the image folder {root}: "
            + ", ".join(missing[:3])
            + ("..." if len(missing) > 3 else "")
            + ".",
            path=path,
            hint="Render the maps (`mapkit generate --render`), or pass --image-root / --data-dir with the real maps.",
        )
    truth = graph_truth(path, rows, data_dir=data_dir, graphs=graphs)
    proj = _ensure_review_project(conn, project, {r.kind for r in rows})
    _storage_for(conn, proj.id, root, [images[r.id].split("?d=", 1)[1][len(prefix) :] for r in rows])
    rep = PushReport(project=project, project_id=proj.id, total=len(rows))
    rep.graph_disagrees = [r.id for r in rows if not truth[r.id].agrees]
    existing: dict[str, Any] = {}
    wanted = {r.id for r in rows}
    for task in conn.iter_tasks(proj.id):
        mid = (task.data or {}).get("mapkit_id")
        if mid in wanted:
            existing[mid] = task
        else:
            rep.server_only += 1
    new: list[dict[str, Any]] = []
    sdk = conn.sdk()
    done = 0
    for r in rows:
        task = task_for(r, truth[r.id], images[r.id])
        old = existing.get(r.id)
        if old is None:
            new.append(task)
            continue
        if (old.data or {}).get("mapkit_hash") == task["data"]["mapkit_hash"]:
            rep.unchanged += 1
        elif (old.total_annotations or 0) > 0 or (old.cancelled_annotations or 0) > 0:
            rep.changed_reviewed.append(r.id)
        else:
            conn.call(f"updating task {old.id}", sdk.tasks.update, id=str(old.id), data=task["data"])
            for pred in conn.call("listing predictions", sdk.predictions.list, task=old.id):
                conn.call("removing a stale prediction", sdk.predictions.delete, id=pred.id)
            p = task["predictions"][0]
            conn.call(
                "adding a prediction",
                sdk.predictions.create,
                task=old.id,
                result=p["result"],
                model_version=p["model_version"],
                score=p["score"],
            )
            rep.updated.append(r.id)
        done += 1
    if progress:
        progress(done, len(rows))
    for i in range(0, len(new), batch_size):
        batch = new[i : i + batch_size]
        conn.import_tasks(proj.id, batch)
        rep.created += len(batch)
        done += len(batch)
        if progress:
            progress(done, len(rows))
    rep.seconds = time.perf_counter() - t0
    return rep


def push_map(
    city: str,
    *,
    project: str,
    conn: Connection,
    data_dir: str | os.PathLike[str] | None = None,
    image_root: str | os.PathLike[str] | None = None,
    document_root: str | os.PathLike[str] | None = None,
    graph: MetroGraph | None = None,
) -> PushReport:
    """Create (or reuse) the station-localisation project of ``city``'s real map: one task, whose data
    carries the label -> station id table and the image's sha256 (the overlay pins both).

    The image is the ReasonMap map ``maps/<country>/<city>.png`` of the data folder, served through a
    Local Storage on that ``maps/`` folder (``image_root``: the same maps seen through another folder
    holding ``maps/``, e.g. one inside Label Studio's document root).
    """
    import time

    from PIL import Image

    from mapkit.data import map_image, resolve_data_dir
    from mapkit.io import file_sha256
    from mapkit.questions.base import context
    from mapkit.sources import load_city

    t0 = time.perf_counter()
    root = resolve_data_dir(data_dir)
    g = graph if graph is not None else load_city(city, data_dir=root)
    png = map_image(root, g.city, g.country)
    if png is None:
        raise DataFileError(
            f"{g.city} has no real map image in {root}/maps/{g.country}/.",
            hint="Localisation needs the real map: `mapkit data pull`, or pass --data-dir.",
        )
    labels = station_labels([(sid, st.name) for sid, st in sorted(g.stations.items(), key=lambda kv: kv[1].name)])
    sdk = conn.sdk()
    proj = conn.find_project(project)
    if proj is None:
        proj = conn.call(
            f"creating project {project!r}",
            sdk.projects.create,
            title=project,
            label_config=localisation_config(labels),
            description=f"mapkit station localisation: {g.city}",
        )
    elif 'name="stations"' not in (proj.label_config or ""):
        raise AnnotationError(
            f"the Label Studio project {project!r} is not a mapkit localisation project.",
            hint="Use another --project name.",
        )
    shown = Path(image_root) if image_root is not None else root
    conn.local_storage(proj.id, shown.absolute() / "maps")
    with Image.open(png) as im:
        width, height = im.size
    ref = f"maps/{g.country}/{g.city}.png"
    data = {
        "mapkit_id": f"{g.city}:map",
        "title": f"{g.city}: place every station you can find",
        "image": f"/data/local-files/?d={_prefix(shown, document_root)}{ref}",
        "city": g.city,
        "country": g.country,
        "city_ref": context(g).city_ref,
        "graph_hash": g.content_hash,
        "figure": f"./{ref}",
        "image_sha256": file_sha256(png),
        "width": width,
        "height": height,
        "labels": labels,
    }
    from mapkit.annotations.items import item_hash

    data["mapkit_hash"] = item_hash(data)
    rep = PushReport(project=project, project_id=proj.id, total=1)
    old = [t for t in conn.iter_tasks(proj.id) if (t.data or {}).get("mapkit_id") == data["mapkit_id"]]
    if not old:
        conn.import_tasks(proj.id, [{"data": data}])
        rep.created = 1
    elif old[0].data.get("mapkit_hash") == data["mapkit_hash"]:
        rep.unchanged = 1
    elif (old[0].total_annotations or 0) > 0:
        rep.changed_reviewed.append(data["mapkit_id"])
    else:
        conn.call("updating the map task", sdk.tasks.update, id=str(old[0].id), data=data)
        rep.updated.append(data["mapkit_id"])
    rep.seconds = time.perf_counter() - t0
    return rep
