"""Finding fonts that can draw every station name (Latin, accented, Chinese).

A :class:`FontChain` is an ordered list of font faces; each label is drawn with the first
face whose character coverage includes every character of the label. Coverage comes from
fontconfig (``fc-list``/``fc-query`` charsets) when it is installed, and otherwise from a
glyph probe (a missing character renders as the font's ``.notdef`` box). Faces come from
``$MAPKIT_FONT`` (a path), the style's ``font`` (a family name or a path), fontconfig, known
install paths of DejaVu, WenQuanYi Zen Hei and Noto CJK, and last the pinned font that
``mapkit data pull --fonts`` puts in the user cache (:mod:`mapkit.fontpull`): a machine that only
ran pip renders with that one. ``MAPKIT_SYSTEM_FONTS=0`` skips the system's fonts (fontconfig and
the known paths), so maps are drawn with ``$MAPKIT_FONT``/the pulled font alone - the same pixels
on every machine.

A name that no face can draw raises :class:`~mapkit.errors.FontNotFoundError` naming the
characters, the package to install and the pull command.

Example:
    >>> chain = font_chain(["Red Line", "Zürich HB"])
    >>> chain.face_for("Zürich HB").covers("Zürich HB")
    True
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from PIL import ImageFont

from mapkit.errors import FontNotFoundError
from mapkit.fontpull import cached_fonts

FONT_ENV = "MAPKIT_FONT"
SYSTEM_FONTS_ENV = "MAPKIT_SYSTEM_FONTS"

INSTALL_HINT = (
    "Run `mapkit data pull --fonts` (a pinned CJK + Latin font into the user cache, used when the "
    "system has none), or install a font that covers them, e.g. `apt-get install fonts-wqy-zenhei fontconfig` "
    "(Chinese) or `apt-get install fonts-dejavu-core` (Latin and accents), "
    f"or point ${FONT_ENV} at a .ttf/.otf/.ttc file that has them."
)

# Known install locations, in order of preference for station labels: a clean Latin face
# first, then CJK faces (which also carry Latin, so a Chinese city needs only one face).
KNOWN_FONTS: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 0),
    ("/usr/share/fonts/dejavu/DejaVuSans.ttf", 0),
    ("/usr/share/fonts/TTF/DejaVuSans.ttf", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 0),
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 0),
    ("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc", 0),
    ("/System/Library/Fonts/PingFang.ttc", 0),
    ("/Library/Fonts/Arial Unicode.ttf", 0),
    ("C:/Windows/Fonts/msyh.ttc", 0),
)

# fontconfig families tried (after the known paths) when a character is still uncovered
FC_FAMILIES = ("DejaVu Sans", "WenQuanYi Zen Hei", "Noto Sans CJK SC", "Noto Sans", "sans-serif")

_PROBE_MISSING = "\U0010fffd"  # private-use plane 16: no real font maps it, so it draws .notdef


@dataclass(frozen=True)
class FontFace:
    """One face of a font file (``index`` selects the face inside a .ttc collection)."""

    path: str
    index: int
    family: str

    @property
    def file_name(self) -> str:
        """The file's base name (what the manifest records: paths differ between machines)."""
        return Path(self.path).name

    def covers(self, text: str) -> bool:
        """True when the face has a glyph for every non-space character of ``text``."""
        return all(ch.isspace() or _has_char(self.path, self.index, ch) for ch in text)

    def load(self, size: int) -> ImageFont.FreeTypeFont:
        """The face at ``size`` pixels (cached)."""
        return _load(self.path, self.index, size)


@dataclass(frozen=True)
class FontChain:
    """Faces in order of preference; :meth:`face_for` picks the first that covers a text."""

    faces: tuple[FontFace, ...]

    @property
    def primary(self) -> FontFace:
        """The first face (used for the legend title and recorded as the map's font)."""
        return self.faces[0]

    def face_for(self, text: str) -> FontFace:
        """The first face that covers ``text``; raises :class:`FontNotFoundError` if none does."""
        for face in self.faces:
            if face.covers(text):
                return face
        missing = sorted({ch for ch in text if not ch.isspace()
                          and not any(_has_char(f.path, f.index, ch) for f in self.faces)})
        raise FontNotFoundError(
            f"No installed font can draw {text!r} (missing {' '.join(_describe(c) for c in missing)}); "
            f"tried {', '.join(f.family for f in self.faces) or 'no fonts at all'}.",
            hint=INSTALL_HINT,
        )


def font_chain(texts: Iterable[str], *, prefer: str | None = None) -> FontChain:
    """The faces needed to draw ``texts``: the face covering most texts first, then fallbacks.

    ``prefer`` (a family name or a font file path) is tried before anything else, as is
    ``$MAPKIT_FONT``. Raises :class:`FontNotFoundError` when some text cannot be drawn.

    Example:
        >>> font_chain(["西直门站", "Line 2"]).primary.covers("西直门站")
        True
    """
    texts = sorted(set(texts))
    candidates = _candidates(prefer)
    if not candidates:
        raise FontNotFoundError("No usable font file was found on this system.", hint=INSTALL_HINT)
    # Fewest faces possible, most-covering first: a map reads best in one typeface.
    chosen: list[FontFace] = []
    todo = list(texts)
    while todo:
        best, best_n = None, 0
        for face in candidates:
            if face in chosen:
                continue
            n = sum(face.covers(t) for t in todo)
            if n > best_n:
                best, best_n = face, n
        if best is None:
            break
        chosen.append(best)
        todo = [t for t in todo if not best.covers(t)]
    if not chosen:
        chosen = [candidates[0]]
    if todo:
        FontChain(tuple(candidates)).face_for(todo[0])  # raises, naming the missing characters
    return FontChain(tuple(chosen))


# --- discovery ---------------------------------------------------------------------------


def _candidates(prefer: str | None) -> list[FontFace]:
    faces: list[FontFace] = []
    for ref in (os.environ.get(FONT_ENV), prefer):
        if ref:
            face = _face_from_ref(ref)
            if face is None:
                raise FontNotFoundError(f"Font {ref!r} was not found.", hint=INSTALL_HINT)
            faces.append(face)
    if system_fonts_enabled():
        for path, index in KNOWN_FONTS:
            if os.path.isfile(path):
                faces.append(FontFace(path, index, _family(path, index)))
        for fam in FC_FAMILIES:
            face = _fc_match(fam)
            if face is not None:
                faces.append(face)
    # last: the pulled font, so a machine with system fonts draws exactly what it drew before a pull
    for p in cached_fonts():
        faces.append(FontFace(str(p), 0, _family(str(p), 0)))
    seen: set[tuple[str, int]] = set()
    out = []
    for f in faces:
        key = (os.path.realpath(f.path), f.index)
        if key not in seen and _loadable(f.path, f.index):
            seen.add(key)
            out.append(f)
    return out


def system_fonts_enabled() -> bool:
    """False when ``$MAPKIT_SYSTEM_FONTS`` is ``0``/``no``/``false``/``off`` (use only the explicit and pulled fonts).

    >>> os.environ[SYSTEM_FONTS_ENV] = "0"; system_fonts_enabled()
    False
    >>> del os.environ[SYSTEM_FONTS_ENV]; system_fonts_enabled()
    True
    """
    return os.environ.get(SYSTEM_FONTS_ENV, "1").strip().lower() not in ("0", "no", "false", "off")


def _face_from_ref(ref: str) -> FontFace | None:
    if os.path.isfile(ref):
        return FontFace(ref, 0, _family(ref, 0))
    return _fc_match(ref, exact=True)


@functools.cache
def _fc_match(family: str, exact: bool = False) -> FontFace | None:
    exe = shutil.which("fc-match")
    if exe is None:
        return None
    try:
        res = subprocess.run([exe, "--format=%{file}|%{index}|%{family[0]}", family],
                             capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    parts = res.stdout.strip().split("|")
    if res.returncode != 0 or len(parts) != 3 or not os.path.isfile(parts[0]):
        return None
    if exact and parts[2].lower() != family.lower():
        return None  # fontconfig always answers something; a different family is not a match
    return FontFace(parts[0], int(parts[1] or 0), parts[2])


@functools.cache
def _family(path: str, index: int) -> str:
    try:
        name = _load(path, index, 12).getname()[0]
    except OSError:
        name = None
    return name or Path(path).stem


@functools.cache
def _loadable(path: str, index: int) -> bool:
    try:
        _load(path, index, 12)
    except OSError:
        return False
    return True


@functools.cache
def _load(path: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size, index=index)


# --- coverage ----------------------------------------------------------------------------


@functools.cache
def _charset(path: str, index: int) -> tuple[tuple[int, int], ...] | None:
    """The face's code point ranges from fontconfig, or None when fontconfig is unavailable."""
    exe = shutil.which("fc-query")
    if exe is None:
        return None
    try:
        res = subprocess.run([exe, "-i", str(index), "--format=%{charset}", path],
                             capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if res.returncode != 0 or not res.stdout.strip():
        return None
    ranges = []
    for tok in res.stdout.split():
        lo, _, hi = tok.partition("-")
        try:
            ranges.append((int(lo, 16), int(hi or lo, 16)))
        except ValueError:
            return None
    return tuple(ranges)


@functools.cache
def _has_char(path: str, index: int, ch: str) -> bool:
    ranges = _charset(path, index)
    if ranges is not None:
        cp = ord(ch)
        return any(lo <= cp <= hi for lo, hi in ranges)
    return _probe(path, index, ch)


def _probe(path: str, index: int, ch: str) -> bool:
    # Without fontconfig: a missing glyph renders exactly like a private-use code point.
    font = _load(path, index, 24)
    return _mask(font, ch) != _mask(font, _PROBE_MISSING)


def _mask(font: ImageFont.FreeTypeFont, ch: str) -> tuple[tuple[int, int], bytes]:
    m = font.getmask(ch)
    return m.size, bytes(m)


def _describe(ch: str) -> str:
    return f"{ch!r} U+{ord(ch):04X}"
