"""The JSON forms of a push report and a pulled review: every field, plain types, stable order."""

from __future__ import annotations

import json
from collections import Counter

from mapkit.annotations.pull import ReviewResult
from mapkit.annotations.push import PushReport


def test_push_report_dict_has_every_field_as_plain_json():
    rep = PushReport("p", 7, total=3, created=1, updated=["b"], unchanged=1, changed_reviewed=["c"], seconds=1.23456)
    d = rep.to_dict()
    assert list(d) == [
        "project", "project_id", "total", "created", "updated", "unchanged", "changed_reviewed", "server_only",
        "graph_disagrees", "seconds",
    ]  # fmt: skip
    assert d["updated"] == ["b"] and d["updated"] is not rep.updated and d["seconds"] == 1.235
    json.dumps(d)


def test_review_dict_leaves_rows_out_sorts_counts_and_merges_extra():
    res = ReviewResult("p", 7, "items", rows=[{"id": "x"}], tasks=2, extra={"positions": "out.json"})
    res.by_status.update({"disagrees": 1, "agrees": 2})
    res.per_annotator["zoe"].update(agrees=1)
    res.per_annotator["ann"] = Counter(disagrees=1, agrees=2)
    d = res.to_dict()
    assert "rows" not in d and "extra" not in d and d["positions"] == "out.json"
    assert list(d["by_status"]) == ["agrees", "disagrees"]
    assert d["per_annotator"] == {"ann": {"agrees": 2, "disagrees": 1}, "zoe": {"agrees": 1}}
    assert list(d["per_annotator"]) == ["ann", "zoe"] and type(d["per_annotator"]["ann"]) is dict
    json.dumps(d)
