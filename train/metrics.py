"""Per-step metrics: one JSON object per line in ``RUN/metrics.jsonl``, and a rich live view of them.

Fields of a row (all numbers but ``stage``): ``step``, ``stage``; the reward: ``reward`` (mean),
``reward_std``, ``reward_norm`` (mean reward / max reward, what a gate compares), ``format``, ``correct``,
``detail`` (means of the unweighted terms), ``zero_spread`` (fraction of groups whose rewards are all
equal); the update: ``loss``, ``pg_loss``, ``kl``, ``clip_frac``, ``entropy``, ``grad_norm``,
``logprob_gap`` (max |sampler - trainer| log-prob on the batch: ~1e-7 in fp32, a red flag above 1e-3);
the completions: ``len_mean``, ``len_max``, ``truncated`` (fraction without an end token); time:
``gen_s``, ``update_s``, ``step_s``.

Example:
    >>> import pathlib, tempfile
    >>> log = MetricsLog(pathlib.Path(tempfile.mkdtemp()) / "metrics.jsonl")
    >>> log.write({"step": 1, "reward": 0.5}); log.write({"step": 2, "reward": 1.0})
    >>> log.truncate(after_step=1); [r["step"] for r in read_metrics(log.path)]
    [1]
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from mapkit.errors import DataFileError

__all__ = ["LiveView", "MetricsLog", "read_metrics"]


class MetricsLog:
    """Append-only JSONL of step rows (flushed each step, so a killed run keeps what it logged)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, row: dict[str, Any]) -> None:
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(row) + "\n")

    def truncate(self, after_step: int) -> None:
        """Drop rows past ``after_step`` (a resumed run re-logs the steps after its checkpoint)."""
        if not self.path.is_file():
            return
        keep = [r for r in read_metrics(self.path) if int(r.get("step", 0)) <= after_step]
        from mapkit.io import write_text_atomic

        write_text_atomic(self.path, "".join(json.dumps(r) + "\n" for r in keep))


def read_metrics(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The rows of a metrics file; a bad line is an error naming it (a half-written last line is skipped)."""
    p = Path(path)
    if not p.is_file():
        raise DataFileError("no metrics file here; is this a `mapkit train` run folder?", path=p)
    lines = p.read_text(encoding="utf-8").splitlines()
    rows = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as e:
            if n == len(lines):  # the run was killed mid-write
                break
            raise DataFileError(f"invalid JSON ({e.msg}).", path=p, location=f"line {n}") from None
    return rows


SHOWN = (("reward", "{:.3f}"), ("reward_std", "{:.3f}"), ("correct", "{:.2f}"), ("format", "{:.2f}"),
         ("zero_spread", "{:.2f}"), ("kl", "{:.4f}"), ("clip_frac", "{:.3f}"), ("entropy", "{:.2f}"),
         ("len_mean", "{:.1f}"), ("truncated", "{:.2f}"), ("gen_s", "{:.2f}"), ("update_s", "{:.2f}"))  # fmt: skip


class LiveView:
    """A progress bar and the latest step's numbers, redrawn in place (a no-op when ``enabled`` is false)."""

    def __init__(self, total: int, start: int = 0, *, enabled: bool = True, console: Console | None = None) -> None:
        self.enabled = enabled
        self.progress = Progress(TextColumn("[bold]GRPO[/] {task.fields[stage]}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), TimeRemainingColumn(), console=console)  # fmt: skip
        self.task = self.progress.add_task("steps", total=total, completed=start, stage="")
        self.live = Live(self._render(None), console=console, refresh_per_second=4, transient=False)

    def _render(self, row: dict[str, Any] | None) -> Group:
        table = Table(box=None, pad_edge=False, show_header=True)
        for name, _ in SHOWN:
            table.add_column(name, justify="right")
        if row:
            table.add_row(*(fmt.format(row[k]) if isinstance(row.get(k), (int, float)) else "-" for k, fmt in SHOWN))
        return Group(self.progress, table)

    def __enter__(self) -> LiveView:
        if self.enabled:
            self.live.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.enabled:
            self.live.__exit__(*exc)

    def update(self, row: dict[str, Any]) -> None:
        if self.enabled:
            self.progress.update(self.task, completed=row["step"], stage=row.get("stage", ""))
            self.live.update(self._render(row))
