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
``./maps/<country>/<city>.png``, relative to the JSONL file's folder. The render is passed to the
families in each city's :class:`~mapkit.questions.base.Scene`: items point their ``figure`` at it, and the visual
families (``localise``, ``line_colour``, ``station_at_point``), which ask about its pixels, join the
default types. Without ``render`` nothing is drawn and the output is byte for byte what it was.

Every function takes one request, a :class:`GenerateSpec` (or the cities, with the spec's fields as
keywords). Presets (``reasonmap-plus``: ReasonMap-Plus's published plan over the 30 ReasonMap cities)
and their quotas live in :mod:`mapkit.presets`. The split (``test`` for the 11 published test cities,
else ``train``) is stored in each item's ``mapkit.split``.

Example:
    >>> from mapkit.graph import toy_city
    >>> items = list(generate_items([toy_city()], types=["TorF1", "Counting2"], n_per_type=4, seed=1))
    >>> [it["type"] for it in items].count("TorF1"), items[0]["id"]
    (4, 'toyville:TorF1:1:0')
"""

from __future__ import annotations

import os
import time
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mapkit.coverage import gate_capacities, not_asked_notes
from mapkit.errors import ConfigError, EmptyResultError, LegibilityError, MapkitError, OutputTooLargeError
from mapkit.graph.model import MetroGraph
from mapkit.io import atomic_writer, dumps_canonical, write_jsonl
from mapkit.presets import PRESETS, REASONMAP_CITIES, check_preset, preset_cities, preset_quotas, preset_types
from mapkit.presets import reasonmap_plus_quotas as reasonmap_plus_quotas
from mapkit.questions import PLUS_TYPES as PLUS_TYPES  # re-exported: older imports
from mapkit.questions import families, get_family
from mapkit.questions.base import Scene, context, no_gc, release
from mapkit.questions.maps import MapRender, load_render, relative_ref
from mapkit.sources import DEMO_CITY, load_city

__all__ = [
    "PRESETS",
    "REASONMAP_CITIES",
    "GenerateSpec",
    "GenerationSummary",
    "PlanEntry",
    "RenderOptions",
    "generate_items",
    "plan_items",
    "reasonmap_plus_quotas",
    "write_items",
]

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
                hint="Leave `render_dir` out (maps/ beside the JSONL file), or use a folder inside it "
                "(e.g. maps/style-3 for a style variant).",
            )


@dataclass(frozen=True)
class GenerateSpec:
    """One generation request, shared by :func:`plan_items`, :func:`generate_items`, :func:`write_items`
    and ``mapkit generate`` (which builds one from its flags).

    * ``cities``: refs (``beijing``, a city file, ``demo``, ``synthetic:<seed>``) or graphs; default
      ``demo``, or the preset's cities;
    * ``types``: family names (default: every registered family, the visual ones too when rendering);
    * ``n_per_type``: items per type and city (default 100; capped at the distinct questions unless
      ``repeats``); a ``preset`` fixes types and counts instead;
    * ``seed``, ``data_dir``, ``configs`` (family name -> config), ``skip_broken`` (warn and skip a city
      that fails to load);
    * ``render``: draw each city's map first - ``True`` (into ``render_dir``, default ``maps/`` beside the
      items; figures relative to ``items_dir``), or a :class:`RenderOptions`; ``style_seed`` and
      ``render_force`` shape it.

    Errors name these parameters (``n_per_type``), never CLI flags; the CLI maps them to its flags.

    >>> GenerateSpec(["demo"], n_per_type=-1).check()
    Traceback (most recent call last):
    ...
    mapkit.errors.ConfigError: `n_per_type` must be zero or more (got -1).
    """

    cities: Sequence[CityLike] | None = None
    types: Sequence[str] | None = None
    n_per_type: int | None = None
    seed: int = 0
    preset: str | None = None
    data_dir: str | os.PathLike[str] | None = None
    configs: Mapping[str, Any] | None = None
    repeats: bool = False
    skip_broken: bool = False
    render: bool | RenderOptions = False
    render_dir: str | os.PathLike[str] | None = None
    items_dir: str | os.PathLike[str] | None = None
    style_seed: int | None = None
    render_force: bool = False
    workers: int = 1
    """Processes that generate (:mod:`mapkit.parallel`); the file is the same bytes for every value."""
    engine: str = "local"
    """``local`` (processes of this machine, ``workers``) or ``ray`` (Ray tasks, :mod:`mapkit.ray_engine`)."""
    ray_address: str | None = None
    """With ``engine="ray"``: the cluster to join (``auto``, ``ray://host:10001``); default a local Ray."""

    @classmethod
    def of(cls, spec: GenerateSpec | Sequence[CityLike] | None = None, **fields: Any) -> GenerateSpec:
        """``spec`` itself (with ``fields`` replaced), or a new spec for the cities ``spec`` lists."""
        if isinstance(spec, GenerateSpec):
            return replace(spec, **fields) if fields else spec
        return cls(spec, **fields)

    def check(self) -> None:
        """Raise :class:`ConfigError` naming the parameter when values contradict each other."""
        if self.workers < 1:
            raise ConfigError(f"`workers` must be 1 or more (got {self.workers}).")
        if self.engine not in ("local", "ray"):
            raise ConfigError(f"`engine` must be local or ray (got {self.engine!r}).")
        if self.ray_address is not None and self.engine != "ray":
            raise ConfigError("`ray_address` needs `engine` ray.")
        if self.n_per_type is not None and self.n_per_type < 0:
            raise ConfigError(f"`n_per_type` must be zero or more (got {self.n_per_type}).")
        check_preset(self.preset)
        if self.preset is not None and self.n_per_type is not None:
            raise ConfigError("`preset` fixes the item counts; leave `n_per_type` out.")
        if not self.render and (self.render_dir is not None or self.style_seed is not None or self.render_force):
            raise ConfigError("`render_dir`, `style_seed` and `render_force` need `render`.")

    def render_options(self) -> RenderOptions | None:
        """Where and how the maps are drawn (``None``: no maps)."""
        if isinstance(self.render, RenderOptions):
            return self.render
        if not self.render:
            return None
        if self.render_dir is None and self.items_dir is None:
            raise ConfigError(
                "rendering maps needs `render_dir` (where the maps go) or `items_dir` (the items' folder)."
            )
        rdir = Path(self.render_dir) if self.render_dir is not None else Path(self.items_dir) / "maps"  # type: ignore[arg-type]
        # without an items file, figures are relative to the folder holding the maps/ folder
        idir = Path(self.items_dir) if self.items_dir is not None else rdir.parent
        return RenderOptions(rdir, idir, self.style_seed, self.render_force)


def _render_maps(
    loaded: Sequence[tuple[str, MetroGraph]], opts: RenderOptions, spec: GenerateSpec | None = None
) -> list[MapRender]:
    """Draw each city once; the render of each loaded city, in order (the families and ``figure`` read it).

    The maps are drawn on ``spec.workers`` forked processes, or as Ray tasks with ``spec.engine`` ray (each
    writes its files: on a cluster the folder must be one every node sees); a render is a pure function
    of the graph and style, so the files are the same either way.
    """
    opts.check()
    drawn: dict[Path, tuple[str, MetroGraph]] = {}
    pngs, todo = [], []
    for ref, g in loaded:
        folder = opts.render_dir / g.country
        png = folder / f"{g.city}.png"
        pngs.append(png)
        seen = drawn.get(png)
        if seen is not None:
            if seen[1].content_hash != g.content_hash:
                raise ConfigError(f"{seen[0]!r} and {ref!r} are different graphs of the same map {png}.")
            continue
        drawn[png] = (ref, g)
        todo.append((g, os.path.abspath(folder), opts.style_seed, opts.force))
    if spec is not None and spec.engine == "ray":
        from mapkit.ray_engine import map_ray

        failures = map_ray(_draw_map, todo, address=spec.ray_address)
    else:
        from mapkit.parallel import map_ordered

        failures = map_ordered(_draw_map, todo, workers=spec.workers if spec is not None else 1)
    for why in failures:
        if why is not None:
            raise LegibilityError(
                why, hint="Set `render_force` to keep it anyway (the manifest records the failures), or leave the "
                "city out.",
            )  # fmt: skip
    return [load_render(png, opts.items_dir, check_schema=False) for png in pngs]  # drawn just now: no schema check


def _draw_map(task: tuple[MetroGraph, str, int | None, bool]) -> str | None:
    """Draw one city's map (in a worker or a Ray task): ``None``, or why it fails the legibility gate."""
    from mapkit.render import render_city, style_from_seed  # the renderer (pillow, shapely) loads only to draw

    g, folder, style_seed, force = task
    try:
        render_city(g, Path(folder), style=style_from_seed(style_seed), force=force, name=g.city)
    except LegibilityError as e:
        return e.message
    return None


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
        self.add_counts({count_key(item): 1})

    def add_counts(self, counts: Mapping[tuple[str, str, str, str, str], int]) -> None:
        """Count items tallied by ``(type, city, split, difficulty, balance key)`` (what :meth:`add` reads).

        >>> s = GenerationSummary()
        >>> s.add_counts({("TorF1", "x", "train", "easy", "yes"): 2})
        >>> s.total, dict(s.balance["TorF1"]), dict(s.by_city)
        (2, {'yes': 2}, {'x': 2})
        """
        for (t, city, split, level, balance), n in counts.items():
            self.total += n
            self.by_type[t] += n
            self.by_city[city] += n
            self.by_split[split] += n
            self.difficulty[t][level] += n
            self.balance[t][balance] += n

    def merge(self, other: GenerationSummary) -> None:
        """Add another summary's counts (a shard's, from a worker) to this one.

        >>> a, b = GenerationSummary(), GenerationSummary()
        >>> b.add({"type": "TorF1", "city": "x", "mapkit": {"split": "train"}, "difficulty_question": "easy",
        ...        "answer": 1, "answer_text": "yes"})
        >>> a.merge(b); a.merge(b); a.total, dict(a.balance["TorF1"])
        (2, {'yes': 2})
        """
        self.total += other.total
        self.by_type.update(other.by_type)
        self.by_city.update(other.by_city)
        self.by_split.update(other.by_split)
        for t, c in other.difficulty.items():
            self.difficulty[t].update(c)
        for t, c in other.balance.items():
            self.balance[t].update(c)
        self.shortfalls.extend(other.shortfalls)

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


def count_key(item: Mapping[str, Any]) -> tuple[str, str, str, str, str]:
    """What a :class:`GenerationSummary` counts an item under: (type, city, split, difficulty, balance key).

    >>> count_key({"type": "TorF1", "city": "x", "mapkit": {"split": "train"}, "difficulty_question": "easy",
    ...            "answer": 1, "answer_text": "yes"})
    ('TorF1', 'x', 'train', 'easy', 'yes')
    """
    return (item["type"], item["city"], item["mapkit"]["split"], item["difficulty_question"], balance_key(item))


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


def _load(
    cities: Iterable[CityLike], data_dir: str | os.PathLike[str] | None, skip_broken: bool
) -> list[tuple[str, MetroGraph]]:
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
            ref = DEMO_CITY
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
    spec: GenerateSpec | Sequence[CityLike] | None = None, /, **fields: Any
) -> list[tuple[Scene, PlanEntry]]:
    """Load the cities and decide how many items of each type each gets (see the module docstring).

    ``spec``: a :class:`GenerateSpec`, or the cities with the spec's other fields as keywords. With
    ``render``, each city's map is drawn first and passed in its :class:`~mapkit.questions.base.Scene`,
    which the visual families need (without it, asking for one is a :class:`ConfigError`). Returns each
    city's scene with its plan entries.

    >>> from mapkit.graph import toy_city
    >>> [(e.family, e.n) for _, e in plan_items([toy_city()], types=["Counting3", "TorF2"], n_per_type=5)]
    [('Counting3', 1), ('TorF2', 5)]
    """
    spec = GenerateSpec.of(spec, **fields)
    spec.check()
    opts = spec.render_options()
    preset = spec.preset
    types = spec.types
    if preset is not None:
        fixed = preset_types(preset)
        if types and {get_family(t).name for t in types} != set(fixed):
            raise ConfigError(f"`preset` {preset} fixes the types ({', '.join(fixed)}); leave `types` out.")
        types = list(fixed)
    names = [get_family(t).name for t in (types or list(families(with_render=opts is not None)))]
    if len(set(names)) != len(names):
        raise ConfigError(f"a type is listed twice in `types`: {', '.join(names)}.")
    visual = [t for t in names if get_family(t).needs_render]
    if visual and opts is None:
        raise ConfigError(f"{', '.join(visual)} ask about a rendered map: set `render` to draw the maps.")
    cfgs = _configs(names, spec.configs)
    cities = spec.cities
    if cities is None:
        cities = list(preset_cities(preset)) if preset is not None else ["demo"]
    loaded = _load(cities, spec.data_dir, spec.skip_broken)
    renders = _render_maps(loaded, opts, spec) if opts is not None else [None] * len(loaded)
    scenes = {ref: context(g).with_render(r, city_ref=ref) for (ref, g), r in zip(loaded, renders)}
    if spec.repeats and preset is None:
        # nothing reads the capacities: leave each city's pools to be built when (and where) its items are
        caps: dict[str, dict[str, int | None]] = {ref: dict.fromkeys(names) for ref, _ in loaded}
    else:
        caps = {ref: {t: get_family(t).capacity(scenes[ref], cfgs[t]) for t in names} for ref, _ in loaded}
    gated = gate_capacities(loaded, caps)  # families a city's incomplete graph cannot answer for its map
    n_per_type = 100 if spec.n_per_type is None else spec.n_per_type
    if preset is not None:
        by_city = {g.city: ref for ref, g in loaded}
        quotas = preset_quotas(preset, {g.city: caps[ref] for ref, g in loaded})
        want = {(by_city[c], t): n for (c, t), n in quotas.items()}
    else:
        want = {(ref, t): n_per_type for ref, _ in loaded for t in names}
    plan = []
    for ref, g in loaded:
        for t in names:
            cap = caps[ref][t]
            n = want[(ref, t)]
            if preset is None and not spec.repeats and cap is not None:
                n = min(n, cap)
            why = gated.get((ref, t))
            plan.append((scenes[ref], PlanEntry(g.city, t, 0 if why else n, None if spec.repeats else cap, why)))
    return plan


# --- generation ---------------------------------------------------------------------------------


def _answer_readable(item: dict[str, Any], scene: Scene) -> bool:
    """Whether the scene's render (if any) shows the lines the item asks about distinctly (and, for a
    one-way line, its direction)."""
    render = scene.render
    if render is None:
        return True
    from mapkit.render.gate import item_lines_readable

    readable = render.caches.get("readable_lines")
    if readable is None:
        readable = render.caches["readable_lines"] = _readable(render.manifest, scene.graph)
    return item_lines_readable(item, scene.graph, readable)


def _readable(manifest: dict[str, Any], graph: MetroGraph) -> set[str]:
    from mapkit.render.gate import readable_lines

    return readable_lines(manifest, graph)


def item_at(
    gen: Callable[..., dict[str, Any] | None], scene: Scene, seed: int, i: int, cfg: Any
) -> dict[str, Any] | None:
    """Item ``i`` of a family (``gen``: its ``generate``) in ``scene``, or ``None`` when the family skips the
    index or the render does not let a reader tell the asked lines apart: the one rule of every runner
    (one process here, the shards of :mod:`mapkit.parallel`)."""
    item = gen(scene, seed, i, cfg)
    if item is not None and not _answer_readable(item, scene):
        return None
    return item


def _run(
    plan: list[tuple[Scene, PlanEntry]], seed: int, cfgs: Mapping[str, Any], shortfalls: list[str] | None
) -> Iterator[dict[str, Any]]:
    last: MetroGraph | None = None
    for scene, entry in plan:
        if last is not None and last is not scene.graph:
            release(last)  # a finished city's pools and route trees are not needed again
        last = scene.graph
        fam = get_family(entry.family)
        cfg = cfgs[entry.family]
        gen = fam.generate
        made, i, limit = 0, 0, 2 * entry.n + 16
        if entry.distinct is not None:
            limit = min(limit, entry.distinct)  # past the capacity a family may repeat a question
        plain = scene.render is None  # no map to check the asked lines against: the family's item as is
        while made < entry.n and i < limit:
            item = gen(scene, seed, i, cfg) if plain else item_at(gen, scene, seed, i, cfg)
            i += 1
            if item is not None:
                made += 1
                yield item
        if made < entry.n and shortfalls is not None:
            shortfalls.append(f"{entry.city}: {entry.family} gave {made} of {entry.n} items")
    if last is not None:
        release(last)


def generate_items(
    spec: GenerateSpec | Sequence[CityLike] | None = None, /, **fields: Any
) -> Iterator[dict[str, Any]]:
    """Items of a :class:`GenerateSpec` (or of the cities given, the spec's fields as keywords), in plan
    order; see :func:`plan_items`. With ``render`` the maps are drawn when this is called (figures
    relative to ``items_dir``, default ``render_dir``'s parent).

    >>> import tempfile, pathlib
    >>> from mapkit.graph import toy_city
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> items = list(generate_items([toy_city()], types=["localise"], n_per_type=2, render=True,
    ...                             render_dir=d / "maps"))
    >>> items[0]["figure"], sorted(p.name for p in (d / "maps" / "nowhere").iterdir())
    ('./maps/nowhere/toyville.png', ['toyville.json', 'toyville.png'])
    """
    spec = GenerateSpec.of(spec, **fields)
    plan = plan_items(spec)
    cfgs = _configs(sorted({e.family for _, e in plan}), spec.configs)
    return _run(plan, spec.seed, cfgs, None)


SIZE_GUARD_BYTES = 1_000_000_000
"""Projected JSONL size above which :func:`write_items` asks before writing (``mapkit generate --yes``)."""


def estimate_bytes(plan: Sequence[tuple[Scene, PlanEntry]], seed: int, cfgs: Mapping[str, Any]) -> int:
    """Projected JSONL size of ``plan``: each type's planned count times the size of its first items.

    Items of one type differ little in size, so a few real items per type (from the first city that
    has the type) give the estimate without generating the rest.

    >>> from mapkit.graph import toy_city
    >>> plan = plan_items([toy_city()], types=["TorF1"], n_per_type=1000, repeats=True)
    >>> 200_000 < estimate_bytes(plan, 0, _configs(["TorF1"], None)) < 2_000_000
    True
    """
    per_item: dict[str, float] = {}
    for scene, entry in plan:
        if entry.family in per_item or entry.n == 0:
            continue
        gen, cfg = get_family(entry.family).generate, cfgs[entry.family]
        sizes = [len(dumps_canonical(it)) + 1 for i in range(8) if (it := gen(scene, seed, i, cfg)) is not None]
        per_item[entry.family] = sum(sizes[:3]) / len(sizes[:3]) if sizes else 0.0
    return int(sum(entry.n * per_item.get(entry.family, 0.0) for _, entry in plan))


def _human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1000
    return f"{n:,.1f} TB"


def write_items(
    path: str | os.PathLike[str],
    spec: GenerateSpec | Sequence[CityLike] | None = None,
    /,
    *,
    progress: Callable[[int, int], None] | None = None,
    allow_empty: bool = True,
    max_bytes: int | None = None,
    confirm: Callable[[int, int], bool] | None = None,
    parts: str | None = None,
    **fields: Any,
) -> GenerationSummary:
    """Generate like :func:`generate_items` and write JSONL atomically; returns the summary.

    ``progress(done, total)`` is called every 2,000 items and at the end. ``render``: draw each city's
    map once into ``render_dir`` (default: ``maps/`` beside ``path``) and point every item's ``figure``
    at it (``./maps/<country>/<city>.png``, relative to ``path``'s folder); the summary lists the maps.

    Guards: ``allow_empty=False`` makes a run that would write no item an :class:`EmptyResultError`
    (and writes nothing); with ``max_bytes``, a projected size above it (:func:`estimate_bytes`) calls
    ``confirm(projected_bytes, items)`` and, unless that returns True, raises :class:`OutputTooLargeError`
    before anything is generated.

    ``parts`` (``jsonl`` or ``parquet``): ``path`` is a folder of part files in plan order and a manifest
    written last (:mod:`mapkit.shardset`); with ``engine="ray"`` each Ray task writes its own part there
    (on a cluster: a path every node sees). The parts concatenated are the bytes of the one file.

    >>> import tempfile, pathlib
    >>> from mapkit.graph import toy_city
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "items.jsonl"
    >>> s = write_items(p, [toy_city()], types=["TorF1"], n_per_type=6)
    >>> s.total, dict(s.balance["TorF1"])
    (6, {'yes': 3, 'no': 3})
    """
    t0 = time.perf_counter()
    spec = GenerateSpec.of(spec, **fields)
    spec.check()
    if spec.engine == "ray":
        from mapkit.ray_engine import session, started

        if not started():  # one Ray for the whole run: the maps, then the shards
            with session(spec.ray_address):
                return write_items(path, spec, progress=progress, allow_empty=allow_empty, max_bytes=max_bytes,
                                   confirm=confirm, parts=parts)  # fmt: skip
    if spec.render is True:
        # a sharded folder is the items' folder: its maps/ are inside it
        items_file = Path(path) / "manifest.json" if parts is not None else path
        opts = RenderOptions.for_items(items_file, spec.render_dir, style_seed=spec.style_seed, force=spec.render_force)
        spec = replace(spec, render=opts, render_dir=None, style_seed=None, render_force=False)
    plan = plan_items(spec)
    cfgs = _configs(sorted({e.family for _, e in plan}), spec.configs)
    total = sum(e.n for _, e in plan)
    if total == 0 and not allow_empty:
        raise EmptyResultError(
            "nothing to generate: the plan has 0 items (`n_per_type` is 0, or no city could be loaded).",
            hint="Ask for at least one item, or allow an empty file (`allow_empty`).",
        )
    if max_bytes is not None and total:
        projected = estimate_bytes(plan, spec.seed, cfgs)
        if projected > max_bytes and not (confirm is not None and confirm(projected, total)):
            raise OutputTooLargeError(
                f"{path} would be about {_human(projected)} ({total:,} items, ~{projected // total:,} bytes each), "
                f"over the {_human(max_bytes)} guard.",
                hint="Lift the guard (`max_bytes`) to write it anyway, or ask for fewer items (`n_per_type`, "
                "`types`, `cities`).",
            )
    summary = GenerationSummary(path=str(Path(path)))
    summary.not_asked = not_asked_notes(e for _, e in plan)
    for scene in {id(s): s for s, _ in plan}.values():
        if scene.render is not None:
            summary.maps.append(scene.render.figure)

    def check_not_empty() -> None:
        if summary.total == 0 and not allow_empty:
            # raised inside the atomic writer: the empty temp file is removed, nothing is written
            raise EmptyResultError(
                f"no item was generated ({'; '.join(summary.shortfalls) or 'the families gave none'}).",
                hint="Try other `types` or `cities`, or allow an empty file (`allow_empty`).",
            )

    if parts is not None:
        _write_parts(path, parts, plan, spec, cfgs, summary, progress, check_not_empty)
    elif spec.engine == "ray":
        from mapkit.ray_engine import run_sharded_ray

        with atomic_writer(path, "wb") as fh:
            run_sharded_ray(plan, spec.seed, cfgs, summary, fh.write, address=spec.ray_address, progress=progress)
            check_not_empty()
    elif spec.workers > 1:
        from mapkit.parallel import run_sharded

        with atomic_writer(path, "wb") as fh:
            run_sharded(plan, spec.seed, cfgs, summary, fh.write, workers=spec.workers, progress=progress, out=fh)
            check_not_empty()
    else:

        def rows() -> Iterator[dict[str, Any]]:
            # counted per (type, city, split, difficulty, balance) and added to the summary at the end:
            # one dict update an item instead of six counters
            tally: dict[tuple[str, str, str, str, str], int] = {}
            get = tally.get
            for done, item in enumerate(_run(plan, spec.seed, cfgs, summary.shortfalls), 1):
                key = count_key(item)
                tally[key] = get(key, 0) + 1
                if progress is not None and done % 2000 == 0:
                    progress(done, total)
                yield item
            summary.add_counts(tally)
            check_not_empty()

        with no_gc():
            write_jsonl(path, rows())
    if progress is not None:
        progress(summary.total, total)
    summary.seconds = time.perf_counter() - t0
    return summary


def _write_parts(
    folder: str | os.PathLike[str],
    fmt: str,
    plan: list[tuple[Scene, PlanEntry]],
    spec: GenerateSpec,
    cfgs: Mapping[str, Any],
    summary: GenerationSummary,
    progress: Callable[[int, int], None] | None,
    before_commit: Callable[[], None],
) -> None:
    """:func:`write_items` into a sharded folder: one part per shard (and per top-up), the manifest last."""
    from mapkit.shardset import ShardWriter

    with ShardWriter(folder, fmt) as w:
        if spec.engine == "ray":
            from mapkit.ray_engine import run_sharded_ray

            run_sharded_ray(plan, spec.seed, cfgs, summary, w.add, address=spec.ray_address, progress=progress,
                            parts=w)  # fmt: skip
        else:
            from mapkit.parallel import run_sharded

            run_sharded(plan, spec.seed, cfgs, summary, w.add, workers=spec.workers, progress=progress,
                        per_shard=True)  # fmt: skip
        before_commit()
        opts = spec.render if isinstance(spec.render, RenderOptions) else None
        w.commit({
            "seed": spec.seed,
            "cities": list(dict.fromkeys(scene.city_ref for scene, _ in plan)),
            "types": list(dict.fromkeys(e.family for _, e in plan)),
            "n_per_type": spec.n_per_type,
            "preset": spec.preset,
            "repeats": spec.repeats,
            "render": opts is not None,
            "style_seed": opts.style_seed if opts is not None else None,
        })  # fmt: skip
