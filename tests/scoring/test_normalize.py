"""The shared normalisers: strict parsers (hedges are None) and name keys."""

from __future__ import annotations

import pytest

from mapkit.answers.normalize import (
    line_key,
    match_line_list,
    match_name,
    parse_choice,
    parse_int,
    parse_yes_no,
    resolve_name,
    set_overlap,
    split_list,
    station_key,
    station_keys,
)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("yes", True), ("Yes.", True), ("YES", True), ("**yes**", True), (r"\text{Yes}", True),
        ("true", True), ("True", True), ("no", False), ("No!", False), ("false", False),
        ("Yes, both are on Line 2", True), ("No, they are not", False),
        ("yes/no", None), ("yes or no", None), ("no, yes", None), ("maybe", None), ("", None), (None, None),
        ("y", None), ("correct", None), ("1", None), ("no idea", None), ("yes it is", None), ("No - never", False),
    ],
)  # fmt: skip
def test_parse_yes_no(text, value):
    assert parse_yes_no(text) is value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("A", 0), ("b", 1), ("C)", 2), ("(D)", 3), ("B.", 1), ("[C]", 2), ("Option B", 1), ("option (c)", 2),
        ("Choice D", 3), ("B) 12", 1), ("(B) 12", 1), (r"\text{B}", 1),
        ("A or B", None), ("A, B", None), ("A/B", None), ("A) or B)", None), ("E", None), ("12", None),
        ("", None), ("Because", None), ("AB", None),
    ],
)  # fmt: skip
def test_parse_choice(text, value):
    assert parse_choice(text) == value


def test_parse_choice_checks_the_repeated_option_text():
    options = [3, 12, 5, 7]
    assert parse_choice("B) 12", options=options) == 1
    assert parse_choice("B) 5", options=options) is None
    assert parse_choice("B", options=options) == 1
    assert parse_choice("E", n_options=5) == 4


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3", 3), ("03", 3), ("3.", 3), ("3.0", 3), ("12 stops", 12), ("There are 4 lines", 4), ("three", 3),
        ("Three (3)", 3), ("twenty", 20), ("zero", 0), ("1,000", 1000),
        ("3 or 4", None), ("3-4", None), ("2.5", None), ("-1", None), ("three or 4", None),
        ("none", None), ("", None), ("Line 3 has 5 stops", None),
    ],
)  # fmt: skip
def test_parse_int(text, value):
    assert parse_int(text) == value


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Dhoby Ghaut Station (Transfer Station)", "dhoby ghaut"),
        ("西单（换乘站）", "西单站"),
        ("Little Tokyo/Arts Dist", "little tokyo arts dist"),
        ("7 Av", "7Av"),
        ("Jurong East station", "Jurong-East"),
    ],
)
def test_station_keys_equal(a, b):
    assert station_key(a) == station_key(b)


def test_station_keys_levels():
    assert station_keys("Jurong East (EW24)") == ("jurongeastew24", "jurongeast")
    assert station_key("Union Square") != station_key("Union")


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Line 2", "2号线", True), ("Line 2", "2", True), ("Line 2", "line2", True), ("L2", "Line 2", True),
        ("Line A", "A", True), ("Circle Line", "circle", True), ("Metrorail Green Line", "Green Line", True),
        ("Line 1", "Line 10", False), ("Line 1", "Line 1A", False), ("North South Line", "North-South Line", True),
    ],
)  # fmt: skip
def test_line_keys(a, b, same):
    assert (line_key(a) == line_key(b)) is same


def test_match_and_resolve():
    assert match_name("Xidan", ["西单", "Xidan Station"])
    assert not match_name("Xizhimen", ["西单", "Xidan"])
    assert match_name("2号线", ["Line 2"], kind="line")
    lines = {"l1": ["Line 1"], "l1a": ["Line 1A"], "green": ["Green Line"], "mgreen": ["Metrorail Green Line"]}
    assert resolve_name("line 1", lines, kind="line") == ["l1"]
    assert resolve_name("Green Line", lines, kind="line") == ["green"]  # the full key wins
    assert sorted(resolve_name("Green", lines, kind="line")) == ["green", "mgreen"]  # ambiguous: the caller decides
    assert resolve_name("Purple", lines, kind="line") == []


def test_split_list():
    assert split_list("Line 1, Line 2 and Line 4") == ["Line 1", "Line 2", "Line 4"]
    assert split_list("[Line 1; Line 2]") == ["Line 1", "Line 2"]
    assert split_list("1号线、2号线，3号线") == ["1号线", "2号线", "3号线"]
    assert split_list("") == []


def test_match_line_list():
    cands = {"l1": ["Line 1"], "l2": ["Line 2", "2号线"], "l4": ["Line 4"]}
    m = match_line_list("Line 4, 2号线", ["l2", "l4"], cands)
    assert m.correct and m.detail == 1.0 and m.notes == ()
    m = match_line_list("Line 2, Line 2, Line 4", ["l2", "l4"], cands)
    assert not m.correct and m.repeated == ("Line 2",) and m.detail < 1
    m = match_line_list("Line 2, Line 4, Line 9", ["l2", "l4"], cands)
    assert not m.correct and m.unknown == ("Line 9",)
    m = match_line_list("Line 1, Line 2, Line 4", ["l2", "l4"], cands)
    assert not m.correct and m.detail == pytest.approx(0.8)
    m = match_line_list("", ["l2"], cands)
    assert not m.correct and m.detail == 0.0


def test_set_overlap():
    assert set_overlap([], []) == 1.0
    assert set_overlap(["a"], []) == 0.0
    assert set_overlap("ab", "ab") == 1.0
