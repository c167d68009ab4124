"""mapkit: verified visual-question datasets from transit maps.

Example:
    >>> import mapkit
    >>> g = mapkit.load_city("demo")
    >>> len(g.lines) >= 3
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:
    from mapkit.graph.model import MetroGraph


def load_city(name: str, *, data_dir: str | None = None) -> MetroGraph:
    """Load a city by name (``beijing``), file path, ``synthetic:<seed>`` or ``demo``.

    See :func:`mapkit.sources.load_city`.
    """
    from mapkit.sources import load_city as _load

    return _load(name, data_dir=data_dir)
