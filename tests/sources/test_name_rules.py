"""Station, line and city names: what breaks prompts or scoring is refused where it is written.

The accepted names are checked end to end: a city file using them is generated from, and every gold
answer, boxed, scores full marks (with the city reloaded from its file, as the scorer does).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from mapkit.answers.routes import clear_graph_cache
from mapkit.errors import CurationError, DataFileError
from mapkit.generate import generate_items
from mapkit.questions import families
from mapkit.scoring.score import score
from mapkit.sources.name_rules import MAX_NAME_LENGTH, name_problem
from mapkit.sources.native import load_city_file
from mapkit.sources.reasonmap import load_reasonmap_city
from mapkit.sources.synthetic import station_names

# each was seen to cost a gold answer its marks (or to break the prompt) before it was refused
REFUSED = {
    "": "is empty",
    "   ": "is empty",
    "Upper\nLower": "spans several lines",
    "Carriage\rReturn": "spans several lines",
    "Para\u2029graph": "spans several lines",
    "Nul\x00l": "control character U+0000",
    "Tab\tx": "control character U+0009",
    "Bidi\u202eevil": "control character U+202E",
    "X \\boxed{y}": "a backslash",
    "Back\\": "a backslash",
    "Br{ace": "'{'",
    "Br}ace": "'}'",
    "Route Name: X": "field of a route answer",
    "Via Stops:": "field of a route answer",
    "North -- South": "field of a route answer",
    "None": "'no stops'",
    "...": "no letter or digit",
    "x" * (MAX_NAME_LENGTH + 1): "characters long",
}

# accepted, and every gold answer that names them scores full marks
ACCEPTED = [
    "Queen's Park", "St. John's Wood", "Jay St-MetroTech", "Köln Messe/Deutz", "北京西站", "Conca d'Oro",
    "Union (North)", "Plus+Sign", "Ürümqi Süd", "Dollar$ Mall", "7 Av", "Andover",
    "<answer>x</answer>", "Final answer: X", "Quote\"d", "Star*s",
    # list separators: the scorer keeps known names whole before it splits a list answer
    "e& Station", "Elephant and Castle", "Harbour, North", "Semi;colon", "一号线、二", "A & B",
]


@pytest.mark.parametrize("name", list(REFUSED), ids=[repr(n)[:20] for n in REFUSED])
def test_refused_names_say_why(name):
    why = name_problem(name)
    assert why is not None and REFUSED[name] in why


@pytest.mark.parametrize("name", ACCEPTED)
def test_accepted_names(name):
    assert name_problem(name) is None


def _city_doc(names: list[str]) -> dict:
    return {
        "format": "mapkit.city/1",
        "city": "names",
        "lines": [
            {"name": "Red", "stations": ["Alpha", names[0], "Bravo", "Charlie"]},
            {"name": "Blue", "stations": ["Delta", names[0], names[1], "Echo"]},
            {"name": names[2], "stations": ["Foxtrot", names[1], "Golf", "Hotel"]},
        ],
    }


@pytest.mark.parametrize("name", ACCEPTED)
def test_gold_answers_naming_accepted_names_score_full_marks(tmp_path, name):
    path = tmp_path / "names.json"
    path.write_text(json.dumps(_city_doc([name, name + " East", name + " Line"]), ensure_ascii=False))
    types = [f for f, fam in families().items() if not fam.needs_render]
    clear_graph_cache()
    try:
        items = list(generate_items([str(path)], types=types, n_per_type=40))
        wrong = []
        for it in items:
            b = score(it, "So the answer is \\boxed{" + it["answer_text"] + "}")
            if not (b.correct and b.accuracy == 1.0):
                wrong.append((it["type"], it["answer_text"], b.notes))
    finally:
        clear_graph_cache()
    named = [it for it in items if name in it["answer_text"]]
    assert len(items) > 100 and len(named) > 10  # the names do appear in gold answers
    assert wrong == []


@pytest.mark.parametrize(
    ("doc_change", "location"),
    [
        (lambda d: d["lines"][0]["stations"].__setitem__(1, "A {B}"), "$.lines[0].stations[1]"),
        (lambda d: d["lines"][1].__setitem__("name", "Blue\nLine"), "$.lines[1].name"),
        (lambda d: d.__setitem__("city", "  "), "$.city"),
        (lambda d: d.__setitem__("city", "../escape"), "$.city"),
        (lambda d: d.__setitem__("country", "a/b"), "$.country"),
    ],
)
def test_city_file_names_are_checked_with_their_place(tmp_path, doc_change, location):
    doc = _city_doc(["Mid", "Mid East", "Green"])
    doc_change(doc)
    path = tmp_path / "c.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(DataFileError) as info:
        load_city_file(path)
    assert info.value.location == location and str(path) in str(info.value)


def test_station_table_names_and_aliases_are_checked(tmp_path):
    doc = {
        "format": "mapkit.city/1",
        "city": "t",
        "stations": [{"id": "a", "name": "A"}, {"id": "b", "name": "B", "aliases": ["Bee", "B {old}"]}],
        "lines": [{"name": "L", "stations": ["a", "b"]}],
    }
    path = tmp_path / "t.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(DataFileError, match=r"\$\.stations\[1\]\.aliases\[1\]\): the station alias 'B \{old\}'"):
        load_city_file(path)


def test_reasonmap_station_and_line_names_are_checked(tmp_path):
    folder = tmp_path / "stations" / "nowhere"
    folder.mkdir(parents=True)
    bad_station = folder / "s.json"
    bad_station.write_text(json.dumps({"L1": ["A", "B \\boxed{C}"]}))
    with pytest.raises(DataFileError, match=r"line 'L1', station #2\): the station name 'B \\\\boxed\{C\}'"):
        load_reasonmap_city(bad_station, curation={})
    bad_line = folder / "l.json"
    bad_line.write_text(json.dumps({"L1 -- L2": ["A", "B"]}))
    with pytest.raises(DataFileError, match="the line name 'L1 -- L2' contains '--'"):
        load_reasonmap_city(bad_line, curation={})


@pytest.mark.parametrize(
    ("curation", "where"),
    [
        ({"renames": {"A": "None"}}, "renames.A"),
        ({"aliases": {"Alpha\nBeta": "A"}}, "aliases.Alpha\nBeta"),
        ({"station_names": {"a": "{A}"}}, "station_names.a"),
        ({"new_stations": {"Via Stops: X": "why"}}, "new_stations.Via Stops: X"),
    ],
)
def test_curation_names_are_checked(tmp_path, curation, where):
    folder = tmp_path / "stations" / "nowhere"
    folder.mkdir(parents=True)
    raw = folder / "c.json"
    raw.write_text(json.dumps({"L1": ["A", "B"]}))
    with pytest.raises(CurationError) as info:
        load_reasonmap_city(raw, curation={"city": "c", "country": "nowhere", **curation}, curation_path="c.yaml")
    assert info.value.location == where and "c.yaml" in str(info.value)


def test_synthetic_names_obey_the_rules():
    for seed in range(20):
        names = station_names(200, random.Random(seed))
        assert [n for n in names if name_problem(n)] == []


def test_every_shipped_curation_and_real_city_passes(load_real):
    from mapkit.sources import known_cities

    for city in ("beijing", "new_york", "toronto", "geneva", "singapore"):
        assert city in known_cities()
        g = load_real(city)
        bad = [(s.name, name_problem(s.name)) for s in g.stations.values() if name_problem(s.name)]
        bad += [(ln.name, name_problem(ln.name)) for ln in g.lines.values() if name_problem(ln.name)]
        assert bad == []


def test_the_name_rules_are_documented():
    text = (Path(__file__).resolve().parents[2] / "docs" / "curation.md").read_text(encoding="utf-8")
    assert "## Names" in text and "Elephant and Castle" in text and "e& Station" in text
