"""What every export shares: one scan over the items, splits, leakage, maps, and the output folder.

An export reads the canonical items (JSONL, one object per line) twice and never holds them all:

1. :func:`scan_items` checks each row, assigns its split, tallies counts for the card, collects the
   maps and station pairs for the leakage check, and sketches the type of each family's ``gold``;
2. a format writer (``mapkit.export.formats``, ``mapkit.export.hf``) re-reads the file through
   :meth:`ExportContext.row_tables` (its rows made on ``workers`` processes, :mod:`mapkit.export.rows`)
   or :meth:`ExportContext.iter_items`, and streams its own rows out.

Splits: ``mapkit.split`` of an item when present, else by city as in ReasonMap (the 11
:data:`TEST_CITIES` are ``test``, every other city ``train``).

Example:
    >>> split_of({"city": "rome", "mapkit": {}})
    'test'
    >>> split_of({"city": "oslo", "mapkit": {"split": "validation"}})
    'validation'
    >>> map_id_of({"figure": "./maps/italy/rome.png", "country": "italy", "city": "rome"})
    'italy/rome'
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mapkit.difficulty import CITY_LEVELS  # noqa: F401 - re-exported (card)
from mapkit.errors import DataNotFoundError, ExportError, ItemError, LeakageError
from mapkit.io import file_sha256
from mapkit.questions import PLUS_TYPES
from mapkit.questions.base import ITEM_KEYS, LEVELS, TEST_CITIES  # noqa: F401 - re-exported (card, export)
from mapkit.questions.base import split_of as city_split
from mapkit.schemas import checker
from mapkit.shardset import items_bytes, items_folder, read_items

REASONMAP_TYPES = (*PLUS_TYPES, "planning")
"""Every type the published ReasonMap family of datasets has (Plus + route planning)."""
QUESTION_LEVELS = LEVELS
"""``difficulty_question`` levels (:data:`mapkit.questions.base.LEVELS`)."""

MARKER_FILE = ".mapkit-export.json"
"""Written into every export folder: what made it; lets a later export replace it safely."""

_FIGURE_RE = re.compile(r"^(?:\./)?maps/([^/]+)/([^/]+)\.png$")

ProgressFn = Callable[[str, int, "int | None"], None]
"""``progress(stage, advance, total)``: called as rows are read or written (the CLI draws a bar)."""


# --- rows ----------------------------------------------------------------------------------


def split_of(item: Mapping[str, Any]) -> str:
    """The split of an item: ``mapkit.split`` when present, else ``test`` for ReasonMap's test cities."""
    mk = item.get("mapkit") or {}
    explicit = mk.get("split") if isinstance(mk, Mapping) else None
    if explicit:
        return str(explicit)
    return city_split(str(item.get("city")))


def map_id_of(item: Mapping[str, Any]) -> str:
    """``<country>/<city>`` of the map an item is asked about (from its ``figure``)."""
    m = _FIGURE_RE.match(str(item.get("figure", "")))
    if m:
        return f"{m.group(1)}/{m.group(2)}"
    return f"{item.get('country')}/{item.get('city')}"


def pair_key(item: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """(city, a, b) with a <= b for an item about two stations; None for single-station items.

    >>> pair_key({"city": "x", "mapkit": {"station_ids": ["b", "a"]}})
    ('x', 'a', 'b')
    >>> pair_key({"city": "x", "station_1": "A", "station_2": "", "mapkit": {"station_ids": ["a"]}}) is None
    True
    """
    mk = item.get("mapkit") or {}
    ids = [s for s in (mk.get("station_ids") or []) if s][:2]
    if len(ids) < 2:
        names = [item.get("station_1") or "", item.get("station_2") or ""]
        ids = [n for n in names if n]
    if len(ids) < 2 or ids[0] == ids[1]:
        return None
    a, b = sorted(ids)
    return (str(item.get("city")), a, b)


def check_item(item: dict[str, Any], where: str) -> None:
    """Raise :class:`ItemError` naming the row, the JSON path and the problem when ``item`` is not a
    canonical row (``schemas/item.schema.json``, the checker :func:`mapkit.schemas.checker` that
    ``mapkit validate`` runs too).

    >>> check_item({"id": "x:TorF1:0:0"}, "items.jsonl (item 1)")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mapkit.errors.ItemError: items.jsonl (item 1): item 'x:TorF1:0:0' lacks country, city, ...
    """
    bad = checker("item")(item)  # compiled once per process
    if bad is None:
        return
    name = item.get("id", "?") if isinstance(item, dict) else "?"
    hint = "Items must follow the canonical row of docs/design.md (run `mapkit validate`)."
    missing = [k for k in ITEM_KEYS if k not in item] if isinstance(item, dict) and bad[0] == "$" else []
    if missing:
        raise ItemError(f"{where}: item {name!r} lacks {', '.join(missing)}.", hint=hint)
    raise ItemError(f"{where}: item {name!r}: {bad[0]} {bad[1]}.", hint=hint)


# --- type sketches (for typed Parquet structs) ---------------------------------------------

Sketch = tuple
"""A value's shape: ("null",) ("bool",) ("int",) ("float",) ("str",) ("json",) ("list", elem)
("struct", {key: sketch}). ``json`` marks a leaf stored as JSON text: values that disagree in type,
and objects keyed by data (:data:`DATA_KEYED`)."""

DATA_KEYED = frozenset({"aliases"})
"""Keys whose object value is keyed by data (station id -> names), not by field names: stored as one
JSON-text leaf, so the typed schema does not change with the stations an item happens to name."""


def sketch_of(value: Any) -> Sketch:
    """The shape of a JSON value.

    >>> sketch_of({"stops": ["a"], "n": 2})
    ('struct', {'stops': ('list', ('str',)), 'n': ('int',)})
    >>> sketch_of({"aliases": {"s12": ["Xidan"]}})
    ('struct', {'aliases': ('json',)})
    """
    if value is None:
        return ("null",)
    if isinstance(value, bool):
        return ("bool",)
    if isinstance(value, int):
        return ("int",) if -(2**63) <= value < 2**63 else ("json",)
    if isinstance(value, float):
        return ("float",)
    if isinstance(value, str):
        return ("str",)
    if isinstance(value, list):
        elem: Sketch = ("null",)
        for v in value:
            elem = merge_sketch(elem, sketch_of(v))
        return ("list", elem)
    if isinstance(value, dict):
        return (
            "struct",
            {str(k): ("json",) if k in DATA_KEYED and isinstance(v, dict) else sketch_of(v) for k, v in value.items()},
        )
    return ("json",)


def merge_sketch(a: Sketch, b: Sketch) -> Sketch:
    """The narrowest shape that holds values of both shapes (``json`` when they conflict).

    >>> merge_sketch(("int",), ("float",))
    ('float',)
    >>> merge_sketch(("struct", {"a": ("int",)}), ("struct", {"b": ("str",)}))
    ('struct', {'a': ('int',), 'b': ('str',)})
    >>> merge_sketch(("int",), ("str",))
    ('json',)
    """
    if a == b:
        return a
    if a[0] == "null":
        return b
    if b[0] == "null":
        return a
    if {a[0], b[0]} == {"int", "float"}:
        return ("float",)
    if a[0] == b[0] == "list":
        return ("list", merge_sketch(a[1], b[1]))
    if a[0] == b[0] == "struct":
        out = dict(a[1])
        for k, v in b[1].items():
            out[k] = merge_sketch(out[k], v) if k in out else v
        return ("struct", out)
    return ("json",)


# --- the scan ------------------------------------------------------------------------------


@dataclass
class MapRef:
    """One map the items ask about: identity, the city it shows, and where it is used."""

    map_id: str
    country: str
    city: str
    city_ref: str
    graph_hash: str
    splits: set[str] = field(default_factory=set)
    items: int = 0
    figure: str = ""  # the items' `figure`, relative to the items file
    image_sha256: str | None = None  # pinned by items that ask about pixels (gold.map of visual families)


@dataclass
class LeakageReport:
    """Maps and station pairs that occur in more than one split."""

    shared_maps: list[str] = field(default_factory=list)
    shared_pairs: int = 0
    pair_examples: list[str] = field(default_factory=list)

    @property
    def leaks(self) -> bool:
        """True when any map or station pair is shared between splits."""
        return bool(self.shared_maps or self.shared_pairs)

    def describe(self) -> str:
        """One paragraph: what is shared."""
        parts = []
        if self.shared_maps:
            parts.append(f"{len(self.shared_maps)} map(s) in several splits ({', '.join(self.shared_maps[:5])})")
        if self.shared_pairs:
            parts.append(
                f"{self.shared_pairs} station pair(s) in several splits (e.g. {'; '.join(self.pair_examples)})"
            )
        return "; ".join(parts) if parts else "no map or station pair is shared between splits"

    def to_dict(self) -> dict[str, Any]:
        return {"shared_maps": self.shared_maps, "shared_pairs": self.shared_pairs, "examples": self.pair_examples}


@dataclass
class Scan:
    """Everything one pass over the items learns; formats and the card read it, not the items."""

    path: Path
    n_items: int = 0
    row_bytes: int = 0
    types: list[str] = field(default_factory=list)
    splits: Counter = field(default_factory=Counter)
    by_type: Counter = field(default_factory=Counter)
    by_split_type: Counter = field(default_factory=Counter)
    by_type_level: Counter = field(default_factory=Counter)  # (type, difficulty_city)
    by_type_qlevel: Counter = field(default_factory=Counter)  # (type, difficulty_question)
    by_split_type_map: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    by_city: Counter = field(default_factory=Counter)  # (country, city, split)
    city_level: dict[str, str] = field(default_factory=dict)
    maps: dict[str, MapRef] = field(default_factory=dict)
    gold: dict[str, Sketch] = field(default_factory=dict)  # type -> sketch of mapkit.gold
    examples: dict[str, dict[str, Any]] = field(default_factory=dict)  # type -> first item
    leakage: LeakageReport = field(default_factory=LeakageReport)

    @property
    def split_names(self) -> list[str]:
        """Splits present, train and test first."""
        order = {"train": 0, "validation": 1, "test": 2}
        return sorted(self.splits, key=lambda s: (order.get(s, 3), s))


def _image_pin(gold: Any) -> str | None:
    """The sha256 of the exact image a visual item asks about (``gold.map.image_sha256``), if any."""
    m = gold.get("map") if isinstance(gold, dict) else None
    pin = m.get("image_sha256") if isinstance(m, dict) else None
    return str(pin) if pin else None


def scan_items(items_path: str | os.PathLike[str], progress: ProgressFn | None = None) -> Scan:
    """One pass over the items: checks, counts, maps, leakage, gold shapes (see module docstring)."""
    path = Path(items_path)
    if not path.exists():
        raise DataNotFoundError(f"No items file at {path}.", hint="Run `mapkit generate` to make one.")
    scan = Scan(path=path, row_bytes=items_bytes(path))  # a sharded folder: its parts as one JSONL file
    pairs: dict[tuple[str, str, str], str] = {}
    shared_pairs: dict[tuple[str, str, str], None] = {}
    seen_ids: set[str] = set()
    types: dict[str, None] = {}
    for n, item in enumerate(read_items(path), 1):
        where = f"{path} (item {n})"
        check_item(item, where)
        if item["id"] in seen_ids:
            raise ItemError(f"{where}: duplicate id {item['id']!r}.", hint="Item ids must be unique.")
        seen_ids.add(item["id"])
        split, typ, mk = split_of(item), item["type"], item["mapkit"]
        types.setdefault(typ, None)
        scan.splits[split] += 1
        scan.by_type[typ] += 1
        scan.by_split_type[(split, typ)] += 1
        scan.by_type_level[(typ, item["difficulty_city"])] += 1
        scan.by_type_qlevel[(typ, item["difficulty_question"])] += 1
        scan.by_city[(item["country"], item["city"], split)] += 1
        scan.city_level.setdefault(item["city"], item["difficulty_city"])
        mid = map_id_of(item)
        ref = scan.maps.get(mid)
        if ref is None:
            ref = scan.maps[mid] = MapRef(
                mid, item["country"], item["city"], str(mk.get("city_ref") or item["city"]),
                str(mk.get("graph_hash") or ""),
            )  # fmt: skip
        ref.splits.add(split)
        ref.items += 1
        ref.figure = ref.figure or str(item.get("figure") or "")
        pin = _image_pin(mk.get("gold"))
        if pin:
            if ref.image_sha256 and ref.image_sha256 != pin:
                raise ItemError(
                    f"{where}: items of map {mid!r} pin two different images.",
                    hint="Generate all items of a city against one render (`mapkit generate --render`).",
                )
            ref.image_sha256 = pin
        scan.by_split_type_map.setdefault((split, typ), set()).add(mid)
        gold = mk.get("gold")
        scan.gold[typ] = merge_sketch(scan.gold.get(typ, ("null",)), sketch_of(gold))
        scan.examples.setdefault(typ, item)
        key = pair_key(item)
        if key is not None:
            first = pairs.setdefault(key, split)
            if first != split:
                shared_pairs[key] = None
        if progress and n % 2048 == 0:
            progress("scan", 2048, None)
    scan.n_items = len(seen_ids)
    scan.types = list(types)
    if progress:
        progress("scan", scan.n_items % 2048, None)
    scan.leakage = LeakageReport(
        shared_maps=sorted(m for m, ref in scan.maps.items() if len(ref.splits) > 1),
        shared_pairs=len(shared_pairs),
        pair_examples=[f"{c}: {a} / {b}" for c, a, b in list(shared_pairs)[:3]],
    )
    return scan


def check_leakage(scan: Scan, *, allow: bool = False) -> None:
    """Raise :class:`LeakageError` when splits share a map or a station pair (unless ``allow``).

    >>> import pathlib
    >>> scan = Scan(path=pathlib.Path("items.jsonl"), leakage=LeakageReport(shared_maps=["c/x"]))
    >>> check_leakage(scan, allow=True)
    >>> check_leakage(scan)
    Traceback (most recent call last):
    ...
    mapkit.errors.LeakageError: items.jsonl: train/test leakage: 1 map(s) in several splits (c/x). ...
    """
    if scan.leakage.leaks and not allow:
        raise LeakageError(
            f"{scan.path}: train/test leakage: {scan.leakage.describe()}.",
            hint="Re-split by city (drop `mapkit.split` from the items), or pass --allow-leakage "
            "if the overlap is intended.",
        )


# --- maps ----------------------------------------------------------------------------------


@dataclass
class ResolvedMap:
    """The PNG that will stand for a map in the export, and where it came from."""

    map_id: str
    path: Path
    source: str  # "given" (images mapping), "rendered" (a mapkit render), "beside items", "real" (data dir)
    bytes: int
    sha256: str
    width: int
    height: int
    layout: str = "unknown"
    """How the map was drawn: ``published`` (ReasonMap's own image), ``coords`` (a render placed by station
    coordinates), ``schematic`` (a render whose layout is computed from the graph: not geographic), ``unknown``."""
    style_seed: int | None = None
    """The render's style seed (renders only): part of how `mapkit generate --render` is reproduced."""


def _png_info(path: Path) -> tuple[int, str, int, int]:
    data = path.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ExportError(f"{path} is not a PNG file.", hint="Maps must be PNG images.")
    # width/height sit in the IHDR chunk; reading them avoids decoding 30-megapixel maps
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return len(data), "sha256:" + hashlib.sha256(data).hexdigest(), width, height


def images_from_folder(folder: str | os.PathLike[str]) -> dict[str, Path]:
    """Map PNGs of a folder by every name an item may use for them.

    ``<folder>/<country>/<city>.png`` and ``<folder>/<city>.png`` both work; a render manifest beside a
    PNG (``mapkit render`` writes ``<slug>.png`` + ``<slug>.json``) adds its ``country/city`` and city.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "los-angeles.png").write_bytes(b"")
    >>> _ = (d / "los-angeles.json").write_text('{"format": "mapkit.render-manifest/1", "city": "los_angeles", '
    ...                                        '"country": "america"}')
    >>> sorted(images_from_folder(d))
    ['america/los_angeles', 'los-angeles', 'los_angeles']
    """
    root = Path(folder)
    if not root.is_dir():
        raise ExportError(f"{root} is not a folder of map images.")
    out: dict[str, Path] = {}
    for p in sorted(root.rglob("*.png")):
        rel = p.relative_to(root)
        out.setdefault(p.stem, p)
        if len(rel.parts) == 2:
            out[f"{rel.parts[0]}/{p.stem}"] = p
        manifest = _manifest(p)
        if manifest:
            out[f"{manifest['country']}/{manifest['city']}"] = p
            out.setdefault(str(manifest["city"]), p)
    return out


def _manifest(png: Path) -> dict[str, Any] | None:
    """The render manifest beside ``png`` (``mapkit.render``'s ``<name>.json``), if there is one."""
    path = png.with_suffix(".json")
    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(doc, dict) and str(doc.get("format", "")).startswith("mapkit.render") and "city" in doc:
        return doc
    return None


def _lookup_image(images: Mapping[str, Any] | None, ref: MapRef) -> Path | None:
    if not images:
        return None
    from mapkit.names import slugify

    for key in (ref.map_id, ref.city, ref.city_ref, slugify(ref.city)):
        if key in images and images[key]:
            return Path(images[key])
    return None


def _render(ref: MapRef, data_dir: str | os.PathLike[str] | None, workdir: Path) -> Path | None:
    """Render a map with mapkit.render; None when the city cannot be loaded."""
    from mapkit.errors import UserInputError
    from mapkit.render import render_city
    from mapkit.sources import load_city

    try:
        graph = load_city(ref.city_ref, data_dir=data_dir)
    except UserInputError:  # unknown city or missing station list: nothing to render from
        return None
    if ref.graph_hash and graph.content_hash != ref.graph_hash:
        raise ExportError(
            f"The graph of {ref.city_ref!r} changed since the items were generated "
            f"({ref.graph_hash[:19]}… in the items, {graph.content_hash[:19]}… now).",
            hint="Regenerate the items, or pass the map image that matches them with --image.",
        )
    out_dir = workdir / ref.map_id.replace("/", "__")
    return Path(render_city(graph, out_dir).png_path)


_RENDER_JOB: dict[str, Any] = {}
"""What a forked render worker inherits: the maps to draw, the data dir and the folder to draw into."""


def _render_job(k: int) -> Path | None:
    return _render(_RENDER_JOB["refs"][k], _RENDER_JOB["data_dir"], _RENDER_JOB["workdir"])


def _render_missing(
    refs: list[MapRef], data_dir: str | os.PathLike[str] | None, workdir: Path, workers: int
) -> dict[str, Path | None]:
    """map_id -> the render of each map in ``refs`` (None: the city cannot be loaded), drawn on ``workers``
    processes (a render is a pure function of the graph: the same bytes for every value)."""
    from mapkit.parallel import map_ordered

    _RENDER_JOB.update(refs=refs, data_dir=data_dir, workdir=workdir)
    try:
        paths = list(map_ordered(_render_job, range(len(refs)), workers=workers))
    finally:
        _RENDER_JOB.clear()
    return {ref.map_id: path for ref, path in zip(refs, paths)}


def resolve_maps(
    scan: Scan,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    images: Mapping[str, Any] | str | os.PathLike[str] | None = None,
    workdir: Path | None = None,
    progress: ProgressFn | None = None,
    workers: int = 1,
) -> dict[str, ResolvedMap]:
    """A PNG for every map the items use: ``images`` (city, ``country/city`` or city_ref -> PNG, or a
    folder: :func:`images_from_folder`), else the image the items' ``figure`` points at beside the
    items file (what `mapkit generate --render` wrote), else the real image in the data dir, else a
    render (drawn on ``workers`` processes).

    A given PNG with a render manifest beside it must have been drawn from the items' graph
    (same ``graph_hash``); items that ask about pixels pin their image's sha256, and any other image
    is refused. Raises :class:`ExportError` listing every map left without an image.
    """
    from mapkit.data import map_image, resolve_data_dir

    if isinstance(images, (str, os.PathLike)):
        images = images_from_folder(images)
    ddir = resolve_data_dir(data_dir)
    found: dict[str, tuple[Path | None, str]] = {}
    for mid, ref in sorted(scan.maps.items()):
        path, source = _lookup_image(images, ref), "given"
        if path is not None and not path.is_file():
            raise ExportError(f"The image given for {ref.city!r} does not exist: {path}.")
        manifest = _manifest(path) if path is not None else None
        if manifest is not None:
            source = "rendered"
            drawn = str(manifest.get("graph_hash") or "")
            if ref.graph_hash and drawn and drawn != ref.graph_hash:
                raise ExportError(
                    f"The render {path} was drawn from another graph of {ref.city!r} than the items were "
                    f"generated from ({drawn[:19]}… vs {ref.graph_hash[:19]}…).",
                    hint="Render the map again (`mapkit render`) or regenerate the items.",
                )
        if path is None and ref.figure:
            beside = (items_folder(scan.path) / ref.figure).resolve()
            if beside.is_file():
                path, source = beside, ("rendered" if _manifest(beside) is not None else "beside items")
        if path is None:
            path, source = map_image(ddir, ref.city, ref.country), "real"
        found[mid] = (path, source)
    to_draw = [scan.maps[mid] for mid, (path, _) in found.items() if path is None]
    if to_draw and workdir is not None:
        for mid, path in _render_missing(to_draw, data_dir, workdir, workers).items():
            found[mid] = (path, "rendered")
    out: dict[str, ResolvedMap] = {}
    missing: list[str] = []
    for mid, (path, source) in found.items():
        ref = scan.maps[mid]
        if path is None:
            missing.append(mid)
            continue
        size, sha, w, h = _png_info(path)
        if ref.image_sha256 and sha != ref.image_sha256:
            raise ExportError(
                f"The {source} image {path} for {ref.city!r} is not the map its items ask about: their "
                f"questions are about pixels of the image with {ref.image_sha256[:19]}…, this one has {sha[:19]}….",
                hint="Export from the folder `mapkit generate --render` wrote (items beside maps/), or pass "
                "that render with --maps-dir.",
            )
        layout, style_seed = ("published", None) if source == "real" else ("unknown", None)
        drawn = _manifest(path)
        if drawn is not None:
            settings = drawn.get("settings") if isinstance(drawn.get("settings"), dict) else {}
            layout, style_seed = str(settings.get("layout") or "unknown"), settings.get("style_seed")
        out[mid] = ResolvedMap(mid, path, source, size, sha, w, h, layout, style_seed)
        if progress:
            progress("maps", 1, len(scan.maps))
    if missing:
        raise ExportError(
            f"No map image for {len(missing)} map(s): {', '.join(missing)} (looked in {ddir}/maps).",
            hint="Pass --image CITY=PNG (or --maps-dir DIR), point --data-dir at a folder with the real "
            "maps, or render them with `mapkit render`.",
        )
    return out


# --- the output folder ---------------------------------------------------------------------


@dataclass
class OutPlan:
    """What an export will do with an existing ``--out`` folder (see :func:`check_out`).

    ``keep``: files mapkit did not write (a user's notes, an edited copy under another name), carried
    over into the new export; ``replace``: the whole old folder goes (``overwrite``, or nothing to keep).
    """

    target: Path
    exists: bool = False
    keep: list[str] = field(default_factory=list)
    overwrite: bool = False


def _rel_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() or p.is_symlink())


def check_out(out: str | os.PathLike[str], *, overwrite: bool = False) -> OutPlan:
    """Check ``out`` before any work: what a re-export keeps, or why it must refuse.

    * missing or empty: written fresh;
    * an earlier mapkit export (it holds :data:`MARKER_FILE`, which lists every file mapkit wrote with
      its checksum): mapkit's own files are replaced, **every other file is kept**; a file of mapkit's
      that was edited since (a README you changed) is refused unless ``overwrite``;
    * ``overwrite``: an earlier export is replaced whole (files you added are deleted);
    * anything else (a folder mapkit did not write) is refused, ``overwrite`` or not.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "notes.txt").write_text("mine")
    >>> try:
    ...     check_out(d)
    ... except ExportError as err:
    ...     print(err.message.split(": ")[-1])
    refusing to write into it.
    """
    target = Path(out).resolve()  # "." and "dir/" get a real name and parent
    plan = OutPlan(target=target, overwrite=overwrite)
    if not target.exists():
        return plan
    if not target.is_dir():
        raise ExportError(f"{target} exists and is not a folder.", hint="Choose another --out folder.")
    plan.exists = True
    files = _rel_files(target)
    if not files:
        return plan
    marker = target / MARKER_FILE
    if not marker.is_file():
        raise ExportError(
            f"{target} is not empty and was not written by mapkit export ({len(files)} file(s), no "
            f"{MARKER_FILE}): refusing to write into it.",
            hint="Choose another --out folder, or empty this one yourself.",
        )
    if overwrite:
        return plan
    try:
        recorded = json.loads(marker.read_text(encoding="utf-8")).get("files")
    except (OSError, ValueError, AttributeError):
        recorded = None
    if not isinstance(recorded, dict):
        raise ExportError(
            f"{target} is an export by an older mapkit that did not record which files it wrote, so files "
            "you added there cannot be told apart from mapkit's.",
            hint="Pass --overwrite to replace the folder whole (files you added there are deleted), or choose "
            "another --out folder.",
        )
    edited = []
    for rel, meta in sorted(recorded.items()):
        p = target / rel
        if not p.is_file():
            continue
        if p.stat().st_size != meta.get("bytes") or file_sha256(p) != meta.get("sha256"):
            edited.append(rel)
    if edited:
        shown = ", ".join(edited[:5]) + (f" and {len(edited) - 5} more" if len(edited) > 5 else "")
        raise ExportError(
            f"{target}: {len(edited)} file(s) that mapkit wrote were changed since ({shown}); a new export "
            "would replace them.",
            hint="Copy your changes elsewhere first, or pass --overwrite to replace the folder whole (files "
            "you added there are deleted too).",
        )
    plan.keep = [rel for rel in files if rel != MARKER_FILE and rel not in recorded]
    return plan


def _record_files(tmp: Path) -> None:
    """Add the list of files the export wrote (with checksums) to its marker: a later export keeps the rest."""
    from mapkit.io import write_json

    marker = tmp / MARKER_FILE
    if not marker.is_file():
        return
    doc = json.loads(marker.read_text(encoding="utf-8"))
    doc["files"] = {
        rel: {"bytes": (tmp / rel).stat().st_size, "sha256": file_sha256(tmp / rel)}
        for rel in _rel_files(tmp)
        if rel != MARKER_FILE
    }
    write_json(marker, doc)


def record_file(folder: str | os.PathLike[str], rel: str) -> None:
    """Update the marker's checksum of one file mapkit rewrote in place (``mapkit publish``: the card)."""
    from mapkit.io import write_json

    root = Path(folder)
    marker = root / MARKER_FILE
    if not marker.is_file():
        return
    doc = json.loads(marker.read_text(encoding="utf-8"))
    if isinstance(doc.get("files"), dict):
        doc["files"][rel] = {"bytes": (root / rel).stat().st_size, "sha256": file_sha256(root / rel)}
        write_json(marker, doc)


@contextlib.contextmanager
def staged_folder(out: str | os.PathLike[str] | OutPlan) -> Iterator[Path]:
    """Write an export into a temporary sibling folder; swap it in only when the block succeeds.

    ``out`` is a folder or the :class:`OutPlan` of :func:`check_out` (which is run here when not given):
    the files it keeps are moved into the new folder before the swap, and one that collides with a
    file the export wrote is refused; on any failure the old folder stays exactly as it was.
    """
    plan = out if isinstance(out, OutPlan) else check_out(out)
    target = plan.target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    moved: list[str] = []
    try:
        yield tmp
        _record_files(tmp)
        _umask_modes(tmp)
        clash = [rel for rel in plan.keep if (tmp / rel).exists() or any(
            (tmp / parent).is_file() for parent in Path(rel).parents if str(parent) != ".")]  # fmt: skip
        if clash:
            raise ExportError(
                f"{target}: file(s) mapkit did not write sit where this export writes its own: {', '.join(clash[:5])}.",
                hint="Move them out of the folder, or pass --overwrite to replace the folder whole.",
            )
        for rel in plan.keep:  # a user's files travel into the new folder (same file system: a rename)
            dest = tmp / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(target / rel, dest)
            moved.append(rel)
        if target.exists():
            old = target.with_name(f".{target.name}.old-{os.getpid()}")
            os.replace(target, old)
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    except BaseException:
        for rel in moved:  # give the user's files back before the staging folder goes
            with contextlib.suppress(OSError):
                (target / rel).parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp / rel, target / rel)
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _umask_modes(root: Path) -> None:
    """Give the folder ordinary permissions: mkdtemp/mkstemp create 0700/0600, a dataset is shared."""
    mask = os.umask(0)
    os.umask(mask)
    root.chmod(0o777 & ~mask)
    for p in root.rglob("*"):
        p.chmod((0o777 if p.is_dir() else 0o666) & ~mask)


def folder_bytes(root: Path) -> tuple[int, int]:
    """(number of files, total bytes) under ``root``.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "a.txt").write_text("abc")
    >>> folder_bytes(d)
    (1, 3)
    """
    n = total = 0
    for p in root.rglob("*"):
        if p.is_file():
            n += 1
            total += p.stat().st_size
    return n, total


# --- the context handed to a format writer -------------------------------------------------


@dataclass
class ExportContext:
    """What a format writer gets: the scan, the resolved maps, the folder to fill, options."""

    items_path: Path
    out: Path
    scan: Scan
    maps: dict[str, ResolvedMap]
    data_dir: Path | None = None
    options: dict[str, Any] = field(default_factory=dict)
    progress: ProgressFn | None = None
    notes: list[str] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)

    def iter_items(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(split, item) for every item, in file order (a second streamed read of the file)."""
        n = 0
        for n, item in enumerate(read_items(self.items_path), 1):
            yield split_of(item), item
            if self.progress and n % 2048 == 0:
                self.progress("write", 2048, self.scan.n_items)
        if self.progress:
            self.progress("write", n % 2048, self.scan.n_items)

    def row_tables(self, row: Any, schema: Any, *, name: Callable[[Any], str] = str) -> Iterator[tuple[Any, Any]]:
        """``(key, Arrow table)`` of ``row(split, item) -> (key, row)`` over every item, in file order, made on
        ``options["workers"]`` processes (:mod:`mapkit.export.rows`: the same tables for every number);
        with ``schema`` None, ``(key, [row, ...])``. Items ``row`` leaves out are counted in ``skipped``."""
        from mapkit.export.rows import row_tables

        def progress(n: int) -> None:
            if self.progress:
                self.progress("write", n, self.scan.n_items)

        workers = int(self.options.get("workers") or 1)
        yield from row_tables(self.items_path, row, schema, workers=workers, name=name, progress=progress,
                              skipped=self.skipped)  # fmt: skip

    def copy_maps(self, root: str) -> dict[str, str]:
        """Copy each map once to ``<out>/<root>/<country>/<city>.png``; map_id -> relative path."""
        rel: dict[str, str] = {}
        for mid, m in self.maps.items():
            r = f"{root}/{mid}.png" if root else f"{mid}.png"
            dest = self.out / r
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(m.path, dest)
            rel[mid] = r
        return rel

    def image_bytes(self) -> int:
        """Bytes of the unique map images."""
        return sum(m.bytes for m in self.maps.values())


def write_marker(ctx: ExportContext, fmt: str, extra: dict[str, Any] | None = None) -> None:
    """Record what made the folder (format, source, counts, mapkit version) in :data:`MARKER_FILE`."""
    from mapkit import __version__
    from mapkit.io import write_json

    doc = {
        "format": fmt,
        "mapkit_version": __version__,
        "items_file": ctx.items_path.name,
        "items": ctx.scan.n_items,
        "splits": dict(sorted(ctx.scan.splits.items())),
        "maps": {mid: {"source": m.source, "sha256": m.sha256} for mid, m in sorted(ctx.maps.items())},
        **(extra or {}),
    }
    write_json(ctx.out / MARKER_FILE, doc)
