"""Walk-graph figures on the whole-city extract, printed as JSON (issue 2).

- first build (fresh cache directory, in a fresh process: parse with osmnx, filter, simplify, compact, write)
- load from cache in a fresh process (graph + snap index, including the imports they need)
- resident memory of a real `lotse serve` process with the graph loaded, read from /proc after /api/health answers
- snap time per point, median and 95th percentile over 10,000 seeded points up to 30 m off the network
- counts: nodes, edges, crossings, steps, tagged accessibility attributes

Usage: python bench/graph_bench.py [OSM_FILE]
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OSM = REPO.parent / "shared" / "osm" / "kaiserslautern.osm.gz"


def run_python(code: str) -> dict:
    """Run code in a fresh interpreter (cold imports, as a server start has) and return the JSON it prints."""
    output = subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, capture_output=True, text=True)
    return json.loads(output.stdout.strip().splitlines()[-1])


def first_build(osm: Path, cache_dir: Path) -> dict:
    return run_python(
        f"""
import json, time
started = time.perf_counter()
from routing.cache import load_graph
graph = load_graph({str(osm)!r}, cache_dir=__import__('pathlib').Path({str(cache_dir)!r}))
print(json.dumps({{"seconds": time.perf_counter() - started, "stats": graph.stats()}}))
"""
    )


def load_from_cache(osm: Path, cache_dir: Path) -> dict:
    return run_python(
        f"""
import json, time
started = time.perf_counter()
from pathlib import Path
from routing.cache import cached_graph
from routing.spatial import EdgeIndex
graph = cached_graph({str(osm)!r}, cache_dir=Path({str(cache_dir)!r}))
loaded = time.perf_counter()
EdgeIndex(graph)
print(json.dumps({{"graph_s": loaded - started, "graph_and_index_s": time.perf_counter() - started}}))
"""
    )


def snap_times(osm: Path, cache_dir: Path) -> dict:
    return run_python(
        f"""
import json, time
import numpy as np
from pathlib import Path
from routing.cache import cached_graph
from routing.spatial import EdgeIndex
graph = cached_graph({str(osm)!r}, cache_dir=Path({str(cache_dir)!r}))
index = EdgeIndex(graph)
rng = np.random.default_rng(20261128)
points = rng.integers(0, len(graph.geom_lat), 10_000)
lats = graph.geom_lat[points] + rng.uniform(-30, 30, len(points)) / 111_000
lons = graph.geom_lon[points] + rng.uniform(-30, 30, len(points)) / 72_000
times = []
for lat, lon in zip(lats.tolist(), lons.tolist()):
    started = time.perf_counter()
    index.snap(lat, lon)
    times.append(time.perf_counter() - started)
times_ms = np.array(times) * 1000
print(json.dumps({{"points": len(times), "median_ms": float(np.median(times_ms)),
                  "p95_ms": float(np.percentile(times_ms, 95))}}))
"""
    )


def server_rss(osm: Path, cache_dir: Path) -> dict:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    lotse = Path(sys.executable).parent / "lotse"
    server = subprocess.Popen(
        [str(lotse), "serve", "--osm", str(osm), "--cache-dir", str(cache_dir), "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as response:
                    health = json.load(response)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        status = Path(f"/proc/{server.pid}/status").read_text()
        rss_kb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS")))
        return {"rss_mb": round(rss_kb / 1024, 1), "health": health["graph"]}
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    osm = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OSM
    with tempfile.TemporaryDirectory() as tmp:
        cache_dir = Path(tmp)
        build = first_build(osm, cache_dir)
        load = load_from_cache(osm, cache_dir)
        snap = snap_times(osm, cache_dir)
        server = server_rss(osm, cache_dir)
    result = {
        "osm_file": osm.name,
        "first_build_s": round(build["seconds"], 2),
        "load_from_cache_s": round(load["graph_s"], 3),
        "load_graph_and_index_s": round(load["graph_and_index_s"], 3),
        "server_rss_mb": server["rss_mb"],
        "snap_median_ms": round(snap["median_ms"], 4),
        "snap_p95_ms": round(snap["p95_ms"], 4),
        "snap_points": snap["points"],
        "targets": {"first_build_s": 20, "load_from_cache_s": 1.5, "server_rss_mb": 300, "snap_median_ms": 0.2},
        **build["stats"],
    }
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
