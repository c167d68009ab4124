"""Publish an exported dataset folder to the Hugging Face Hub (``mapkit publish``).

Before anything leaves the machine the folder must pass two checks, else :class:`PublishError`
says what to fix: its card metadata validates (:func:`mapkit.export.card.validate_card`) and every
config loads with ``datasets`` (first row of each split, streamed, images decoded).

Upload: ``create_repo`` (dataset, ``exist_ok``), ``create_branch`` for a ``revision``, then
``upload_large_folder`` (resumable, many commits) for large folders where the installed
``huggingface_hub`` has it, else ``upload_folder`` (which since huggingface_hub 1.x/2.x streams
through hf_xet, commits large folders in batches and resumes when re-run). The token comes from
``token``, ``$HF_TOKEN`` or the stored ``hf auth login``; it is never printed or put in a message.
``dry_run`` stops after the plan: no network call at all.

Example:
    >>> token_source(env={"HF_TOKEN": "hf_secret"})
    'HF_TOKEN'
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mapkit.errors import PublishError

LARGE_BYTES = 1 << 30
"""Folders above 1 GiB (or :data:`LARGE_FILES` files) go through the resumable large-folder upload."""
LARGE_FILES = 500
IGNORED_DIRS = (".git", ".cache")
IGNORE_PATTERNS = tuple(p for d in IGNORED_DIRS for p in (f"{d}/*", f"*/{d}/*"))
"""The one ignore rule: :func:`list_files` (the plan) and the upload calls both use it. Hub patterns
are ``fnmatch`` patterns on the relative path (``*`` crosses ``/``): the folders at any depth."""


def is_ignored(rel: str) -> bool:
    """True when the relative posix path is left out of the upload (:data:`IGNORE_PATTERNS`).

    >>> is_ignored(".git/HEAD"), is_ignored("data/.cache/x"), is_ignored("data/a.gitignore")
    (True, True, False)
    """
    return any(fnmatch.fnmatchcase(rel, p) for p in IGNORE_PATTERNS)


@dataclass
class PublishPlan:
    """What would be (or was) uploaded, where and how; never holds the token itself."""

    folder: Path
    repo_id: str
    revision: str | None
    private: bool
    files: list[tuple[str, int]]
    method: str
    token_source: str | None
    dry_run: bool = True
    commit_url: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def total_bytes(self) -> int:
        return sum(size for _, size in self.files)

    def to_dict(self) -> dict[str, Any]:
        return {
            "folder": str(self.folder),
            "repo_id": self.repo_id,
            "repo_type": "dataset",
            "revision": self.revision or "main",
            "private": self.private,
            "method": self.method,
            "token": self.token_source or "none",
            "files": [{"path": p, "bytes": s} for p, s in self.files],
            "total_bytes": self.total_bytes,
            "dry_run": self.dry_run,
            "commit_url": self.commit_url,
            "notes": self.notes,
        }


def token_source(token: str | None = None, env: Mapping[str, str] | None = None) -> str | None:
    """Where the token would come from (``argument``, ``HF_TOKEN``, ``stored login``) or None. Offline."""
    env = os.environ if env is None else env
    if token:
        return "argument"
    if env.get("HF_TOKEN"):
        return "HF_TOKEN"
    try:
        from huggingface_hub import get_token

        # get_token reads $HF_TOKEN first; with it unset, a non-empty result is the stored login
        if env is os.environ and get_token():
            return "stored login"
    except Exception:  # noqa: BLE001 - an unreadable token file is the same as none
        return None
    return None


def _resolve_token(token: str | None) -> str | None:
    if token:
        return token
    if os.environ.get("HF_TOKEN"):
        return os.environ["HF_TOKEN"]
    from huggingface_hub import get_token

    return get_token()


def list_files(folder: Path) -> list[tuple[str, int]]:
    """(relative path, bytes) of every file that would be uploaded, sorted (``.git``/``.cache`` left out).

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "README.md").write_text("hi")
    >>> (d / ".cache").mkdir(); _ = (d / ".cache" / "state").write_text("x")
    >>> list_files(d)
    [('README.md', 2)]
    """
    out = []
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder)
        if p.is_file() and not is_ignored(rel.as_posix()):
            out.append((rel.as_posix(), p.stat().st_size))
    return out


def check_loads(folder: Path) -> list[str]:
    """Problems loading each config of ``folder`` with ``datasets`` (first row per split, streamed)."""
    try:
        import datasets
        from huggingface_hub import DatasetCard
    except ImportError as err:  # pragma: no cover - the [hub] extra
        return [f"the Hugging Face libraries are not installed ({err.name}): pip install -e '.[hub]'"]
    import glob

    import pyarrow.parquet as pq

    problems = []
    configs = DatasetCard.load(folder / "README.md").data.to_dict().get("configs") or [{"config_name": None}]
    # every Parquet file a config names must be readable, not only the ones its first rows come from
    shards = sorted(
        {f for c in configs for df in c.get("data_files") or [] if isinstance(df, dict)
         for pattern in ([df["path"]] if isinstance(df["path"], str) else df["path"])
         for f in glob.glob(str(folder / pattern)) if f.endswith(".parquet")}
    )  # fmt: skip
    for f in shards:
        try:
            pq.read_metadata(f)
        except Exception as err:  # noqa: BLE001
            problems.append(f"{Path(f).relative_to(folder)} is not a readable Parquet file ({err})")
    if problems:
        return problems
    for c in configs:
        name = c.get("config_name")
        try:
            ds = datasets.load_dataset(str(folder), name, streaming=True)
            for part in ds.values():
                next(iter(part), None)  # decodes the first row, image included
        except Exception as err:  # noqa: BLE001 - report any loader failure, it is what users would hit
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            problems.append(f"config {name!r} does not load with datasets: {first}")
    return problems


def plan_publish(
    folder: str | os.PathLike[str], *, repo_id: str, private: bool = False, revision: str | None = None,
    token: str | None = None, check: bool = True,
) -> PublishPlan:  # fmt: skip
    """Validate ``folder`` and describe the upload; raises :class:`PublishError` with what to fix."""
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    from mapkit.export.card import validate_card

    root = Path(folder)
    if not root.is_dir():
        raise PublishError(f"{root} is not a folder.", hint="Export one: `mapkit export ITEMS --to hf --out DIR`.")
    try:
        validate_repo_id(repo_id)
    except HFValidationError as err:
        raise PublishError(f"Invalid repo id {repo_id!r}: {err}", hint="Use ORG/NAME, e.g. my-org/mapkit.") from None
    if "/" not in repo_id:
        raise PublishError(f"Invalid repo id {repo_id!r}: give the namespace too (ORG/NAME).")
    if check:
        problems = validate_card(root)
        if problems:
            raise PublishError(
                f"{root}/README.md is not a valid dataset card: " + "; ".join(problems) + ".",
                hint="Re-export the folder with `mapkit export --to hf`, or fix the card's YAML header.",
            )
        problems = check_loads(root)
        if problems:
            raise PublishError(
                f"{root} does not load with `datasets`: " + "; ".join(problems) + ".",
                hint="Re-export the folder with `mapkit export --to hf` (do not move files inside it).",
            )
    files = list_files(root)
    total = sum(s for _, s in files)
    large = total > LARGE_BYTES or len(files) > LARGE_FILES
    from huggingface_hub import HfApi

    method = "upload_large_folder" if large and hasattr(HfApi, "upload_large_folder") else "upload_folder"
    return PublishPlan(root, repo_id, revision, private, files, method, token_source(token))


OLD_PLACEHOLDER = "<this repo or folder>"
"""What cards of earlier mapkit versions loaded in their quick start."""


def card_ref(folder: str | os.PathLike[str]) -> str | None:
    """What the card's quick start loads now (recorded in the export marker), or None when unknown."""
    import json

    from mapkit.export.core import MARKER_FILE

    try:
        doc = json.loads((Path(folder) / MARKER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    ref = doc.get("card_ref") if isinstance(doc, dict) else None
    return ref if isinstance(ref, str) and ref else None


def set_card_repo(folder: str | os.PathLike[str], repo_id: str) -> bool:
    """Make the card's quick start load ``repo_id`` (it names the export folder until published).

    Rewrites ``README.md`` atomically and updates the marker's record of it, so a later re-export still
    knows the card as mapkit's own. Returns whether anything changed.
    """
    import json

    from mapkit.export.core import MARKER_FILE, record_file
    from mapkit.io import write_json, write_text_atomic

    root = Path(folder)
    readme = root / "README.md"
    text = readme.read_text(encoding="utf-8")
    new = text
    for old in filter(None, [card_ref(root), OLD_PLACEHOLDER]):
        new = new.replace(f"load_dataset({json.dumps(old, ensure_ascii=False)}",
                          f"load_dataset({json.dumps(repo_id, ensure_ascii=False)}")  # fmt: skip
    if new == text:
        return False
    write_text_atomic(readme, new)
    record_file(root, "README.md")
    marker = root / MARKER_FILE
    if marker.is_file():
        doc = json.loads(marker.read_text(encoding="utf-8"))
        doc["card_ref"] = repo_id
        write_json(marker, doc)
    return True


def _redact(text: str, token: str | None) -> str:
    return text.replace(token, "***") if token else text


def publish(
    folder: str | os.PathLike[str], *, repo_id: str, private: bool = False, revision: str | None = None,
    dry_run: bool = False, token: str | None = None, api: Any = None,
) -> PublishPlan:  # fmt: skip
    """Validate, then upload ``folder`` as the dataset repo ``repo_id`` (see module docstring).

    With ``dry_run`` nothing touches the network: the returned plan lists every file, its size, the
    repo, the revision and the upload method. ``api`` replaces ``huggingface_hub.HfApi`` (tests).

    >>> import tempfile
    >>> try:
    ...     publish(tempfile.mkdtemp(), repo_id="org/name", dry_run=True)
    ... except PublishError as err:
    ...     print(err.message.split(": ", 1)[1])
    README.md is missing (write a dataset card).
    """
    plan = plan_publish(folder, repo_id=repo_id, private=private, revision=revision, token=token)
    ref = card_ref(plan.folder)
    if ref is not None and ref != repo_id:
        plan.notes.append(f"README.md: the quick start loads {ref!r}; "
                          + ("publishing rewrites it to" if dry_run else "rewritten to") + f" {repo_id!r}")  # fmt: skip
    if dry_run:
        return plan
    secret = _resolve_token(token)
    if not secret:
        raise PublishError(
            "No Hugging Face token: set HF_TOKEN or run `hf auth login`.",
            hint="A write token of the target organisation is needed.",
        )
    if api is None:
        from huggingface_hub import HfApi

        api = HfApi(token=secret)
    if set_card_repo(plan.folder, repo_id):  # the published card's quick start names the repo it is in
        plan.files = list_files(plan.folder)
    try:
        api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        if revision:
            api.create_branch(repo_id, branch=revision, repo_type="dataset", exist_ok=True)
        if plan.method == "upload_large_folder":
            api.upload_large_folder(repo_id=repo_id, folder_path=str(plan.folder), repo_type="dataset",
                                    revision=revision, private=private,
                                    ignore_patterns=list(IGNORE_PATTERNS))  # fmt: skip
        else:
            info = api.upload_folder(repo_id=repo_id, folder_path=str(plan.folder), repo_type="dataset",
                                     revision=revision, commit_message="Upload dataset exported by mapkit",
                                     ignore_patterns=list(IGNORE_PATTERNS))  # fmt: skip
            plan.commit_url = getattr(info, "commit_url", None) or (str(info) if info else None)
    except PublishError:
        raise
    except Exception as err:  # noqa: BLE001 - network/auth errors of any kind become one clear message
        msg = _redact(str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__, secret)
        raise PublishError(
            f"Upload to {repo_id} failed: {msg}",
            hint="Check the token's write access and the network; re-running resumes the upload.",
        ) from None
    plan.dry_run = False
    return plan
