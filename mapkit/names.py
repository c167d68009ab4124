"""Station-name cleaning shared by every source: markers, whitespace, ids.

ReasonMap station strings carry markers (transfer, branch start) that may be chained and
may lack their leading space. :func:`parse_station_string` strips them and reports which
were present; :func:`slugify` turns a display name into a stable station or line id.

Example:
    >>> parse_station_string("Dhoby Ghaut Station (Transfer Station)")
    StationString(name='Dhoby Ghaut Station', transfer=True, branch_start=False)
    >>> parse_station_string("西单（换乘站）（支线起始站）")
    StationString(name='西单', transfer=True, branch_start=True)
    >>> slugify("Little Tokyo/Arts District Station")
    'little-tokyo-arts-district-station'
    >>> slugify("西单站")
    '西单站'
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

TRANSFER_MARKERS = ("（换乘站）", "(Transfer Station)")
BRANCH_MARKERS = ("（支线起始站）", "(Branch-starting Station)")

_SPACES = re.compile(r"\s+")
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)


class StationString(NamedTuple):
    """A raw station string split into its display name and marker flags."""

    name: str
    transfer: bool
    branch_start: bool


def normalize_name(name: str) -> str:
    """Collapse runs of whitespace and strip the ends (NFC-normalised).

    >>> normalize_name("  Union   Station ")
    'Union Station'
    """
    return _SPACES.sub(" ", unicodedata.normalize("NFC", name)).strip()


def parse_station_string(raw: str) -> StationString:
    """Strip the four ReasonMap markers (in any order, repeated) and normalise the name."""
    text = unicodedata.normalize("NFC", raw)
    transfer = branch = False
    changed = True
    while changed:
        changed = False
        for marker in TRANSFER_MARKERS:
            if marker in text:
                text = text.replace(marker, " ")
                transfer = changed = True
        for marker in BRANCH_MARKERS:
            if marker in text:
                text = text.replace(marker, " ")
                branch = changed = True
    return StationString(normalize_name(text), transfer, branch)


def slugify(name: str) -> str:
    """A lower-case id: runs of non-word characters become '-'; CJK characters are kept.

    >>> slugify("  7 Av ")
    '7-av'
    """
    text = unicodedata.normalize("NFKC", name).casefold()
    slug = _NON_WORD.sub("-", text).strip("-")
    slug = slug.replace("_", "-")
    return slug or "x"


def city_key(name: str) -> str:
    """The file-name key of a city reference: last path segment, lower case, spaces and '-' as '_'.

    Every command that takes a ReasonMap city name (``load_city``, ``mapkit data pull --city``)
    matches it with this key against the ``stations/<country>/<city>.json`` file names.

    >>> city_key(" New York ")
    'new_york'
    >>> city_key("china/Hong-Kong")
    'hong_kong'
    """
    return name.strip().split("/")[-1].strip().lower().replace(" ", "_").replace("-", "_")


def name_key(name: str) -> str:
    """The lookup key for a station or line name: normalised and case-folded.

    >>> name_key("Jurong  East station") == name_key("jurong east Station")
    True
    """
    return normalize_name(name).casefold()
