"""What validation reads besides the rows' own fields: city graphs, rendered maps, and the JSONL rows.

* :class:`Graphs` - city graphs by reference, loaded once (only the current city keeps its caches);
* :class:`Maps` - rendered maps by manifest reference, read once from beside the items file;
* :func:`jsonl_rows` - ``(line number, row or None, error)`` per non-blank line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from mapkit.errors import MapkitError
from mapkit.graph.model import MetroGraph
from mapkit.io import iter_lines
from mapkit.questions.base import release
from mapkit.questions.maps import MapRender, load_render, manifest_ref_of, resolve_ref
from mapkit.sources import load_city

__all__ = ["Graphs", "Maps", "jsonl_rows"]


class Graphs:
    """City graphs by reference, loaded once; only the current city keeps its question caches."""

    def __init__(self, data_dir: Any, given: Mapping[str, MetroGraph] | None) -> None:
        self.data_dir = data_dir
        self.given = dict(given or {})
        self.cache: dict[str, MetroGraph | MapkitError] = {}
        self.current: MetroGraph | None = None

    def get(self, ref: str) -> MetroGraph:
        hit = self.cache.get(ref)
        if hit is None:
            if ref in self.given:
                hit = self.given[ref]
            else:
                try:
                    hit = load_city(ref, data_dir=self.data_dir)
                except MapkitError as e:
                    hit = e
            self.cache[ref] = hit
        if isinstance(hit, MapkitError):
            raise hit
        if self.current is not None and hit is not self.current:
            release(self.current)  # rows come city by city: free the last city's spans and route trees
        self.current = hit
        return hit

    def close(self) -> None:
        """Free the last city's caches."""
        if self.current is not None:
            release(self.current)


class Maps:
    """Rendered maps by manifest reference (``./maps/...json``), read once from beside the items file."""

    def __init__(self, items_dir: Path) -> None:
        self.items_dir = items_dir
        self.cache: dict[str, MapRender | MapkitError] = {}

    def get(self, figure: str) -> MapRender:
        ref = manifest_ref_of(figure)
        hit = self.cache.get(ref)
        if hit is None:
            try:
                hit = load_render(resolve_ref(figure, self.items_dir), self.items_dir)
            except MapkitError as e:
                hit = e
            self.cache[ref] = hit
        if isinstance(hit, MapkitError):
            raise hit
        return hit


def jsonl_rows(path: Path) -> Iterator[tuple[int, Any, str | None]]:
    """(line number, parsed row or None, error) for each non-blank line of a JSONL file."""
    # iter_lines: bad bytes or an unreadable path raise an error naming the file and the byte
    return parse_lines(iter_lines(path))


def parse_lines(lines: Iterable[tuple[int, str]]) -> Iterator[tuple[int, Any, str | None]]:
    """:func:`jsonl_rows` of numbered lines from anywhere (a byte range of the file, in a worker)."""
    loads = json.loads
    for lineno, line in lines:
        if not line.strip():
            continue
        try:
            yield lineno, loads(line), None
        except (json.JSONDecodeError, RecursionError, ValueError) as e:
            yield lineno, None, f"invalid JSON: {e}"
