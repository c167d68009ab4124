"""Label Studio labeling configs for mapkit's two review tasks, rendered per project.

* :func:`review_config` - *item review*: the map image, the question, the graph's answer as a
  pre-annotation in the control of the item's answer kind (:data:`ANSWER_KINDS`: yes/no, A-D, a
  number, a list of names, a route or other text); the reviewer confirms or corrects it and gives a
  verdict (valid / ambiguous / wrong) and a comment.
* :func:`localisation_config` - *station localisation*: a real map image and one keypoint label per
  station of the city's graph (``Label`` values are the display names, made unique with the station id
  where a name repeats), plus a ``+ missing station`` label whose per-point text box names a station the
  map shows and the graph lacks, and a text box for missing lines. What is added becomes a curation
  *proposal* (:mod:`mapkit.annotations.localisation`), never an edit.

Every name that comes from data is XML-escaped (a station called ``A & B "C"`` is a valid label), and
the control names below are the contract with :mod:`mapkit.annotations.pull`.

Example:
    >>> xml = review_config(["yesno", "number"])
    >>> 'name="answer_yesno"' in xml and 'name="answer_number"' in xml and 'answer_choice' not in xml
    True
    >>> labels = station_labels([("s1", "A & B"), ("s2", "Hub"), ("s3", "Hub")])
    >>> labels
    {'A & B': 's1', 'Hub (s2)': 's2', 'Hub (s3)': 's3'}
    >>> 'value="A &amp; B"' in localisation_config(labels)
    True
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from xml.sax.saxutils import quoteattr

__all__ = [
    "ANSWER_CONTROLS",
    "ANSWER_KINDS",
    "MISSING_STATION",
    "VERDICTS",
    "answer_kind",
    "localisation_config",
    "review_config",
    "station_labels",
]

ANSWER_KINDS = ("yesno", "choice", "number", "list", "route", "text")
"""How a reviewer writes an answer: yes/no, an option letter A-D, an integer, a list of names, a
route block, or free text (a station name, a colour, a box)."""

ANSWER_CONTROLS = {
    "yesno": "answer_yesno",
    "choice": "answer_choice",
    "number": "answer_number",
    "list": "answer_text",
    "route": "answer_text",
    "text": "answer_text",
}
"""The control (``from_name``) that holds each kind's answer."""

VERDICTS = ("valid", "ambiguous", "wrong")
"""The reviewer's verdict on the item as a question (``verdict`` control)."""

MISSING_STATION = "+ missing station"
"""The keypoint label for a station the map shows and the graph lacks (its name goes in ``new_station``)."""

_KIND_OF_TYPE = {
    "TorF1": "yesno",
    "TorF2": "yesno",
    "Counting1": "choice",
    "Counting2": "number",
    "Counting3": "number",
    "line_stations_count": "number",
    "planning": "route",
    "lines_at": "list",
    "terminals": "list",
}


def answer_kind(item_type: str, answer: object = None) -> str:
    """The answer kind of a question type (an unknown type with an integer answer: ``number``).

    >>> answer_kind("TorF2"), answer_kind("Counting1"), answer_kind("planning"), answer_kind("next_station")
    ('yesno', 'choice', 'route', 'text')
    >>> answer_kind("SomethingNew", 4)
    'number'
    """
    kind = _KIND_OF_TYPE.get(item_type)
    if kind is not None:
        return kind
    return "number" if isinstance(answer, int) and not isinstance(answer, bool) else "text"


def _attr(value: str) -> str:
    return quoteattr(value, {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


_REVIEW_HEAD = """<View>
  <Header value="$title"/>
  <Image name="map" value="$image" zoom="true" zoomControl="true" rotateControl="false"/>
  <Header value="Question" size="5"/>
  <Text name="question" value="$question"/>
  <Header value="Answer the graph gives: $graph_answer  (answer as: $answer_kind)" size="6"/>
"""

_CONTROLS = {
    "yesno": """  <Header value="Yes / no answer" size="6"/>
  <Choices name="answer_yesno" toName="question" choice="single-radio" showInline="true">
    <Choice value="yes"/>
    <Choice value="no"/>
  </Choices>
""",
    "choice": """  <Header value="Option" size="6"/>
  <Choices name="answer_choice" toName="question" choice="single-radio" showInline="true">
    <Choice value="A"/>
    <Choice value="B"/>
    <Choice value="C"/>
    <Choice value="D"/>
  </Choices>
""",
    "number": """  <Header value="Number" size="6"/>
  <Number name="answer_number" toName="question" min="0"/>
""",
    "text": """  <Header value="Answer as text (a list: names and commas; a route: the route block)" size="6"/>
  <TextArea name="answer_text" toName="question" rows="4" maxSubmissions="1" editable="true"/>
""",
}

_REVIEW_TAIL = """  <Header value="Is the item a good question?" size="5"/>
  <Choices name="verdict" toName="question" choice="single-radio" showInline="true" required="true">
    <Choice value="valid" hint="the question is clear and the answer above is right once corrected"/>
    <Choice value="ambiguous" hint="the map or the wording allows more than one answer"/>
    <Choice value="wrong" hint="the question itself is wrong (a station or line the map does not show)"/>
  </Choices>
  <TextArea name="comment" toName="question" rows="2" placeholder="Comment (what is wrong, where on the map)"
            maxSubmissions="1" editable="true"/>
</View>
"""


def review_config(kinds: Iterable[str]) -> str:
    """The item-review config with the answer controls of ``kinds`` (list, route and text share one box).

    Task data keys it reads: ``title``, ``image``, ``question``, ``graph_answer``, ``answer_kind``.
    """
    wanted = set(kinds)
    unknown = wanted - set(ANSWER_KINDS)
    if unknown:
        raise ValueError(f"unknown answer kinds {sorted(unknown)}")
    parts = [_REVIEW_HEAD]
    for kind in ("yesno", "choice", "number"):
        if kind in wanted:
            parts.append(_CONTROLS[kind])
    if wanted & {"list", "route", "text"}:
        parts.append(_CONTROLS["text"])
    parts.append(_REVIEW_TAIL)
    return "".join(parts)


def station_labels(stations: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Keypoint label -> station id for ``(id, display name)`` pairs: the name, or ``name (id)`` where
    several stations share a name (NYC's several ``7 Av``). Order kept; labels are unique."""
    counts = Counter(name for _, name in stations)
    out: dict[str, str] = {}
    for sid, name in stations:
        label = name if counts[name] == 1 and name != MISSING_STATION else f"{name} ({sid})"
        out[label] = sid
    return out


def localisation_config(labels: Mapping[str, str]) -> str:
    """The station-localisation config: a keypoint label per station (``labels`` from
    :func:`station_labels`), ``+ missing station`` with a per-point name box, and a missing-lines box.

    Task data keys it reads: ``title``, ``image``.
    """
    rows = "\n".join(f'    <Label value={_attr(label)} background="#e4002b"/>' for label in labels)
    return f"""<View>
  <Header value="$title"/>
  <Header value="Pick a station below, then click its marker on the map (zoom with the wheel). A station the
    map shows and the list lacks: pick '{MISSING_STATION}', click it and type its name and lines." size="6"/>
  <Filter name="find" toName="stations" minlength="0" placeholder="Find a station"/>
  <KeyPointLabels name="stations" toName="map" strokeWidth="2">
{rows}
    <Label value={_attr(MISSING_STATION)} background="#000000"/>
  </KeyPointLabels>
  <Image name="map" value="$image" zoom="true" zoomControl="true" maxWidth="100%"/>
  <View visibleWhen="region-selected" whenLabelValue={_attr(MISSING_STATION)}>
    <Header value="Name of the missing station; its lines after a semicolon (Foo; Line 2, Line 5)" size="6"/>
    <TextArea name="new_station" toName="map" perRegion="true" rows="1" editable="true"/>
  </View>
  <Header value="Lines the map shows and the list lacks, one per row: Line name: station, station, ..." size="6"/>
  <TextArea name="missing_lines" toName="map" rows="2" editable="true"/>
</View>
"""
