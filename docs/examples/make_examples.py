"""Regenerate the example maps of docs/render.md (synthetic-demo.png, beijing.png).

Both are drawn by ``mapkit.render.render_city`` with the default style; the committed files
are then stored as palette PNGs (a map has few colours) so that each stays well under 1 MB.
The manifests are not committed (they are a render away).

Usage:
    python docs/examples/make_examples.py --data-dir ../shared/data/reasonmap
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent
EXAMPLES = {"synthetic-demo": "demo", "beijing": "beijing"}


def palette_png(src: Path, dst: Path, colors: int = 128) -> int:
    """Store ``src`` as an undithered palette PNG at ``dst``; returns the new size in bytes."""
    img = Image.open(src).convert("RGB")
    # median cut keeps the few flat map colours exact; no dithering keeps lines clean
    pal = img.quantize(colors=colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    pal.save(dst, format="PNG", optimize=True)
    return dst.stat().st_size


def main(argv: list[str] | None = None) -> int:
    from mapkit.render import render_city
    from mapkit.sources import load_city

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default=os.environ.get("MAPKIT_DATA"))
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="mapkit-examples-"))
    for out_name, ref in EXAMPLES.items():
        graph = load_city(ref, data_dir=args.data_dir)
        res = render_city(graph, tmp, name=out_name)
        size = palette_png(res.png_path, HERE / f"{out_name}.png")
        print(f"{out_name}.png: {res.figures.width}x{res.figures.height}, {size / 1024:.0f} KiB, "
              f"gate {'passed' if res.passed else 'FAILED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
