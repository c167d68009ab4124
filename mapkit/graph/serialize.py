"""JSON forms of a :class:`MetroGraph`: mapkit's city dict and networkx node-link data.

Example:
    >>> from mapkit.graph.examples import toy_city
    >>> g = toy_city()
    >>> from_node_link(to_node_link(g)).content_hash == g.content_hash
    True
    >>> from_city_dict(g.to_dict()).content_hash == g.content_hash
    True
"""

from __future__ import annotations

from typing import Any

import networkx as nx

from mapkit.graph.model import Line, MetroGraph, Station


def to_node_link(g: MetroGraph) -> dict[str, Any]:
    """node-link JSON of the networkx graph; stations and lines ride along as graph attributes."""
    nxg = g.graph.copy()
    nxg.graph.update(
        {
            "format": "mapkit.metro-graph/1",
            "source": g.source,
            "meta": g.meta,
            "lines": [ln.to_dict() for ln in g.lines.values()],
            "content_hash": g.content_hash,
        }
    )
    for sid, st in g.stations.items():
        nxg.nodes[sid].update(st.to_dict())
    data = nx.node_link_data(nxg, edges="edges")
    for e in data["edges"]:
        e["lines"] = list(e["lines"])
    return data


def from_node_link(data: dict[str, Any]) -> MetroGraph:
    """Rebuild a :class:`MetroGraph` from :func:`to_node_link` output (the graph is re-derived)."""
    attrs = data["graph"]
    stations = [Station.from_dict(n) for n in data["nodes"]]
    lines = [Line.from_dict(d) for d in attrs["lines"]]
    return MetroGraph(
        city=attrs["city"],
        country=attrs["country"],
        stations=stations,
        lines=lines,
        source=attrs.get("source", "unknown"),
        meta=dict(attrs.get("meta", {})),
    )


def from_city_dict(d: dict[str, Any]) -> MetroGraph:
    """Rebuild from :meth:`MetroGraph.to_dict` output (already schema-valid)."""
    return MetroGraph(
        city=d["city"],
        country=d["country"],
        stations=[Station.from_dict(s) for s in d["stations"]],
        lines=[Line.from_dict(ln) for ln in d["lines"]],
        source=d.get("source", "unknown"),
        meta=dict(d.get("meta", {})),
    )
