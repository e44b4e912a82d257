"""What sharing state through Redis costs (issue 17), printed as JSON: two apps on one Redis (as two server processes
would be), on the city centre.

1. Stored routes: the stored form's size, writing and reading it (JSON + zlib), and `RedisRouteStore.add`/`get`
   against Redis, in ms (median and 95th percentile over `--routes` routes).
2. News: from `publish` on one app to the handler on the other, in ms (median, 95th percentile, worst of `--news`).

Usage: python bench/shared_bench.py [--osm FILE] [--redis redis://127.0.0.1:6379/0] [--routes 100] [--news 200]
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import threading
import time
from pathlib import Path

import redis

from app import create_app
from app.core.language import language
from app.walker.planning import RouteRequest, plan_and_store
from app.walker.route_store import dump_stored, load_stored
from routing.cache import load_graph
from routing.guidance.wording import WordingOptions

REPO = Path(__file__).resolve().parent.parent
ORIGIN, DESTINATION = (49.4447, 7.7690), (49.4380, 7.7660)


def quantiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"median": round(statistics.median(ordered), 3), "p95": round(ordered[int(len(ordered) * 0.95) - 1], 3),
            "max": round(ordered[-1], 3)}


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--osm", type=Path, default=REPO.parent / "shared" / "osm" / "kaiserslautern_cc.osm.gz")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--routes", type=int, default=100)
    parser.add_argument("--news", type=int, default=200)
    args = parser.parse_args()

    prefix = f"lotse-bench-{secrets.token_hex(4)}"
    graph = load_graph(args.osm)
    settings = {"TESTING": True, "REDIS_URL": args.redis, "REDIS_PREFIX": prefix}
    one, other = create_app(settings, graph=graph), create_app(settings, graph=graph)
    try:
        stored = []
        for n in range(args.routes):  # destinations a little apart: routes of their own
            destination = (DESTINATION[0] + 0.00002 * n, DESTINATION[1])
            stored.append(plan_and_store(one, RouteRequest(ORIGIN, destination, None, None, language("de"),
                                                           WordingOptions()), client=f"bench-{n % 10}"))
        forms = [dump_stored(route) for route in stored]
        store = other.extensions["lotse.routes"]
        routes = {
            "stored_bytes": quantiles([len(form) for form in forms]),
            "dump_ms": quantiles([timed(lambda route=route: dump_stored(route)) for route in stored]),
            "load_ms": quantiles([timed(lambda form=form: load_stored(form)) for form in forms]),
            "add_ms": quantiles([timed(lambda route=route: store.add(route)) for route in stored]),
            "get_ms": quantiles([timed(lambda route=route: store.get(route.route.route_id)) for route in stored]),
        }

        heard = threading.Event()
        other.extensions["lotse.bus"].on("bench", lambda _: heard.set())
        other.extensions["lotse.bus"].subscribed.wait(5)
        latencies = []
        for _ in range(args.news):
            heard.clear()
            started = time.perf_counter()
            one.extensions["lotse.bus"].publish("bench", {"id": 1})
            if not heard.wait(5):
                raise SystemExit("news did not arrive within 5 s")
            latencies.append((time.perf_counter() - started) * 1000)
        print(json.dumps({"routes": routes, "news_ms": quantiles(latencies), "count": {"routes": args.routes,
                                                                                      "news": args.news}}, indent=2))
    finally:
        for app in (one, other):
            app.extensions["lotse.bus"].stop()
        client = redis.Redis.from_url(args.redis)
        keys = list(client.scan_iter(match=f"{prefix}:*"))
        if keys:
            client.delete(*keys)


if __name__ == "__main__":
    main()
