"""mapkit's own city file format (JSON or YAML), checked against ``schemas/city.schema.json``.

Lines reference station ids from the ``stations`` table; without a table, lines list station
names and ids are their slugs. A line has either ``stations`` (+ optional ``loop``, ``oneway``) or
``branches`` (services of one line, each with optional ``loop`` and ``oneway``: trains run in the
listed order only).

Example:
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "tiny.yaml"
    >>> _ = p.write_text("format: mapkit.city/1\\ncity: tiny\\nlines:\\n  - name: L1\\n    stations: [A, B, C]\\n")
    >>> g = load_city_file(p)
    >>> g.line("L1").station_ids
    ('a', 'b', 'c')
    >>> save_city_file(g, p.with_suffix(".json")); load_city_file(p.with_suffix(".json")).content_hash == g.content_hash
    True
"""

from __future__ import annotations

import dataclasses
import math
import os
from pathlib import Path
from typing import Any

from mapkit.errors import DataFileError, GraphBuildError
from mapkit.graph.model import Branch, Line, MetroGraph, Station
from mapkit.io import load_document, write_json, write_text_atomic
from mapkit.names import name_key, slugify
from mapkit.schemas import validate_document
from mapkit.sources.name_rules import check_name, check_place_name


def city_from_document(doc: dict[str, Any], *, source: object = "<document>") -> MetroGraph:
    """Build a graph from a parsed city document; schema and graph errors name ``source``."""
    validate_document(doc, "city", source=source)
    check_place_name(doc["city"], kind="city name", path=source, location="$.city")
    if doc.get("country"):
        check_place_name(doc["country"], kind="country name", path=source, location="$.country")
    stations: dict[str, Station] = {}
    has_table = "stations" in doc
    for i, s in enumerate(doc.get("stations", [])):
        check_name(s["name"], kind="station name", path=source, location=f"$.stations[{i}].name")
        for k, alias in enumerate(s.get("aliases", [])):
            check_name(alias, kind="station alias", path=source, location=f"$.stations[{i}].aliases[{k}]")
        if "coords" in s and not _finite(s["coords"]):
            # the schema allows any number; NaN, Infinity or 1e999 would break every renderer
            raise DataFileError(
                "coordinates must be finite numbers (no NaN, Infinity or overflowing values).",
                path=source, location=f"$.stations[{i}].coords",
            )
        st = Station.from_dict(s)
        if st.id in stations:
            raise DataFileError(f"station id {st.id!r} appears twice.", path=source, location=f"$.stations[{i}]")
        stations[st.id] = st
    lines = []
    line_ids: set[str] = set()
    for i, ln in enumerate(doc["lines"]):
        check_name(ln["name"], kind="line name", path=source, location=f"$.lines[{i}].name")
        lid = ln.get("id") or slugify(ln["name"])
        if lid in line_ids:
            raise DataFileError(f"line id {lid!r} appears twice.", path=source, location=f"$.lines[{i}]")
        line_ids.add(lid)
        raw_branches = ln.get("branches") or [
            {"stations": ln["stations"], "loop": ln.get("loop", False), "oneway": ln.get("oneway", False)}
        ]
        branches = []
        for k, br in enumerate(raw_branches):
            ids = []
            for j, ref in enumerate(br["stations"]):
                sid = ref if has_table else slugify(ref)
                if not has_table:
                    loc = f"$.lines[{i}]" + (f".branches[{k}]" if "branches" in ln else "") + f".stations[{j}]"
                    check_name(ref, kind="station name", path=source, location=loc)
                    _add_named_station(stations, sid, ref)
                elif sid not in stations:
                    loc = f"$.lines[{i}]" + (f".branches[{k}]" if "branches" in ln else "") + f".stations[{j}]"
                    raise DataFileError(
                        f"line {ln['name']!r} names station {ref!r}, which is not in the stations table.",
                        path=source, location=loc,
                    )
                ids.append(sid)
            branches.append(Branch(tuple(ids), bool(br.get("loop", False)), bool(br.get("oneway", False))))
        aliases = tuple(ln.get("aliases", ()))
        lines.append(Line(lid, ln["name"], tuple(branches), color=ln.get("color"), aliases=aliases))
    try:
        return MetroGraph(
            city=doc["city"], country=doc.get("country", ""), stations=stations.values(), lines=lines,
            source=doc.get("source") or f"file:{Path(str(source)).name}", meta=dict(doc.get("meta", {})),
        )
    except GraphBuildError as err:
        raise DataFileError(err.message, path=source, hint=err.hint) from None


def _add_named_station(stations: dict[str, Station], sid: str, name: str) -> None:
    """Add station ``name`` (id ``sid``, its slug); a second spelling of one slug becomes an alias.

    Without a stations table, "A-B" and "A B" are one station (as the ReasonMap loader merges
    spacing/punctuation variants): the first spelling is its name, later ones its aliases, so
    ``g.station()`` finds it by any spelling the file used.
    """
    st = stations.get(sid)
    if st is None:
        stations[sid] = Station(sid, name)
    elif name_key(name) not in {name_key(n) for n in (st.name, *st.aliases)}:
        stations[sid] = dataclasses.replace(st, aliases=(*st.aliases, name))


def _finite(values: list[float]) -> bool:
    try:
        return all(math.isfinite(float(v)) for v in values)
    except OverflowError:  # an integer literal too large for a float
        return False


def load_city_file(path: str | os.PathLike[str]) -> MetroGraph:
    """Load a mapkit city file (JSON or YAML by suffix)."""
    p = Path(path)
    doc = load_document(p)
    if not isinstance(doc, dict):
        raise DataFileError("expected a mapping at the top level.", path=p, hint="See schemas/city.schema.json.")
    return city_from_document(doc, source=p)


def save_city_file(g: MetroGraph, path: str | os.PathLike[str]) -> None:
    """Write ``g`` in mapkit's city format (JSON, or YAML for a .yaml/.yml suffix), atomically."""
    p = Path(path)
    doc = g.to_dict()
    if p.suffix.lower() in (".yaml", ".yml"):
        import yaml

        write_text_atomic(p, yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
    else:
        write_json(p, doc)
