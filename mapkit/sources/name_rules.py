"""What a station, line or city name may contain, so that prompts and answer scoring stay exact.

Names end up inside questions, inside gold answers (``\\boxed{...}``, route blocks, lists) and
back through :mod:`mapkit.scoring`. A name is refused (with the reason) when it

* is empty, or has no letter or digit at all;
* spans several lines or holds a control character (tab, NUL, a bidi override...);
* holds markup that answer extraction reads as structure: a backslash or a brace (``\\boxed{``);
* looks like a field of a route answer (``Departure Stop:``, ``Via Stops:``, `` --``) or is
  "None" (read as "no via stops");
* is longer than :data:`MAX_NAME_LENGTH` characters.

Refusing, rather than escaping, keeps every written name identical to the map's and the gold
answer's text; the ReasonMap data and the curation files shipped with mapkit pass these rules.

List separators are allowed: real maps print "e& Station", "Elephant and Castle" or "Harbour,
North". The scorer splits a list answer (lines, terminals, via stops) only after it has kept the
known names that contain ``,`` ``&`` ``;`` ``、`` ``，`` ``；`` or "and" whole
(:func:`mapkit.answers.normalize.split_list`).

Example:
    >>> name_problem("Jay St-MetroTech") is None, name_problem("Queen's Park") is None
    (True, True)
    >>> name_problem("e& Station") is None, name_problem("Elephant and Castle") is None
    (True, True)
    >>> name_problem("Line\\n2")
    'spans several lines'
"""

from __future__ import annotations

import re
import unicodedata

from mapkit.errors import DataFileError

MAX_NAME_LENGTH = 200
"""Longest accepted name, in characters (the longest ReasonMap name has under 60)."""

_LINE_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"
_BIDI = set("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_MARKUP = {"\\": "a backslash", "{": "'{'", "}": "'}'"}
_ROUTE_FIELD = re.compile(
    r"(route\s*name|departure\s*stop|arrival\s*stop|number\s*of\s*via\s*stops|via\s*stops)\s*\**\s*[:：]|\s-{2,}",
    re.I,
)


# every character one of the checks below refuses (line breaks, Cc controls, bidi marks, markup): a
# name without any - nearly every name - skips the per-character loop (a city load checks thousands)
_SUSPECT = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\\\\{}]")


def name_problem(name: object) -> str | None:
    """Why ``name`` cannot be a station, line or city name (see the module docstring), or None.

    >>> name_problem("北京西站") is None
    True
    >>> name_problem("  ")
    'is empty'
    >>> name_problem("X \\\\boxed{y}")
    'contains a backslash, which breaks \\\\boxed{} answers and prompts'
    """
    if not isinstance(name, str):
        return f"is not text ({type(name).__name__})"
    if not name.strip():
        return "is empty"
    if _SUSPECT.search(name) is None and len(name) <= MAX_NAME_LENGTH:
        return _word_problem(name)
    if any(ch in _LINE_BREAKS for ch in name):
        return "spans several lines"
    for ch in name:
        if ch in _BIDI or unicodedata.category(ch) == "Cc":
            return f"contains the control character U+{ord(ch):04X}"
    if len(name) > MAX_NAME_LENGTH:
        return f"is {len(name)} characters long (at most {MAX_NAME_LENGTH})"
    for ch, what in _MARKUP.items():
        if ch in name:
            return f"contains {what}, which breaks \\boxed{{}} answers and prompts"
    return _word_problem(name)


def _word_problem(name: str) -> str | None:
    """The checks of :func:`name_problem` on the words: route-answer fields, no letter, "None"."""
    m = _ROUTE_FIELD.search(name)
    if m:
        return f"contains {m.group(0).strip()!r}, which reads as a field of a route answer"
    if not any(ch.isalnum() for ch in name):
        return "has no letter or digit"
    if name.strip().casefold() in ("none", "n/a"):
        return f"is {name.strip()!r}, which route answers read as 'no stops'"
    return None


def check_name(name: object, *, kind: str, path: object, location: str | None = None) -> None:
    """Raise :class:`DataFileError` naming ``path`` and ``location`` when ``name`` breaks a rule.

    >>> check_name("A {B}", kind="station name", path="city.yaml", location="$.lines[0]")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mapkit.errors.DataFileError: city.yaml ($.lines[0]): the station name 'A {B}' contains '{', which ...
    """
    why = name_problem(name)
    if why is not None:
        raise DataFileError(
            f"the {kind} {name!r} {why}.",
            path=path,
            location=location,
            hint="Rename it (names appear verbatim in questions and gold answers).",
        )


def check_place_name(name: object, *, kind: str, path: object, location: str | None = None) -> None:
    """:func:`check_name` plus no path separators: city and country names become file and folder names.

    >>> check_place_name("../etc", kind="city name", path="c.json")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mapkit.errors.DataFileError: c.json: the city name '../etc' contains '/', ...
    """
    check_name(name, kind=kind, path=path, location=location)
    assert isinstance(name, str)
    for sep in ("/", "\\"):
        if sep in name:
            raise DataFileError(
                f"the {kind} {name!r} contains {sep!r}, which would make it a folder path.",
                path=path,
                location=location,
                hint="Use a plain name (maps are stored as <country>/<city>.png).",
            )
    if name.strip() in (".", ".."):
        raise DataFileError(f"the {kind} {name!r} is not a usable name.", path=path, location=location)
