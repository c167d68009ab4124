"""Answers: find the answer in a response, normalise it, and decide whether it is right.

The leaf under both the question families and the scorer: it imports the graph model and the city
loader (route answers are verified on the graph), never :mod:`mapkit.questions` or
:mod:`mapkit.scoring`. Families build their ``check`` from these pieces; the scorer composes the
families' verdicts (docs/design.md).

* :mod:`~mapkit.answers.extract` - the answer in a response (last ``\\boxed{}``, else a closing phrase);
* :mod:`~mapkit.answers.normalize` - parsers and name keys (yes/no, options, integers, names, boxes,
  colours; a hedge is never an answer);
* :mod:`~mapkit.answers.routes` - route blocks: parse, verify on the graph, format;
* :mod:`~mapkit.answers.checks` - :class:`Correctness`, :class:`Given` and the shared checks.

Example:
    >>> from mapkit.answers import check_yes_no, extract_answer
    >>> check_yes_no({"answer_text": "yes"}, extract_answer(r"so \\boxed{True}").text).correct
    True
"""

from mapkit.answers.checks import Correctness, Given, check_count, check_yes_no, stops_detail
from mapkit.answers.extract import Extraction, extract_answer, listed_stops
from mapkit.answers.routes import RouteCheck, check_route, extract_route, format_route_answer, parse_route

__all__ = [
    "Correctness",
    "Extraction",
    "Given",
    "RouteCheck",
    "check_count",
    "check_route",
    "check_yes_no",
    "extract_answer",
    "extract_route",
    "format_route_answer",
    "listed_stops",
    "parse_route",
    "stops_detail",
]
