"""questions.base.line_paths (the generators' cached spans) agrees with graph.stops_between."""

from __future__ import annotations

import itertools


def test_line_paths_equal_stops_between_paths(small_map, load_real):
    from mapkit.errors import NotOnSameLineError
    from mapkit.graph import stops_between
    from mapkit.questions.base import line_paths

    for g in (small_map, load_real("shanghai"), load_real("singapore")):
        for lid, ln in g.lines.items():
            for a, b in itertools.permutations(ln.station_ids, 2):
                try:
                    want = stops_between(g, a, b, lid).paths
                except NotOnSameLineError:
                    want = ()
                assert line_paths(g, lid, a, b) == want, (g.city, lid, a, b)
