"""Render styles: every visual choice of a map in one frozen dataclass, and seeded variations.

:data:`DEFAULT_STYLE` is the house style. :func:`style_from_seed` derives a different but
still legible style (palette, font size, line width, marker style, station spacing,
supersampling, background tint) from an integer, so that one graph can be drawn many ways:
the basis of a render-robustness set where a model must answer the same questions on maps
that look different.

Example:
    >>> s = style_from_seed(3)
    >>> s == style_from_seed(3), s.seed
    (True, 3)
    >>> RenderStyle.from_dict(s.to_dict()) == s
    True
    >>> DEFAULT_STYLE.font_size
    16
"""

from __future__ import annotations

import random
import re
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from mapkit.errors import ConfigError

PALETTES: dict[str, tuple[str, ...]] = {
    # Qualitative palettes chosen for distinct hues on white; no near-white or near-black
    # entries, because markers are white and labels are near-black; no two entries closer
    # than geometry.DISTINCT (a test checks), so two lines never look alike.
    "metro": (
        "#e41a1c", "#377eb8", "#4daf4a", "#984ea3", "#ff7f00", "#a65628", "#f781bf", "#0f9d9a",
        "#999900", "#1b3a8c", "#d95f02", "#66a61e", "#e7298a", "#7570b3", "#5f9ea0",
        "#8b0000", "#2e8b57", "#cd5c5c",
    ),
    "tableau": (
        "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
        "#9c755f", "#b6992d", "#8cd17d", "#a0cbe8",
    ),
    "vivid": (
        "#d7191c", "#2b83ba", "#1a9641", "#fdae61", "#7b3294", "#e66101",
        "#c51b7d", "#4dac26", "#b2abd2", "#8c510a", "#01665e", "#5aae61",
    ),
    "muted": (
        "#88b04b", "#6b5b95", "#d65076", "#45b8ac", "#efc050", "#9b2335", "#dd4124",
        "#009473", "#b565a7", "#98b4d4",
    ),
}

MARKER_STYLES = ("ring", "dot", "square")
"""``ring``: white disc ringed in the line colour; ``dot``: white disc ringed in dark grey;
``square``: white square ringed in dark grey. Interchanges are always a larger white disc
with a thick dark ring, so they stay distinct whatever the marker style."""

LAYOUTS = ("auto", "coords", "schematic")

_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True)
class RenderStyle:
    """How a map looks. Sizes are pixels of the final image.

    ``width``/``height`` of ``None`` size the canvas from the layout so that neighbouring
    stations are about ``station_spacing`` pixels apart; given, the map is fitted into them.
    ``layout``: ``auto`` uses station coordinates when every station has them, otherwise a
    schematic layout computed from the topology; ``schematic`` forces the latter.
    ``line_tags``: line names on the lines; ``direction_arrows``: a chevron on every edge a line runs one
    way only (without them the gate refuses a map with one-way services).
    """

    name: str = "default"
    seed: int | None = None
    width: int | None = None
    height: int | None = None
    font_size: int = 16
    font: str | None = None
    line_width: int = 6
    marker_radius: int = 5
    marker_style: str = "ring"
    interchange_radius: int = 8
    palette: str = "metro"
    use_graph_colors: bool = True
    background: str = "#ffffff"
    label_color: str = "#1a1a1a"
    label_halo: int = 2
    station_spacing: int = 60
    margin: int = 48
    legend: bool = True
    supersample: int = 2
    layout: str = "auto"
    octilinear: bool = True
    line_tags: bool = True
    direction_arrows: bool = True

    def __post_init__(self) -> None:
        problems = []
        if self.marker_style not in MARKER_STYLES:
            problems.append(f"marker_style must be one of {', '.join(MARKER_STYLES)}")
        if self.layout not in LAYOUTS:
            problems.append(f"layout must be one of {', '.join(LAYOUTS)}")
        if self.palette not in PALETTES:
            problems.append(f"palette must be one of {', '.join(PALETTES)}")
        for key in ("background", "label_color"):
            if not _HEX.match(getattr(self, key)):
                problems.append(f"{key} must be a #rrggbb colour")
        for key in ("font_size", "line_width", "marker_radius", "interchange_radius", "station_spacing"):
            if getattr(self, key) < 1:
                problems.append(f"{key} must be at least 1")
        if not 1 <= self.supersample <= 4:
            problems.append("supersample must be 1 to 4")
        for key in ("width", "height"):
            v = getattr(self, key)
            if v is not None and not 16 <= v <= 16384:
                problems.append(f"{key} must be 16 to 16384 pixels")
        if problems:
            raise ConfigError(f"Invalid render style {self.name!r}: {'; '.join(problems)}.")

    def colors(self) -> tuple[str, ...]:
        """The palette's colours in order."""
        return PALETTES[self.palette]

    def with_size(self, width: int | None, height: int | None) -> RenderStyle:
        """A copy with the canvas size replaced (``None`` keeps the current value)."""
        return replace(self, width=self.width if width is None else width,
                       height=self.height if height is None else height)

    def to_dict(self) -> dict[str, Any]:
        """Every field, JSON-ready (recorded in the manifest so a render can be repeated)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RenderStyle:
        """Rebuild a style from :meth:`to_dict` output; unknown keys are a :class:`ConfigError`."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ConfigError(f"Unknown render style key(s): {', '.join(unknown)}.")
        return cls(**d)


DEFAULT_STYLE = RenderStyle()


def style_from_seed(seed: int | None) -> RenderStyle:
    """A legible style variation derived from ``seed`` alone (``None``: the default style).

    Example:
        >>> style_from_seed(None) is DEFAULT_STYLE
        True
        >>> {style_from_seed(i).palette for i in range(20)} >= {"metro", "tableau"}
        True
    """
    if seed is None:
        return DEFAULT_STYLE
    # a string seed keeps the stream stable across Python versions (no hash randomisation)
    rng = random.Random(f"mapkit.render.style:{seed}")
    font_size = rng.choice((14, 15, 16, 17, 18, 20))
    line_width = rng.choice((4, 5, 6, 7, 8))
    marker_radius = max(3, line_width // 2 + rng.choice((1, 2)))
    return RenderStyle(
        name=f"seed-{seed}",
        seed=seed,
        font_size=font_size,
        line_width=line_width,
        marker_radius=marker_radius,
        marker_style=rng.choice(MARKER_STYLES),
        interchange_radius=marker_radius + rng.choice((3, 4, 5)),
        palette=rng.choice(sorted(PALETTES)),
        # half the variations ignore the graph's own colours: the same line in another colour
        use_graph_colors=rng.random() < 0.5,
        background=rng.choice(("#ffffff", "#fbfaf5", "#f7f9fc", "#fdfbf7")),
        label_color=rng.choice(("#1a1a1a", "#222233", "#2b2b2b")),
        label_halo=rng.choice((1, 2, 3)),
        # spacing grows with the font so that a bigger font does not crowd its labels
        station_spacing=int(font_size * rng.uniform(3.4, 4.4)),
        margin=rng.choice((40, 48, 64)),
        supersample=rng.choice((1, 2, 2)),
    )
