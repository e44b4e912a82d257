"""Route planning figures on the whole-city extract, printed as JSON (issue 3).

For the 200 checked-in pairs (bench/route_pairs.json), in a warm process: planning time per route (snap both ends,
shortest and preferred search, building the Route and its explanation) for profiles blind and standard, median
and 95th percentile; the search alone; guidance (issue 4): computing the maneuvers and wording all instructions of
a route, and planning plus guidance in one; the mean detour ratio blind/standard; resident memory. Per profile a
`results_digest` of what the walker gets (instruction texts, the edges walked, the geometry as the API gives it),
which speed work must leave as it is.

Usage: python bench/route_bench.py [OSM_FILE]
"""

from __future__ import annotations

import hashlib
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

from routing.cache import load_graph
from routing.explain import explain
from routing.guidance.maneuvers import build_maneuvers
from routing.guidance.wording import instructions
from routing.plan import plan_route
from routing.planner import Planner
from routing.profiles import resolve
from routing.route import build_route, path_summary, route_summary
from routing.spatial import EdgeIndex

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OSM = REPO.parent / "shared" / "osm" / "kaiserslautern.osm.gz"


def _ms(times: list[float]) -> dict[str, float]:
    values = np.array(times) * 1000
    return {"median_ms": round(float(np.median(values)), 3), "p95_ms": round(float(np.percentile(values, 95)), 3)}


def main() -> None:
    osm = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OSM
    pairs = json.loads((REPO / "bench" / "route_pairs.json").read_text())
    points = [((p["from"]["lat"], p["from"]["lon"]), (p["to"]["lat"], p["to"]["lon"])) for p in pairs]
    graph = load_graph(osm)
    planner = Planner(graph, EdgeIndex(graph))
    result: dict[str, object] = {"osm_file": osm.name, "pairs": len(points)}
    lengths: dict[str, list[float]] = {}
    for profile in ("blind", "standard"):
        for origin, destination in points[:20]:  # warm the cost cache and the allocator
            plan_route(planner, origin, destination, profile)
        planned, full, search, maneuvering, wording = [], [], [], [], []
        lengths[profile] = []
        results = hashlib.sha256()
        prefs = resolve(profile)
        for origin, destination in points:
            # Planning as issue 3 measures it: snap, search, the described Route and its explanation.
            started = time.perf_counter()
            chosen, shortest = planner.plan(origin, destination, prefs)
            route = build_route(planner, chosen, profile, prefs)
            mine = route_summary(route)
            explain(mine, mine if shortest.directed == chosen.directed else path_summary(planner, shortest), "de")
            planned.append(time.perf_counter() - started)
            started = time.perf_counter()
            steps = build_maneuvers(planner, route, destination)
            maneuvering.append(time.perf_counter() - started)
            started = time.perf_counter()
            instructions(steps, "de")
            wording.append(time.perf_counter() - started)
            started = time.perf_counter()
            route = plan_route(planner, origin, destination, profile)
            full.append(time.perf_counter() - started)
            lengths[profile].append(route.distance_m)
            results.update(json.dumps({"texts": [instruction.text for instruction in route.instructions],
                                       "edges": [[edge.edge, edge.forward] for edge in route.edges],
                                       "geometry": route.to_dict()["geometry"]["coordinates"]}).encode())
            started = time.perf_counter()
            planner.plan(origin, destination, prefs)
            search.append(time.perf_counter() - started)
        result[profile] = {"plan_and_route": _ms(planned), "snap_and_search_only": _ms(search),
                           "maneuvers": _ms(maneuvering), "wording": _ms(wording),
                           "plan_route_with_guidance": _ms(full), "results_digest": results.hexdigest()[:16]}
    result["detour_ratio_blind_vs_standard_mean"] = round(
        float(np.mean(np.array(lengths["blind"]) / np.array(lengths["standard"]))), 4
    )
    result["rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    result["targets"] = {"blind_plan_median_ms": 2.0, "blind_plan_p95_ms": 4.0, "wording_median_ms": 1.0,
                         "plan_with_guidance_median_ms": 3.0}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
