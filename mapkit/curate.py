"""`mapkit curate check`: what still looks suspicious in a city after curation.

Findings are hints for a curator, not errors: unmarked multi-line stations, transfer-marked
single-line stations, near-duplicate names, a station twice within a raw line, branch-start
markers on a line with a single service, and parts of the network not connected to the rest.

Example:
    >>> from mapkit.graph import toy_city
    >>> [f.kind for f in check_graph(toy_city())]
    []
"""

from __future__ import annotations

import difflib
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from mapkit.graph.model import MetroGraph
from mapkit.names import name_key

KINDS = (
    "unmarked-transfer",
    "marked-single-line",
    "near-duplicate-names",
    "duplicate-in-line",
    "branch-marker-unsplit",
    "disconnected",
)


@dataclass(frozen=True)
class Finding:
    """One suspicious thing: its ``kind`` (one of :data:`KINDS`), the subject and a sentence."""

    kind: str
    subject: str
    message: str


_SUFFIX = re.compile(r"(\s+station|站)$", re.IGNORECASE)


def _bare(name: str) -> str:
    return _SUFFIX.sub("", name_key(name)).replace(" ", "").replace("-", "").replace("/", "")


def check_graph(g: MetroGraph) -> list[Finding]:
    """Findings that need only the curated graph (and its recorded transfer markers)."""
    out: list[Finding] = []
    marked = g.meta.get("marked_transfers")
    added_lines = set(g.meta.get("new_lines", ()))
    if marked is not None:
        for sid, st in g.stations.items():
            n = len(g.lines_at(sid))
            if n >= 2 and sid not in marked and not added_lines & set(g.lines_at(sid)):
                out.append(
                    Finding("unmarked-transfer", sid, f"{st.name} is on {n} lines but carries no transfer marker.")
                )
            if n == 1 and sid in marked:
                out.append(
                    Finding(
                        "marked-single-line",
                        sid,
                        f"{st.name} is marked as a transfer but only {g.lines[g.lines_at(sid)[0]].name} serves it "
                        "(a transfer to rail outside the file, or a name variant to merge).",
                    )
                )
    ids = list(g.stations)
    bare = {sid: _bare(g.stations[sid].name) for sid in ids}
    by_bare: dict[str, list[str]] = {}
    for sid, b in bare.items():
        by_bare.setdefault(b, []).append(sid)
    for group in by_bare.values():
        if len(group) > 1 and not _split_on_purpose(g, group):
            names = " / ".join(g.stations[s].name for s in group)
            out.append(
                Finding("near-duplicate-names", ",".join(group), f"{names} differ only by suffix or punctuation.")
            )
    keys = sorted(by_bare)
    for i, k in enumerate(keys):
        for k2 in keys[i + 1 : i + 40]:
            if len(k) > 3 and difflib.SequenceMatcher(None, k, k2).ratio() >= 0.92:
                a, b = by_bare[k][0], by_bare[k2][0]
                if not set(g.lines_at(a)) & set(g.lines_at(b)):
                    out.append(
                        Finding(
                            "near-duplicate-names",
                            f"{a},{b}",
                            f"{g.stations[a].name} / {g.stations[b].name} look alike and share no line: a typo?",
                        )
                    )
    for sid, lines in g.meta.get("branch_markers", {}).items():
        for lname in lines:
            ln = g.line(lname)
            if len(ln.branches) == 1 and not ln.loop:
                out.append(
                    Finding(
                        "branch-marker-unsplit",
                        sid,
                        f"{g.stations[sid].name} is marked as a branch start on {ln.name}, which has a single service.",
                    )
                )
    comps = g.components()
    for comp in comps[1:]:
        lines = sorted({g.lines[lid].name for sid in comp for lid in g.lines_at(sid)})
        out.append(
            Finding(
                "disconnected",
                ",".join(comp[:5]),
                f"{len(comp)} stations on {', '.join(lines)} are not connected to the rest of the network.",
            )
        )
    return out


def _split_on_purpose(g: MetroGraph, group: list[str]) -> bool:
    # identical names can only survive as separate stations through a curated split
    return len({name_key(g.stations[s].name) for s in group}) == 1


def check_raw(path: str | os.PathLike[str]) -> list[Finding]:
    """Findings from the raw ReasonMap file: the same name twice on one line."""
    from mapkit.sources.reasonmap import read_raw_city

    raw = read_raw_city(Path(path))
    out = []
    for line, occs in raw.lines.items():
        counts = Counter(o.name for o in occs)
        for name, c in counts.items():
            if c > 1:
                out.append(Finding("duplicate-in-line", name, f"{name} appears {c} times on {line} in the raw file."))
    return out


def check_city(city: str, *, data_dir: str | os.PathLike[str] | None = None) -> list[Finding]:
    """All findings for a city reference: raw-file checks (ReasonMap cities) plus graph checks."""
    from mapkit.sources import load_city

    g = load_city(city, data_dir=data_dir)
    findings = []
    if g.source.startswith("reasonmap:"):
        from mapkit.data import require_station_file, resolve_data_dir

        raw = check_raw(require_station_file(resolve_data_dir(data_dir), g.city, g.country))
        findings += [f for f in raw if not _explained_by_curation(g, f)]
    return findings + check_graph(g)


def _explained_by_curation(g: MetroGraph, f: Finding) -> bool:
    # a repeated name is fine once curation made it a loop's closing station or split it
    ids = g.station_ids_named(f.subject)
    return len(ids) > 1 or any(ln.loop for sid in ids for ln in map(g.lines.get, g.lines_at(sid)))
