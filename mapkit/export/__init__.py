"""Export canonical items to a Hugging Face dataset folder or a trainer's format (docs/export.md).

:func:`export_items` reads an items JSONL twice (a scan, then the write), never holding all items:
it checks every row, refuses train/test leakage (a map or a station pair in two splits), finds a
PNG for every map (given images, the real maps of the data dir, or renders), and hands the rest to
the format's writer (:data:`mapkit.export.formats.FORMATS`). The folder appears only when the whole
export succeeded.

Example:
    >>> import tempfile, pathlib
    >>> from PIL import Image
    >>> from mapkit.generate import write_items
    >>> from mapkit.graph import toy_city
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> Image.new("RGB", (8, 8), "white").save(d / "toy.png")
    >>> _ = write_items(d / "items.jsonl", [toy_city()], types=["TorF1"], n_per_type=1)
    >>> report = export_items(d / "items.jsonl", to="sharegpt", out=d / "sft", images={"toyville": d / "toy.png"})
    >>> report.items_written, sorted(p.name for p in (d / "sft").iterdir())
    (1, ['.mapkit-export.json', 'dataset_info.json', 'maps', 'train.json'])
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import tracemalloc
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mapkit.errors import ConfigError, ExportError, ItemError
from mapkit.export.core import (
    TEST_CITIES,
    ExportContext,
    LeakageReport,
    ProgressFn,
    check_leakage,
    check_out,
    folder_bytes,
    resolve_maps,
    scan_items,
    staged_folder,
)
from mapkit.export.formats import FORMATS

__all__ = ["FORMATS", "TEST_CITIES", "ExportReport", "export_items"]


@dataclass
class ExportReport:
    """What an export wrote: counts, maps, sizes (the image-once ratio), leakage, time, notes."""

    format: str
    out: Path
    items_in: int
    items_written: int
    splits: dict[str, int]
    types: dict[str, int]
    maps: dict[str, str]  # map_id -> source (given / real / rendered)
    files: int
    total_bytes: int
    image_bytes: int
    row_bytes: int
    leakage: LeakageReport
    seconds: float
    peak_memory_bytes: int | None = None
    skipped: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def size_ratio(self) -> float:
        """Folder bytes / (unique map bytes + canonical JSONL bytes): 1.0 means no duplication at all."""
        base = self.image_bytes + self.row_bytes
        return self.total_bytes / base if base else 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (``mapkit export --json``)."""
        return {
            "format": self.format,
            "out": str(self.out),
            "items_in": self.items_in,
            "items_written": self.items_written,
            "splits": self.splits,
            "types": self.types,
            "maps": self.maps,
            "files": self.files,
            "total_bytes": self.total_bytes,
            "image_bytes": self.image_bytes,
            "row_bytes": self.row_bytes,
            "size_ratio": round(self.size_ratio, 4),
            "leakage": self.leakage.to_dict(),
            "seconds": round(self.seconds, 3),
            "peak_memory_bytes": self.peak_memory_bytes,
            "skipped": self.skipped,
            "notes": self.notes,
        }


def _kept_note(keep: list[str], target: Path) -> list[str]:
    if not keep:
        return []
    shown = ", ".join(keep[:5]) + (" …" if len(keep) > 5 else "")
    return [f"kept {len(keep)} file(s) in {target} that mapkit did not write: {shown}"]


def export_items(
    items_path: str | os.PathLike[str],
    *,
    to: str,
    out: str | os.PathLike[str],
    data_dir: str | os.PathLike[str] | None = None,
    images: Mapping[str, str | os.PathLike[str]] | str | os.PathLike[str] | None = None,
    allow_leakage: bool = False,
    image_root: str | None = None,
    pretty_name: str | None = None,
    rows_per_shard: int | None = None,
    progress: ProgressFn | None = None,
    trace_memory: bool = False,
    overwrite: bool = False,
    allow_empty: bool = False,
    repo_id: str | None = None,
    verify_reproduce: bool = True,
    workers: int = 1,
) -> ExportReport:
    """Export the items at ``items_path`` as format ``to`` into the folder ``out``.

    * ``data_dir``: the ReasonMap data (real maps; graphs for ``reasonmap-plus`` station lists);
    * ``images``: PNGs by city name, ``country/city`` or city reference, or a folder of PNGs (``mapkit
      render`` output included); they win over real maps;
    * ``allow_leakage``: write even when splits share a map or a station pair (else LeakageError);
    * ``image_root``: verl only: prefix for image paths in rows (default: absolute paths);
    * ``trace_memory``: measure the peak Python heap of the export (tracemalloc; slows it down);
    * ``overwrite``: replace an earlier export whole; without it, files in ``out`` that mapkit did not
      write are kept, and an edited file of mapkit's is refused (:func:`~mapkit.export.core.check_out`);
    * ``allow_empty``: export an items file with no items (else :class:`~mapkit.errors.ItemError`);
    * ``repo_id``: hf: the Hub repo named in the card's quick start (default: the ``out`` folder);
    * ``verify_reproduce``: hf: regenerate the items from the `mapkit generate` command derived from them
      and state in the card whether that gave the same bytes (:mod:`mapkit.export.reproduce`);
    * ``workers``: processes that turn the items into rows (:mod:`mapkit.export.rows`), draw missing
      maps and, for hf, regenerate the items of that check (:mod:`mapkit.parallel`); the folder is the
      same bytes for every value.

    Raises :class:`~mapkit.errors.LeakageError`, :class:`~mapkit.errors.ExportError`,
    :class:`~mapkit.errors.ItemError` or :class:`~mapkit.errors.DataNotFoundError`; ``out`` is left
    untouched on any error.
    """
    if to not in FORMATS:
        raise ConfigError(f"Unknown export format {to!r}; choose one of: {', '.join(FORMATS)}.")
    if workers < 1:
        raise ConfigError(f"`workers` must be 1 or more (got {workers}).")
    start = time.perf_counter()
    plan = check_out(out, overwrite=overwrite)  # before any work: a refusal costs nothing
    if trace_memory:
        tracemalloc.start()
    try:
        scan = scan_items(items_path, progress=progress)
        if scan.n_items == 0 and not allow_empty:
            raise ItemError(
                f"{items_path} holds no items: there is nothing to export.",
                hint="Generate items first (`mapkit generate`), or pass --allow-empty to write an empty dataset.",
            )
        check_leakage(scan, allow=allow_leakage)
        render_dir = Path(tempfile.mkdtemp(prefix="mapkit-render-"))
        try:
            maps = resolve_maps(scan, data_dir=data_dir, images=images, workdir=render_dir, progress=progress,
                               workers=workers)  # fmt: skip
            options = {"image_root": image_root, "pretty_name": pretty_name, "rows_per_shard": rows_per_shard,
                       "final_out": Path(out), "repo_id": repo_id, "verify_reproduce": verify_reproduce,
                       "workers": workers}  # fmt: skip
            with staged_folder(plan) as tmp:
                ctx = ExportContext(
                    items_path=Path(items_path),
                    out=tmp,
                    scan=scan,
                    maps=maps,
                    data_dir=Path(data_dir) if data_dir else None,
                    options=options,
                    progress=progress,
                )
                details = FORMATS[to](ctx)
                n_files, total = folder_bytes(tmp)
        finally:
            shutil.rmtree(render_dir, ignore_errors=True)
        peak = tracemalloc.get_traced_memory()[1] if trace_memory else None
    except OSError as err:  # disk full, permissions: a user-facing error, not a traceback
        where = f" ({err.filename})" if getattr(err, "filename", None) else ""
        raise ExportError(f"Cannot write the export to {out}{where}: {err.strerror or err}.") from None
    finally:
        if trace_memory:
            tracemalloc.stop()
    skipped = dict(sorted(ctx.skipped.items()))
    return ExportReport(
        format=to,
        out=Path(out),
        items_in=scan.n_items,
        items_written=scan.n_items - sum(skipped.values()),
        splits={s: scan.splits[s] for s in scan.split_names},
        types={t: scan.by_type[t] for t in scan.types},
        maps={m: r.source for m, r in sorted(maps.items())},
        files=n_files,
        total_bytes=total,
        image_bytes=ctx.image_bytes(),
        row_bytes=scan.row_bytes,
        leakage=scan.leakage,
        seconds=time.perf_counter() - start,
        peak_memory_bytes=peak,
        skipped=skipped,
        notes=list(ctx.notes) + _kept_note(plan.keep, plan.target),
        details=details or {},
    )
