"""The curation files mapkit owns: one YAML per ReasonMap city, shipped as package data.

Example:
    >>> cur, path = find_curation("no-such-city")
    >>> cur, path
    ({}, None)
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from mapkit.io import load_document
from mapkit.schemas import validate_document

CURATION_DIR = Path(str(resources.files("mapkit.sources").joinpath("curation")))


def curation_path(city: str) -> Path:
    """Where the curation file of ``city`` lives inside the installed package."""
    return CURATION_DIR / f"{city}.yaml"


_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def _load(path: Path) -> dict[str, Any]:
    # the shipped files are trusted and small: the C loader is ~6x faster; any problem falls back to
    # load_document, which gives the file/line/column message
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_FAST_LOADER) or {}
    except (yaml.YAMLError, OSError, UnicodeDecodeError):
        doc = load_document(path) or {}
    validate_document(doc, "curation", source=path)
    return doc


def find_curation(city: str) -> tuple[dict[str, Any], Path | None]:
    """The parsed, schema-checked curation of ``city``, or ``({}, None)`` when it has none."""
    p = curation_path(city)
    if not p.exists():
        return {}, None
    return _load(p), p


def curated_catalog() -> dict[str, str]:
    """city -> country for every city that has a curation file (the known ReasonMap cities)."""
    out = {}
    for p in sorted(CURATION_DIR.glob("*.yaml")):
        doc = _load(p)
        out[doc["city"]] = doc["country"]
    return out
