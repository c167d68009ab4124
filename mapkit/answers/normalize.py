"""Answer normalisers shared by every family's ``check`` (docs/scoring.md §2).

Each parser takes the *extracted* answer (see :mod:`mapkit.answers.extract`) and returns a value or
``None`` when the text is not one unambiguous answer of that kind. ``None`` is always wrong: a
hedge ("A or B", "yes/no", "3-4") never matches the gold.

Decisions (documented in docs/scoring.md):

* yes/no: ``yes``/``no``, ``true``/``false`` (the question reads "is it true that ...") and 是/否, any
  case, optionally followed by an explanation that does not deny the verdict ("yes, it is not").
* multiple choice: ``B``, ``b``, ``B)``, ``(B)``, ``B.``, ``Option B``, ``B) 12`` (the option's text must
  then agree with option B). A bare number is *not* accepted: the prompt asks for a letter.
* integers: digits, one English number word zero..twenty ("three") or a Chinese numeral (三, 两, 十二);
  exactly one distinct value ("3 lines" and "three (3)" are 3; "3 or 4" and "2.5" are None), with no
  bound, negation or hedge around it ("not 3", "at most 3", "3+", "~3", "maybe 3" are None).
* boxes: exactly four numbers ``[x0, y0, x1, y1]`` (brackets optional, commas or spaces), with
  ``x1 > x0`` and ``y1 > y0``; a fifth number, a word or a second box is not one box.
* colours: one name (compared by :func:`colour_key`) and/or one code (``#rrggbb``, ``#rgb``,
  ``rgb(r, g, b)``); two different codes are a hedge.
* station and line names: compared by *keys* that ignore case, spacing, punctuation, ReasonMap
  markers and generic words ("Station"/"站", "Line"/"号线"), and then only against the names and aliases
  stored in the item's gold (or the graph), never by fuzzy similarity.

Example:
    >>> parse_yes_no("True"), parse_choice("(c)"), parse_int("three")
    (True, 2, 3)
    >>> line_key("2号线") == line_key("Line 2")
    True
    >>> station_key("Dhoby Ghaut Station (Transfer Station)") == station_key("dhoby ghaut")
    True
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from mapkit.answers.extract import clean_box_content
from mapkit.names import parse_station_string

__all__ = [
    "ColourAnswer",
    "LineListMatch",
    "NUMBER_WORDS",
    "NameIndex",
    "clean_answer",
    "cjk_number",
    "colour_key",
    "line_key",
    "line_keys",
    "match_line_list",
    "match_name",
    "name_index",
    "negated",
    "parse_box",
    "parse_choice",
    "parse_colour",
    "parse_int",
    "parse_yes_no",
    "resolve_name",
    "set_overlap",
    "split_list",
    "station_key",
    "station_keys",
]

_WORDS_0_20 = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen"
NUMBER_WORDS = {w: i for i, w in enumerate((_WORDS_0_20 + " seventeen eighteen nineteen twenty").split())}  # noqa: SIM905
"""English number words accepted as integer answers (0-20: the range of every count in the data)."""

_YES = {"yes", "true", "是", "是的", "对", "正确"}
_NO = {"no", "false", "否", "不是", "不对", "错误", "不"}
_VERDICT_THEN_PUNCT = re.compile(
    r"^\W*(?:yes|no|true|false|是的|是|对|正确|不是|不对|错误|否|不)\W*?[,.;:!?/—–\-，。；：！？、]", re.I
)
# after a "yes": words that deny the statement ("yes, it is not"); a "no" that is not a determiner
_DENIAL = re.compile(
    r"\b(?:not|isn't|aren't|isnt|arent|doesn't|don't|doesnt|dont|false|never|neither|nor)\b"
    r"|\bno\b(?=\s*(?:$|[^\w\s]))|不是|不在|没有|否",
    re.I,
)
# after a "no": words that affirm it ("no, it is true" - but "not true" agrees)
_AFFIRM = re.compile(r"\byes\b|(?<!not )\btrue\b|是的|正确", re.I)


def clean_answer(text: str | None) -> str:
    """An extracted answer without decoration, trailing full stop or surrounding brackets/quotes.

    >>> clean_answer(" **Yes.** ")
    'Yes'
    """
    if text is None:
        return ""
    text = clean_box_content(unicodedata.normalize("NFKC", text))
    text = text.strip().rstrip("。.!！").strip()
    return text


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", text.casefold())


def parse_yes_no(text: str | None) -> bool | None:
    """``True`` for yes/true/是, ``False`` for no/false/否, ``None`` otherwise or when the answer
    contradicts itself.

    Words may follow the verdict only after punctuation ("No, they don't"): "no idea" is no answer.
    An explanation may use "no" as a word ("Yes, no change is needed") but must not deny its own
    verdict ("yes, it is not", "yes, no", "no, it is true").

    >>> parse_yes_no("Yes, both are on Line 2"), parse_yes_no("false"), parse_yes_no("yes/no")
    (True, False, None)
    >>> parse_yes_no("maybe") is None, parse_yes_no("no idea") is None, parse_yes_no("No.")
    (True, True, False)
    >>> parse_yes_no("是"), parse_yes_no("否"), parse_yes_no("Yes, no change is needed")
    (True, False, True)
    >>> parse_yes_no("yes, it is not") is None, parse_yes_no("No, that is not true")
    (True, False)
    """
    cleaned = clean_answer(text)
    words = _words(cleaned)
    if not words or words[0] not in _YES | _NO:
        return None
    if len(words) > 1 and not _VERDICT_THEN_PUNCT.match(cleaned):
        return None
    value = words[0] in _YES
    rest = cleaned[cleaned.casefold().find(words[0]) + len(words[0]) :]
    if (_DENIAL if value else _AFFIRM).search(rest):
        return None
    return value


_CHOICE_PATTERNS = (
    re.compile(r"^(?:option|choice|answer)?\s*[\(\[]?([a-z])[\)\]]?[.:]?$", re.I),
    re.compile(r"^(?:option|choice)?\s*[\(\[]?([a-z])[\)\].:]\s*(.+)$", re.I),
)


def parse_choice(text: str | None, *, n_options: int = 4, options: Sequence[object] | None = None) -> int | None:
    """The 0-based option index of a letter answer (A -> 0), or ``None``.

    With ``options`` given, an answer that repeats the option's text ("B) 12") must agree with it.

    >>> parse_choice("B"), parse_choice("Option d"), parse_choice("B) 12", options=[3, 12, 5, 7])
    (1, 3, 1)
    >>> parse_choice("B) 5", options=[3, 12, 5, 7]) is None
    True
    >>> parse_choice("A or B") is None, parse_choice("E") is None
    (True, True)
    """
    s = clean_answer(text)
    letters = "abcdefghijklmnopqrstuvwxyz"[:n_options]
    m = _CHOICE_PATTERNS[0].match(s)
    if m and m.group(1).lower() in letters:
        return letters.index(m.group(1).lower())
    m = _CHOICE_PATTERNS[1].match(s)
    if m and m.group(1).lower() in letters:
        idx = letters.index(m.group(1).lower())
        rest = m.group(2).strip()
        if options is None:
            # "A) or B)" is a hedge, not option A with a comment
            return None if re.search(r"\b[a-d]\b", rest, re.I) else idx
        if idx < len(options) and _words(str(options[idx])) == _words(rest):
            return idx
    return None


_NUM = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.]*\d)")
# a number qualified by a bound, a negation or a hedge is not that number ("not 5", "at most 5",
# "5 or fewer", "≥5", "5+", "~5", "maybe 5"): a policy must not earn the count by hedging round it
_QUALIFIERS = re.compile(
    r"\b(?:not|no|never|nor|or|more|less|fewer|least|most|than|over|under|above|below|about|around|roughly|"
    r"approx|approximately|nearly|almost|maybe|perhaps|probably|possibly|likely|plus|minus|few|several|some|"
    r"circa|ca|exceeds?|exceeding|beyond|within|max|min|maximum|minimum|upwards|unsure|guess|estimated?|"
    r"either|neither|unknown|up\s+to)\b"
    r"|[~≈≃∼≥≤><+±?]|不|约|大约|左右|以上|以下|至少|最多|超过|多于|少于|或|可能|也许|大概",
    re.I,
)
_CJK_DIGITS = dict(zip("零〇一二两三四五六七八九", (0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9)))
_CJK_NUM = re.compile(r"[零〇一二两三四五六七八九十]+")


def cjk_number(text: str) -> int | None:
    """The value of a Chinese numeral up to 99 (``二`` 2, ``两`` 2, ``十二`` 12, ``二十三`` 23), else ``None``.

    >>> cjk_number("三"), cjk_number("两"), cjk_number("十二"), cjk_number("二十"), cjk_number("一二") is None
    (3, 2, 12, 20, True)
    """
    if not text or _CJK_NUM.fullmatch(text) is None:
        return None
    if "十" not in text:
        return _CJK_DIGITS[text] if len(text) == 1 else None
    tens, _, ones = text.partition("十")
    if len(tens) > 1 or len(ones) > 1 or "十" in ones:
        return None
    t = 1 if not tens else _CJK_DIGITS.get(tens)
    o = 0 if not ones else _CJK_DIGITS.get(ones)
    return None if t is None or o is None else 10 * t + o


def parse_int(text: str | None) -> int | None:
    """One non-negative integer written with digits, as an English word (0-20) or a Chinese numeral
    (三, 两, 十二), else ``None``; a bound, negation or hedge around it is no answer.

    >>> parse_int("12 stops"), parse_int("three (3)"), parse_int("3.0"), parse_int("两条线")
    (12, 3, 3, 2)
    >>> parse_int("3 or 4") is None, parse_int("2.5") is None, parse_int("-1") is None
    (True, True, True)
    >>> [parse_int(t) for t in ("not 5", "at most 5", "5 or fewer", "≥5", "5+", "~5", "maybe 5")]
    [None, None, None, None, None, None, None]
    """
    s = clean_answer(text).replace(",", "")
    if _QUALIFIERS.search(s):
        return None
    values: set[int] = set()
    for tok in _NUM.findall(s):
        num = float(tok)
        if num < 0 or num != int(num):
            return None
        values.add(int(num))
    for w in _words(s):
        if w in NUMBER_WORDS:
            values.add(NUMBER_WORDS[w])
    for run in _CJK_NUM.findall(s):
        v = cjk_number(run)
        if v is None:
            return None
        values.add(v)
    return values.pop() if len(values) == 1 else None


# --- names -------------------------------------------------------------------------------------

# "Gul Circle MRT Station": the network's word before "Station" goes with it (not alone: KL's
# "Sentul (LRT)" and "Sentul (KTM)" are two stations)
_STATION_WORDS = re.compile(r"\b(?:(?:mrt|lrt|metro|subway|underground|tube)\s+)?(?:station|stn)\b\.?", re.I)
_NEGATION = re.compile(
    r"\b(?:not|nor|but|except|excluding|instead|rather|never|isn't|wasn't|maybe|perhaps|probably)\b|不是|而非|并非",
    re.I,
)


def negated(text: str) -> bool:
    """True when a name answer also denies, excludes or hedges ("Lorong Chuan (not Serangoon)",
    "Line 2 but not Line 4", "maybe Bugis"): it is not one plain name, so it names nothing.

    >>> negated("Lorong Chuan (not Serangoon)"), negated("Notting Hill Gate")
    (True, False)
    """
    return _NEGATION.search(unicodedata.normalize("NFKC", text)) is not None
_PARENS = re.compile(r"[\(（\[][^\)）\]]*[\)）\]]")
_PUNCT = re.compile(r"[\W_]+", re.UNICODE)


def _key(text: str) -> str:
    return _PUNCT.sub("", unicodedata.normalize("NFKC", text).casefold())


def station_keys(name: str) -> tuple[str, ...]:
    """Lookup keys of a station name, strictest first: full key, then without parenthesised parts.

    Markers are removed, then case, spaces, punctuation and the words "Station"/"站" are ignored.

    >>> station_keys("Jurong East (EW24) Station")
    ('jurongeastew24', 'jurongeast')
    >>> station_keys("西单站")
    ('西单',)
    """
    base = parse_station_string(name).name
    base = _STATION_WORDS.sub(" ", base).strip()
    if base.endswith("站") and len(base) > 1:
        base = base[:-1]
    full = _key(base)
    bare = _key(_STATION_WORDS.sub(" ", _PARENS.sub(" ", base)))
    keys = [k for k in (full, bare) if k]
    return tuple(dict.fromkeys(keys)) or (_key(name),)


def station_key(name: str) -> str:
    """The primary lookup key of a station name (see :func:`station_keys`).

    >>> station_key("Little Tokyo/Arts Dist.") == station_key("little tokyo arts dist")
    True
    """
    return station_keys(name)[0]


_LINE_WORDS = re.compile(
    r"\b(?:line|lines|metro|metrorail|subway|underground|mrt|lrt|route|linha|linea|ligne|linie|u-bahn|"
    r"train|trains|service|the)\b",
    re.I,
)


def line_keys(name: str) -> tuple[str, ...]:
    """Lookup keys of a line name: full key, then the core without generic words.

    "Line 2", "2号线", "二号线", "line2", "L2" and "2" share the core key ``2``; "Circle Line" has core
    ``circle``; New York's "A train" has core ``a``.

    >>> line_keys("Line 2"), line_keys("二号线"), line_keys("Metrorail Green Line"), line_keys("A train")
    (('line2', '2'), ('二号线', '2'), ('metrorailgreenline', 'green'), ('atrain', 'a'))
    """
    text = unicodedata.normalize("NFKC", name).strip()
    full = _key(text)
    core_text = _LINE_WORDS.sub(" ", text)
    core_text = re.sub(r"号线$|线$|号$", "", core_text.strip())
    n = cjk_number(core_text.strip())  # 二号线 = 2号线 = Line 2
    core = str(n) if n is not None else _key(core_text)
    m = re.fullmatch(r"(?:line|l)(\d+[a-z]?)", core)  # "line2", "L2"
    if m:
        core = m.group(1)
    return tuple(dict.fromkeys(k for k in (full, core) if k)) or (full,)


def line_key(name: str) -> str:
    """The core key of a line name (see :func:`line_keys`).

    >>> line_key("Line A") == line_key("A")
    True
    """
    return line_keys(name)[-1]


@lru_cache(maxsize=1 << 16)
def _keys(text: str, kind: str) -> tuple[str, ...]:
    # cached: the same gold and graph names are keyed for every response scored
    return line_keys(text) if kind == "line" else station_keys(text)


def match_name(text: str, names: Iterable[str], *, kind: str = "station") -> bool:
    """True when ``text`` names the same station (or line, ``kind="line"``) as one of ``names``.

    >>> match_name("Xidan", ["西单", "Xidan Station"])
    True
    >>> match_name("2号线", ["Line 2"], kind="line")
    True
    >>> match_name("Lorong Chuan (not Serangoon)", ["Lorong Chuan Station"])
    False
    """
    names = list(names)
    if negated(text) and not any(negated(n) for n in names):
        return False
    mine = set(_keys(text, kind))
    return any(mine & set(_keys(n, kind)) for n in names)


@dataclass(frozen=True)
class NameIndex:
    """Candidate names keyed once: ``{key: (ids, ...)}`` for :func:`resolve_name` (``kind`` fixed).

    Build it with :func:`name_index` when the same candidates resolve many names (a city graph
    scored for many responses): a lookup is then a few dict hits instead of keying every name.
    It also holds the candidates that contain a list separator ("e& Station", "Elephant and
    Castle"), so that :func:`split_list` keeps them whole.
    """

    kind: str
    ids_by_key: Mapping[str, tuple[str, ...]]
    negatable: bool = False
    """Some candidate name itself contains a negation word (then such a word is no contradiction)."""
    joined: frozenset[tuple[str, tuple[str, ...]]] = frozenset()
    """(key, separators) of every candidate name that a plain list split would cut in pieces."""
    max_parts: int = 1
    """Most pieces any of those names falls into (1 when there is none)."""

    def resolve(self, text: str) -> list[str]:
        """Ids that ``text`` names, strictest key first (see :func:`resolve_name`); none when the text
        also denies or hedges (:func:`negated`)."""
        if not self.negatable and negated(text):
            return []
        keys = _keys(text, self.kind)
        if self.joined and _separators(text):  # "Elephant & Castle" for "Elephant and Castle"
            keys = (*keys, *_keys(_canonical(text), self.kind))
        for key in keys:
            hits = self.ids_by_key.get(key)
            if hits:
                return list(hits)
        return []


def name_index(candidates: Mapping[str, Iterable[str]], *, kind: str = "station") -> NameIndex:
    """Index ``candidates`` (id -> names and aliases) by every key of every name, ids in order.

    >>> name_index({"l2": ["Line 2"]}, kind="line").resolve("2号线")
    ['l2']
    >>> sorted(name_index({"ec": ["Elephant and Castle"]}).joined), name_index({"u": ["Union"]}).joined
    ([('elephantcastle', ('&',))], frozenset())
    """
    out: dict[str, list[str]] = {}
    negatable = False
    joined: set[tuple[str, tuple[str, ...]]] = set()
    max_parts = 1
    for cid, names in candidates.items():
        for n in names:
            negatable = negatable or negated(n)
            for key in _keys(n, kind):
                ids = out.setdefault(key, [])
                if cid not in ids:
                    ids.append(cid)
            seps = _separators(n)
            if seps:
                # keyed as written with canonical separators too: "Elephant & Castle" names it
                keys = _keys(_canonical(n), kind)
                joined.update((key, seps) for key in keys)
                max_parts = max(max_parts, len(seps) + 1)
                for key in keys:
                    ids = out.setdefault(key, [])
                    if cid not in ids:
                        ids.append(cid)
    return NameIndex(kind, {k: tuple(v) for k, v in out.items()}, negatable, frozenset(joined), max_parts)


def resolve_name(
    text: str, candidates: Mapping[str, Iterable[str]] | NameIndex, *, kind: str = "station"
) -> list[str]:
    """Ids in ``candidates`` (id -> names and aliases, or a :class:`NameIndex`) that ``text`` names.

    Strictest key first: a full-key match wins over a looser one, so "Line 1" never also resolves to
    a "Line 1A" that shares a core; the caller decides what to do with several ids (usually: not an
    answer). A :class:`NameIndex` carries its own ``kind``.

    >>> resolve_name("line 2", {"l1": ["Line 1"], "l2": ["Line 2"]}, kind="line")
    ['l2']
    >>> resolve_name("Union", {"u": ["Union Station"], "v": ["Union Square"]})
    ['u']
    """
    index = candidates if isinstance(candidates, NameIndex) else name_index(candidates, kind=kind)
    return index.resolve(text)


_LIST_SEP = re.compile(r"(\s*(?:[,;，；、\n&]|\band\b)\s*)")
# separators a name may be written with interchangeably: "A & B" is "A and B", "A，B" is "A, B"
_SEP_CLASS = {"and": "&", "，": ",", "、": ",", "；": ";"}


def _sep_class(sep: str) -> str:
    sep = sep.strip() or "\n"
    return _SEP_CLASS.get(sep, sep)


@lru_cache(maxsize=1 << 16)
def _separators(name: str) -> tuple[str, ...]:
    # cached: every candidate name of a city is checked whenever an index of it is built
    return tuple(_sep_class(sep) for sep in _LIST_SEP.split(name)[1::2])


_CANONICAL_SEP = {"&": " & ", ",": ", ", ";": "; ", "\n": "\n"}


def _canonical(text: str) -> str:
    # one spelling per separator class, so "e and Station" and "e& Station" share their keys
    return _LIST_SEP.sub(lambda m: _CANONICAL_SEP[_sep_class(m.group(1))], text)


def _item(text: str) -> str:
    return text.strip(" .'\"")


def split_list(text: str | None, names: NameIndex | None = None) -> list[str]:
    """Items of a list answer: split on commas, semicolons, "and", "&", "、", line breaks.

    With ``names`` (the candidates the answer may name), a run of pieces that spells one candidate
    containing a separator is kept as one item, longest first: the run's strictest key must be a
    key of that name and its separators the name's ("&" = "and", "，" and "、" = ","; keys are taken
    with one spelling per separator, so "Elephant & Castle" also names "Elephant and Castle"). So a map's
    "e& Station" or "Elephant and Castle" is one item, while "Line 1 and Line 2" stays two unless a
    line is really called that (then the list is ambiguous and the name wins).

    >>> split_list("[Line 1, Line 2 and Line 4]")
    ['Line 1', 'Line 2', 'Line 4']
    >>> split_list("1号线、2号线")
    ['1号线', '2号线']
    >>> idx = name_index({"e": ["e& Station"], "u": ["Union"], "ec": ["Elephant and Castle"]})
    >>> split_list("Union, e& Station and Elephant and Castle", idx)
    ['Union', 'e& Station', 'Elephant and Castle']
    """
    s = clean_answer(text)
    s = s.strip("[]{}()")
    pieces = _LIST_SEP.split(s)
    if names is None or not names.joined:
        return [_item(p) for p in pieces[::2] if p and _item(p)]
    parts, seps = pieces[::2], pieces[1::2]
    out: list[str] = []
    i = 0
    while i < len(parts):
        end = i
        for j in range(min(len(parts) - 1, i + names.max_parts - 1), i, -1):
            span = _item("".join(p + q for p, q in zip(parts[i:j], seps[i:j])) + parts[j])
            sig = tuple(_sep_class(q) for q in seps[i:j])
            if span and (_keys(_canonical(span), names.kind)[0], sig) in names.joined:
                end = j
                break
        if end > i:
            out.append(span)
        elif _item(parts[i]):
            out.append(_item(parts[i]))
        i = end + 1
    return out


def set_overlap(predicted: Iterable[str], gold: Iterable[str]) -> float:
    """F1 overlap of two sets in [0, 1] (1.0 when both are empty): the partial credit of list answers.

    >>> set_overlap({"a", "b"}, {"a", "c"})
    0.5
    """
    p, g = set(predicted), set(gold)
    if not p and not g:
        return 1.0
    if not p or not g:
        return 0.0
    tp = len(p & g)
    return 2 * tp / (len(p) + len(g))


@dataclass(frozen=True)
class LineListMatch:
    """A list answer resolved against candidate names: ids found, unresolved items, repeats."""

    ids: tuple[str, ...]
    unknown: tuple[str, ...]
    repeated: tuple[str, ...]
    correct: bool
    detail: float

    @property
    def notes(self) -> tuple[str, ...]:
        out = []
        if self.unknown:
            out.append(f"not recognised: {', '.join(self.unknown)}")
        if self.repeated:
            out.append(f"listed twice: {', '.join(self.repeated)}")
        return tuple(out)


def match_line_list(
    text: str | None,
    gold_ids: Iterable[str],
    candidates: Mapping[str, Iterable[str]] | NameIndex,
    *,
    kind: str = "line",
) -> LineListMatch:
    """Score an order-insensitive list answer (lines, or stations with ``kind="station"``).

    ``candidates`` maps every id the answer may name (the gold ones and, ideally, the other lines
    of the city) to its names and aliases; a candidate whose name holds a separator ("e& Station")
    is read as one item (see :func:`split_list`). Correct = the resolved set equals the gold set with no
    unrecognised or repeated item; ``detail`` = F1 overlap, unrecognised and repeated items counting
    as wrong ones.

    >>> cands = {"l1": ["Line 1"], "l2": ["Line 2", "2号线"], "l4": ["Line 4"]}
    >>> m = match_line_list("2号线, Line 4", ["l2", "l4"], cands)
    >>> m.correct, m.detail
    (True, 1.0)
    >>> m = match_line_list("Line 2", ["l2", "l4"], cands)
    >>> m.correct, round(m.detail, 3)
    (False, 0.667)
    """
    gold = list(dict.fromkeys(gold_ids))
    index = candidates if isinstance(candidates, NameIndex) else name_index(candidates, kind=kind)
    found: list[str] = []
    unknown: list[str] = []
    repeated: list[str] = []
    for item in split_list(text, index):
        ids = index.resolve(item)
        if len(ids) != 1:
            unknown.append(item)
            continue
        if ids[0] in found:
            repeated.append(item)
            continue
        found.append(ids[0])
    correct = set(found) == set(gold) and not unknown and not repeated and bool(found)
    # F1 where unrecognised and repeated items count as false positives
    tp = len(set(found) & set(gold))
    listed = len(found) + len(unknown) + len(repeated)
    detail = 2 * tp / (listed + len(gold)) if listed + len(gold) else 0.0
    return LineListMatch(tuple(found), tuple(unknown), tuple(repeated), correct, 1.0 if correct else detail)


# --- boxes and colours (the visual families) ------------------------------------------------------

_BOX_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)"
_BOX = re.compile(rf"^({_BOX_NUMBER})(?:\s*,\s*|\s+)({_BOX_NUMBER})(?:\s*,\s*|\s+)({_BOX_NUMBER})"
                  rf"(?:\s*,\s*|\s+)({_BOX_NUMBER})$")


def parse_box(text: str | None) -> tuple[float, float, float, float] | None:
    """A bounding box ``(x0, y0, x1, y1)`` from ``[x0, y0, x1, y1]``, or ``None``.

    Exactly four numbers, separated by commas or spaces, optionally inside one pair of ``[]`` or
    ``()``; the box must have area (``x1 > x0``, ``y1 > y0``). Anything else is not one box: a fifth
    number, a word, two boxes ("[1, 2, 3, 4] or [5, 6, 7, 8]") - a hedge is no answer.

    >>> parse_box("[409, 489, 419.5, 499]"), parse_box("(1 2 3 4)")
    ((409.0, 489.0, 419.5, 499.0), (1.0, 2.0, 3.0, 4.0))
    >>> parse_box("[1, 2, 3, 4] or [5, 6, 7, 8]") is None, parse_box("[1, 2, 3]") is None
    (True, True)
    >>> parse_box("[30, 20, 10, 40]") is None  # x1 < x0: not a box
    True
    """
    s = clean_answer(text)
    if len(s) >= 2 and s[0] + s[-1] in ("[]", "()"):
        s = s[1:-1].strip()
    m = _BOX.match(s)
    if m is None:
        return None
    x0, y0, x1, y1 = (float(v) for v in m.groups())
    if not (x1 > x0 and y1 > y0):
        return None
    return x0, y0, x1, y1


_HEX_CODE = re.compile(r"#([0-9a-f]{6}|[0-9a-f]{3})(?![0-9a-z])", re.I)
_RGB_CODE = re.compile(r"\brgb\s*\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*\)", re.I)
_COLOUR_WORDS = re.compile(r"\b(?:colou?r(?:ed)?)\b", re.I)


def colour_key(name: str) -> str:
    """The lookup key of a colour name: case, spaces, hyphens and the word "colour"/"color" ignored,
    "gray" spelled "grey".

    >>> colour_key("Dark-Blue"), colour_key("light gray colour")
    ('darkblue', 'lightgrey')
    """
    text = _COLOUR_WORDS.sub(" ", unicodedata.normalize("NFKC", name))
    return _key(text).replace("gray", "grey")


class ColourAnswer(NamedTuple):
    """A colour answer: ``name`` (a :func:`colour_key`) and/or ``rgb``; either may be ``None``."""

    name: str | None
    rgb: tuple[int, int, int] | None


def parse_colour(text: str | None) -> ColourAnswer | None:
    """A colour answer: a name, a code (``#rrggbb``, ``#rgb``, ``rgb(r, g, b)``), or both ("red (#e41a1c)").

    Returns ``None`` when there is nothing, or two different codes (a hedge). The name part is
    returned as a :func:`colour_key`; whether it is a colour at all is the family's call (it compares
    it with the names the gold accepts, so "red or orange" is simply not one of them).

    >>> parse_colour("Dark blue")
    ColourAnswer(name='darkblue', rgb=None)
    >>> parse_colour("#E41A1C").rgb, parse_colour("red (#f00)")
    ((228, 26, 28), ColourAnswer(name='red', rgb=(255, 0, 0)))
    >>> parse_colour("#e41a1c or #377eb8") is None, parse_colour("") is None
    (True, True)
    """
    s = clean_answer(text)
    codes: set[tuple[int, int, int]] = set()
    for m in _HEX_CODE.finditer(s):
        h = m.group(1)
        if len(h) == 3:
            h = "".join(c * 2 for c in h)
        codes.add((int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)))
    for m in _RGB_CODE.finditer(s):
        r, g, b = (int(v) for v in m.groups())
        if max(r, g, b) > 255:
            return None
        codes.add((r, g, b))
    if len(codes) > 1:
        return None
    rest = _RGB_CODE.sub(" ", _HEX_CODE.sub(" ", s))
    name = colour_key(rest) or None
    if name is None and not codes:
        return None
    return ColourAnswer(name, next(iter(codes)) if codes else None)
