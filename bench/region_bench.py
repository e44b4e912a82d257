"""Region figures, printed as JSON (issue 16): the city extract copied 16 times into one PBF region, imported,
loaded from its cache, and planned on.

- the region: 16 copies of the city on a 4 × 4 grid, each with its node and way ids and its coordinates shifted,
  written as PBF with pyosmium into a temporary directory (never kept)
- import of the region PBF in a fresh process: wall time, peak memory (its ru_maxrss), graph size
- loading the cached graph in a fresh process (graph, snap index and planner), and that process's memory
- route + guidance (`plan_route`, profile blind) over the 200 pairs of bench/route_pairs.json: median and p95 on
  the city alone, and on the region's first and far copy (the pairs shifted with it)
- server memory with the city (the issue's target): a real `lotse serve` on the city (embedded: SQLite, no Redis),
  VmRSS and PSS of the gunicorn master and of its worker once it first answers /api/health, and again after the
  200 pairs were planned over HTTP (`server_memory_with_the_city`; the target is the master's and the worker's RSS)

Usage: python bench/region_bench.py [OSM_FILE]
"""

from __future__ import annotations

import http.client
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from serving import free_port, server_memory, wait_until_healthy

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OSM = REPO.parent / "shared" / "osm" / "kaiserslautern.osm.gz"
GRID = 4  # copies per side: 16 towns
ID_STEP = 10**10  # added to every id per copy; above any id of the city extract
MARGIN_DEG = 0.02  # between neighbouring copies, so no way of one copy meets another
TARGETS = {"import_seconds": 300, "import_peak_mb": 3072, "cache_load_with_planner_seconds": 2.0,
           "far_copy_median_vs_city": 1.5, "server_rss_mb_with_the_city": 150}


def copy_offsets(osm: Path) -> list[tuple[float, float]]:
    """The (lat, lon) shift of each copy: the city's extent plus a margin, row by row."""
    import osmium

    lats, lons = [], []
    for node in osmium.FileProcessor(str(osm), osmium.osm.NODE):
        lats.append(node.location.lat)
        lons.append(node.location.lon)
    lat_step = max(lats) - min(lats) + MARGIN_DEG
    lon_step = max(lons) - min(lons) + MARGIN_DEG
    return [(row * lat_step, column * lon_step) for row in range(GRID) for column in range(GRID)]


def write_region(osm: Path, target: Path, offsets: list[tuple[float, float]]) -> None:
    """Write the copies as one PBF: all nodes (copy by copy, so ids stay sorted), then all ways."""
    import osmium

    with osmium.SimpleWriter(str(target)) as writer:
        for copy, (lat_shift, lon_shift) in enumerate(offsets):
            for node in osmium.FileProcessor(str(osm), osmium.osm.NODE):
                location = osmium.osm.Location(node.location.lon + lon_shift, node.location.lat + lat_shift)
                writer.add_node(node.replace(id=node.id + copy * ID_STEP, location=location))
        for copy in range(len(offsets)):
            for way in osmium.FileProcessor(str(osm), osmium.osm.WAY):
                writer.add_way(way.replace(id=way.id + copy * ID_STEP,
                                           nodes=[node.ref + copy * ID_STEP for node in way.nodes]))


def in_child(*args: str) -> dict:
    """Run one measurement of this script in a fresh interpreter and return its JSON (with the child's peak memory)."""
    output = subprocess.run([sys.executable, __file__, "--child", *args], cwd=REPO, check=True,
                            capture_output=True, text=True)
    return json.loads(output.stdout.strip().splitlines()[-1])


def child_import(osm: str, cache_dir: str) -> dict:
    from routing.cache import load_graph

    started = time.perf_counter()
    graph = load_graph(Path(osm), cache_dir=Path(cache_dir))
    seconds = time.perf_counter() - started
    stats = graph.stats()
    return {"seconds": round(seconds, 2), "nodes": stats["nodes"], "edges": stats["edges"], "ways": stats["ways"],
            "length_km": stats["length_km"], "landmarks": stats["landmarks"], "addresses": stats["addresses"],
            "cache_mb": round(Path(graph.meta["cache_file"]).stat().st_size / 1e6, 1)}


def child_load(osm: str, cache_dir: str) -> dict:
    started = time.perf_counter()
    from routing.cache import cached_graph
    from routing.planner import Planner
    from routing.spatial import EdgeIndex

    graph = cached_graph(Path(osm), cache_dir=Path(cache_dir))
    loaded = time.perf_counter() - started
    Planner(graph, EdgeIndex(graph))
    return {"graph_seconds": round(loaded, 3), "with_planner_seconds": round(time.perf_counter() - started, 3)}


def child_plan(osm: str, cache_dir: str, shifts: str) -> dict:
    import numpy as np

    from routing.cache import cached_graph
    from routing.plan import plan_route
    from routing.planner import Planner
    from routing.spatial import EdgeIndex

    pairs = json.loads((REPO / "bench" / "route_pairs.json").read_text())
    graph = cached_graph(Path(osm), cache_dir=Path(cache_dir))
    planner = Planner(graph, EdgeIndex(graph))
    result = {}
    for name, (lat_shift, lon_shift) in json.loads(shifts).items():
        points = [((p["from"]["lat"] + lat_shift, p["from"]["lon"] + lon_shift),
                   (p["to"]["lat"] + lat_shift, p["to"]["lon"] + lon_shift)) for p in pairs]
        for origin, destination in points[:20]:  # warm caches and the allocator
            plan_route(planner, origin, destination, "blind")
        times, lengths = [], []
        for origin, destination in points:
            started = time.perf_counter()
            route = plan_route(planner, origin, destination, "blind")
            times.append(time.perf_counter() - started)
            lengths.append(route.distance_m)
        values = np.array(times) * 1000
        result[name] = {"median_ms": round(float(np.median(values)), 3),
                        "p95_ms": round(float(np.percentile(values, 95)), 3),
                        "total_length_km": round(sum(lengths) / 1000, 1)}
    return result


def serving_memory(osm: Path, cache_dir: Path, work: Path) -> dict:
    """The memory of a `lotse serve` on `osm` (its graph cached in `cache_dir`) after start and after 200 routes."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("LOTSE_")}
    env.update(LOTSE_SPEECH_ENGINES="espeak", LOTSE_SERVER_ACCESS_LOG="", NO_PROXY="*",
               LOTSE_DATABASE_URL=f"sqlite:///{work / 'lotse.db'}")
    log = work / "server.log"
    with log.open("ab") as out:
        server = subprocess.Popen([str(Path(sys.executable).parent / "lotse"), "serve", "--osm", str(osm),
                                   "--cache-dir", str(cache_dir), "--port", str(port)],
                                  cwd=work, env=env, stdout=out, stderr=out)
    try:
        wait_until_healthy(server, f"http://127.0.0.1:{port}", log, 300)
        after_start = server_memory(server.pid)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        pairs = json.loads((REPO / "bench" / "route_pairs.json").read_text())
        for pair in pairs:
            connection.request("POST", "/api/route", json.dumps({"from": pair["from"], "to": pair["to"]}),
                               {"Content-Type": "application/json"})
            connection.getresponse().read()
        return {"after_start": after_start, f"after_{len(pairs)}_routes": server_memory(server.pid)}
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    osm = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OSM
    with tempfile.TemporaryDirectory(prefix="lotse-region-") as work:
        region = Path(work) / "region.osm.pbf"
        cache = Path(work) / "cache"
        offsets = copy_offsets(osm)
        started = time.perf_counter()
        write_region(osm, region, offsets)
        result: dict[str, object] = {
            "city": osm.name, "copies": len(offsets),
            "region_pbf": {"mb": round(region.stat().st_size / 1e6, 1),
                           "write_seconds": round(time.perf_counter() - started, 1)},
        }
        result["import"] = in_child("import", str(region), str(cache))
        result["cache_load"] = in_child("load", str(region), str(cache))
        far = offsets[-1]
        result["plan_route_blind_region"] = in_child("plan", str(region), str(cache),
                                                     json.dumps({"first_copy": (0.0, 0.0), "far_copy": far}))
        in_child("import", str(osm), str(cache))
        result["plan_route_blind_city"] = in_child("plan", str(osm), str(cache), json.dumps({"city": (0.0, 0.0)}))
        result["server_memory_with_the_city"] = serving_memory(osm, cache, Path(work))
    city_median = result["plan_route_blind_city"]["city"]["median_ms"]
    result["far_copy_median_vs_city"] = round(result["plan_route_blind_region"]["far_copy"]["median_ms"]
                                              / city_median, 2)
    result["targets"] = TARGETS
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        command, *args = sys.argv[2:]
        measured = {"import": child_import, "load": child_load, "plan": child_plan}[command](*args)
        measured["peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        print(json.dumps(measured))
    else:
        main()
