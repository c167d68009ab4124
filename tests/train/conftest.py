"""Fixtures for the training tests: real mapkit items of the synthetic demo city with its rendered map,
and the tiny offline Qwen2.5-VL (random weights) whose tokenizer is trained on those items."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason='the train extra: pip install -e ".[train]"')


@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    # a small shared CPU: torch's worker threads spin-wait against the other test process
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def demo_items(tmp_path_factory) -> Path:
    """`mapkit generate --city demo --render`: items beside maps/ (real generation, real render)."""
    from mapkit.generate import write_items

    out = tmp_path_factory.mktemp("demo") / "items.jsonl"
    write_items(out, ["demo"], types=["TorF1", "TorF2", "Counting2", "Counting1"], n_per_type=24, seed=0, render=True)
    return out


@pytest.fixture(scope="session")
def examples(demo_items):
    from mapkit.train.data import load_examples

    return load_examples(demo_items, min_pixels=56 * 56, max_pixels=112 * 112)


@pytest.fixture()
def tiny(examples):
    """A fresh tiny model + processor (tests that train mutate it)."""
    from mapkit.train.data import corpus
    from mapkit.train.tiny import build_tiny

    return build_tiny(corpus(examples), seed=0)
