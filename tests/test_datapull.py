"""`mapkit data pull` (and `--fonts`) against a real HTTP server on 127.0.0.1 (no network mocks) and a mirror folder."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import http.server
import json
import re
import shutil
import socket
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from mapkit.cli.app import main

from mapkit.datapull import build_manifest, data_status, load_manifest, manifest_path, pull_data, upstream_url
from mapkit.errors import ChecksumError, CityNotFoundError, ConfigError, DownloadError, FontNotFoundError
from mapkit.fontpull import FONT_DIR_ENV, PINNED_FONT, FontPin, cached_fonts, pull_fonts
from mapkit.render.fonts import SYSTEM_FONTS_ENV, font_chain

pytestmark = pytest.mark.server

STATIONS = 30
MAPS = 17


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class names it
        pass


class _BrokenHandler(_QuietHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.send_error(503, "Service Unavailable")


@contextlib.contextmanager
def serve(directory: Path, handler: type = _QuietHandler) -> Iterator[str]:
    """Serve ``directory`` over HTTP on an ephemeral port; yields the base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _mirror(src: Path, dst: Path, *rels: str) -> Path:
    """A partial mirror: copies of the given files (tests only; never into the repository)."""
    for rel in rels:
        (dst / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src / rel, dst / rel)
    return dst


def _leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith(".tmp")]


def test_manifest_pins_every_shared_file(reasonmap_dir):
    built = build_manifest(reasonmap_dir)
    shipped = json.loads(manifest_path().read_text())
    assert shipped["files"] == built["files"]
    m = load_manifest()
    assert len(m.cities()) == STATIONS
    assert sum(r.startswith("maps/") for r in m.files) == MAPS
    assert shipped["sources"]["stations"] == {"repo": "fscdc/ReasonMap", "revision": "e68dd65"}
    assert shipped["sources"]["maps"] == {"repo": "fscdc/RewardMap", "revision": "15428ac"}


def test_upstream_urls_use_the_pinned_revisions():
    assert upstream_url("stations/singapore/singapore.json") == (
        "https://raw.githubusercontent.com/fscdc/ReasonMap/e68dd65/stations/singapore/singapore.json"
    )
    assert upstream_url("maps/singapore/singapore.png").startswith(
        "https://raw.githubusercontent.com/fscdc/RewardMap/15428ac/maps/"
    )


def test_pull_everything_over_http_then_skip(tmp_path, reasonmap_dir):
    dest = tmp_path / "data"
    with serve(reasonmap_dir) as url:
        report = pull_data(dest=dest, source=url, progress=True)
        assert report.counts == {"downloaded": STATIONS + MAPS, "skipped": 0, "failed": 0, "missing": 13}
        assert report.ok and report.source == url
        assert "maps/china/beijing.png" in report.missing and "maps/norway/oslo.png" in report.downloaded
        for rel in report.downloaded:
            assert _sha(dest / rel) == _sha(reasonmap_dir / rel)
        again = pull_data(dest=dest, source=url, progress=False)
    assert again.counts == {"downloaded": 0, "skipped": STATIONS + MAPS, "failed": 0, "missing": 13}
    assert again.bytes_downloaded == 0 and not _leftovers(dest)
    # the pulled folder is a working data directory
    from mapkit.sources import load_city

    assert len(load_city("oslo", data_dir=dest).lines) >= 1


def test_tampered_mirror_raises_checksum_error_and_writes_nothing(tmp_path, reasonmap_dir):
    rel = "stations/norway/oslo.json"
    mirror = _mirror(reasonmap_dir, tmp_path / "mirror", rel)
    tampered = mirror / rel
    tampered.write_bytes(tampered.read_bytes().replace(b"Jernbanetorget", b"Jernbanetorg3t", 1))
    assert _sha(tampered) != load_manifest().files[rel].sha256
    dest = tmp_path / "data"
    with serve(mirror) as url, pytest.raises(ChecksumError) as info:
        pull_data(dest=dest, source=url, cities=["oslo"], progress=False)
    msg = str(info.value)
    assert rel in msg and url in msg
    assert load_manifest().files[rel].sha256 in msg and _sha(tampered) in msg
    assert not (dest / rel).exists() and not _leftovers(dest)


def test_longer_file_than_pinned_is_a_checksum_error(tmp_path, reasonmap_dir):
    rel = "stations/norway/oslo.json"
    mirror = _mirror(reasonmap_dir, tmp_path / "mirror", rel)
    (mirror / rel).write_bytes((mirror / rel).read_bytes() + b" " * 200_000)
    with serve(mirror) as url, pytest.raises(ChecksumError, match=r"bytes\)\.") as info:
        pull_data(dest=tmp_path / "data", source=url, cities=["oslo"], progress=False)
    assert "+ bytes" in str(info.value)


def test_a_wrong_local_file_is_replaced(tmp_path, reasonmap_dir):
    rel = "stations/norway/oslo.json"
    dest = tmp_path / "data"
    (dest / rel).parent.mkdir(parents=True)
    (dest / rel).write_text("{}")
    with serve(reasonmap_dir) as url:
        report = pull_data(dest=dest, source=url, cities=["Oslo"], progress=False)
    assert report.downloaded == [rel, "maps/norway/oslo.png"]
    assert _sha(dest / rel) == _sha(reasonmap_dir / rel)


def test_map_missing_on_the_server_is_reported_a_station_list_is_a_failure(tmp_path, reasonmap_dir):
    mirror = _mirror(reasonmap_dir, tmp_path / "mirror", "stations/norway/oslo.json")
    with serve(mirror) as url:
        report = pull_data(dest=tmp_path / "data", source=url, cities=["oslo", "geneva"], progress=False)
    assert report.downloaded == ["stations/norway/oslo.json"]
    assert report.missing == ["maps/norway/oslo.png", "maps/switzerland/geneva.png"]
    assert [p for p, _ in report.failed] == ["stations/switzerland/geneva.json"]
    assert "not found at " + url in report.failed[0][1] and not report.ok


def test_unreachable_server_is_a_download_error_saying_what_to_do(tmp_path):
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DownloadError) as info:
        pull_data(dest=tmp_path, source=f"http://127.0.0.1:{port}/", cities=["oslo"], progress=False)
    assert f"127.0.0.1:{port}" in str(info.value) and "--from" in str(info.value)


def test_server_error_is_a_download_error(tmp_path, reasonmap_dir):
    with serve(reasonmap_dir, _BrokenHandler) as url, pytest.raises(DownloadError, match="HTTP 503"):
        pull_data(dest=tmp_path, source=url, cities=["oslo"], progress=False)


def test_from_dir_and_file_url(tmp_path, reasonmap_dir):
    a = pull_data(dest=tmp_path / "a", source=str(reasonmap_dir), cities=["geneva", "auckland"], progress=False)
    assert a.counts == {"downloaded": 3, "skipped": 0, "failed": 0, "missing": 1}
    b = pull_data(dest=tmp_path / "b", source=reasonmap_dir.as_uri(), cities=["geneva"], progress=False)
    assert b.counts["downloaded"] == 2
    assert _sha(tmp_path / "b" / "maps/switzerland/geneva.png") == _sha(reasonmap_dir / "maps/switzerland/geneva.png")


def test_default_dest_is_the_data_dir_in_force(tmp_path, reasonmap_dir, monkeypatch):
    monkeypatch.setenv("MAPKIT_DATA", str(tmp_path / "env"))
    report = pull_data(source=str(reasonmap_dir), cities=["oslo"], progress=False)
    assert report.dest == tmp_path / "env" and (tmp_path / "env/stations/norway/oslo.json").exists()


def test_bad_arguments(tmp_path):
    with pytest.raises(CityNotFoundError, match="beijing"):
        pull_data(dest=tmp_path, source=str(tmp_path), cities=["bejing"], progress=False)
    with pytest.raises(ConfigError, match="no such folder"):
        pull_data(dest=tmp_path, source=str(tmp_path / "nope"), progress=False)
    with pytest.raises(ConfigError, match="unsupported URL scheme 'ftp'"):
        pull_data(dest=tmp_path, source="ftp://example.org/x", progress=False)


@pytest.mark.parametrize(
    ("source", "why"),
    [
        ("http://127.0.0.1:abc/", "not a valid URL"),  # http.client.InvalidURL before the fix
        ("http://[::1/", "not a valid URL"),  # ValueError from urlsplit before the fix
        ("https://example.org:70000/", "not a valid URL"),
        ("http://:8080/", "names no host"),
    ],
)
def test_malformed_url_is_a_config_error(tmp_path, source, why):
    with pytest.raises(ConfigError, match=why) as info:
        pull_data(dest=tmp_path, source=source, cities=["oslo"], progress=False)
    assert source in str(info.value)
    assert not list(tmp_path.iterdir())  # nothing written


def test_url_http_client_refuses_is_a_download_error(tmp_path):
    # a space in the base URL passes urlsplit but http.client raises InvalidURL on it
    with pytest.raises(DownloadError, match="InvalidURL") as info:
        pull_data(dest=tmp_path, source="http://127.0.0.1:9/a b/", cities=["oslo"], progress=False)
    assert "--from" in str(info.value)


def test_cli_malformed_url_is_one_error_paragraph(capsys, tmp_path):
    code, _, err = _run(capsys, "data", "pull", "--dest", str(tmp_path), "--from", "http://127.0.0.1:abc/", "-q")
    assert code != 0 and err.strip().startswith("error: ") and "Traceback" not in err
    assert "not a valid URL" in err


def test_unwritable_dest_is_a_download_error(tmp_path, reasonmap_dir):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(DownloadError, match="cannot write"):
        pull_data(dest=blocker, source=str(reasonmap_dir), cities=["oslo"], progress=False)


# --- CLI ------------------------------------------------------------------------------------


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    cap = capsys.readouterr()
    return code, cap.out, cap.err


_ROWS = {"downloaded": "downloaded", "skipped": "skipped (already verified)",
         "missing": "map image not upstream", "failed": "failed"}


def _summary(out: str) -> dict[str, int]:
    """The counts in `data pull`'s summary table (every label is always printed: read the numbers)."""
    counts = {}
    for key, label in _ROWS.items():
        (row,) = [ln for ln in out.splitlines() if re.match(rf"\W*{re.escape(label)}\W", ln)]
        counts[key] = int(re.findall(r"\d+", row)[-1])
    return counts


def test_cli_pull_from_dir_then_where(capsys, tmp_path, reasonmap_dir):
    dest = tmp_path / "data"
    code, out, err = _run(capsys, "data", "pull", "--dest", str(dest), "--from", str(reasonmap_dir),
                          "--city", "oslo", "--city", "beijing", "--quiet")
    assert code == 0, err
    assert _summary(out) == {"downloaded": 3, "skipped": 0, "missing": 1, "failed": 0}
    assert "No map image upstream for: beijing" in out
    assert (dest / "stations/china/beijing.json").exists()
    code, out, _ = _run(capsys, "data", "where", "--data-dir", str(dest))
    assert code == 0 and str(dest) in out and "28 cities have no station list here" in out


def test_cli_pull_over_http(capsys, tmp_path, reasonmap_dir):
    argv = ("data", "pull", "--dest", str(tmp_path), "--city", "dubai", "-q")
    with serve(reasonmap_dir) as url:
        code, out, _ = _run(capsys, *argv, "--from", url)
        assert code == 0 and _summary(out) == {"downloaded": 2, "skipped": 0, "missing": 0, "failed": 0}
        assert (tmp_path / "maps/united_arab_emirates/dubai.png").exists()
        code, out, _ = _run(capsys, *argv, "--from", url)  # the second pull finds both files verified
    assert code == 0 and _summary(out) == {"downloaded": 0, "skipped": 2, "missing": 0, "failed": 0}


def test_cli_checksum_error_is_one_error_paragraph(capsys, tmp_path, reasonmap_dir):
    rel = "stations/norway/oslo.json"
    mirror = _mirror(reasonmap_dir, tmp_path / "mirror", rel)
    (mirror / rel).write_text("{}")
    code, _, err = _run(capsys, "data", "pull", "--dest", str(tmp_path / "d"), "--from", str(mirror),
                        "--city", "oslo", "-q")
    assert code == 1
    assert err.strip().startswith("error: ") and err.count("error:") == 1 and "Traceback" not in err
    assert "does not match its pinned checksum" in err


def test_cli_failed_files_exit_non_zero(capsys, tmp_path):
    (tmp_path / "mirror").mkdir()
    code, out, err = _run(capsys, "data", "pull", "--dest", str(tmp_path / "d"), "--from", str(tmp_path / "mirror"),
                          "--city", "oslo", "-q")
    assert code == 1 and "could not be fetched" in err
    assert _summary(out) == {"downloaded": 0, "skipped": 0, "missing": 1, "failed": 1}


def test_where_counts(tmp_path, reasonmap_dir):
    s = data_status(reasonmap_dir)
    assert (s.station_files, s.map_images, s.missing_cities, s.unknown_files) == (STATIONS, MAPS, (), ())


# --- data pull --fonts ------------------------------------------------------------------------
# The served archive is a zip holding a real CJK font of this machine (.ci/run installs WenQuanYi Zen
# Hei), pinned by a FontPin made here; the shipped pin (PyPI) is checked for shape only (offline).

CJK_FONTS = ["/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc"]
MEMBER = "fontpkg/fonts/test-cjk.ttc"
NAMES = ["西直门站", "Nyugati pályaudvar", "Széll Kálmán tér", "Line 2"]


def _sha_bytes(data: bytes) -> str:
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
            url=f"https://pypi.example/packages/{wheel.name}", wheel_sha256=_sha_bytes(data), wheel_size=len(data),
            member=MEMBER, file_sha256=_sha_bytes(font), file_size=len(font),
        )
        yield base, pin, font


def _font_leftovers(folder: Path) -> list[Path]:
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
    assert list(dest.iterdir()) == [] and not _font_leftovers(tmp_path)


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
