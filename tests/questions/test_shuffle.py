"""shuffled_range replays random.shuffle exactly (pool orders, hence items, do not change)."""

from __future__ import annotations

import random

import pytest

from mapkit.questions.shuffle import SMALL, _final_positions, _swap_targets, shuffled_range


def _shuffled(n, seed):
    p = list(range(n))
    random.Random(seed).shuffle(p)
    return p


@pytest.mark.parametrize("seed", [0, 1, 2**63 + 5, 987654321])
def test_every_small_size(seed):
    for n in range(0, 400):
        assert shuffled_range(n, seed).tolist() == _shuffled(n, seed), n
        if n >= 2:  # the numpy path itself, below the size where it is used
            assert _final_positions(_swap_targets(n, seed), n).tolist() == _shuffled(n, seed), n


@pytest.mark.parametrize("n", [SMALL, 4095, 4096, 4097, 65535, 65536, 65537, 140_001])
def test_large_sizes_and_bit_width_edges(n):
    for seed in (3, 2**40 + 17):
        assert shuffled_range(n, seed).tolist() == _shuffled(n, seed)
