"""Screenshots of the two labeling configs as a reviewer sees them (docs/annotate.md).

Starts a local Label Studio 1.23.2 (``.ls-venv``), pushes a few Geneva items and the Geneva
localisation map, logs in with headless Chromium (Debian's ``chromium`` package) and captures the
labeling page of a review task and of the map task through the DevTools protocol.

Needs: ``apt-get install chromium``, ``pip install websocket-client``, the ReasonMap data (``MAPKIT_DATA``).

Usage:
    MAPKIT_DATA=../shared/data/reasonmap python docs/annotate/make_screenshots.py
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


class Browser:
    """Headless Chromium driven over the DevTools protocol (one page)."""

    def __init__(self, width: int = 1500, height: int = 1100) -> None:
        import websocket

        self.profile = tempfile.mkdtemp(prefix="chromium-")
        port = 9333
        self.proc = subprocess.Popen(
            ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", f"--remote-debugging-port={port}",
             f"--user-data-dir={self.profile}", f"--window-size={width},{height}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json") as r:
                    pages = [p for p in json.load(r) if p["type"] == "page"]
                if pages:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        self.ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=60)
        self.n = 0
        self.cmd("Page.enable")
        self.cmd("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)

    def cmd(self, method: str, **params) -> dict:  # noqa: ANN003
        self.n += 1
        self.ws.send(json.dumps({"id": self.n, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.n:
                return msg.get("result", {})

    def goto(self, url: str, wait_s: float) -> None:
        self.cmd("Page.navigate", url=url)
        time.sleep(wait_s)

    def js(self, code: str) -> object:
        return self.cmd("Runtime.evaluate", expression=code, awaitPromise=True).get("result", {}).get("value")

    def shot(self, path: Path) -> None:
        data = self.cmd("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        import signal

        self.ws.close()
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(10)


def main() -> None:
    from mapkit.annotations.client import Connection
    from mapkit.annotations.push import push_items, push_map
    from mapkit.annotations.server import PASSWORD, USERNAME, LocalServer, ensure_venv, init_data_dir

    from mapkit.data import resolve_data_dir
    from mapkit.generate import write_items

    data = resolve_data_dir(None)
    work = Path(tempfile.mkdtemp(prefix="ls-shots-"))
    venv = ensure_venv(REPO / ".ls-venv")
    template, _ = init_data_dir(venv, work / "template")
    items = work / "items.jsonl"
    write_items(items, ["geneva"], types=["Counting1", "planning"], n_per_type=2, seed=1, data_dir=data)
    with LocalServer(venv, template, work / "run", document_root=data) as srv:
        conn = Connection(srv.url, srv.token)
        rev = push_items(items, project="Geneva item review", conn=conn, data_dir=data, image_root=data)
        loc = push_map("geneva", project="Geneva station positions", conn=conn, data_dir=data)
        review_task = next(iter(conn.iter_tasks(rev.project_id))).id
        map_task = next(iter(conn.iter_tasks(loc.project_id))).id
        b = Browser()
        try:
            b.goto(f"{srv.url}/user/login/", 6)
            b.js(f"""document.querySelector('input[name=email]').value = {json.dumps(USERNAME)};
                     document.querySelector('input[name=password]').value = {json.dumps(PASSWORD)};
                     document.querySelector('form').submit();""")
            time.sleep(6)
            b.goto(f"{srv.url}/projects/{rev.project_id}/data?tab=0&task={review_task}", 25)
            b.shot(HERE / "review.png")
            b.goto(f"{srv.url}/projects/{loc.project_id}/data?tab=0&task={map_task}", 25)
            b.shot(HERE / "localisation.png")
        finally:
            b.close()
    print("wrote", HERE / "review.png", HERE / "localisation.png")


if __name__ == "__main__":
    main()
