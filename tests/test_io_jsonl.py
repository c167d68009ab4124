"""The fast JSONL encoder writes exactly the stdlib's canonical bytes (what the pinned digests hash)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from mapkit.io import dumps_canonical, dumps_lines, read_jsonl, write_jsonl

floats = st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from(
    [5e-05, 1e-07, 1e-4, 9.99e-5, 1.5e-10, 1e16, 1e22, -0.0, 0.1, 123456789012345678.0]
)
scalars = st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | floats | st.text(max_size=12)
values = st.recursive(
    scalars,
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=6), kids, max_size=4),
    max_leaves=12,
)
rows = st.lists(st.dictionaries(st.text(max_size=6), values, max_size=5), max_size=6)


@settings(max_examples=400, deadline=None)
@given(rows)
def test_dumps_lines_is_the_stdlib_canonical_bytes(batch):
    expected = "".join(dumps_canonical(r) + "\n" for r in batch).encode()
    assert dumps_lines(batch) == expected


def test_names_and_floats_that_look_alike_are_exact(tmp_path):
    batch = [
        {"name": "Rue-8 Station", "w": 1.2, "box": [409, 489, 419, 499]},
        {"t": 5e-05, "u": 1e-07, "big": 2**65, 1: "int key"},  # stdlib-only spellings and types
        {"西直门站": "é \u2028 \x00", "x": None, "y": [True, False, -0.0]},
    ]
    p = tmp_path / "items.jsonl"
    assert write_jsonl(p, batch, batch=2) == 3
    assert p.read_bytes() == "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n"
                                     for r in batch).encode()
    assert next(read_jsonl(p))["name"] == "Rue-8 Station"
