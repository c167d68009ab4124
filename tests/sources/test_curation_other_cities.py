"""14 more ReasonMap cities, curated: each fixed defect is pinned on the real data.

Cities: sydney, changsha, changzhou, guiyang, hefei, huhehaote, jinan, kunming, nanchang, nanning,
shenzhen, xian, kl, oslo. Every defect test also loads the raw file without curation and checks
that the defect is really there, so a test fails both when the curation is removed and when the
data stops having the defect. The remaining `curate check` findings of each city are pinned too:
they are the ones its curation file explains in `notes`.
"""

from __future__ import annotations

import networkx as nx
import pytest

from mapkit.curate import check_city
from mapkit.errors import NotOnSameLineError
from mapkit.graph import MetroGraph, stops_between
from mapkit.graph.queries import share_line
from mapkit.io import load_document
from mapkit.sources.curation_files import curation_path

CITIES = {
    "sydney": "australia",
    "changsha": "china",
    "changzhou": "china",
    "guiyang": "china",
    "hefei": "china",
    "huhehaote": "china",
    "jinan": "china",
    "kunming": "china",
    "nanchang": "china",
    "nanning": "china",
    "shenzhen": "china",
    "xian": "china",
    "kl": "malaysia",
    "oslo": "norway",
}

# (kind, station name) of every `curate check` finding left after curation; each is explained in the
# city's notes (transfers to rail outside the file, a branch marker with no branch in the file, ...).
EXPECTED_FINDINGS = {
    "sydney": set(),  # the interchanges the raw file marked are real since the T lines were added
    "changsha": {
        ("marked-single-line", n)
        for n in ("开福寺站", "中信广场站", "锦泰广场站", "红桥站", "山塘站", "观沙岭站", "树木岭站")
    },
    "changzhou": set(),
    "guiyang": set(),
    "hefei": {("branch-marker-unsplit", "北雁湖站"), ("unmarked-transfer", "方庙站")},
    "huhehaote": set(),
    "jinan": set(),
    "kunming": set(),
    "nanchang": set(),
    "nanning": set(),
    "shenzhen": {
        ("marked-single-line", n)
        for n in ("深大站", "东角头站", "科苑站", "留仙洞站", "公明广场站", "光明站", "凤凰城站", "上屋站", "粤海门站")
    },
    "xian": {("marked-single-line", "阿房宫南站")},
    "kl": {
        ("marked-single-line", f"{n} Station")
        for n in (
            "Kepong Sentral", "Setia Jaya", "Muzium Negara", "Merdeka", "Sri Damansara Timur", "Kentonmen",
            "Jalan Ipoh",
        )
    },
    "oslo": set(),
}


def sid(g: MetroGraph, name: str) -> str:
    return g.station(name).id


def has_edge(g: MetroGraph, a: str, b: str) -> bool:
    return g.graph.has_edge(sid(g, a), sid(g, b))


def edge_lines(g: MetroGraph, a: str, b: str) -> set[str]:
    return {g.lines[lid].name for lid in g.graph.edges[sid(g, a), sid(g, b)]["lines"]}


def line_names_at(g: MetroGraph, station_id: str) -> set[str]:
    return {g.lines[lid].name for lid in g.lines_at(station_id)}


# --- every city ----------------------------------------------------------------------------------


@pytest.mark.parametrize("city", sorted(CITIES))
def test_curation_file_names_the_city(city):
    doc = load_document(curation_path(city))
    assert doc["city"] == city
    assert doc["country"] == CITIES[city]
    assert doc.get("notes", "").strip(), "every curation file says what it checked"


@pytest.mark.parametrize("city", sorted(CITIES))
def test_city_loads_curated_and_connected(load_real, city):
    g = load_real(city)
    assert g.country == CITIES[city]
    assert g.meta["curated"] is True
    assert len(g.components()) == 1


@pytest.mark.parametrize("city", sorted(CITIES))
def test_only_the_documented_findings_remain(reasonmap_dir, city):
    found = set()
    for f in check_city(city, data_dir=reasonmap_dir):
        found.add((f.kind, f.message.split(" is ")[0]))
    assert found == EXPECTED_FINDINGS[city]


@pytest.mark.parametrize("city", sorted(set(CITIES) - {"nanchang"}))
def test_every_line_has_a_colour(load_real, city):
    g = load_real(city)
    assert all(ln.color and ln.color.startswith("#") for ln in g.lines.values())


# --- changsha ------------------------------------------------------------------------------------


def test_changsha_south_railway_station_is_one_station(load_real, load_raw):
    raw = load_raw("changsha")
    assert line_names_at(raw, sid(raw, "长沙火车南站站")) == {"Line 4"}
    assert line_names_at(raw, sid(raw, "长沙火车南站")) == {"Line 2"}
    g = load_real("changsha")
    assert sid(g, "长沙火车南站站") == sid(g, "长沙火车南站")
    assert line_names_at(g, sid(g, "长沙火车南站")) == {"Line 2", "Line 4"}
    assert stops_between(g, "平阳站", "光达站", "Line 4").stops == (sid(g, "长沙火车南站"),)


# --- guiyang -------------------------------------------------------------------------------------


def test_guiyang_qingshuijianglu_gets_the_station_suffix(load_real, load_raw):
    assert load_raw("guiyang").station("清水江路").name == "清水江路"
    st = load_real("guiyang").station("清水江路")
    assert st.name == "清水江路站"
    assert "清水江路" in st.aliases


# --- kunming -------------------------------------------------------------------------------------


def test_kunming_line1_branch_leaves_at_chunrongjie(load_real, load_raw):
    raw = load_raw("kunming")
    assert has_edge(raw, "大学城南站", "市级行政中心站")  # the invented edge: branch appended after the terminus
    g = load_real("kunming")
    assert not has_edge(g, "大学城南站", "市级行政中心站")
    assert edge_lines(g, "春融街站", "市级行政中心站") == {"Line 1"}
    line = g.line("Line 1")
    assert len(line.branches) == 2
    assert line.branches[0].stations[-1] == sid(g, "大学城南站")
    assert line.branches[1].stations[-1] == sid(g, "昆明南火车站")
    assert stops_between(g, "春融街站", "昆明南火车站", "Line 1").count == 3
    with pytest.raises(NotOnSameLineError):
        stops_between(g, "大学城南站", "白龙潭站", "Line 1")


# --- xian ----------------------------------------------------------------------------------------


def test_xian_line8_is_a_ring(load_real, load_raw):
    raw = load_raw("xian")
    assert not raw.line("Line 8").loop
    assert not has_edge(raw, "省体育馆站", "山门口站")
    g = load_real("xian")
    line = g.line("Line 8")
    assert line.loop and len(line.branches) == 1 and len(line.station_ids) == 37
    assert edge_lines(g, "省体育馆站", "山门口站") == {"Line 8"}
    # across the closing edge: 木塔寺西 - 省体育馆 - 山门口 - 安化门
    assert stops_between(g, "木塔寺西站", "安化门站", "Line 8").stops == (sid(g, "省体育馆站"), sid(g, "山门口站"))


def test_xian_zhangbabeilu_is_two_stations(load_real, load_raw):
    raw = load_raw("xian")
    assert line_names_at(raw, sid(raw, "丈八北路站")) == {"Line 3", "Line 6"}
    # a false 3 <-> 6 transfer: 鱼化寨 (Line 3) - 丈八北路 - 造字台 (Line 6) in two hops
    assert nx.shortest_path_length(raw.graph, sid(raw, "鱼化寨站"), sid(raw, "造字台站")) == 2
    g = load_real("xian")
    ids = g.station_ids_named("丈八北路站")
    assert len(ids) == 2
    assert {frozenset(line_names_at(g, i)) for i in ids} == {frozenset({"Line 3"}), frozenset({"Line 6"})}
    assert g.station("丈八北路站（3号线）").id != g.station("丈八北路站（6号线）").id
    assert has_edge(g, "鱼化寨站", "丈八北路站（3号线）") and has_edge(g, "造字台站", "丈八北路站（6号线）")
    assert nx.shortest_path_length(g.graph, sid(g, "鱼化寨站"), sid(g, "造字台站")) > 2


def test_xian_fengcheng_typo_fixed(load_real, load_raw):
    assert load_raw("xian").station("风城十路站").name == "风城十路站"
    g = load_real("xian")
    assert g.station("风城十路站").name == "凤城十路站"
    assert g.station("凤城十路站").id == g.station("风城十路站").id


# --- kl ------------------------------------------------------------------------------------------


def test_kl_salak_selatan_ktm_and_lrt_are_different_stations(load_real, load_raw):
    raw = load_raw("kl")
    assert line_names_at(raw, sid(raw, "Salak Selatan Station")) == {"Line 1", "Line 4"}
    g = load_real("kl")
    ktm, lrt = g.station("Salak Selatan Station (KTM)"), g.station("Salak Selatan Station (LRT)")
    assert ktm.id != lrt.id
    assert line_names_at(g, ktm.id) == {"Line 1"} and line_names_at(g, lrt.id) == {"Line 4"}
    assert set(g.station_ids_named("Salak Selatan Station")) == {ktm.id, lrt.id}
    assert has_edge(g, "Seputeh Station", "Salak Selatan Station (KTM)")
    assert has_edge(g, "Cheras Station", "Salak Selatan Station (LRT)")


def test_kl_sentul_ktm_and_lrt_are_different_stations(load_real, load_raw):
    raw = load_raw("kl")
    assert line_names_at(raw, sid(raw, "Sentul Station")) == {"Line 1", "Line 3", "Line 4"}
    g = load_real("kl")
    ktm, lrt = g.station("Sentul Station (KTM)"), g.station("Sentul Station (LRT)")
    assert line_names_at(g, ktm.id) == {"Line 1"}
    assert line_names_at(g, lrt.id) == {"Line 3", "Line 4"}
    assert not share_line(g, "Batu Kentonmen Station", "Sentul Timur Station")


def test_kl_rantau_is_rembau(load_real, load_raw):
    assert load_raw("kl").station("Rantau Station").name == "Rantau Station"
    g = load_real("kl")
    assert g.station("Rantau Station").name == "Rembau Station"
    assert has_edge(g, "Rembau Station", "Pulau Sebang Station")


def test_kl_shared_trunks_stay_as_stored(load_real):
    g = load_real("kl")
    assert edge_lines(g, "Chan Sow Lin Station", "Pudu Station") == {"Line 3", "Line 4"}
    assert edge_lines(g, "Bank Negara Station", "Kuala Lumpur Station") == {"Line 1", "Line 2"}


# --- oslo ----------------------------------------------------------------------------------------


def test_oslo_line5_has_no_sinsen_berg_edge(load_real, load_raw):
    raw = load_raw("oslo")
    assert has_edge(raw, "Sinsen Station", "Berg Station")
    assert not has_edge(raw, "Ullevål stadion Station", "Berg Station")
    g = load_real("oslo")
    assert not has_edge(g, "Sinsen Station", "Berg Station")
    assert edge_lines(g, "Ullevål stadion Station", "Berg Station") == {"Line 5"}


def test_oslo_line5_runs_round_the_ring(load_real, load_raw):
    raw = load_raw("oslo")
    assert not has_edge(raw, "Sinsen Station", "Carl Berners plass Station")
    assert stops_between(raw, "Tøyen Station", "Storo Station", "Line 5").count == 9
    g = load_real("oslo")
    line = g.line("Line 5")
    assert line.loop and line.branches[0].loop and len(line.branches) == 3
    assert edge_lines(g, "Sinsen Station", "Carl Berners plass Station") == {"Line 5"}
    # the short way round through the closing edge: Tøyen - Carl Berners plass - Sinsen - Storo
    span = stops_between(g, "Tøyen Station", "Storo Station", "Line 5")
    assert span.stops == (sid(g, "Carl Berners plass Station"), sid(g, "Sinsen Station"))
    # the Vestli arm reaches the Ring at Carl Berners plass, so Hasle - Nydalen goes through the centre
    assert stops_between(g, "Hasle Station", "Nydalen Station", "Line 5").count == 10
    # the second pass: Nydalen - Storo - Sinsen - Carl Berners plass ... Ullevål stadion - Berg
    assert stops_between(g, "Nydalen Station", "Berg Station", "Line 5").count == 12
    with pytest.raises(NotOnSameLineError):
        stops_between(g, "Vestli Station", "Sognsvann Station", "Line 5")


def test_oslo_line4_is_unchanged(load_real, load_raw):
    raw_line, line = load_raw("oslo").line("Line 4"), load_real("oslo").line("Line 4")
    assert line.branches == raw_line.branches
    assert not line.loop


@pytest.mark.parametrize(
    ("raw_name", "name"), [("Voksnia Station", "Voksenlia Station"), ("Bjornslokka Station", "Bjørnsletta Station")]
)
def test_oslo_typos_fixed(load_real, load_raw, raw_name, name):
    assert load_raw("oslo").station(raw_name).name == raw_name
    st = load_real("oslo").station(raw_name)
    assert st.name == name and raw_name in st.aliases
