"""The family skeleton: what every question family module shares, so a module holds only what differs.

A family module declares its identity once (:class:`Asker`: name, version, wordings), a config that
derives from :class:`FamilyConfig` (the wordings drawn per item, ``min_*``/``max_*`` bounds checked
from ``BOUNDS``), its candidate pool, its truth, and its check; :func:`pooled` turns "pool + how to ask
one candidate" into the registry's ``capacity`` and ``generate``:

* item ``i`` draws candidate ``i`` of a seeded permutation of the pool (:func:`~mapkit.questions.base.pick`:
  no repeats until the pool is used up), then its wording (its own seeded draw), then asks it;
* capacity is the pool's size.

:func:`pooled_strata` does the same for candidates in strata (answers balanced by construction);
families whose draws interleave (an option shuffle and the wording from one stream) use
:meth:`Asker.item` and :meth:`Asker.template` directly.

Example:
    >>> from dataclasses import dataclass
    >>> from mapkit.graph import toy_city
    >>> ASK = Asker("demo", 1, {"plain": "How many lines serve {stop}?"})
    >>> @dataclass(frozen=True)
    ... class DemoConfig(FamilyConfig):
    ...     ASKER = ASK
    ...     templates: tuple[str, ...] = ("plain",)
    >>> def ask(scene, sid, config):
    ...     n = len(scene.lines_at(sid))
    ...     return {"stop": scene.names[sid]}, {"answer": n, "answer_text": str(n), "station_ids": (sid,),
    ...                                         "difficulty_question": "easy"}
    >>> capacity, generate = pooled(ASK, lambda scene, config: scene.usable_list, ask)
    >>> item = generate(toy_city(), 0, 0, DemoConfig())
    >>> item["question"].startswith("How many lines serve"), capacity(toy_city(), DemoConfig()) == 12
    (True, True)
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, make_dataclass
from typing import Any, ClassVar

from mapkit.errors import ConfigError, ItemError
from mapkit.graph.model import MetroGraph
from mapkit.questions.base import (
    Scene,
    StrataTurn,
    build_item,
    check_templates,
    context,
    item_rng,
    pick,
    template_for,
)

__all__ = ["Asker", "FamilyConfig", "paired", "pooled", "pooled_strata", "row_ids", "templates_config"]

Item = dict[str, Any]


@dataclass(frozen=True)
class Asker:
    """A family's identity as its items carry it: ``name``, ``version`` and its wordings by template name."""

    name: str
    version: int
    templates: Mapping[str, str]

    def draw_pair(self, scene: Scene, pool: Sequence[Any], tag: str, seed: int, index: int) -> tuple[Any, ...] | None:
        """``(a, b, rng)``: pair ``index`` of ``pool`` (no repeats until it is used up) in an order drawn from
        the item's own random stream ``rng`` (which the family draws on further); ``None`` for an empty pool."""
        if not pool:
            return None
        a, b = pick(scene, pool, self.name, tag, seed, index)
        rng = item_rng(seed, self.name, index, city=scene.city)
        return (b, a, rng) if rng.random() < 0.5 else (a, b, rng)

    def template(self, config: Any, seed: int, index: int, scene: Scene) -> str:
        """The wording of item ``index`` (its own seeded draw; none when one wording is configured)."""
        return template_for(config.templates, seed, self.name, index, scene.city)

    def item(
        self, scene: Scene, template: str, seed: int, index: int, fields: Mapping[str, Any] | None = None, **row: Any
    ) -> Item:
        """The canonical row: the wording ``template`` filled with ``fields``; ``row``: the rest of
        :func:`~mapkit.questions.base.build_item`'s keywords (answer, answer_text, station_ids ...)."""
        question = self.templates[template].format(**(fields or {}))
        return build_item(
            scene, family=self.name, version=self.version, template=template, seed=seed, index=index,
            question=question, **row,
        )  # fmt: skip


@dataclass(frozen=True)
class FamilyConfig:
    """Base of a family's config dataclass: checks ``templates`` against ``ASKER``'s wordings and each
    ``(low field, high field, floor)`` of ``BOUNDS`` (``floor <= low <= high``, ``high`` may be ``None``).

    Subclasses declare their fields (``templates`` included) and may add a ``check()`` for the rest.
    """

    ASKER: ClassVar[Asker]
    BOUNDS: ClassVar[tuple[tuple[str, str, int], ...]] = ()
    INTERVALS: ClassVar[tuple[tuple[str, str], ...]] = ()
    """``(field, interval)``: the field's value must lie in the interval, written ``(0, 1]`` or ``[0, 1)``."""

    def __post_init__(self) -> None:
        name = self.ASKER.name
        for lo_name, hi_name, floor in self.BOUNDS:
            lo, hi = getattr(self, lo_name), getattr(self, hi_name)
            if lo < floor or (hi is not None and hi < lo):
                raise ConfigError(f"{name}: need {floor} <= {lo_name} <= {hi_name} (got {lo}, {hi}).")
        for fld, interval in self.INTERVALS:
            if not in_interval(getattr(self, fld), interval):
                raise ConfigError(f"{name}: {fld} must be in {interval} (got {getattr(self, fld)}).")
        self.check()
        check_templates(name, self.templates, tuple(self.ASKER.templates))  # type: ignore[attr-defined]

    def check(self) -> None:
        """Further checks of a subclass (raise :class:`ConfigError` naming the field)."""


def in_interval(value: float, interval: str) -> bool:
    """``value`` lies in ``interval`` (``(low, high]`` style; ``inf`` allowed).

    >>> in_interval(1.0, "(0, 1]"), in_interval(1.0, "[0, 1)"), in_interval(0.0, "[0, inf)")
    (True, False, True)
    """
    low, high = (float(x) for x in interval[1:-1].split(","))
    above = value >= low if interval[0] == "[" else value > low
    below = value <= high if interval[-1] == "]" else value < high
    return above and below


def templates_config(
    name: str, asker: Asker, default: str, base: type[FamilyConfig] = FamilyConfig
) -> type[FamilyConfig]:
    """The config class of a family whose only setting (beyond ``base``'s fields) is its wordings:
    ``templates`` (default ``(default,)``).

    >>> Demo = templates_config("DemoConfig", Asker("demo", 1, {"a": "?", "b": "!"}), "a")
    >>> Demo().templates, Demo(templates=("b",)).templates
    (('a',), ('b',))
    """
    cls = make_dataclass(
        name, [("templates", tuple[str, ...], field(default=(default,)))], bases=(base,), frozen=True,
        namespace={"ASKER": asker, "__doc__": f"{(base.__doc__ or '').strip()} ``templates``: wordings drawn per item."
                   if base is not FamilyConfig else "``templates``: wordings drawn per item."},
    )
    cls.__module__ = sys._getframe(1).f_globals.get("__name__", __name__)  # where the family defines it
    return cls


Pool = Callable[[Scene, Any], Sequence[Any]]
Ask = Callable[[Scene, Any, Any], "tuple[Mapping[str, Any], dict[str, Any]]"]


def pooled(
    asker: Asker, pool: Pool, ask: Ask, *, tag: Callable[[Any], str] = lambda config: "pool"
) -> tuple[Callable[[MetroGraph | Scene, Any], int], Callable[[MetroGraph | Scene, int, int, Any], Item | None]]:
    """``(capacity, generate)`` of a family that asks about one candidate of a pool per item.

    ``pool(scene, config)``: the candidates (cached by the family); ``ask(scene, candidate, config)``:
    ``(wording fields, build_item keywords)``; ``tag(config)``: names the pool's permutation (one per
    config that changes the pool).
    """

    def capacity(g: MetroGraph | Scene, config: Any) -> int:
        return len(pool(context(g), config))

    def generate(g: MetroGraph | Scene, seed: int, index: int, config: Any) -> Item | None:
        scene = g if type(g) is Scene else context(g)
        candidates = pool(scene, config)
        if not candidates:
            return None
        chosen = pick(scene, candidates, asker.name, tag(config), seed, index)
        return _ask_item(asker, ask, scene, chosen, config, seed, index)

    return capacity, generate


Strata = Callable[[Scene, Any], "Mapping[Any, Sequence[Any]]"]


def pooled_strata(
    asker: Asker, strata: Strata, ask: Ask, *, strict: bool = False
) -> tuple[Callable[[MetroGraph | Scene, Any], int], Callable[[MetroGraph | Scene, int, int, Any], Item | None]]:
    """``(capacity, generate)`` of a family whose candidates come in strata (answers balanced by
    construction): item ``i`` takes the candidate :func:`~mapkit.questions.base.stratified` gives it.

    ``strata(scene, config)``: candidates by stratum (cached by the family); ``ask`` as in :func:`pooled`.
    ``strict=True``: the strata strictly alternate (yes/no), so every stratum must be non-empty and the
    capacity is ``len(strata) * smallest``; otherwise the capacity is every candidate.
    """

    def capacity(g: MetroGraph | Scene, config: Any) -> int:
        sizes = [len(v) for v in strata(context(g), config).values()]
        return len(sizes) * min(sizes, default=0) if strict else sum(sizes)

    def generate(g: MetroGraph | Scene, seed: int, index: int, config: Any) -> Item | None:
        scene = g if type(g) is Scene else context(g)
        groups = strata(scene, config)
        # the turn of the strata, worked out once per strata mapping (the family caches that per city)
        key = (asker.name, "turn", id(groups))
        turn = scene.caches.get(key)
        if turn is None or turn[0] is not groups:
            turn = scene.caches[key] = (groups, StrataTurn(groups, strict))
        chosen = turn[1].draw(scene, asker.name, seed, index)
        if chosen is None:
            return None
        return _ask_item(asker, ask, scene, chosen[1], config, seed, index)

    return capacity, generate


PairAsk = Callable[[Scene, Any, Any, Any, Any], "tuple[str, Mapping[str, Any], dict[str, Any]]"]


def paired(
    asker: Asker, pool: Pool, tag: Callable[[Any], str], ask: PairAsk
) -> tuple[Callable[[MetroGraph | Scene, Any], int], Callable[[MetroGraph | Scene, int, int, Any], Item | None]]:
    """``(capacity, generate)`` of a family that asks about a pair of stations of a pool per item.

    Item ``i`` takes pair ``i`` of a seeded permutation of ``pool(scene, config)`` in an order drawn
    from its own random stream (:meth:`Asker.draw_pair`); ``ask(scene, a, b, rng, config)`` draws the
    rest from that stream (options, the wording) and returns ``(template, wording fields, build_item
    keywords)``. ``tag(config)`` names the permutation (one per config that changes the pool).
    """

    def capacity(g: MetroGraph | Scene, config: Any) -> int:
        return len(pool(context(g), config))

    def generate(g: MetroGraph | Scene, seed: int, index: int, config: Any) -> Item | None:
        scene = context(g)
        drawn = asker.draw_pair(scene, pool(scene, config), tag(config), seed, index)
        if drawn is None:
            return None
        template, fields, row = ask(scene, *drawn, config)
        return asker.item(scene, template, seed, index, fields, **row)

    return capacity, generate


def _ask_item(asker: Asker, ask: Ask, scene: Scene, chosen: Any, config: Any, seed: int, index: int) -> Item:
    # the wording is drawn after the candidate, each from its own seeded stream (none for one wording)
    templates = config.templates
    template = templates[0] if len(templates) == 1 else asker.template(config, seed, index, scene)
    fields, row = ask(scene, chosen, config)
    question = asker.templates[template].format(**(fields or {}))
    return build_item(
        scene, family=asker.name, version=asker.version, template=template, seed=seed, index=index,
        question=question, **row,
    )  # fmt: skip


def row_ids(item: Item, g: MetroGraph, stations: int = 0, lines: int | None = 0) -> tuple[str, ...]:
    """The row's ``stations`` station ids then ``lines`` line ids, each checked against ``g`` (the prologue
    of every ``derive``); :class:`ItemError` naming the row otherwise. ``lines=None``: the line ids are
    part of the answer (re-derived), so only the station ids are returned and checked.

    >>> from mapkit.graph import toy_city
    >>> row_ids({"mapkit": {"station_ids": ["a", "b"], "line_ids": ["red"]}}, toy_city(), 2, 1)
    ('a', 'b', 'red')
    >>> row_ids({"id": "x", "mapkit": {"station_ids": ["zz"], "line_ids": []}}, toy_city(), 1)
    Traceback (most recent call last):
    ...
    mapkit.errors.ItemError: x: station id(s) ['zz'] not in the graph.
    """
    m = item["mapkit"]
    sids, lids = tuple(m["station_ids"]), (tuple(m["line_ids"]) if lines is not None else ())
    if len(sids) != stations or len(lids) != (lines or 0):
        raise ItemError(f"{item.get('id')}: needs {stations} station id(s) and {lines} line id(s).")
    bad = [s for s in sids if s not in g.stations]
    if bad:
        raise ItemError(f"{item.get('id')}: station id(s) {bad} not in the graph.")
    bad = [x for x in lids if x not in g.lines]
    if bad:
        raise ItemError(f"{item.get('id')}: line id(s) {bad} not in the graph.")
    return sids + lids
