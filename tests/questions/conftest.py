"""Fixtures for the question tests: hand-made maps with a loop, a branch and degenerate names."""

from __future__ import annotations

import pytest

from mapkit.graph import MetroGraph
from mapkit.graph.examples import loop_branch_city


@pytest.fixture
def loopton() -> MetroGraph:
    return loop_branch_city()
