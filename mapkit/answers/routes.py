"""Route answers: parse the §4 block format and verify it on the city graph (docs/scoring.md §3).

A route answer is one block per leg, legs separated by a line ``--``::

    Route Name: Red Line
    Departure Stop: A Station
    Arrival Stop: C Station
    Number of Via Stops: 1        (long variant, or)
    Via Stops: B Station          (long variant)

Verification (:func:`check_route`) runs on the graph (``load_city(city_ref)``, cached per
(city_ref, graph_hash), checked against the item's ``graph_hash``). A route is **correct** when it is
a real journey: first departure = the question's first station, last arrival = its second, every
leg's line exists and one *service* of it runs between the leg's stops (no ride between two
branches), legs chain (arrival = next departure), and via-stop counts/names, when given or asked for,
match a way the train runs. Optimality is reported separately (``optimal``) and priced into the
detail score; ``require_optimal`` in :func:`mapkit.scoring.score` makes it part of correctness.

Without a graph (no data directory, or the graph changed since the item was built) the answer is
compared with the stored gold routes: it is correct only when it *is* one of them, and the notes
say the check was weaker.

Example:
    >>> from mapkit.graph import toy_city
    >>> g = toy_city()
    >>> text = "Route Name: Red Line\\nDeparture Stop: A Station\\nArrival Stop: C Station\\n--\\n" \\
    ...        "Route Name: Blue Line\\nDeparture Stop: C Station\\nArrival Stop: G Station"
    >>> r = verify_route(g, parse_route(text), "a", "g")
    >>> r.correct, r.optimal, r.detail
    (True, True, 1.0)
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from mapkit.answers.extract import Extraction, extract_answer
from mapkit.answers.normalize import NameIndex, name_index, parse_int, split_list
from mapkit.errors import GraphError, MapkitError
from mapkit.graph.model import MetroGraph
from mapkit.graph.queries import stops_between
from mapkit.graph.routes import DEFAULT_TRANSFER_COST, Route, best_routes
from mapkit.sources import load_city

__all__ = [
    "AnswerLeg",
    "ParsedRoute",
    "RouteCheck",
    "check_route",
    "clear_graph_cache",
    "extract_route",
    "find_route_block",
    "format_route_answer",
    "item_graph",
    "parse_route",
    "route_variant",
    "verify_route",
    "via_names",
]

VARIANTS = ("short", "via_count", "via_stops")


# --- parsing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerLeg:
    """One leg as written: line and stop names, optional via count / via stop names."""

    line: str
    departure: str
    arrival: str
    via_count: int | None = None
    via_stops: tuple[str, ...] | None = None
    via_text: str | None = field(default=None, repr=False, compare=False)
    """The ``Via Stops:`` value as written, re-split by :func:`via_names` against known names."""


@dataclass(frozen=True)
class ParsedRoute:
    """Legs found in a route answer and the format problems met on the way."""

    legs: tuple[AnswerLeg, ...]
    problems: tuple[str, ...] = ()
    stray: str = ""
    """Text outside the fields and ``--`` separators (a format fault, not a wrong route)."""

    @property
    def ok(self) -> bool:
        """True when at least one leg parsed and nothing was malformed."""
        return bool(self.legs) and not self.problems

    @property
    def format_ok(self) -> bool:
        """``ok`` and nothing but fields and separators: the block is "strictly followed"."""
        return self.ok and not self.stray


_KEY = re.compile(
    r"(?:^|(?<=[\s,;*>\-]))(route\s*name|departure\s*stop|arrival\s*stop|number\s*of\s*via\s*stops|via\s*stops)"
    r"\s*\**\s*[:：]",
    re.I,
)
_KEY_NAMES = {
    "routename": "line",
    "departurestop": "departure",
    "arrivalstop": "arrival",
    "numberofviastops": "via_count",
    "viastops": "via_stops",
}


def _value(raw: str) -> str:
    raw = raw.split("\n", 1)[0]
    raw = re.split(r"\s-{2,}", raw, maxsplit=1)[0]  # "B -- Route Name: ..." written on one line
    return raw.replace("**", "").strip().strip(",;|").strip()


def _split_via(value: str, stations: NameIndex | None) -> tuple[str, ...]:
    return tuple(s for s in split_list(value, stations) if s.casefold() not in ("none", "-", "n/a"))


def via_names(leg: AnswerLeg, stations: NameIndex | None) -> tuple[str, ...] | None:
    """The leg's via stops, with the names in ``stations`` that hold a separator kept whole.

    >>> from mapkit.answers.normalize import name_index
    >>> leg = parse_route("Route Name: G\\nDeparture Stop: A\\nArrival Stop: B\\nVia Stops: U, e& Station").legs[0]
    >>> leg.via_stops, via_names(leg, name_index({"e": ["e& Station"]}))
    (('U', 'e', 'Station'), ('U', 'e& Station'))
    """
    if leg.via_text is None or stations is None or not stations.joined:
        return leg.via_stops
    return _split_via(leg.via_text, stations)


def parse_route(text: str | None, *, stations: NameIndex | None = None) -> ParsedRoute:
    """Split a route answer into legs; a leg starts at ``Route Name:``.

    ``stations`` (the city's station names) keeps a via stop whose name holds a list separator
    ("e& Station") as one stop; without it, :func:`via_names` can re-split a leg later.

    >>> p = parse_route("Route Name: Line 1\\nDeparture Stop: A\\nArrival Stop: B\\nNumber of Via Stops: 2")
    >>> p.legs[0], p.ok
    (AnswerLeg(line='Line 1', departure='A', arrival='B', via_count=2, via_stops=None), True)
    >>> parse_route("Departure Stop: A").problems[-1]
    'no "Route Name:" found'
    >>> parse_route("Take this: Route Name: L1\\nDeparture Stop: A\\nArrival Stop: B").stray
    'Take this:'
    """
    if not text:
        return ParsedRoute((), ("empty answer",))
    matches = list(_KEY.finditer(text))
    problems: list[str] = []
    legs: list[dict[str, Any]] = []
    leftover: list[str] = []
    pos = 0
    for i, m in enumerate(matches):
        key = _KEY_NAMES[re.sub(r"\s+", "", m.group(1)).lower()]
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        raw = text[m.end() : end]
        leftover.append(text[pos : m.start()])
        pos = m.end() + len(raw.split("\n", 1)[0])
        value = _value(raw)
        if key == "line":
            legs.append({"line": value})
            if not value:
                problems.append(f"leg {len(legs)}: empty Route Name")
            continue
        if not legs:
            problems.append(f'"{m.group(1)}:" before the first "Route Name:"')
            continue
        leg = legs[-1]
        if key in leg:
            problems.append(f"leg {len(legs)}: {m.group(1)} given twice")
            continue
        if key == "via_count":
            n = parse_int(value)
            if n is None:
                problems.append(f"leg {len(legs)}: Number of Via Stops {value!r} is not a number")
            leg[key] = n
        elif key == "via_stops":
            leg[key] = _split_via(value, stations)
            leg["via_text"] = value
        else:
            if not value:
                problems.append(f"leg {len(legs)}: empty {m.group(1)}")
            leg[key] = value
    leftover.append(text[pos:])
    stray = re.sub(r"[\s\-*#>,;|.]+", " ", " ".join(leftover)).strip()
    if not legs:
        return ParsedRoute((), (*problems, 'no "Route Name:" found'), stray)
    out = []
    for n, leg in enumerate(legs, 1):
        missing = [k for k in ("departure", "arrival") if not leg.get(k)]
        if missing:
            problems.append(f"leg {n}: no {' and no '.join(k.title() + ' Stop' for k in missing)}")
        out.append(
            AnswerLeg(
                leg["line"],
                leg.get("departure", ""),
                leg.get("arrival", ""),
                leg.get("via_count"),
                leg.get("via_stops"),
                leg.get("via_text"),
            )
        )
    return ParsedRoute(tuple(out), tuple(dict.fromkeys(problems)), stray)


_BLOCK_LINE = re.compile(
    r"^[\s>*#\-]*(route\s*name|departure\s*stop|arrival\s*stop|number\s*of\s*via\s*stops|via\s*stops)\s*\**\s*[:：]",
    re.I,
)


def find_route_block(response: str | None) -> str | None:
    """The last run of route-block lines in a response (the fallback when nothing was boxed).

    >>> text = "Draft: Route Name: X\\n\\nFinal:\\nRoute Name: L1\\nDeparture Stop: A\\nArrival Stop: B\\nDone."
    >>> find_route_block(text)
    'Route Name: L1\\nDeparture Stop: A\\nArrival Stop: B'
    """
    if not response:
        return None
    lines = response.replace("\r\n", "\n").split("\n")
    last = max((i for i, ln in enumerate(lines) if _BLOCK_LINE.match(ln)), default=None)
    if last is None:
        return None
    first = last
    i = last - 1
    while i >= 0:
        s = lines[i].strip()
        if _BLOCK_LINE.match(lines[i]):
            first = i
        elif s and not re.fullmatch(r"-{2,}", s):
            break
        i -= 1
    block = [ln.strip() for ln in lines[first : last + 1] if ln.strip()]
    return "\n".join(block)


def extract_route(response: str | None) -> Extraction:
    """The route answer of a response: the last box, else the last route block (docs/scoring.md §1).

    A box that was attempted but is cut off or empty is no answer, so the route block the prose may
    contain before it is not graded instead.

    >>> extract_route("Route Name: L1\\nDeparture Stop: A\\nArrival Stop: B").method
    'route-block'
    """
    ex = extract_answer(response)
    if ex.method == "boxed":
        return ex
    block = find_route_block(response)
    if block:
        return Extraction(block, False, "route-block", ("no \\boxed{}; graded the last route block in the response",))
    return ex


def format_route_answer(g: MetroGraph, route: Route, *, variant: str = "short") -> str:
    """A route as the §4 block a model must write (``variant``: short, via_count or via_stops).

    >>> from mapkit.graph import toy_city, best_routes
    >>> g = toy_city()
    >>> print(format_route_answer(g, best_routes(g, "a", "g")[0], variant="via_count"))
    Route Name: Red Line
    Departure Stop: A Station
    Arrival Stop: C Station
    Number of Via Stops: 1
    --
    Route Name: Blue Line
    Departure Stop: C Station
    Arrival Stop: G Station
    Number of Via Stops: 0
    """
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, not {variant!r}")
    blocks = []
    for leg in route.legs:
        rows = [
            f"Route Name: {g.lines[leg.line].name}",
            f"Departure Stop: {g.stations[leg.start].name}",
            f"Arrival Stop: {g.stations[leg.end].name}",
        ]
        if variant == "via_count":
            rows.append(f"Number of Via Stops: {len(leg.via)}")
        elif variant == "via_stops":
            rows.append("Via Stops: " + (", ".join(g.stations[s].name for s in leg.via) or "None"))
        blocks.append("\n".join(rows))
    return "\n--\n".join(blocks)


TEMPLATE_VARIANTS = {"long_count": "via_count", "long_via": "via_stops"}
"""The planning family's template names for the long variants."""


def route_variant(item: Mapping[str, Any]) -> str:
    """Which answer format the item asks for: ``short``, ``via_count`` or ``via_stops``.

    Read from ``mapkit.gold.variant`` or ``mapkit.template`` (``short``, ``long_count``, ``long_via``)
    when present, else from the question text.

    >>> route_variant({"question": "... Number of Via Stops: n ..."})
    'via_count'
    """
    meta = item.get("mapkit") or {}
    v = (meta.get("gold") or {}).get("variant") or TEMPLATE_VARIANTS.get(
        str(meta.get("template")), meta.get("template")
    )
    if v in VARIANTS:
        return str(v)
    q = str(item.get("question", ""))
    if re.search(r"number\s+of\s+via\s+stops", q, re.I):
        return "via_count"
    if re.search(r"via\s+stops\s*:", q, re.I):
        return "via_stops"
    return "short"


# --- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RouteCheck:
    """The verdict on a route answer; duck-compatible with a family's ``Correctness``.

    ``sub_scores`` are each in [0, 1]; ``detail`` is their mean. ``verified_on`` is ``graph`` or
    ``gold`` (the weaker fallback).
    """

    correct: bool
    detail: float
    notes: tuple[str, ...] = ()
    optimal: bool | None = None
    sub_scores: tuple[tuple[str, float], ...] = ()
    verified_on: str = "graph"
    format_ok: bool = False
    legs: tuple[tuple[str | None, str | None, str | None], ...] = field(default=(), repr=False)


def _leg_penalty(n_legs: int, ref_legs: int) -> float:
    # RewardMap's -5 per leg beyond the reference, without the off-by-one that also hit correct routes:
    # a route with as many legs as the reference (transfers + 1) or fewer loses nothing.
    extra = n_legs - ref_legs
    return 1.0 if extra <= 0 else max(0.0, 1.0 - 0.5 * extra)


def _shape_subs(
    resolved: Sequence[tuple[str | None, str | None, str | None]], chain: Sequence[bool], n_legs: int, ref_legs: int
) -> dict[str, float]:
    """The ``transfers`` and ``legs`` sub-scores, earned only by a route with a leg that resolved.

    A one-leg or short answer of unknown names ("Route Name: X") has nothing to chain and no extra
    legs, so both would be 1 for free: they count only when at least one leg's line and both stops
    were recognised (on the graph, or in the stored gold).
    """
    if not any(lid and dep and arr for lid, dep, arr in resolved):
        return {"transfers": 0.0, "legs": 0.0}
    return {
        "transfers": sum(chain) / len(chain) if chain else 1.0,
        "legs": _leg_penalty(n_legs, ref_legs),
    }


def _finish(
    *,
    valid: bool,
    optimal: bool | None,
    subs: dict[str, float],
    notes: list[str],
    verified_on: str,
    format_ok: bool,
    legs: Sequence[tuple[str | None, str | None, str | None]] = (),
) -> RouteCheck:
    detail = sum(subs.values()) / len(subs) if subs else 0.0
    return RouteCheck(
        correct=valid,
        detail=round(detail, 6),
        notes=tuple(dict.fromkeys(notes)),
        optimal=optimal,
        sub_scores=tuple((k, round(v, 6)) for k, v in subs.items()),
        verified_on=verified_on,
        format_ok=format_ok,
        legs=tuple(legs),
    )


# --- verification on the graph ------------------------------------------------------------------

_INDEXES: dict[str, tuple[NameIndex, NameIndex]] = {}
_INDEXES_MAX = 64


def _graph_indexes(g: MetroGraph) -> tuple[NameIndex, NameIndex]:
    """The (station, line) name indexes of a graph, built once per graph content (scoring runs many
    answers per city); keyed by ``content_hash``, at most ``_INDEXES_MAX`` graphs kept."""
    key = g.content_hash
    hit = _INDEXES.get(key)
    if hit is None:
        hit = (
            name_index({sid: [st.name, *st.aliases, sid] for sid, st in g.stations.items()}),
            name_index({lid: [ln.name, *ln.aliases, lid] for lid, ln in g.lines.items()}, kind="line"),
        )
        if len(_INDEXES) >= _INDEXES_MAX:
            _INDEXES.pop(next(iter(_INDEXES)))
        _INDEXES[key] = hit
    return hit


def _station_candidates(g: MetroGraph, text: str) -> list[str]:
    if not text:
        return []
    if text in g.stations:
        return [text]
    ids = list(g.station_ids_named(text))
    return ids or _graph_indexes(g)[0].resolve(text)


def _line_candidates(g: MetroGraph, text: str) -> list[str]:
    if not text:
        return []
    if text in g.lines:
        return [text]
    return _graph_indexes(g)[1].resolve(text)


def _pick(cands: Sequence[str], line: str | None, g: MetroGraph, prefer: str | None) -> str | None:
    """One station id for a name: those on the leg's line first, then the one the chain expects."""
    if line is not None:
        on_line = [c for c in cands if line in g.lines_at(c)]
        cands = on_line or cands
    if prefer in cands:
        return prefer
    return cands[0] if cands else None


def verify_route(
    g: MetroGraph,
    parsed: ParsedRoute,
    start: str,
    end: str,
    *,
    variant: str = "short",
    transfer_cost: float = DEFAULT_TRANSFER_COST,
    reference: Sequence[Route] | None = None,
) -> RouteCheck:
    """Verify parsed legs on ``g`` for a trip ``start`` -> ``end`` (station ids).

    ``reference`` defaults to ``best_routes(g, start, end)``; its cost defines optimality and its
    leg count the leg-count sub-score.

    >>> from mapkit.graph import toy_city
    >>> text = "Route Name: Green Line\\nDeparture Stop: K Station\\nArrival Stop: L Station"
    >>> r = verify_route(toy_city(), parse_route(text), "k", "l")
    >>> r.correct, "different branches" in r.notes[0]
    (False, True)
    """
    notes: list[str] = list(parsed.problems)
    legs = parsed.legs
    if not legs:
        return _finish(
            valid=False, optimal=None, subs={}, notes=notes or ["no legs"], verified_on="graph", format_ok=False
        )
    if reference is None:
        try:
            reference = best_routes(g, start, end, transfer_cost=transfer_cost)
        except MapkitError as e:
            notes.append(f"no reference route: {e}")
            reference = []
    resolved: list[tuple[str | None, str | None, str | None]] = []
    leg_ok: list[bool] = []
    via_ok: list[bool] = []
    ride_cost = 0.0
    prev_arr: str | None = start
    dep_all: list[list[str]] = []
    arr_all: list[list[str]] = []
    for n, leg in enumerate(legs, 1):
        lines = _line_candidates(g, leg.line)
        lid = lines[0] if len(lines) == 1 else None
        if lid is None:
            notes.append(f"leg {n}: {'ambiguous' if lines else 'unknown'} line {leg.line!r}")
        d_all, a_all = _station_candidates(g, leg.departure), _station_candidates(g, leg.arrival)
        dep_all.append(d_all)
        arr_all.append(a_all)
        dep = _pick(d_all, lid, g, prev_arr)
        nxt = end if n == len(legs) else None
        arr = _pick(a_all, lid, g, nxt)
        for text, sid in ((leg.departure, dep), (leg.arrival, arr)):
            if sid is None and text:
                notes.append(f"leg {n}: unknown station {text!r}")
        resolved.append((lid, dep, arr))
        prev_arr = arr
        ok, v_ok, cost = False, False, 0.0
        if lid and dep and arr:
            if dep == arr:
                notes.append(f"leg {n}: departs and arrives at {g.stations[dep].name}")
            else:
                try:
                    span = stops_between(g, dep, arr, lid)
                except GraphError as e:
                    notes.append(f"leg {n}: {e}")
                else:
                    ok = True
                    path, v_ok, why = _match_via(g, leg, span.paths, lid, variant)
                    if why:
                        notes.append(f"leg {n}: {why}")
                    cost = len(path) + 1
        leg_ok.append(ok)
        via_ok.append(ok and v_ok)
        ride_cost += cost
    dep_ok = start in dep_all[0]
    arr_ok = end in arr_all[-1]
    if not dep_ok:
        notes.append(f"the route starts at {legs[0].departure!r}, not {g.stations[start].name}")
    if not arr_ok:
        notes.append(f"the route ends at {legs[-1].arrival!r}, not {g.stations[end].name}")
    chain = []
    for i in range(len(legs) - 1):
        a, b = resolved[i][2], resolved[i + 1][1]
        linked = a == b if a and b else bool(set(arr_all[i]) & set(dep_all[i + 1]))
        chain.append(linked)
        if not linked:
            notes.append(
                f"leg {i + 1} arrives at {legs[i].arrival!r} but leg {i + 2} departs from {legs[i + 1].departure!r}"
            )
    valid = parsed.ok and all(leg_ok) and all(chain) and dep_ok and arr_ok
    if variant != "short" or any(lg.via_count is not None or lg.via_stops is not None for lg in legs):
        valid = valid and all(via_ok)
    cost = ride_cost + transfer_cost * (len(legs) - 1)
    best = min((r.cost(transfer_cost) for r in reference), default=None)
    optimal: bool | None = None
    if valid and best is not None:
        optimal = cost <= best + 1e-9
        if not optimal:
            notes.append(f"a valid route, but not an optimal one (cost {cost:g} vs {best:g})")
    ref_legs = min((len(r.legs) for r in reference), default=len(legs))
    subs = {
        "endpoints": (dep_ok + arr_ok) / 2,
        "lines": sum(leg_ok) / len(legs),
        **_shape_subs(resolved, chain, len(legs), ref_legs),
        "optimal": (best / cost if best and cost else 1.0) if valid else 0.0,
    }
    if variant != "short":
        subs["via"] = sum(via_ok) / len(legs)
    return _finish(
        valid=valid,
        optimal=optimal,
        subs=subs,
        notes=notes,
        verified_on="graph",
        format_ok=parsed.format_ok,
        legs=resolved,
    )


def _match_via(
    g: MetroGraph, leg: AnswerLeg, paths: Sequence[tuple[str, ...]], lid: str, variant: str
) -> tuple[tuple[str, ...], bool, str | None]:
    """The path the leg rides (by its via info when given) and whether that info is right."""
    via = via_names(leg, _graph_indexes(g)[0])
    if via is not None:
        ids: list[str | None] = []
        for name in via:
            ids.append(_pick(_station_candidates(g, name), lid, g, None))
        for p in paths:
            if tuple(ids) == p:
                return p, True, None
        return paths[0], False, f"via stops {', '.join(via) or 'none'} are not the stops ridden past"
    if leg.via_count is not None:
        for p in paths:
            if len(p) == leg.via_count:
                return p, True, None
        counts = " or ".join(str(len(p)) for p in paths)
        return paths[0], False, f"{leg.via_count} via stops given, the train passes {counts}"
    if variant != "short":
        return paths[0], False, "via stops were asked for but not given"
    return paths[0], True, None


# --- the graph of an item -----------------------------------------------------------------------

_GRAPHS: dict[tuple[str, str, str], tuple[MetroGraph | None, str | None]] = {}


def clear_graph_cache() -> None:
    """Forget every graph loaded by :func:`item_graph` and its name indexes (tests; a changed data directory)."""
    _GRAPHS.clear()
    _INDEXES.clear()


def item_graph(
    item: Mapping[str, Any], *, data_dir: str | os.PathLike[str] | None = None
) -> tuple[MetroGraph | None, str | None]:
    """The item's city graph, loaded once per (city_ref, graph_hash, data dir), or why there is none.

    Returns ``(graph, None)``, or ``(None, reason)`` when the city cannot be loaded or its graph no
    longer has the hash the item was built from (the stored gold is then the truth).

    >>> item_graph({"mapkit": {}})
    (None, 'the item has no mapkit.city_ref')
    """
    meta = item.get("mapkit") or {}
    ref = meta.get("city_ref")
    if not ref:
        return None, "the item has no mapkit.city_ref"
    want = str(meta.get("graph_hash") or "")
    key = (str(ref), want, str(data_dir or os.environ.get("MAPKIT_DATA", "")))
    if key not in _GRAPHS:
        try:
            g = load_city(str(ref), data_dir=data_dir)
        except MapkitError as e:
            _GRAPHS[key] = (None, f"city {ref!r} could not be loaded ({e.message})")
        else:
            if want and g.content_hash != want:
                _GRAPHS[key] = (None, f"city {ref!r} has changed since the item was built (graph hash differs)")
            else:
                _GRAPHS[key] = (g, None)
    return _GRAPHS[key]


# --- verification against the stored gold (no graph) ------------------------------------------


def _gold_routes(gold: Mapping[str, Any]) -> list[list[dict[str, Any]]]:
    return [[dict(leg) for leg in r["legs"]] for r in gold.get("routes") or () if r.get("legs")]


def _name_tables(item: Mapping[str, Any], routes: list[list[dict[str, Any]]]) -> tuple[dict, dict]:
    """id -> names for stations and lines, from whatever the row stores (gold maps, legs, answer_text)."""
    meta = item.get("mapkit") or {}
    gold = meta.get("gold") or {}
    stations: dict[str, list[str]] = {}
    lines: dict[str, list[str]] = {}

    def add(table: dict[str, list[str]], key: Any, names: Any) -> None:
        if key is None:
            return
        vals = [names] if isinstance(names, str) else list(names or [])
        table.setdefault(str(key), [str(key)]).extend(str(v) for v in vals if v)

    aliases = gold.get("aliases")  # station id -> alias names (the question's endpoints)
    if isinstance(aliases, Mapping):
        for sid, names in aliases.items():
            add(stations, sid, names)
    line_aliases = gold.get("line_aliases")  # line id -> the legend's other names (Singapore's NSL)
    if isinstance(line_aliases, Mapping):
        for lid, names in line_aliases.items():
            add(lines, lid, names)
    ids = list(meta.get("station_ids") or [])
    for sid, name in zip(ids[:2], (item.get("station_1"), item.get("station_2"))):
        add(stations, sid, name)
    for legs in routes:
        for leg in legs:
            add(lines, leg.get("line"), leg.get("line_name"))
            add(stations, leg.get("from"), leg.get("from_name"))
            add(stations, leg.get("to"), leg.get("to_name"))
            for v, name in zip(leg.get("via") or (), leg.get("via_names") or ()):
                add(stations, v, name)
    # the gold answer text names the first reference route's lines and stops
    first = parse_route(str(item.get("answer_text") or ""))
    if routes and len(first.legs) == len(routes[0]):
        for leg, ref in zip(first.legs, routes[0]):
            add(lines, ref.get("line"), leg.line)
            add(stations, ref.get("from"), leg.departure)
            add(stations, ref.get("to"), leg.arrival)
    return stations, lines


def _verify_on_gold(item: Mapping[str, Any], parsed: ParsedRoute, variant: str, why: str) -> RouteCheck:
    meta = item.get("mapkit") or {}
    gold = meta.get("gold") or {}
    routes = _gold_routes(gold)
    notes = list(parsed.problems)
    notes.append(
        f"{why}; checked against the {len(routes)} stored best route(s) only, so a valid "
        "non-optimal route cannot be recognised"
    )
    legs = parsed.legs
    if not legs:
        return _finish(valid=False, optimal=None, subs={}, notes=notes, verified_on="gold", format_ok=False)
    stations, lines = _name_tables(item, routes)
    ids = list(meta.get("station_ids") or [])
    start, end = (ids + [None, None])[:2]

    station_index, line_index = name_index(stations), name_index(lines, kind="line")

    def sid(text: str) -> list[str]:
        return station_index.resolve(text) if text else []

    resolved = []
    for leg in legs:
        lc = line_index.resolve(leg.line) if leg.line else []
        d, a = sid(leg.departure), sid(leg.arrival)
        resolved.append((lc[0] if len(lc) == 1 else None, d[0] if len(d) == 1 else None, a[0] if len(a) == 1 else None))
    dep_ok = start is not None and start in sid(legs[0].departure)
    arr_ok = end is not None and end in sid(legs[-1].arrival)
    chain = [bool(set(sid(legs[i].arrival)) & set(sid(legs[i + 1].departure))) for i in range(len(legs) - 1)]
    ref_legs_all = {(str(lg.get("line")), str(lg.get("from")), str(lg.get("to"))) for r in routes for lg in r}
    leg_known = [tuple(r) in ref_legs_all for r in resolved]
    matched = None
    for r in routes:
        if [(str(lg.get("line")), str(lg.get("from")), str(lg.get("to"))) for lg in r] == [tuple(x) for x in resolved]:
            matched = r
            break
    via_ok = [True] * len(legs)
    if matched is not None:
        for i, (leg, ref) in enumerate(zip(legs, matched)):
            via = [str(v) for v in ref.get("via") or []]
            if leg.via_count is not None:
                via_ok[i] = leg.via_count == len(via)
            elif leg.via_stops is not None:
                named = via_names(leg, station_index) or ()
                via_ok[i] = [station_index.resolve(s)[:1] for s in named] == [[v] for v in via]
            elif variant != "short":
                via_ok[i] = False
    valid = parsed.ok and matched is not None and all(via_ok) and dep_ok and arr_ok
    if matched is None:
        notes.append("the route is not one of the stored best routes")
    elif not all(via_ok):
        notes.append("via stops do not match the stored route")
    ref_legs = min((len(r) for r in routes), default=len(legs))
    subs = {
        "endpoints": (dep_ok + arr_ok) / 2,
        "lines": sum(leg_known) / len(legs),
        **_shape_subs(resolved, chain, len(legs), ref_legs),
        "optimal": 1.0 if valid else 0.0,
    }
    if variant != "short":
        subs["via"] = sum(via_ok) / len(legs) if matched is not None else 0.0
    return _finish(
        valid=valid,
        optimal=True if valid else None,
        subs=subs,
        notes=notes,
        verified_on="gold",
        format_ok=parsed.format_ok,
        legs=resolved,
    )


# --- entry point -------------------------------------------------------------------------------


def _endpoints(item: Mapping[str, Any], g: MetroGraph) -> tuple[str, str]:
    ids = list((item.get("mapkit") or {}).get("station_ids") or [])
    if len(ids) >= 2 and ids[0] in g.stations and ids[1] in g.stations:
        return ids[0], ids[1]
    return g.station(str(item["station_1"])).id, g.station(str(item["station_2"])).id


def check_route(
    item: Mapping[str, Any],
    extracted: str | None,
    *,
    graph: MetroGraph | None = None,
    data_dir: str | os.PathLike[str] | None = None,
) -> RouteCheck:
    """Score a route answer for a planning item: on the graph when possible, else against the gold.

    ``graph`` skips loading (a mismatching hash is then only noted). This is the ``check`` of every
    route-planning family (docs/design.md, scoring section).

    >>> from mapkit.graph import toy_city, best_routes
    >>> g = toy_city()
    >>> item = {"type": "planning", "question": "", "station_1": "A Station", "station_2": "G Station",
    ...         "mapkit": {"station_ids": ["a", "g"], "gold": {}}}
    >>> detour = ("Route Name: Red Line\\nDeparture Stop: A Station\\nArrival Stop: C Station\\n--\\n"
    ...           "Route Name: Blue Line\\nDeparture Stop: C Station\\nArrival Stop: H Station\\n--\\n"
    ...           "Route Name: Blue Line\\nDeparture Stop: H Station\\nArrival Stop: G Station")
    >>> r = check_route(item, detour, graph=g)
    >>> r.correct, r.optimal, r.detail < 1
    (True, False, True)
    """
    meta = item.get("mapkit") or {}
    gold = meta.get("gold") or {}
    variant = route_variant(item)
    parsed = parse_route(extracted)
    tc = gold.get("transfer_cost")  # None when an Arrow struct column fills keys of other families
    transfer_cost = DEFAULT_TRANSFER_COST if tc is None else float(tc)
    notes: list[str] = []
    g = graph
    why = None
    if g is None:
        g, why = item_graph(item, data_dir=data_dir)
    elif meta.get("graph_hash") and g.content_hash != meta.get("graph_hash"):
        notes.append("the graph given differs from the one the item was built from (graph hash)")
    if g is None:
        return _verify_on_gold(item, parsed, variant, why or "no graph")
    try:
        start, end = _endpoints(item, g)
    except MapkitError as e:
        return _verify_on_gold(item, parsed, variant, f"the question's stations are not in the graph ({e.message})")
    result = verify_route(g, parsed, start, end, variant=variant, transfer_cost=transfer_cost)
    if notes:
        result = replace(result, notes=tuple(notes) + result.notes)
    return result
