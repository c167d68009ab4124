"""The parts of the round trip that need no server: configs, answers, resolution, paths, keys."""

from __future__ import annotations

import pytest
from label_studio_sdk.label_interface import LabelInterface
from mapkit.annotations.client import KEY_ENV, Connection, connect
from mapkit.annotations.configs import (
    ANSWER_KINDS,
    MISSING_STATION,
    localisation_config,
    review_config,
    station_labels,
)
from mapkit.annotations.items import Row, Truth, read_rows
from mapkit.annotations.push import image_ref
from mapkit.annotations.review import check_answer, human_answer, resolve, resolve_image, validate_result

from mapkit.errors import AnnotationError, ConfigError, DataFileError


def test_review_config_parses_and_validates_results_of_each_kind():
    li = LabelInterface(review_config(ANSWER_KINDS))
    ok = [
        {"from_name": "answer_yesno", "to_name": "question", "type": "choices", "value": {"choices": ["yes"]}},
        {"from_name": "answer_choice", "to_name": "question", "type": "choices", "value": {"choices": ["D"]}},
        {"from_name": "answer_number", "to_name": "question", "type": "number", "value": {"number": 4}},
        {"from_name": "answer_text", "to_name": "question", "type": "textarea", "value": {"text": ["A, B"]}},
        {"from_name": "verdict", "to_name": "question", "type": "choices", "value": {"choices": ["ambiguous"]}},
    ]
    assert validate_result(li, ok) == []
    bad = {"from_name": "answer_choice", "to_name": "question", "type": "choices", "value": {"choices": ["E"]}}
    assert validate_result(li, [bad])
    unknown = {"from_name": "nope", "to_name": "question", "type": "choices", "value": {"choices": ["yes"]}}
    assert validate_result(li, [unknown])
    assert validate_result(li, []) == ["the annotation has no result"]


def test_localisation_labels_are_escaped_unique_and_parse():
    hostile = [("s1", 'Gare "Nord" & <Sud>'), ("s2", "Hub"), ("s3", "Hub"), ("s4", MISSING_STATION)]
    labels = station_labels(hostile)
    assert list(labels) == ['Gare "Nord" & <Sud>', "Hub (s2)", "Hub (s3)", f"{MISSING_STATION} (s4)"]
    li = LabelInterface(localisation_config(labels))
    kp = {
        "from_name": "stations",
        "to_name": "map",
        "type": "keypointlabels",
        "original_width": 100,
        "original_height": 100,
        "value": {"x": 5, "y": 5, "width": 0.5, "keypointlabels": ['Gare "Nord" & <Sud>']},
    }
    assert validate_result(li, [kp]) == []
    kp["value"]["keypointlabels"] = ["Atlantis"]
    assert validate_result(li, [kp])


def test_human_answers_checked_by_the_scoring_code():
    # a lines_at item: the list in any order is right; part of it is not; no graph answer agrees with nothing
    from mapkit.graph import toy_city
    from mapkit.questions import get_family

    g = toy_city()
    fam = get_family("lines_at")
    real = next(it for i in range(20) if (it := fam.generate(g, 0, i, fam.config_cls())) and ", " in it["answer_text"])
    row = Row(real["id"], real, "mapkit", 1, "list")
    truth = Truth(real["answer"], real["answer_text"], real["mapkit"]["gold"], True)
    names = real["answer_text"].split(", ")
    assert check_answer(row, truth, ", ".join(reversed(names)))[0]
    assert not check_answer(row, truth, names[0])[0]
    assert not check_answer(row, Truth(None, None, None, False), names[0])[0]


def test_plus_answers_and_resolution():
    row = Row("c", {"type": "Counting1"}, "reasonmap-plus", 1, "choice")
    assert check_answer(row, Truth(2, "C", None, True), "c") == (True, "")
    assert check_answer(row, Truth(2, "C", None, True), "C or B")[0] is False
    assert resolve(["agrees", "ambiguous", "ambiguous"]) == "ambiguous"
    assert resolve(["agrees", "disagrees", "ambiguous"]) == "conflict"
    res = [
        {"from_name": "answer_number", "value": {"number": 3.0}},
        {"from_name": "verdict", "value": {"choices": ["valid"]}},
    ]
    assert human_answer(res, "number").answer == "3"


@pytest.mark.parametrize(
    "url",
    [
        "/data/local-files/?d=../secret.png",
        "/data/local-files/?d=/etc/passwd",
        "http://evil/data/local-files/?d=a.png",
        "/data/upload/1/a.png",
        "/data/local-files/?d=maps\\..\\x.png",
        "/data/local-files/?d=",
    ],
)
def test_export_image_paths_stay_inside_the_root(url, tmp_path):
    with pytest.raises(AnnotationError):
        resolve_image(url, tmp_path)
    assert resolve_image("/data/local-files/?d=maps/a/b.png", tmp_path) == tmp_path / "maps" / "a" / "b.png"


@pytest.mark.parametrize("figure", ["../maps/x.png", "/abs/x.png", "maps/x.png", "./maps/../../x.png"])
def test_row_figures_stay_inside_the_image_root(figure, tmp_path):
    with pytest.raises(DataFileError):
        image_ref(figure, tmp_path)


def test_key_comes_from_env_or_file_and_is_never_shown(monkeypatch, tmp_path):
    monkeypatch.delenv(KEY_ENV, raising=False)
    with pytest.raises(ConfigError, match=KEY_ENV):
        connect("http://127.0.0.1:1")
    key = "a" * 40
    f = tmp_path / "key"
    f.write_text(key + "\n")
    c = connect("http://127.0.0.1:1", api_key_file=f)
    assert c.api_key == key and key not in repr(c)
    with pytest.raises(AnnotationError) as e:
        c.call("listing projects", lambda: (_ for _ in ()).throw(OSError(f"refused with {key}")))
    assert key not in str(e.value) and "***" in str(e.value)
    assert isinstance(Connection("http://x/", key).url, str)


def test_read_rows_refuses_duplicate_ids(tmp_path):
    p = tmp_path / "dup.jsonl"
    p.write_text('{"id": "a", "type": "TorF1", "mapkit": {}}\n{"id": "a", "type": "TorF1", "mapkit": {}}\n')
    with pytest.raises(DataFileError, match="used twice"):
        read_rows(p)


def test_every_config_tag_that_needs_a_name_has_one():
    """The web UI refuses a control without ``name`` (a nameless Filter broke the map page once);
    ``LabelInterface`` does not notice, so check the XML itself."""
    import xml.etree.ElementTree as ET

    named = {"Filter", "Choices", "TextArea", "Number", "KeyPointLabels", "Image", "Text"}
    for xml in (review_config(ANSWER_KINDS), localisation_config(station_labels([("a", "A"), ("b", "B")]))):
        root = ET.fromstring(xml)
        missing = [el.tag for el in root.iter() if el.tag in named and not el.get("name")]
        assert missing == []
        assert all(el.get("toName") for el in root.iter() if el.tag in named - {"Image", "Text"})
