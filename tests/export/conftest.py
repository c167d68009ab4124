"""Fixtures for the export tests: canonical items built exactly per docs/design.md, tiny map PNGs.

Items are made by hand for the toy city (so the suite does not depend on generator details) and,
where the question families are importable, generated for real cities with real maps.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from .helpers import REAL_CITIES, TOY_TYPES, canonical, png, write_items

# nothing in these tests may reach the network (the Hub included)
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")


def _toy_export(folder: Path) -> dict[str, Any]:
    items = []
    for city, split in (("toyville", "train"), ("toytown", "test")):
        for typ in TOY_TYPES:
            for k in range(3):
                it = canonical(city, "nowhere", typ, k)
                it["mapkit"]["split"] = split
                items.append(it)
    images = {
        "toyville": png(folder / "img" / "toyville.png", (80, 60), "white"),
        "toytown": png(folder / "img" / "toytown.png", (60, 80), "gray"),
    }
    return {"items": write_items(folder / "items.jsonl", items), "images": images, "rows": items, "tmp": folder}


@pytest.fixture
def toy_export(tmp_path: Path) -> dict[str, Any]:
    """Items of every type over two toy cities (one train, one test by explicit split) and their PNGs."""
    return _toy_export(tmp_path)


@pytest.fixture(scope="session")
def real_items(tmp_path_factory: pytest.TempPathFactory, load_real: Any, reasonmap_dir: Path) -> dict[str, Any]:
    """Items of every registered family for oslo (train) and geneva (test) from ``mapkit.generate``,
    3 per family and city, written as the JSONL that `mapkit generate` writes."""
    from mapkit.generate import write_items as generate

    graphs = {city: load_real(city) for city in REAL_CITIES}
    path = tmp_path_factory.mktemp("real") / "items.jsonl"
    generate(path, list(REAL_CITIES), n_per_type=3, seed=0, data_dir=reasonmap_dir)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return {"items": path, "rows": rows, "graphs": graphs, "types": list(dict.fromkeys(i["type"] for i in rows))}


@pytest.fixture(scope="session")
def hf_cache(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A private ``datasets`` cache for the session (keeps ~/.cache clean, runs stay independent)."""
    return str(tmp_path_factory.mktemp("hf-cache"))


@pytest.fixture(scope="session")
def toy_session(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Like ``toy_export`` but shared by a module's tests (read-only use)."""
    return _toy_export(tmp_path_factory.mktemp("toy"))
