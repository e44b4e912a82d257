"""Login floods against a real `lotse serve` on the city, printed as JSON (issue 14: accounts that cannot be turned
against walkers).

1. Flood: `--flood` logins (default 30), each with another email, from one address, with the default limits: which
   try first gets 429 (target: within 10).
2. Memory: `--parallel` logins at once (default 32), the per-address limits lifted so that every one reaches the
   password hash, while a walker plans routes: the server's memory before and its peak, sampled every 50 ms over
   the master and its workers (gunicorn forks them after loading the graph, so they share its pages): the sum of
   their proportional set sizes (PSS, what the server takes from the machine; target at most 500 MB) and the
   largest worker's resident size (RSS, shared pages counted in full), the answers' statuses (401, or 503 with Retry-After beyond the hash cap) and `/api/route`
   latency meanwhile.

Usage: python bench/login_bench.py [--osm FILE] [--flood 30] [--parallel 32]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import requests
from serving import free_port, wait_until_healthy

ROUTE = {"from": {"lat": 49.44801, "lon": 7.77744}, "to": {"lat": 49.45263, "lon": 7.78354}}


def start_server(osm: Path, workdir: Path, **settings: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("LOTSE_")}
    env.update(LOTSE_DATABASE_URL=f"sqlite:///{workdir / 'lotse.db'}", LOTSE_SECRET_KEY=secrets.token_hex(16),
               LOTSE_SESSION_COOKIE_SECURE="false", **{f"LOTSE_{key}": value for key, value in settings.items()})
    with (workdir / "server.log").open("ab") as log:
        process = subprocess.Popen([sys.executable, "-c", "from app.cli import main; main()", "serve", "--osm", str(osm), "--port", str(port)],
                                   cwd=Path(__file__).resolve().parent.parent, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    wait_until_healthy(process, base, workdir / "server.log", 180)
    return process, base


def server_pids(master: int) -> list[int]:
    """The server's processes: the master and the workers it forked."""
    children = []
    for task in Path(f"/proc/{master}/task").iterdir():
        children += [int(pid) for pid in (task / "children").read_text().split()]
    return [master, *children]


def memory_kb(pid: int, field: str, table: str = "status") -> int:
    """`field` of /proc/PID/status (VmRSS) or smaps_rollup (Pss), in kB; 0 once the process is gone."""
    try:
        lines = Path(f"/proc/{pid}/{table}").read_text().splitlines()
    except (FileNotFoundError, ProcessLookupError):
        return 0
    return next((int(line.split()[1]) for line in lines if line.startswith(field + ":")), 0)


def server_memory_mb(master: int) -> tuple[float, float]:
    """The server's total PSS and its largest process's RSS, in MB."""
    pids = server_pids(master)
    pss = sum(memory_kb(pid, "Pss", "smaps_rollup") for pid in pids)
    return pss / 1024, max(memory_kb(pid, "VmRSS") for pid in pids) / 1024


def login(base: str, email: str) -> requests.Response:
    session = requests.Session()
    token = session.get(f"{base}/api/csrf", timeout=10).json()["csrf_token"]
    return session.post(f"{base}/api/accounts/login", json={"email": email, "password": "not the password"},
                        headers={"X-CSRF-Token": token}, timeout=60)


def flood(osm: Path, workdir: Path, count: int) -> dict:
    process, base = start_server(osm, workdir / "flood")
    try:
        statuses = [login(base, f"user{i}@example.org").status_code for i in range(count)]
    finally:
        process.terminate()
        process.wait()
    first = statuses.index(429) + 1 if 429 in statuses else None
    return {"tries": count, "first_429_at_try": first, "statuses": dict(Counter(statuses))}


def parallel(osm: Path, workdir: Path, count: int) -> dict:
    process, base = start_server(osm, workdir / "parallel", RATE_LIMIT_LOGIN_IP="100000/minute",
                                 RATE_LIMIT_LOGIN="100000/minute")
    try:
        requests.post(f"{base}/api/route", json=ROUTE, timeout=30)
        login(base, "warm@example.org")  # the dummy hash, made once
        processes = len(server_pids(process.pid))
        pss_before, rss_before = server_memory_mb(process.pid)
        peaks = [pss_before, rss_before]
        route_ms: list[float] = []
        stop = threading.Event()

        def sampler() -> None:
            while not stop.is_set():
                pss, rss = server_memory_mb(process.pid)
                peaks[:] = [max(peaks[0], pss), max(peaks[1], rss)]
                time.sleep(0.05)

        def walker() -> None:
            while not stop.is_set():
                started = time.perf_counter()
                requests.post(f"{base}/api/route", json=ROUTE, timeout=30)
                route_ms.append((time.perf_counter() - started) * 1000)

        results: list[requests.Response] = []
        threads = [threading.Thread(target=lambda i=i: results.append(login(base, f"p{i}@example.org")))
                   for i in range(count)]
        walking, sampling = threading.Thread(target=walker), threading.Thread(target=sampler)
        walking.start()
        sampling.start()
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        stop.set()
        walking.join()
        sampling.join()
    finally:
        process.terminate()
        process.wait()
    route_ms.sort()
    return {
        "logins": count, "seconds": round(elapsed, 2), "server_processes": processes,
        "pss_before_mb": round(pss_before), "pss_peak_mb": round(peaks[0]),
        "worker_rss_before_mb": round(rss_before), "worker_rss_peak_mb": round(peaks[1]),
        "statuses": dict(Counter(r.status_code for r in results)),
        "retry_after_on_503": sorted({r.headers.get("Retry-After") for r in results if r.status_code == 503}),
        "route_ms_p50": round(route_ms[len(route_ms) // 2], 1) if route_ms else None,
        "route_ms_max": round(route_ms[-1], 1) if route_ms else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--osm", type=Path, default=Path("../shared/osm/kaiserslautern.osm.gz"))
    parser.add_argument("--flood", type=int, default=30)
    parser.add_argument("--parallel", type=int, default=32)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        (workdir / "flood").mkdir()
        (workdir / "parallel").mkdir()
        print(json.dumps({"flood": flood(args.osm.resolve(), workdir, args.flood),
                          "parallel": parallel(args.osm.resolve(), workdir, args.parallel)}, indent=2))


if __name__ == "__main__":
    main()
