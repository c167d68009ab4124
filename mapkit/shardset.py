"""Sharded output: a folder of part files in plan order and a manifest written last.

``mapkit generate --parts jsonl --out DIR`` (or ``--parts parquet``) writes, instead of one JSONL file::

    DIR/part-00000.jsonl, part-00001.jsonl, ...   # the items in plan order, one part per shard
    DIR/manifest.json                             # written last, atomically: what makes DIR complete
    DIR/maps/<country>/<city>.png (+ .json)       # with --render: figures are ./maps/... relative to DIR

The parts concatenated in manifest order are, byte for byte, the JSONL file one process writes.
A Parquet part holds one row per item: ``id``, ``city`` and ``type`` for queries, and ``json``, the
item's JSONL line (without its newline), which is what is read back - so a Parquet folder reads as
the same items, and hashes and exports to the same bytes, as the JSONL one.

The manifest names each part with its item count, size and sha256, and the generation request
(seed, cities, types, counts). A folder without it - a run that was stopped, or that is still
running - is refused with an error saying so; a part whose bytes differ from its sha256 is refused
when it is read. Writers (a worker, a Ray task on another machine) write a part under a temp name
(:func:`write_part`), and the driver (:class:`ShardWriter`) renames the parts into plan order and
writes the manifest: the bytes of the items never pass through the driver of a Ray run. On a
cluster ``DIR`` must be a path every node sees (a shared file system): a token file written by the
driver lets a task on a node that does not see it fail with an error saying so.

Readers: :func:`read_items` (an items file or a sharded folder, as one stream of items),
:func:`item_lines` (their JSONL lines), :func:`items_sha256` and :func:`items_bytes` (of the
concatenated JSONL); :class:`ShardSet` opens a folder.

Example:
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()) / "items"
    >>> with ShardWriter(d, "jsonl") as w:
    ...     w.add(b'{"id":"a"}\\n{"id":"b"}\\n')
    ...     w.add(write_part(d, "x", b'{"id":"c"}\\n', "jsonl", w.token))
    ...     _ = w.commit({"seed": 0})
    >>> sorted(p.name for p in d.iterdir())
    ['manifest.json', 'part-00000.jsonl', 'part-00001.jsonl']
    >>> [it["id"] for it in read_items(d)], items_bytes(d)
    (['a', 'b', 'c'], 33)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from mapkit.errors import ConfigError, DataFileError
from mapkit.io import atomic_writer, file_sha256, json_error_message, read_jsonl, utf8_error, write_json

__all__ = [
    "MANIFEST",
    "PART_FORMATS",
    "Part",
    "ShardSet",
    "ShardWriter",
    "is_sharded",
    "item_lines",
    "items_folder",
    "items_bytes",
    "items_sha256",
    "read_items",
    "write_part",
]

MANIFEST = "manifest.json"
"""The file that makes a sharded folder complete (written last)."""
PART_FORMATS = ("jsonl", "parquet")
KIND = "mapkit-shards"
"""``manifest.json``'s ``format``: what tells a sharded folder from any other folder holding a manifest."""
TOKEN = ".mapkit-run"
"""The running driver's token: a part writer that cannot read it is not looking at the driver's folder."""
_PART = re.compile(r"part-\d{5,}\.(jsonl|parquet)")
_TEMP = re.compile(r"\.+(part-.*|.*\.tmp)")


@dataclass(frozen=True)
class Part:
    """One part file: its name in the folder, its items, its size and sha256 (of the file's bytes), and the
    size of its items as JSONL (the file's size for a JSONL part)."""

    name: str
    items: int
    bytes: int
    sha256: str
    jsonl_bytes: int


# --- writing ------------------------------------------------------------------------------------


def _parquet_bytes(data: bytes) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq
    from orjson import loads

    lines = data.split(b"\n")[:-1]
    rows = [loads(line) for line in lines]
    table = pa.table({
        "id": pa.array([r.get("id") for r in rows], pa.string()),
        "city": pa.array([r.get("city") for r in rows], pa.string()),
        "type": pa.array([r.get("type") for r in rows], pa.string()),
        "json": pa.array([line.decode("utf-8") for line in lines], pa.string()),
    })  # fmt: skip
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue().to_pybytes()


def _encode(data: bytes, fmt: str) -> bytes:
    return _parquet_bytes(data) if fmt == "parquet" else data


def _write_file(path: Path, data: bytes) -> None:
    with atomic_writer(path, "wb") as fh:
        fh.write(data)


def write_part(folder: str | os.PathLike[str], key: str, data: bytes, fmt: str, token: str) -> Part:
    """Write the JSONL bytes ``data`` as a part of ``folder`` under a temp name (``key`` unique in the run);
    the driver's :meth:`ShardWriter.add` renames it into place. Runs where the bytes were made (a Ray task).

    ``token``: the driver's (:attr:`ShardWriter.token`); a folder without it is not the driver's folder
    (on a cluster: not a shared path), a :class:`ConfigError`.
    """
    d = Path(folder)
    try:
        seen = (d / TOKEN).read_text(encoding="utf-8").strip()
    except OSError:
        seen = None
    if seen != token:
        import socket

        raise ConfigError(
            f"{d} on {socket.gethostname()} is not the output folder of the run that asked for this part"
            f" ({'it does not exist here' if not d.is_dir() else 'its run token differs'}).",
            hint="On a cluster `--out` must be a path every node sees at the same place (a shared file system).",
        )
    blob = _encode(data, fmt)
    name = f".part-{key}.{fmt}"
    _write_file(d / name, blob)
    return _part(name, data, blob)


def _part(name: str, data: bytes, blob: bytes) -> Part:
    return Part(name, data.count(b"\n"), len(blob), "sha256:" + hashlib.sha256(blob).hexdigest(), len(data))


class ShardWriter:
    """Fills a sharded folder: parts in the order they are added, then :meth:`commit` writes the manifest.

    Opening it clears an earlier sharded output in the folder (its manifest first, so the folder is never
    a complete set of mixed parts) and refuses a folder that holds anything else (except ``maps/``). Used as
    a context manager, an error (or Ctrl-C) before :meth:`commit` removes what was written: the folder is
    left without a manifest, which readers refuse.
    """

    def __init__(self, folder: str | os.PathLike[str], fmt: str = "jsonl") -> None:
        if fmt not in PART_FORMATS:
            raise ConfigError(f"`parts` must be one of {', '.join(PART_FORMATS)} (got {fmt!r}).")
        if fmt == "parquet":
            try:
                import pyarrow  # noqa: F401
            except ImportError:
                raise ConfigError(
                    "Parquet parts need pyarrow, which is not installed.", hint="pip install 'mapkit[hub]'."
                ) from None
        self.folder = Path(folder)
        self.fmt = fmt
        self.parts: list[Part] = []
        self._done = False
        self._prepare()
        self.token = secrets.token_hex(16)
        (self.folder / TOKEN).write_text(self.token + "\n", encoding="utf-8")

    def _prepare(self) -> None:
        d = self.folder
        if d.exists() and not d.is_dir():
            raise ConfigError(f"{d} is a file; sharded output needs a folder.", hint="Choose a new folder for `--out`.")
        d.mkdir(parents=True, exist_ok=True)
        names = [p.name for p in d.iterdir()]
        foreign = [n for n in names if not (n in (MANIFEST, TOKEN, "maps") or _PART.fullmatch(n) or _TEMP.match(n))]
        if foreign:
            shown = ", ".join(sorted(foreign)[:5])
            raise ConfigError(
                f"{d} holds files that are not a sharded output ({shown}); they would be mixed with the parts.",
                hint="Choose a new or empty folder for `--out`.",
            )
        with contextlib.suppress(FileNotFoundError):
            (d / MANIFEST).unlink()  # first: from here on the folder reads as incomplete
        for n in names:
            if _PART.fullmatch(n) or _TEMP.match(n):
                with contextlib.suppress(FileNotFoundError):
                    (d / n).unlink()

    def add(self, data: bytes | Part) -> None:
        """The next part: JSONL bytes to write here, or a :class:`Part` a writer left under a temp name."""
        k = len(self.parts)
        name = f"part-{k:05d}.{self.fmt}"
        if isinstance(data, Part):
            if data.items == 0:
                (self.folder / data.name).unlink()
                return
            try:
                os.replace(self.folder / data.name, self.folder / name)
            except FileNotFoundError:
                raise ConfigError(
                    f"{self.folder / data.name}, written by a worker, is not in the driver's {self.folder}.",
                    hint="On a cluster `--out` must be a path every node sees at the same place.",
                ) from None
            self.parts.append(Part(name, data.items, data.bytes, data.sha256, data.jsonl_bytes))
            return
        if not data:
            return
        blob = _encode(data, self.fmt)
        _write_file(self.folder / name, blob)
        self.parts.append(_part(name, data, blob))

    def commit(self, generation: dict[str, Any]) -> dict[str, Any]:
        """Write ``manifest.json`` (atomically, last) with ``generation`` (the request); returns it."""
        from mapkit import __version__

        doc = {
            "format": KIND,
            "version": 1,
            "part_format": self.fmt,
            "items": sum(p.items for p in self.parts),
            "jsonl_bytes": sum(p.jsonl_bytes for p in self.parts),
            "mapkit_version": __version__,
            "generation": generation,
            "parts": [asdict(p) for p in self.parts],
        }
        write_json(self.folder / MANIFEST, doc)
        with contextlib.suppress(FileNotFoundError):
            (self.folder / TOKEN).unlink()
        self._done = True
        return doc

    def abort(self) -> None:
        """Remove the parts, temp parts and token written so far (the folder stays, without a manifest)."""
        for p in list(self.folder.iterdir()):
            if _PART.fullmatch(p.name) or _TEMP.match(p.name) or p.name == TOKEN:
                with contextlib.suppress(FileNotFoundError):
                    p.unlink()

    def __enter__(self) -> ShardWriter:
        return self

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        if exc_type is not None and not self._done:
            self.abort()


# --- reading ------------------------------------------------------------------------------------


def is_sharded(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` names a folder (read as sharded output) rather than an items file."""
    return Path(path).is_dir()


@dataclass(frozen=True)
class ShardSet:
    """A complete sharded folder, as its manifest describes it (:meth:`open` checks it)."""

    folder: Path
    part_format: str
    parts: tuple[Part, ...]
    items: int
    jsonl_bytes: int
    generation: dict[str, Any]

    @classmethod
    def open(cls, folder: str | os.PathLike[str]) -> ShardSet:
        """Read ``folder/manifest.json``; refuse an incomplete folder or a missing or resized part."""
        d = Path(folder)
        m = d / MANIFEST
        if not m.is_file():
            running = (d / TOKEN).exists() or any(_TEMP.match(p.name) for p in d.iterdir())
            why = (
                "a run writing it is still going, or stopped before it finished"
                if running or any(_PART.fullmatch(p.name) for p in d.iterdir())
                else "it is not a mapkit sharded output"
            )
            raise DataFileError(
                f"not a complete sharded output: {MANIFEST} is missing ({why}).", path=d,
                hint="Wait for the run to finish, or rerun `mapkit generate --parts ... --out` for this folder.",
            )  # fmt: skip
        try:
            doc = json.loads(m.read_text(encoding="utf-8"))
            if doc.get("format") != KIND:
                raise ValueError(f"its format is {doc.get('format')!r}, not {KIND!r}")
            parts = tuple(Part(**p) for p in doc["parts"])
            fmt = doc["part_format"]
            if fmt not in PART_FORMATS:
                raise ValueError(f"unknown part format {fmt!r}")
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            raise DataFileError(f"not a sharded-output manifest: {err}.", path=m) from None
        for p in parts:
            f = d / p.name
            size = f.stat().st_size if f.is_file() else None
            if size != p.bytes:
                raise DataFileError(
                    "missing." if size is None else f"{size:,} bytes, but {MANIFEST} lists {p.bytes:,}.", path=f,
                    hint="The folder was changed after it was written: regenerate it.",
                )  # fmt: skip
        return cls(d, fmt, parts, int(doc["items"]), int(doc["jsonl_bytes"]), dict(doc.get("generation") or {}))

    def _blob(self, p: Part) -> bytes:
        f = self.folder / p.name
        data = f.read_bytes()
        if "sha256:" + hashlib.sha256(data).hexdigest() != p.sha256:
            raise DataFileError(
                f"its bytes do not match the sha256 in {MANIFEST}.", path=f,
                hint="The part was changed after it was written: regenerate the folder.",
            )  # fmt: skip
        return data

    def part_lines(self, k: int) -> Iterator[str]:
        """The JSONL lines (each ending in a newline) of part ``k``, after checking its sha256."""
        p = self.parts[k]
        data = self._blob(p)
        if self.part_format == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            try:
                col = pq.read_table(pa.BufferReader(data), columns=["json"]).column("json")
            except (pa.ArrowException, KeyError) as err:
                where = self.folder / p.name
                raise DataFileError(f"not a parquet part with a `json` column: {err}.", path=where) from None
            for chunk in col.chunks:
                for s in chunk.to_pylist():
                    yield s + "\n"
            return
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise utf8_error(self.folder / p.name) from None
        # split at "\n" only: str.splitlines would also split at U+2028 and friends inside JSON strings
        lines = text.split("\n")
        for line in lines[:-1]:
            yield line + "\n"
        if lines[-1]:
            yield lines[-1]

    def lines(self) -> Iterator[str]:
        """The JSONL lines of every part, in order: the lines of the one-process file."""
        for k in range(len(self.parts)):
            yield from self.part_lines(k)

    def read(self) -> Iterator[dict[str, Any]]:
        """Each item, in order; a bad line raises :class:`DataFileError` naming the part and its line."""
        for k, p in enumerate(self.parts):
            where = self.folder / p.name
            for lineno, line in enumerate(self.part_lines(k), 1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as err:
                    raise DataFileError(
                        f"invalid JSON: {json_error_message(err)}.", path=where, location=f"line {lineno}"
                    ) from None
                if not isinstance(obj, dict):
                    raise DataFileError("each line must be a JSON object.", path=where, location=f"line {lineno}")
                yield obj


def items_folder(path: str | os.PathLike[str]) -> Path:
    """The folder an item's ``figure`` (``./maps/...``) is relative to: a sharded folder itself, else the
    items file's folder."""
    p = Path(path)
    return p if p.is_dir() else p.parent


def read_items(path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """The items of an items JSONL file or of a sharded folder, in order (the one input of export).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.jsonl"
    >>> _ = p.write_text('{"id":"a"}\\n')
    >>> list(read_items(p))
    [{'id': 'a'}]
    """
    if is_sharded(path):
        return ShardSet.open(path).read()
    return read_jsonl(path)


def item_lines(path: str | os.PathLike[str]) -> Iterator[str]:
    """The JSONL lines of an items file or of a sharded folder's parts, in order."""
    if is_sharded(path):
        yield from ShardSet.open(path).lines()
        return
    with Path(path).open(encoding="utf-8") as fh:
        yield from fh


def items_sha256(path: str | os.PathLike[str]) -> str:
    """``sha256:<hex>`` of the items file, or of a sharded folder's parts as one JSONL file."""
    if not is_sharded(path):
        return file_sha256(path)
    h = hashlib.sha256()
    for line in ShardSet.open(path).lines():
        h.update(line.encode("utf-8"))
    return "sha256:" + h.hexdigest()


def items_bytes(path: str | os.PathLike[str]) -> int:
    """Bytes of the items file, or of a sharded folder's parts as one JSONL file."""
    if not is_sharded(path):
        return Path(path).stat().st_size
    return ShardSet.open(path).jsonl_bytes
