"""The metro graph model and its queries.

Example:
    >>> from mapkit.graph import toy_city, lines_through
    >>> lines_through(toy_city(), "b")
    ['red', 'green']
"""

from mapkit.graph.examples import oneway_city, toy_city
from mapkit.graph.model import Branch, Line, MetroGraph, Station
from mapkit.graph.queries import (
    Span,
    common_lines,
    lines_through,
    share_line,
    stations_of_line,
    stops_between,
    track_span,
    transfer_stations,
)
from mapkit.graph.routes import DEFAULT_TRANSFER_COST, Leg, Route, best_routes, route_from_stations
from mapkit.graph.serialize import from_city_dict, from_node_link, to_node_link

__all__ = [
    "Branch",
    "DEFAULT_TRANSFER_COST",
    "Leg",
    "Line",
    "MetroGraph",
    "Route",
    "Span",
    "Station",
    "best_routes",
    "common_lines",
    "from_city_dict",
    "from_node_link",
    "lines_through",
    "oneway_city",
    "route_from_stations",
    "share_line",
    "stations_of_line",
    "stops_between",
    "to_node_link",
    "track_span",
    "toy_city",
    "transfer_stations",
]
