"""Load on live guidance: many concurrent walkers, one fix a second each, against a real `lotse serve` (issue 5).

Each session starts a route (cycling through bench/route_pairs.json) and then walks it with 8 m GPS noise, sending a
fix every second in real time. Prints JSON: the server's processing time per fix (from the `server_ms` field of
each `progress` message) at the 50th, 95th and 99th percentile, the client-side round trip for comparison, fixes
answered, and sessions dropped (closed, or unanswered for more than 5 s).

Usage: python bench/ws_load.py [--sessions 500] [--seconds 60] [--osm FILE]
The client is asyncio with the `websockets` package (bench only: one process can then hold 500 sockets cheaply).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
import websockets

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OSM = REPO.parent / "shared" / "osm" / "kaiserslautern.osm.gz"
UNANSWERED_S = 5.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(osm: Path, port: int, workdir: Path) -> subprocess.Popen:
    env = {**os.environ, "LOTSE_SPEECH_ENGINES": "espeak", "LOTSE_DATABASE_URL": f"sqlite:///{workdir}/lotse.db",
           "LOTSE_SESSION_COOKIE_SECURE": "false"}
    server = subprocess.Popen([str(Path(sys.executable).parent / "lotse"), "serve", "--osm", str(osm), "--port",
                               str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2).read()
            return server
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise RuntimeError("the server did not start")
            time.sleep(0.3)


def _points(route: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    coordinates = np.array(route["geometry"]["coordinates"])
    lon, lat = coordinates[:, 0], coordinates[:, 1]
    dx = np.diff(lon) * 111_320.0 * math.cos(math.radians(lat[0]))
    dy = np.diff(lat) * 111_320.0
    return lat, lon, np.concatenate([[0.0], np.cumsum(np.hypot(dx, dy))])


async def walker(url: str, pair: dict, seconds: float, stats: dict, number: int) -> None:
    rng = random.Random(number)
    await asyncio.sleep(rng.uniform(0, 1.0))  # spread the sessions over the second
    try:
        async with websockets.connect(f"{url}/ws/guide", max_size=2**22, ping_interval=None) as ws:
            await ws.send(json.dumps({"type": "start", "from": pair["from"], "to": pair["to"]}))
            while True:
                message = json.loads(await asyncio.wait_for(ws.recv(), 30))
                if message["type"] in ("started", "error"):
                    break
            if message["type"] == "error":
                stats["start_errors"] += 1
                return
            lat, lon, along = _points(message["route"])
            started = time.monotonic()
            timestamp = 1_700_000_000_000
            sent = 0
            while time.monotonic() - started < seconds:
                walked = min(1.3 * sent, along[-1])
                sent += 1
                timestamp += 1000
                fix = {"type": "position", "lat": float(np.interp(walked, along, lat)) + rng.gauss(0, 8) / 111_320,
                       "lon": float(np.interp(walked, along, lon)) + rng.gauss(0, 8) / 72_000,
                       "accuracy_m": 8, "timestamp": timestamp, "speed_mps": 1.3}
                sent_at = time.monotonic()
                await ws.send(json.dumps(fix))
                while True:
                    reply = json.loads(await asyncio.wait_for(ws.recv(), UNANSWERED_S))
                    if reply["type"] == "progress":
                        stats["server_ms"].append(reply["server_ms"])
                        stats["round_trip_ms"].append((time.monotonic() - sent_at) * 1000)
                        break
                    if reply["type"] == "error":
                        stats["fix_errors"] += 1
                        break
                    if reply["type"] == "arrived":
                        stats["arrived"] += 1
                await asyncio.sleep(max(0.0, sent_at + 1.0 - time.monotonic()))
            stats["completed"] += 1
    except (OSError, asyncio.TimeoutError, websockets.ConnectionClosed):
        stats["dropped"] += 1


async def run(url: str, sessions: int, seconds: float) -> dict:
    pairs = json.loads((REPO / "bench" / "route_pairs.json").read_text())
    stats = {"server_ms": [], "round_trip_ms": [], "dropped": 0, "completed": 0, "start_errors": 0,
             "fix_errors": 0, "arrived": 0}
    await asyncio.gather(*(walker(url, pairs[i % len(pairs)], seconds, stats, i) for i in range(sessions)))
    return stats


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    array = np.array(values)
    return {f"p{q}": round(float(np.percentile(array, q)), 3) for q in (50, 95, 99)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--osm", type=Path, default=DEFAULT_OSM)
    args = parser.parse_args()
    port = _free_port()
    with tempfile.TemporaryDirectory() as workdir:
        server = start_server(args.osm, port, Path(workdir))
        try:
            stats = asyncio.run(run(f"ws://127.0.0.1:{port}", args.sessions, args.seconds))
            status = Path(f"/proc/{server.pid}/status").read_text()
            rss_kb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS")))
        finally:
            server.terminate()
            server.wait(timeout=20)
    print(json.dumps({
        "sessions": args.sessions,
        "seconds": args.seconds,
        "fixes_answered": len(stats["server_ms"]),
        "server_processing_ms": _percentiles(stats["server_ms"]),
        "round_trip_ms": _percentiles(stats["round_trip_ms"]),
        "dropped_sessions": stats["dropped"],
        "completed_sessions": stats["completed"],
        "start_errors": stats["start_errors"],
        "fix_errors": stats["fix_errors"],
        "server_rss_mb": round(rss_kb / 1024, 1),
        "targets": {"server_processing_p99_ms": 50, "dropped_sessions": 0},
    }, indent=2))


if __name__ == "__main__":
    main()
