"""Where the ReasonMap data lives: ``--data-dir``, else ``$MAPKIT_DATA``, else the user cache.

The directory holds ``stations/<country>/<city>.json`` and ``maps/<country>/<city>.png``.

Example:
    >>> import os
    >>> os.environ["MAPKIT_DATA"] = "/tmp/rm"
    >>> str(resolve_data_dir())
    '/tmp/rm'
    >>> str(resolve_data_dir("/elsewhere"))
    '/elsewhere'
    >>> del os.environ["MAPKIT_DATA"]
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from mapkit.errors import DataNotFoundError

ENV_VAR = "MAPKIT_DATA"


def default_data_dir() -> Path:
    """The per-user cache directory that `mapkit data pull` fills by default."""
    return Path(platformdirs.user_cache_dir("mapkit")) / "reasonmap"


def resolve_data_dir(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """The data directory in force: explicit argument, then ``$MAPKIT_DATA``, then the cache."""
    if data_dir:
        return Path(data_dir).expanduser()
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    return default_data_dir()


def station_files(data_dir: Path) -> dict[str, Path]:
    """city -> station file for every ``stations/<country>/<city>.json`` under ``data_dir``."""
    root = data_dir / "stations"
    if not root.is_dir():
        return {}
    return {p.stem: p for p in sorted(root.glob("*/*.json"))}


def require_station_file(data_dir: Path, city: str, country: str | None = None) -> Path:
    """The station file of ``city``; a missing data dir or file gets a message saying what to run."""
    files = station_files(data_dir)
    if city in files:
        return files[city]
    where = f"{data_dir}/stations/{country or '<country>'}/{city}.json"
    raise DataNotFoundError(
        f"The ReasonMap station list for {city!r} is not at {where}.",
        hint=f"Run `mapkit data pull` (or pass --data-dir / set {ENV_VAR} to a folder that has it).",
    )


def map_image(data_dir: Path, city: str, country: str) -> Path | None:
    """The real map image of the city, if the data directory has one."""
    p = data_dir / "maps" / country / f"{city}.png"
    return p if p.exists() else None
