"""City sources and the one resolver every command uses: :func:`load_city`.

A city reference is one of:

* ``demo`` or ``synthetic:<seed>`` (``synthetic:<seed>:<lines>`` sets the line count): a
  generated city, offline;
* a path to a mapkit city file (``.json``/``.yaml``);
* a ReasonMap city name (``beijing``), read from the data directory and curated.

Example:
    >>> from mapkit.sources import load_city
    >>> load_city("demo").source.startswith("synthetic:")
    True
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

from mapkit.data import require_station_file, resolve_data_dir, station_files
from mapkit.errors import CityNotFoundError
from mapkit.graph.model import MetroGraph
from mapkit.names import city_key

DEMO_CITY = "synthetic:7"
"""What ``demo`` means: the built-in synthetic city used by the README and CI."""


def known_cities(data_dir: str | os.PathLike[str] | None = None) -> dict[str, str]:
    """city -> country for every curated ReasonMap city plus any extra city in the data dir."""
    from mapkit.sources.curation_files import curated_catalog

    out = dict(curated_catalog())
    for city, path in station_files(resolve_data_dir(data_dir)).items():
        out.setdefault(city, path.parent.name)
    return dict(sorted(out.items()))


def load_city(ref: str, *, data_dir: str | os.PathLike[str] | None = None) -> MetroGraph:
    """Resolve a city reference (see module docstring) to a curated :class:`MetroGraph`."""
    ref = ref.strip()
    if ref == "demo":
        ref = DEMO_CITY
    if ref.startswith("synthetic:"):
        from mapkit.sources.synthetic import parse_synthetic_ref, synthetic_city

        seed, config = parse_synthetic_ref(ref)
        return synthetic_city(seed, config)
    p = Path(ref)
    if p.suffix.lower() in (".json", ".yaml", ".yml"):
        # a city-file name is never a city name: a missing file says so instead of "unknown city"
        from mapkit.sources.native import load_city_file

        return load_city_file(p)
    name = city_key(ref)
    from mapkit.sources.curation_files import find_curation
    from mapkit.sources.reasonmap import load_reasonmap_city

    root = resolve_data_dir(data_dir)
    curation, _ = find_curation(name)
    if curation:  # the curated country names the file: one stat instead of listing the data dir
        direct = root / "stations" / curation["country"] / f"{name}.json"
        if direct.is_file():
            return load_reasonmap_city(direct)
    files = station_files(root)
    if name in files:
        return load_reasonmap_city(files[name])
    if curation:  # a known city whose data is not downloaded: say what to run
        require_station_file(root, name, curation["country"])
    # only an unknown name pays for reading every curation file (to suggest the closest names)
    choices = [*known_cities(data_dir), "demo"]
    raise CityNotFoundError(ref, suggestions=difflib.get_close_matches(name, choices, n=3, cutoff=0.5))
