"""Reading an extracted answer: letters, integers, yes/no, name lists; and comparing names.

``check`` functions receive the text a model put inside ``\\boxed{}`` (the scorer extracts it);
these helpers read it leniently (case, spacing, a trailing "Station", "Line 2" vs "2") but never
guess: anything unreadable parses to ``None``.

Example:
    >>> parse_letter("(b) 4"), parse_int("There are 12 stops."), parse_yes_no("No.")
    (1, 12, False)
    >>> station_key("Dhoby Ghaut station") == station_key("dhoby  ghaut")
    True
    >>> line_key("Line 2") == line_key("2号线") == line_key("2")
    True
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from mapkit.names import name_key

__all__ = [
    "f1",
    "line_key",
    "parse_int",
    "parse_letter",
    "parse_yes_no",
    "split_names",
    "station_key",
]

_LETTER = re.compile(r"^\W*([A-Da-d])(?![A-Za-z])")
_OPTION_WORD = re.compile(r"^\s*(?:option|answer)\s*[:\s]\s*", re.IGNORECASE)
_INT = re.compile(r"-?\d+")
_NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        [
            "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
            "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
            "nineteen", "twenty",
        ]
    )
}
_YES = {"yes", "y", "true", "correct", "是", "对", "正确"}
_NO = {"no", "n", "false", "incorrect", "否", "不是", "错", "错误"}
_SPLIT = re.compile(r"\s*(?:,|;|、|，|；|\n|\band\b|&)\s*", re.IGNORECASE)
_STATION_SUFFIX = re.compile(r"(?:\s+station|\s+stn\.?|站)$")
_LINE_WORDS = re.compile(r"(?:\bline\b|号线|线|\bmetrorail\b|\bmetro\b|\bsubway\b)")


def parse_letter(text: str) -> int | None:
    """Option index 0-3 of an answer like ``B``, ``(b)``, ``B) 4``, ``Option C``; else ``None``.

    >>> parse_letter("D"), parse_letter("option a"), parse_letter("Because")
    (3, 0, None)
    """
    t = _OPTION_WORD.sub("", text.strip())
    m = _LETTER.match(t)
    return "abcd".index(m.group(1).lower()) if m else None


def parse_int(text: str) -> int | None:
    """The first integer in ``text`` (digits, or an English number word up to twenty).

    >>> parse_int("3"), parse_int("seven lines"), parse_int("none")
    (3, 7, None)
    """
    m = _INT.search(text)
    if m:
        return int(m.group())
    for word in re.findall(r"[a-z]+", text.lower()):
        if word in _NUMBER_WORDS:
            return _NUMBER_WORDS[word]
    return None


def parse_yes_no(text: str) -> bool | None:
    """``True``/``False`` for yes/no (true/false, 是/否); ``None`` when it says neither.

    >>> parse_yes_no(" Yes "), parse_yes_no("false"), parse_yes_no("maybe")
    (True, False, None)
    """
    t = text.strip().lower().strip(".!。 ")
    if t in _YES:
        return True
    if t in _NO:
        return False
    first = re.match(r"[a-z]+|[^\sa-z]", t)
    if first and first.group() in _YES:
        return True
    if first and first.group() in _NO:
        return False
    return None


def split_names(text: str) -> list[str]:
    """A list answer split on commas, semicolons, ``and``, ``、`` or newlines (blanks dropped).

    >>> split_names("Line 1, Line 2 and Line 4")
    ['Line 1', 'Line 2', 'Line 4']
    """
    return [p.strip(" .") for p in _SPLIT.split(text.strip()) if p.strip(" .")]


def station_key(name: str) -> str:
    """A comparison key for station names: case-folded, spaces collapsed, a trailing "Station" dropped.

    >>> station_key("西单站") == station_key("西单")
    True
    """
    k = name_key(name).strip(" .")
    k2 = _STATION_SUFFIX.sub("", k).strip()
    return k2 or k


def line_key(name: str) -> str:
    """A comparison key for line names: "Line 2", "line2", "2号线" and "2" compare equal.

    >>> line_key("Thomson East Coast Line") == line_key("thomson-east coast")
    False
    """
    k = name_key(name).strip(" .")
    k2 = re.sub(r"\s+", "", _LINE_WORDS.sub(" ", k))
    return k2 or re.sub(r"\s+", "", k)


def f1(predicted: Iterable[str], gold: Iterable[str]) -> float:
    """F1 of two sets of keys (1.0 for two empty sets).

    >>> round(f1(["a", "b"], ["a", "c"]), 3)
    0.5
    """
    p, g = set(predicted), set(gold)
    if not p and not g:
        return 1.0
    tp = len(p & g)
    if tp == 0:
        return 0.0
    return 2 * tp / (len(p) + len(g))
