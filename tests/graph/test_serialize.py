"""JSON round trips and the content hash."""

from __future__ import annotations

import json

from mapkit.graph import Branch, Line, MetroGraph, Station, from_city_dict, from_node_link, to_node_link


def test_node_link_round_trip_survives_json(toy):
    data = json.loads(json.dumps(to_node_link(toy), ensure_ascii=False))
    back = from_node_link(data)
    assert back.content_hash == toy.content_hash
    assert sorted(back.graph.edges) == sorted(toy.graph.edges)
    assert back.line("blue").loop


def test_city_dict_round_trip(toy):
    assert from_city_dict(json.loads(json.dumps(toy.to_dict()))).content_hash == toy.content_hash


def test_hash_changes_with_content_not_with_meta(toy):
    base = toy.content_hash
    other = MetroGraph(
        city=toy.city,
        country=toy.country,
        stations=toy.stations.values(),
        lines=toy.lines.values(),
        meta={"anything": 1},
        source="elsewhere",
    )
    assert other.content_hash == base
    lines = list(toy.lines.values())
    lines[0] = Line("red", "Red Line", (Branch(("a", "b", "c", "d")),), color="#e41a1c")
    stations = list(toy.stations.values()) + [Station("z", "Z")]
    changed = MetroGraph(city=toy.city, country=toy.country, stations=stations, lines=lines)
    assert changed.content_hash != base
