"""Tiny hand-made maps for doctests, tests and demos.

``toy_city()`` has a straight line, a loop and a branched line::

    Red   (straight): A - B - C - D - E
    Blue  (loop):     F - C - G - H - (back to F)
    Green (branched): I - B - J - K   and   I - B - J - L

Transfers: B (Red, Green) and C (Red, Blue).

Example:
    >>> g = toy_city()
    >>> sorted(g.lines)
    ['blue', 'green', 'red']
"""

from __future__ import annotations

from mapkit.graph.model import Branch, Line, MetroGraph, Station


def toy_city() -> MetroGraph:
    """The three-line toy city described in the module docstring (ids are lower-case letters)."""
    letters = "ABCDEFGHIJKL"
    stations = [Station(c.lower(), f"{c} Station", coords=(float(i), float(i % 3))) for i, c in enumerate(letters)]
    lines = [
        Line("red", "Red Line", (Branch(("a", "b", "c", "d", "e")),), color="#e41a1c"),
        Line("blue", "Blue Line", (Branch(("f", "c", "g", "h"), loop=True),), color="#377eb8"),
        Line(
            "green",
            "Green Line",
            (Branch(("i", "b", "j", "k")), Branch(("i", "b", "j", "l"))),
            color="#4daf4a",
        ),
    ]
    return MetroGraph(city="toyville", country="nowhere", stations=stations, lines=lines, source="example")
