"""The 11 published ReasonMap-Plus TEST cities, curated: each fixed defect is pinned on the real data.

Every defect test also loads the raw file without curation and checks that the defect is really
there, so a test fails both when the curation is removed and when the data stops having the defect.
The last section tests the loader's ``add_stops`` operation on a tiny hand-made file.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from mapkit.schemas import validate_document

from mapkit.curate import check_city
from mapkit.difficulty import city_difficulty
from mapkit.errors import CurationError, NotOnSameLineError, SchemaViolationError
from mapkit.graph import MetroGraph, stops_between
from mapkit.io import load_document
from mapkit.sources.curation_files import curation_path
from mapkit.sources.reasonmap import load_reasonmap_city

TEST_CITIES = {
    "auckland": "new_zealand",
    "los_angeles": "america",
    "miami": "america",
    "lisboa": "portugal",
    "geneva": "switzerland",
    "beijing": "china",
    "hangzhou": "china",
    "budapest": "hungary",
    "singapore": "singapore",
    "rome": "italy",
    "toronto": "canada",
}

DIFFICULTY = {
    "hard": ("beijing", "hangzhou", "singapore", "los_angeles"),
    "middle": ("lisboa", "geneva", "budapest"),
    "easy": ("auckland", "miami", "rome", "toronto"),
}


def sid(g: MetroGraph, name: str) -> str:
    return g.station(name).id


def has_edge(g: MetroGraph, a: str, b: str) -> bool:
    return g.graph.has_edge(sid(g, a), sid(g, b))


def edge_lines(g: MetroGraph, a: str, b: str) -> tuple[str, ...]:
    return g.graph.edges[sid(g, a), sid(g, b)]["lines"]


def line_names_at(g: MetroGraph, name: str) -> set[str]:
    return {g.lines[lid].name for lid in g.lines_at(sid(g, name))}


# --- every test city ---------------------------------------------------------------------------


@pytest.mark.parametrize("city", sorted(TEST_CITIES))
def test_curation_file_validates_and_names_the_city(city):
    path = curation_path(city)
    assert path.is_file(), f"no curation file for {city}"
    doc = load_document(path)
    validate_document(doc, "curation", source=path)
    assert doc["city"] == city
    assert doc["country"] == TEST_CITIES[city]
    assert doc.get("notes", "").strip(), "every curation file explains itself in notes"
    for color in doc.get("colors", {}).values():
        assert re.fullmatch(r"#[0-9a-f]{6}", color)


@pytest.mark.parametrize("city", sorted(TEST_CITIES))
def test_city_loads_curated_and_connected(load_real, city):
    g = load_real(city)
    assert g.city == city and g.country == TEST_CITIES[city]
    assert g.meta["curated"] is True
    assert len(g.components()) == 1
    colored = {ln.name for ln in g.lines.values() if ln.color}
    assert colored, "the renderer needs real line colours"
    assert colored <= {ln.name for ln in g.lines.values()}


@pytest.mark.parametrize("city", sorted(TEST_CITIES))
def test_remaining_findings_are_explained_in_notes(load_real, reasonmap_dir, city):
    """`curate check` may still report things, but each kind and each station is named in notes."""
    g = load_real(city)
    notes = load_document(curation_path(city))["notes"]
    for f in check_city(city, data_dir=reasonmap_dir):
        assert f.kind in notes, f"{city}: finding kind {f.kind} is not explained: {f.message}"
        if f.kind in ("marked-single-line", "unmarked-transfer", "branch-marker-unsplit"):
            bare = re.sub(r" Station$", "", g.stations[f.subject].name)
            assert bare in notes, f"{city}: {f.message}"
        assert f.kind not in ("near-duplicate-names", "disconnected", "duplicate-in-line"), f.message


@pytest.mark.parametrize("level, cities", sorted(DIFFICULTY.items()))
def test_difficulty_labels_match_the_published_ones(load_real, level, cities):
    for city in cities:
        assert city_difficulty(load_real(city)) == level, city


def test_difficulty_labels_cover_exactly_the_test_cities():
    assert sorted(c for cs in DIFFICULTY.values() for c in cs) == sorted(TEST_CITIES)


# --- Beijing --------------------------------------------------------------------------------------


@pytest.mark.parametrize("line, first, last", [("Line 2", "西直门站", "车公庄站"), ("Line 10", "巴沟站", "火器营站")])
def test_beijing_ring_lines_are_loops(load_real, load_raw, line, first, last):
    raw = load_raw("beijing")
    assert not raw.line(line).loop and not has_edge(raw, first, last)
    g = load_real("beijing")
    ln = g.line(line)
    assert ln.loop and len(ln.branches) == 1
    assert ln.branches[0].stations[0] == sid(g, first) and ln.branches[0].stations[-1] == sid(g, last)
    assert g.graph.has_edge(sid(g, first), sid(g, last))
    assert ln.id in edge_lines(g, first, last)
    assert stops_between(g, first, last, line).count == 0  # the short way round is the closing edge


def _merged(load_raw, load_real, city, spelling, name, lines):
    """Two stations of the raw file (``spelling``, ``name``) are one curated station named ``name``,
    served by ``lines``; returns the graph and the station."""
    raw = load_raw(city)
    assert raw.station(spelling).id != raw.station(name).id
    g = load_real(city)
    st = g.station(spelling)
    assert st.id == g.station(name).id
    assert st.name == name
    assert line_names_at(g, name) == lines
    return g, st


def test_beijing_xidan_is_one_station_on_lines_1_and_4(load_raw, load_real):
    g, st = _merged(load_raw, load_real, "beijing", "西单", "西单站", {"Line 1", "Line 4"})
    assert "西单" in st.aliases
    assert g.station_ids_named("西单") == (st.id,)


def test_beijing_line_16_names_get_their_suffix(load_real):
    g = load_real("beijing")
    for bare in ("富丰桥", "看丹"):
        st = g.station(bare)
        assert st.name == bare + "站" and bare in st.aliases
        assert line_names_at(g, st.name) == {"Line 16"}
    assert has_edge(g, "富丰桥站", "看丹站")
    # the trailing space of "东管头南站 " must not split the Line 16 / 房山线 interchange
    assert line_names_at(g, "东管头南站") == {"Line 16", "房山线"}


def test_beijing_airport_express_returns_from_t2_to_sanyuanqiao(load_raw, load_real):
    assert not has_edge(load_raw("beijing"), "2号航站楼站", "三元桥站")
    g = load_real("beijing")
    ln = g.line("首都机场线")
    assert len(ln.branches) == 2 and not ln.loop
    assert has_edge(g, "2号航站楼站", "三元桥站") and has_edge(g, "3号航站楼站", "2号航站楼站")
    # one-way at the airport end: outbound via 3号航站楼, inbound straight back to 三元桥
    assert all(br.oneway for br in ln.branches)
    assert stops_between(g, "东直门站", "2号航站楼站", "首都机场线").count == 2
    assert stops_between(g, "2号航站楼站", "东直门站", "首都机场线").count == 1
    with pytest.raises(NotOnSameLineError, match="one way only"):
        stops_between(g, "3号航站楼站", "三元桥站", "首都机场线")


def test_one_way_services_follow_the_direction_of_travel(load_real):
    la = load_real("los_angeles")
    assert stops_between(la, "Anaheim St Station", "Pacific Av Station", "Line A").count == 3
    assert stops_between(la, "Pacific Av Station", "Anaheim St Station", "Line A").count == 0
    with pytest.raises(NotOnSameLineError, match="one way only"):
        stops_between(la, "Downtown Long Beach Station", "1st St Station", "Line A")
    ge = load_real("geneva")
    towards_nations = stops_between(ge, "Stand Station", "Gare Cornavin Station", "Line 15")
    towards_palettes = stops_between(ge, "Gare Cornavin Station", "Stand Station", "Line 15")
    assert [ge.stations[s].name for s in towards_nations.stops] == ["Goulart Station"]
    assert [ge.stations[s].name for s in towards_palettes.stops] == ["Mercier Station"]


def test_beijing_gaojiayuan_is_a_line_12_14_interchange(load_real):
    assert line_names_at(load_real("beijing"), "高家园站") == {"Line 12", "Line 14"}


# --- Singapore ------------------------------------------------------------------------------------


def test_singapore_circle_line_forks_at_promenade(load_raw, load_real):
    raw = load_raw("singapore")
    assert has_edge(raw, "Dhoby Ghaut Station", "Bayfront Station")
    g = load_real("singapore")
    assert not has_edge(g, "Dhoby Ghaut Station", "Bayfront Station")
    ccl = g.line("Circle Line")
    assert len(ccl.branches) >= 2 and not ccl.loop
    assert ccl.id in edge_lines(g, "Promenade Station", "Bayfront Station")
    assert ccl.id in edge_lines(g, "Promenade Station", "Esplanade Station")
    assert ccl.id in edge_lines(g, "Bras Basah Station", "Dhoby Ghaut Station")
    ends = {(g.stations[b.stations[0]].name, g.stations[b.stations[-1]].name) for b in ccl.branches}
    assert ends == {("HarbourFront Station", "Dhoby Ghaut Station"), ("HarbourFront Station", "Marina Bay Station")}
    assert stops_between(g, "Stadium Station", "Marina Bay Station", "Circle Line").count == 3
    with pytest.raises(NotOnSameLineError):
        stops_between(g, "Esplanade Station", "Bayfront Station", "Circle Line")


def test_singapore_downtown_line_is_one_route_through_the_centre(load_real):
    g = load_real("singapore")
    dtl = g.line("Downtown Line")
    assert len(dtl.branches) == 1
    for a, b in [
        ("Promenade Station", "Bayfront Station"),
        ("Bayfront Station", "Downtown Station"),
        ("Telok Ayer Station", "Chinatown Station"),
    ]:
        assert dtl.id in edge_lines(g, a, b)


def test_singapore_expo_is_on_the_east_west_line_branch(load_raw, load_real):
    assert line_names_at(load_raw("singapore"), "Expo Station") == {"Downtown Line"}
    g = load_real("singapore")
    assert line_names_at(g, "Expo Station") == {"East West Line", "Downtown Line"}
    ewl = g.line("East West Line")
    assert len(ewl.branches) == 2
    assert ewl.id in edge_lines(g, "Tanah Merah Station", "Expo Station")
    assert ewl.id in edge_lines(g, "Tanah Merah Station", "Simei Station")
    assert g.stations[ewl.branches[0].stations[-1]].name == "Pasir Ris Station"


# --- Los Angeles ----------------------------------------------------------------------------------


def test_los_angeles_little_tokyo_variants_are_one_station(load_raw, load_real):
    g, st = _merged(load_raw, load_real, "los_angeles", "Little Tokyo/Arts Dist Station",
                    "Little Tokyo/Arts District Station", {"Line A", "Line E"})  # fmt: skip
    assert has_edge(g, "Historic Broadway Station", st.name) and has_edge(g, st.name, "Pico/Aliso Station")


def test_los_angeles_union_station_is_one_station(load_raw, load_real):
    raw = load_raw("los_angeles")
    assert line_names_at(raw, "Union Station Station") == {"Line B"}
    g = load_real("los_angeles")
    assert g.station("Union Station Station").id == g.station("Union Station").id
    assert g.station("Union Station").name == "Union Station"
    assert line_names_at(g, "Union Station") == {"Line A", "Line B", "Line D"}


def test_los_angeles_long_beach_loop_has_the_pacific_av_anaheim_edge(load_raw, load_real):
    assert not has_edge(load_raw("los_angeles"), "Pacific Av Station", "Anaheim St Station")
    g = load_real("los_angeles")
    a = g.line("Line A")
    assert len(a.branches) == 2 and not a.loop
    assert a.id in edge_lines(g, "Pacific Av Station", "Anaheim St Station")
    assert a.id in edge_lines(g, "Anaheim St Station", "5th St Station")
    assert a.id in edge_lines(g, "Downtown Long Beach Station", "Pacific Av Station")
    # the loop runs one way: southbound round by Downtown Long Beach, northbound by Pacific Av
    assert stops_between(g, "Pacific Av Station", "Willow St Station", "Line A").stops == tuple(
        sid(g, n) for n in ("Anaheim St Station", "Pacific Coast Hwy Station")
    )
    assert stops_between(g, "Willow St Station", "Pacific Av Station", "Line A").stops == tuple(
        sid(g, n)
        for n in ("Pacific Coast Hwy Station", "Anaheim St Station", "5th St Station", "1st St Station",
                  "Downtown Long Beach Station")
    )


# --- Rome -----------------------------------------------------------------------------------------


def _branch_fixed(load_raw, load_real, city, line, false_edge, fork, ends):
    """The raw file has ``false_edge``; the curated ``line`` has two services that fork at ``fork[0]``
    (towards ``fork[1]`` and ``fork[2]``) and end at ``ends``; the false edge is gone."""
    assert has_edge(load_raw(city), *false_edge)
    g = load_real(city)
    ln = g.line(line)
    assert len(ln.branches) == 2
    assert not has_edge(g, *false_edge)
    assert ln.id in edge_lines(g, fork[0], fork[1])
    assert ln.id in edge_lines(g, fork[0], fork[2])
    assert {g.stations[br.stations[-1]].name for br in ln.branches} == ends
    return g


def test_rome_line_b_has_the_jonio_branch_without_a_false_edge(load_raw, load_real):
    g = _branch_fixed(load_raw, load_real, "rome", "Line B", ("Rebibbia Station", "S. Agnese Annibaliano Station"),
                      ("Bologna Station", "S. Agnese Annibaliano Station", "Tiburtina Station"),
                      {"Rebibbia Station", "Jonio Station"})  # fmt: skip
    assert stops_between(g, "Termini Station", "Jonio Station", "Line B").count == 6
    with pytest.raises(NotOnSameLineError):
        stops_between(g, "Rebibbia Station", "Jonio Station", "Line B")
    assert not g.meta["branch_markers"] or all(
        len(g.line(ln).branches) > 1 for lines in g.meta["branch_markers"].values() for ln in lines
    )


# --- Hangzhou -------------------------------------------------------------------------------------


def test_hangzhou_line_3_branches_at_xixi_wetland_south(load_raw, load_real):
    g = _branch_fixed(load_raw, load_real, "hangzhou", "Line 3", ("吴山前村站", "留下站"),
                      ("西溪湿地南站", "留下站", "洪园站"),
                      {"吴山前村站", "石马站"})  # fmt: skip
    assert g.station("创明路").name == "创明路站"


def test_hangzhou_line_6_stays_a_single_service(load_real):
    g = load_real("hangzhou")
    ln = g.line("Line 6")
    assert len(ln.branches) == 1
    assert ln.id in edge_lines(g, "美院象山站", "霞鸣街站")


# --- Geneva ---------------------------------------------------------------------------------------


def test_geneva_line_15_one_way_pair_via_mercier_and_goulart(load_raw, load_real):
    raw = load_raw("geneva")
    false_edges = [
        ("Nations Station", "Mercier Station"),
        ("Mercier Station", "Goulart Station"),
        ("Stand Station", "Gare Cornavin Station"),
    ]
    assert all(has_edge(raw, a, b) for a, b in false_edges)
    g = load_real("geneva")
    assert not any(has_edge(g, a, b) for a, b in false_edges)
    ln = g.line("Line 15")
    assert len(ln.branches) == 2
    for via in ("Mercier Station", "Goulart Station"):
        assert ln.id in edge_lines(g, "Stand Station", via)
        assert ln.id in edge_lines(g, via, "Gare Cornavin Station")
    ends = [(g.stations[b.stations[0]].name, g.stations[b.stations[-1]].name, b.oneway) for b in ln.branches]
    assert ends == [("Palettes Station", "Nations Station", True), ("Nations Station", "Palettes Station", True)]
    # one way each: towards Nations by Goulart, back towards Palettes by Mercier (8 stops each way)
    there = stops_between(g, "Plainpalais Station", "Nations Station", "Line 15")
    back = stops_between(g, "Nations Station", "Plainpalais Station", "Line 15")
    assert not there.ambiguous and there.count == back.count == 8
    assert there.stops[2] == sid(g, "Goulart Station") and back.stops[-3] == sid(g, "Mercier Station")


def test_geneva_line_18_ends_at_palettes(load_raw, load_real):
    assert line_names_at(load_raw("geneva"), "Palettes Station") == {"Line 15"}
    g = load_real("geneva")
    assert line_names_at(g, "Palettes Station") == {"Line 15", "Line 18"}
    assert g.line("Line 18").id in edge_lines(g, "Pontets Station", "Palettes Station")
    assert g.station("Pontets").name == "Pontets Station"
    assert g.station("Trèfle-Blanc").name == "Trèfle-Blanc Station"


def test_geneva_villereuse_typo_is_renamed(load_real):
    g = load_real("geneva")
    st = g.station("Villeruse Station")
    assert st.name == "Villereuse Station"
    assert line_names_at(g, st.name) == {"Line 12", "Line 17"}


# --- cities that need no structural fix -----------------------------------------------------------


@pytest.mark.parametrize(
    "city, line, first, last",
    [
        ("auckland", "Western Line", "Swanson Station", "Waitematā (Britomart) Station"),
        ("miami", "Metrorail Orange Line", "Miami International Airport Station", "Dadeland South Station"),
        ("toronto", "Line 1", "Vaughan Metropolitan Centre Station", "Finch Station"),
        ("lisboa", "Vermelha", "Aeroporto Station", "S. Sebastião Station"),
        ("budapest", "Line 4", "Kelenföld vasútállomás Station", "Keleti pályaudvar Station"),
    ],
)
def test_plain_cities_keep_their_lines_open_and_single(load_real, city, line, first, last):
    g = load_real(city)
    assert all(len(ln.branches) == 1 and not ln.loop for ln in g.lines.values())
    br = g.line(line).branches[0]
    assert (g.stations[br.stations[0]].name, g.stations[br.stations[-1]].name) == (first, last)


# --- the loader's add_stops operation, on a tiny file ----------------------------------------------


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """L1: A-B-C; L2: C-D-E. The real L2 also runs on from E to A, which its raw list omits."""
    d = tmp_path / "stations" / "nowhere"
    d.mkdir(parents=True)
    p = d / "tiny.json"
    p.write_text(
        json.dumps(
            {
                "L1": ["A Station", "B Station", "C Station (Transfer Station)"],
                "L2": ["C Station (Transfer Station)", "D Station", "E Station"],
            }
        )
    )
    return p


def test_add_stops_puts_another_lines_station_on_a_service(tiny):
    cur = {
        "add_stops": {"L2": ["A Station"]},
        "branches": {"L2": [["C Station", "D Station", "E Station", "A Station"]]},
    }
    validate_document({"city": "tiny", "country": "nowhere", **cur}, "curation")
    g = load_reasonmap_city(tiny, curation=cur)
    assert g.lines_at("a-station") == ("l1", "l2")
    assert g.graph.edges["e-station", "a-station"]["lines"] == ("l2",)
    assert g.line("L2").station_ids == ("c-station", "d-station", "e-station", "a-station")
    assert sorted(g.stations) == ["a-station", "b-station", "c-station", "d-station", "e-station"]


def test_add_stops_accepts_ids_and_aliased_names(tiny):
    cur = {
        "aliases": {"A Station": "A Station"},
        "add_stops": {"L2": ["a-station"]},
        "branches": {"L2": [["C Station", "D Station", "E Station"], ["C Station", "a-station"]]},
    }
    g = load_reasonmap_city(tiny, curation=cur)
    assert g.graph.has_edge("c-station", "a-station")


@pytest.mark.parametrize(
    "cur, words",
    [
        ({"add_stops": {"L2": ["A Station"]}}, "no services"),
        (
            {"add_stops": {"L2": ["Z Station"]}, "branches": {"L2": [["C Station", "D Station", "E Station"]]}},
            "no line",
        ),
        (
            {"add_stops": {"L2": ["D Station"]}, "branches": {"L2": [["C Station", "D Station", "E Station"]]}},
            "already a station",
        ),
        (
            {"add_stops": {"L2": ["A Station"]}, "branches": {"L2": [["C Station", "D Station", "E Station"]]}},
            "no service places it",
        ),
        ({"add_stops": {"L9": ["A Station"]}}, "not in"),
        # without add_stops a service still may not name another line's station (a typo guard)
        ({"branches": {"L2": [["C Station", "D Station", "E Station", "A Station"]]}}, "not a station of"),
    ],
)
def test_add_stops_errors_name_the_problem(tiny, cur, words):
    with pytest.raises(CurationError, match=words):
        load_reasonmap_city(tiny, curation=cur)


def test_add_stops_schema_rejects_an_empty_list():
    with pytest.raises(SchemaViolationError):
        validate_document({"city": "x", "country": "y", "add_stops": {"L2": []}}, "curation")
