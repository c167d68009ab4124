"""Generate question items for cities and stream them to JSONL.

* :func:`plan_items` - how many items of each type each city gets (``n_per_type`` capped at the
  number of distinct questions a city offers, unless ``repeats``), or the ``reasonmap-plus`` preset;
* :func:`generate_items` - the items, city by city, type by type, index 0, 1, 2 ... (item ``i`` of a
  family is a pure function of (city, seed, i, config), so the same call gives the same bytes);
* :func:`write_items` - the same, written atomically to a JSONL file, with a :class:`GenerationSummary`.

Rendered maps (``render=True``, ``mapkit generate --render``): each city is drawn once with
:func:`mapkit.render.render_city` (deterministic: same graph and style, same bytes) into
``<render_dir>/<country>/<city>.png`` with its manifest ``<city>.json`` beside it; ``render_dir``
defaults to the ``maps/`` folder beside the JSONL file, so every item's ``figure`` is the published
``./maps/<country>/<city>.png``, relative to the JSONL file's folder. The render is attached to the
city (:func:`mapkit.questions.maps.attach_render`): items point their ``figure`` at it, and the visual
families (``localise``, ``line_colour``, ``station_at_point``), which ask about its pixels, join the
default types. Without ``render`` nothing is drawn and the output is byte for byte what it was.

Preset ``reasonmap-plus``: ReasonMap-Plus's published plan over the 30 ReasonMap cities - 35
Counting1 and one Counting3 per city, and the published totals of Counting2 (970), TorF1 (1,039) and
TorF2 (929) spread evenly (the first cities in alphabetical order take the remainder); a city that
cannot ask as many distinct questions (Sydney has one line, so no TorF "no") passes its shortfall to
the other cities of its split, then to any city. 4,018 items over all 30 cities. The split (``test``
for the 11 published test cities, else ``train``) is stored in each item's ``mapkit.split``.

Example:
    >>> from mapkit.graph import toy_city
    >>> items = list(generate_items([toy_city()], types=["TorF1", "Counting2"], n_per_type=4, seed=1))
    >>> [it["type"] for it in items].count("TorF1"), items[0]["id"]
    (4, 'toyville:TorF1:1:0')
"""

from __future__ import annotations

import json
import os
import time
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mapkit.coverage import gate_capacities, not_asked_notes
from mapkit.errors import ConfigError, MapkitError
from mapkit.graph.model import MetroGraph
from mapkit.io import atomic_writer
from mapkit.questions import PLUS_TYPES, families, get_family
from mapkit.questions.base import context, no_gc, release, split_of
from mapkit.questions.maps import attach_render, detach_render, load_render, relative_ref

__all__ = [
    "PRESETS",
    "REASONMAP_CITIES",
    "GenerationSummary",
    "PlanEntry",
    "RenderOptions",
    "generate_items",
    "plan_items",
    "reasonmap_plus_quotas",
    "write_items",
]

PRESETS = ("reasonmap-plus",)

REASONMAP_CITIES = (
    "auckland", "beijing", "budapest", "changsha", "changzhou", "dalian", "dubai", "geneva", "guiyang",
    "hangzhou", "hefei", "huhehaote", "jinan", "kl", "kunming", "lisboa", "los_angeles", "miami",
    "nanchang", "nanning", "new_york", "oslo", "rome", "shanghai", "shenzhen", "singapore", "sydney",
    "toronto", "washington", "xian",
)
"""The 30 ReasonMap cities, alphabetical (the preset's reference order)."""

PLUS_PER_CITY = {"Counting1": 35, "Counting3": 1}
"""ReasonMap-Plus types with a fixed number of items per city."""
PLUS_TOTALS = {"Counting2": 970, "TorF1": 1039, "TorF2": 929}
"""ReasonMap-Plus types with a published total over the 30 cities."""

CityLike = str | MetroGraph


@dataclass(frozen=True)
class RenderOptions:
    """How :func:`plan_items` draws the maps: into ``render_dir/<country>/<city>.png`` (+ manifest),
    ``figure`` paths relative to ``items_dir`` (the JSONL file's folder), style ``style_from_seed(style_seed)``;
    ``force`` keeps a map that fails the legibility gate (the manifest records the failures).

    ``render_dir`` must be ``items_dir/maps`` or a folder inside it: figures are ``./maps/...`` paths
    (``schemas/item.schema.json``), and rows travel with their maps.

    >>> RenderOptions.for_items("out/items.jsonl").render_dir.as_posix()
    'out/maps'
    """

    render_dir: Path
    items_dir: Path
    style_seed: int | None = None
    force: bool = False

    @classmethod
    def for_items(
        cls,
        items_path: str | os.PathLike[str],
        render_dir: str | os.PathLike[str] | None = None,
        *,
        style_seed: int | None = None,
        force: bool = False,
    ) -> RenderOptions:
        """Options for items written to ``items_path`` (``render_dir`` default: ``maps/`` beside it)."""
        items_dir = Path(items_path).parent
        return cls(Path(render_dir) if render_dir is not None else items_dir / "maps", items_dir, style_seed, force)

    def check(self) -> None:
        """Raise :class:`ConfigError` unless ``render_dir`` is ``items_dir/maps`` or inside it.

        >>> RenderOptions(Path("out/maps/style-3"), Path("out")).check()
        >>> try:
        ...     RenderOptions(Path("elsewhere"), Path("out")).check()
        ... except ConfigError as e:
        ...     "not inside" in e.message
        True
        """
        ref = relative_ref(self.render_dir, self.items_dir)
        if ref != "./maps" and not ref.startswith("./maps/"):
            raise ConfigError(
                f"the render folder {self.render_dir} is not the items file's maps/ folder or a folder inside it: "
                f"item figures are ./maps/... paths relative to {self.items_dir}.",
                hint="Leave --render-dir out (maps/ beside the JSONL file), or use a folder inside it "
                "(e.g. maps/style-3 for a style variant).",
            )


def _render_options(
    render: bool | RenderOptions,
    render_dir: str | os.PathLike[str] | None,
    items_dir: str | os.PathLike[str] | None,
    style_seed: int | None,
    render_force: bool,
) -> RenderOptions | None:
    if isinstance(render, RenderOptions):
        return render
    if not render:
        if render_dir is not None or style_seed is not None or render_force:
            raise ConfigError("--render-dir, --style-seed and --force-render need --render.")
        return None
    if render_dir is None and items_dir is None:
        raise ConfigError("rendering maps needs render_dir (where the maps go) or items_dir (the items' folder).")
    rdir = Path(render_dir) if render_dir is not None else Path(items_dir) / "maps"  # type: ignore[arg-type]
    # without an items file, figures are relative to the folder holding the maps/ folder
    idir = Path(items_dir) if items_dir is not None else rdir.parent
    return RenderOptions(rdir, idir, style_seed, render_force)


def _render_maps(loaded: Sequence[tuple[str, MetroGraph]], opts: RenderOptions) -> None:
    """Draw each city once and attach the render to its graph (the families and ``figure`` read it)."""
    from mapkit.errors import LegibilityError
    from mapkit.render import render_city, style_from_seed

    opts.check()
    style = style_from_seed(opts.style_seed)
    drawn: dict[Path, tuple[str, MetroGraph]] = {}
    for ref, g in loaded:
        folder = opts.render_dir / g.country
        png = folder / f"{g.city}.png"
        seen = drawn.get(png)
        if seen is not None:
            if seen[1].content_hash != g.content_hash:
                raise ConfigError(f"{seen[0]!r} and {ref!r} are different graphs of the same map {png}.")
            attach_render(g, load_render(png, opts.items_dir))
            continue
        try:
            render_city(g, folder, style=style, force=opts.force, name=g.city)
        except LegibilityError as e:
            raise LegibilityError(
                e.message, hint="Pass --force-render (render_force=True) to keep it anyway (the manifest records "
                "the failures), or leave the city out."
            ) from None
        drawn[png] = (ref, g)
        attach_render(g, load_render(png, opts.items_dir))


@dataclass(frozen=True)
class PlanEntry:
    """``n`` items of ``family`` for ``city``; ``distinct``: the family's capacity there when repeats are
    not allowed (item indices from it on may repeat a question, so generation stops before it), else ``None``."""

    city: str
    family: str
    n: int
    distinct: int | None
    not_asked: str | None = None
    """Why the family is not asked about this city (its map coverage, :mod:`mapkit.coverage`), if so."""


@dataclass
class GenerationSummary:
    """Counts of what was generated: per type, per difficulty, per city, and answer balance."""

    total: int = 0
    by_type: Counter[str] = field(default_factory=Counter)
    by_city: Counter[str] = field(default_factory=Counter)
    by_split: Counter[str] = field(default_factory=Counter)
    difficulty: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    balance: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    shortfalls: list[str] = field(default_factory=list)
    not_asked: list[str] = field(default_factory=list)
    """``city: families (why)`` for the families left out because a city's graph is incomplete against its map."""
    maps: list[str] = field(default_factory=list)
    """Rendered maps the items point at (``figure`` paths), when the maps were drawn."""
    path: str | None = None
    seconds: float = 0.0

    def add(self, item: Mapping[str, Any]) -> None:
        """Count one item (cheap: a few counter increments)."""
        t = item["type"]
        self.total += 1
        self.by_type[t] += 1
        self.by_city[item["city"]] += 1
        self.by_split[item["mapkit"]["split"]] += 1
        self.difficulty[t][item["difficulty_question"]] += 1
        self.balance[t][balance_key(item)] += 1

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (for reports)."""
        return {
            "total": self.total,
            "by_type": dict(self.by_type),
            "by_city": dict(self.by_city),
            "by_split": dict(self.by_split),
            "difficulty": {k: dict(v) for k, v in self.difficulty.items()},
            "balance": {k: dict(v) for k, v in self.balance.items()},
            "shortfalls": list(self.shortfalls),
            "not_asked": list(self.not_asked),
            "maps": list(self.maps),
            "path": self.path,
            "seconds": round(self.seconds, 3),
        }


def balance_key(item: Mapping[str, Any]) -> str:
    """What "answer balance" means per type: the answer (yes/no, letter, count), transfers, list size.

    >>> balance_key({"type": "TorF1", "answer": 1, "answer_text": "yes"})
    'yes'
    >>> balance_key({"type": "planning", "answer": None, "answer_text": "...", "question_transfer_count": 2})
    '2 transfers'
    >>> balance_key({"type": "line_colour", "answer": None, "answer_text": "dark blue"})
    'dark blue'
    """
    if item["type"] == "planning":
        n = item["question_transfer_count"]
        return f"{n} transfer{'' if n == 1 else 's'}"
    if item["answer"] is not None:
        return str(item["answer_text"])
    if item["type"] == "line_colour":  # the colour names: how the answers spread over the vocabulary
        return str(item["answer_text"])
    if item["type"] == "localise":
        return "box"
    text = str(item["answer_text"])
    return f"{text.count(', ') + 1} names" if ", " in text else "1 name"


# --- plans --------------------------------------------------------------------------------------


def _even(total: int, cities: Sequence[str]) -> dict[str, int]:
    base, extra = divmod(total, len(cities))
    return {c: base + (1 if i < extra else 0) for i, c in enumerate(cities)}


def reasonmap_plus_quotas(capacity: Mapping[str, Mapping[str, int | None]]) -> dict[tuple[str, str], int]:
    """The preset's item counts per (city, type), given each city's capacity per type.

    Reference quotas are computed over the 30 ReasonMap cities (a city outside them gets an even
    share as if it were one more); each quota is capped at the city's capacity and the shortfall
    goes round-robin to cities of the same split with room, then to any city with room.

    >>> caps = {c: {t: 10**6 for t in ("Counting1", "Counting2", "Counting3", "TorF1", "TorF2")}
    ...         for c in REASONMAP_CITIES}
    >>> q = reasonmap_plus_quotas(caps)
    >>> sum(q.values()), q[("auckland", "Counting1")], q[("auckland", "Counting2")], q[("xian", "Counting2")]
    (4018, 35, 33, 32)
    """
    cities = sorted(capacity)
    ref = list(REASONMAP_CITIES)
    out: dict[tuple[str, str], int] = {}
    for t in PLUS_TYPES:
        if t in PLUS_PER_CITY:
            want = dict.fromkeys(cities, PLUS_PER_CITY[t])
        else:
            shares = _even(PLUS_TOTALS[t], ref)
            want = {c: shares.get(c, round(PLUS_TOTALS[t] / len(ref))) for c in cities}
        cap = {c: capacity[c].get(t) for c in cities}
        room = {c: (10**12 if cap[c] is None else int(cap[c])) for c in cities}  # type: ignore[arg-type]
        got = {c: min(want[c], room[c]) for c in cities}
        if t not in PLUS_PER_CITY or t == "Counting1":
            for c in cities:
                short = want[c] - got[c]
                for pool in ([d for d in cities if split_of(d) == split_of(c)], cities):
                    while short > 0:
                        takers = [d for d in pool if got[d] < room[d]]
                        if not takers:
                            break
                        for d in takers:
                            if short == 0:
                                break
                            got[d] += 1
                            short -= 1
        for c in cities:
            out[(c, t)] = got[c]
    return out


def _load(
    cities: Iterable[CityLike], data_dir: str | os.PathLike[str] | None, skip_broken: bool
) -> list[tuple[str, MetroGraph]]:
    from mapkit.sources import load_city

    out = []
    for ref in cities:
        if isinstance(ref, MetroGraph):
            out.append((context(ref).city_ref, ref))
            continue
        try:
            g = load_city(ref, data_dir=data_dir)
        except MapkitError as e:
            if not skip_broken:
                raise
            warnings.warn(f"skipping {ref}: {e}", stacklevel=3)
            continue
        if ref.strip() == "demo":  # store what demo means today, so the row reloads the same city later
            from mapkit.sources import DEMO_CITY

            ref = DEMO_CITY
        context(g, city_ref=ref)
        out.append((ref, g))
    return out


def _configs(types: Sequence[str], configs: Mapping[str, Any] | None) -> dict[str, Any]:
    out = {}
    for t in types:
        fam = get_family(t)
        cfg = (configs or {}).get(fam.name)
        if cfg is None:
            cfg = fam.config_cls()
        elif not isinstance(cfg, fam.config_cls):
            raise ConfigError(f"the config for {fam.name} must be a {fam.config_cls.__name__}.")
        out[fam.name] = cfg
    return out


def plan_items(
    cities: Sequence[CityLike] | None = None,
    *,
    types: Sequence[str] | None = None,
    n_per_type: int = 100,
    preset: str | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    configs: Mapping[str, Any] | None = None,
    repeats: bool = False,
    skip_broken: bool = False,
    render: bool | RenderOptions = False,
    render_dir: str | os.PathLike[str] | None = None,
    items_dir: str | os.PathLike[str] | None = None,
    style_seed: int | None = None,
    render_force: bool = False,
) -> list[tuple[MetroGraph, PlanEntry]]:
    """Load the cities and decide how many items of each type each gets (see the module docstring).

    ``render``: draw each city's map first (see the module docstring; ``render_dir``, ``items_dir``,
    ``style_seed``, ``render_force`` or a :class:`RenderOptions`) and attach it to the graph, which the
    visual families need (without it, asking for one is a :class:`ConfigError`). The renders stay
    attached to the returned graphs until their items are generated.

    >>> from mapkit.graph import toy_city
    >>> [(e.family, e.n) for _, e in plan_items([toy_city()], types=["Counting3", "TorF2"], n_per_type=5)]
    [('Counting3', 1), ('TorF2', 5)]
    """
    opts = _render_options(render, render_dir, items_dir, style_seed, render_force)
    if n_per_type < 0:
        raise ConfigError("--n must be zero or more.")
    if preset is not None and preset not in PRESETS:
        raise ConfigError(f"Unknown preset {preset!r}; presets: {', '.join(PRESETS)}.")
    if preset == "reasonmap-plus":
        if types and set(get_family(t).name for t in types) != set(PLUS_TYPES):
            raise ConfigError("--preset reasonmap-plus fixes the types (Counting1-3, TorF1-2); drop --types.")
        types = list(PLUS_TYPES)
    names = [get_family(t).name for t in (types or list(families(with_render=opts is not None)))]
    if len(set(names)) != len(names):
        raise ConfigError(f"a type is listed twice in {', '.join(names)}.")
    visual = [t for t in names if get_family(t).needs_render]
    if visual and opts is None:
        raise ConfigError(
            f"{', '.join(visual)} ask about a rendered map: add --render (render=True) to draw the maps."
        )
    cfgs = _configs(names, configs)
    if cities is None:
        cities = list(REASONMAP_CITIES) if preset == "reasonmap-plus" else ["demo"]
    loaded = _load(cities, data_dir, skip_broken)
    if opts is not None:
        try:
            _render_maps(loaded, opts)
        except BaseException:
            for _, g in loaded:  # a caller's graphs go back without a half-done set of maps
                detach_render(g)
            raise
    caps = {ref: {t: get_family(t).capacity(g, cfgs[t]) for t in names} for ref, g in loaded}
    gated = gate_capacities(loaded, caps)  # families a city's incomplete graph cannot answer for its map
    if preset == "reasonmap-plus":
        by_city = {g.city: ref for ref, g in loaded}
        quotas = reasonmap_plus_quotas({g.city: caps[ref] for ref, g in loaded})
        want = {(by_city[c], t): n for (c, t), n in quotas.items()}
    else:
        want = {(ref, t): n_per_type for ref, _ in loaded for t in names}
    plan = []
    for ref, g in loaded:
        for t in names:
            cap = caps[ref][t]
            n = want[(ref, t)]
            if preset is None and not repeats and cap is not None:
                n = min(n, cap)
            why = gated.get((ref, t))
            plan.append((g, PlanEntry(g.city, t, 0 if why else n, None if repeats else cap, why)))
    return plan


# --- generation ---------------------------------------------------------------------------------

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
""":func:`mapkit.io.dumps_canonical`'s encoder, built once (``json.dumps`` with options builds one per call)."""


def _write_jsonl_fast(path: str | os.PathLike[str], rows: Iterable[dict[str, Any]], batch: int = 512) -> int:
    """:func:`mapkit.io.write_jsonl`'s bytes (atomic, one compact line per row), written in batches."""
    encode = _ENCODER.encode
    n = 0
    with atomic_writer(path) as fh:
        buf: list[str] = []
        for row in rows:
            buf.append(encode(row))
            if len(buf) >= batch:
                fh.write("\n".join(buf) + "\n")
                n += len(buf)
                buf.clear()
        if buf:
            fh.write("\n".join(buf) + "\n")
            n += len(buf)
    return n


def _run(
    plan: list[tuple[MetroGraph, PlanEntry]], seed: int, cfgs: Mapping[str, Any], shortfalls: list[str] | None
) -> Iterator[dict[str, Any]]:
    last: MetroGraph | None = None
    try:
        for g, entry in plan:
            if last is not None and last is not g:
                release(last)  # a finished city's pools and route trees are not needed again
            last = g
            fam = get_family(entry.family)
            cfg = cfgs[entry.family]
            gen = fam.generate
            made, i, limit = 0, 0, 2 * entry.n + 16
            if entry.distinct is not None:
                limit = min(limit, entry.distinct)  # past the capacity a family may repeat a question
            while made < entry.n and i < limit:
                item = gen(g, seed, i, cfg)
                i += 1
                if item is not None:
                    made += 1
                    yield item
            if made < entry.n and shortfalls is not None:
                shortfalls.append(f"{entry.city}: {entry.family} gave {made} of {entry.n} items")
        if last is not None:
            release(last)
    finally:
        # the caller's graphs go back as they came: a later run without --render uses the default figure
        for g in {id(g): g for g, _ in plan}.values():
            if context(g).render is not None:
                detach_render(g)


def generate_items(
    cities: Sequence[CityLike] | None = None,
    *,
    types: Sequence[str] | None = None,
    n_per_type: int = 100,
    seed: int = 0,
    preset: str | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    configs: Mapping[str, Any] | None = None,
    repeats: bool = False,
    skip_broken: bool = False,
    render: bool | RenderOptions = False,
    render_dir: str | os.PathLike[str] | None = None,
    items_dir: str | os.PathLike[str] | None = None,
    style_seed: int | None = None,
    render_force: bool = False,
) -> Iterator[dict[str, Any]]:
    """Items for ``cities`` (refs or graphs; default ``demo``), in plan order; see :func:`plan_items`.

    ``types``: family names (default: every registered family, the visual ones too when rendering);
    ``configs``: family name -> config. ``render``: draw the maps into ``render_dir`` first (the maps are
    drawn when this is called; figures are relative to ``items_dir``, default ``render_dir``'s parent).

    >>> import tempfile, pathlib
    >>> from mapkit.graph import toy_city
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> items = list(generate_items([toy_city()], types=["localise"], n_per_type=2, render=True,
    ...                             render_dir=d / "maps"))
    >>> items[0]["figure"], sorted(p.name for p in (d / "maps" / "nowhere").iterdir())
    ('./maps/nowhere/toyville.png', ['toyville.json', 'toyville.png'])
    """
    plan = plan_items(
        cities, types=types, n_per_type=n_per_type, preset=preset, data_dir=data_dir, configs=configs,
        repeats=repeats, skip_broken=skip_broken, render=render, render_dir=render_dir, items_dir=items_dir,
        style_seed=style_seed, render_force=render_force,
    )
    cfgs = _configs(sorted({e.family for _, e in plan}), configs)
    return _run(plan, seed, cfgs, None)


def write_items(
    path: str | os.PathLike[str],
    cities: Sequence[CityLike] | None = None,
    *,
    types: Sequence[str] | None = None,
    n_per_type: int = 100,
    seed: int = 0,
    preset: str | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    configs: Mapping[str, Any] | None = None,
    repeats: bool = False,
    skip_broken: bool = False,
    progress: Callable[[int, int], None] | None = None,
    render: bool = False,
    render_dir: str | os.PathLike[str] | None = None,
    style_seed: int | None = None,
    render_force: bool = False,
) -> GenerationSummary:
    """Generate like :func:`generate_items` and write JSONL atomically; returns the summary.

    ``progress(done, total)`` is called every 2,000 items and at the end. ``render``: draw each city's
    map once into ``render_dir`` (default: ``maps/`` beside ``path``) and point every item's ``figure``
    at it (``./maps/<country>/<city>.png``, relative to ``path``'s folder); the summary lists the maps.

    >>> import tempfile, pathlib
    >>> from mapkit.graph import toy_city
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "items.jsonl"
    >>> s = write_items(p, [toy_city()], types=["TorF1"], n_per_type=6)
    >>> s.total, dict(s.balance["TorF1"])
    (6, {'yes': 3, 'no': 3})
    """
    t0 = time.perf_counter()
    opts = None
    if render:
        opts = RenderOptions.for_items(path, render_dir, style_seed=style_seed, force=render_force)
    elif render_dir is not None or style_seed is not None or render_force:
        raise ConfigError("--render-dir, --style-seed and --force-render need --render.")
    plan = plan_items(
        cities, types=types, n_per_type=n_per_type, preset=preset, data_dir=data_dir, configs=configs,
        repeats=repeats, skip_broken=skip_broken, render=opts or False,
    )
    cfgs = _configs(sorted({e.family for _, e in plan}), configs)
    total = sum(e.n for _, e in plan)
    summary = GenerationSummary(path=str(Path(path)))
    summary.not_asked = not_asked_notes(e for _, e in plan)
    for g in {id(g): g for g, _ in plan}.values():
        r = context(g).render
        if r is not None:
            summary.maps.append(r.figure)

    def rows() -> Iterator[dict[str, Any]]:
        add = summary.add
        for item in _run(plan, seed, cfgs, summary.shortfalls):
            add(item)
            if progress is not None and summary.total % 2000 == 0:
                progress(summary.total, total)
            yield item

    with no_gc():
        _write_jsonl_fast(path, rows())
    if progress is not None:
        progress(summary.total, total)
    summary.seconds = time.perf_counter() - t0
    return summary
