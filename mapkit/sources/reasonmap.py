"""ReasonMap station lists -> curated :class:`MetroGraph`.

A raw file maps line name -> ordered station strings. Loading: strip the four markers, normalise
whitespace, then apply the city's curation file (``mapkit/sources/curation/<city>.yaml``) in a
fixed order: renames, aliases, splits, drops, loops, branches. Station ids are slugs of the
canonical name, so spacing/punctuation variants merge into one station (kept as aliases);
curation ``splits`` give different stations that share a name their own ids. ``add_stops``
lets a line's services (``branches``) also name stations that the raw list of that line omits
but another line of the same file has (e.g. a shared terminus missing from one list).
``new_stations`` (name -> why) declares a station that no raw list has at all; it must then be
placed with ``add_stops`` + ``branches`` or on a ``new_lines`` service, so every invented station is
explicit and justified. ``new_lines`` (line name -> why + services) adds a whole line that the map
draws but the raw file lacks; its services name stations of the file or ``new_stations``.
``station_aliases`` gives a station another printed name (a second label at one interchange symbol).

Transfer markers are recorded in ``meta`` for auditing only: membership decides every answer.

Example:
    >>> import json, pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> (d / "stations" / "nowhere").mkdir(parents=True)
    >>> raw = {"L1": ["A (Transfer Station)", "B"], "L2": ["A", "C  "]}
    >>> _ = (d / "stations" / "nowhere" / "tiny.json").write_text(json.dumps(raw))
    >>> g = load_reasonmap_city(d / "stations" / "nowhere" / "tiny.json", curation={})
    >>> sorted(g.stations), g.lines_at("a")
    (['a', 'b', 'c'], ('l1', 'l2'))
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mapkit.errors import CurationError, DataFileError, GraphBuildError
from mapkit.graph.model import Branch, Line, MetroGraph, Station
from mapkit.io import load_document
from mapkit.names import name_key, parse_station_string, slugify
from mapkit.sources.name_rules import check_name, name_problem


@dataclass
class RawOccurrence:
    """One station string of a raw line, after marker stripping."""

    line: str
    index: int
    raw: str
    name: str
    transfer: bool
    branch_start: bool


@dataclass
class RawCity:
    """A parsed ReasonMap file: lines in file order, each a list of occurrences."""

    path: Path
    city: str
    country: str
    lines: dict[str, list[RawOccurrence]] = field(default_factory=dict)


def read_raw_city(path: str | os.PathLike[str]) -> RawCity:
    """Parse and shape-check a ReasonMap station file; errors name the file and line name."""
    p = Path(path)
    doc = load_document(p)
    if not isinstance(doc, dict) or not doc:
        raise DataFileError(
            "expected a JSON object mapping line names to station lists.", path=p,
            hint='For example {"Line 1": ["A Station", "B Station (Transfer Station)"]}; see docs/curation.md.',
        )
    raw = RawCity(p, p.stem, p.parent.name)
    for line_name, stations in doc.items():
        if not isinstance(stations, list) or not all(isinstance(s, str) for s in stations):
            raise DataFileError(
                "a line must be a list of station-name strings.", path=p, location=f"line {line_name!r}"
            )
        if not stations:
            raise DataFileError("the line has no stations (an empty line).", path=p, location=f"line {line_name!r}")
        occs = []
        for i, s in enumerate(stations):
            parsed = parse_station_string(s)
            if not parsed.name:
                raise DataFileError(
                    f"station #{i + 1} has an empty name.", path=p, location=f"line {line_name!r}"
                )
            check_name(parsed.name, kind="station name", path=p, location=f"line {line_name!r}, station #{i + 1}")
            occs.append(RawOccurrence(line_name, i, s, parsed.name, parsed.transfer, parsed.branch_start))
        key = str(line_name).strip()
        check_name(key, kind="line name", path=p, location=f"line {line_name!r}")
        if key in raw.lines:
            # "L1" and "L1 " would silently replace one another
            raise DataFileError(
                f"the line name {key!r} appears twice (once with extra spaces).", path=p,
                location=f"line {line_name!r}",
            )
        raw.lines[key] = occs
    return raw


class _Curator:
    """Applies one curation document to one raw city; every lookup failure names the entry."""

    def __init__(self, raw: RawCity, cur: dict[str, Any], cur_path: object) -> None:
        self.raw = raw
        self.cur = cur
        self.cur_path = cur_path
        self.renames: dict[str, str] = dict(cur.get("renames", {}))
        self.aliases: dict[str, str] = dict(cur.get("aliases", {}))
        self.splits: dict[str, dict[str, list[str]]] = dict(cur.get("splits", {}))
        self.station_names: dict[str, str] = dict(cur.get("station_names", {}))

    def check_new_names(self) -> None:
        """Names the curation introduces (renames, aliases, display names, new stations) obey the name rules."""
        introduced = [
            *((f"renames.{k}", v) for k, v in self.renames.items()),
            *((f"aliases.{k}", k) for k in self.aliases),
            *((f"station_names.{k}", v) for k, v in self.station_names.items()),
            *((f"new_stations.{k}", k) for k in self.cur.get("new_stations", {})),
        ]
        for where, name in introduced:
            why = name_problem(name)
            if why is not None:
                raise self.fail(f"the station name {name!r} {why}.", where, hint="Rename it in the curation file.")

    def fail(self, message: str, location: str, hint: str | None = None) -> CurationError:
        return CurationError(message, path=self.cur_path, location=location, hint=hint)

    def canonical_name(self, name: str) -> str:
        name = self.renames.get(name, name)
        return self.aliases.get(name, name)

    def check_names_exist(self) -> None:
        seen = {o.name for occs in self.raw.lines.values() for o in occs}
        for key in self.renames:
            if key not in seen:
                raise self.fail(f"renames names station {key!r}, which is not in {self.raw.path}.", f"renames.{key}")
        renamed = {self.renames.get(n, n) for n in seen}
        for key in self.aliases:
            if key not in renamed:
                raise self.fail(f"aliases names station {key!r}, which is not in {self.raw.path}.", f"aliases.{key}")
        lines = set(self.raw.lines)
        for ln in self.cur.get("new_lines", {}):
            if ln in lines:
                raise self.fail(
                    f"new_lines names line {ln!r}, which {self.raw.path} already has.", f"new_lines.{ln}",
                    hint="Use branches/add_stops to change an existing line.",
                )
        for ln in self.cur.get("colors", {}):
            if ln not in lines and ln not in self.cur.get("new_lines", {}):
                raise self.fail(f"colors names line {ln!r}, which is not in {self.raw.path}.", f"colors.{ln}")
        for ln in self.cur.get("loops", []):
            if ln not in lines:
                raise self.fail(f"loops names line {ln!r}, which is not in {self.raw.path}.", "loops")
        for ln in self.cur.get("line_aliases", {}):
            if ln not in lines and ln not in self.cur.get("new_lines", {}):
                raise self.fail(
                    f"line_aliases names line {ln!r}, which is not in {self.raw.path}.", f"line_aliases.{ln}"
                )
        for section in ("branches", "drop", "add_stops", "oneway"):
            for ln in self.cur.get(section, {}):
                if ln not in lines:
                    raise self.fail(f"{section} names line {ln!r}, which is not in {self.raw.path}.", f"{section}.{ln}")
        canon = {self.canonical_name(n) for n in seen}
        for name, per_line in self.splits.items():
            if name not in canon:
                raise self.fail(f"splits names station {name!r}, which is not in {self.raw.path}.", f"splits.{name}")
            for ln in per_line:
                if ln not in lines:
                    raise self.fail(
                        f"splits.{name} names line {ln!r}, which is not in the file.", f"splits.{name}.{ln}"
                    )


def load_reasonmap_city(
    path: str | os.PathLike[str],
    *,
    curation: dict[str, Any] | None = None,
    curation_path: object = None,
) -> MetroGraph:
    """Load one ReasonMap station file and apply ``curation`` (a parsed curation document).

    ``curation=None`` looks up the curation file shipped with mapkit for the city (if any).
    """
    raw = read_raw_city(path)
    if curation is None:
        from mapkit.sources.curation_files import find_curation

        curation, curation_path = find_curation(raw.city)
    cur = _Curator(raw, curation, curation_path or "<curation>")
    cur.check_new_names()
    cur.check_names_exist()

    # 1. occurrences -> station ids
    ids_per_line: dict[str, list[str]] = {}
    names_of: dict[str, list[str]] = defaultdict(list)
    marked: dict[str, list[str]] = defaultdict(list)
    branch_marked: dict[str, list[str]] = defaultdict(list)
    raw_names_of_id: dict[str, set[str]] = defaultdict(set)
    canonical_of: dict[str, list[str]] = {}  # line -> its stations' canonical names (the splits count them)
    for line_name, occs in raw.lines.items():
        seen_count: Counter[str] = Counter()
        ids = []
        canonical_of[line_name] = canon = []
        for o in occs:
            name = cur.canonical_name(o.name)
            canon.append(name)
            split = cur.splits.get(name, {}).get(line_name)
            if split is not None:
                k = seen_count[name]
                seen_count[name] += 1
                if k >= len(split):
                    raise cur.fail(
                        f"{name!r} occurs {k + 1} times on {line_name!r} but the split lists {len(split)} id(s).",
                        f"splits.{name}.{line_name}",
                    )
                sid = split[k]
            else:
                sid = slugify(name)
            ids.append(sid)
            if name not in names_of[sid]:
                names_of[sid].append(name)
            raw_names_of_id[sid].add(o.name)
            if o.transfer:
                marked[sid].append(line_name)
            if o.branch_start:
                branch_marked[sid].append(line_name)
        ids_per_line[line_name] = ids
    for name, per_line in cur.splits.items():
        for ln, split_ids in per_line.items():
            n = canonical_of[ln].count(name)
            if n != len(split_ids):
                raise cur.fail(
                    f"{name!r} occurs {n} time(s) on {ln!r} but the split lists {len(split_ids)} id(s).",
                    f"splits.{name}.{ln}",
                )

    # 1b. stations no raw list has (curation `new_stations`: name -> why); add_stops places them
    new_ids = []
    for name, _why in cur.cur.get("new_stations", {}).items():
        sid = slugify(name)
        if sid in names_of:
            raise cur.fail(
                f"new_stations names {name!r}, which the raw data already has.", f"new_stations.{name}",
                hint="Use add_stops to put an existing station on another line.",
            )
        names_of[sid] = [name]
        new_ids.append(sid)

    # 2. stations
    printed = _printed_aliases(cur, set(names_of))
    hints = _geo_hints(cur, set(names_of))
    stations = []
    for sid, names in names_of.items():
        display = cur.station_names.get(sid, names[0])
        aliases = sorted((set(names) | raw_names_of_id[sid]) - {display})
        aliases += sorted(k for k, v in cur.aliases.items() if v in names and k not in aliases and k != display)
        aliases += [a for a in printed.get(sid, ()) if a not in aliases and a != display]
        stations.append(Station(sid, display, tuple(aliases), coords=hints.get(sid)))
    for sid in cur.station_names:
        if sid not in names_of:
            raise cur.fail(f"station_names names id {sid!r}, which no station has.", f"station_names.{sid}")

    # 3. lines: drops, loops, branches
    loops = set(cur.cur.get("loops", []))
    branches = cur.cur.get("branches", {})
    oneway = cur.cur.get("oneway", {})
    added = _resolve_added_stops(cur, ids_per_line, set(names_of))
    drops = cur.cur.get("drop", {})
    colors = cur.cur.get("colors", {})
    line_ids: dict[str, str] = {}
    lines = []
    for line_name, ids in ids_per_line.items():
        lid = slugify(line_name)
        while lid in line_ids.values():
            lid += "-x"
        line_ids[line_name] = lid
        if line_name in drops:
            for dname in drops[line_name]:
                did = _resolve_on_line(cur, line_name, ids, dname, f"drop.{line_name}")
                # a drop removes the *last* occurrence: the usual defect is a repeated terminus
                pos = len(ids) - 1 - ids[::-1].index(did)
                ids = ids[:pos] + ids[pos + 1 :]
        is_loop = line_name in loops
        if is_loop and len(ids) > 2 and ids[0] == ids[-1]:
            ids = ids[:-1]  # stored closed (first station repeated): the closing edge is implied
        if line_name in branches:
            services = []
            extra = added.get(line_name, [])
            ways = oneway.get(line_name, [])
            if len(ways) > len(branches[line_name]):
                raise cur.fail(
                    f"oneway lists {len(ways)} services of {line_name!r}, which has {len(branches[line_name])}.",
                    f"oneway.{line_name}",
                    hint="Give one of both/forward/backward per service under `branches`, in the same order.",
                )
            for k, seq in enumerate(branches[line_name]):
                where = f"branches.{line_name}[{k}]"
                sids = tuple(_resolve_on_line(cur, line_name, ids + extra, ref, where) for ref in seq)
                way = ways[k] if k < len(ways) else "both"
                if way == "backward":  # stored in running order: the model's one-way runs forward
                    sids = sids[::-1]
                services.append(Branch(sids, loop=is_loop and k == 0, oneway=way != "both"))
            covered = {s for br in services for s in br.stations}
            unplaced = [s for s in extra if s not in covered]
            if unplaced:
                raise cur.fail(
                    f"add_stops adds {', '.join(unplaced)} to {line_name!r} but no service places it.",
                    f"add_stops.{line_name}",
                    hint="Put each added station in at least one service under `branches`.",
                )
            missing = [s for s in dict.fromkeys(ids) if s not in covered]
            if missing:
                raise cur.fail(
                    f"the services of {line_name!r} leave out station(s) {', '.join(missing)}.",
                    f"branches.{line_name}",
                    hint="Every station of the raw line must lie on at least one service.",
                )
        else:
            if line_name in oneway:
                raise cur.fail(
                    f"oneway names {line_name!r}, which has no services under `branches`.",
                    f"oneway.{line_name}",
                    hint="List the line's services under `branches` and give one direction per service.",
                )
            services = [Branch(tuple(ids), loop=is_loop)]
        lines.append(
            Line(
                lid, line_name, tuple(services), color=colors.get(line_name),
                aliases=tuple(cur.cur.get("line_aliases", {}).get(line_name, ())),
            )
        )

    lines += _new_lines(cur, set(names_of), set(line_ids.values()), colors)
    placed = {sid for ln in lines for sid in ln.station_ids}
    for sid in new_ids:
        if sid not in placed:
            raise cur.fail(
                f"new_stations adds {names_of[sid][0]!r} but no line places it.", "new_stations",
                hint="Name it under add_stops and in a service under branches of its line, or on a new_lines service.",
            )

    meta = {
        "marked_transfers": {sid: sorted(set(v)) for sid, v in sorted(marked.items())},
        "marker_count": sum(o.transfer for occs in raw.lines.values() for o in occs),
        "branch_markers": {sid: sorted(set(v)) for sid, v in sorted(branch_marked.items())},
        "curated": bool(curation),
        # lines the raw file lacks (curation `new_lines`): it could not mark transfers to them
        "new_lines": sorted(slugify(n) for n in cur.cur.get("new_lines", {})),
    }
    try:
        g = MetroGraph(
            city=raw.city, country=raw.country, stations=stations, lines=lines,
            source=f"reasonmap:{raw.country}/{raw.city}", meta=meta,
        )
    except GraphBuildError as err:
        raise DataFileError(
            err.message, path=raw.path,
            hint=(err.hint or "") + f" Fix it in the curation file for {raw.city!r}"
            f" (mapkit/sources/curation/{raw.city}.yaml).",
        ) from None
    return g


def _printed_aliases(cur: _Curator, known: set[str]) -> dict[str, list[str]]:
    """``station_aliases``: station -> other names the map prints at the same interchange symbol."""
    out: dict[str, list[str]] = {}
    for ref, extra in cur.cur.get("station_aliases", {}).items():
        where = f"station_aliases.{ref}"
        sid = _resolve_known(cur, known, ref, where)
        for name in extra:
            if slugify(name) in known:
                raise cur.fail(
                    f"{name!r} is already a station's name; an alias must not hide a station.", where,
                    hint="Merge two stations with `aliases` (raw names) instead.",
                )
            out.setdefault(sid, []).append(name)
    return out


def _geo_hints(cur: _Curator, known: set[str]) -> dict[str, tuple[float, float]]:
    """``geo_hints``: station -> rough ``[x east, y south]`` position (any unit), for a few stations, so the
    schematic layout is turned the way the city lies (:func:`mapkit.render.layout.layout_city`)."""
    out: dict[str, tuple[float, float]] = {}
    for ref, xy in cur.cur.get("geo_hints", {}).items():
        sid = _resolve_known(cur, known, ref, f"geo_hints.{ref}")
        out[sid] = (float(xy[0]), float(xy[1]))
    return out


def _new_lines(cur: _Curator, known: set[str], taken_ids: set[str], colors: dict[str, str]) -> list[Line]:
    """``new_lines``: whole lines the map draws and the raw file lacks, built from their services."""
    out = []
    for line_name, spec in cur.cur.get("new_lines", {}).items():
        lid = slugify(line_name)
        while lid in taken_ids:
            lid += "-x"
        taken_ids.add(lid)
        services = []
        for k in spec.get("loops", ()):
            if not 0 <= k < len(spec["services"]):
                raise cur.fail(
                    f"loops names service {k}, but the line has {len(spec['services'])}.",
                    f"new_lines.{line_name}.loops",
                )
        for k, seq in enumerate(spec["services"]):
            where = f"new_lines.{line_name}.services[{k}]"
            sids = tuple(_resolve_known(cur, known, ref, where) for ref in seq)
            services.append(Branch(sids, loop=k in spec.get("loops", ())))
        aliases = tuple(cur.cur.get("line_aliases", {}).get(line_name, ()))
        out.append(Line(lid, line_name, tuple(services), color=colors.get(line_name), aliases=aliases))
    return out


def _resolve_known(cur: _Curator, known: set[str], ref: str, where: str) -> str:
    """A station reference (id, raw/canonical name or spacing variant) to the id of a known station."""
    if ref in known:
        return ref
    name = cur.canonical_name(ref)
    if name in cur.splits:
        raise cur.fail(f"{ref!r} is split into several stations; name one of their ids.", where)
    slug = slugify(name)
    if slug in known:
        return slug
    key = name_key(ref)
    sid = next((s for s in sorted(known) if name_key(s) == key), None)
    if sid is None:
        raise cur.fail(
            f"station {ref!r}: no line of {cur.raw.path} has it.",
            where,
            hint="Name a station of another line, or declare it under new_stations (with the reason).",
        )
    return sid


def _resolve_added_stops(
    cur: _Curator, ids_per_line: dict[str, list[str]], known: set[str]
) -> dict[str, list[str]]:
    """``add_stops`` -> line name -> ids of existing stations that the raw line omits."""
    out: dict[str, list[str]] = {}
    branches = cur.cur.get("branches", {})
    for line_name, refs in cur.cur.get("add_stops", {}).items():
        where = f"add_stops.{line_name}"
        if line_name not in branches:
            raise cur.fail(
                f"add_stops adds stations to {line_name!r}, which has no services under `branches`.",
                where, hint="List the line's services (full station lists) under `branches` to place them.",
            )
        found: list[str] = []
        for ref in refs:
            sid = _resolve_known(cur, known, ref, where)
            if sid in ids_per_line[line_name]:
                raise cur.fail(f"{ref!r} is already a station of {line_name!r}.", where)
            if sid not in found:
                found.append(sid)
        out[line_name] = found
    return out


def _resolve_on_line(cur: _Curator, line_name: str, ids: list[str], ref: str, where: str) -> str:
    """A curation reference (station id or name) to the id it means on ``line_name``."""
    if ref in ids:
        return ref
    name = cur.canonical_name(ref)
    if name in cur.splits and line_name in cur.splits[name]:
        options = cur.splits[name][line_name]
        if len(set(options)) > 1:
            raise cur.fail(
                f"{ref!r} is split into several stations on {line_name!r}; use one of the ids {options}.", where
            )
        return options[0]
    sid = slugify(name)
    if sid in ids:
        return sid
    key = name_key(ref)
    for s in ids:
        if name_key(s) == key:
            return s
    raise cur.fail(f"{ref!r} is not a station of {line_name!r}.", where)
