"""Graph queries on tiny hand-made maps: a straight line, a loop and a branched line."""

from __future__ import annotations

import itertools

import networkx as nx
import pytest

from mapkit.errors import (
    AmbiguousSpanError,
    AmbiguousStationError,
    GraphBuildError,
    LineNotFoundError,
    NotOnSameLineError,
    StationNotFoundError,
)
from mapkit.graph import (
    Branch,
    Line,
    MetroGraph,
    Station,
    common_lines,
    lines_through,
    share_line,
    stations_of_line,
    stops_between,
    transfer_stations,
)


def make(lines: dict[str, list[list[str]] | tuple[list[str], bool]]) -> MetroGraph:
    """Build a graph from {line: [service, ...]} or {line: (stations, loop)}; names are ids."""
    built, names = [], {}
    for lid, spec in lines.items():
        if isinstance(spec, tuple):
            services = [Branch(tuple(spec[0]), loop=spec[1])]
        else:
            services = [Branch(tuple(s)) for s in spec]
        for br in services:
            names.update({s: None for s in br.stations})
        built.append(Line(lid, lid.upper(), tuple(services)))
    return MetroGraph(city="t", country="x", stations=[Station(s, s.upper()) for s in names], lines=built)


def test_edges_carry_every_line_running_on_them(toy):
    assert toy.graph.edges["b", "c"]["lines"] == ("red",)
    shared = make({"l1": [["a", "b", "c"]], "l2": [["a", "b", "d"]]})
    assert shared.graph.edges["a", "b"]["lines"] == ("l1", "l2")


def test_loop_has_its_closing_edge_and_branch_no_false_edge(toy):
    assert toy.graph.has_edge("h", "f")  # Blue is a loop stored open
    assert not toy.graph.has_edge("k", "l")  # the two Green branch ends are not adjacent
    assert toy.line("blue").loop and not toy.line("green").loop


def test_lines_through_and_membership(toy):
    assert lines_through(toy, "c") == ["red", "blue"]
    assert lines_through(toy, "B Station") == ["red", "green"]
    assert stations_of_line(toy, "green") == ["i", "b", "j", "k", "l"]
    assert common_lines(toy, "b", "c") == ["red"]
    assert share_line(toy, "k", "l") and not share_line(toy, "a", "h")
    assert transfer_stations(toy) == ["b", "c"]


@pytest.mark.parametrize(
    ("a", "b", "line", "expected"),
    [
        ("a", "e", "red", ("b", "c", "d")),
        ("e", "a", "red", ("d", "c", "b")),
        ("a", "b", "red", ()),
        ("f", "h", "blue", ()),  # adjacent across the closing edge: the shorter way
        ("i", "k", "green", ("b", "j")),
        ("k", "i", "green", ("j", "b")),
    ],
)
def test_stops_between(toy, a, b, line, expected):
    span = stops_between(toy, a, b, line)
    assert not span.ambiguous
    assert span.stops == expected
    assert span.count == len(expected)


def test_loop_reports_both_directions_and_refuses_a_tie(toy):
    span = stops_between(toy, "c", "h", "blue")  # c-g-h and c-f-h: one stop each way
    assert span.ambiguous
    assert set(span.paths) == {("g",), ("f",)}
    with pytest.raises(AmbiguousSpanError):
        _ = span.count


def test_stations_on_different_branches_have_no_span(toy):
    with pytest.raises(NotOnSameLineError, match="different branches"):
        stops_between(toy, "k", "l", "green")


def test_span_needs_a_common_line_or_a_named_one(toy):
    with pytest.raises(NotOnSameLineError):
        stops_between(toy, "a", "h")
    with pytest.raises(NotOnSameLineError):
        stops_between(toy, "a", "h", "red")


def test_lookup_errors_name_the_problem(toy):
    with pytest.raises(StationNotFoundError, match="no station 'Z'"):
        toy.station("Z")
    with pytest.raises(LineNotFoundError, match="Purple"):
        toy.line("Purple")


def test_same_name_different_stations_is_ambiguous_by_name_only():
    g = MetroGraph(
        city="nyc",
        country="x",
        stations=[Station("7-av-53", "7 Av"), Station("7-av-flatbush", "7 Av"), Station("x", "X")],
        lines=[Line("b", "B", (Branch(("7-av-53", "x", "7-av-flatbush")),))],
    )
    assert g.station_ids_named("7 av") == ("7-av-53", "7-av-flatbush")
    with pytest.raises(AmbiguousStationError):
        g.station("7 Av")
    assert stops_between(g, "7-av-53", "7-av-flatbush", "b").stops == ("x",)


@pytest.mark.parametrize(
    "lines",
    [
        {"l": [["a"]]},  # a single station
        {"l": [["a", "b", "a"]]},  # a station twice without a loop flag
        {"l": []},  # an empty line
    ],
)
def test_invalid_lines_are_refused(lines):
    with pytest.raises(GraphBuildError):
        make(lines)


def test_unknown_station_in_a_line_is_refused():
    with pytest.raises(GraphBuildError, match="unknown station"):
        MetroGraph(city="t", country="x", stations=[Station("a", "A")], lines=[Line("l", "L", (Branch(("a", "b")),))])


def _brute_spans(g: MetroGraph, a: str, b: str, line: str) -> set[tuple[str, ...]]:
    """Independent check: interiors of every simple path inside each service's own subgraph."""
    found = set()
    for br in g.lines[line].branches:
        h = nx.Graph()
        seq = list(br.stations)
        nx.add_path(h, seq + ([seq[0]] if br.loop else []))
        if a in h and b in h:
            found |= {tuple(p[1:-1]) for p in nx.all_simple_paths(h, a, b)}
    return found


def test_spans_agree_with_brute_force_on_every_pair(toy):
    for line in toy.lines.values():
        for a, b in itertools.permutations(line.station_ids, 2):
            brute = _brute_spans(toy, a, b, line.id)
            if not brute:
                with pytest.raises(NotOnSameLineError):
                    stops_between(toy, a, b, line.id)
                continue
            span = stops_between(toy, a, b, line.id)
            assert set(span.paths) == brute
            shortest = min(map(len, brute))
            ties = [p for p in brute if len(p) == shortest]
            assert span.ambiguous == (len(ties) > 1)
            if len(ties) == 1:
                assert span.stops == ties[0]
