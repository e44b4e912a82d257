"""Volunteer write load on a real `lotse serve`, printed as JSON (issue: volunteer reports and quests).

For SQLite and for PostgreSQL in turn: a fresh database, `lotse serve` on the city in a subprocess, then
`--volunteers` threads (default 50), each a logged-in volunteer, that for `--seconds` (default 60) post obstacle
reports, quest answers (each quest answered by two volunteers, so facts get accepted) and "yes" votes on other
volunteers' reports, pausing a random 0 to 2 x `--think` seconds (default 1) between requests; `--think 0` sends
as fast as the server answers (its capacity; latency is then mostly queueing).

Prints per database: throughput, p50/p95/p99 latency per kind of request, errors (any status but the expected one),
lost writes (acknowledged reports, answers and votes missing from the database afterwards), and the time from a
confirming vote being sent until a report listener inside the server was called (what triggers a walker's re-plan).
Targets: p95 under 100 ms, no errors, no lost writes, confirm-to-listener under 2 s.

Usage: python bench/reports_bench.py [--seconds 60] [--volunteers 50] [--think 1] [--backends sqlite,postgresql]
                                     [--osm FILE] [--postgres-url URL]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import requests
from serving import free_port, wait_until_healthy
from sqlalchemy import create_engine, func, select

from app.core.db import make_engine
from app.core.models import AcceptedFact, QuestAnswer, Report, ReportVote
from routing.cache import load_graph
from routing.facts import FACT_KINDS
from routing.quests import QUEST_ELEMENTS

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OSM = REPO.parent / "shared" / "osm" / "kaiserslautern.osm.gz"
PASSWORD = "eine lange Passphrase"
# Runs `lotse serve` as the command line does, with one extra report listener that logs when it is called.
PROBE = """
import sys, time
import app as lotse_app
from app.cli import main

create_app = lotse_app.create_app
log = open(sys.argv[1], "a", buffering=1)

def with_probe(*args, **kwargs):
    application = create_app(*args, **kwargs)
    application.extensions["lotse.report_listeners"].append(
        lambda report: log.write(f"{report['id']} {time.time()}\\n"))
    return application

lotse_app.create_app = with_probe
main(sys.argv[2:])
"""


def start_server(osm: Path, url: str, workdir: Path) -> tuple[subprocess.Popen, str, Path]:
    port = free_port()
    probe_log = workdir / "listener.log"
    env = {key: value for key, value in os.environ.items() if not key.startswith("LOTSE_")}
    env.update(LOTSE_DATABASE_URL=url, LOTSE_SECRET_KEY=secrets.token_hex(16), LOTSE_SESSION_COOKIE_SECURE="false",
               LOTSE_RATE_LIMIT_REPORTS="1000000/hour", LOTSE_RATE_LIMIT_REGISTER="1000000/hour")
    with (workdir / "server.log").open("ab") as log:
        process = subprocess.Popen([sys.executable, "-c", PROBE, str(probe_log), "serve", "--osm", str(osm),
                                    "--port", str(port)], cwd=workdir, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    wait_until_healthy(process, base, workdir / "server.log", 120)
    return process, base, probe_log


def volunteer_session(base: str, name: str) -> tuple[requests.Session, int]:
    session = requests.Session()
    session.trust_env = False  # loopback only, whatever proxy the environment names
    session.headers["X-CSRF-Token"] = session.get(f"{base}/api/csrf", timeout=30).json()["csrf_token"]
    response = session.post(f"{base}/api/accounts/register", timeout=30,
                            json={"name": name, "email": f"{name}@example.org", "password": PASSWORD})
    response.raise_for_status()
    session.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return session, response.json()["user"]["id"]


def quest_pool(graph) -> list[tuple[str, object]]:
    """Every quest of the map with the answer both of its volunteers give, shuffled."""
    pool = []
    for key, elements in QUEST_ELEMENTS.items():
        kind = FACT_KINDS[key]
        ids = graph.node_osm_id if kind.element == "node" else graph.way_osm_id
        for osm_id in ids[elements(graph)].tolist():
            pool.append((f"{kind.element}/{osm_id}/{key}", kind.answers[0] if kind.answers else 7))
    random.Random(1).shuffle(pool)
    return pool


class Load:
    """What the volunteer threads did: latencies per kind, errors, what the server acknowledged."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.reports: list[tuple[int, int]] = []  # (report id, reporter id)
        self.answers: list[tuple[str, int]] = []
        self.votes: list[tuple[int, int]] = []
        self.confirm_sent: dict[int, float] = {}  # report id -> wall time its first yes vote was sent

    def request(self, kind: str, session: requests.Session, url: str, body: dict, expected: int):
        started = time.perf_counter()
        try:
            response = session.post(url, json=body, timeout=30)
        except requests.RequestException:
            with self.lock:
                self.errors[f"{kind}:exception"] += 1
            return None
        elapsed = time.perf_counter() - started
        with self.lock:
            self.latency[kind].append(elapsed)
            if response.status_code != expected:
                self.errors[f"{kind}:{response.status_code}"] += 1
                return None
        return response.json()


def volunteer_loop(load: Load, base: str, session: requests.Session, user_id: int, quests: list, points: np.ndarray,
                   deadline: float, think: float, seed: int) -> None:
    rng = random.Random(seed)
    quest_index = 0
    if think:
        time.sleep(rng.uniform(0, 2 * think))  # volunteers do not all start in the same instant
    while time.monotonic() < deadline:
        action = rng.random()
        if action < 0.45:
            lat, lon = points[rng.randrange(len(points))]
            created = load.request("report", session, f"{base}/api/reports", {
                "type": rng.choice(["construction", "parked_vehicle", "damaged_surface", "other"]),
                "severity": rng.choice(["low", "medium", "high"]), "lat": float(lat), "lon": float(lon),
                "description": "Bench"}, 201)
            if created:
                with load.lock:
                    load.reports.append((created["report"]["id"], user_id))
        elif action < 0.85 and quest_index < len(quests):
            quest, answer = quests[quest_index]
            quest_index += 1
            if load.request("answer", session, f"{base}/api/quests/answer", {"quest": quest, "answer": answer}, 200):
                with load.lock:
                    load.answers.append((quest, user_id))
        else:
            with load.lock:
                others = [report for report, reporter in load.reports[-200:] if reporter != user_id]
            if not others:
                continue
            report_id = rng.choice(others)
            sent = time.time()
            with load.lock:
                load.confirm_sent.setdefault(report_id, sent)
            if load.request("vote", session, f"{base}/api/reports/{report_id}/votes", {"answer": "yes"}, 200):
                with load.lock:
                    load.votes.append((report_id, user_id))
        if think:
            time.sleep(rng.uniform(0, 2 * think))


def _ms(values: list[float]) -> dict[str, float]:
    if not values:
        return {"count": 0}
    array = np.array(values) * 1000
    return {"count": len(values), "p50_ms": round(float(np.percentile(array, 50)), 1),
            "p95_ms": round(float(np.percentile(array, 95)), 1), "p99_ms": round(float(np.percentile(array, 99)), 1),
            "max_ms": round(float(array.max()), 1)}


def stored(url: str, load: Load) -> dict[str, object]:
    """Acknowledged writes the database does not hold, and the facts it accepted."""
    engine = make_engine(url)
    with engine.connect() as connection:
        reports = set(connection.scalars(select(Report.id)))
        answers = set(connection.execute(select(QuestAnswer.quest_id, QuestAnswer.user_id)).all())
        votes = set(connection.execute(select(ReportVote.report_id, ReportVote.user_id)).all())
        facts = connection.scalar(select(func.count()).select_from(AcceptedFact))
    engine.dispose()
    return {"lost_writes": {"reports": len({report for report, _ in load.reports} - reports),
                            "answers": len(set(load.answers) - answers), "votes": len(set(load.votes) - votes)},
            "accepted_facts": facts}


def run_backend(name: str, url: str, osm: Path, args: argparse.Namespace, quests: list, points: np.ndarray) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"lotse-bench-{name}-") as workdir:
        process, base, probe_log = start_server(osm, url, Path(workdir))
        try:
            sessions = [volunteer_session(base, f"v{i}-{secrets.token_hex(3)}") for i in range(args.volunteers)]
            load = Load()
            # Pairs of volunteers share a slice of the quests: each quest gets exactly two answers.
            pairs = (args.volunteers + 1) // 2
            slices = [quests[i::pairs] for i in range(pairs)]
            deadline = time.monotonic() + args.seconds
            started = time.monotonic()
            threads = [threading.Thread(target=volunteer_loop, args=(
                load, base, session, user_id, slices[i // 2], points, deadline, args.think, i))
                for i, (session, user_id) in enumerate(sessions)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - started
            time.sleep(0.5)  # let the last listener calls reach the log
            called = {int(line.split()[0]): float(line.split()[1])
                      for line in probe_log.read_text().splitlines() if line.strip()}
        finally:
            process.terminate()
            process.wait(timeout=30)
        confirm = [called[report] - load.confirm_sent[report] for report in called if report in load.confirm_sent]
        all_latency = [value for values in load.latency.values() for value in values]
        return {
            "requests": len(all_latency),
            "throughput_rps": round(len(all_latency) / elapsed, 1),
            "latency": {"all": _ms(all_latency), **{kind: _ms(values) for kind, values in load.latency.items()}},
            "errors": sum(load.errors.values()),
            "errors_by_kind": dict(load.errors),
            "acknowledged": {"reports": len(load.reports), "answers": len(load.answers), "votes": len(load.votes)},
            **stored(url, load),
            "confirm_to_listener": {"count": len(confirm), **{k: v for k, v in _ms(confirm).items() if k != "count"}},
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--volunteers", type=int, default=50)
    parser.add_argument("--think", type=float, default=1.0, help="mean pause between a volunteer's requests (s)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--osm", type=Path, default=DEFAULT_OSM)
    parser.add_argument("--postgres-url", default=os.environ.get(
        "LOTSE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()

    graph = load_graph(args.osm)  # also fills the cache the server loads
    quests = quest_pool(graph)
    # Report positions: graph nodes, a few metres off, so every report snaps.
    rng = np.random.default_rng(1)
    points = np.column_stack([graph.node_lat, graph.node_lon]) + rng.normal(0, 0.00003, (graph.node_count, 2))
    result: dict[str, object] = {"osm_file": args.osm.name, "seconds": args.seconds, "volunteers": args.volunteers,
                                 "think_s": args.think, "cores": os.cpu_count()}
    for name in args.backends.split(","):
        if name == "sqlite":
            with tempfile.TemporaryDirectory(prefix="lotse-bench-db-") as folder:
                result[name] = run_backend(name, f"sqlite:///{folder}/bench.db", args.osm, args, quests, points)
        else:
            admin = create_engine(args.postgres_url, isolation_level="AUTOCOMMIT")
            database = f"lotse_bench_{os.getpid()}"
            with admin.connect() as connection:
                connection.exec_driver_sql(f'CREATE DATABASE "{database}"')
            try:
                url = admin.url.set(database=database).render_as_string(hide_password=False)
                result[name] = run_backend(name, url, args.osm, args, quests, points)
            finally:
                with admin.connect() as connection:
                    connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
                admin.dispose()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
