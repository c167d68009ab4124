"""Fixtures for the question tests: hand-made maps with a loop, a branch and degenerate names."""

from __future__ import annotations

import json

import pytest

from mapkit.generate import write_items
from mapkit.graph import MetroGraph
from mapkit.graph.examples import loop_branch_city


@pytest.fixture
def loopton() -> MetroGraph:
    return loop_branch_city()


@pytest.fixture
def items_with_defects(tmp_path, reasonmap_dir):
    """A real items file with broken rows spread through it: a wrong answer, bad JSON, a blank and CRLF lines."""
    p = tmp_path / "items.jsonl"
    write_items(p, ["rome", "synthetic:3"], n_per_type=30, seed=1, data_dir=reasonmap_dir, render=True)
    lines = p.read_bytes().split(b"\n")[:-1]
    row = json.loads(lines[40])
    row["answer_text"] = "certainly not"
    lines[40] = json.dumps(row, ensure_ascii=False).encode()
    lines[100] = b"{not json"
    lines.insert(200, b"")
    lines[300] = lines[300] + b"\r"  # a CRLF line
    p.write_bytes(b"\n".join(lines) + b"\n")
    return p
