"""The loaders under hostile input: only MapkitError escapes, and every message says where.

Random documents (hypothesis) go through the ReasonMap loader and the city-file loader; then each
known kind of bad input is checked for a message that names the file and the place in it.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mapkit.cli.app import main

from mapkit.errors import (
    CityNotFoundError,
    CurationError,
    DataFileError,
    DisconnectedNetworkWarning,
    MapkitError,
    SchemaViolationError,
)
from mapkit.graph.model import MetroGraph
from mapkit.io import load_document
from mapkit.sources import load_city
from mapkit.sources.native import load_city_file
from mapkit.sources.reasonmap import load_reasonmap_city

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))


def _write(directory: Path, name: str, text: str | bytes) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        text = text.encode("utf-8", "surrogatepass")
    path.write_bytes(text)
    return path


def _usable(g: MetroGraph) -> None:
    """A graph that loaded must also hash and serialise (no bad text slipped through)."""
    assert g.content_hash.startswith("sha256:")
    json.dumps(g.to_dict(), ensure_ascii=False).encode("utf-8")


def _only_mapkit_errors(load, path: Path) -> None:
    try:
        g = load(path)
    except MapkitError as err:
        assert str(path) in str(err), f"the message must name the file: {err}"
        return
    _usable(g)


# --- random documents ----------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)
station_strings = st.sampled_from(
    ["A", "B", "C", "a", "A (Transfer Station)", "B（换乘站）", "（换乘站）", " ", "", "D(Branch-starting Station)",
     "西单", "A\u00a0", "Ａ"]
) | st.text(max_size=6)
reasonmap_docs = st.dictionaries(st.text(max_size=5), st.lists(station_strings, max_size=6), max_size=4)

ids = st.sampled_from(["a", "b", "c", "A", "B", "", "a b"])
native_lines = st.fixed_dictionaries(
    {"name": st.sampled_from(["L1", "L2", "", "l1"])},
    optional={
        "id": ids,
        "stations": st.lists(ids, max_size=5),
        "loop": st.booleans() | st.none(),
        "branches": st.lists(
            st.fixed_dictionaries({"stations": st.lists(ids, max_size=4)}, optional={"loop": st.booleans()}),
            max_size=3,
        ),
        "color": st.sampled_from(["#ff0000", "red", ""]),
    },
)
native_stations = st.fixed_dictionaries(
    {"id": ids, "name": ids},
    optional={"coords": st.lists(st.floats() | st.integers(), max_size=3), "aliases": st.lists(ids, max_size=2)},
)
native_docs = st.fixed_dictionaries(
    {"format": st.sampled_from(["mapkit.city/1", "mapkit.city/2"]), "city": st.sampled_from(["t", ""]),
     "lines": st.lists(native_lines, max_size=3)},
    optional={"stations": st.lists(native_stations, max_size=4), "country": st.text(max_size=3), "meta": json_values},
)


@FUZZ
@given(doc=reasonmap_docs | json_values)
def test_reasonmap_loader_on_random_json(tmp_path_factory, doc):
    path = _write(tmp_path_factory.mktemp("rm") / "stations" / "nowhere", "city.json", json.dumps(doc))
    _only_mapkit_errors(lambda p: load_reasonmap_city(p, curation={}), path)


@FUZZ
@given(doc=native_docs | json_values, suffix=st.sampled_from([".json", ".yaml"]))
def test_city_file_loader_on_random_documents(tmp_path_factory, doc, suffix):
    text = json.dumps(doc) if suffix == ".json" else yaml.safe_dump(doc, allow_unicode=True)
    path = _write(tmp_path_factory.mktemp("native"), "city" + suffix, text)
    _only_mapkit_errors(load_city_file, path)


@FUZZ
@given(
    text=st.text(max_size=60) | st.binary(max_size=40).map(lambda b: b.decode("latin-1")),
    suffix=st.sampled_from([".json", ".yaml", ".yml"]),
)
def test_both_loaders_on_random_text(tmp_path_factory, text, suffix):
    d = tmp_path_factory.mktemp("text") / "stations" / "nowhere"
    path = _write(d, "city" + suffix, text)
    _only_mapkit_errors(lambda p: load_reasonmap_city(p, curation={}), path)
    _only_mapkit_errors(load_city_file, path)


@FUZZ
@given(raw=st.binary(max_size=80))
def test_both_loaders_on_random_bytes(tmp_path_factory, raw):
    path = _write(tmp_path_factory.mktemp("bytes") / "stations" / "nowhere", "city.json", raw)
    _only_mapkit_errors(lambda p: load_reasonmap_city(p, curation={}), path)
    _only_mapkit_errors(load_city_file, path)


# hostile inputs the random strategies rarely reach: each once, explicitly
HOSTILE = {
    "deep-array.json": "[" * 100_000 + "]" * 100_000,
    "deep-object.json": '{"a":' * 20_000 + "1" + "}" * 20_000,
    "deep.yaml": "[" * 100_000 + "]" * 100_000,
    "huge-int.json": "[" + "9" * 5000 + "]",
    "huge-int.yaml": "a: " + "9" * 5000 + "\n",
    "lone-surrogate.json": '{"L\\ud800": ["A", "B"]}',
    "bom.json": '\ufeff{"L": ["A", "B"]}',
    "not-utf8.json": b'{"L": ["\xff", "B"]}',
    "python-tag.yaml": "!!python/object/apply:os.system ['true']\n",
    "unhashable-key.yaml": "? [a, b]\n: [c, d]\n",
    "empty.json": "",
    "empty.yaml": "",
    "nan-coords.json": json.dumps(
        {"format": "mapkit.city/1", "city": "t", "stations": [{"id": "a", "name": "A", "coords": [float("nan"), 1]},
                                                              {"id": "b", "name": "B"}],
         "lines": [{"name": "L", "stations": ["a", "b"]}]}
    ),
    "overflow-coords.json": '{"format": "mapkit.city/1", "city": "t", "stations": [{"id": "a", "name": "A",'
    ' "coords": [1' + "0" * 400 + ', 1]}, {"id": "b", "name": "B"}], "lines": [{"name": "L", "stations": ["a", "b"]}]}',
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_documents(tmp_path, name):
    path = _write(tmp_path / "stations" / "nowhere", name, HOSTILE[name])
    for load in (lambda p: load_reasonmap_city(p, curation={}), load_city_file):
        with pytest.raises(DataFileError) as info:
            load(path)
        assert str(path) in str(info.value)


# --- each bad input, with its message --------------------------------------------------------


def test_unknown_city_suggests_close_names(reasonmap_dir):
    with pytest.raises(CityNotFoundError) as info:
        load_city("bejing", data_dir=reasonmap_dir)
    msg = str(info.value)
    assert "Unknown city 'bejing'" in msg and "beijing" in msg and "mapkit cities" in msg
    assert info.value.suggestions[0] == "beijing"


def test_malformed_json_names_file_line_and_column(tmp_path):
    path = _write(tmp_path / "stations" / "nowhere", "bad.json", '{\n  "L1": ["A", "B"],\n  "L2": ["C" "D"]\n}\n')
    for load in (lambda p: load_reasonmap_city(p, curation={}), load_city_file, load_document):
        with pytest.raises(DataFileError) as info:
            load(path)
        assert str(path) in str(info.value)
        assert "line 3, column 14" in str(info.value) and "invalid JSON" in str(info.value)


def test_malformed_yaml_names_file_line_and_column(tmp_path):
    path = _write(tmp_path, "bad.yaml", "format: mapkit.city/1\ncity: t\nlines:\n  - name: [L1\n")
    with pytest.raises(DataFileError) as info:
        load_city_file(path)
    assert str(path) in str(info.value) and re.search(r"line \d+, column \d+", str(info.value))


def test_schema_violation_names_the_json_path(tmp_path):
    doc = {"format": "mapkit.city/1", "city": "t", "lines": [{"name": "L1", "stations": ["A", "B", 3]}]}
    path = _write(tmp_path, "city.json", json.dumps(doc))
    with pytest.raises(SchemaViolationError) as info:
        load_city_file(path)
    assert info.value.location == "$.lines[0].stations[2]"
    assert f"{path} ($.lines[0].stations[2])" in str(info.value)


def test_reasonmap_shape_error_names_the_line(tmp_path):
    path = _write(tmp_path / "stations" / "nowhere", "c.json", json.dumps({"L1": ["A", "B"], "L2": "C, D"}))
    with pytest.raises(DataFileError) as info:
        load_reasonmap_city(path, curation={})
    assert f"{path} (line 'L2')" in str(info.value) and "list of station-name strings" in str(info.value)


def test_empty_line_reasonmap(tmp_path):
    path = _write(tmp_path / "stations" / "nowhere", "c.json", json.dumps({"L1": ["A", "B"], "L2": []}))
    with pytest.raises(DataFileError) as info:
        load_reasonmap_city(path, curation={})
    assert f"{path} (line 'L2')" in str(info.value) and "empty line" in str(info.value)


def test_empty_line_city_file(tmp_path):
    doc = {"format": "mapkit.city/1", "city": "t", "lines": [{"name": "L1", "stations": ["A", "B"]},
                                                             {"name": "L2", "stations": []}]}
    path = _write(tmp_path, "city.json", json.dumps(doc))
    with pytest.raises(DataFileError) as info:
        load_city_file(path)
    assert str(path) in str(info.value) and "line 'L2'" in str(info.value)


def test_city_file_spellings_of_one_slug_are_aliases(tmp_path):
    # no stations table: "A-B" and "A B" both slug to id a-b; the second spelling must stay findable
    doc = {"format": "mapkit.city/1", "city": "t", "lines": [
        {"name": "L1", "stations": ["A-B", "C"]},
        {"name": "L2", "stations": ["A B", "D"]},
        {"name": "L3", "stations": ["a-b", "E"]},  # same as the name up to case: not a new alias
    ]}
    g = load_city_file(_write(tmp_path, "city.json", json.dumps(doc)))
    st = g.station("A B")
    assert (st.id, st.name, st.aliases) == ("a-b", "A-B", ("A B",))
    assert g.station("A-B") == st and sorted(g.stations) == ["a-b", "c", "d", "e"]
    assert g.line("L2").station_ids == ("a-b", "d")
    path2 = tmp_path / "again.json"  # the alias survives a save/load round trip
    from mapkit.sources.native import save_city_file

    save_city_file(g, path2)
    assert load_city_file(path2).station("A B").id == "a-b"


def test_marker_only_station_has_an_empty_name(tmp_path):
    path = _write(tmp_path / "stations" / "nowhere", "c.json", json.dumps({"L1": ["A", "(Transfer Station)"]}))
    with pytest.raises(DataFileError, match=r"\(line 'L1'\): station #2 has an empty name"):
        load_reasonmap_city(path, curation={})


def test_line_names_that_differ_only_by_spaces(tmp_path):
    path = _write(tmp_path / "stations" / "nowhere", "c.json", json.dumps({"L1": ["A", "B"], "L1 ": ["B", "C"]}))
    with pytest.raises(DataFileError, match="'L1' appears twice"):
        load_reasonmap_city(path, curation={})


def test_station_twice_on_a_line_without_loop_flag(tmp_path):
    path = _write(tmp_path / "stations" / "nowhere", "c.json", json.dumps({"L1": ["A", "B", "C", "A"]}))
    with pytest.raises(DataFileError) as info:
        load_reasonmap_city(path, curation={})
    msg = str(info.value)
    assert str(path) in msg and "line 'L1'" in msg and "visits A twice" in msg and "loop" in msg
    # the same file loads once the curation flags the loop
    g = load_reasonmap_city(path, curation={"city": "c", "country": "nowhere", "loops": ["L1"]})
    assert g.line("L1").loop and g.line("L1").station_ids == ("a", "b", "c")


def test_station_twice_in_a_city_file(tmp_path):
    doc = {"format": "mapkit.city/1", "city": "t", "lines": [{"name": "L1", "stations": ["A", "B", "A"]}]}
    path = _write(tmp_path, "city.yaml", yaml.safe_dump(doc))
    with pytest.raises(DataFileError, match="visits A twice"):
        load_city_file(path)


def test_curation_naming_a_missing_station(tmp_path):
    path = _write(tmp_path / "stations" / "nowhere", "c.json", json.dumps({"L1": ["A", "B"], "L2": ["B", "C"]}))
    cur_path = tmp_path / "c.yaml"
    cases = [
        ({"renames": {"Zed": "Z"}}, "renames.Zed", "renames names station 'Zed'"),
        ({"aliases": {"Zed": "A"}}, "aliases.Zed", "aliases names station 'Zed'"),
        ({"splits": {"Zed": {"L1": ["z1"]}}}, "splits.Zed", "splits names station 'Zed'"),
        ({"loops": ["L9"]}, "loops", "loops names line 'L9'"),
        ({"branches": {"L1": [["A", "Zed"]]}}, "branches.L1[0]", "'Zed' is not a station of 'L1'"),
        ({"drop": {"L1": ["Zed"]}}, "drop.L1", "'Zed' is not a station of 'L1'"),
    ]
    for extra, location, words in cases:
        cur = {"city": "c", "country": "nowhere", **extra}
        with pytest.raises(CurationError) as info:
            load_reasonmap_city(path, curation=cur, curation_path=cur_path)
        assert info.value.location == location, extra
        assert str(info.value).startswith(f"{cur_path} ({location}): ") and words in str(info.value), str(info.value)


def test_disconnected_network_loads_and_warns_with_its_components(tmp_path):
    raw = {"L1": ["A", "B", "C"], "L2": ["C", "D"], "L3": ["X", "Y"]}
    path = _write(tmp_path / "stations" / "nowhere", "c.json", json.dumps(raw))
    g = load_reasonmap_city(path, curation={})
    assert g.components() == [["a", "b", "c", "d"], ["x", "y"]]
    with pytest.warns(DisconnectedNetworkWarning) as record:
        g.warn_if_disconnected()
    msg = str(record[0].message)
    assert "2 disconnected parts" in msg and "[L1, L2: 4 stations]" in msg and "[L3: 2 stations]" in msg
    # a connected city stays quiet
    ok = load_reasonmap_city(_write(tmp_path / "stations" / "nowhere", "ok.json", json.dumps(raw | {"L3": ["D", "X"]})),
                             curation={})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ok.warn_if_disconnected()


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(DataFileError, match="file not found"):
        load_city_file(tmp_path / "nope.json")
    (tmp_path / "dir.json").mkdir()
    with pytest.raises(DataFileError, match="cannot read"):
        load_reasonmap_city(tmp_path / "dir.json", curation={})


# --- the CLI: one `error:` paragraph, non-zero, no traceback ---------------------------------


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def _one_error_paragraph(err: str) -> str:
    text = err.strip()
    assert text.startswith("error: "), err
    assert text.count("error:") == 1 and "\n\n" not in text, err
    assert "Traceback" not in err
    return text


def test_cli_malformed_city_file(capsys, tmp_path):
    path = _write(tmp_path, "bad.json", '{"format": "mapkit.city/1",\n "city": }')
    code, out, err = _run(capsys, "city", "show", str(path))
    assert code == 2 and out == ""
    text = _one_error_paragraph(err)
    assert "bad.json" in text and "line 2, column 10" in text


def test_cli_unknown_city(capsys, reasonmap_dir):
    code, out, err = _run(capsys, "city", "show", "atlantis", "--data-dir", str(reasonmap_dir))
    assert code == 2 and "Traceback" not in out
    assert "Unknown city 'atlantis'" in _one_error_paragraph(err)


def test_cli_bad_synthetic_ref(capsys):
    code, _, err = _run(capsys, "city", "show", "synthetic:seven")
    assert code == 2
    assert "synthetic:<seed>:<lines>" in _one_error_paragraph(err)


def test_atomic_writes_get_ordinary_permissions(tmp_path):
    import os
    import stat

    from mapkit.io import write_jsonl, write_text_atomic

    umask = os.umask(0o022)
    try:
        p = tmp_path / "items.jsonl"
        write_jsonl(p, [{"a": 1}])
        assert stat.S_IMODE(p.stat().st_mode) == 0o644
        p.chmod(0o640)
        write_text_atomic(p, "replaced\n")  # a replaced file keeps its mode
        assert stat.S_IMODE(p.stat().st_mode) == 0o640
    finally:
        os.umask(umask)
