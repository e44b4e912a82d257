"""The production server under load (issue 17): many walkers on real sockets while routes are planned over HTTP.

Starts a real `lotse serve` (gunicorn, settings from the environment as deployed) on the city and measures:
- start: seconds from starting the process to the first healthy answer, the graph being cached already;
- planning: in-process `plan_route` time for the first 20 pairs of bench/route_pairs.json against one `POST
  /api/route` at a time over HTTP (target: HTTP median at most 1.5 times the in-process one);
- walkers: N sockets (default 1000), each started by id on a route planned from its own address (X-Forwarded-For,
  one trusted proxy, as behind nginx) as the PWA does, and walked with
  8 m GPS noise at one fix a second in real time; the round trip of each fix at the client (sent to its `progress`),
  at the 50th, 95th and 99th percentile, while only walking and while routes are planned (below), the server's
  own time per fix (`server_ms`), and sessions dropped (closed, or a fix unanswered for 5 s);
- routes under load: `POST /api/route` from 50 connections at once for `--route-seconds`, in a second process
  while the walkers walk: latency percentiles, routes a second, errors;
- memory: the largest resident set of the worker and of the master seen during the walk, and their PSS (the
  graph's pages are shared after the fork).

Usage: python bench/serve_bench.py [--walkers 1000] [--seconds 60] [--route-seconds 20] [--osm FILE]
       [--redis redis://127.0.0.1:6379/0]
Needs the bench extra (`pip install -e '.[bench]'`: websockets, an asyncio client that holds 1000 sockets cheaply, on
uvloop). The client shares the machine with the server: its fixes are made before the walk, and its share of a core
is printed (`cpu_percent_of_a_core.client_walkers`).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import multiprocessing
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import orjson
import requests
import websockets
from serving import free_port, wait_until_healthy

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
DEFAULT_OSM = REPO.parent / "shared" / "osm" / "kaiserslautern.osm.gz"
ROUTES = 20  # pairs timed one at a time over HTTP and in process
UNANSWERED_S = 5.0
RAMP_S = 10.0  # walkers connect spread over this long
ROUTE_CONNECTIONS = 50


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    array = np.array(values)
    return {f"p{q}": round(float(np.percentile(array, q)), 2) for q in (50, 95, 99)} | {"count": len(values)}


def start_server(osm: Path, workdir: Path, redis_url: str | None) -> tuple[subprocess.Popen, str, float]:
    """`lotse serve` on a free port (sharing routes through `redis_url` if given); returns the process, its base
    URL and the seconds until it was healthy."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("LOTSE_") or
           key.startswith("LOTSE_SERVER_")}
    env.update(LOTSE_SPEECH_ENGINES="espeak", LOTSE_DATABASE_URL=f"sqlite:///{workdir / 'lotse.db'}",
               LOTSE_SERVER_ACCESS_LOG="", LOTSE_SERVER_PROXY_HOPS="1", NO_PROXY="*")
    if redis_url:  # keys of their own, apart from any other server on this Redis
        env.update(LOTSE_REDIS_URL=redis_url, LOTSE_REDIS_PREFIX=f"serve-bench-{os.getpid()}")
    log = workdir / "server.log"
    started = time.monotonic()
    with log.open("ab") as out:
        process = subprocess.Popen([str(Path(sys.executable).parent / "lotse"), "serve", "--osm", str(osm),
                                    "--port", str(port)], cwd=workdir, env=env, stdout=out, stderr=out)
    base = f"http://127.0.0.1:{port}"
    wait_until_healthy(process, base, log, 300)
    return process, base, time.monotonic() - started


def in_process_planning_ms(osm: Path, pairs: list[dict]) -> list[float]:
    """Milliseconds `plan_route` takes per pair in this process (warm: each pair once before timing)."""
    from routing.cache import load_graph
    from routing.plan import plan_route
    from routing.planner import Planner
    from routing.spatial import EdgeIndex

    graph = load_graph(osm)
    planner = Planner(graph, EdgeIndex(graph))
    times = []
    for pair in pairs:
        origin, destination = (pair["from"]["lat"], pair["from"]["lon"]), (pair["to"]["lat"], pair["to"]["lon"])
        plan_route(planner, origin, destination)
        started = time.perf_counter()
        plan_route(planner, origin, destination)
        times.append((time.perf_counter() - started) * 1000)
    return times


def plan_over_http(base: str, pairs: list[dict]) -> tuple[list[dict], list[float]]:
    """The routes, planned one at a time over HTTP: all once to warm up, then all again timed (the server keeps
    these last ones for the walkers to start on)."""
    session = requests.Session()
    for pair in pairs:
        session.post(f"{base}/api/route", json={"from": pair["from"], "to": pair["to"]}, timeout=30).raise_for_status()
    routes, times = [], []
    for pair in pairs:
        body = {"from": pair["from"], "to": pair["to"]}
        started = time.perf_counter()
        response = session.post(f"{base}/api/route", json=body, timeout=30)
        times.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        routes.append(response.json())
    return routes, times


def address(number: int) -> str:
    """A client address of its own for walker `number` (the server trusts one proxy's X-Forwarded-For here), as
    behind nginx in a city: each walker's routes, re-plans included, are bounded by its own address."""
    return f"10.{number >> 16 & 255}.{number >> 8 & 255}.{number & 255}"


def plan_for_walkers(base: str, pairs: list[dict], walkers: int) -> list[dict]:
    """A route for each walker, planned from its own address before the walk (8 at a time)."""
    def plan(number: int) -> dict:
        pair = pairs[number % len(pairs)]
        response = requests.post(f"{base}/api/route", json={"from": pair["from"], "to": pair["to"]},
                                 headers={"X-Forwarded-For": address(number)}, timeout=60)
        response.raise_for_status()
        return response.json()

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(plan, range(walkers)))


# ------------------------------------------------------------------------------------------------ walkers
def _points(route: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    coordinates = np.array(route["geometry"]["coordinates"])
    lon, lat = coordinates[:, 0], coordinates[:, 1]
    dx = np.diff(lon) * 111_320.0 * math.cos(math.radians(lat[0]))
    dy = np.diff(lat) * 111_320.0
    return lat, lon, np.concatenate([[0.0], np.cumsum(np.hypot(dx, dy))])


def fix_frames(route: dict, number: int, count: int) -> tuple[float, list[str]]:
    """Walker `number`'s start delay within the ramp and its first `count` fixes as ready JSON frames: made before
    the walk, so that the client spends its share of the two cores on sockets, not on making fixes."""
    rng = random.Random(number)
    delay = rng.uniform(0, RAMP_S)
    lat, lon, along = _points(route)
    frames = []
    for sent in range(count):
        walked = min(1.3 * sent, along[-1])
        frames.append(orjson.dumps({
            "type": "position", "lat": float(np.interp(walked, along, lat)) + rng.gauss(0, 8) / 111_320,
            "lon": float(np.interp(walked, along, lon)) + rng.gauss(0, 8) / 72_000,
            "accuracy_m": 8, "timestamp": 1_700_000_000_000 + 1000 * (sent + 1), "speed_mps": 1.3}).decode())
    return delay, frames


async def walker(url: str, route_id: str, delay: float, frames: list[str], until: float, stats: dict) -> None:
    """One walker: start on a route by id after `delay`, then a fix a second until `until` (monotonic)."""
    await asyncio.sleep(delay)
    try:
        async with websockets.connect(f"{url}/ws/guide", max_size=2**22, ping_interval=None,
                                      open_timeout=30) as ws:
            await ws.send(orjson.dumps({"type": "start", "route_id": route_id}).decode())
            async with asyncio.timeout(30):
                while (message := orjson.loads(await ws.recv()))["type"] not in ("started", "error"):
                    pass
            if message["type"] == "error":
                stats["start_errors"][message["code"]] = stats["start_errors"].get(message["code"], 0) + 1
                return
            for frame in frames:
                if time.monotonic() >= until:
                    break
                sent_at = time.monotonic()
                await ws.send(frame)
                async with asyncio.timeout(UNANSWERED_S):
                    while True:
                        reply = orjson.loads(await ws.recv())
                        if reply["type"] == "progress":
                            stats["fixes"].append((sent_at, (time.monotonic() - sent_at) * 1000, reply["server_ms"]))
                            break
                        if reply["type"] == "error":
                            stats["fix_errors"] += 1
                            break
                await asyncio.sleep(max(0.0, sent_at + 1.0 - time.monotonic()))
            stats["completed"] += 1
    except (OSError, TimeoutError, websockets.exceptions.WebSocketException) as exc:
        stats["dropped"] += 1
        stats["dropped_by"][type(exc).__name__] = stats["dropped_by"].get(type(exc).__name__, 0) + 1


async def walk(url: str, walkers: list[tuple[str, float, list[str]]], until: float) -> dict:
    """Each walker (route id, start delay, fix frames) on its own socket."""
    stats = {"fixes": [], "dropped": 0, "dropped_by": {}, "completed": 0, "start_errors": {}, "fix_errors": 0}
    await asyncio.gather(*(walker(url, route_id, delay, frames, until, stats) for route_id, delay, frames in walkers))
    return stats


def run_walk(url: str, walkers: list[tuple[str, float, list[str]]], until: float) -> dict:
    """`walk` on uvloop when it is installed (a lighter event loop: less of the machine for the client), else on
    asyncio's own.

    The client's garbage collector is off during the walk: each full collection walked the client's millions of
    objects (every walker's parsed route answer and frames), up to 0.4 s in which no answer was read, and those pauses
    of the client were counted as the server's round trips. What a walk leaves in cycles is collected after it.
    """
    gc.collect()
    gc.disable()
    try:
        try:
            import uvloop
        except ImportError:
            return asyncio.run(walk(url, walkers, until))
        return uvloop.run(walk(url, walkers, until))
    finally:
        gc.enable()


# ------------------------------------------------------------------------------------- routes under load
def route_load(base: str, pairs: list[dict], seconds: float, connections: int, results: multiprocessing.Queue
               ) -> None:
    """`connections` clients each posting routes back to back for `seconds` (runs in its own process)."""
    deadline = time.monotonic() + seconds

    def client(number: int) -> tuple[list[float], int]:
        session, times, errors, index = requests.Session(), [], 0, number
        session.headers["X-Forwarded-For"] = f"10.255.255.{number}"  # apart from the walkers' addresses
        while time.monotonic() < deadline:
            pair = pairs[index % len(pairs)]
            index += connections
            started = time.perf_counter()
            try:
                ok = session.post(f"{base}/api/route", json={"from": pair["from"], "to": pair["to"]}, timeout=60).ok
            except requests.RequestException:
                ok = False
            if ok:
                times.append((time.perf_counter() - started) * 1000)
            else:
                errors += 1
        return times, errors

    started = time.monotonic()
    with ThreadPoolExecutor(connections) as pool:
        outcomes = list(pool.map(client, range(connections)))
    elapsed = time.monotonic() - started
    times = [t for outcome in outcomes for t in outcome[0]]
    results.put({"latency_ms": _percentiles(times), "routes_per_s": round(len(times) / elapsed, 1),
                 "errors": sum(outcome[1] for outcome in outcomes), "connections": connections})


# ---------------------------------------------------------------------------------------------- memory
def _children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _cpu_s(pid: int) -> float:
    """CPU seconds (user and system, all threads) a process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _memory_mb(pid: int) -> tuple[float, float]:
    """(RSS, PSS) of a process in MB."""
    fields = {line.split(":")[0]: int(line.split()[1]) for line in
              Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]}
    return fields["Rss"] / 1024, fields["Pss"] / 1024


class MemoryWatch(threading.Thread):
    """Samples the master's and its workers' memory every second; keeps the largest."""

    def __init__(self, master: int) -> None:
        super().__init__(daemon=True)
        self.master, self.largest, self.running = master, {}, True

    def run(self) -> None:
        while self.running:
            try:
                sample = {"master": _memory_mb(self.master)}
                sample |= {f"worker_{i}": _memory_mb(pid) for i, pid in enumerate(_children(self.master))}
            except (OSError, ValueError):
                break
            for name, (rss, pss) in sample.items():
                old = self.largest.get(name, (0.0, 0.0))
                self.largest[name] = (max(old[0], rss), max(old[1], pss))
            time.sleep(1.0)

    def figures(self) -> dict:
        self.running = False
        return {"rss_mb": {name: round(rss, 1) for name, (rss, _) in self.largest.items()},
                "pss_total_mb": round(sum(pss for _, pss in self.largest.values()), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--walkers", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60.0, help="walking time after the ramp")
    parser.add_argument("--route-seconds", type=float, default=20.0)
    parser.add_argument("--osm", type=Path, default=DEFAULT_OSM)
    parser.add_argument("--redis", help="a Redis URL: routes shared by the workers (one per core by default)")
    args = parser.parse_args()
    pairs = json.loads((REPO / "bench" / "route_pairs.json").read_text())
    in_process = in_process_planning_ms(args.osm, pairs[:ROUTES])  # builds the graph cache if there is none
    with tempfile.TemporaryDirectory() as workdir:
        server, base, start_s = start_server(args.osm, Path(workdir), args.redis)
        try:
            _, over_http = plan_over_http(base, pairs[:ROUTES])
            routes = plan_for_walkers(base, pairs, args.walkers)
            fixes = math.ceil(RAMP_S + args.seconds) + 1
            walkers = [(route["route_id"], *fix_frames(route, number, fixes)) for number, route in enumerate(routes)]
            memory = MemoryWatch(server.pid)
            memory.start()
            walk_start = time.monotonic()
            load_from, load_until = walk_start + RAMP_S + args.seconds / 3, 0.0
            spawn = multiprocessing.get_context("spawn")  # a clean client process, not a copy of this one
            results = spawn.Queue()
            load = spawn.Process(
                target=route_load, args=(base, pairs, args.route_seconds, ROUTE_CONNECTIONS, results))

            def start_route_load() -> None:
                nonlocal load_until
                time.sleep(max(0.0, load_from - time.monotonic()))
                load.start()
                load.join()
                load_until = time.monotonic()

            starter = threading.Thread(target=start_route_load, daemon=True)
            starter.start()
            workers = _children(server.pid)
            cpu_from = {pid: _cpu_s(pid) for pid in [server.pid, *workers]}
            client_cpu_from, wall_from = time.process_time(), time.monotonic()
            stats = run_walk(base.replace("http", "ws"), walkers, walk_start + RAMP_S + args.seconds)
            wall = time.monotonic() - wall_from
            # Is the client itself the bottleneck? Its share of a core, and each server process's, over the walk.
            cpu = {"client_walkers": round((time.process_time() - client_cpu_from) / wall * 100, 1)}
            cpu |= {("master" if pid == server.pid else f"worker_{workers.index(pid)}"):
                    round((_cpu_s(pid) - used) / wall * 100, 1) for pid, used in cpu_from.items()}
            # What a fix costs the server, whatever share of the CPU other work on the machine leaves it.
            worker_cpu_s = sum(_cpu_s(pid) - cpu_from[pid] for pid in workers)
            cpu["workers_ms_per_fix"] = round(worker_cpu_s * 1000 / max(len(stats["fixes"]), 1), 3)
            starter.join()
            under_load = results.get(timeout=30)
            mem = memory.figures()
        finally:
            server.terminate()
            server.wait(timeout=30)
            warnings = [line for line in (Path(workdir) / "server.log").read_text().splitlines() if "WARNING" in line
                        or "ERROR" in line or "CRITICAL" in line]  # CRITICAL: gunicorn's WORKER TIMEOUT
    measured = [fix for fix in stats["fixes"] if fix[0] >= walk_start + RAMP_S]
    during = [fix for fix in measured if load_from <= fix[0] <= load_until]
    quiet = [fix for fix in measured if not load_from <= fix[0] <= load_until]
    http_median, process_median = float(np.median(over_http)), float(np.median(in_process))
    print(json.dumps({
        "osm": str(args.osm),
        "server": {key: value for key, value in os.environ.items() if key.startswith("LOTSE_SERVER_")} or "defaults",
        "redis": bool(args.redis),
        "start_to_healthy_s": round(start_s, 2),
        "planning": {"in_process_ms": _percentiles(in_process), "one_at_a_time_over_http_ms": _percentiles(over_http),
                     "http_over_in_process_median": round(http_median / process_median, 2)},
        "walkers": {
            "sessions": args.walkers, "seconds": args.seconds, "fixes_answered": len(stats["fixes"]),
            "round_trip_ms": _percentiles([fix[1] for fix in measured]),
            "round_trip_ms_walking_only": _percentiles([fix[1] for fix in quiet]),
            "round_trip_ms_while_routes_are_planned": _percentiles([fix[1] for fix in during]),
            "server_ms": _percentiles([fix[2] for fix in measured]),
            "dropped_sessions": stats["dropped"], "dropped_by": stats["dropped_by"],
            "completed_sessions": stats["completed"],
            "start_errors": stats["start_errors"], "fix_errors": stats["fix_errors"],
        },
        "routes_under_load": under_load,
        "memory": mem,
        "server_warnings": {"count": len(warnings), "first": warnings[:3]},
        "cpu_percent_of_a_core": cpu,
        "load_average": [round(value, 2) for value in os.getloadavg()],
        "targets": {"dropped_sessions": 0, "round_trip_p99_ms": 50, "rss_mb": 400,
                    "http_over_in_process_median": 1.5, "start_to_healthy_s": 2.0},
    }, indent=2))


if __name__ == "__main__":
    main()
