"""`new_stations`: a station that no raw list has, declared with a reason and placed explicitly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mapkit.errors import CurationError
from mapkit.graph import stops_between
from mapkit.sources.reasonmap import load_reasonmap_city


@pytest.fixture
def raw_file(tmp_path: Path) -> Path:
    p = tmp_path / "stations" / "nowhere" / "tiny.json"
    p.parent.mkdir(parents=True)
    p.write_text(json.dumps({"L1": ["A", "B", "D"], "L2": ["B", "E"]}))
    return p


def _cur(**extra):
    return {"city": "tiny", "country": "nowhere", **extra}


def test_a_declared_and_placed_station_joins_its_line(raw_file):
    g = load_reasonmap_city(
        raw_file,
        curation=_cur(new_stations={"C": "missing between B and D"}, add_stops={"L1": ["C"]},
                      branches={"L1": [["A", "B", "C", "D"]]}),
    )
    assert g.lines_at("c") == ("l1",)
    assert not g.graph.has_edge("b", "d")
    assert stops_between(g, "a", "d", "l1").stops == ("b", "c")


def test_a_new_station_that_exists_already_is_refused(raw_file):
    with pytest.raises(CurationError, match="already has"):
        load_reasonmap_city(raw_file, curation=_cur(new_stations={"B": "?"}), curation_path="tiny.yaml")


def test_a_new_station_placed_nowhere_is_refused(raw_file):
    with pytest.raises(CurationError, match="no line places it"):
        load_reasonmap_city(raw_file, curation=_cur(new_stations={"C": "forgotten"}), curation_path="tiny.yaml")


def test_kl_awan_besar_sits_between_sri_petaling_and_muhibbah(load_real, reasonmap_dir):
    raw = json.loads((reasonmap_dir / "stations" / "malaysia" / "kl.json").read_text())
    assert not any("Awan Besar" in s for stations in raw.values() for s in stations)  # the data lacks it
    g = load_real("kl")
    assert not g.graph.has_edge("sri-petaling-station", "muhibbah-station")
    assert stops_between(g, "Sri Petaling Station", "Muhibbah Station", "Line 4").stops == ("awan-besar-station",)


# --- new_lines: a whole line the map draws and the raw file lacks ----------------------------------


def test_a_new_line_joins_existing_and_new_stations(raw_file):
    g = load_reasonmap_city(
        raw_file,
        curation=_cur(
            new_stations={"F": "on the new line only"},
            new_lines={"L3": {"why": "drawn on the map", "services": [["A", "E", "F"]]}},
            colors={"L3": "#123456"},
        ),
    )
    assert g.line("L3").color == "#123456"
    assert g.lines_at("a") == ("l1", "l3")
    assert g.lines_at("f") == ("l3",)
    assert g.graph.has_edge("a", "e") and g.meta["new_lines"] == ["l3"]


def test_a_new_loop_line_closes(raw_file):
    g = load_reasonmap_city(
        raw_file,
        curation=_cur(new_lines={"L3": {"why": "ring", "services": [["D", "A"], ["A", "B", "E"]], "loops": [1]}}),
    )
    assert [b.loop for b in g.line("L3").branches] == [False, True] and g.graph.has_edge("e", "a")


@pytest.mark.parametrize(
    "extra, words",
    [
        ({"new_lines": {"L1": {"why": "dup", "services": [["A", "B"]]}}}, "already has"),
        ({"new_lines": {"L3": {"why": "typo", "services": [["A", "Zed"]]}}}, "no line of"),
        ({"colors": {"L9": "#000000"}}, "not in"),
        ({"new_lines": {"L3": {"why": "ring", "services": [["A", "E"]], "loops": [1]}}}, "loops names service 1"),
    ],
)
def test_new_line_errors_name_the_entry(raw_file, extra, words):
    with pytest.raises(CurationError, match=words) as err:
        load_reasonmap_city(raw_file, curation=_cur(**extra), curation_path="tiny.yaml")
    assert "tiny.yaml" in str(err.value)


def test_the_schema_wants_a_reason_for_a_new_line():
    from mapkit.schemas import validate_document

    from mapkit.errors import SchemaViolationError

    with pytest.raises(SchemaViolationError, match="why"):
        validate_document({"city": "x", "country": "y", "new_lines": {"L3": {"services": [["A", "B"]]}}}, "curation")


def test_station_aliases_make_a_second_printed_name_resolve(raw_file):
    g = load_reasonmap_city(raw_file, curation=_cur(station_aliases={"B": ["Bee (tram)"]}))
    assert g.station("Bee (tram)").id == "b" and g.station("b").name == "B"


def test_a_station_alias_may_not_hide_another_station(raw_file):
    with pytest.raises(CurationError, match="already a station"):
        load_reasonmap_city(raw_file, curation=_cur(station_aliases={"B": ["E"]}), curation_path="tiny.yaml")


def test_line_aliases_may_name_a_new_line(raw_file):
    g = load_reasonmap_city(
        raw_file,
        curation=_cur(new_lines={"L3": {"why": "drawn", "services": [["A", "E"]]}}, line_aliases={"L3": ["Three"]}),
    )
    assert g.line("L3").aliases == ("Three",)
    with pytest.raises(CurationError, match="line_aliases names line 'L9'"):
        load_reasonmap_city(raw_file, curation=_cur(line_aliases={"L9": ["Nine"]}), curation_path="tiny.yaml")
