"""``--to reasonmap-plus``: the published ReasonMap-Plus / ReasonMap-Train layout, beside its maps.

Files::

    OUT/train.json, OUT/test.json            JSON arrays of rows (one file per split)
    OUT/maps/<country>/<city>.png            the map of each city (``figure`` points here)
    OUT/stations/<country>/<city>.json       station list, ReasonMap's own format (``json`` points here)

Row columns, in the published order: ``country, city, station_1, station_2, figure, json, question,
answer (int), type, difficulty_city, city_line_count, city_transfer_count, question_transfer_count``
(ReasonMap-Train's superset of the Plus columns), then mapkit's own ``id, answer_text,
difficulty_question, weight, mapkit`` so the row can be scored alone. Items whose answer the layout
cannot carry (``answer`` null and ``type`` not ``planning``) are skipped and counted in the report.

The station files are written FROM THE CURATED GRAPH, not copied from the raw data: line name ->
station names in service order, with ReasonMap's markers set from graph membership (`` (Transfer
Station)`` / ``（换乘站）`` on stations of two or more lines, the branch marker where a service leaves
the main one). The flat list is lossy where ReasonMap's is: a loop is stored open (closing edge
implied, as Beijing's are) and a branch's own stations follow the main service.

Example:
    >>> from mapkit.graph import toy_city
    >>> lists = station_lists(toy_city())
    >>> lists["Green Line"]
    ['I Station', 'B Station (Transfer Station)', 'J Station (Branch-starting Station)', 'K Station', 'L Station']
"""

from __future__ import annotations

import re
from typing import Any

from mapkit.errors import ExportError
from mapkit.export.core import ExportContext, write_marker
from mapkit.export.formats import JsonArrays
from mapkit.graph.model import MetroGraph
from mapkit.io import write_text_atomic

PUBLISHED_COLUMNS = (
    "country", "city", "station_1", "station_2", "figure", "json", "question", "answer", "type",
    "difficulty_city", "city_line_count", "city_transfer_count", "question_transfer_count",
)  # fmt: skip
MAPKIT_COLUMNS = ("id", "answer_text", "difficulty_question", "weight", "mapkit")

_CJK = re.compile(r"[\u3400-\u9fff]")


def _markers(g: MetroGraph) -> tuple[str, str]:
    chinese = g.country == "china" or any(_CJK.search(s.name) for s in g.stations.values())
    if chinese:
        return "（换乘站）", "（支线起始站）"
    return " (Transfer Station)", " (Branch-starting Station)"


def station_lists(g: MetroGraph) -> dict[str, list[str]]:
    """ReasonMap's ``line name -> [station string]`` for a curated graph (see module docstring)."""
    transfer, branch = _markers(g)
    out: dict[str, list[str]] = {}
    for line in g.lines.values():
        main = line.branches[0].stations
        in_main = set(main)
        starts: set[str] = set()
        for br in line.branches[1:]:
            seq = br.stations
            for i, sid in enumerate(seq):
                # a junction: a main-service station next to a branch-only station on this service
                nbrs = [seq[j] for j in (i - 1, i + 1) if 0 <= j < len(seq)]
                if sid in in_main and any(n not in in_main for n in nbrs):
                    starts.add(sid)
        names = []
        for sid in line.station_ids:
            s = g.stations[sid].name
            if len(g.lines_at(sid)) >= 2:
                s += transfer
            if sid in starts:
                s += branch
            names.append(s)
        out[line.name] = names
    return out


def _stations_json(lists: dict[str, list[str]]) -> str:
    import json

    return json.dumps(lists, ensure_ascii=False, indent=4) + "\n"


def write(ctx: ExportContext) -> dict[str, Any]:
    """Write the layout above into ``ctx.out``."""
    from mapkit.sources import load_city

    ctx.copy_maps("maps")
    stations = 0
    done: set[tuple[str, str]] = set()
    for ref in sorted(ctx.scan.maps.values(), key=lambda r: r.map_id):
        if (ref.country, ref.city) in done:  # two maps of one city (e.g. real and rendered) share it
            continue
        done.add((ref.country, ref.city))
        try:
            g = load_city(ref.city_ref, data_dir=ctx.data_dir)
        except Exception as err:  # noqa: BLE001 - a mapkit error already says what to do; wrap others
            msg = getattr(err, "message", str(err))
            raise ExportError(f"Cannot load the graph of {ref.city_ref!r} for its station list: {msg}") from None
        if ref.graph_hash and g.content_hash != ref.graph_hash:
            raise ExportError(
                f"The graph of {ref.city_ref!r} changed since the items were generated; the station list "
                "would not match them.",
                hint="Regenerate the items with `mapkit generate`.",
            )
        # the published `json` path of the items: ./stations/<country>/<city>.json
        write_text_atomic(ctx.out / "stations" / ref.country / f"{ref.city}.json", _stations_json(station_lists(g)))
        stations += 1

    with JsonArrays(ctx.out, indent=None) as out:

        def row(split: str, item: dict[str, Any]) -> tuple[str | None, str]:
            if item["answer"] is None and item["type"] != "planning":
                return None, item["type"]  # counted in ctx.skipped
            r = {k: item[k] for k in PUBLISHED_COLUMNS}
            r.update({k: item[k] for k in MAPKIT_COLUMNS})
            return split, out.encode(r)

        for split, texts in ctx.row_tables(row, None):
            out.add_texts(split, texts)
    if ctx.skipped:
        ctx.notes.append(
            "skipped (no integer answer, not planning): "
            + ", ".join(f"{t} {n:,}" for t, n in sorted(ctx.skipped.items()))
        )
    write_marker(ctx, "reasonmap-plus")
    return {"files": out.files, "station_files": stations}
