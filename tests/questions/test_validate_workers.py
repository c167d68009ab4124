"""`validate --workers N`: line-aligned byte ranges on forked processes give one process's report."""

from __future__ import annotations

import pytest
from mapkit.cli.app import main

from mapkit.errors import ConfigError
from mapkit.validate import ranges, validate_items


def _report(rep) -> dict:
    d = rep.to_dict()
    del d["seconds"], d["items_per_second"]
    return d


def test_report_is_identical_for_1_2_and_3_workers(items_with_defects, reasonmap_dir, monkeypatch):
    monkeypatch.setattr(ranges, "RANGE_BYTES", 20_000)  # many small ranges
    assert len(ranges.byte_ranges(items_with_defects, 3)) > 10
    reports = [_report(validate_items(items_with_defects, data_dir=reasonmap_dir, workers=w)) for w in (1, 2, 3)]
    assert reports[0] == reports[1] == reports[2]
    assert reports[0]["failing"] == 2 and {d["line"] for d in reports[0]["disagreements"]} == {41, 101}


def test_ranges_cover_the_file_at_line_boundaries(items_with_defects, monkeypatch):
    monkeypatch.setattr(ranges, "RANGE_BYTES", 5_000)
    data = items_with_defects.read_bytes()
    cuts = ranges.byte_ranges(items_with_defects, 2)
    assert cuts[0][0] == 0 and sum(n for _, n in cuts) == len(data)
    assert all(data[o + n - 1 : o + n] == b"\n" for o, n in cuts)


def test_workers_must_be_positive(items_with_defects, capsys):
    with pytest.raises(ConfigError, match="`workers` must be 1 or more"):
        validate_items(items_with_defects, workers=0)
    assert main(["validate", str(items_with_defects), "--workers", "0"]) == 2
    assert "--workers must be 1 or more" in capsys.readouterr().err
