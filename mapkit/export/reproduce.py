"""How to make an items file again: the `mapkit generate` command derived from the items, checked by running it.

The dataset card's *Reproduce* section comes from here. :func:`derive` reads the items and works out
the one `mapkit generate` call that would have written them: the cities in plan order, the types in
order, the seed, the per-type count (or ``--preset reasonmap-plus``), ``--render`` and its style seed
when the maps beside the items are mapkit renders. :func:`verify` then runs that generation in-process
and compares every line with the file, byte for byte, stopping at the first difference. The card says
"verified" only when the whole file came out identical; otherwise it says why not and still gives the
file's checksum.

Example:
    >>> import tempfile, pathlib
    >>> from mapkit.generate import write_items
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "items.jsonl"
    >>> _ = write_items(p, ["demo"], types=["TorF1", "Counting2"], n_per_type=3, seed=5)
    >>> r = derive(p)  # `demo` is the synthetic city of seed 7: its items name it so
    >>> r.command()
    'mapkit generate --city synthetic:7 --types TorF1,Counting2 --n 3 --seed 5 --out items.jsonl'
    >>> verify(r, p).verified
    True
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO

from mapkit.shardset import is_sharded, item_lines, items_folder, items_sha256


@dataclass
class Reproduction:
    """The derived `mapkit generate` call of an items file, and whether running it gave the same bytes."""

    items_sha256: str
    items: int
    cities: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    n: int | None = None
    seed: int | None = None
    preset: str | None = None
    render: bool = False
    style_seed: int | None = None
    reason: str = ""
    """Why no command could be derived, or why it was not verified (empty when verified)."""
    verified: bool = False

    @property
    def derived(self) -> bool:
        return self.seed is not None and (bool(self.preset) or bool(self.cities))

    def args(self) -> list[str]:
        """The arguments after ``mapkit generate`` (without ``--out`` and ``--data-dir``)."""
        if not self.derived:
            return []
        out: list[str] = []
        if self.preset:
            out += ["--preset", self.preset]
        else:
            for c in self.cities:
                out += ["--city", c]
            out += ["--types", ",".join(self.types), "--n", str(self.n)]
        out += ["--seed", str(self.seed)]
        if self.render:
            out.append("--render")
            if self.style_seed is not None:
                out += ["--style-seed", str(self.style_seed)]
        return out

    def command(self, out: str = "items.jsonl") -> str:
        """The shell command (``''`` when none was derived)."""
        if not self.derived:
            return ""
        return shlex.join(["mapkit", "generate", *self.args(), "--out", out])


def derive(items_path: str | os.PathLike[str], maps: Mapping[str, Any] | None = None) -> Reproduction:
    """Work out the `mapkit generate` call of ``items_path`` (not run: see :func:`verify`).

    ``maps``: the export's resolved maps (map_id -> :class:`~mapkit.export.core.ResolvedMap`); renders
    found beside the items mean ``--render`` (with the render's style seed).
    """
    from mapkit.presets import REASONMAP_CITIES
    from mapkit.questions import PLUS_TYPES

    path = Path(items_path)
    rep = Reproduction(items_sha256=items_sha256(path), items=0)
    seeds: set[int] = set()
    blocks: list[tuple[str, str]] = []
    counts: Counter[tuple[str, str]] = Counter()
    with_split = True
    # one stream of lines: an items file, or a sharded folder's parts
    for line in item_lines(path):
        if not line.strip():
            continue
        item = json.loads(line)
        rep.items += 1
        mk = item.get("mapkit") or {}
        seeds.add(mk.get("seed"))
        key = (str(mk.get("city_ref") or item.get("city")), str(item.get("type")))
        if not blocks or blocks[-1] != key:
            blocks.append(key)
        counts[key] += 1
        with_split = with_split and "split" in mk
    if rep.items == 0:
        rep.reason = "the items file is empty"
        return rep
    if len(seeds) != 1 or not isinstance(next(iter(seeds)), int):
        rep.reason = f"the items were made with {len(seeds)} different seeds"
        return rep
    if len(set(blocks)) != len(blocks):
        rep.reason = "the items are not in generation order (a city/type block repeats)"
        return rep
    cities = list(dict.fromkeys(c for c, _ in blocks))
    types = list(dict.fromkeys(t for _, t in blocks))
    order = [(c, t) for c in cities for t in types]
    if [k for k in order if k in counts] != blocks:
        rep.reason = "the items are not in generation order (types differ in order between cities)"
        return rep
    rep.seed = next(iter(seeds))
    if cities == list(REASONMAP_CITIES) and types == list(PLUS_TYPES) and with_split:
        rep.preset = "reasonmap-plus"
    else:
        rep.cities, rep.types, rep.n = cities, types, max(counts.values())
    renders = [m for m in (maps or {}).values() if m.source == "rendered" and _beside(m.path, items_folder(path))]
    if renders:
        rep.render = True
        rep.style_seed = renders[0].style_seed
    return rep


def _beside(png: Path, folder: Path) -> bool:
    try:
        Path(png).resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def verify(
    rep: Reproduction,
    items_path: str | os.PathLike[str],
    data_dir: str | os.PathLike[str] | None = None,
    *,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> Reproduction:
    """Run the derived generation in-process; ``rep.verified`` when its bytes are the file's bytes.

    The generation runs on ``workers`` processes (:func:`mapkit.parallel.run_sharded`, maps drawn in
    parallel too: the bytes are those of one process), its JSONL compared with the file as it comes, in
    order; it stops at the first differing line, so an items file that was not made by one command costs
    little. ``progress(done, total)`` follows the regenerated items.
    """
    from mapkit.errors import MapkitError
    from mapkit.generate import GenerateSpec, GenerationSummary, _configs, plan_items
    from mapkit.parallel import run_sharded

    if not rep.derived:
        return rep
    with tempfile.TemporaryDirectory(prefix="mapkit-reproduce-") as tmp:
        counts = {"preset": rep.preset} if rep.preset else {"types": rep.types, "n_per_type": rep.n}
        spec = GenerateSpec(None if rep.preset else rep.cities, seed=rep.seed, data_dir=data_dir, workers=workers,
                            **counts)  # fmt: skip
        if rep.render:
            spec = replace(spec, render=True, render_dir=Path(tmp) / "maps", items_dir=Path(tmp),
                           style_seed=rep.style_seed)  # fmt: skip
        try:
            with _open_bytes(items_path) as fh:
                if progress is not None:
                    progress(0, rep.items)  # the bar shows while the maps are drawn again
                same = _SameBytes(fh)
                plan = plan_items(spec)
                cfgs = _configs(sorted({e.family for _, e in plan}), spec.configs)
                run_sharded(plan, spec.seed, cfgs, GenerationSummary(), same.write, workers=workers,
                            progress=progress)  # fmt: skip
                same.finish()
        except _Differs as d:
            rep.reason = str(d)
            return rep
        except MapkitError as err:
            rep.reason = f"regenerating failed: {err.message.rstrip('.')}"
            return rep
    rep.verified, rep.reason = True, ""
    return rep


class _Differs(Exception):
    """The regenerated bytes left the file's: the message says where (stops the generation)."""


@contextlib.contextmanager
def _open_bytes(path: str | os.PathLike[str]) -> Iterator[BinaryIO | _Joined]:
    """The items' JSONL bytes, from one file or a sharded folder's parts in order."""
    if is_sharded(path):
        yield _Joined(item_lines(path))
    else:
        with Path(path).open("rb") as fh:
            yield fh


class _Joined:
    """``read(n)`` over a stream of text lines (a sharded folder's parts), as if they were one file."""

    def __init__(self, lines: Iterator[str]) -> None:
        self.lines = lines
        self.buf = bytearray()

    def read(self, n: int) -> bytes:
        while len(self.buf) < n:
            line = next(self.lines, None)
            if line is None:
                break
            self.buf += line.encode("utf-8")
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out


class _SameBytes:
    """Compares JSONL bytes, chunk by chunk as they are generated, with an open file (``write`` raises
    :class:`_Differs` at the first differing line). A file without its last newline still matches."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh
        self.lines = 0
        self.tail = b""  # the generated bytes' last line, for the message

    def write(self, data: bytes) -> None:
        have = self.fh.read(len(data))
        if have != data and not (have + b"\n" == data and not self.fh.read(1)):
            at = next((i for i, (a, b) in enumerate(zip(have, data)) if a != b), min(len(have), len(data)))
            line_no = self.lines + data.count(b"\n", 0, at) + 1
            start = data.rfind(b"\n", 0, at) + 1
            end = data.find(b"\n", at)
            item_id = _id_of(data[start : end if end >= 0 else len(data)])
            raise _Differs(f"regenerating gave a different item at line {line_no} ({item_id})")
        self.lines += data.count(b"\n")

    def finish(self) -> None:
        if self.fh.read(1):
            raise _Differs(f"regenerating gave {self.lines} items; the file has more")


def _id_of(line: bytes) -> str:
    try:
        return str(json.loads(line).get("id"))
    except (ValueError, AttributeError):
        return "?"
