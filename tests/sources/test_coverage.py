"""Map coverage: the curated graph of every real-map city against what its image draws (coverage.yaml).

Per city: every line and station the review found on the map (and the graph has) must stay in the
graph; a city marked complete holds exactly the counted lines and stations. Generation leaves out the
families that an incomplete graph cannot answer, and the summary says so.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from mapkit.schemas import validate_document

from mapkit.coverage import COMPLETENESS_FAMILIES, gate_capacities, load_coverage, lost_from_map, not_asked
from mapkit.errors import SchemaViolationError
from mapkit.generate import write_items
from mapkit.graph import MetroGraph, toy_city

REPO = Path(__file__).resolve().parents[2]
COVERAGE = load_coverage()
REAL_MAP_CITIES = sorted(COVERAGE)


def test_every_real_map_image_has_a_reviewed_coverage_entry(reasonmap_dir):
    images = {p.stem: f"{p.parent.name}/{p.name}" for p in (reasonmap_dir / "maps").glob("*/*.png")}
    assert len(images) == 17
    assert {c: COVERAGE[c].map for c in COVERAGE} == images


@pytest.mark.parametrize("city", REAL_MAP_CITIES)
def test_the_graph_keeps_every_line_and_station_the_map_shows(load_real, city):
    g, cov = load_real(city), COVERAGE[city]
    assert lost_from_map(g, cov) == []
    if cov.complete:
        # complete: the graph is the map, line for line and station for station
        assert len(g.lines) == cov.lines_on_map == len(cov.lines)
        assert len(g.stations) == cov.stations_on_map
        assert len({n for names in cov.lines.values() for n in names}) == cov.stations_on_map
    else:
        assert len(g.lines) < cov.lines_on_map or len(g.stations) < cov.stations_on_map
        assert not_asked(g) and set(COMPLETENESS_FAMILIES) <= set(not_asked(g))


def test_losing_a_line_or_a_station_is_caught(load_real):
    g, cov = load_real("kl"), COVERAGE["kl"]
    monorail = g.line("Line 8")
    without_line = MetroGraph(
        city=g.city, country=g.country, stations=g.stations.values(),
        lines=[ln for ln in g.lines.values() if ln.id != monorail.id], source=g.source,
    )
    assert "line 'Line 8' is gone" in lost_from_map(without_line, cov)
    renamed = [s if s.id != "imbi-station" else type(s)(s.id, "Imbi Stn") for s in g.stations.values()]
    without_station = MetroGraph(city=g.city, country=g.country, stations=renamed, lines=g.lines.values(),
                                 source=g.source)
    assert lost_from_map(without_station, cov) == ["'Line 8' lost station 'Imbi Station'"]


def test_kl_sentral_is_on_the_seven_lines_the_map_draws_there(load_real):
    g = load_real("kl")
    assert len(g.lines) == 13
    assert sorted(g.lines[lid].name for lid in g.lines_at(g.station("KL Sentral Station").id)) == [
        "Line 1", "Line 10", "Line 2", "Line 5", "Line 6", "Line 7", "Line 8",
    ]


def test_the_schema_refuses_a_complete_city_with_gaps():
    doc = {"x": {"map": "a/x.png", "status": "complete", "lines_on_map": 1, "stations_on_map": 2,
                 "stations_basis": "counted", "note": "", "missing": ["a line"], "not_modelled": [],
                 "lines": {"L": ["A"]}}}
    with pytest.raises(SchemaViolationError):
        validate_document(doc, "coverage")
    doc["x"]["status"] = "incomplete"
    validate_document(doc, "coverage")


def test_only_reasonmap_graphs_are_gated():
    g = toy_city()
    assert not_asked(g) == {}
    caps = {"toy": {"Counting3": 1}}
    assert gate_capacities([("toy", g)], caps) == {} and caps == {"toy": {"Counting3": 1}}


def test_gated_families_are_not_generated_and_the_summary_says_so(tmp_path, reasonmap_dir):
    out = tmp_path / "items.jsonl"
    types = ["Counting1", "Counting3", "TorF1", "lines_at", "next_station"]
    s = write_items(out, ["dubai", "rome", "toronto"], types=types, n_per_type=4, seed=3, data_dir=reasonmap_dir)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    asked = {(r["city"], r["type"]) for r in rows}
    # dubai's graph lacks the Palm Monorail: nothing that counts or checks lines is asked there
    assert not {("dubai", t) for t in ("Counting3", "TorF1", "lines_at")} & asked
    assert {("dubai", "Counting1"), ("dubai", "next_station")} <= asked
    # rome is complete; toronto is complete but its map also draws streetcars, so no line count
    assert {("rome", t) for t in types} <= asked
    assert ("toronto", "Counting3") not in asked and ("toronto", "TorF1") in asked
    assert s.not_asked == [
        "dubai: Counting3, TorF1, lines_at (the graph lacks what the map draws (4 lines on the map, 3 in the graph;"
        " see mapkit/sources/coverage.yaml))",
        "toronto: Counting3 (the map also draws streetcar routes, so 'how many lines' has no single reading)",
    ]
    assert s.to_dict()["not_asked"] == s.not_asked


def test_the_curation_doc_table_matches_the_coverage_data(load_real):
    text = (REPO / "docs" / "curation.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| (\w+) \| (.+) \|$", text, re.M))
    for city, cov in COVERAGE.items():
        g = load_real(city)
        cells = [c.strip() for c in rows[city].split("|")]
        assert cells[:3] == [
            f"{cov.lines_on_map} / {len(g.lines)}",
            f"{cov.stations_on_map} / {len(g.stations)} ({cov.stations_basis})",
            cov.status,
        ], city
