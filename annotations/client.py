"""The connection to a Label Studio server: URL and key resolution, and the few SDK calls mapkit makes.

The URL comes from ``--url`` or ``$LABEL_STUDIO_URL`` (default ``http://localhost:8080``); the API key
from ``$LABEL_STUDIO_API_KEY`` or a file named by ``--api-key-file`` - never from a flag value, which
would land in shell history and ``ps``. The key is never printed or logged: :class:`Connection`'s
``repr`` masks it and every error message passes through :meth:`Connection.scrub`.

Works with a legacy token (40 hex characters, header ``Authorization: Token <key>``) and with a
personal access token (a JWT, which the SDK exchanges for a short-lived access token).

The SDK (``pip install 'mapkit[review]'``, ``label-studio-sdk>=2.1,<2.2``) is imported only here and
only when a connection is opened, so the core of mapkit never loads it.

Example:
    >>> c = Connection("http://127.0.0.1:8080/", "0123456789abcdef0123456789abcdef01234567")
    >>> c
    Connection(url='http://127.0.0.1:8080', api_key='***')
    >>> c.scrub("401 for key 0123456789abcdef0123456789abcdef01234567")
    '401 for key ***'
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mapkit.errors import AnnotationError, ConfigError

__all__ = ["DEFAULT_URL", "KEY_ENV", "URL_ENV", "Connection", "connect"]

URL_ENV = "LABEL_STUDIO_URL"
KEY_ENV = "LABEL_STUDIO_API_KEY"
DEFAULT_URL = "http://localhost:8080"


@dataclass
class Connection:
    """A Label Studio server (``url``) and the key that opens it; :meth:`sdk` is the SDK client."""

    url: str
    api_key: str = field(repr=False)
    _client: Any = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.url = self.url.rstrip("/")

    def __repr__(self) -> str:
        return f"Connection(url={self.url!r}, api_key='***')"

    def scrub(self, text: str) -> str:
        """``text`` with the key (and any bearer token the SDK derived from it) replaced by ``***``."""
        return text.replace(self.api_key, "***") if self.api_key else text

    def sdk(self) -> Any:
        """The ``label_studio_sdk.LabelStudio`` client (created once)."""
        if self._client is None:
            try:
                from label_studio_sdk import LabelStudio
            except ImportError:
                raise ConfigError(
                    "Label Studio review needs the SDK: pip install 'mapkit[review]' (label-studio-sdk 2.1)."
                ) from None
            self._client = LabelStudio(base_url=self.url, api_key=self.api_key, timeout=300)
        return self._client

    def call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run one SDK call; a failure becomes an :class:`AnnotationError` saying ``what`` failed (key scrubbed)."""
        try:
            return fn(*args, **kwargs)
        except AnnotationError:
            raise
        except Exception as e:  # the SDK raises ApiError, httpx errors, pydantic errors ...
            status = getattr(e, "status_code", None)
            body = getattr(e, "body", None)
            detail = f"HTTP {status}: {body}" if status is not None else f"{type(e).__name__}: {e}"
            hint = None
            if status in (401, 403):
                hint = f"Check the key in ${KEY_ENV} (a legacy token or a personal access token of that server)."
            elif status is None:
                hint = f"Is Label Studio running at {self.url}? Set --url or ${URL_ENV}."
            msg = self.scrub(f"Label Studio at {self.url}: {what} failed ({detail}).")
            raise AnnotationError(msg, hint=hint) from None

    # --- the calls mapkit makes -----------------------------------------------------------------

    def find_project(self, title: str) -> Any | None:
        """The project titled ``title`` (exactly), or ``None``; two with that title is an error."""
        found = [p for p in self.call("listing projects", lambda: list(self.sdk().projects.list())) if p.title == title]
        if len(found) > 1:
            ids = ", ".join(str(p.id) for p in found)
            raise AnnotationError(
                f"{len(found)} Label Studio projects are titled {title!r} (ids {ids}).",
                hint="Rename all but one in Label Studio, then run again.",
            )
        return found[0] if found else None

    def users(self) -> dict[int, str]:
        """User id -> e-mail (or username) of every user the key can see (annotators in exports are ids)."""
        users = self.call("listing users", lambda: list(self.sdk().users.list()))
        return {u.id: (u.email or u.username or f"user {u.id}") for u in users}

    def iter_tasks(self, project_id: int, *, page_size: int = 1000) -> Iterator[Any]:
        """Every task of the project (id, data, annotation counts), page by page."""
        # only the fields push reads: the full objects (predictions, annotations, resolved URLs) cost 5x more
        pager = self.call(
            "listing tasks",
            self.sdk().tasks.list,
            project=project_id,
            page_size=page_size,
            fields="task_only",
            include="id,data,total_annotations,cancelled_annotations",
            resolve_uri=False,
        )
        yield from pager

    def snapshot(
        self, project_id: int, *, annotated_only: bool = False, poll_s: float = 0.25, timeout_s: float = 3600
    ) -> list[dict[str, Any]]:
        """A snapshot export of every task (``annotated_only``: of the tasks with an annotation or a skip)
        with full predictions and annotations (the JSON format).

        The simple export lists predictions as ids and annotated tasks only; the snapshot has both in
        full. The parsed JSON list is returned; nothing on the server changes but a new export record.
        """
        filters = {"task_filter_options": {"only_with_annotations": True}} if annotated_only else {}
        sdk = self.sdk()
        exp = self.call(
            "creating a snapshot export",
            sdk.projects.exports.create,
            id=project_id,
            title="mapkit pull",
            serialization_options={"predictions": {"only_id": False}},
            **filters,
        )
        t0 = time.monotonic()
        while True:
            cur = self.call("reading the export status", sdk.projects.exports.get, id=project_id, export_pk=exp.id)
            if cur.status == "completed":
                break
            if cur.status == "failed":
                raise AnnotationError(
                    f"Label Studio could not build the export of project {project_id}.",
                    hint="Look at the server log; run the pull again.",
                )
            if time.monotonic() - t0 > timeout_s:
                raise AnnotationError(f"the export of project {project_id} took more than {timeout_s:.0f} s.")
            time.sleep(poll_s)
        chunks = self.call(
            "downloading the export",
            lambda: b"".join(sdk.projects.exports.download(id=project_id, export_pk=exp.id, export_type="JSON")),
        )
        try:
            rows = json.loads(chunks)
        except json.JSONDecodeError as e:
            raise AnnotationError(f"the export of project {project_id} is not JSON ({e.msg}).") from None
        if not isinstance(rows, list):
            raise AnnotationError(f"the export of project {project_id} is not a list of tasks.")
        return rows

    def import_tasks(self, project_id: int, tasks: Sequence[dict[str, Any]]) -> list[int]:
        """Import ``tasks`` (data + predictions) in one request; the new task ids, in order."""
        res = self.call(
            "importing tasks",
            self.sdk().projects.import_tasks,
            id=project_id,
            request=list(tasks),
            return_task_ids=True,
        )
        ids = list(res.task_ids or [])
        if len(ids) != len(tasks):
            raise AnnotationError(f"Label Studio created {len(ids)} tasks for {len(tasks)} sent.")
        return ids

    def local_storage(self, project_id: int, path: Path) -> Any:
        """The project's Local Storage connection on ``path`` (created when missing).

        Label Studio serves ``/data/local-files/?d=<file>`` only for files under such a connection
        (and under its ``LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT``).
        """
        sdk = self.sdk()
        have = self.call("listing storages", sdk.import_storage.local.list, project=project_id)
        for st in have:
            if Path(st.path or "") == path:
                return st
        return self.call(
            f"connecting local storage {path}",
            sdk.import_storage.local.create,
            project=project_id,
            path=str(path),
            use_blob_urls=True,
            title=f"mapkit images: {path.name}",
        )


def connect(url: str | None = None, *, api_key_file: str | os.PathLike[str] | None = None) -> Connection:
    """A :class:`Connection` from the flags and the environment (see the module docstring).

    >>> os.environ[KEY_ENV] = "k" * 40
    >>> connect("http://ls.example:8080").url
    'http://ls.example:8080'
    >>> del os.environ[KEY_ENV]
    """
    url = url or os.environ.get(URL_ENV) or DEFAULT_URL
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"the Label Studio URL {url!r} must start with http:// or https://.")
    if api_key_file is not None:
        p = Path(api_key_file)
        try:
            key = p.read_text(encoding="utf-8").strip()
        except OSError as e:
            raise ConfigError(f"{p}: cannot read the API key file ({e.strerror}).") from None
    else:
        key = os.environ.get(KEY_ENV, "").strip()
    if not key:
        raise ConfigError(
            f"no Label Studio API key: set ${KEY_ENV} (Account & Settings > Personal Access Token, or the legacy "
            "token) or pass --api-key-file FILE.",
        )
    return Connection(url, key)
