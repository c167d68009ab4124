"""render_city: determinism, the legibility gate, fonts, styles, layout and the manifest loader."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from mapkit.errors import ConfigError, DataFileError, FontNotFoundError, LegibilityError
from mapkit.graph import Branch, Line, MetroGraph, Station, toy_city
from mapkit.render import (
    DEFAULT_STYLE,
    GateLimits,
    RenderStyle,
    layout_city,
    load_manifest,
    render_city,
    style_from_seed,
)
from mapkit.render.fonts import font_chain
from mapkit.render.geometry import DISTINCT, color_distance, line_colors
from mapkit.render.style import PALETTES

# --- determinism -------------------------------------------------------------------------


def test_same_inputs_give_identical_bytes(accents, tmp_path):
    a = render_city(accents, tmp_path / "a", seed=3, style=style_from_seed(5))
    b = render_city(accents, tmp_path / "b", seed=3, style=style_from_seed(5))
    assert a.png_path.read_bytes() == b.png_path.read_bytes()
    assert a.manifest_path.read_bytes() == b.manifest_path.read_bytes()
    # no metadata chunks (time stamps, text) in the PNG: only header, data and end
    data = a.png_path.read_bytes()
    chunks, i = [], 8
    while i < len(data):
        n = int.from_bytes(data[i:i + 4], "big")
        chunks.append(data[i + 4:i + 8].decode())
        i += 12 + n
    assert set(chunks) == {"IHDR", "IDAT", "IEND"}


def test_seed_and_style_change_the_picture(accents, tmp_path):
    base = render_city(accents, tmp_path / "a", seed=0).png_path.read_bytes()
    assert render_city(accents, tmp_path / "b", seed=1).png_path.read_bytes() != base
    assert render_city(accents, tmp_path / "c", style=style_from_seed(1)).png_path.read_bytes() != base


def test_layout_is_deterministic_and_separates_stations(load_real):
    g = load_real("singapore")
    a, b = layout_city(g, seed=2), layout_city(g, seed=2)
    assert a == b and a.method == "schematic"
    P = np.array(list(a.positions.values()))
    d = np.sqrt(((P[:, None] - P[None]) ** 2).sum(axis=2))
    np.fill_diagonal(d, np.inf)
    assert d.min() > 0.5  # layout units: about one between neighbours


def test_coordinates_are_used_when_present():
    g = toy_city()
    lay = layout_city(g)
    assert lay.method == "coords"
    # same shape as the coordinates: a is left of b, which is left of c (y grows downwards)
    assert lay.positions["a"][0] < lay.positions["b"][0] < lay.positions["c"][0]
    with pytest.raises(ConfigError):
        layout_city(MetroGraph("x", "y", [Station("a", "A"), Station("b", "B")],
                               [Line("l", "L", (Branch(("a", "b")),))]), mode="coords")


def test_disconnected_network_is_laid_out_side_by_side(tmp_path):
    stations = [Station(c, c.upper() + " Street") for c in "abcdef"]
    lines = [Line("l1", "One", (Branch(("a", "b", "c")),)), Line("l2", "Two", (Branch(("d", "e", "f")),))]
    g = MetroGraph("split", "nowhere", stations, lines, meta={})
    res = render_city(g, tmp_path)
    assert res.passed
    m = load_manifest(res.manifest_path)
    xs = {s["id"]: s["center"][0] for s in m["stations"]}
    assert max(xs[c] for c in "abc") < min(xs[c] for c in "def") or max(xs[c] for c in "def") < min(
        xs[c] for c in "abc")


# --- gate --------------------------------------------------------------------------------


def test_gate_refuses_a_tiny_image_and_writes_nothing(synthetic, tmp_path):
    with pytest.raises(LegibilityError) as info:
        render_city(synthetic, tmp_path, style=DEFAULT_STYLE.with_size(300, 300))
    err = info.value
    assert err.figures.width == 300 and err.figures.label_overlaps > 0  # type: ignore[attr-defined]
    assert "pairs of labels overlap" in str(err) and "--force" in str(err)
    assert not list(tmp_path.iterdir())


def test_forced_render_is_written_with_its_failures(synthetic, tmp_path):
    res = render_city(synthetic, tmp_path, style=DEFAULT_STYLE.with_size(300, 300), force=True)
    assert not res.passed and res.png_path.exists()
    m = load_manifest(res.manifest_path)
    assert m["gate"]["passed"] is False and m["gate"]["failures"] == list(res.failures)
    assert m["figures"]["label_overlaps"] == res.figures.label_overlaps > 0


def test_gate_checks_label_height(toy, tmp_path):
    with pytest.raises(LegibilityError, match="smallest label is"):
        render_city(toy, tmp_path, style=RenderStyle(font_size=8))
    res = render_city(toy, tmp_path, style=RenderStyle(font_size=8), limits=GateLimits(min_label_height_px=5))
    assert res.passed and res.figures.min_label_height_px >= 5


def test_auto_canvas_grows_with_the_city(load_real, tmp_path):
    small = render_city(load_real("miami"), tmp_path / "s").figures
    big = render_city(load_real("singapore"), tmp_path / "b").figures
    assert small.width * small.height < big.width * big.height


# --- fonts -------------------------------------------------------------------------------


def test_names_no_font_can_draw_raise_with_an_install_hint(tmp_path):
    g = MetroGraph("addis", "ethiopia", [Station("a", "ሀለ Square"), Station("b", "Mexico")],
                   [Line("l", "Line 1", (Branch(("a", "b")),))])
    with pytest.raises(FontNotFoundError) as info:
        render_city(g, tmp_path)
    msg = str(info.value)
    assert "U+1200" in msg and "apt-get install" in msg and "MAPKIT_FONT" in msg
    assert info.value.exit_code == 2


def test_font_chain_picks_cjk_for_chinese_and_falls_back_per_label():
    chain = font_chain(["西直门站", "Line 2", "Kőbánya-Kispest", "Zürich"])
    for text in ("西直门站", "Kőbánya-Kispest", "Zürich", "Line 2"):
        assert chain.face_for(text).covers(text)
    with pytest.raises(FontNotFoundError):
        chain.face_for("ሀ")


def test_unknown_preferred_font_is_an_error():
    with pytest.raises(FontNotFoundError, match="not found"):
        font_chain(["A"], prefer="/nonexistent/font.ttf")


# --- styles and colours ------------------------------------------------------------------


def test_style_seeds_are_valid_varied_and_stable():
    styles = [style_from_seed(i) for i in range(30)]
    assert styles == [style_from_seed(i) for i in range(30)]
    assert len({(s.palette, s.font_size, s.line_width, s.marker_style) for s in styles}) > 20
    for s in styles:
        assert RenderStyle.from_dict(json.loads(json.dumps(s.to_dict()))) == s


def test_invalid_style_is_a_config_error():
    with pytest.raises(ConfigError, match="marker_style"):
        RenderStyle(marker_style="star")
    with pytest.raises(ConfigError, match="Unknown render style"):
        RenderStyle.from_dict({"colour": "red"})


def test_palettes_have_no_look_alike_colours():
    for name, colors in PALETTES.items():
        for a, b in itertools.combinations(colors, 2):
            assert color_distance(a, b) >= DISTINCT, (name, a, b)


def test_line_colours_are_distinct_even_beyond_the_palette():
    stations = [Station(f"s{i}", f"S{i}") for i in range(60)]
    lines = [Line(f"l{i}", f"L{i}", (Branch((f"s{2 * i}", f"s{2 * i + 1}")),)) for i in range(30)]
    g = MetroGraph("many", "x", stations, lines, meta={})
    colors = list(line_colors(g, RenderStyle(palette="muted")).values())
    assert len(set(colors)) == 30
    for a, b in itertools.combinations(colors, 2):
        assert color_distance(a, b) >= DISTINCT / 2


# --- manifest ----------------------------------------------------------------------------


def test_load_manifest_names_the_bad_field(tmp_path, toy):
    res = render_city(toy, tmp_path)
    doc = json.loads(res.manifest_path.read_text(encoding="utf-8"))
    doc["stations"][0]["center"] = [1.0]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(DataFileError, match=r"bad.json \(\$.stations\[0\].center\)"):
        load_manifest(bad)
    with pytest.raises(DataFileError, match="file not found"):
        load_manifest(tmp_path / "missing.json")


def test_manifest_style_repeats_the_render(toy, tmp_path):
    first = render_city(toy, tmp_path / "a", style=style_from_seed(7))
    m = load_manifest(first.manifest_path)
    again = render_city(toy, tmp_path / "b", style=RenderStyle.from_dict(m["settings"]["style"]),
                        seed=m["settings"]["seed"])
    assert again.png_path.read_bytes() == first.png_path.read_bytes()


def test_a_failing_computed_layout_is_retried_with_the_next_seed(tmp_path, monkeypatch):
    """When growing the canvas is not enough, the next layout seed is tried and recorded."""
    import json

    import mapkit.render as render
    from mapkit.graph import Branch, Line, MetroGraph, Station

    g = MetroGraph(  # no coordinates: the layout is computed, so another seed is another layout
        city="plain", country="x", stations=[Station(s, f"{s.upper()} Station") for s in "abcde"],
        lines=[Line("l1", "L1", (Branch(tuple("abc")),)), Line("l2", "L2", (Branch(("b", "d", "e")),))],
    )
    real_check, seen = render.check, []

    def gate_rejecting_the_first_layout(figures, limits=None):
        seen.append(figures.width)
        return ["stand-in failure"] if len(seen) <= render.AUTO_GROW_ATTEMPTS + 1 else real_check(figures, limits)

    monkeypatch.setattr(render, "check", gate_rejecting_the_first_layout)
    res = render.render_city(g, tmp_path / "a", seed=5)
    assert res.passed
    assert json.loads(res.manifest_path.read_text())["settings"]["seed"] == 6
    monkeypatch.setattr(render, "check", real_check)
    again = render.render_city(g, tmp_path / "b", seed=6)  # the recorded seed reproduces the image
    assert again.png_path.read_bytes() == res.png_path.read_bytes()
