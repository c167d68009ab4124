"""`mapkit train`, `mapkit train plot RUN` and `mapkit eval`: GRPO on mapkit items (needs the train extra).

torch and transformers are imported inside the commands only, so `mapkit --help` and the core commands
never load them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from mapkit.cli.console import err, out
from mapkit.cli.options import DataDirOpt, examples
from rich.table import Table

from mapkit.errors import ConfigError, TrainingError

train_app = typer.Typer(
    help="GRPO training on mapkit items (RewardMap's reward and curriculum)."
    + examples(
        "mapkit train --items out/demo/items.jsonl --model tiny --steps 60 --out runs/demo",
        "mapkit train --items items.jsonl --model ./Qwen2.5-VL-3B-Instruct --config grpo-3b.yaml --out runs/3b",
        "mapkit train --resume runs/demo --steps 120",
        "mapkit train plot runs/demo",
    ),
    invoke_without_command=True,
    no_args_is_help=True,
    rich_markup_mode=None,
)


def register(app: typer.Typer) -> None:
    app.add_typer(train_app, name="train")
    app.command(
        "eval",
        help="Answer items greedily with a model and score the answers like `mapkit score` (per type and difficulty)."
        + examples(
            "mapkit eval --model tiny --items out/demo/items.jsonl --out runs/eval-tiny",
            "mapkit eval --model runs/demo/checkpoints/step-000060/model --items test.jsonl --out runs/eval",
        ),
    )(eval_cmd)


def _require_train() -> None:
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as e:
        raise TrainingError(
            f"Training needs torch and transformers ({e.name} is not installed).",
            hint='pip install -e ".[train]" (it pins the CPU/GPU wheel torch==2.13.0).',
        ) from None


def _parse_sets(pairs: list[str]) -> dict[str, Any]:
    import yaml

    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set {pair!r}: expected KEY=VALUE, e.g. --set kl_coef=0.001.")
        out[key.strip().replace("-", "_")] = yaml.safe_load(value)
    return out


@train_app.callback()
def train_cmd(
    ctx: typer.Context,
    items: Annotated[Path | None, typer.Option("--items", help="Items JSONL or an hf/trl export folder.")] = None,
    model: Annotated[str | None, typer.Option("--model", help="`tiny` or a local Hugging Face model folder.")] = None,
    run_dir: Annotated[Path | None, typer.Option("--out", help="Run folder (config, metrics, checkpoints).")] = None,
    steps: Annotated[int | None, typer.Option("--steps", help="Total optimiser steps.")] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="JSON/YAML file of TrainConfig fields (flags override it).")
    ] = None,
    sets: Annotated[
        list[str] | None, typer.Option("--set", help="Any TrainConfig field, KEY=VALUE (repeatable).")
    ] = None,
    types: Annotated[str | None, typer.Option("--types", help="Comma-separated item types to keep.")] = None,
    resume: Annotated[
        Path | None, typer.Option("--resume", help="Continue RUN from its latest checkpoint (its own config).")
    ] = None,
    data_dir: DataDirOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No live display.")] = False,
    use_trl: Annotated[
        bool, typer.Option("--trl", help="Run the same config through TRL's GRPOTrainer (e.g. under accelerate).")
    ] = False,
) -> None:
    """Train with GRPO; every setting is a TrainConfig field, written to RUN/config.json."""
    if ctx.invoked_subcommand is not None:
        return
    _require_train()
    from mapkit.train.config import TrainConfig

    from mapkit.io import load_document

    if resume is not None:
        given = [n for n, v in (("--items", items), ("--model", model), ("--config", config), ("--set", sets),
                                ("--types", types), ("--out", run_dir)) if v]  # fmt: skip
        if given:
            raise ConfigError(f"--resume continues a run with its own config; drop {', '.join(given)} (only --steps).")
        cfg_path = resume / "config.json"
        if not cfg_path.is_file():
            raise ConfigError(f"{cfg_path}: not found; --resume takes a run folder written by `mapkit train`.")
        raw = load_document(cfg_path)
    else:
        raw = dict(load_document(config)) if config is not None else {}
        if not isinstance(raw, dict):
            raise ConfigError(f"{config}: a training config must be a mapping of TrainConfig fields.")
        for key, value in (("items", items), ("model", model), ("out", run_dir), ("data_dir", data_dir)):
            if value is not None:
                raw[key] = str(value)
        if types:
            raw["types"] = [t.strip() for t in types.split(",") if t.strip()]
        raw.update(_parse_sets(sets or []))
        if "items" not in raw:
            raise ConfigError("Give the items to train on: --items FILE (or `items:` in --config).")
    if steps is not None:
        raw["steps"] = steps
    if quiet:
        raw["display"] = False
    cfg = TrainConfig.from_dict(raw)
    if use_trl:
        if resume is not None:
            raise ConfigError("--trl runs do not resume through mapkit; use TRL's resume_from_checkpoint.")
        _train_trl(cfg)
        return

    from mapkit.train.loop import train

    err.print(f"run {cfg.out}: config\n{cfg.to_json()}", markup=False, highlight=False)
    result = train(cfg, resume=resume is not None, console=err)
    rows = result.rows
    table = Table(title=f"GRPO run {result.run}")
    for col in ("steps", "reward (first 10)", "reward (last 10)", "correct (last 10)", "KL (last)", "s/step", "final"):
        table.add_column(col, justify="right")
    if rows:
        head, tail = rows[:10], rows[-10:]

        def mean(rs: list[dict], k: str) -> float:
            return sum(r[k] for r in rs) / len(rs)

        table.add_row(f"{rows[0]['step']}-{rows[-1]['step']}", f"{mean(head, 'reward'):.3f}",
                      f"{mean(tail, 'reward'):.3f}", f"{mean(tail, 'correct'):.2f}", f"{rows[-1]['kl']:.4f}",
                      f"{mean(rows, 'step_s'):.2f}", str(result.final or "-"))  # fmt: skip
    out.print(table)


def _train_trl(cfg: Any) -> None:
    from mapkit.train.data import corpus, load_examples
    from mapkit.train.tiny import build_tiny, load_model
    from mapkit.train.trl_adapter import make_trl_trainer

    exs = load_examples(cfg.items, min_pixels=cfg.min_pixels, max_pixels=cfg.max_pixels, split=cfg.split,
                        data_dir=cfg.data_dir, types=cfg.types)  # fmt: skip
    if cfg.model == "tiny":
        model, processor = build_tiny(corpus(exs), seed=cfg.seed, min_pixels=cfg.min_pixels, max_pixels=cfg.max_pixels)
    else:
        model, processor = load_model(cfg.model, min_pixels=cfg.min_pixels, max_pixels=cfg.max_pixels)
    Path(cfg.out).mkdir(parents=True, exist_ok=True)
    (Path(cfg.out) / "config.json").write_text(cfg.to_json())
    trainer = make_trl_trainer(cfg, examples=exs, model=model, processor=processor)
    trainer.train()
    from mapkit.train.checkpoint import save_model

    save_model(trainer.model, processor, Path(cfg.out) / "trl" / "final")
    out.print(f"TRL run finished: {cfg.steps} steps; model in {Path(cfg.out) / 'trl' / 'final'}")


@train_app.command("plot")
def plot_cmd(
    run: Annotated[Path, typer.Argument(help="A run folder written by `mapkit train`.")],
    png: Annotated[Path | None, typer.Option("--out", help="PNG to write (default RUN/curves.png).")] = None,
) -> None:
    """Reward and KL curves of a run as a PNG."""
    try:
        from mapkit.train.plot import plot_run
    except ImportError as e:
        raise TrainingError(f"Plotting needs {e.name}.", hint='pip install -e ".[train]"') from None
    path = plot_run(run, png)
    out.print(f"wrote {path}")


def eval_cmd(
    model: Annotated[str, typer.Option("--model", help="`tiny` or a local model folder (e.g. a checkpoint's model/).")],
    items: Annotated[Path, typer.Option("--items", help="Items JSONL or an hf/trl export folder.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for responses.jsonl and report.json.")] = Path(
        "runs/eval"
    ),
    max_new_tokens: Annotated[int, typer.Option("--max-new-tokens", help="Answer length limit.")] = 256,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Prompts per generate call.")] = 8,
    limit: Annotated[int | None, typer.Option("--limit", help="Answer only the first N items.")] = None,
    min_pixels: Annotated[int, typer.Option("--min-pixels", help="Smallest image area (pixels).")] = 56 * 56,
    max_pixels: Annotated[int, typer.Option("--max-pixels", help="Largest image area (pixels).")] = 112 * 112,
    device: Annotated[str, typer.Option("--device", help="auto, cpu, cuda, cuda:1 ...")] = "auto",
    data_dir: DataDirOpt = None,
    require_optimal: Annotated[
        bool, typer.Option("--require-optimal", help="Count a valid but non-optimal route as wrong.")
    ] = False,
) -> None:
    _require_train()
    if max_new_tokens < 1 or batch_size < 1 or (limit is not None and limit < 1):
        raise ConfigError("--max-new-tokens, --batch-size and --limit must be >= 1.")
    from mapkit.cli.score import _table
    from mapkit.train.evaluate import evaluate
    from rich.progress import Progress

    with Progress(console=err, transient=True) as bar:
        task = bar.add_task("answering", total=None)
        report = evaluate(model, items, out_dir, batch_size=batch_size, max_new_tokens=max_new_tokens, limit=limit,
                          min_pixels=min_pixels, max_pixels=max_pixels, data_dir=data_dir, device=device,
                          require_optimal=require_optimal,
                          progress=lambda done, total: bar.update(task, completed=done, total=total))  # fmt: skip
    order = {"easy": 0, "middle": 1, "hard": 2}
    out.print(_table("By type", {**dict(sorted(report.by("type").items())), "all": report.summary}, "type"))
    by_level = dict(sorted(report.by("difficulty_city").items(), key=lambda kv: order.get(kv[0], 9)))
    out.print(_table("By city difficulty", by_level, "difficulty"))
    out.print(
        f"responses: {out_dir / 'responses.jsonl'} (`mapkit score ITEMS` that file); report: {out_dir / 'report.json'}"
    )
