"""Write bench/route_pairs.json: 200 seeded origin/destination pairs 300 m to 3 km apart on the whole-city graph.

The pairs are checked in so every run and every machine plans the same routes; rerun only to change the set.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from routing.cache import load_graph
from routing.planner import NoRouteError, Planner
from routing.profiles import resolve
from routing.spatial import EdgeIndex

REPO = Path(__file__).resolve().parent.parent
CITY_OSM = REPO.parent / "shared" / "osm" / "kaiserslautern.osm.gz"


def main() -> None:
    graph = load_graph(CITY_OSM)
    planner = Planner(graph, EdgeIndex(graph))
    rng = np.random.default_rng(20261128)
    pairs = []
    prefs = resolve("standard")
    while len(pairs) < 200:
        a, b = rng.integers(0, graph.node_count, 2)
        distance = float(np.hypot(graph.node_x[a] - graph.node_x[b], graph.node_y[a] - graph.node_y[b]))
        if not 300 <= distance <= 3000:
            continue
        # A few metres off the node, as a phone's position would be.
        origin = (round(float(graph.node_lat[a]) + rng.uniform(-5e-5, 5e-5), 6),
                  round(float(graph.node_lon[a]) + rng.uniform(-5e-5, 5e-5), 6))
        destination = (round(float(graph.node_lat[b]) + rng.uniform(-5e-5, 5e-5), 6),
                       round(float(graph.node_lon[b]) + rng.uniform(-5e-5, 5e-5), 6))
        try:
            planner.plan(origin, destination, prefs)
        except NoRouteError:
            continue  # separate pieces of the network: not a planning benchmark
        pairs.append({"from": {"lat": origin[0], "lon": origin[1]}, "to": {"lat": destination[0], "lon": destination[1]},
                      "straight_m": round(distance)})
    (REPO / "bench" / "route_pairs.json").write_text(json.dumps(pairs, indent=1) + "\n")


if __name__ == "__main__":
    main()
