"""City staff gap review under data: p50/p95 of the summary, the gap API, the report API and the staff pages,
printed as JSON (issue: city staff accessibility gap review).

For SQLite (a temp file) and PostgreSQL (a database of its own, dropped afterwards; skipped when the server is not
reachable), on the whole-city extract: 10 000 reports (spread over a year, every status and work status), 50 000
quest answers (about 11 per quest, with the facts two volunteers agreed on accepted over the last half year) and
anonymous route-usage counts on every edge and crossing. Then a fresh app on that database (as after a restart, so
the accepted facts are laid over the graph) answers `--requests` requests per URL through Flask's test client, after
a warm-up request each. Target: summary page and API under 300 ms p95.

Usage: python bench/gaps_bench.py [--requests 60] [--reports 10000] [--answers 50000] [--backends sqlite,postgresql]
                                  [--osm FILE] [--postgres-url URL]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, insert
from sqlalchemy.exc import OperationalError

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from app import create_app
from app.core import db  # noqa: E402
from app.core.models import AcceptedFact, QuestAnswer, Report, RouteUsage, User  # noqa: E402
from app.core.security import hash_password  # noqa: E402
from routing.cache import load_graph  # noqa: E402
from routing.facts import FACT_KINDS  # noqa: E402
from routing.graph import edge_keys  # noqa: E402
from routing.obstacles import REPORT_TYPES, SEVERITIES  # noqa: E402
from routing.quests import QUEST_ELEMENTS  # noqa: E402
from routing.spatial import EdgeIndex  # noqa: E402

DEFAULT_OSM = REPO.parent / "shared" / "osm" / "kaiserslautern.osm.gz"
VOLUNTEERS = 600
STAFF = 5
CSRF = "bench-csrf"


def fill(app, graph, reports: int, answers: int, seed: int = 7) -> dict[str, int]:
    """Generate the data straight into the app's database (bulk inserts)."""
    rng = random.Random(seed)
    now = datetime.now(timezone.utc)
    password = hash_password("eine lange Passphrase")
    users = [{"email": f"v{i}@example.org", "name": f"Freiwillige {i}", "password_hash": password,
              "role": "volunteer", "session_epoch": 0, "created_at": now} for i in range(VOLUNTEERS)]
    users += [{"email": f"staff{i}@example.org", "name": f"Stadt {i}", "password_hash": password, "role": "staff",
               "session_epoch": 0, "created_at": now} for i in range(STAFF)]
    index = EdgeIndex(graph)
    lat_range = (float(graph.node_lat.min()), float(graph.node_lat.max()))
    lon_range = (float(graph.node_lon.min()), float(graph.node_lon.max()))
    # Reports near random nodes (where people walk), snapped like the API does.
    nodes = rng.choices(range(graph.node_count), k=reports)
    rows = []
    statuses = ["new"] * 35 + ["confirmed"] * 30 + ["resolved"] * 12 + ["fixed"] * 15 + ["rejected"] * 8
    for i, node in enumerate(nodes):
        lat = float(graph.node_lat[node]) + rng.uniform(-2e-4, 2e-4)
        lon = float(graph.node_lon[node]) + rng.uniform(-3e-4, 3e-4)
        lat = min(max(lat, lat_range[0]), lat_range[1])
        lon = min(max(lon, lon_range[0]), lon_range[1])
        snap = index.snap(lat, lon)
        created = now - timedelta(days=rng.uniform(0, 365))
        report_type = rng.choice(list(REPORT_TYPES))
        status = rng.choice(statuses)
        work = "fixed" if status == "fixed" else rng.choice(["new", "new", "in_progress"])
        rows.append({
            "type": report_type, "status": status, "severity": rng.choice(SEVERITIES),
            "description": f"Meldung {i}", "lat": snap.lat, "lon": snap.lon, "reported_lat": lat, "reported_lon": lon,
            "edge": snap.edge, "osm_way_id": int(graph.way_osm_id[graph.edge_way[snap.edge]]),
            "valid_from": created, "valid_until": created + REPORT_TYPES[report_type].default_validity,
            "reporter_id": rng.randrange(1, VOLUNTEERS + 1), "created_at": created,
            "updated_at": created + timedelta(days=rng.uniform(0, 20)), "work_status": work,
            "assignee_id": VOLUNTEERS + rng.randrange(1, STAFF + 1) if work != "new" else None, "work_note": "",
        })
    # Quests of the map as loaded: every missing fact; ~11 answers each.
    quests = []
    for key, elements in QUEST_ELEMENTS.items():
        kind = FACT_KINDS[key]
        ids = (graph.node_osm_id if kind.element == "node" else graph.way_osm_id)[np.flatnonzero(elements(graph))]
        quests += [(kind, int(osm_id)) for osm_id in ids.tolist()]
    per_quest = max(1, answers // len(quests))
    answer_rows, fact_rows = [], []
    for kind, osm_id in quests:
        quest_id = f"{kind.element}/{osm_id}/{kind.key}"
        value = rng.choice(kind.answers) if kind.answers else str(rng.randint(1, 40))
        voters = rng.sample(range(1, VOLUNTEERS + 1), per_quest + 1)
        for voter in voters:
            if len(answer_rows) >= answers:
                break
            answer_rows.append({"quest_id": quest_id, "user_id": voter, "answer": value,
                                "created_at": now - timedelta(days=rng.uniform(0, 180))})
        if rng.random() < 0.6:
            fact_rows.append({"quest_id": quest_id, "element": kind.element, "osm_id": osm_id, "key": kind.key,
                              "value": value, "accepted_at": now - timedelta(days=rng.uniform(0, 180))})
    while len(answer_rows) < answers:  # top up to the exact count with more voters on random quests
        kind, osm_id = rng.choice(quests)
        answer_rows.append({"quest_id": f"{kind.element}/{osm_id}/{kind.key}",
                            "user_id": rng.randrange(1, VOLUNTEERS + 1), "answer": "no",
                            "created_at": now - timedelta(days=rng.uniform(0, 180))})
    unique = {(row["quest_id"], row["user_id"]): row for row in answer_rows}
    # Usage: routes per edge and per crossing, skewed like a city (most edges seldom walked).
    keys = edge_keys(graph)
    usage_rows = [{"kind": "edge", "key": key, "count": int(rng.paretovariate(1.2) * 3)}
                  for key in dict.fromkeys(keys)]  # parallel edges of one way between the same nodes share a key
    usage_rows += [{"kind": "node", "key": str(int(osm)), "count": int(rng.paretovariate(1.2) * 3)}
                   for osm in graph.node_osm_id[np.flatnonzero(graph.node_columns["crossing"] != 0)].tolist()]
    usage_rows.append({"kind": "total", "key": "routes", "count": 25_000})
    with db.app_session(app, write=True) as session:
        session.execute(insert(User), users)
        for start in range(0, len(rows), 2000):
            session.execute(insert(Report), rows[start:start + 2000])
        answer_list = list(unique.values())
        for start in range(0, len(answer_list), 5000):
            session.execute(insert(QuestAnswer), answer_list[start:start + 5000])
        session.execute(insert(AcceptedFact), fact_rows)
        session.execute(insert(RouteUsage), usage_rows)
    return {"reports": len(rows), "quest_answers": len(unique), "accepted_facts": len(fact_rows),
            "usage_rows": len(usage_rows)}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def measure(app, count: int) -> dict[str, dict[str, float]]:
    staff = app.test_client()
    with staff.session_transaction() as session:
        session["uid"], session["epoch"], session["csrf"] = VOLUNTEERS + 1, 0, CSRF
    public = app.test_client()
    since = (datetime.now(timezone.utc) - timedelta(days=90)).date().isoformat()
    urls = {
        "GET /api/gaps/summary": (public, "/api/gaps/summary"),
        "GET /api/gaps": (public, "/api/gaps"),
        "GET /api/gaps?kind=sidewalk&limit=1000": (public, "/api/gaps?kind=sidewalk&limit=1000"),
        "GET /api/reports?status=all&type=construction,damaged_surface&since=…&bbox=…":
            (public, f"/api/reports?status=all&type=construction,damaged_surface&since={since}"
                     "&bbox=49.43,7.74,49.46,7.79"),
        "GET /api/reports?include=staff&status=active": (staff, "/api/reports?include=staff&status=active"),
        "GET /staff/ (summary page)": (staff, "/staff/"),
        "GET /staff/gaps": (staff, "/staff/gaps"),
        "GET /staff/reports": (staff, "/staff/reports"),
        "GET /staff/map": (staff, "/staff/map"),
    }
    results = {}
    for name, (client, url) in urls.items():
        first = time.perf_counter()
        response = client.get(url)
        cold = time.perf_counter() - first
        assert response.status_code == 200, (url, response.status_code, response.get_data(as_text=True)[:300])
        times = []
        for _ in range(count):
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
            assert response.status_code == 200
        results[name] = {"p50_ms": round(percentile(times, 0.5) * 1000, 1),
                         "p95_ms": round(percentile(times, 0.95) * 1000, 1),
                         "max_ms": round(max(times) * 1000, 1), "first_ms": round(cold * 1000, 1),
                         "bytes": len(response.data)}
    return results


def run(url: str, graph, args) -> dict:
    app = create_app({"TESTING": True, "DATABASE_URL": url}, graph=graph)
    started = time.perf_counter()
    counts = fill(app, graph, args.reports, args.answers)
    fill_s = time.perf_counter() - started
    app.extensions["lotse.db"].engine.dispose()
    started = time.perf_counter()
    app = create_app({"TESTING": True, "DATABASE_URL": url}, graph=graph)  # a restart: facts laid over the graph
    start_s = time.perf_counter() - started
    results = measure(app, args.requests)
    app.extensions["lotse.db"].engine.dispose()
    summary = [results["GET /api/gaps/summary"]["p95_ms"], results["GET /staff/ (summary page)"]["p95_ms"]]
    return {"data": counts, "fill_s": round(fill_s, 1), "app_start_s": round(start_s, 1), "requests": results,
            "target_p95_ms": 300, "summary_within_target": max(summary) < 300}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--reports", type=int, default=10_000)
    parser.add_argument("--answers", type=int, default=50_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--osm", type=Path, default=DEFAULT_OSM)
    parser.add_argument("--postgres-url", default=os.environ.get(
        "LOTSE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    graph = load_graph(args.osm)
    output = {"osm": str(args.osm), "nodes": graph.node_count, "edges": graph.edge_count,
              "python": sys.version.split()[0], "backends": {}}
    for backend in args.backends.split(","):
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as folder:
                output["backends"]["sqlite"] = run(f"sqlite:///{folder}/lotse.db", graph, args)
        elif backend == "postgresql":
            admin = create_engine(args.postgres_url, isolation_level="AUTOCOMMIT")
            try:
                connection = admin.connect()
            except OperationalError as exc:
                output["backends"]["postgresql"] = {"skipped": f"not reachable: {exc.orig}"}
                continue
            name = f"lotse_gaps_bench_{secrets.token_hex(4)}"
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
            try:
                url = admin.url.set(database=name).render_as_string(hide_password=False)
                output["backends"]["postgresql"] = run(url, graph, args)
            finally:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                connection.close()
                admin.dispose()
    print(json.dumps(output, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
