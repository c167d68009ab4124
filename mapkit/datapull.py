"""`mapkit data pull`: fetch the ReasonMap data at a pinned revision and verify every byte.

Upstream layout (checked against the public repositories; both MIT, same author):

* station lists: ``https://raw.githubusercontent.com/fscdc/ReasonMap/<REASONMAP_REV>/stations/<country>/<city>.json``
* map images:    ``https://raw.githubusercontent.com/fscdc/RewardMap/<REWARDMAP_REV>/maps/<country>/<city>.png``

A mirror (``source``: a local folder or a base URL, ``http(s)://`` or ``file://``) has both under
one root, exactly like the data directory: ``stations/<country>/<city>.json`` and
``maps/<country>/<city>.png``.

The manifest shipped with mapkit (``mapkit/sources/checksums/reasonmap.json``) pins the sha256
and size of every file; it lists the 30 station lists and the 17 map images RewardMap carries.
A city whose map is not in the manifest has no map upstream: it is reported, never fatal.
Files already present with the right hash are skipped; every write is a temp file renamed into
place only after its hash checked out.

Example:
    >>> m = load_manifest()
    >>> len([p for p in m.files if p.startswith("stations/")]), len([p for p in m.files if p.startswith("maps/")])
    (30, 17)
    >>> upstream_url("maps/norway/oslo.png")
    'https://raw.githubusercontent.com/fscdc/RewardMap/15428ac/maps/norway/oslo.png'
"""

from __future__ import annotations

import difflib
import hashlib
import http.client
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import IO, Any

from mapkit import __version__
from mapkit.data import ENV_VAR, resolve_data_dir, station_files
from mapkit.errors import ChecksumError, CityNotFoundError, ConfigError, DownloadError
from mapkit.io import atomic_writer, file_sha256
from mapkit.names import city_key

REASONMAP_REPO = "fscdc/ReasonMap"
REASONMAP_REV = "e68dd65"
"""Revision of the station lists (the one ``/work/shared/data/reasonmap`` and the manifest come from)."""
REWARDMAP_REPO = "fscdc/RewardMap"
REWARDMAP_REV = "15428ac"
"""Revision of the map images (RewardMap carries the 17 images small enough for git)."""
RAW_BASE = "https://raw.githubusercontent.com"

MANIFEST_FORMAT = "mapkit.checksums/1"
CHUNK = 1 << 16
TIMEOUT_S = 30.0


# --- the manifest ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FileEntry:
    """One pinned file: its path relative to the data dir, sha256 (hex) and size in bytes."""

    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Manifest:
    """The pinned files by relative path."""

    files: dict[str, FileEntry]

    def cities(self) -> dict[str, str]:
        """city -> country of every station list in the manifest.

        >>> load_manifest().cities()["beijing"]
        'china'
        """
        out = {}
        for rel in self.files:
            parts = rel.split("/")
            if parts[0] == "stations" and len(parts) == 3:
                out[Path(parts[2]).stem] = parts[1]
        return dict(sorted(out.items()))


def manifest_path() -> Path:
    """Where the shipped manifest lives inside the installed package.

    >>> manifest_path().parts[-3:]
    ('sources', 'checksums', 'reasonmap.json')
    """
    return Path(str(resources.files("mapkit.sources").joinpath("checksums", "reasonmap.json")))


def load_manifest() -> Manifest:
    """The checksum manifest shipped with mapkit.

    >>> load_manifest().files["stations/china/beijing.json"].size > 0
    True
    """
    doc = json.loads(manifest_path().read_text(encoding="utf-8"))
    return Manifest({rel: FileEntry(rel, e["sha256"], int(e["size"])) for rel, e in doc["files"].items()})


def build_manifest(data_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """The manifest document for the ``stations/`` and ``maps/`` files under ``data_dir``.

    This is how ``mapkit/sources/checksums/reasonmap.json`` was made (from the shared copy of the
    pinned revisions): ``mapkit.io.write_json(manifest_path(), build_manifest(dir))``.

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp()); (d / "stations" / "x").mkdir(parents=True)
    >>> _ = (d / "stations" / "x" / "c.json").write_text("{}")
    >>> build_manifest(d)["files"]
    {'stations/x/c.json': {'sha256': '44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a', 'size': 2}}
    """
    root = Path(data_dir)
    files = {}
    for sub, pattern in (("stations", "*/*.json"), ("maps", "*/*.png")):
        for p in sorted((root / sub).glob(pattern)):
            rel = p.relative_to(root).as_posix()
            files[rel] = {"sha256": file_sha256(p, prefix=""), "size": p.stat().st_size}
    return {
        "format": MANIFEST_FORMAT,
        "sources": {
            "stations": {"repo": REASONMAP_REPO, "revision": REASONMAP_REV},
            "maps": {"repo": REWARDMAP_REPO, "revision": REWARDMAP_REV},
        },
        "files": files,
    }


def upstream_url(rel: str) -> str:
    """The raw GitHub URL of a data file at its pinned revision.

    >>> upstream_url("stations/china/beijing.json")
    'https://raw.githubusercontent.com/fscdc/ReasonMap/e68dd65/stations/china/beijing.json'
    """
    if rel.startswith("maps/"):
        return f"{RAW_BASE}/{REWARDMAP_REPO}/{REWARDMAP_REV}/{rel}"
    return f"{RAW_BASE}/{REASONMAP_REPO}/{REASONMAP_REV}/{rel}"


# --- the report -----------------------------------------------------------------------------


@dataclass
class PullReport:
    """What a pull did: files downloaded, skipped (already verified), failed, and maps missing."""

    dest: Path
    source: str
    downloaded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    bytes_downloaded: int = 0

    @property
    def counts(self) -> dict[str, int]:
        """``{"downloaded": n, "skipped": n, "failed": n, "missing": n}``.

        >>> PullReport(Path("."), "x", downloaded=["a"]).counts
        {'downloaded': 1, 'skipped': 0, 'failed': 0, 'missing': 0}
        """
        return {
            "downloaded": len(self.downloaded),
            "skipped": len(self.skipped),
            "failed": len(self.failed),
            "missing": len(self.missing),
        }

    @property
    def ok(self) -> bool:
        """True when every station list is in place (missing map images do not count).

        >>> PullReport(Path("."), "x", missing=["maps/china/beijing.png"]).ok
        True
        """
        return not self.failed


# --- sources --------------------------------------------------------------------------------


class _NotThere(Exception):
    """The source has no such file (HTTP 404, or absent from a mirror folder)."""


class _Source:
    """Where files come from: upstream, a base URL or a local folder; ``open`` yields a byte stream.

    ``upstream`` maps a relative path to its URL when no ``source`` is given (default: the pinned
    ReasonMap revisions; :mod:`mapkit.fontpull` passes the font's PyPI URL), ``upstream_label`` names it.
    """

    def __init__(
        self, source: str | None, upstream: Callable[[str], str] = upstream_url, upstream_label: str | None = None
    ) -> None:
        self.folder: Path | None = None
        self.base: str | None = None
        self.upstream = upstream
        if source is None:
            self.label = upstream_label or f"{REASONMAP_REPO}@{REASONMAP_REV} + {REWARDMAP_REPO}@{REWARDMAP_REV}"
            return
        try:
            parts = urllib.parse.urlsplit(source)
            _ = parts.port  # parses the port: raises ValueError on "host:abc" or one out of range
        except ValueError as err:
            raise ConfigError(
                f"--from {source!r}: not a valid URL ({err}).",
                hint="Give a folder, or a base URL such as https://host[:port]/path/ "
                "with stations/ and maps/ under it.",
            ) from None
        scheme = parts.scheme.lower()
        if scheme in ("http", "https") and not parts.hostname:
            raise ConfigError(
                f"--from {source!r}: the URL names no host.",
                hint="Give a base URL such as https://host[:port]/path/ with stations/ and maps/ under it.",
            )
        if scheme in ("http", "https", "file"):
            self.base = source if source.endswith("/") else source + "/"
            self.label = self.base
            return
        if scheme and len(scheme) > 1:
            raise ConfigError(
                f"--from {source!r}: unsupported URL scheme {scheme!r}.",
                hint="Use a folder, or an http://, https:// or file:// base URL with stations/ and maps/ under it.",
            )
        folder = Path(source).expanduser()
        if not folder.is_dir():
            raise ConfigError(
                f"--from {source!r}: no such folder.",
                hint="Give a folder (or base URL) laid out like the data directory: stations/<country>/<city>.json.",
            )
        self.folder = folder
        self.label = str(folder)

    def url(self, rel: str) -> str:
        if self.base is not None:
            return self.base + urllib.parse.quote(rel)
        if self.folder is not None:
            return str(self.folder / rel)
        return self.upstream(rel)

    def open(self, rel: str) -> IO[bytes]:
        """A readable stream of ``rel``; raises _NotThere or DownloadError."""
        if self.folder is not None:
            p = self.folder / rel
            try:
                return p.open("rb")
            except FileNotFoundError:
                raise _NotThere(str(p)) from None
            except OSError as err:
                raise DownloadError(f"cannot read {p}: {err.strerror}.") from None
        url = self.url(rel)
        req = urllib.request.Request(url, headers={"User-Agent": f"mapkit/{__version__}"})
        try:
            resp = urllib.request.urlopen(req, timeout=TIMEOUT_S)  # noqa: S310 - scheme checked above
        except urllib.error.HTTPError as err:
            err.close()
            if err.code == 404:
                raise _NotThere(url) from None
            raise DownloadError(
                f"{url}: the server answered HTTP {err.code} {err.reason}.",
                hint="Try again later, or pull from a mirror with --from DIR|URL.",
            ) from None
        except (http.client.HTTPException, ValueError) as err:
            # a URL http.client refuses (InvalidURL: a space or control character in it) or a server
            # that does not answer in HTTP (BadStatusLine, RemoteDisconnected, ...)
            raise DownloadError(
                f"cannot fetch {url}: {type(err).__name__}: {err}.",
                hint="Check the --from URL (host, port, path), or pull from a mirror folder with --from DIR.",
            ) from None
        except (TimeoutError, urllib.error.URLError, ConnectionError) as err:
            reason = getattr(err, "reason", err)
            if isinstance(reason, FileNotFoundError) or (
                url.startswith("file:") and isinstance(reason, OSError) and "No such file" in str(reason)
            ):
                raise _NotThere(url) from None
            raise DownloadError(
                f"cannot reach {url}: {reason}.",
                hint="Check the network connection (or proxy settings), or pull from a mirror with "
                "--from DIR|URL (a folder or base URL holding stations/ and maps/).",
            ) from None
        return resp


# --- pulling --------------------------------------------------------------------------------


def pull_data(
    *,
    dest: Path | None = None,
    source: str | None = None,
    cities: list[str] | None = None,
    progress: bool = True,
) -> PullReport:
    """Download (or copy from a mirror) the pinned ReasonMap files into ``dest`` and verify them.

    ``dest`` defaults to the data directory in force (``$MAPKIT_DATA``, else the user cache);
    ``source`` is ``None`` for upstream, or a mirror folder / base URL with the same layout;
    ``cities`` limits the pull to those cities (their station list and map image).
    Raises :class:`~mapkit.errors.ChecksumError` on a hash mismatch (nothing is written) and
    :class:`~mapkit.errors.DownloadError` when the source cannot be reached at all; a file the
    source lacks ends up in ``failed`` (station lists) or ``missing`` (map images).

    Example (a mirror folder whose Oslo list is not the pinned one):
        >>> import tempfile
        >>> mirror = Path(tempfile.mkdtemp())
        >>> (mirror / "stations" / "norway").mkdir(parents=True)
        >>> _ = (mirror / "stations" / "norway" / "oslo.json").write_text("{}")
        >>> pull_data(dest=Path(tempfile.mkdtemp()), source=str(mirror), cities=["oslo"], progress=False)
        ... # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        mapkit.errors.ChecksumError: stations/norway/oslo.json from ... does not match its pinned checksum: ...
    """
    manifest = load_manifest()
    target = Path(dest) if dest is not None else resolve_data_dir(None)
    src = _Source(source)
    wanted = _select(manifest, cities)
    report = PullReport(dest=target, source=src.label)

    todo: list[FileEntry] = []
    for rel in wanted:
        entry = manifest.files.get(rel)
        if entry is None:
            report.missing.append(rel)  # no map image upstream for this city
        elif _verified(target / rel, entry):
            report.skipped.append(rel)
        else:
            todo.append(entry)

    bar = _progress(progress)
    with bar if bar is not None else nullcontext():
        task = None
        if bar is not None:
            task = bar.add_task(f"pulling into {target}", total=sum(e.size for e in todo) or 1)
        for entry in todo:
            try:
                n = _fetch(src, entry, target, bar, task)
            except _NotThere as gone:
                if entry.path.startswith("maps/"):
                    report.missing.append(entry.path)
                else:
                    report.failed.append((entry.path, f"not found at {gone}"))
                if bar is not None and task is not None:
                    bar.advance(task, entry.size)
                continue
            report.downloaded.append(entry.path)
            report.bytes_downloaded += n
    return report


def _select(manifest: Manifest, cities: list[str] | None) -> list[str]:
    """Relative paths to pull: every city's station list and map image (pinned or not)."""
    known = manifest.cities()
    names = list(known) if not cities else []
    for c in cities or []:
        key = city_key(c)
        if key not in known:
            raise CityNotFoundError(c, suggestions=difflib.get_close_matches(key, list(known), n=3, cutoff=0.5))
        if key not in names:
            names.append(key)
    out = []
    for city in names:
        out.append(f"stations/{known[city]}/{city}.json")
        out.append(f"maps/{known[city]}/{city}.png")
    return out


def _verified(path: Path, entry: FileEntry) -> bool:
    try:
        if path.stat().st_size != entry.size:  # cheap check first: no hashing of a wrong-size file
            return False
    except OSError:
        return False
    return file_sha256(path, prefix="") == entry.sha256


def _fetch(src: _Source, entry: FileEntry, target: Path, bar: Any, task: Any) -> int:
    """Stream one file into a temp file beside its destination; rename only if the hash matches."""
    stream = src.open(entry.path)
    digest = hashlib.sha256()
    size = 0
    dest = target / entry.path
    try:
        with stream, atomic_writer(dest, "wb") as out:
            while True:
                try:
                    chunk = stream.read(CHUNK)
                except (OSError, http.client.HTTPException) as err:
                    raise DownloadError(
                        f"{src.url(entry.path)}: the transfer broke off after {size} bytes ({err}).",
                        hint="Run the same command again: finished files are kept and skipped.",
                    ) from None
                if not chunk:
                    break
                size += len(chunk)
                if size > entry.size:
                    break  # more bytes than pinned: the hash cannot match, stop reading
                digest.update(chunk)
                out.write(chunk)
                if bar is not None:
                    bar.advance(task, len(chunk))
            got = digest.hexdigest()
            if size != entry.size or got != entry.sha256:
                # raising inside atomic_writer deletes the temp file: nothing half-verified stays
                raise ChecksumError(
                    f"{entry.path} from {src.url(entry.path)} does not match its pinned checksum: "
                    f"expected sha256 {entry.sha256} ({entry.size} bytes), got sha256 {got} "
                    f"({size}{'+' if size > entry.size else ''} bytes).",
                    hint="The source holds a different revision or a damaged file; nothing was written. "
                    "Use the upstream source or a mirror of the pinned revision.",
                )
    except OSError as err:
        if isinstance(err, (ConnectionError, TimeoutError)):
            raise DownloadError(f"{src.url(entry.path)}: {err}.", hint="Run the same command again.") from None
        raise DownloadError(
            f"cannot write {dest}: {err.strerror or err}.",
            hint=f"Choose another --dest (or set {ENV_VAR}) that you can write to.",
        ) from None
    return size


def _progress(enabled: bool) -> Any:
    if not enabled:
        return None
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    return Progress(
        TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
        console=Console(stderr=True), transient=True,
    )


# --- where ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DataStatus:
    """What the data directory in force holds, for `mapkit data where`."""

    path: Path
    origin: str  # "--data-dir", "$MAPKIT_DATA" or "user cache"
    exists: bool
    station_files: int
    map_images: int
    pinned_stations: int
    pinned_maps: int
    unknown_files: tuple[str, ...]
    missing_cities: tuple[str, ...]


def data_status(data_dir: str | os.PathLike[str] | None = None) -> DataStatus:
    """Resolve the data directory (as every command does) and count what is in it.

    >>> import tempfile
    >>> s = data_status(tempfile.mkdtemp())
    >>> (s.origin, s.exists, s.station_files, s.pinned_stations, len(s.missing_cities))
    ('--data-dir', True, 0, 30, 30)
    """
    env = os.environ.get(ENV_VAR)
    # the CLI's --data-dir option reads $MAPKIT_DATA itself: name the variable when that is the value
    if data_dir and not (env and Path(env).expanduser() == Path(data_dir).expanduser()):
        origin = "--data-dir"
    elif env:
        origin = f"${ENV_VAR}"
    else:
        origin = "user cache"
    path = resolve_data_dir(data_dir)
    manifest = load_manifest()
    have = station_files(path)
    maps = sorted((path / "maps").glob("*/*.png")) if (path / "maps").is_dir() else []
    rels = [f"stations/{p.parent.name}/{p.name}" for p in have.values()]
    rels += [p.relative_to(path).as_posix() for p in maps]
    return DataStatus(
        path=path,
        origin=origin,
        exists=path.is_dir(),
        station_files=len(have),
        map_images=len(maps),
        pinned_stations=sum(1 for r in manifest.files if r.startswith("stations/")),
        pinned_maps=sum(1 for r in manifest.files if r.startswith("maps/")),
        unknown_files=tuple(r for r in rels if r not in manifest.files),
        missing_cities=tuple(c for c in manifest.cities() if c not in have),
    )

