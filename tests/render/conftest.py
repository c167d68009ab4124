"""Renders shared by the render tests (session-scoped: each city is drawn once per worker)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mapkit.graph import Branch, Line, MetroGraph, Station


@pytest.fixture(scope="session")
def render_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("renders")


@pytest.fixture(scope="session")
def synthetic():
    """The 8-line synthetic city (station coordinates) of the bench."""
    from mapkit.sources import load_city

    return load_city("synthetic:7:8")


@pytest.fixture(scope="session")
def accents() -> MetroGraph:
    """No coordinates, accented and multi-word names, two lines sharing three edges, a loop."""
    names = ["Zürich HB", "Genève-Cornavin", "Málaga Centro", "São Bento", "Øresund", "Kraków Główny",
             "Łódź Fabryczna", "Écluse", "Brño", "Plaça de Catalunya", "Köln Messe/Deutz", "Ürümqi"]
    stations = [Station(f"s{i}", n) for i, n in enumerate(names)]
    lines = [
        Line("a", "Ligne A", (Branch(("s0", "s1", "s2", "s3", "s4")),), color="#d7191c"),
        Line("b", "Ligne B", (Branch(("s5", "s1", "s2", "s3", "s6")),), color="#2b83ba"),
        Line("c", "Ringbahn", (Branch(("s7", "s8", "s2", "s9", "s10", "s11"), loop=True),)),
    ]
    return MetroGraph(city="accentville", country="nowhere", stations=stations, lines=lines, source="test")


@pytest.fixture(scope="session")
def rendered_synthetic(synthetic, render_dir):
    from mapkit.render import render_city

    return render_city(synthetic, render_dir / "syn", style=None)


@pytest.fixture(scope="session")
def rendered_beijing(load_real, render_dir):
    from mapkit.render import render_city

    return render_city(load_real("beijing"), render_dir / "beijing")
