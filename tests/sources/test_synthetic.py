"""The synthetic city generator: deterministic, connected, drawable, and only mapkit errors."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mapkit.errors import ConfigError, MapkitError
from mapkit.graph.model import MetroGraph
from mapkit.sources import load_city
from mapkit.sources.synthetic import (
    MAX_LINES,
    SyntheticConfig,
    line_color,
    parse_synthetic_ref,
    station_names,
    synthetic_city,
)


def _grid(g: MetroGraph, cfg: SyntheticConfig) -> dict[str, tuple[float, float]]:
    out = {}
    for sid, s in g.stations.items():
        x, y = round(s.coords[0] / cfg.spacing), round(s.coords[1] / cfg.spacing)
        # station coords are grid points times the spacing
        assert math.isclose(s.coords[0], x * cfg.spacing) and math.isclose(s.coords[1], y * cfg.spacing)
        out[sid] = (x, y)
    return out


def assert_valid_city(g: MetroGraph, cfg: SyntheticConfig) -> None:
    """Every promise of the generator, checked on one city."""
    assert len(g.lines) == cfg.lines
    assert sum(ln.loop for ln in g.lines.values()) == cfg.loops
    assert sum(len(ln.branches) > 1 for ln in g.lines.values()) == cfg.branches
    assert len(g.components()) == 1, "the network must be connected"
    # coordinates: present, on grid points, unique, and never closer than min_gap (Chebyshev)
    assert all(s.coords is not None for s in g.stations.values())
    assert len({s.coords for s in g.stations.values()}) == len(g.stations)
    pts = _grid(g, cfg)
    assert len(set(pts.values())) == len(pts)
    for a, b in itertools.combinations(pts.values(), 2):
        assert max(abs(a[0] - b[0]), abs(a[1] - b[1])) >= cfg.min_gap
    for ln in g.lines.values():
        for br in ln.branches:
            assert cfg.min_stations <= len(br.stations) <= cfg.max_stations, (ln.name, len(br.stations))
            assert len(set(br.stations)) == len(br.stations), f"{ln.name} visits a station twice"
            # every edge is octilinear, so a renderer can draw it as one straight segment
            for u, v in br.edges():
                dx, dy = pts[v][0] - pts[u][0], pts[v][1] - pts[u][1]
                assert (dx, dy) != (0, 0) and (dx == 0 or dy == 0 or abs(dx) == abs(dy)), (ln.name, u, v)
        if len(ln.branches) > 1:
            a, b = (br.stations for br in ln.branches)
            assert a[:2] == b[:2], "the services of a branched line share their trunk"
    names = [s.name for s in g.stations.values()]
    assert len({n.casefold() for n in names}) == len(names)
    colors = [ln.color for ln in g.lines.values()]
    assert len(set(colors)) == len(colors)
    assert [ln.name for ln in g.lines.values()] == [f"Line {i}" for i in range(1, cfg.lines + 1)]


def test_default_city_keeps_every_promise():
    cfg = SyntheticConfig()
    g = synthetic_city(7, cfg)
    assert (g.city, g.country, g.source) == ("synthetic-7", "synthetic", "synthetic:7")
    assert g.meta["config"] == cfg.to_dict() and g.meta["seed"] == 7
    assert_valid_city(g, cfg)


def test_same_seed_same_city_and_other_seed_other_city():
    assert synthetic_city(11).content_hash == synthetic_city(11).content_hash
    assert synthetic_city(11).to_dict() == synthetic_city(11).to_dict()
    assert synthetic_city(11).content_hash != synthetic_city(12).content_hash
    cfg = SyntheticConfig(lines=9, loops=2, branches=2)
    assert synthetic_city(5, cfg).content_hash == synthetic_city(5, cfg).content_hash


def test_determinism_does_not_depend_on_the_process(tmp_path):
    # str hashing is salted per process; a generator that iterated a set of names would differ
    import subprocess
    import sys

    code = "from mapkit.sources.synthetic import synthetic_city; print(synthetic_city(3).content_hash)"
    hashes = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                       env={"PYTHONHASHSEED": str(s), "PATH": ""}).stdout.strip()
        for s in (1, 2)
    }
    assert hashes == {synthetic_city(3).content_hash}


@pytest.mark.parametrize("seed", range(25))
def test_many_seeds_default_config(seed):
    assert_valid_city(synthetic_city(seed), SyntheticConfig())


@pytest.mark.parametrize(
    "cfg",
    [
        SyntheticConfig(lines=1, loops=0, branches=0),
        SyntheticConfig(lines=1, loops=1, branches=0),
        SyntheticConfig(lines=1, loops=0, branches=1),
        SyntheticConfig(lines=3, loops=0, branches=0, min_stations=3, max_stations=4),
        SyntheticConfig(lines=2, loops=1, branches=1, min_stations=4, max_stations=5),
        SyntheticConfig(lines=12, loops=2, branches=4),
        SyntheticConfig(lines=20),
        SyntheticConfig(lines=8, loops=3, branches=2, min_gap=3, spacing=12.5),
        SyntheticConfig(lines=5, min_gap=1, max_stations=30),
    ],
    ids=lambda c: f"L{c.lines}-O{c.loops}-B{c.branches}-{c.min_stations}..{c.max_stations}-gap{c.min_gap}",
)
def test_requested_shape(cfg):
    for seed in (0, 1, 2):
        assert_valid_city(synthetic_city(seed, cfg), cfg)


def test_demo_and_refs_resolve_through_load_city():
    assert load_city("demo").content_hash == synthetic_city(7).content_hash
    g = load_city("synthetic:4:9")
    assert g.source == "synthetic:4" and len(g.lines) == 9
    assert parse_synthetic_ref("synthetic:4") == (4, SyntheticConfig())
    assert parse_synthetic_ref("demo") == (7, SyntheticConfig())
    for n in (1, 2, 3, 60):
        seed, cfg = parse_synthetic_ref(f"synthetic:1:{n}")
        assert cfg.lines == n and cfg.loops + cfg.branches <= n


@pytest.mark.parametrize(
    "ref",
    ["synthetic:", "synthetic:x", "synthetic:-1", "synthetic:1:0", "synthetic:1:61", "synthetic:1:2:3",
     "synthetic:1:", "synthetic: 1", "synthetic:１", "synthetic:1.5", "synth:1"],
)
def test_bad_refs_say_the_accepted_forms(ref):
    with pytest.raises(ConfigError) as info:
        parse_synthetic_ref(ref)
    assert ref in str(info.value) and "synthetic:<seed>:<lines>" in str(info.value)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"lines": 0}, "lines must be between 1"),
        ({"lines": True}, "lines must be an integer"),
        ({"lines": 2.0}, "lines must be an integer"),
        ({"loops": -1}, "loops must be between 0"),
        ({"branches": -1}, "branches must be 0 or more"),
        ({"lines": 2, "loops": 1, "branches": 2}, "exceed lines"),
        ({"lines": 2, "loops": 2, "branches": 0}, "need at least one other line"),
        ({"min_stations": 2}, "min_stations"),
        ({"min_stations": 9, "max_stations": 8}, "min_stations <= max_stations"),
        ({"spacing": 0}, "spacing must be a positive number"),
        ({"spacing": float("nan")}, "spacing must be a positive number"),
        ({"spacing": "40"}, "spacing must be a positive number"),
        ({"spacing": 1e300}, "spacing must be a positive number"),
        ({"min_gap": 0}, "min_gap must be between"),
        ({"grid_size": 3}, "grid_size must be between"),
    ],
)
def test_config_validation_messages(kwargs, words):
    with pytest.raises(ConfigError, match=words):
        SyntheticConfig(**kwargs)


def test_too_small_grid_is_a_config_error_not_a_crash():
    with pytest.raises(ConfigError, match="could not fit .* grid_size"):
        synthetic_city(1, SyntheticConfig(lines=20, grid_size=12))


def test_bad_seed():
    with pytest.raises(ConfigError, match="seed"):
        synthetic_city(-3)


def test_station_names_are_pronounceable_and_unique():
    import random

    names = station_names(400, random.Random(0))
    assert len({n.casefold() for n in names}) == 400
    vowels = set("aeiou")
    for n in names:
        word = n.split(" ")[0].lower()
        assert 4 <= len(word) <= 10 and any(c in vowels for c in word)
        # no run of more than three consonants: 'Stundnerki'-like clusters are out
        run = 0
        for c in word:
            run = 0 if c in vowels else run + 1
            assert run <= 3, n
    assert any(" " in n for n in names), "some names carry a suffix such as ' Park'"


def test_line_colours_are_distinct_for_many_lines():
    colors = [line_color(i) for i in range(1, 61)]
    assert len(set(colors)) == 60 and all(len(c) == 7 and c.startswith("#") for c in colors)


def test_city_round_trips_through_a_city_file(tmp_path):
    from mapkit.sources.native import load_city_file, save_city_file

    g = synthetic_city(2)
    save_city_file(g, tmp_path / "s.json")
    assert load_city_file(tmp_path / "s.json").content_hash == g.content_hash


@st.composite
def wild_configs(draw: st.DrawFn) -> dict:
    """Config keyword arguments, valid or not: the generator must answer only with mapkit errors."""
    return {
        "lines": draw(st.integers(-1, 14)),
        "loops": draw(st.integers(-1, 4)),
        "branches": draw(st.integers(-1, 4)),
        "min_stations": draw(st.integers(1, 12)),
        "max_stations": draw(st.integers(1, 20)),
        "grid_size": draw(st.one_of(st.none(), st.integers(-5, 120))),
        "spacing": draw(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-2, 80))),
        "min_gap": draw(st.integers(-1, 4)),
    }


@st.composite
def sound_configs(draw: st.DrawFn) -> dict:
    """Config keyword arguments inside the documented ranges (explicit grids may still be too small)."""
    lines = draw(st.integers(1, 12))
    loops = draw(st.integers(0, min(3, lines - 1) if lines > 1 else 1))
    lo = draw(st.integers(3, 10))
    return {
        "lines": lines,
        "loops": loops,
        "branches": draw(st.integers(0, lines - loops)),
        "min_stations": lo,
        "max_stations": draw(st.integers(max(lo, 4), 18)),
        "grid_size": draw(st.one_of(st.none(), st.none(), st.integers(12, 120))),
        "spacing": draw(st.floats(0.5, 200)),
        "min_gap": draw(st.integers(1, 3)),
    }


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**40), kwargs=st.one_of(wild_configs(), sound_configs()))
def test_any_seed_and_config_gives_a_valid_city_or_a_mapkit_error(seed, kwargs):
    try:
        cfg = SyntheticConfig(**kwargs)
        g = synthetic_city(seed, cfg)
    except MapkitError:
        return
    assert_valid_city(g, cfg)
    assert g.content_hash == synthetic_city(seed, cfg).content_hash


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**40), kwargs=sound_configs())
def test_sound_configs_with_automatic_grid_always_succeed(seed, kwargs):
    cfg = SyntheticConfig(**{**kwargs, "grid_size": None})
    assert_valid_city(synthetic_city(seed, cfg), cfg)


# random text almost never spells a valid ref: mix in well-formed ones so the success branch runs
_REFS = st.one_of(
    st.text(max_size=30),
    st.from_regex(r"\Asynthetic:[0-9]{1,18}(:[0-9]{1,2})?\Z"),
    st.just("demo"),
)


@settings(max_examples=100, deadline=None)
@given(ref=_REFS)
def test_any_ref_parses_or_raises_config_error(ref):
    parts = ref.strip().split(":")
    digits = all(p.isascii() and p.isdigit() and len(p) <= 18 for p in parts[1:])
    well_formed = parts[0] == "synthetic" and len(parts) in (2, 3) and digits
    lines_ok = len(parts) == 2 or (well_formed and 1 <= int(parts[2]) <= MAX_LINES)
    try:
        seed, cfg = parse_synthetic_ref(ref)
    except ConfigError:
        assert not (well_formed and lines_ok), f"{ref!r} is a valid reference"
        return
    assert seed >= 0 and isinstance(cfg, SyntheticConfig)
    if well_formed:
        assert seed == int(parts[1])
        if len(parts) == 3:
            assert cfg.lines == int(parts[2])


def test_spacing_scales_coordinates():
    a = synthetic_city(4, SyntheticConfig(spacing=10.0))
    b = synthetic_city(4, SyntheticConfig(spacing=25.0))
    for sid, s in a.stations.items():
        assert math.isclose(b.stations[sid].coords[0], s.coords[0] * 2.5)
