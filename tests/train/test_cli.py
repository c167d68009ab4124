"""`mapkit train`, `mapkit train plot` and `mapkit eval` through the real CLI entry point."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("torch")

from mapkit.cli.app import main  # noqa: E402
from PIL import Image  # noqa: E402

SMALL = ["--set", "prompts_per_step=2", "--set", "group_size=4", "--set", "max_new_tokens=6", "--set", "cpu_threads=1"]


def test_train_plot_eval_and_score_agree(demo_items, tmp_path, capsys):
    run = tmp_path / "run"
    rc = main(["train", "--items", str(demo_items), "--model", "tiny", "--steps", "3", "--out", str(run),
               "--types", "TorF1,TorF2", "--quiet", "--set", "lr=2e-3", *SMALL])  # fmt: skip
    assert rc == 0, capsys.readouterr().err
    shown = capsys.readouterr()
    assert "GRPO run" in shown.out and '"group_size": 4' in shown.err  # summary table; config printed verbatim
    assert len((run / "metrics.jsonl").read_text().splitlines()) == 3
    assert (run / "checkpoints" / "latest").read_text().strip() == "step-000003"

    assert main(["train", "plot", str(run)]) == 0
    png = Image.open(run / "curves.png")
    assert png.size[0] >= 600 and len(set(png.convert("L").getdata())) > 10  # drawn, not blank

    out = tmp_path / "eval"
    model = run / "checkpoints" / "step-000003" / "model"
    rc = main(["eval", "--model", str(model), "--items", str(demo_items), "--out", str(out), "--limit", "6",
               "--max-new-tokens", "6", "--device", "cpu"])  # fmt: skip
    assert rc == 0, capsys.readouterr().err
    text = capsys.readouterr().out
    assert "By type" in text and "By city difficulty" in text
    responses = [json.loads(line) for line in (out / "responses.jsonl").read_text().splitlines()]
    assert len(responses) == 6 and set(responses[0]) == {"id", "response"}
    report = json.loads((out / "report.json").read_text())
    # the saved responses, scored by `mapkit score`, give the same numbers as the eval report
    assert (
        main(["score", str(out / "items.jsonl"), str(out / "responses.jsonl"), "--out", str(tmp_path / "b.jsonl")]) == 0
    )
    rows = [json.loads(line) for line in (tmp_path / "b.jsonl").read_text().splitlines()]
    assert sum(r["accuracy"] for r in rows) / len(rows) == report["summary"]["accuracy"]
    assert round(sum(r["reward"] for r in rows) / len(rows), 6) == report["summary"]["mean_reward"]

    assert main(["train", "--resume", str(run), "--steps", "4", "--quiet"]) == 0
    assert len((run / "metrics.jsonl").read_text().splitlines()) == 4


def test_eval_tiny_runs_end_to_end(demo_items, tmp_path):
    assert main(["eval", "--model", "tiny", "--items", str(demo_items), "--out", str(tmp_path), "--limit", "3",
                 "--max-new-tokens", "4"]) == 0  # fmt: skip
    assert len((tmp_path / "responses.jsonl").read_text().splitlines()) == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--steps", "2"], "Give the items to train on"),
        (["train", "--items", "x.jsonl", "--set", "lr"], "expected KEY=VALUE"),
        (["train", "--items", "x.jsonl", "--set", "nope=1"], "Unknown training config key"),
        (["train", "--items", "x.jsonl", "--set", "group_size=1"], "group_size must be >= 2"),
        (["train", "--resume", "{tmp}/none"], "not found"),
        (["train", "--resume", "{tmp}", "--items", "x.jsonl"], "drop --items"),
        (["train", "--items", "{tmp}/missing.jsonl", "--quiet"], "no such items file"),
        (["train", "plot", "{tmp}"], "no metrics file"),
        (["eval", "--model", "{tmp}", "--items", "{items}", "--limit", "1"], "no config.json"),
    ],
)
def test_user_errors_are_one_paragraph_without_traceback(args, message, tmp_path, demo_items, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the default run folder is runs/grpo under the working directory
    rc = main([a.format(tmp=tmp_path, items=demo_items) for a in args])
    err = capsys.readouterr().err
    assert rc != 0
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "runs").exists()  # a failed start leaves no run folder


def test_train_trl_runs_the_same_config_through_grpo_trainer(demo_items, tmp_path):
    pytest.importorskip("trl")
    run = tmp_path / "trl"
    rc = main(["train", "--trl", "--items", str(demo_items), "--types", "TorF1", "--steps", "1", "--out", str(run),
               "--set", "device=cpu", *SMALL])  # fmt: skip
    assert rc == 0
    assert (run / "trl" / "final" / "model.safetensors").is_file() and (run / "config.json").is_file()
