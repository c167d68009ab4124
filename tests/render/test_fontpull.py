"""`mapkit data pull --fonts` against a real HTTP server on 127.0.0.1, and the renderer using the pulled font.

The served archive is a zip holding a real CJK font of this machine (``.ci/run`` installs WenQuanYi Zen
Hei), pinned by a :class:`FontPin` made here; the shipped pin (PyPI) is checked for shape only, so the
tests stay offline.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import http.server
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from mapkit.cli.app import main

from mapkit.errors import ChecksumError, DownloadError, FontNotFoundError
from mapkit.fontpull import FONT_DIR_ENV, PINNED_FONT, FontPin, cached_fonts, pull_fonts
from mapkit.render.fonts import SYSTEM_FONTS_ENV, font_chain

pytestmark = pytest.mark.server

CJK_FONTS = ["/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc"]
MEMBER = "fontpkg/fonts/test-cjk.ttc"
NAMES = ["西直门站", "Nyugati pályaudvar", "Széll Kálmán tér", "Line 2"]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class names it
        pass


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on an ephemeral 127.0.0.1 port; yields the base URL; stopped on exit."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def served(tmp_path) -> Iterator[tuple[str, FontPin, bytes]]:
    """(base URL, a pin of the served wheel, the font's bytes)."""
    src = next((Path(p) for p in CJK_FONTS if Path(p).is_file()), None)
    if src is None:
        pytest.skip("no WenQuanYi Zen Hei on this machine (.ci/run installs fonts-wqy-zenhei)")
    font = src.read_bytes()
    root = tmp_path / "pypi"
    root.mkdir()
    wheel = root / "fontpkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("fontpkg/__init__.py", "")
        zf.writestr(MEMBER, font)
    data = wheel.read_bytes()
    with serve(root) as base:
        pin = FontPin(
            url=f"https://pypi.example/packages/{wheel.name}", wheel_sha256=_sha(data), wheel_size=len(data),
            member=MEMBER, file_sha256=_sha(font), file_size=len(font),
        )
        yield base, pin, font


def _leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith(".tmp") or p.name.startswith(".fontpull.")]


def test_pull_verifies_extracts_and_skips_the_second_time(served, tmp_path):
    base, pin, font = served
    dest = tmp_path / "fonts"
    r = pull_fonts(dest=dest, source=base, pin=pin, progress=False)
    assert r.downloaded and r.bytes_downloaded == pin.wheel_size and r.source == base
    assert r.path == dest / "test-cjk.ttc" and r.path.read_bytes() == font
    assert sorted(p.name for p in dest.iterdir()) == ["test-cjk.ttc"]  # the wheel is not kept
    again = pull_fonts(dest=dest, source=base, pin=pin, progress=False)
    assert not again.downloaded and again.bytes_downloaded == 0


def test_a_wheel_that_is_not_the_pinned_one_writes_nothing(served, tmp_path):
    base, pin, _ = served
    dest = tmp_path / "fonts"
    wrong = FontPin(pin.url, "0" * 64, pin.wheel_size, pin.member, pin.file_sha256, pin.file_size)
    with pytest.raises(ChecksumError, match="does not match its pinned checksum"):
        pull_fonts(dest=dest, source=base, pin=wrong, progress=False)
    assert list(dest.iterdir()) == []


def test_a_font_inside_that_is_not_the_pinned_one_writes_nothing(served, tmp_path):
    base, pin, _ = served
    dest = tmp_path / "fonts"
    wrong = FontPin(pin.url, pin.wheel_sha256, pin.wheel_size, pin.member, "f" * 64, pin.file_size)
    with pytest.raises(ChecksumError, match="inside .* does not match its pinned checksum"):
        pull_fonts(dest=dest, source=base, pin=wrong, progress=False)
    assert list(dest.iterdir()) == [] and not _leftovers(tmp_path)


def test_a_missing_wheel_names_it(served, tmp_path):
    base, pin, _ = served
    gone = FontPin(pin.url.replace("fontpkg-1.0", "other-2.0"), *[getattr(pin, f) for f in (
        "wheel_sha256", "wheel_size", "member", "file_sha256", "file_size")])
    with pytest.raises(DownloadError, match="other-2.0-py3-none-any.whl is not at"):
        pull_fonts(dest=tmp_path / "fonts", source=base, pin=gone, progress=False)


def test_renderer_without_system_fonts_says_to_pull_then_uses_the_pulled_font(served, tmp_path, monkeypatch):
    base, pin, _ = served
    monkeypatch.setenv(SYSTEM_FONTS_ENV, "0")
    monkeypatch.setenv(FONT_DIR_ENV, str(tmp_path / "cache"))
    monkeypatch.delenv("MAPKIT_FONT", raising=False)
    with pytest.raises(FontNotFoundError) as e:
        font_chain(NAMES)
    assert "mapkit data pull --fonts" in str(e.value)
    pull_fonts(source=base, pin=pin, progress=False)  # default dest: the font cache
    assert cached_fonts() == [tmp_path / "cache" / "test-cjk.ttc"]
    chain = font_chain(NAMES)
    assert [f.path for f in chain.faces] == [str(tmp_path / "cache" / "test-cjk.ttc")]
    assert all(chain.face_for(n).covers(n) for n in NAMES)


def test_a_pulled_font_comes_after_the_system_fonts(served, tmp_path, monkeypatch):
    # a machine that had fonts draws the same pixels after a pull: the pulled face is only a fallback
    base, pin, _ = served
    monkeypatch.setenv(FONT_DIR_ENV, str(tmp_path / "cache"))
    monkeypatch.delenv("MAPKIT_FONT", raising=False)
    before = font_chain(NAMES)
    pull_fonts(source=base, pin=pin, progress=False)
    assert font_chain(NAMES) == before


def test_cli_pull_fonts_reports_and_refuses_a_wrong_wheel(tmp_path, capsys):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / PINNED_FONT.wheel_name).write_bytes(b"PK not the pinned wheel")
    with serve(mirror) as base:
        code = main(["data", "pull", "--fonts", "--quiet", "--dest", str(tmp_path / "fonts"), "--from", base])
    cap = capsys.readouterr()
    assert code != 0 and "Traceback" not in cap.err
    assert "does not match its pinned checksum" in cap.err and PINNED_FONT.wheel_sha256 in cap.err
    assert list((tmp_path / "fonts").iterdir()) == []
    assert main(["data", "pull", "--fonts", "--city", "beijing"]) != 0
    assert "--city does not apply to --fonts" in capsys.readouterr().err


def test_the_shipped_pin_is_a_pypi_file():
    assert PINNED_FONT.url.startswith("https://files.pythonhosted.org/packages/")
    assert PINNED_FONT.wheel_name.endswith(".whl") and PINNED_FONT.file_name == "wqy-microhei.ttc"
    assert len(PINNED_FONT.wheel_sha256) == len(PINNED_FONT.file_sha256) == 64
