"""`POST /api/route` over HTTP beside planning in process and beside Valhalla's own HTTP server, printed as JSON
(issue 17), and the server's memory with the city (issue 16).

Starts a real `lotse serve` on the city (gunicorn as deployed; embedded SQLite without Redis by default, or
`--redis URL --database-url URL` for the shared setup). For each of the 200 pairs of bench/route_pairs.json, in turn
and alternating so all three see the same load on the machine:
- in process: `plan_route` (profile blind, German) in this process, on the same graph;
- Lotse over HTTP: one `POST /api/route` (blind, German), on a kept-alive connection, to the answer's last byte;
- Valhalla over HTTP: one `POST /route` (pedestrian, type blind, de-DE, instructions) to `valhalla_service` on
  `--valhalla` (`valhalla_service /tmp/vh-tiles/valhalla.json 1`, ../shared/valhalla/README.md), if it answers.
Every pair is asked once of each before the timed rounds (warm caches). The client is `http.client` for both
servers, so its own cost is the same on both sides.

Memory: VmRSS (/proc/PID/status) of the gunicorn master and of its worker once the server first answers
`/api/health` (the city loaded, the worker forked), and again after the timed rounds; the worker's PSS too (the
graph's pages are shared with the master after the fork).

`--compare-tree DIR` runs a second Lotse server from another source tree (e.g. `git archive BASE | tar -x -C DIR`)
on the same interpreter and packages, timed in the same rounds (which of the two goes first alternates): before and
after in one run, on the same load.

Usage: python bench/http_route_bench.py [--rounds 2] [--osm FILE] [--redis URL --database-url URL]
       [--valhalla http://127.0.0.1:8002] [--compare-tree DIR]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
from serving import free_port, server_memory, wait_until_healthy

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
DEFAULT_OSM = REPO.parent / "shared" / "osm" / "kaiserslautern.osm.gz"
TARGETS = {"lotse_http_over_in_process_median": 1.5, "lotse_http_over_valhalla_http_median": 1.0,
           "master_rss_mb_embedded": 150}


def _summary(seconds: list[float]) -> dict[str, float]:
    values = np.array(seconds) * 1000
    return {"median_ms": round(float(np.median(values)), 3), "p95_ms": round(float(np.percentile(values, 95)), 3)}


class Client:
    """POSTs JSON to one server on one kept-alive connection; `post` returns the seconds to the answer's end."""

    def __init__(self, base: str, path: str) -> None:
        parts = urlsplit(base)
        self._connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        self._path = path
        self.sizes: list[int] = []

    def post(self, body: bytes) -> float:
        started = time.perf_counter()
        self._connection.request("POST", self._path, body, {"Content-Type": "application/json"})
        response = self._connection.getresponse()
        answer = response.read()
        elapsed = time.perf_counter() - started
        if response.status != 200:
            raise RuntimeError(f"{self._path}: {response.status} {answer[:300]!r}")
        self.sizes.append(len(answer))
        return elapsed


def valhalla_request(origin: tuple[float, float], destination: tuple[float, float]) -> bytes:
    return json.dumps({"locations": [{"lat": origin[0], "lon": origin[1]}, {"lat": destination[0], "lon": destination[1]}],
                       "costing": "pedestrian", "costing_options": {"pedestrian": {"type": "blind"}},
                       "language": "de-DE", "units": "kilometers", "directions_type": "instructions"}).encode()


def valhalla_answers(base: str, points: list) -> bool:
    try:
        Client(base, "/route").post(valhalla_request(*points[0]))
    except (OSError, RuntimeError):
        return False
    return True


def start_server(osm: Path, workdir: Path, redis_url: str | None, database_url: str | None,
                 tree: Path | None = None) -> tuple[subprocess.Popen, str]:
    """`lotse serve` on a free port, from this repository or from the source tree `tree`."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("LOTSE_")}
    env.update(LOTSE_SPEECH_ENGINES="espeak", LOTSE_SERVER_ACCESS_LOG="", NO_PROXY="*",
               LOTSE_DATABASE_URL=database_url or f"sqlite:///{workdir / 'lotse.db'}")
    if redis_url:  # keys of their own, apart from any other server on this Redis
        env.update(LOTSE_REDIS_URL=redis_url, LOTSE_REDIS_PREFIX=f"http-route-bench-{os.getpid()}-{port}")
    command = [str(Path(sys.executable).parent / "lotse")]
    if tree is not None:  # its packages first on the path, ahead of this repository's editable install
        env["PYTHONPATH"] = str(tree.resolve())
        command = [sys.executable, "-c", "from app.cli import main; main()"]
    log = workdir / "server.log"
    with log.open("ab") as out:
        process = subprocess.Popen([*command, "serve", "--osm", str(osm), "--port", str(port)],
                                   cwd=workdir, env=env, stdout=out, stderr=out)
    base = f"http://127.0.0.1:{port}"
    wait_until_healthy(process, base, log, 300)
    return process, base


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="timed passes over all pairs")
    parser.add_argument("--osm", type=Path, default=DEFAULT_OSM)
    parser.add_argument("--redis", help="a Redis URL (with --database-url: the shared setup)")
    parser.add_argument("--database-url", help="e.g. postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--valhalla", default="http://127.0.0.1:8002")
    parser.add_argument("--compare-tree", type=Path, help="another source tree, served and timed alongside")
    args = parser.parse_args()

    from routing.cache import load_graph
    from routing.plan import plan_route
    from routing.planner import Planner
    from routing.spatial import EdgeIndex

    pairs = json.loads((REPO / "bench" / "route_pairs.json").read_text())
    points = [((p["from"]["lat"], p["from"]["lon"]), (p["to"]["lat"], p["to"]["lon"])) for p in pairs]
    lotse_bodies = [json.dumps({"from": p["from"], "to": p["to"], "profile": "blind", "lang": "de"}).encode()
                    for p in pairs]
    valhalla_bodies = [valhalla_request(*point) for point in points]
    graph = load_graph(args.osm)  # builds the graph cache if there is none, before the server starts
    planner = Planner(graph, EdgeIndex(graph))
    with_valhalla = valhalla_answers(args.valhalla, points)
    servers: dict[str, subprocess.Popen] = {}
    with tempfile.TemporaryDirectory() as workdir, tempfile.TemporaryDirectory() as compare_dir:
        try:
            servers["lotse_http"], base = start_server(args.osm, Path(workdir), args.redis, args.database_url)
            clients = {"lotse_http": Client(base, "/api/route")}
            if args.compare_tree:
                servers["compare_http"], compare_base = start_server(args.osm, Path(compare_dir), args.redis,
                                                                     args.database_url, args.compare_tree)
                clients["compare_http"] = Client(compare_base, "/api/route")
            memory_at_start = {name: server_memory(server.pid) for name, server in servers.items()}
            valhalla = Client(args.valhalla, "/route")
            for index, (origin, destination) in enumerate(points):  # warm-up
                plan_route(planner, origin, destination, "blind", lang="de")
                for client in clients.values():
                    client.post(lotse_bodies[index])
                if with_valhalla:
                    valhalla.post(valhalla_bodies[index])
            for client in (*clients.values(), valhalla):
                client.sizes.clear()
            times: dict[str, list[float]] = {"in_process": [], **{name: [] for name in clients}, "valhalla_http": []}
            for _ in range(args.rounds):
                for index, (origin, destination) in enumerate(points):
                    started = time.perf_counter()
                    plan_route(planner, origin, destination, "blind", lang="de")
                    times["in_process"].append(time.perf_counter() - started)
                    for name in sorted(clients, reverse=bool(index % 2)):
                        times[name].append(clients[name].post(lotse_bodies[index]))
                    if with_valhalla:
                        times["valhalla_http"].append(valhalla.post(valhalla_bodies[index]))
            memory_after = {name: server_memory(server.pid) for name, server in servers.items()}
        finally:
            for server in servers.values():
                server.terminate()
                server.wait(timeout=30)
    summary = {name: _summary(values) for name, values in times.items() if values}
    result: dict[str, object] = {
        "pairs": len(points), "rounds": args.rounds,
        "setup": "PostgreSQL + Redis" if args.redis else "embedded (SQLite, no Redis)",
        **summary,
        "answer_bytes_median": {name: int(np.median(client.sizes)) for name, client in clients.items()}
        | ({"valhalla_http": int(np.median(valhalla.sizes))} if with_valhalla else {}),
    }
    for name in clients:
        result[f"{name}_over_in_process_median"] = round(summary[name]["median_ms"]
                                                         / summary["in_process"]["median_ms"], 2)
        if with_valhalla:
            for statistic in ("median", "p95"):
                result[f"{name}_over_valhalla_http_{statistic}"] = round(
                    summary[name][f"{statistic}_ms"] / summary["valhalla_http"][f"{statistic}_ms"], 2)
    result["server_memory"] = {name: {"after_start": memory_at_start[name],
                                      f"after_{len(lotse_bodies) * (args.rounds + 1)}_routes": memory_after[name]}
                               for name in servers}
    result["load_average"] = [round(value, 2) for value in os.getloadavg()]
    result["targets"] = TARGETS
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
