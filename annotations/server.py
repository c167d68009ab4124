"""A local Label Studio 1.23.2 for tests, benchmarks and trying the round trip on one machine.

The server lives in its own virtualenv (``.ls-venv`` beside the checkout by default: ~1 GB of exact
pins - Django 5.2, an old pytz, ... - that must not meet mapkit's own environment); :func:`ensure_venv`
installs it when missing (``uv`` when available, else ``pip``). :func:`init_data_dir` runs
``label-studio init`` once into a template data folder (Django migrations, ~30 s) with a fixed user and a
legacy API token; :class:`LocalServer` copies that template and starts ``label-studio start`` on
127.0.0.1 in its own process group, hermetic (own data and config folders, no telemetry, no update
check), serving local files under ``document_root``; :meth:`LocalServer.stop` ends that process group
by its id.

Example (not run here: it starts a server)::

    venv = ensure_venv(Path(".ls-venv"))
    template = init_data_dir(venv, Path("/tmp/ls-template"))
    with LocalServer(venv, template, Path("/tmp/ls-run"), document_root=Path("/data")) as srv:
        print(srv.url, srv.pid)
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from mapkit.errors import AnnotationError

__all__ = ["LS_VERSION", "LocalServer", "ensure_venv", "hermetic_env", "init_data_dir"]

LS_VERSION = "1.23.2"
USERNAME = "mapkit@localhost.test"
PASSWORD = "mapkit-local-only"


def ensure_venv(venv: Path, *, python: str = sys.executable) -> Path:
    """The server virtualenv at ``venv`` with ``label-studio==1.23.2``, installed when missing.

    Installed in place (venv scripts carry their folder in their shebang, so it cannot be built elsewhere
    and moved); a folder without the ``label-studio`` script - an interrupted install - is rebuilt.
    """
    venv = venv.absolute()
    if (venv / "bin" / "label-studio").is_file():
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    uv = shutil.which("uv")
    pin = f"label-studio=={LS_VERSION}"
    if uv:
        cmds = [[uv, "venv", "-q", "-p", python, str(venv)], [uv, "pip", "install", "-q", "-p", str(venv), pin]]
    else:
        cmds = [[python, "-m", "venv", str(venv)], [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", pin]]
    for cmd in cmds:
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            shutil.rmtree(venv, ignore_errors=True)
            raise AnnotationError(
                f"installing Label Studio {LS_VERSION} into {venv} failed: {(proc.stderr or proc.stdout)[-1500:]}"
            )
    return venv


def hermetic_env(data_dir: Path, *, document_root: Path | None = None, token: str | None = None) -> dict[str, str]:
    """The environment of a server that writes only under ``data_dir`` and phones nobody."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("HOST", "PORT", "USERNAME", "PASSWORD", "DEBUG", "LOG_LEVEL") and not k.startswith("LABEL_STUDIO_")
    }
    env.update(
        {
            "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir),
            "XDG_CONFIG_HOME": str(data_dir / ".config"),
            "SENTRY_DSN": "",
            "FRONTEND_SENTRY_DSN": "",
            "LATEST_VERSION_CHECK": "false",
            "COLLECT_ANALYTICS": "false",
            "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
        }
    )
    if document_root is not None:
        env["LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED"] = "true"
        env["LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT"] = str(document_root)
    if token is not None:
        env.update(
            {
                "LABEL_STUDIO_USERNAME": USERNAME,
                "LABEL_STUDIO_PASSWORD": PASSWORD,
                "LABEL_STUDIO_USER_TOKEN": token,
                "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
            }
        )
    return env


def init_data_dir(venv: Path, data_dir: Path, token: str | None = None) -> tuple[Path, str]:
    """A migrated data folder with the fixed user and its legacy ``token`` (random when ``None``);
    returns ``(data_dir, token)``. Built into a temporary folder and renamed (atomic)."""
    token = token or secrets.token_hex(20)
    venv = venv.absolute()
    tmp = data_dir.with_name(data_dir.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    proc = subprocess.run(
        [
            str(venv / "bin" / "label-studio"),
            "init",
            "--quiet",
            "--username",
            USERNAME,
            "--password",
            PASSWORD,
            "--user-token",
            token,
            "--enable-legacy-api-token",
        ],
        env=hermetic_env(tmp, token=token),
        cwd=tmp,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise AnnotationError(f"`label-studio init` failed: {(proc.stderr or proc.stdout)[-1500:]}")
    (tmp / "TOKEN").write_text(token)
    shutil.rmtree(data_dir, ignore_errors=True)
    os.replace(tmp, data_dir)
    return data_dir, token


def free_port() -> int:
    """A TCP port nobody listens on right now (127.0.0.1)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalServer:
    """``label-studio start`` on 127.0.0.1 from a copy of a template data folder; a context manager.

    ``url``, ``token``, ``pid`` (also the process group id); :meth:`stop` kills that group (SIGTERM,
    then SIGKILL after ``grace_s``) and waits.
    """

    def __init__(
        self,
        venv: Path,
        template: Path,
        work: Path,
        *,
        document_root: Path | None = None,
        port: int | None = None,
        ready_s: float = 180.0,
    ) -> None:
        self.venv, self.template, self.work = venv.absolute(), template, work
        self.document_root = document_root
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = (template / "TOKEN").read_text().strip()
        self.ready_s = ready_s
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = work / "server.log"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> LocalServer:
        data = self.work / "data"
        shutil.rmtree(data, ignore_errors=True)
        shutil.copytree(self.template, data)
        self.work.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [
                    str(self.venv / "bin" / "label-studio"),
                    "start",
                    "--no-browser",
                    "--internal-host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],
                env=hermetic_env(data, document_root=self.document_root),
                cwd=data,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        import urllib.request

        t0 = time.monotonic()
        while time.monotonic() - t0 < self.ready_s:
            if self.proc is not None and self.proc.poll() is not None:
                raise AnnotationError(f"Label Studio exited at start; log: {self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as r:
                    if b"UP" in r.read():
                        return
            except OSError:
                pass
            time.sleep(0.3)
        self.stop()
        raise AnnotationError(f"Label Studio did not answer /health within {self.ready_s:.0f} s; {self.log_tail()}")

    def log_tail(self, n: int = 2000) -> str:
        try:
            return self.log.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def rss_bytes(self) -> int:
        """Resident memory of the server's process group now (Linux /proc)."""
        total = 0
        for d in Path("/proc").iterdir():
            if not d.name.isdigit():
                continue
            try:
                if os.getpgid(int(d.name)) != self.pid:
                    continue
                for line in (d / "status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            except (OSError, ProcessLookupError, ValueError):
                continue
        return total

    def stop(self, grace_s: float = 10.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.proc.wait(grace_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(grace_s)

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
