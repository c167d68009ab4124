"""``random.Random(seed).shuffle(list(range(n)))`` computed with numpy: the same permutation, faster.

A family's pool order (:func:`mapkit.questions.base.pick`) is a seeded shuffle of ``range(n)``. For
a pool of a hundred thousand pairs (the planning family's, one per ordered station pair of a big
city) the standard library's shuffle, one Python call per element, costs more than the items it
orders. :func:`shuffled_range` returns exactly the list that shuffle makes, computed from the same
Mersenne Twister stream (numpy's ``MT19937`` given the seeded state) in three vectorised steps:

1. the raw 32-bit words of the stream;
2. the swap index of each step (``randbelow(i + 1)``: the top bits of a word, words at or above
   the bound rejected), found for a run of steps sharing a bit width as the fixed point of
   "rejections before word t" (exact on a growing prefix each round; a run that does not settle
   within a few dozen rounds is replayed one word at a time);
3. the final position of every value after the swaps, from "the last swap into a position
   before a given step" (a sort by swap target) and chains of such swaps (pointer jumping).

tests/questions/test_shuffle.py compares it with ``random.shuffle`` for every size up to a few
hundred and for large pools.

Example:
    >>> import random
    >>> p = list(range(1000)); random.Random(7).shuffle(p)
    >>> shuffled_range(1000, 7).tolist() == p
    True
"""

from __future__ import annotations

import random

import numpy as np

__all__ = ["shuffled_range"]

SMALL = 256
"""Below this size the standard library's shuffle is the cheaper one (numpy's per-call overhead)."""

_MAX_ROUNDS = 48
"""Fixed-point rounds for one run of steps before it is replayed word by word (never needed in practice)."""


def shuffled_range(n: int, seed: int) -> np.ndarray:
    """``list(range(n))`` after ``random.Random(seed).shuffle``, as an int64 array.

    >>> p = list(range(300)); random.Random(3).shuffle(p)
    >>> shuffled_range(300, 3).tolist() == p
    True
    """
    if n < SMALL:
        p = list(range(n))
        random.Random(seed).shuffle(p)
        return np.array(p, dtype=np.int64)
    return _final_positions(_swap_targets(n, seed), n)


def _stream(seed: int) -> np.random.MT19937:
    """numpy's Mersenne Twister in the state ``random.Random(seed)`` starts from."""
    state = random.Random(seed).getstate()[1]
    bg = np.random.MT19937(0)
    bg.state = {
        "bit_generator": "MT19937",
        "state": {"key": np.array(state[:624], dtype=np.uint32), "pos": int(state[624])},
    }
    return bg


def _swap_targets(n: int, seed: int) -> np.ndarray:
    """``js[i]`` = the ``j`` that step ``i`` of the shuffle swaps with (``randbelow(i + 1)``), ``i >= 1``."""
    bg = _stream(seed)
    buf = bg.random_raw(n + n // 2 + 1024).astype(np.int64)
    js = np.zeros(n, dtype=np.int64)
    pos = 0
    hi = n - 1  # the shuffle's steps run i = n-1 down to 1, each drawing below m = i + 1
    while hi >= 1:
        width = (hi + 1).bit_length()
        lo = (1 << (width - 1)) - 1  # the run of steps whose bound m has this bit width
        steps = hi - lo + 1
        # words the run needs on average: (2**width / m) per step; a short window is retried longer
        window = int(steps * (1 << width) / (lo + 1)) // 16 * 17 + 64
        while True:
            if pos + window > len(buf):
                more = bg.random_raw(pos + window - len(buf) + n // 4 + 1024).astype(np.int64)
                buf = np.concatenate([buf, more])
            r = buf[pos : pos + window] >> (32 - width)
            took = _accepted(r, hi + 1, steps)
            if took is not None:
                break
            window *= 2
        js[hi - np.arange(steps)] = r[took]
        pos += int(took[-1]) + 1
        hi = lo - 1
    return js


def _accepted(r: np.ndarray, m_hi: int, steps: int) -> np.ndarray | None:
    """Indices of the words the run's ``steps`` steps accept (``None``: the window is too short).

    Step ``s`` draws below ``m_hi - s`` and takes the first word below that bound; with ``u_t`` the
    words rejected before word ``t``, word ``t`` serves step ``t - u_t`` and is accepted iff
    ``u_t >= r_t + t - m_hi + 1``. Iterating ``u <- rejections counted under u`` from ``u = 0`` is
    exact on one more word each round at least, and settles after a handful in practice.
    """
    size = len(r)
    h = (r + np.arange(1 - m_hi, size + 1 - m_hi, dtype=np.int64)).astype(np.int32)
    u = np.zeros(size, dtype=np.int32)
    nu = np.zeros(size, dtype=np.int32)
    rejected = np.empty(size, dtype=bool)
    for _ in range(_MAX_ROUNDS):
        np.less(u, h, out=rejected)
        np.cumsum(rejected[:-1], out=nu[1:])
        if np.array_equal(nu, u):
            break
        u, nu = nu, u
    else:
        return _accepted_one_by_one(r, m_hi, steps)
    took = np.flatnonzero(u >= h)
    return took[:steps] if len(took) >= steps else None


def _accepted_one_by_one(r: np.ndarray, m_hi: int, steps: int) -> np.ndarray | None:
    words = r.tolist()
    out = []
    t = 0
    for s in range(steps):
        bound = m_hi - s
        while t < len(words) and words[t] >= bound:
            t += 1
        if t == len(words):
            return None
        out.append(t)
        t += 1
    return np.array(out, dtype=np.int64)


def _stable_order(values: np.ndarray) -> np.ndarray:
    """``np.argsort(values, kind="stable")`` for non-negative ints below 2**32, as two 16-bit radix passes."""
    order = np.argsort((values & 0xFFFF).astype(np.uint16), kind="stable")
    if len(values) and int(values.max()) > 0xFFFF:
        order = order[np.argsort((values[order] >> 16).astype(np.uint16), kind="stable")]
    return order


def _final_positions(js: np.ndarray, n: int) -> np.ndarray:
    """The list after steps ``i = n-1 .. 1`` each swap positions ``i`` and ``js[i]``.

    ``V(p)``, the value at position ``p`` just before step ``p``, is ``V(i)`` for the last earlier step
    ``i`` that swapped into ``p`` (the smallest ``i > p`` with ``js[i] == p``), else ``p``. Step ``p``
    leaves at ``p`` the value then at ``js[p]``: ``V(p)`` when ``js[p] == p``, else ``V(i)`` for the
    last earlier step ``i`` into ``js[p]``, else ``js[p]`` itself.
    """
    steps = np.arange(1, n, dtype=np.int64)
    target = js[1:]
    order = _stable_order(target)  # by target, then step
    s_step = order + 1
    counts = np.bincount(target, minlength=n)
    start = np.cumsum(counts) - counts
    last = n - 2
    # the smallest step i > p swapping into p (step p itself may swap with p: skip it)
    first = np.where(counts > 0, s_step[np.minimum(start, last)], -1)
    second = np.where(counts > 1, s_step[np.minimum(start + 1, last)], -1)
    idx = np.arange(n, dtype=np.int64)
    into = np.where(first == idx, second, first)
    root = np.where(into >= 0, into, idx)
    while True:  # follow chains of swaps to their first value (pointer jumping)
        nxt = root[root]
        if np.array_equal(nxt, root):
            break
        root = nxt
    # the next step (in step order) with the same target: the last earlier swap into that target
    later = np.full(n - 1, -1, dtype=np.int64)
    later[order[:-1]] = np.where(target[order[1:]] == target[order[:-1]], s_step[1:], -1)
    out = np.empty(n, dtype=np.int64)
    out[1:] = np.where(target == steps, root[steps], np.where(later >= 0, root[np.maximum(later, 0)], target))
    out[0] = root[first[0]] if first[0] >= 0 else 0
    return out
