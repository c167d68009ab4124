"""A real Label Studio 1.23.2 on 127.0.0.1 for the round-trip tests.

The server's virtualenv is ``.ls-venv`` beside the checkout (gitignored; ``.ci/run`` installs it, and this
fixture installs it when missing, so the README's test command works on a fresh machine). A migrated data
folder is built once per test run (``label-studio init``, shared by the xdist workers) and copied for each server;
the server runs in its own process group and is stopped by that id.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from mapkit.annotations.client import Connection

REPO = Path(__file__).resolve().parents[2]
LS_VENV = Path(os.environ.get("MAPKIT_LS_VENV", REPO / ".ls-venv"))


@pytest.fixture(scope="session")
def ls_template(tmp_path_factory) -> Path:
    """Built once per run: xdist workers share the base temp folder's parent and take a lock."""
    import fcntl

    from mapkit.annotations.server import ensure_venv, init_data_dir

    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    with open(shared / "ls-template.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        ensure_venv(LS_VENV)
        data = shared / "ls-template"
        if not (data / "TOKEN").is_file():
            init_data_dir(LS_VENV, data)
    return data


@pytest.fixture(scope="session")
def image_root(tmp_path_factory, reasonmap_dir: Path) -> Path:
    """The server's document root: real maps reachable as <root>/real/maps (a link, not a copy)."""
    root = tmp_path_factory.mktemp("ls-images")
    (root / "real").mkdir()
    os.symlink(reasonmap_dir / "maps", root / "real" / "maps")
    return root


@pytest.fixture(scope="session")
def ls_server(ls_template: Path, image_root: Path, tmp_path_factory):
    from mapkit.annotations.server import LocalServer

    srv = LocalServer(LS_VENV, ls_template, tmp_path_factory.mktemp("ls-run"), document_root=image_root)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()
        assert srv.proc is not None and srv.proc.poll() is not None, "the server process group is still running"


@pytest.fixture
def conn(ls_server) -> Connection:
    return Connection(ls_server.url, ls_server.token)
