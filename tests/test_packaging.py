"""The package layout: folders outside mapkit/ install into the mapkit namespace; core stays light."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def test_every_package_folder_is_declared():
    cfg = _pyproject()["tool"]["setuptools"]
    declared = set(cfg["packages"])
    dirs = cfg["package-dir"]
    found = set()
    for pkg, folder in dirs.items():
        root = REPO / folder
        for init in root.rglob("__init__.py"):
            rel = init.parent.relative_to(root)
            if any(part.startswith(".") or part == "__pycache__" for part in rel.parts):
                continue
            found.add(".".join([pkg, *rel.parts]) if rel.parts else pkg)
    # a sub-folder of mapkit/ that is mapped elsewhere (none today) would be listed twice
    assert found - declared == set(), "add these to [tool.setuptools] packages in pyproject.toml"


def test_core_imports_no_torch_and_no_server_sdk():
    code = (
        "import sys, mapkit, mapkit.graph, mapkit.sources, mapkit.cli.app;"
        "mapkit.load_city('demo');"
        "bad = [m for m in ('torch', 'transformers', 'label_studio_sdk', 'datasets') if m in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.slow
def test_wheel_carries_the_mapped_folders_and_package_data(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    (wheel,) = tmp_path.glob("mapkit-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "mapkit/cli/app.py",
        "mapkit/train/__init__.py",
        "mapkit/annotations/__init__.py",
        "mapkit/schemas/city.schema.json",
        "mapkit/schemas/curation.schema.json",
    ):
        assert required in names, required
    assert any(n.startswith("mapkit/sources/curation/") and n.endswith(".yaml") for n in names)
    assert not any(n.startswith(("cli/", "train/", "schemas/")) for n in names)
