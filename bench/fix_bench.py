"""What one fix costs the server's domain code: `GuidanceSession.update` in process, without sockets, as JSON.

Walks on the city (bench/route_pairs.json) with 8 m GPS noise at 1.3 m/s, one fix a second, with heading and speed
as a phone sends them; every third walk takes the wrong street at a junction (`app.walker.simulate.wrong_turn`) and
goes on along it, so the map matcher's off-route states are exercised too. Figures: milliseconds per fix (median,
p95, p99, mean) of `update`, and a digest of everything the sessions produced (every update, the matcher's belief):
a refactor that keeps the results identical keeps the digest. `--profile` prints cProfile's top functions instead.

Usage: python bench/fix_bench.py [--walks 30] [--repeat 3] [--profile] [--trace FILE] [OSM_FILE]
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import os
import pstats
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from app.walker.simulate import _Walker, wrong_turn
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
WRONG_TURN_EVERY = 3


def walks(graph, planner: Planner, count: int) -> list[tuple[object, list[Fix]]]:
    """`count` routes and the fixes of a noisy walk along each (seeded: the same every run)."""
    pairs = json.loads((REPO / "bench" / "route_pairs.json").read_text())
    planned = []
    for number in range(count):
        pair = pairs[number % len(pairs)]
        route = plan_route(planner, (pair["from"]["lat"], pair["from"]["lon"]), (pair["to"]["lat"], pair["to"]["lon"]))
        walker = _Walker(route.lat.tolist(), route.lon.tolist())
        detour = None
        if number % WRONG_TURN_EVERY == WRONG_TURN_EVERY - 1:
            taken = wrong_turn(graph, route.to_dict(), min(150.0, pair["straight_m"] / 3))
            if taken is not None:
                detour = (taken[0], _Walker([p[0] for p in taken[1]], [p[1] for p in taken[1]]))
        rng = np.random.default_rng(number)
        fixes, walked, timestamp = [], 0.0, 1_700_000_000_000.0
        while True:
            timestamp += 1000.0
            walked += SPEED_MPS
            if detour is not None and walked >= detour[0]:
                if walked - detour[0] > detour[1].length:
                    break
                x, y, heading = detour[1].at(walked - detour[0])
                x, y = walker.xy(*detour[1].latlon(x, y))
            elif walked > walker.length + 5 * SPEED_MPS:
                break
            else:
                x, y, heading = walker.at(walked)
            lat, lon = walker.latlon(x + rng.normal(0, NOISE_M), y + rng.normal(0, NOISE_M))
            fixes.append(Fix(lat, lon, NOISE_M, timestamp, (heading + rng.normal(0, 10)) % 360, SPEED_MPS))
        planned.append((route, fixes))
    return planned


def replay(planned, index: EdgeIndex, network: WalkNetwork, trace: list | None) -> list[float]:
    """Feed every walk's fixes to a fresh session; milliseconds per `update`."""
    times = []
    for route, fixes in planned:
        session = GuidanceSession(route, route.instructions, index.project, "de", network=network)
        session.start()
        for fix in fixes:
            started = time.perf_counter()
            update = session.update(fix)
            times.append((time.perf_counter() - started) * 1000)
            if trace is not None:
                trace.append((asdict(update), session.off_route_belief))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("osm", nargs="?", type=Path, default=DEFAULT_OSM)
    parser.add_argument("--walks", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3, help="replays timed (the best per fix is kept)")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions of one replay")
    parser.add_argument("--trace", type=Path, help="write every update as JSON lines, to diff two versions")
    arguments = parser.parse_args()
    graph = load_graph(arguments.osm)
    index = EdgeIndex(graph)
    network = WalkNetwork(index)
    planned = walks(graph, Planner(graph, index), arguments.walks)
    trace: list = []
    replay(planned, index, network, trace)  # warm, and what the digest is of
    if arguments.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        replay(planned, index, network, None)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        return
    cpu_from = time.process_time()
    runs = [replay(planned, index, network, None) for _ in range(arguments.repeat)]
    cpu_ms = (time.process_time() - cpu_from) * 1000 / (len(runs) * len(runs[0]))
    best = np.min(np.array(runs), axis=0)
    lines = [json.dumps(entry, sort_keys=True) for entry in trace]
    if arguments.trace:
        arguments.trace.write_text("\n".join(lines) + "\n")
    print(json.dumps({
        "walks": len(planned), "fixes": len(best),
        "update_ms": {"p50": round(float(np.percentile(best, 50)), 3), "p95": round(float(np.percentile(best, 95)), 3),
                      "p99": round(float(np.percentile(best, 99)), 3), "mean": round(float(best.mean()), 3)},
        "cpu_ms_per_fix": round(cpu_ms, 3),
        "off_route_events": sum(entry[0]["off_route"] is not None for entry in trace),
        "results_digest": hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16],
        "load_average": [round(value, 2) for value in os.getloadavg()],
    }, indent=2))


if __name__ == "__main__":
    main()
