"""Live guidance on simulated walks through the real WebSocket, printed as JSON (issue 13).

50 walks on the city (bench/route_pairs.json) with 8 m GPS noise at 1.3 m/s, one fix a second, against a server on
a local port: every fifth walk takes the wrong street at a junction, every fifth walks off at right angles where
there is no way, every fifth loses its connection mid-walk and resumes (the others walk the route). Figures: false
off-route alarms, "now" calls missed (not said before the walker passed the spot) and said late (after it),
wrong-turn detection time from leaving the route (median, max), walks where it was not detected at all or not
within 10 s, announcements repeated after a reconnect, closed sockets, arrivals.

Usage: python bench/walk_bench.py [--walks N] [OSM_FILE]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from app import create_app
from app.walker.simulate import serve_in_thread, simulate, wrong_turn
from routing.cache import load_graph

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OSM = REPO.parent / "shared" / "osm" / "kaiserslautern.osm.gz"
NOISE_M = 8.0
SPEED_MPS = 1.3
DETECTION_TARGET_S = 10.0
KINDS = ("walk", "wrong_turn", "detour", "reconnect", "walk")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("osm", nargs="?", type=Path, default=DEFAULT_OSM)
    parser.add_argument("--walks", type=int, default=50)
    arguments = parser.parse_args()
    graph = load_graph(arguments.osm)
    with tempfile.TemporaryDirectory() as scratch:
        # A database file: the server's threads each need a connection of their own (`serve_in_thread`).
        app = create_app({"TESTING": True, "LIVE_FRAMES_PER_SECOND": 100_000, "SPEECH_CACHE_DIR": scratch,
                          "DATABASE_URL": f"sqlite:///{Path(scratch) / 'lotse.db'}"}, graph=graph)
        url, stop = serve_in_thread(app)
        try:
            walks = [_walk(url, graph, number) for number in range(arguments.walks)]
        finally:
            stop()
    print(json.dumps(_figures(walks), indent=2, ensure_ascii=False))


def _walk(url: str, graph, number: int) -> dict:
    pairs = json.loads((REPO / "bench" / "route_pairs.json").read_text())
    pair = pairs[number % len(pairs)]
    kind = KINDS[number % len(KINDS)]
    leave_at = min(150.0, pair["straight_m"] / 3)
    started = time.perf_counter()
    summary = simulate(
        url, (pair["from"]["lat"], pair["from"]["lon"]), (pair["to"]["lat"], pair["to"]["lon"]), NOISE_M, SPEED_MPS,
        detour_at_m=leave_at if kind == "detour" else None, seed=number,
        wrong_way=(lambda route: wrong_turn(graph, route, leave_at)) if kind == "wrong_turn" else None,
        reconnect_at_m=pair["straight_m"] / 2 if kind == "reconnect" else None)
    return {"kind": kind, "summary": summary, "seconds": time.perf_counter() - started}


def _figures(walks: list[dict]) -> dict:
    summaries = [walk["summary"] for walk in walks]
    left = [s for s in summaries if s.left_route]
    detected = [s.detour_detected_after_s for s in left if s.detour_detected_after_s is not None]
    fixes = sum(s.fixes for s in summaries)
    return {
        "walks": len(walks),
        "by_kind": {kind: sum(walk["kind"] == kind for walk in walks) for kind in sorted(set(KINDS))},
        "noise_m": NOISE_M,
        "fixes": fixes,
        "false_off_route": sum(s.false_off_route for s in summaries),
        "instructions_passed": sum(s.instructions for s in summaries),
        "now_said_before_the_spot": sum(s.announced_now_before for s in summaries),
        "now_missed": sum(len(s.missed) for s in summaries),  # not said before the walker passed the spot
        "now_said_late": sum(len(s.late) for s in summaries),  # of those, said after the walker had passed it
        "walks_leaving_the_route": len(left),
        "wrong_turns_detected": len(detected),
        "wrong_turns_undetected": len(left) - len(detected),
        "detection_s": {"median": round(float(np.median(detected)), 1) if detected else None,
                        "max": round(float(max(detected)), 1) if detected else None},
        "detected_later_than_10_s_or_not": sum(s.detour_detected_after_s is None
                                              or s.detour_detected_after_s > DETECTION_TARGET_S for s in left),
        "reconnects": sum(s.reconnects for s in summaries),
        "repeats": sum(len(s.repeats) for s in summaries),
        "closed_sockets": sum(s.closed for s in summaries),
        "errors": sorted({code for s in summaries for code in s.errors}),
        "arrived": sum(s.arrived for s in summaries),
        "seconds_per_walk": round(float(np.mean([walk["seconds"] for walk in walks])), 2),
        "walks_with_findings": [
            {"walk": number, "kind": walk["kind"], "false_off_route": s.false_off_route, "missed": s.missed,
             "late": s.late, "detected_s": s.detour_detected_after_s, "repeats": s.repeats, "closed": s.closed,
             "arrived": s.arrived}
            for number, (walk, s) in enumerate(zip(walks, summaries))
            if s.false_off_route or s.missed or s.late or s.repeats or s.closed or not s.arrived
            or (s.left_route and (s.detour_detected_after_s or 99) > DETECTION_TARGET_S)],
    }


if __name__ == "__main__":
    main()
