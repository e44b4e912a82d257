"""Off-route decisions on simulated walks, driving routing.tracking directly (no socket), printed as JSON.

The walks of bench/walk_bench.py without the server, so the 150 pairs it does not walk can be measured too:
pair number n of bench/route_pairs.json walks as walk_bench's walk n would (8 m noise, 1.3 m/s, a fix a second,
heading with 10 degrees of noise; every fifth takes the wrong street at a junction, every fifth walks off at right
angles). Figures per set of pairs: false off-route alarms, detection time from leaving the route (median, max),
walks detected later than 10 s or not at all, and the highest off-route belief while on the route (the margin to a
false alarm).

Usage: python bench/offroute_bench.py [--from N] [--to N] [--seed N] [OSM_FILE]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from app.walker.simulate import _detour, _walker_for, wrong_turn
from routing.cache import load_graph
from routing.matching import WalkNetwork
from routing.plan import plan_route
from routing.planner import Planner
from routing.spatial import EdgeIndex
from routing.tracking import Fix, GuidanceSession

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OSM = REPO.parent / "shared" / "osm" / "kaiserslautern.osm.gz"
NOISE_M = 8.0
SPEED_MPS = 1.3
HEADING_NOISE_DEG = 10.0
DETECTION_TARGET_S = 10.0
KINDS = ("walk", "wrong_turn", "detour", "walk", "walk")  # walk_bench's reconnect walk is a plain walk here


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("osm", nargs="?", type=Path, default=DEFAULT_OSM)
    parser.add_argument("--from", dest="first", type=int, default=0)
    parser.add_argument("--to", dest="last", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0,
                        help="noise seed offset: walk n draws its noise from seed n + SEED (0: walk_bench's noise)")
    arguments = parser.parse_args()
    graph = load_graph(arguments.osm)
    index = EdgeIndex(graph)
    planner, network = Planner(graph, index), WalkNetwork(index)
    pairs = json.loads((REPO / "bench" / "route_pairs.json").read_text())
    walks = [walk(planner, network, graph, pairs[number], number, arguments.seed)
             for number in range(arguments.first, min(arguments.last, len(pairs)))]
    print(json.dumps({"pairs": f"{arguments.first}-{min(arguments.last, len(pairs)) - 1}", "seed": arguments.seed,
                      "all": figures(walks),
                      "walk_bench_pairs": figures([w for w in walks if w["number"] < 50]),
                      "extra_pairs": figures([w for w in walks if w["number"] >= 50])}, indent=2))


def walk(planner: Planner, network: WalkNetwork, graph, pair: dict, number: int, seed: int = 0) -> dict:
    """One walk as walk_bench's walk `number` (its noise with `seed` 0): false alarms, when a wrong way was told, the
    highest belief."""
    kind = KINDS[number % len(KINDS)]
    rng = np.random.default_rng(number + seed)
    route = plan_route(planner, (pair["from"]["lat"], pair["from"]["lon"]), (pair["to"]["lat"], pair["to"]["lon"]),
                       "blind", None, "de")
    plan = route.to_dict()
    leave_at = min(150.0, pair["straight_m"] / 3)
    line = _walker_for(plan)
    detour = _detour(line, plan, leave_at if kind == "detour" else None,
                     (lambda r: wrong_turn(graph, r, leave_at)) if kind == "wrong_turn" else None)
    session = GuidanceSession(route, route.instructions, planner.index.project, "de", network=network)
    session.start()
    timestamp, position = 1_700_000_000_000.0, 0.0
    result = {"number": number, "kind": kind, "left": detour is not None, "false": 0, "detected_s": None,
              "on_route_belief": 0.0}

    def send(x: float, y: float, heading: float):
        lat, lon = line.latlon(x + rng.normal(0, NOISE_M), y + rng.normal(0, NOISE_M))
        return session.update(Fix(lat, lon, NOISE_M, timestamp, (heading + rng.normal(0, HEADING_NOISE_DEG)) % 360,
                                  SPEED_MPS))

    while position < line.length and not session.arrived:
        if detour is not None and position >= detour[0]:
            break
        timestamp += 1000.0
        position = min(position + SPEED_MPS, line.length)
        update = send(*line.at(position))
        result["false"] += update.off_route is not None
        result["on_route_belief"] = max(result["on_route_belief"], session.off_route_belief)
    result["left"] = detour is not None and not session.arrived  # arrived first: as walk_bench, no wrong turn
    if result["left"]:
        taken, walked, left_at = detour[1], 0.0, timestamp
        while walked < taken.length:
            timestamp += 1000.0
            walked = min(walked + SPEED_MPS, taken.length)
            x, y, heading = taken.at(walked)
            if send(*line.xy(*taken.latlon(x, y)), heading).off_route is not None:
                result["detected_s"] = (timestamp - left_at) / 1000
                break
    return result


def figures(walks: list[dict]) -> dict:
    """The figures of a set of walks."""
    left = [w for w in walks if w["left"]]
    detected = [w["detected_s"] for w in left if w["detected_s"] is not None]
    return {
        "walks": len(walks),
        "false_off_route": sum(w["false"] for w in walks),
        "walks_leaving_the_route": len(left),
        "detected": len(detected),
        "detection_s": {"median": round(float(np.median(detected)), 1) if detected else None,
                        "max": round(float(max(detected)), 1) if detected else None},
        "later_than_10_s_or_not": sum(w["detected_s"] is None or w["detected_s"] > DETECTION_TARGET_S for w in left),
        "highest_on_route_belief": round(max((w["on_route_belief"] for w in walks), default=0.0), 3),
        "false_alarm_walks": [w["number"] for w in walks if w["false"]],
        "late": sorted((w["number"], w["kind"], w["detected_s"]) for w in left
                       if w["detected_s"] is None or w["detected_s"] > DETECTION_TARGET_S),
    }


if __name__ == "__main__":
    main()
