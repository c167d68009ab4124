"""Answer extraction: the one place that decides which part of a response is "the answer".

Rules (docs/scoring.md §1), in order:

1. **Boxed.** The last non-empty ``\\boxed{...}`` whose braces balance (nested braces are fine;
   ``\\{``/``\\}`` are literal). Empty boxes are skipped: they are echoes of the instruction
   ("put your answer in one \\boxed{}"), not answers. ``format_ok`` is True only here.
   Strictness: an unterminated last box (a truncated response) gives no answer; several non-empty
   boxes that disagree still grade the last one but lose ``format_ok`` (the prompt asks for *one*
   box, and hedging across boxes must not pay).
2. **Answer tag.** The last ``<answer>...</answer>``.
3. **Phrase.** The text after the last "the final answer is" / "the correct answer is" /
   "the answer should be" / "the answer is" / "final answer:" / "answer:" (case-insensitive), up to
   the end of that line.
4. Nothing: ``text is None``.

The box content is cleaned of LaTeX/markdown wrappers (``\\text{..}``, ``$``, ``**``) but keeps its
line breaks (route blocks are multi-line; ``\\\\`` becomes a line break). Whether the content is a
valid answer (one letter, one integer, ...) is the type's business, not extraction's.

Example:
    >>> extract_answer(r"Counting gives 3, so \\boxed{\\text{B}}.")
    Extraction(text='B', format_ok=True, method='boxed', notes=())
    >>> extract_answer("The answer is yes.").text
    'yes'
    >>> extract_answer(r"\\boxed{A} wait, no: \\boxed{C}").format_ok
    False
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Extraction", "clean_box_content", "extract_answer", "find_boxes", "listed_stops"]


@dataclass(frozen=True)
class Extraction:
    """What extraction found: ``text`` (None when nothing), whether the box format was followed, how."""

    text: str | None
    format_ok: bool
    method: str  # "boxed" | "tag" | "phrase" | "none"
    notes: tuple[str, ...] = ()


_BOX_OPEN = re.compile(r"\\?boxed\s*\{")
# wrappers whose argument is kept: \text{B} -> B
_WRAPPER = re.compile(r"\\(?:text|textbf|textit|texttt|textrm|mathrm|mathbf|mathit|mathsf|operatorname|mbox|emph)\s*\{")
_ANSWER_TAG = re.compile(r"<answer>(.*?)</answer>", re.S | re.I)
_PHRASES = (
    "the final answer is",
    "the correct answer is",
    "the answer should be",
    "the answer is",
    "final answer:",
    "answer:",
)


def _match_brace(text: str, start: int) -> int:
    """Index of the ``}`` closing the ``{`` just before ``start``, or -1 when it never closes."""
    depth = 1
    i = start
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in "{}":
            i += 2  # an escaped brace is a literal character, not structure
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def find_boxes(response: str) -> list[str | None]:
    """The raw contents of every ``\\boxed{...}`` in order; ``None`` for one that never closes.

    >>> find_boxes(r"\\boxed{a{b}c} and \\boxed{d")
    ['a{b}c', None]
    """
    out: list[str | None] = []
    pos = 0
    while True:
        m = _BOX_OPEN.search(response, pos)
        if m is None:
            return out
        end = _match_brace(response, m.end())
        if end < 0:
            out.append(None)
            return out  # everything after an unclosed brace is inside it
        out.append(response[m.end() : end])
        pos = end + 1


def _unwrap(text: str) -> str:
    """Replace ``\\text{X}``-style wrappers by ``X`` (nested wrappers too)."""
    while True:
        m = _WRAPPER.search(text)
        if m is None:
            return text
        end = _match_brace(text, m.end())
        if end < 0:
            return text[: m.start()] + text[m.end() :]
        text = text[: m.start()] + text[m.end() : end] + text[end + 1 :]


def clean_box_content(text: str) -> str:
    """Strip LaTeX and markdown decoration from an answer, keeping its line structure.

    >>> clean_box_content(r"$\\textbf{Line\\ 2}$, **Line 4**")
    'Line 2, Line 4'
    >>> clean_box_content("Route Name: Line 1 \\\\\\\\ Departure Stop: A")
    'Route Name: Line 1\\nDeparture Stop: A'
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _unwrap(text)
    text = re.sub(r"\\\\|\\newline\b", "\n", text)  # LaTeX line breaks inside a box
    for a, b in (("\\{", "{"), ("\\}", "}"), ("\\_", "_"), ("\\&", "&"), ("\\#", "#"), ("\\%", "%")):
        text = text.replace(a, b)
    text = re.sub(r"\\[,;:! ]|\\quad\b|\\qquad\b", " ", text)
    text = text.replace("$", "").replace("**", "").replace("`", "")
    lines = [re.sub(r"[ \t]+", " ", ln).strip() for ln in text.split("\n")]
    text = "\n".join(ln for ln in lines if ln)
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1].strip()
    return text


def _same(a: str, b: str) -> bool:
    return re.sub(r"\s+", "", a).casefold().rstrip(".") == re.sub(r"\s+", "", b).casefold().rstrip(".")


def _after_phrase(response: str) -> str | None:
    low = response.casefold()
    best = -1
    for phrase in _PHRASES:
        i = low.rfind(phrase)
        if i >= 0:
            best = max(best, i + len(phrase))
    if best < 0:
        return None
    rest = response[best:].lstrip(" \t:*")
    if rest.startswith("\n"):  # "Final answer:\n B": the answer is on the next line
        rest = rest.lstrip()
    line = rest.split("\n", 1)[0]
    line = clean_box_content(line).rstrip(".").strip()
    return line or None


def extract_answer(response: str | None) -> Extraction:
    """Find the answer in a model response by the rules in the module docstring.

    >>> extract_answer(r"\\boxed{}").text is None
    True
    >>> extract_answer(r"see \\boxed{} ... \\boxed{ 7 }")
    Extraction(text='7', format_ok=True, method='boxed', notes=())
    >>> extract_answer(r"so \\boxed{B").notes
    ('the last \\\\boxed{ is never closed (truncated response?)',)
    """
    if not isinstance(response, str) or not response.strip():
        return Extraction(None, False, "none", ("empty response",))
    boxes = find_boxes(response)
    if boxes:
        if boxes[-1] is None:
            return Extraction(None, False, "boxed", ("the last \\boxed{ is never closed (truncated response?)",))
        contents = [clean_box_content(b) for b in boxes if b is not None]
        filled = [c for c in contents if c]
        if not filled:
            return Extraction(None, False, "boxed", ("every \\boxed{} is empty",))
        last = filled[-1]
        distinct = [c for c in filled if not _same(c, last)]
        if distinct:
            return Extraction(
                last,
                False,
                "boxed",
                (f"{len(filled)} boxes with different answers; the last one is graded and the format is not met",),
            )
        return Extraction(last, True, "boxed")
    tags = _ANSWER_TAG.findall(response)
    if tags:
        text = clean_box_content(tags[-1])
        return Extraction(text or None, False, "tag", ("no \\boxed{}; used the last <answer> tag",))
    phrase = _after_phrase(response)
    if phrase is not None:
        return Extraction(phrase, False, "phrase", ("no \\boxed{}; used the text after 'the answer is'",))
    return Extraction(None, False, "none", ("no \\boxed{} and no answer phrase",))


_STOPS_LIST = re.compile(r"stops\s*:\s*\[", re.I)


def listed_stops(response: str | None) -> list[str] | None:
    """Station names listed as ``Stops: [a, b, c]`` (the last such list), or None when there is none.

    RewardMap's Counting1 detail reward reads this list; commas inside parentheses stay in the name.

    >>> listed_stops("Stops: [Roma, Areeiro (Metro), and Olaias]. So 3 stops.")
    ['Roma', 'Areeiro (Metro)', 'Olaias']
    >>> listed_stops("Stops: []")
    []
    >>> listed_stops("no list") is None
    True
    """
    if not isinstance(response, str):
        return None
    matches = list(_STOPS_LIST.finditer(response))
    if not matches:
        return None
    start = matches[-1].end()
    depth, end = 1, -1
    for i in range(start, len(response)):
        if response[i] == "[":
            depth += 1
        elif response[i] == "]":
            depth -= 1
            if depth == 0:
                end = i
                break
    if end < 0:
        return None
    tokens: list[str] = []
    buf: list[str] = []
    paren = 0
    for ch in response[start:end] + ",":
        if ch in "(（":
            paren += 1
        elif ch in ")）":
            paren = max(paren - 1, 0)
        if ch in ",，、;" and paren == 0:
            tok = clean_box_content("".join(buf)).strip(" .;\"'")
            tok = re.sub(r"^and\s+", "", tok, flags=re.I).strip()
            if tok and tok not in ("...", "…"):
                tokens.append(tok)
            buf = []
        else:
            buf.append(ch)
    return tokens
