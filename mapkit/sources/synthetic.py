"""Synthetic metro cities: seeded, offline, with coordinates a renderer can draw.

A synthetic city is built on an integer grid. Every edge between two consecutive stations is a
straight octilinear segment (horizontal, vertical or 45°), so bends happen only at stations and
a renderer can draw the map from the station coordinates alone (``grid point × spacing``).

The construction, in this order:

1. ``loops`` rings: octagons (rectangles for short rings) around the centre, concentric, each a
   ``Branch(loop=True)``; the first ring seeds the network.
2. the other lines: each passes through (or starts at) an existing station and grows two arms
   outwards by a biased random walk that turns at most 45° at a station and 90° in all. A walk
   may land on another line's station (a transfer) but never crosses another line's track between
   stations, never overlaps it, never revisits its own stations and keeps every new station at
   least ``min_gap`` grid units (Chebyshev) from every other station, so labels have room.
3. ``branches`` of those lines get a second service sharing the trunk up to a split station.

The whole city is retried with a fresh attempt stream (still derived from the seed) when a line
cannot be placed or the rings end up unconnected, and with a larger grid when the grid is sized
automatically; the result depends only on ``(seed, config)``.

Example:
    >>> g = synthetic_city(7)
    >>> g.city, g.country, g.source, len(g.lines)
    ('synthetic-7', 'synthetic', 'synthetic:7', 6)
    >>> synthetic_city(7).content_hash == g.content_hash
    True
    >>> parse_synthetic_ref("synthetic:3:9")[1].lines
    9
"""

from __future__ import annotations

import colorsys
import math
import random
from dataclasses import asdict, dataclass, field, fields

from mapkit.errors import ConfigError
from mapkit.graph.model import Branch, Line, MetroGraph, Station
from mapkit.names import name_key, slugify

GENERATOR = "mapkit.synthetic/1"
"""Recorded in ``meta``: bump when a change makes the same seed give a different city."""

REF_FORMS = "`demo`, `synthetic:<seed>` or `synthetic:<seed>:<lines>` (seed >= 0, 1 <= lines <= 60)"

MAX_LINES = 60
MAX_STATIONS = 60
MAX_LOOPS = 4

Point = tuple[int, int]

# the eight octilinear unit steps, counter-clockwise from east (y grows downwards, as in images)
_DIRS: tuple[Point, ...] = ((1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1))

# distinct, print-friendly line colours (metro-map style); more lines get golden-angle hues
_PALETTE = (
    "#e41a1c", "#377eb8", "#4daf4a", "#984ea3", "#ff7f00", "#a65628", "#f781bf", "#17becf",
    "#808000", "#1b3a8c", "#d4a017", "#2e8b57", "#c51b7d", "#5e3c99", "#e66101", "#008080",
    "#7f0000", "#6a8caf", "#b8860b", "#4b0082",
)


@dataclass(frozen=True)
class SyntheticConfig:
    """How a synthetic city is shaped; invalid values raise :class:`~mapkit.errors.ConfigError`.

    ``lines`` counts every line, rings and branched lines included; ``min_stations`` and
    ``max_stations`` bound each service (a branched line's two services each lie in the range);
    ``grid_size`` is the side of the square grid in grid units (``None``: sized from the other
    values); ``spacing`` is the map distance of one grid unit; ``min_gap`` is the smallest
    Chebyshev distance, in grid units, between two stations; ``oneway_loops`` of the rings run one
    way only (``Branch.oneway``, in their listed order), as a one-way loop line does.

    Example:
        >>> SyntheticConfig(lines=3).lines
        3
        >>> try:
        ...     SyntheticConfig(lines=2, loops=2, branches=0)
        ... except ConfigError as err:
        ...     print(err.message)
        synthetic city: 2 rings need at least one other line to connect them (lines=2, loops=2).
    """

    lines: int = 6
    loops: int = 1
    branches: int = 1
    min_stations: int = 8
    max_stations: int = 16
    grid_size: int | None = None
    spacing: float = 40.0
    min_gap: int = 2
    oneway_loops: int = 0

    def __post_init__(self) -> None:
        def fail(msg: str, hint: str | None = None) -> ConfigError:
            return ConfigError(f"synthetic city: {msg}", hint=hint)

        for f in fields(self):
            v = getattr(self, f.name)
            if f.name == "spacing":
                # bool is an int subclass: reject it explicitly, True lines is a typo, not a number
                # bounded: coords are grid points x spacing and must stay finite and distinct
                if isinstance(v, bool) or not isinstance(v, (int, float)) or not 1e-3 <= v <= 1e6:
                    raise fail(f"spacing must be a positive number from 0.001 to 1e6 map units, not {v!r}.")
            elif f.name == "grid_size" and v is None:
                continue
            elif isinstance(v, bool) or not isinstance(v, int):
                raise fail(f"{f.name} must be an integer, not {v!r}.")
        if not 1 <= self.lines <= MAX_LINES:
            raise fail(f"lines must be between 1 and {MAX_LINES}, not {self.lines}.")
        if not 0 <= self.loops <= MAX_LOOPS:
            raise fail(f"loops must be between 0 and {MAX_LOOPS}, not {self.loops}.")
        if self.branches < 0:
            raise fail(f"branches must be 0 or more, not {self.branches}.")
        if not 0 <= self.oneway_loops <= self.loops:
            raise fail(f"oneway_loops must be between 0 and loops ({self.loops}), not {self.oneway_loops}.")
        if self.loops + self.branches > self.lines:
            raise fail(
                f"loops + branches ({self.loops} + {self.branches}) exceed lines ({self.lines}).",
                hint="A line is either a ring, a branched line or a plain line.",
            )
        if self.loops >= 2 and self.lines == self.loops:
            raise fail(
                f"{self.loops} rings need at least one other line to connect them "
                f"(lines={self.lines}, loops={self.loops}).",
                hint="Use more lines or fewer loops.",
            )
        if not 3 <= self.min_stations <= self.max_stations <= MAX_STATIONS:
            raise fail(
                f"stations per line must satisfy 3 <= min_stations <= max_stations <= {MAX_STATIONS} "
                f"(got {self.min_stations}..{self.max_stations})."
            )
        if self.loops and self.max_stations < 4:
            raise fail(f"a ring needs at least 4 stations, but max_stations is {self.max_stations}.")
        if not 1 <= self.min_gap <= 6:
            raise fail(f"min_gap must be between 1 and 6 grid units, not {self.min_gap}.")
        if self.grid_size is not None and not 4 * self.min_gap <= self.grid_size <= 2000:
            raise fail(
                f"grid_size must be between {4 * self.min_gap} and 2000 grid units, not {self.grid_size}.",
                hint="Leave it unset to size the grid automatically.",
            )

    def to_dict(self) -> dict[str, object]:
        """The config as a JSON-ready dict (recorded in the city's ``meta``).

        >>> SyntheticConfig().to_dict()["lines"]
        6
        """
        d = asdict(self)
        if not d["oneway_loops"]:  # the default stays out, so two-way cities keep their recorded meta
            del d["oneway_loops"]
        return d


def parse_synthetic_ref(ref: str) -> tuple[int, SyntheticConfig]:
    """``demo`` / ``synthetic:<seed>`` / ``synthetic:<seed>:<lines>`` -> ``(seed, config)``.

    With a line count, the default ring and branched line are kept when there are lines enough
    for them (a one-line city is a single branched line, not a lone ring).

    Example:
        >>> parse_synthetic_ref("demo")[0]
        7
        >>> seed, cfg = parse_synthetic_ref("synthetic:12:2"); (seed, cfg.lines, cfg.loops, cfg.branches)
        (12, 2, 1, 1)
        >>> parse_synthetic_ref("synthetic:x")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        mapkit.errors.ConfigError: Bad synthetic city reference 'synthetic:x'. Use `demo`, `synthetic:<seed>` or ...
    """
    from mapkit.sources import DEMO_CITY

    text = ref.strip()
    if text == "demo":
        text = DEMO_CITY
    parts = text.split(":")
    bad = ConfigError(f"Bad synthetic city reference {ref!r}.", hint=f"Use {REF_FORMS}.")
    if parts[0] != "synthetic" or len(parts) not in (2, 3) or not all(_is_decimal(p) for p in parts[1:]):
        raise bad
    seed = int(parts[1])
    if len(parts) == 2:
        return seed, SyntheticConfig()
    n = int(parts[2])
    if not 1 <= n <= MAX_LINES:
        raise bad
    default = SyntheticConfig()
    loops = min(default.loops, n - 1)
    branches = min(default.branches, n - loops)
    return seed, SyntheticConfig(lines=n, loops=loops, branches=branches)


def _is_decimal(s: str) -> bool:
    # str.isdigit accepts superscripts and other digits that int() rejects; keep to ASCII 0-9
    return bool(s) and len(s) <= 18 and all("0" <= c <= "9" for c in s)


def synthetic_city(seed: int, config: SyntheticConfig | None = None) -> MetroGraph:
    """A deterministic synthetic city: same ``seed`` and ``config`` give the same ``content_hash``.

    Example:
        >>> g = synthetic_city(1, SyntheticConfig(lines=4, loops=1, branches=1))
        >>> sum(ln.loop for ln in g.lines.values()), sum(len(ln.branches) > 1 for ln in g.lines.values())
        (1, 1)
        >>> len(g.components())
        1
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"synthetic city: the seed must be a non-negative integer, not {seed!r}.")
    cfg = config or SyntheticConfig()
    grid = cfg.grid_size or _auto_grid(cfg)
    attempts_per_grid = 12
    rounds = 1 if cfg.grid_size else 5
    tried = grid
    for r in range(rounds):
        tried = grid
        for attempt in range(attempts_per_grid):
            # a string seed is hashed with sha512 by random.Random: stable across runs and platforms
            rng = random.Random(f"mapkit-synthetic:{seed}:{r}:{attempt}")
            built = _Builder(cfg, grid, rng).build()
            if built is not None:
                return _to_graph(built, seed, cfg, grid, rng)
        grid = int(grid * 1.3) + 2
    raise ConfigError(
        f"synthetic city: could not fit {cfg.lines} line(s) of {cfg.min_stations}-{cfg.max_stations} stations "
        f"with min_gap {cfg.min_gap} on a {tried}x{tried} grid (seed {seed}).",
        hint="Use a larger grid_size (or leave it unset), fewer lines or fewer stations per line.",
    )


def _auto_grid(cfg: SyntheticConfig) -> int:
    # room for every station at about twice the exclusion area, and for one line end to end
    mean = (cfg.min_stations + cfg.max_stations) / 2
    step = cfg.min_gap + 0.7
    by_area = math.sqrt(cfg.lines * mean) * step * 2.2
    by_length = cfg.max_stations * step * 1.1
    ring = 2 * cfg.loops * (cfg.min_gap + 1) + cfg.max_stations * step / 3
    return int(max(by_area, by_length, ring, 8 * cfg.min_gap)) + 2


# --- geometry ------------------------------------------------------------------------------


@dataclass
class _Hop:
    """One candidate edge: its end point, whether that is an existing station, and its track."""

    end: Point
    existing: bool
    track: list[Point]  # grid points strictly between the two stations
    units: list[tuple[Point, Point]]  # unit steps, for crossing checks


@dataclass
class _Own:
    """What the line under construction occupies (committed to the builder only on success)."""

    points: set[Point] = field(default_factory=set)
    units: set[tuple[Point, Point]] = field(default_factory=set)
    new_stations: set[Point] = field(default_factory=set)
    station_edges: set[tuple[Point, Point]] = field(default_factory=set)

    def add(self, start: Point, hop: _Hop) -> None:
        self.points.update(hop.track)
        self.points.add(hop.end)
        self.units.update(hop.units)
        if not hop.existing:
            self.new_stations.add(hop.end)
        self.station_edges.add(_pair(start, hop.end))


@dataclass
class _Arm:
    """A walk leaving ``start`` in direction ``d0``; ``off`` is the current turn from ``d0`` (45° units)."""

    start: Point
    d0: int
    off: int = 0
    points: list[Point] = field(default_factory=list)

    @property
    def tip(self) -> Point:
        return self.points[-1] if self.points else self.start


@dataclass
class _Built:
    """The geometry of a finished city: station points in creation order and the services."""

    stations: list[Point]
    lines: list[list[tuple[list[Point], bool]]]  # per line: services (points, loop)


def _pair(a: Point, b: Point) -> tuple[Point, Point]:
    return (a, b) if a <= b else (b, a)


class _Builder:
    """Places rings and lines on the grid; every check is a dict/set lookup, so it stays fast."""

    def __init__(self, cfg: SyntheticConfig, grid: int, rng: random.Random) -> None:
        self.cfg = cfg
        self.grid = grid
        self.rng = rng
        self.gap = cfg.min_gap
        self.station_at: dict[Point, int] = {}
        self.station_pts: list[Point] = []
        self.path_pts: set[Point] = set()
        self.units: set[tuple[Point, Point]] = set()
        self.station_edges: set[tuple[Point, Point]] = set()
        self.served: dict[Point, int] = {}
        self.lines: list[list[tuple[list[Point], bool]]] = []
        jitter = max(0, grid // 20)
        self.centre: Point = (grid // 2 + rng.randint(-jitter, jitter), grid // 2 + rng.randint(-jitter, jitter))

    # -- checks ---------------------------------------------------------------------------

    def in_bounds(self, p: Point) -> bool:
        return 1 <= p[0] <= self.grid - 1 and 1 <= p[1] <= self.grid - 1

    def crowded(self, p: Point, own: _Own) -> bool:
        """True when a station (placed or pending) lies closer than ``min_gap`` to ``p``."""
        r = self.gap - 1
        for dx in range(-r, r + 1):
            for dy in range(-r, r + 1):
                q = (p[0] + dx, p[1] + dy)
                if q in self.station_at or q in own.new_stations:
                    return True
        return False

    def try_hop(self, start: Point, d: int, k: int, own: _Own) -> _Hop | None:
        """The edge of ``k`` steps from ``start`` in direction ``d``, or None if it breaks a rule.

        The edge stops early at an existing station of another line (a transfer).
        """
        dx, dy = _DIRS[d]
        track: list[Point] = []
        units: list[tuple[Point, Point]] = []
        prev = start
        for i in range(1, k + 1):
            p = (start[0] + dx * i, start[1] + dy * i)
            if not self.in_bounds(p):
                return None
            if dx and dy:
                # two diagonal unit steps cross between grid points: no grid point would show it
                cross = _pair((prev[0] + dx, prev[1]), (prev[0], prev[1] + dy))
                if cross in self.units or cross in own.units:
                    return None
            units.append(_pair(prev, p))
            if p in own.points:
                return None  # a line never visits a station, or its own track, twice
            if p in self.station_at:
                if _pair(start, p) in self.station_edges:
                    return None  # would run on top of another line's edge
                return _Hop(p, True, track, units)
            if p in self.path_pts:
                return None  # lines meet only at stations
            if i < k:
                track.append(p)
            prev = p
        end = prev
        if self.crowded(end, own):
            return None
        return _Hop(end, False, track, units)

    # -- walking --------------------------------------------------------------------------

    def walk(self, arm: _Arm, target: int, own: _Own) -> None:
        """Extend ``arm`` by up to ``target`` stations (fewer when it gets stuck)."""
        gap = self.gap
        for _ in range(target):
            options: list[tuple[float, int, _Hop]] = []
            for turn, w_turn in ((0, 6.0), (-1, 1.2), (1, 1.2)):
                off = arm.off + turn
                if abs(off) > 2:  # at most 90° from the arm's heading: lines stay line-like
                    continue
                d = (arm.d0 + off) % 8
                for k, w_len in ((gap, 0.5), (gap + 1, 0.35), (gap + 2, 0.15)):
                    hop = self.try_hop(arm.tip, d, k, own)
                    if hop is not None:
                        # meeting a station of another line makes a transfer: mildly preferred
                        options.append((w_turn * w_len * (1.6 if hop.existing else 1.0), off, hop))
            if not options:
                options = self.fallback_hops(arm, own)
            if not options:
                return
            _, off, hop = self.rng.choices(options, weights=[o[0] for o in options])[0]
            own.add(arm.tip, hop)
            arm.points.append(hop.end)
            arm.off = off

    def fallback_hops(self, arm: _Arm, own: _Own) -> list[tuple[float, int, _Hop]]:
        """Hops for a stuck arm: a sharper turn or a longer edge, e.g. to reach a ring's station."""
        gap = self.gap
        options = []
        for off in range(-2, 3):
            if abs(off - arm.off) > 2:
                continue  # never double back on the last edge
            d = (arm.d0 + off) % 8
            for k in range(gap, 2 * gap + 3):
                hop = self.try_hop(arm.tip, d, k, own)
                if hop is not None:
                    options.append((1.0 / (1 + abs(off - arm.off) + k - gap), off, hop))
        return options

    # -- committing -----------------------------------------------------------------------

    def commit(self, services: list[tuple[list[Point], bool]], own: _Own) -> None:
        for svc, _loop in services:
            for p in svc:
                if p not in self.station_at:
                    self.station_at[p] = len(self.station_pts)
                    self.station_pts.append(p)
        for p in dict.fromkeys(p for svc, _ in services for p in svc):
            self.served[p] = self.served.get(p, 0) + 1
        self.path_pts.update(own.points)
        self.units.update(own.units)
        self.station_edges.update(own.station_edges)
        self.lines.append(services)

    # -- rings ----------------------------------------------------------------------------

    def ring(self, n: int, inner: tuple[int, int, int, int] | None) -> tuple[int, int, int, int] | None:
        """Place a closed ring of ``n`` stations around the centre, outside the ``inner`` box.

        Returns the ring's bounding box (x0, y0, x1, y1) or None when it does not fit.
        """
        rng, gap = self.rng, self.gap
        octagon = n >= 8
        sides = n - 4 if octagon else n  # stations on the four straight sides (corners included)
        # spread the stations over top, right, bottom, left as evenly as the count allows
        k = [sides // 4] * 4
        for i in rng.sample(range(4), sides % 4):
            k[i] += 1
        if not octagon and min(k) == 0:
            return None
        seg = gap + rng.choice((0, 1, 1))
        c = gap + rng.choice((0, 1)) if octagon else 0
        w = max(k[0], k[2]) * seg
        h = max(k[1], k[3]) * seg
        if inner is not None:
            # outside the inner ring with a clear band, so the two never come near each other
            band = gap + 1
            w = max(w, inner[2] - inner[0] + 2 * band)
            h = max(h, inner[3] - inner[1] + 2 * band)
        cx, cy = self.centre
        x0, y0 = cx - w // 2 - c, cy - h // 2 - c
        x1, y1 = x0 + w + 2 * c, y0 + h + 2 * c
        if inner is not None and not (x0 < inner[0] and y0 < inner[1] and x1 > inner[2] and y1 > inner[3]):
            return None
        # corners of the ring, clockwise from the top-left end of the top side
        corners = [(x0 + c, y0), (x1 - c, y0), (x1, y0 + c), (x1, y1 - c), (x1 - c, y1), (x0 + c, y1),
                   (x0, y1 - c), (x0, y0 + c)]
        straight = [(corners[0], corners[1]), (corners[2], corners[3]), (corners[4], corners[5]),
                    (corners[6], corners[7])]
        pts: list[Point] = []
        for side, ((ax, ay), (bx, by)) in enumerate(straight):
            length = max(abs(bx - ax), abs(by - ay))
            ux, uy = _sign(bx - ax), _sign(by - ay)
            parts = k[side]
            if octagon:
                # corners are stations; the diagonal corner sides are single edges
                stops = [round(j * length / parts) for j in range(parts + 1)]
            else:
                stops = [round(j * length / parts) for j in range(parts)]
            for s in stops:
                pts.append((ax + ux * s, ay + uy * s))
        own = _Own()
        seq: list[Point] = []
        for p in pts:
            if seq and p == seq[-1]:
                continue
            seq.append(p)
        if len(seq) != n or len(set(seq)) != n:
            return None
        for i, p in enumerate(seq):
            q = seq[(i + 1) % n]
            if not self.in_bounds(p) or p in self.station_at or p in self.path_pts or self.crowded(p, own):
                return None
            d = _dir_of(p, q)
            if d is None:
                return None
            own.new_stations.add(p)
            own.points.add(p)
        for i, p in enumerate(seq):
            q = seq[(i + 1) % n]
            d = _dir_of(p, q)
            assert d is not None  # checked above
            hop = self.try_hop_free(p, q, d, own)
            if hop is None:
                return None
            own.points.update(hop.track)
            own.units.update(hop.units)
            own.station_edges.add(_pair(p, q))
        self.commit([(seq, True)], own)
        return (x0, y0, x1, y1)

    def try_hop_free(self, p: Point, q: Point, d: int, own: _Own) -> _Hop | None:
        """The straight track from station ``p`` to station ``q`` if nothing else lies on it."""
        dx, dy = _DIRS[d]
        track, units = [], []
        prev = p
        while True:
            nxt = (prev[0] + dx, prev[1] + dy)
            if dx and dy:
                cross = _pair((prev[0] + dx, prev[1]), (prev[0], prev[1] + dy))
                if cross in self.units or cross in own.units:
                    return None
            units.append(_pair(prev, nxt))
            if nxt == q:
                return _Hop(q, True, track, units)
            if nxt in self.path_pts or nxt in own.points or nxt in self.station_at:
                return None
            track.append(nxt)
            prev = nxt

    # -- lines ----------------------------------------------------------------------------

    def anchor(self) -> Point:
        """A station to run the next line through: central and not yet a big hub, preferably."""
        if not self.station_pts:
            return self.centre
        scale = max(self.grid / 5, 1.0)
        weights = []
        for p in self.station_pts:
            dist = max(abs(p[0] - self.centre[0]), abs(p[1] - self.centre[1]))
            busy = self.served.get(p, 0)
            weights.append((1.0 / (1.0 + (dist / scale) ** 2)) * (0.15 if busy >= 3 else 1.0 / busy))
        return self.rng.choices(self.station_pts, weights=weights)[0]

    def line(self, target: int, radial: bool = False) -> tuple[list[Point], _Own] | None:
        """One plain line of ``target`` stations through an existing station, or None.

        ``radial``: through any station, heading away from the centre, so that the line crosses
        the rings around it (the only way concentric rings get connected).
        """
        cfg, rng = self.cfg, self.rng
        if radial:
            start = rng.choice(self.station_pts)
            d0 = _dir_of(self.centre, _octilinear_towards(self.centre, start))
            d0 = rng.randrange(8) if d0 is None else d0
        else:
            start = self.anchor()
            d0 = rng.randrange(8)
        own = _Own()
        own.points.add(start)
        if start not in self.station_at:
            own.new_stations.add(start)
        # usually through the anchor, sometimes starting there (a line ending at an interchange)
        share = 0.0 if rng.random() < 0.2 else rng.uniform(0.3, 0.7)
        a = _Arm(start, d0)
        b = _Arm(start, (d0 + 4) % 8)
        self.walk(a, round(share * (target - 1)), own)
        self.walk(b, target - 1 - len(a.points), own)
        if 1 + len(a.points) + len(b.points) < target:
            self.walk(a, target - 1 - len(a.points) - len(b.points), own)
        seq = [*reversed(a.points), start, *b.points]
        if len(seq) < cfg.min_stations:
            return None
        return seq, own

    def branch(self, main: list[Point], own: _Own) -> list[Point] | None:
        """A second service sharing ``main`` up to a split station, or None when none fits."""
        cfg, rng = self.cfg, self.rng
        lo = max(1, len(main) // 2 - 1)
        hi = len(main) - 3 if len(main) >= 5 else len(main) - 2
        splits = list(range(lo, hi + 1))
        rng.shuffle(splits)
        for i in splits[:4]:
            room = cfg.max_stations - (i + 1)
            need = max(1, cfg.min_stations - (i + 1))
            if room < need:
                continue
            d = _dir_of(main[i], main[i + 1])
            if d is None:
                continue
            for turn in rng.sample((1, -1, 2, -2), 4):
                trial = _Own(set(own.points), set(own.units), set(own.new_stations), set(own.station_edges))
                arm = _Arm(main[i], (d + turn) % 8)
                self.walk(arm, rng.randint(need, room), trial)
                if len(arm.points) >= need:
                    own.points, own.units = trial.points, trial.units
                    own.new_stations, own.station_edges = trial.new_stations, trial.station_edges
                    return [*main[: i + 1], *arm.points]
        return None

    def build(self) -> _Built | None:
        """Rings, then lines (some branched); None when a line cannot be placed or rings float."""
        cfg, rng = self.cfg, self.rng
        box = None
        for _ in range(cfg.loops):
            for _try in range(12):
                n = rng.randint(max(cfg.min_stations, 4), cfg.max_stations)
                placed = self.ring(n, box)
                if placed is not None:
                    box = placed
                    break
            else:
                return None
        others = cfg.lines - cfg.loops
        branched = set(rng.sample(range(others), cfg.branches))
        for j in range(others):
            parts = self.parts()
            for attempt in range(30):
                # while rings float apart, a line counts only if it joins some of them
                must_join = parts > 1 and attempt < 25
                made = self.line(rng.randint(cfg.min_stations, cfg.max_stations), radial=must_join)
                if made is None:
                    continue
                seq, own = made
                services = [(seq, False)]
                if j in branched:
                    alt = self.branch(seq, own)
                    if alt is None:
                        continue
                    services.append((alt, False))
                if must_join and self.parts(services) >= parts:
                    continue
                self.commit(services, own)
                break
            else:
                return None
        if self.parts() != 1:
            return None
        return _Built(self.station_pts, self.lines)

    def parts(self, extra: list[tuple[list[Point], bool]] | None = None) -> int:
        """Connected parts of the network (with the candidate services ``extra`` added)."""
        # union-find over station points: rings after the first join only through other lines
        parent = {p: p for p in self.station_pts}
        for svc, _ in extra or ():
            for p in svc:
                parent.setdefault(p, p)

        def find(p: Point) -> Point:
            while parent[p] != p:
                parent[p] = parent[parent[p]]
                p = parent[p]
            return p

        for services in [*self.lines, *([extra] if extra else [])]:
            pts = [p for svc, _ in services for p in svc]
            root = find(pts[0])
            for p in pts[1:]:
                parent[find(p)] = root
        return len({find(p) for p in parent})


def _octilinear_towards(origin: Point, target: Point) -> Point:
    """The octilinear step nearest to the direction ``origin`` -> ``target``, added to ``origin``."""
    dx, dy = target[0] - origin[0], target[1] - origin[1]
    if dx == dy == 0:
        return (origin[0] + 1, origin[1])
    angle = math.atan2(dy, dx)
    k = round(angle / (math.pi / 4)) % 8
    return (origin[0] + _DIRS[k][0], origin[1] + _DIRS[k][1])


def _sign(v: int) -> int:
    return (v > 0) - (v < 0)


def _dir_of(a: Point, b: Point) -> int | None:
    """Index of the octilinear direction from ``a`` to ``b`` (None if not octilinear)."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    if (dx, dy) == (0, 0) or (dx and dy and abs(dx) != abs(dy)):
        return None
    return _DIRS.index((_sign(dx), _sign(dy)))


# --- names and colours -------------------------------------------------------------------

_ONSETS = ("b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z",
           "br", "dr", "gr", "kr", "st", "tr", "th", "sh", "ch", "h", "w")
_SINGLE_ONSETS = _ONSETS[:14]
_VOWELS = ("a", "e", "i", "o", "u", "a", "e", "o")
_DIPHTHONGS = ("ai", "ou", "ei", "au")
_MID_CODAS = ("n", "r", "l", "s", "m")
_END_CODAS = ("n", "r", "l", "s", "m", "nd", "rn", "st", "th", "sk")
_SUFFIXES = (" Park", " Square", " Gate", " Bridge", " Market", " Hill", " Road", " Cross", " Green",
             " Quay", " Central", " Fields")


def _word(rng: random.Random) -> str:
    """A pronounceable word such as ``Velmora`` or ``Kastrin``: consonant-vowel syllables.

    Clusters stay readable: a syllable inside the word ends in at most one consonant, and the
    next one then starts with a single, different consonant (no 'ndstr').
    """
    while True:
        n = rng.choice((2, 2, 2, 3))
        out, coda, diphthong = "", "", False
        for i in range(n):
            last = i == n - 1
            if i == 0 and rng.random() < 0.12:
                onset = ""  # a vowel start now and then (Arlen, Ostra)
            elif coda:
                onset = rng.choice([c for c in _SINGLE_ONSETS if c != coda])
            else:
                onset = rng.choice(_ONSETS)
            if not diphthong and rng.random() < 0.12:
                vowel, diphthong = rng.choice(_DIPHTHONGS), True
            else:
                vowel = rng.choice(_VOWELS)
            if last:
                coda = rng.choice(_END_CODAS) if rng.random() < 0.5 else ""
            else:
                coda = rng.choice(_MID_CODAS) if rng.random() < 0.3 else ""
            out += onset + vowel + coda
        if 4 <= len(out) <= 10:
            return out.capitalize()


def station_names(count: int, rng: random.Random) -> list[str]:
    """``count`` distinct pronounceable station names (some with a suffix such as `` Park``).

    Example:
        >>> names = station_names(50, random.Random(1))
        >>> len(set(names)) == 50 and all(n[0].isupper() for n in names)
        True
    """
    names: list[str] = []
    keys: set[str] = set()
    slugs: set[str] = set()
    while len(names) < count:
        name = _word(rng)
        if rng.random() < 0.22:
            name += rng.choice(_SUFFIXES)
        # unique by lookup key and by id: names resolve unambiguously and ids never collide
        if len(name) < 4 or name_key(name) in keys or slugify(name) in slugs:
            continue
        names.append(name)
        keys.add(name_key(name))
        slugs.add(slugify(name))
    return names


def line_color(number: int) -> str:
    """The colour of ``Line <number>``: a fixed palette, then well-spread hues beyond it.

    >>> line_color(1), line_color(2)
    ('#e41a1c', '#377eb8')
    """
    if 1 <= number <= len(_PALETTE):
        return _PALETTE[number - 1]
    hue = (number * 0.618033988749895) % 1.0  # golden-angle steps keep successive hues apart
    r, g, b = colorsys.hsv_to_rgb(hue, 0.75, 0.8 if number % 2 else 0.6)
    return f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"


def _to_graph(built: _Built, seed: int, cfg: SyntheticConfig, grid: int, rng: random.Random) -> MetroGraph:
    names = station_names(len(built.stations), rng)
    ids = [slugify(n) for n in names]
    id_of = {p: ids[i] for i, p in enumerate(built.stations)}
    stations = [
        Station(ids[i], names[i], coords=(float(p[0] * cfg.spacing), float(p[1] * cfg.spacing)))
        for i, p in enumerate(built.stations)
    ]
    # line numbers are shuffled so the ring is not always Line 1 (Beijing's rings are 2 and 10)
    numbers = list(range(1, len(built.lines) + 1))
    rng.shuffle(numbers)
    lines = []
    # the rings come first in ``built.lines``: the first ``oneway_loops`` of them run one way only
    oneway = set(range(cfg.oneway_loops))
    for number, k, services in sorted(zip(numbers, range(len(built.lines)), built.lines), key=lambda t: t[0]):
        branches = tuple(
            Branch(tuple(id_of[p] for p in svc), loop, oneway=loop and k in oneway) for svc, loop in services
        )
        lines.append(Line(f"line-{number}", f"Line {number}", branches, color=line_color(number)))
    return MetroGraph(
        city=f"synthetic-{seed}",
        country="synthetic",
        stations=stations,
        lines=lines,
        source=f"synthetic:{seed}",
        meta={"generator": GENERATOR, "seed": seed, "config": cfg.to_dict(), "grid_size": grid},
    )
