"""Answer extraction: the last balanced \\boxed{}, strict about empties, truncation and disagreement."""

from __future__ import annotations

import pytest

from mapkit.answers.extract import clean_box_content, extract_answer, find_boxes, listed_stops

# (response, text, format_ok, method)
CASES = [
    (r"\boxed{B}", "B", True, "boxed"),
    (r"reasoning ... \boxed{ 12 }.", "12", True, "boxed"),
    (r"\boxed{\text{yes}}", "yes", True, "boxed"),
    (r"$\boxed{\textbf{Line 2}, Line 4}$", "Line 2, Line 4", True, "boxed"),
    (r"\boxed{\{a\}}", "{a}", True, "boxed"),  # escaped braces are literal
    (r"\boxed{f(x)=\frac{1}{2}}", r"f(x)=\frac{1}{2}", True, "boxed"),  # nested braces balance
    (r"boxed{C}", "C", True, "boxed"),  # backslash lost in transit
    (r"\boxed {D}", "D", True, "boxed"),
    (r"\boxed{A} then again \boxed{A}", "A", True, "boxed"),  # repeats of one answer are fine
    (r"\boxed{A} no wait \boxed{C}", "C", False, "boxed"),  # disagreeing boxes: last graded, format lost
    (r"put it in \boxed{} ... \boxed{yes}", "yes", True, "boxed"),  # an echoed empty box is skipped
    (r"\boxed{}", None, False, "boxed"),
    (r"\boxed{   }", None, False, "boxed"),
    (r"\boxed{**  **}", None, False, "boxed"),
    (r"\boxed{A} and finally \boxed{B", None, False, "boxed"),  # truncated last box: no answer
    ("<answer>no</answer>", "no", False, "tag"),
    ("So the final answer is: 7.\nDone", "7", False, "phrase"),
    ("The answer is **yes**.", "yes", False, "phrase"),
    ("Answer:\nB", "B", False, "phrase"),
    ("I think the answer is A. Actually the correct answer is C.", "C", False, "phrase"),
    ("no answer here", None, False, "none"),
    ("", None, False, "none"),
    (None, None, False, "none"),
]


@pytest.mark.parametrize(("response", "text", "format_ok", "method"), CASES)
def test_extraction_table(response, text, format_ok, method):
    ex = extract_answer(response)
    assert (ex.text, ex.format_ok, ex.method) == (text, format_ok, method)


def test_notes_say_why():
    assert "never closed" in extract_answer(r"\boxed{B").notes[0]
    assert "different answers" in extract_answer(r"\boxed{A}\boxed{B}").notes[0]
    assert extract_answer(r"\boxed{A}").notes == ()


def test_route_block_keeps_its_lines():
    text = r"\boxed{Route Name: Line 1 \\ Departure Stop: A \\ Arrival Stop: B}"
    assert extract_answer(text).text == "Route Name: Line 1\nDeparture Stop: A\nArrival Stop: B"
    multi = "\\boxed{\nRoute Name: Line 1\nDeparture Stop: A\nArrival Stop: B\n}"
    assert extract_answer(multi).text == "Route Name: Line 1\nDeparture Stop: A\nArrival Stop: B"


def test_find_boxes_and_clean():
    assert find_boxes(r"\boxed{a}\boxed{b{c}}") == ["a", "b{c}"]
    assert find_boxes(r"\boxed{a") == [None]
    assert clean_box_content(r"\mathrm{\textbf{X}}") == "X"
    assert clean_box_content('"B"') == "B"


@pytest.mark.parametrize(
    ("response", "stops"),
    [
        ("Stops: [A, B, C]", ["A", "B", "C"]),
        ("stops:[A (North), B]", ["A (North)", "B"]),
        ("Stops: [A, and B.]", ["A", "B"]),
        ("Stops: [A, ...]", ["A"]),
        ("Stops: [X]\nLater: Stops: [Y, Z]", ["Y", "Z"]),  # the last list counts
        ("Stops: [A, B", None),  # never closed
        ("Stops: []", []),
        ("no list", None),
    ],
)
def test_listed_stops(response, stops):
    assert listed_stops(response) == stops
