"""Tiny hand-made maps for doctests, tests and demos.

``toy_city()`` has a straight line, a loop and a branched line::

    Red   (straight): A - B - C - D - E
    Blue  (loop):     F - C - G - H - (back to F)
    Green (branched): I - B - J - K   and   I - B - J - L

Transfers: B (Red, Green) and C (Red, Blue). ``loop_branch_city()`` adds the degenerate cases
question generators must skip, ``oneway_city()`` one-way services (see their docstrings).

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


def loop_branch_city() -> MetroGraph:
    """A small city with every hard case the generators must handle.

    ::

        Circle (loop):  C1 - Hub - C3 - C4 - Park - C6 - (back to C1)
        Y (branched):   Y1 - Y2 - Hub - Y3 - Y4   and   Y1 - Y2 - Hub - Y5
        Red:            R1 - Red Line Plaza - Park - Central(a) - R4
        Blue:           B1 - Central(b) - Y4 - B3

    ``Red Line Plaza`` spells its own line's name; two different stations are displayed as
    ``Central``; C1 and C4 are equally far apart both ways round the loop.
    """
    names = {
        "c1": "C1", "hub": "Hub", "c3": "C3", "c4": "C4", "park": "Park", "c6": "C6",
        "y1": "Y1", "y2": "Y2", "y3": "Y3", "y4": "Y4", "y5": "Y5",
        "r1": "R1", "rlp": "Red Line Plaza", "central-a": "Central", "r4": "R4",
        "b1": "B1", "central-b": "Central", "b3": "B3",
    }
    stations = [Station(sid, name) for sid, name in names.items()]
    lines = [
        Line("circle", "Circle Line", (Branch(("c1", "hub", "c3", "c4", "park", "c6"), loop=True),)),
        Line("y", "Y Line", (Branch(("y1", "y2", "hub", "y3", "y4")), Branch(("y1", "y2", "hub", "y5")))),
        Line("red", "Red Line", (Branch(("r1", "rlp", "park", "central-a", "r4")),)),
        Line("blue", "Blue Line", (Branch(("b1", "central-b", "y4", "b3")),)),
    ]
    return MetroGraph(city="loopton", country="nowhere", stations=stations, lines=lines, source="example")


def oneway_city() -> MetroGraph:
    """A small city whose services run one way only, beside a two-way Y-branched line.

    ::

        Ring (one-way loop):  Abbey -> Bridge -> Castle -> Dock -> Elm -> Forge -> (Abbey)
        Airport (one-way terminal loop):
            out:  Gate -> Castle -> Junction -> Terminal 3 -> Terminal 2
            back: Terminal 2 -> Junction -> Castle -> Gate
        Fork (two-way, branched):  West End - Abbey - Hub - North Fork  and  West End - Abbey - Hub - South Fork

    From Castle to Abbey the Ring rides Dock, Elm, Forge (3 stops) although the drawn track has
    Bridge between them; Terminal 3 comes after Junction outbound only; North Fork and South Fork lie
    on different branches, one stop (Hub) apart along the track.
    """
    names = {
        "abbey": "Abbey", "bridge": "Bridge", "castle": "Castle", "dock": "Dock", "elm": "Elm", "forge": "Forge",
        "gate": "Gate", "junction": "Junction", "t3": "Terminal 3", "t2": "Terminal 2",
        "west-end": "West End", "hub": "Hub", "north-fork": "North Fork", "south-fork": "South Fork",
    }
    stations = [Station(sid, name) for sid, name in names.items()]
    lines = [
        Line(
            "ring", "Ring Line",
            (Branch(("abbey", "bridge", "castle", "dock", "elm", "forge"), loop=True, oneway=True),),
        ),
        Line(
            "airport", "Airport Line",
            (
                Branch(("gate", "castle", "junction", "t3", "t2"), oneway=True),
                Branch(("t2", "junction", "castle", "gate"), oneway=True),
            ),
        ),
        Line(
            "fork", "Fork Line",
            (Branch(("west-end", "abbey", "hub", "north-fork")), Branch(("west-end", "abbey", "hub", "south-fork"))),
        ),
    ]
    return MetroGraph(city="oneborough", country="nowhere", stations=stations, lines=lines, source="example")
