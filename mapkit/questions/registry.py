"""The family registry: one :class:`Family` per question type, looked up by the row's ``type``.

A family module builds its :class:`Family` and calls :func:`register` once at import;
:mod:`mapkit.questions` (the package, imported before any of its modules) imports every family
module, so lookups here always see them.

Example:
    >>> from mapkit.graph import toy_city
    >>> fam = get_family("TorF2")
    >>> item = fam.generate(toy_city(), 0, 0, fam.config_cls())
    >>> fam.check(item, item["answer_text"]).correct
    True
    >>> list(families())[:6]
    ['Counting1', 'Counting2', 'Counting3', 'TorF1', 'TorF2', 'planning']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mapkit.answers.checks import Correctness, Given
from mapkit.answers.extract import Extraction, extract_answer
from mapkit.errors import ConfigError, ItemError
from mapkit.graph.model import MetroGraph

__all__ = ["Family", "check", "derive", "families", "get_family", "register"]

Item = dict[str, Any]


def _unbounded(graph: MetroGraph, config: Any) -> int | None:
    return None


@dataclass(frozen=True)
class Family:
    """A question family.

    * ``generate(graph, seed, index, config) -> item | None``: item ``index`` under ``seed``,
      a pure function of its arguments (``None`` only when the city cannot ask it at all);
    * ``derive(item, graph) -> (answer, answer_text, gold)``: the truth recomputed from the graph
      for the question the row asks (its stations, lines and options);
    * ``check(item, extracted, given=None) -> Correctness``: an extracted answer against the row's gold,
      correctness and partial credit both (``given``: the whole response and the graph, for the families
      that grade more than the extracted answer);
    * ``extract(response) -> Extraction``: where the answer is in a response (default: the last box);
    * ``capacity(graph, config) -> int | None``: how many distinct questions the city offers
      (``None``: too many to matter); generation stops there unless repeats are asked for.
    """

    name: str
    version: int
    config_cls: type
    generate: Callable[[MetroGraph, int, int, Any], Item | None]
    derive: Callable[[Item, MetroGraph], tuple[Any, str, dict[str, Any]]]
    check: Callable[[Item, str | None, Given | None], Correctness]
    capacity: Callable[[MetroGraph, Any], int | None] = _unbounded
    description: str = ""
    extract: Callable[[str | None], Extraction] = extract_answer
    checks_unanswered: bool = False
    """True when ``check`` grades a response from which no answer was extracted too (Counting1's listed
    stops, a route answer's format); otherwise such a response is simply wrong."""
    needs_render: bool = False
    """True for the visual families (``localise``, ``line_colour``, ``station_at_point``): they ask about a
    rendered map's pixels, so they generate only when :mod:`mapkit.generate` renders the maps (capacity 0
    otherwise) and :func:`families` lists them only with ``with_render=True``."""


_REGISTRY: dict[str, Family] = {}


def register(family: Family) -> Family:
    """Add ``family`` to the registry (a second family with the same name is a bug)."""
    if family.name in _REGISTRY and _REGISTRY[family.name] is not family:
        raise ValueError(f"question family {family.name!r} is registered twice")
    _REGISTRY[family.name] = family
    return family


_FIRST = ("Counting1", "Counting2", "Counting3", "TorF1", "TorF2", "planning")
"""The published types lead every listing; mapkit's own families follow alphabetically."""


def families(*, with_render: bool = False) -> dict[str, Family]:
    """Every registered family by name: the ReasonMap(-Plus) types first, then the others by name.

    The visual families (``needs_render``) ask nothing without a rendered map, so they are listed
    only with ``with_render=True`` (what ``mapkit generate --render`` uses as its default types).

    >>> [n for n in families(with_render=True) if n not in families()]
    ['line_colour', 'localise', 'station_at_point']
    """
    order = sorted(_REGISTRY, key=lambda n: (_FIRST.index(n) if n in _FIRST else len(_FIRST), n))
    return {n: _REGISTRY[n] for n in order if with_render or not _REGISTRY[n].needs_render}


def get_family(name: str) -> Family:
    """The family called ``name``; raises :class:`ConfigError` listing the known names."""
    fam = _REGISTRY.get(name)
    if fam is None:
        lowered = {k.lower(): v for k, v in _REGISTRY.items()}
        fam = lowered.get(name.lower())
    if fam is None:
        raise ConfigError(f"Unknown question type {name!r}; known types: {', '.join(_REGISTRY)}.")
    return fam




def _family_of(item: Item) -> Family:
    name = item.get("type") if isinstance(item, dict) else None
    if not isinstance(name, str):
        raise ItemError("the item has no string 'type' field, so its question family is unknown.")
    try:
        return get_family(name)
    except ConfigError as e:
        raise ItemError(e.message) from None


def check(item: Item, extracted: str | None, given: Given | None = None) -> Correctness:
    """Score ``extracted`` against ``item`` with the family named by ``item["type"]``.

    >>> check({"type": "Counting3", "answer": 3, "answer_text": "3", "mapkit": {"gold": {"count": 3}}}, "3")
    Correctness(correct=True, detail=1.0, notes='')
    """
    return _family_of(item).check(item, extracted, given)


def derive(item: Item, graph: MetroGraph) -> tuple[Any, str, dict[str, Any]]:
    """Recompute ``(answer, answer_text, gold)`` of ``item`` from ``graph`` by its family."""
    return _family_of(item).derive(item, graph)
