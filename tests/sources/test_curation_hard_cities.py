"""Curation of the hard ReasonMap cities, pinned on the real data.

new_york (same name, different stations), washington (shared trunks), shanghai (a loop stored
closed, branches in flat lists), dalian and dubai (branches in flat lists, typos). Each test
checks a fact that the raw file gets wrong, so it fails when the curation file is removed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mapkit.errors import NotOnSameLineError
from mapkit.graph.model import MetroGraph
from mapkit.graph.queries import common_lines, stops_between
from mapkit.sources.curation_files import find_curation
from mapkit.sources.reasonmap import load_reasonmap_city, read_raw_city

CITIES = {
    "new_york": "america",
    "washington": "america",
    "shanghai": "china",
    "dalian": "china",
    "dubai": "united_arab_emirates",
}


def _raw_path(reasonmap_dir: Path, city: str) -> Path:
    return reasonmap_dir / "stations" / CITIES[city] / f"{city}.json"


def _edge(g: MetroGraph, a: str, b: str) -> frozenset[str]:
    return frozenset((g.station(a).id, g.station(b).id))


def _line_edges(g: MetroGraph, line: str) -> set[frozenset[str]]:
    return {frozenset(e) for br in g.line(line).branches for e in br.edges()}


def _raw_line_edges(reasonmap_dir: Path, city: str, g: MetroGraph, line: str) -> set[frozenset[str]]:
    """Adjacent pairs of the raw list, as ids of the curated graph (raw spellings are aliases)."""
    occs = read_raw_city(_raw_path(reasonmap_dir, city)).lines[line]
    ids = [g.station(o.name).id for o in occs]
    return {frozenset(p) for p in zip(ids, ids[1:]) if p[0] != p[1]}


def _lines(g: MetroGraph, station_id: str) -> set[str]:
    return {g.lines[lid].name for lid in g.lines_at(station_id)}


def _services(g: MetroGraph, line: str) -> list[tuple[str, str]]:
    """(first, last) display names of each service of ``line``."""
    return [(g.stations[b.stations[0]].name, g.stations[b.stations[-1]].name) for b in g.line(line).branches]


# --- every city ----------------------------------------------------------------------------


@pytest.mark.parametrize("city", sorted(CITIES))
def test_city_has_a_curation_file_and_loads_connected(load_real, city):
    cur, path = find_curation(city)
    assert path is not None and cur["city"] == city and cur["country"] == CITIES[city]
    assert cur.get("notes", "").strip(), "every curation must explain itself in notes"
    g = load_real(city)
    assert g.meta["curated"] is True
    assert len(g.components()) == 1
    # every line has its real-world colour
    assert all(ln.color for ln in g.lines.values())


@pytest.mark.parametrize("city", sorted(CITIES))
def test_curated_services_never_repeat_a_station(load_real, city):
    g = load_real(city)
    for ln in g.lines.values():
        for br in ln.branches:
            assert len(set(br.stations)) == len(br.stations), (city, ln.name)


# --- New York: same name, different stations -------------------------------------------------


@pytest.mark.parametrize(
    ("city", "problem"),
    [
        ("new_york", "visits 7 Av Station twice"),  # same name, different stations
        ("shanghai", "Line 4' visits 宜山路站 twice"),  # a loop stored closed, without the loop flag
    ],
)
def test_raw_file_does_not_load_without_curation(reasonmap_dir, city, problem):
    with pytest.raises(Exception, match=problem):
        load_reasonmap_city(_raw_path(reasonmap_dir, city), curation={})


def test_new_york_three_7_av_stations(load_real):
    g = load_real("new_york")
    ids = g.station_ids_named("7 Av Station")
    assert sorted(ids) == ["7-av-53-st", "7-av-flatbush", "7-av-park-slope"]
    assert _lines(g, "7-av-53-st") == {"B", "D", "E"}
    assert _lines(g, "7-av-flatbush") == {"B", "Q"}
    assert _lines(g, "7-av-park-slope") == {"F", "G"}
    # the B stops at two different 7 Av stations, in Midtown and in Brooklyn
    b = g.line("B").branches[0].stations
    assert b.index("7-av-53-st") < b.index("7-av-flatbush")
    # the display name stays the map's name
    assert {g.stations[s].name for s in ids} == {"7 Av Station"}
    # no false transfer: E and Q share no station called 7 Av
    assert not common_lines(g, "7-av-53-st", "7-av-park-slope")


def test_new_york_times_sq_is_one_complex(load_real):
    g = load_real("new_york")
    (sid,) = g.station_ids_named("Times Sq-42 St Station")
    assert _lines(g, sid) == {"1", "2", "3", "7", "N", "Q", "R", "W"}


# name -> the line sets of its physically different stations (as in reality)
NYC_SPLITS = {
    "7 Av Station": [{"B", "D", "E"}, {"B", "Q"}, {"F", "G"}],
    "14 St Station": [{"1", "2", "3", "F", "M"}, {"A", "C", "E"}],  # 7 Av + 6 Av: one complex
    "23 St Station": [{"1"}, {"6"}, {"C", "E"}, {"F", "M"}, {"R", "W"}],
    "28 St Station": [{"1"}, {"6"}, {"R", "W"}],
    "34 St-Penn Station": [{"1", "2", "3"}, {"A", "C", "E"}],
    "36 St Station": [{"M", "R"}, {"D", "N", "R"}],
    "50 St Station": [{"1"}, {"C", "E"}, {"D"}],
    "59 St Station": [{"4", "5", "6"}, {"N", "R"}],
    "72 St Station": [{"1", "2", "3"}, {"B", "C"}, {"Q"}],
    "86 St Station": [{"1"}, {"4", "5", "6"}, {"B", "C"}, {"N"}, {"Q"}, {"R"}],
    "96 St Station": [{"1", "2", "3"}, {"6"}, {"B", "C"}, {"Q"}],
    "103 St Station": [{"1"}, {"6"}, {"B", "C"}],
    "116 St Station": [{"2", "3"}, {"6"}, {"B", "C"}],
    "125 St Station": [{"1"}, {"2", "3"}, {"4", "5", "6"}, {"A", "B", "C", "D"}],
    "135 St Station": [{"2", "3"}, {"B", "C"}],
    "145 St Station": [{"1"}, {"3"}, {"A", "B", "C", "D"}],
    "155 St Station": [{"B", "D"}, {"C"}],
    "Cathedral Pkwy (110 St) Station": [{"1"}, {"B", "C"}],
    "Canal St Station": [{"1"}, {"A", "C", "E"}, {"6", "J", "Z", "N", "Q", "R", "W"}],
    "Chambers St Station": [{"1", "2", "3"}, {"A", "C"}, {"J", "Z"}],
    "Fulton St Station": [{"2", "3", "4", "5", "A", "C", "J", "Z"}, {"G"}],
    "Wall St Station": [{"2", "3"}, {"4", "5"}],
    "Gun Hill Rd Station": [{"2"}, {"5"}],
    "Pelham Pkwy Station": [{"2"}, {"5"}],
    "Church Av Station": [{"2", "5"}, {"B", "Q"}, {"F", "G"}],
    "Kings Hwy Station": [{"B", "Q"}, {"F"}, {"N"}],
    "Van Siclen Av Station": [{"3"}, {"C"}, {"J", "Z"}],
    "Lorimer St Station": [{"J", "M"}, {"L"}],
    "111 St Station": [{"7"}, {"A"}, {"J", "Z"}],
    "Woodhaven Blvd Station": [{"J", "Z"}, {"M", "R"}],
}


@pytest.mark.parametrize("name", sorted(NYC_SPLITS))
def test_new_york_split_names_are_distinct_stations(load_real, name):
    g = load_real("new_york")
    ids = g.station_ids_named(name)
    got = sorted(sorted(_lines(g, sid)) for sid in ids)
    assert got == sorted(sorted(s) for s in NYC_SPLITS[name])


def test_new_york_splits_cover_every_line_of_the_name(reasonmap_dir):
    """A split that forgets a line would silently give that line the unsplit id."""
    cur, _ = find_curation("new_york")
    renames, aliases = cur.get("renames", {}), cur.get("aliases", {})
    raw = read_raw_city(_raw_path(reasonmap_dir, "new_york"))
    lines_of: dict[str, set[str]] = {}
    for ln, occs in raw.lines.items():
        for o in occs:
            name = renames.get(o.name, o.name)
            lines_of.setdefault(aliases.get(name, name), set()).add(ln)
    for name, per_line in cur["splits"].items():
        assert set(per_line) == lines_of[name], name


def test_new_york_no_false_edges_between_split_stations(load_real):
    g = load_real("new_york")
    # the 5 runs on the Dyre Av line: its Pelham Pkwy / Gun Hill Rd are not the 2's
    assert set(g.graph["pelham-pkwy-dyre-av"]) == {"gun-hill-rd-dyre-av", "morris-park-station"}
    assert set(g.graph["pelham-pkwy-white-plains-rd"]) == {"allerton-av-station", "bronx-park-east-station"}
    # the R's two 36 St stations are far apart
    r = g.line("R").branches[0].stations
    assert r.index("36-st-queens") < r.index("queens-plaza-station") < r.index("36-st-brooklyn")
    # two 86 St stations share no line (no false TorF1 "same line")
    assert not common_lines(g, "86-st-broadway", "86-st-lexington-av")
    span = stops_between(g, "86-st-broadway", "96-st-broadway", "1")
    assert span.count == 0


def test_new_york_variants_are_merged(load_real):
    g = load_real("new_york")
    gc = g.station("Grand Central-42 St Station")
    assert gc.id == g.station("42 St-Grand Central Station").id
    assert _lines(g, gc.id) == {"4", "5", "6", "7"}
    assert _lines(g, g.station("Coney Island Stillwell Av Station").id) == {"D", "F", "N", "Q"}
    assert _lines(g, g.station("Hoyt-Schermerhorn Station").id) == {"A", "C", "G"}
    assert _lines(g, g.station("47-50 Sts-Rockefeller Center Station").id) == {"B", "D", "F", "M"}
    union_sq = g.station("14 St-Union Sq Station Station")
    assert union_sq.name == "14 St-Union Sq Station"
    assert _lines(g, union_sq.id) == {"4", "5", "6", "L", "N", "Q", "R", "W"}
    assert g.station("Astor Pl Station").name == "Astor Pl Station"
    assert "AStor PI Station" in g.station("Astor Pl Station").aliases
    assert g.station("135 St Stations").id == "135-st-st-nicholas-av"


def test_new_york_m_stops_once_at_delancey_essex(load_real):
    g = load_real("new_york")
    de = g.station("Delancey St/Essex St Station")
    assert g.station("Essex St Station").id == g.station("Delancey St Station").id == de.id
    assert _lines(g, de.id) == {"F", "J", "M", "Z"}
    m = g.line("M").branches[0].stations
    i = m.index(de.id)
    assert (m[i - 1], m[i + 1]) == ("marcy-av-station", "broadway-lafayette-st-station")


# --- Washington: trunks by membership ---------------------------------------------------------


def test_washington_trunks_and_union_station(load_real, reasonmap_dir):
    g = load_real("washington")
    assert g.station("Union Station").name == "Union Station"
    assert g.station("Union Station Station").id == "union-station"
    # trunk stations carry no transfer marker but are on every line that runs through them
    assert _lines(g, g.station("Smithsonian Station").id) == {"Orange Line", "Blue Line", "Silver Line"}
    assert _lines(g, g.station("Archives Station").id) == {"Yellow Line", "Green Line"}
    assert _lines(g, g.station("L'Enfant Plaza Station").id) == {
        "Orange Line", "Blue Line", "Yellow Line", "Green Line", "Silver Line",
    }
    assert "smithsonian-station" not in g.meta["marked_transfers"]
    assert all(len(ln.branches) == 1 and not ln.loop for ln in g.lines.values())
    raw = load_reasonmap_city(_raw_path(reasonmap_dir, "washington"), curation={})
    assert not raw.station_ids_named("Union Station")


# --- Shanghai: loop stored closed, flat-list branches -----------------------------------------


def test_shanghai_line_4_is_a_loop_without_repeats(load_real):
    g = load_real("shanghai")
    ln = g.line("Line 4")
    assert ln.loop and len(ln.branches) == 1
    seq = ln.branches[0].stations
    assert len(seq) == len(set(seq)) == 26
    assert seq[0] == g.station("宜山路站").id
    assert _edge(g, "上海体育馆站", "宜山路站") in _line_edges(g, "Line 4")
    span = stops_between(g, "宜山路站", "上海体育馆站", "Line 4")
    assert span.count == 0  # the short way round is through the closing edge


def test_shanghai_lines_3_and_4_share_track(load_real):
    g = load_real("shanghai")
    shared = ["宜山路站", "虹桥路站", "延安西路站", "中山公园站", "金沙江路站", "曹杨路站", "镇坪路站",
              "中潭路站", "上海火车站", "宝山路站"]
    for a, b in zip(shared, shared[1:]):
        lines = {g.lines[lid].name for lid in g.graph.edges[g.station(a).id, g.station(b).id]["lines"]}
        assert lines == {"Line 3", "Line 4"}


@pytest.mark.parametrize(
    ("line", "services", "false_edge", "true_edge"),
    [
        ("Line 5", [("莘庄站", "奉贤新城站"), ("东川路站", "闵行开发区站")],
         ("闵行开发区站", "江川路站"), ("东川路站", "江川路站")),
        ("Line 10", [("虹桥火车站", "基隆路站"), ("航中路站", "基隆路站")],
         ("基隆路站", "龙柏新村站"), ("龙柏新村站", "龙溪路站")),
        ("Line 11", [("嘉定北站", "迪士尼站"), ("花桥站", "迪士尼站")],
         ("迪士尼站", "上海赛车场站"), ("嘉定新城站", "上海赛车场站")),
    ],
)
def test_shanghai_branches(load_real, reasonmap_dir, line, services, false_edge, true_edge):
    g = load_real("shanghai")
    assert _services(g, line) == services
    raw = _raw_line_edges(reasonmap_dir, "shanghai", g, line)
    got = _line_edges(g, line)
    # exactly one false edge removed, one real edge restored; everything else as in the raw list
    assert raw - got == {_edge(g, *false_edge)}
    assert got - raw == {_edge(g, *true_edge)}
    assert not g.graph.has_edge(g.station(false_edge[0]).id, g.station(false_edge[1]).id)


def test_shanghai_line_5_branch_is_a_shuttle(load_real):
    g = load_real("shanghai")
    assert stops_between(g, "莘庄站", "东川路站", "Line 5").count == 5
    assert stops_between(g, "东川路站", "闵行开发区站", "Line 5").count == 3
    with pytest.raises(NotOnSameLineError):
        stops_between(g, "江川路站", "金平路站", "Line 5")


# --- Dalian: Line 3 branch ---------------------------------------------------------------------


def test_dalian_line_3_branch(load_real, reasonmap_dir):
    g = load_real("dalian")
    assert _services(g, "Line 3") == [("大连站", "金石滩站"), ("开发区站", "九里站")]
    raw = _raw_line_edges(reasonmap_dir, "dalian", g, "Line 3")
    got = _line_edges(g, "Line 3")
    assert raw - got == {_edge(g, "金石滩站", "通世泰站")}
    assert got - raw == {_edge(g, "开发区站", "通世泰站")}
    assert _lines(g, g.station("九里站").id) == {"Line 3", "Line 13"}
    assert stops_between(g, "开发区站", "九里站", "Line 3").count == 5


# --- Dubai: Red Line branch, typos -------------------------------------------------------------


def test_dubai_raw_file_has_the_defects(reasonmap_dir):
    raw = load_reasonmap_city(_raw_path(reasonmap_dir, "dubai"), curation={})
    assert raw.graph.has_edge("expo-2020-station", "lbn-battuta-station")


def test_dubai_red_line_branch_and_spelling(load_real, reasonmap_dir):
    g = load_real("dubai")
    ibn = g.station("Ibn Battuta Station")
    assert ibn.name == "Ibn Battuta Station" and "lbn Battuta Station" in ibn.aliases
    assert g.station("UAE Exchange Station").name == "UAE Exchange Station"
    assert g.station_ids_named("lbn Battuta Station") == (ibn.id,)  # the typo still resolves
    assert not any("Staton" in s.name or s.name.startswith("lbn") for s in g.stations.values())
    expo = g.station("Expo 2020 Station").id
    assert not g.graph.has_edge(expo, ibn.id)
    assert _services(g, "Red Line") == [
        ("Centrepoint Station", "UAE Exchange Station"),
        ("Centrepoint Station", "Expo 2020 Station"),
    ]
    assert _edge(g, "Jabal Ali Station", "Ibn Battuta Station") in _line_edges(g, "Red Line")
    raw = _raw_line_edges(reasonmap_dir, "dubai", g, "Red Line")
    got = _line_edges(g, "Red Line")
    assert raw - got == {_edge(g, "Expo 2020 Station", "Ibn Battuta Station")}
    assert got - raw == {_edge(g, "Jabal Ali Station", "Ibn Battuta Station")}
    with pytest.raises(NotOnSameLineError):
        stops_between(g, "Expo 2020 Station", "Ibn Battuta Station", "Red Line")
