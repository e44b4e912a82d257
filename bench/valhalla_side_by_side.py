"""Route + guidance beside Valhalla 3.9.1 on the same pairs in one run, printed as JSON (issue 16).

Lotse: `plan_route` (profile blind, German: snap, search, the described Route, its explanation, maneuvers and
worded instructions) in this process. Valhalla: `Actor.route` (pedestrian, type blind, de-DE, instructions; a JSON
string in and out) in a worker process of its own Python, timed inside the worker, so the pipe between the two is
not counted. Both warm up on every pair once, then the timed rounds alternate pair by pair, so both see the same
load on the machine; the ratios are what to compare, absolute times vary between runs.

Valhalla is set up outside the repository by ../shared/valhalla/setup.sh (README there); nothing of it is kept here.

Usage: python bench/valhalla_side_by_side.py [--rounds N] [--valhalla-python PATH] [--valhalla-config PATH]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time
from pathlib import Path

import numpy as np

from routing.cache import load_graph
from routing.plan import plan_route
from routing.planner import Planner
from routing.spatial import EdgeIndex

REPO = Path(__file__).resolve().parent.parent
CITY = REPO.parent / "shared" / "osm" / "kaiserslautern.osm.gz"
PAIRS = REPO / "bench" / "route_pairs.json"
VALHALLA_DIR = REPO.parent / "shared" / "valhalla"
TARGETS = {"median_vs_valhalla": 0.9, "p95_vs_valhalla": 1.5}

# Runs in Valhalla's Python: reads a pair index per line, routes it, answers with the seconds it took.
WORKER = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from route_bench import load_pairs, make_actor, make_request
config = json.load(open(sys.argv[2]))
config.setdefault("logging", {})["type"] = ""
actor = make_actor(config)
requests = [make_request(o, d, "blind", "de-DE", {}) for _, o, d in load_pairs(sys.argv[3])]
print("ready", flush=True)
for line in sys.stdin:
    request = requests[int(line)]
    started = time.perf_counter()
    try:
        actor.route(request)
        print(time.perf_counter() - started, flush=True)
    except Exception as error:
        print("error", type(error).__name__, error, flush=True)
"""


class Valhalla:
    """A Valhalla worker process: `route(i)` routes pair i and returns its seconds (None if it found no route)."""

    def __init__(self, python: str, config: str) -> None:
        self._process = subprocess.Popen([python, "-c", WORKER, str(VALHALLA_DIR), config, str(PAIRS)],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if self._process.stdout.readline().strip() != "ready":
            raise RuntimeError("The Valhalla worker did not start; run ../shared/valhalla/setup.sh first")

    def route(self, pair: int) -> float | None:
        self._process.stdin.write(f"{pair}\n")
        self._process.stdin.flush()
        answer = self._process.stdout.readline().strip()
        return None if answer.startswith("error") else float(answer)

    def close(self) -> None:
        self._process.stdin.close()
        self._process.wait(timeout=30)


def _summary(seconds: list[float]) -> dict[str, float]:
    values = np.array(seconds) * 1000
    return {"median_ms": round(float(np.median(values)), 3), "p95_ms": round(float(np.percentile(values, 95)), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="timed passes over all pairs")
    parser.add_argument("--valhalla-python", default="/tmp/vh-venv/bin/python")
    parser.add_argument("--valhalla-config", default="/tmp/vh-tiles/valhalla.json")
    args = parser.parse_args()
    pairs = json.loads(PAIRS.read_text())
    points = [((p["from"]["lat"], p["from"]["lon"]), (p["to"]["lat"], p["to"]["lon"])) for p in pairs]
    graph = load_graph(CITY)
    planner = Planner(graph, EdgeIndex(graph))
    valhalla = Valhalla(args.valhalla_python, args.valhalla_config)
    try:
        routed = [i for i in range(len(points)) if valhalla.route(i) is not None]  # also the warm-up
        for origin, destination in points:
            plan_route(planner, origin, destination, "blind")
        lotse, reference = [], []
        for _ in range(args.rounds):
            for i in routed:
                started = time.perf_counter()
                plan_route(planner, *points[i], "blind")
                lotse.append(time.perf_counter() - started)
                reference.append(valhalla.route(i))
    finally:
        valhalla.close()
    ours, theirs = _summary(lotse), _summary(reference)
    print(json.dumps({
        "pairs": len(points), "valhalla_routed": len(routed), "rounds": args.rounds,
        "lotse_route_and_guidance": ours, "valhalla_route_and_instructions": theirs,
        "median_vs_valhalla": round(ours["median_ms"] / theirs["median_ms"], 2),
        "p95_vs_valhalla": round(ours["p95_ms"] / theirs["p95_ms"], 2),
        "targets": TARGETS,
    }, indent=2))


if __name__ == "__main__":
    main()
