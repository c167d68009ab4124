"""Pinned digests of whole generation runs: the guard that a refactor leaves every item byte-identical.

Two runs over synthetic cities and real ReasonMap cities (the data dir): every registered family with
rendered maps and default configs, and every non-visual family with both wordings of each family drawn
per item and a few non-default bounds. Each run's JSONL bytes are hashed, and so is the scoring of every
item against its own gold answer and against another item's answer of the same type (the one scoring
path must keep its verdicts too).

A change that *means* to change items (a new family, a new draw, a fixed bug) updates the pins here
and says why in its commit message; a refactor must not touch them.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from mapkit.generate import write_items
from mapkit.questions import families
from mapkit.scoring import score
from mapkit.sources import load_city

CITIES = ["synthetic:3", "synthetic:11:8", "synthetic:5:4", "rome", "lisboa"]

ALL_RENDERED = {
    "items": "d16865f5302182bfb6e7fce7aa122e40115ce6f95f3ec3d452de44df1e8635bb",
    "scores": "f06517288ddf1150fb12839c0214540918f3fe5bb24d2be1037b543601741de8",
}
TEMPLATED = {
    "items": "76ffc38b1c482391a132972ad44c2e7eeef16591e7c40bec8ce38a4afaa6d0bb",
    "scores": "7a36a3c1ddffeb6cc03ff7b0552bcfac183a37ad8eb9b0fcd04348e88145ef0a",
}


def _templated_configs() -> dict:
    """Both wordings of every family with a ``templates`` field, and a few non-default bounds."""
    from dataclasses import fields

    out = {}
    for name, fam in families().items():
        names = {f.name for f in fields(fam.config_cls)}
        if "templates" not in names:
            continue
        first = fam.config_cls().templates[0]
        kwargs = {"templates": (first, "plain")}
        if name == "Counting1":
            kwargs.update(min_stops=1, max_stops=8)
        if name == "lines_at":
            kwargs.update(max_lines=3)
        out[name] = fam.config_cls(**kwargs)
    return out


def _digests(path: Path, data_dir: Path) -> dict[str, str]:
    raw = path.read_bytes()
    rows = [json.loads(line) for line in raw.decode("utf-8").splitlines()]
    graphs = {ref: load_city(ref, data_dir=data_dir) for ref in {r["mapkit"]["city_ref"] for r in rows}}
    other: dict[str, str] = {}
    h = hashlib.sha256()
    for r in rows:
        g = graphs[r["mapkit"]["city_ref"]]
        wrong = other.get(r["type"], "nothing")
        for response in (f"So the answer is \\boxed{{{r['answer_text']}}}.", f"\\boxed{{{wrong}}}"):
            b = score(r, response, graph=g)
            h.update(json.dumps(b.to_dict(), sort_keys=True).encode())
        other[r["type"]] = r["answer_text"]
    return {"items": hashlib.sha256(raw).hexdigest(), "scores": h.hexdigest()}


@pytest.mark.parametrize("run", ["all_rendered", "templated"])
def test_generation_run_is_pinned(run, tmp_path, reasonmap_dir):
    out = tmp_path / "items.jsonl"
    if run == "all_rendered":
        s = write_items(out, CITIES, n_per_type=12, seed=7, render=True, data_dir=reasonmap_dir)
        assert set(s.by_type) == set(families(with_render=True))
        pins = ALL_RENDERED
    else:
        s = write_items(out, CITIES[1:], n_per_type=12, seed=2, data_dir=reasonmap_dir, configs=_templated_configs())
        assert set(s.by_type) == set(families())
        pins = TEMPLATED
    assert len(set(s.by_city)) >= 3 and s.total > 200
    assert _digests(out, reasonmap_dir) == pins
