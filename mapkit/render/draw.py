"""Drawing a :class:`~mapkit.render.geometry.MapGeometry` and its labels: PNG (pillow) and SVG.

Lines and markers are drawn at ``style.supersample`` times the size and box-filtered down
(pillow draws aliased shapes; this antialiases them while the centre of every line and
marker keeps its exact colour). Text is drawn afterwards at the final size (FreeType
antialiases it) so that label boxes measured with ``getbbox`` are exact. PNG bytes carry
no timestamp or other metadata, so equal inputs give equal files.

Example:
    >>> from mapkit.render.style import DEFAULT_STYLE
    >>> from mapkit.render.geometry import example_geometry
    >>> from mapkit.render.labels import place_labels
    >>> g, geo, fonts = example_geometry()
    >>> img = draw_png(geo, place_labels(g, geo, DEFAULT_STYLE, fonts), DEFAULT_STYLE)
    >>> img.size == (geo.width, geo.height)
    True
"""

from __future__ import annotations

import io
import math
from html import escape

from PIL import Image, ImageDraw

from mapkit.colour import hex_rgb
from mapkit.render.geometry import MapGeometry, Marker
from mapkit.render.labels import Label
from mapkit.render.style import RenderStyle

LEGEND_FILL = "#ffffff"
LEGEND_STROKE = "#9a9a9a"


def draw_png(geo: MapGeometry, labels: dict[str, Label], style: RenderStyle) -> Image.Image:
    """The map as an RGB image of ``geo.width`` x ``geo.height`` pixels."""
    ss = style.supersample
    img = Image.new("RGB", (geo.width * ss, geo.height * ss), hex_rgb(style.background))
    d = ImageDraw.Draw(img)
    lw = max(1, round(style.line_width * ss))
    for lid, polys in geo.services.items():
        color = hex_rgb(geo.colors[lid])
        for pts in polys:
            # pillow's integer coordinates are pixel centres, ours pixel edges: shift by half a pixel
            scaled = [(x * ss - 0.5, y * ss - 0.5) for x, y in pts]
            d.line(scaled, fill=color, width=lw, joint="curve")
            # round caps at the termini (pillow's lines end square); a box spans x0 to x1 - 1
            r = lw / 2
            for x, y in (scaled[0], scaled[-1]):
                d.ellipse((x + 0.5 - r, y + 0.5 - r, x - 0.5 + r, y - 0.5 + r), fill=color)
    if geo.legend is not None:
        lg = geo.legend
        x0, y0, x1, y1 = lg.bbox
        d.rectangle((x0 * ss, y0 * ss, x1 * ss - 1, y1 * ss - 1), fill=hex_rgb(LEGEND_FILL),
                    outline=hex_rgb(LEGEND_STROKE), width=max(1, ss))
        for e in lg.entries:
            x0, y0, x1, y1 = e.swatch
            d.rectangle((x0 * ss, y0 * ss, x1 * ss - 1, y1 * ss - 1), fill=hex_rgb(geo.colors[e.line_id]))
    # plain markers first, interchanges on top (they are the larger, more important ones)
    for m in sorted(geo.markers.values(), key=lambda m: m.interchange):
        _marker(d, m, ss)
    for t in geo.tags:
        x0, y0, x1, y1 = (round(v * ss) for v in t.bbox)
        outline = hex_rgb(style.background)
        if t.shape == "circle":
            d.ellipse((x0, y0, x1 - 1, y1 - 1), fill=hex_rgb(t.fill), outline=outline, width=max(1, ss))
        else:
            d.rounded_rectangle((x0, y0, x1 - 1, y1 - 1), radius=(y1 - y0) // 2, fill=hex_rgb(t.fill),
                                outline=outline, width=max(1, ss))
    for a in geo.arrows:
        # pillow's coordinates are pixel centres: shift by half a supersampled pixel, like the lines
        d.polygon([(x * ss - 0.5, y * ss - 0.5) for x, y in a.points], fill=hex_rgb(geo.colors[a.line_id]),
                  outline=hex_rgb(style.background), width=max(1, ss))
    if ss > 1:
        img = img.reduce(ss)
    d = ImageDraw.Draw(img)
    ink = hex_rgb(style.label_color)
    halo = hex_rgb(style.background)
    for t in geo.tags:
        d.text(t.origin, t.text, font=geo.fonts.face_for(t.text).load(t.font_size), fill=hex_rgb(t.ink))
    for lab in labels.values():
        font = lab.face.load(lab.size)
        for text, origin in lab.runs:
            d.text(origin, text, font=font, fill=ink, stroke_width=lab.halo, stroke_fill=halo)
    if geo.legend is not None:
        lg = geo.legend
        for e in lg.entries:
            d.text(e.text_origin, e.name, font=geo.fonts.face_for(e.name).load(lg.font_size), fill=ink)
        title_font = geo.fonts.face_for(lg.title).load(round(lg.font_size * 1.25))
        d.text(lg.title_origin, lg.title, font=title_font, fill=ink)
    return img


def _marker(d: ImageDraw.ImageDraw, m: Marker, ss: int) -> None:
    x, y = m.center[0] * ss, m.center[1] * ss
    r = m.radius * ss
    w = max(1, round(m.stroke_width * ss))
    # the marker box in whole (supersampled) pixels, rounded inwards on both sides alike: the ink
    # stays inside marker_bbox and centred on the marker's centre
    x0, y0, x1, y1 = math.ceil(x - r), math.ceil(y - r), math.floor(x + r), math.floor(y + r)
    shape = d.rectangle if m.shape == "square" else d.ellipse
    # outline as a filled shape with a smaller filled shape inside: crisper than outline=;
    # pillow's boxes include their end pixel (its coordinates are pixel centres, ours pixel
    # edges), so the pixel-edge box x0 .. x1 is drawn as x0 .. x1 - 1
    shape((x0, y0, x1 - 1, y1 - 1), fill=hex_rgb(m.stroke))
    shape((x0 + w, y0 + w, x1 - w - 1, y1 - w - 1), fill=hex_rgb(m.fill))


def png_bytes(img: Image.Image) -> bytes:
    """PNG bytes without metadata (no time stamp, no text chunks): reproducible output.

    Example:
        >>> png_bytes(Image.new("RGB", (2, 2)))[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
        True
    """
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=6)
    return buf.getvalue()


def draw_svg(geo: MapGeometry, labels: dict[str, Label], style: RenderStyle) -> str:
    """The same map as an SVG document (text as ``<text>``, so it stays selectable).

    Example:
        >>> from mapkit.render.style import DEFAULT_STYLE
        >>> from mapkit.render.geometry import example_geometry
        >>> _, geo, _ = example_geometry()
        >>> draw_svg(geo, {}, DEFAULT_STYLE).count("<polyline")  # one per service: Green has two
        4
    """
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{geo.width}" height="{geo.height}" '
        f'viewBox="0 0 {geo.width} {geo.height}">',
        f'<rect width="100%" height="100%" fill="{style.background}"/>',
    ]
    for lid, polys in geo.services.items():
        for pts in polys:
            p = " ".join(f"{x:.2f},{y:.2f}" for x, y in pts)
            out.append(f'<polyline points="{p}" fill="none" stroke="{geo.colors[lid]}" '
                       f'stroke-width="{style.line_width}" stroke-linejoin="round" stroke-linecap="round" '
                       f'data-line="{escape(lid)}"/>')
    if geo.legend is not None:
        x0, y0, x1, y1 = geo.legend.bbox
        out.append(f'<rect x="{x0}" y="{y0}" width="{x1 - x0}" height="{y1 - y0}" fill="{LEGEND_FILL}" '
                   f'stroke="{LEGEND_STROKE}"/>')
        for e in geo.legend.entries:
            a, b, c, dd = e.swatch
            out.append(f'<rect x="{a:.2f}" y="{b:.2f}" width="{c - a:.2f}" height="{dd - b:.2f}" '
                       f'fill="{geo.colors[e.line_id]}"/>')
    for m in sorted(geo.markers.values(), key=lambda m: m.interchange):
        x, y = m.center
        r = m.radius - m.stroke_width / 2
        if m.shape == "square":
            out.append(f'<rect x="{x - r:.2f}" y="{y - r:.2f}" width="{2 * r:.2f}" height="{2 * r:.2f}" '
                       f'fill="{m.fill}" stroke="{m.stroke}" stroke-width="{m.stroke_width:.2f}"/>')
        else:
            out.append(f'<circle cx="{x:.2f}" cy="{y:.2f}" r="{r:.2f}" fill="{m.fill}" stroke="{m.stroke}" '
                       f'stroke-width="{m.stroke_width:.2f}"/>')

    for t in geo.tags:
        x0, y0, x1, y1 = t.bbox
        rx = (y1 - y0) / 2
        out.append(f'<rect x="{x0:.2f}" y="{y0:.2f}" width="{x1 - x0:.2f}" height="{y1 - y0:.2f}" rx="{rx:.2f}" '
                   f'fill="{t.fill}" stroke="{style.background}" data-line="{escape(t.line_id)}"/>')
        face = geo.fonts.face_for(t.text)
        asc = face.load(t.font_size).getmetrics()[0]
        out.append(f'<text x="{t.origin[0]:.2f}" y="{t.origin[1] + asc:.2f}" font-family="{escape(face.family)}" '
                   f'font-size="{t.font_size}" fill="{t.ink}">{escape(t.text)}</text>')

    for a in geo.arrows:
        p = " ".join(f"{x:.2f},{y:.2f}" for x, y in a.points)
        out.append(f'<polygon points="{p}" fill="{geo.colors[a.line_id]}" stroke="{style.background}" '
                   f'data-line="{escape(a.line_id)}" data-from="{escape(a.frm)}" data-to="{escape(a.to)}"/>')

    def text(x: float, y: float, s: str, family: str, size: int, halo: int = 0) -> str:
        h = (f' stroke="{style.background}" stroke-width="{2 * halo}" paint-order="stroke"' if halo else "")
        return (f'<text x="{x:.2f}" y="{y:.2f}" font-family="{escape(family)}" font-size="{size}" '
                f'fill="{style.label_color}"{h}>{escape(s)}</text>')

    for lab in labels.values():
        ascent = lab.face.load(lab.size).getmetrics()[0]
        for run, (x, y) in lab.runs:
            out.append(text(x, y + ascent, run, lab.face.family, lab.size, lab.halo))
    if geo.legend is not None:
        lg = geo.legend
        fonts = geo.fonts
        for e in lg.entries:
            face = fonts.face_for(e.name)
            asc = face.load(lg.font_size).getmetrics()[0]
            out.append(text(e.text_origin[0], e.text_origin[1] + asc, e.name, face.family, lg.font_size))
        tsize = round(lg.font_size * 1.25)
        face = fonts.face_for(lg.title)
        asc = face.load(tsize).getmetrics()[0]
        out.append(text(lg.title_origin[0], lg.title_origin[1] + asc, lg.title, face.family, tsize))
    out.append("</svg>")
    return "\n".join(out) + "\n"
