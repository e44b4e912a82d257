"""The production server: real `lotse serve` processes (gunicorn, gevent worker) on the city-centre extract."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import requests
from simple_websocket import Client, ConnectionClosed

from app.core.server import worker_count
from app.walker.live import RECONNECT_SPREAD_MS
from app.walker.simulate import simulate
from routing.cache import load_graph
from tests.app.test_cli import free_port
from tests.conftest import SHARED_OSM

CENTRE_OSM = SHARED_OSM / "kaiserslautern_cc.osm.gz"
LOTSE = Path(sys.executable).parent / "lotse"


class Served:
    """One `lotse serve` process and its log files."""

    def __init__(self, cache_dir: Path, workdir: Path, **settings: str) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.stdout, self.stderr = workdir / "stdout.log", workdir / "stderr.log"
        env = {key: value for key, value in os.environ.items() if not key.startswith("LOTSE_")}
        env.update(LOTSE_SPEECH_ENGINES="espeak", LOTSE_DATABASE_URL=f"sqlite:///{workdir / 'lotse.db'}",
                   NO_PROXY="*", **{f"LOTSE_{name}": value for name, value in settings.items()})
        with self.stdout.open("w") as out, self.stderr.open("w") as err:
            self.process = subprocess.Popen(
                [str(LOTSE), "serve", "--osm", str(CENTRE_OSM), "--cache-dir", str(cache_dir), "--port",
                 str(self.port)], cwd=workdir, env=env, stdout=out, stderr=err)
        self.started_s = self._wait_until_healthy()

    def _wait_until_healthy(self, timeout_s: float = 30) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout_s:
            if self.process.poll() is not None:
                pytest.fail(f"lotse serve exited with {self.process.returncode}: {self.stderr.read_text()}")
            try:
                if requests.get(f"{self.base}/api/health", timeout=2).ok:
                    return time.monotonic() - started
            except requests.ConnectionError:
                time.sleep(0.05)
        pytest.fail(f"lotse serve did not answer within {timeout_s} s: {self.stderr.read_text()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="module")
def centre(tmp_path_factory) -> tuple[Path, tuple[float, float], tuple[float, float]]:
    """A graph cache holding the centre, and two points about 350 m apart in it."""
    cache_dir = tmp_path_factory.mktemp("centre-cache")
    graph = load_graph(CENTRE_OSM, cache_dir=cache_dir)
    lat, lon = float(np.median(graph.node_lat)), float(np.median(graph.node_lon))

    def nearest(to_lat: float, to_lon: float) -> tuple[float, float]:
        node = int(np.argmin(np.hypot(graph.node_lat - to_lat, (graph.node_lon - to_lon) * 0.65)))
        return float(graph.node_lat[node]), float(graph.node_lon[node])

    return cache_dir, nearest(lat, lon), nearest(lat + 0.003, lon + 0.001)


@pytest.fixture(scope="module")
def server(centre, tmp_path_factory) -> Iterator[Served]:
    # The simulated walk sends fixes as fast as they are answered: lift the flood limit, as `lotse simulate` does.
    served = Served(centre[0], tmp_path_factory.mktemp("server"), LIVE_FRAMES_PER_SECOND="100000")
    yield served
    served.stop()


def route_body(centre) -> dict:
    _, origin, destination = centre
    return {"from": {"lat": origin[0], "lon": origin[1]}, "to": {"lat": destination[0], "lon": destination[1]}}


def test_the_server_is_gunicorn_and_ready_with_its_graph(server):
    response = requests.get(f"{server.base}/api/health", timeout=5)
    assert "werkzeug" not in response.headers["Server"].lower() and "gunicorn" in response.headers["Server"]
    body = response.json()
    assert body["ready"] is True and body["status"] == "ok"
    assert body["graph"]["nodes"] > 500 and body["graph"]["source"] == str(CENTRE_OSM)
    assert server.started_s < 10  # cached graph: the bench measures it precisely (bench/serve_bench.py)


def test_access_log_lines_are_written_without_query_strings(server, centre):
    _, origin, _ = centre
    assert requests.get(f"{server.base}/api/snap", params={"lat": origin[0], "lon": origin[1]}, timeout=5).ok
    deadline = time.monotonic() + 5
    while "/api/snap" not in server.stdout.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    line = next(line for line in server.stdout.read_text().splitlines() if "/api/snap" in line)
    assert '"GET /api/snap HTTP/1.1" 200' in line and str(origin[0]) not in line  # no location trace in the log


def test_a_route_answer_has_edge_detail_only_on_request(server, centre):
    plain = requests.post(f"{server.base}/api/route", json=route_body(centre), timeout=10)
    assert plain.status_code == 200 and plain.headers["Content-Type"] == "application/json"
    route = plain.json()
    assert "edges" not in route and route["instructions"] and route["geometry"]["coordinates"]
    detailed = requests.post(f"{server.base}/api/route?detail=edges", json=route_body(centre), timeout=10).json()
    assert sum(piece["length_m"] for piece in detailed["edges"]) == pytest.approx(detailed["distance_m"], abs=1.0)
    assert {key: value for key, value in detailed.items() if key not in ("edges", "route_id", "instructions")} == \
        {key: value for key, value in route.items() if key not in ("route_id", "instructions")}
    wrong = requests.post(f"{server.base}/api/route?detail=everything", json=route_body(centre), timeout=10)
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "bad_request"


def test_a_walk_over_the_socket_arrives_under_gevent(server, centre):
    _, origin, destination = centre
    summary = simulate(f"ws://127.0.0.1:{server.port}", origin, destination, noise_m=3.0, seed=1)
    assert summary.arrived and not summary.closed and summary.errors == [] and summary.repeats == []
    assert summary.missed == [] and summary.fixes > 10


def test_live_guidance_declines_per_message_deflate(server):
    # Browsers offer it on every WebSocket; the server must answer the upgrade without accepting it.
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as connection:
        connection.sendall(f"GET /ws/guide HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nUpgrade: websocket\r\n"
                           "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                           "Sec-WebSocket-Version: 13\r\n"
                           "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n".encode())
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += connection.recv(4096)
    head = answer.split(b"\r\n\r\n")[0].decode().lower()
    assert head.startswith("http/1.1 101") and "sec-websocket-accept" in head
    assert "sec-websocket-extensions" not in head and "deflate" not in head


def test_espeak_speaks_under_gevent(server):
    response = requests.get(f"{server.base}/api/speech", params={"text": "Biegen Sie links ab.", "lang": "de"},
                            timeout=20)
    assert response.status_code == 200 and response.headers["X-Speech-Engine"] == "espeak"
    assert response.content[:4] == b"RIFF" and len(response.content) > 10_000


def test_sigterm_tells_each_walker_to_reconnect_and_exits_cleanly(centre, tmp_path):
    served = Served(centre[0], tmp_path)
    walkers = []
    try:
        for _ in range(2):
            ws = Client.connect(f"ws://127.0.0.1:{served.port}/ws/guide")
            ws.send(json.dumps({"type": "start", **route_body(centre), "detail": "edges"}))
            started = next(m for m in _messages(ws) if m["type"] in ("started", "error"))
            assert started["type"] == "started" and started["route"]["edges"]
            walkers.append(ws)
        served.process.send_signal(signal.SIGTERM)
        for ws in walkers:
            told = next(m for m in _messages(ws) if m["type"] == "reconnect")
            assert told["reason"] == "server_restart"
            assert RECONNECT_SPREAD_MS[0] <= told["retry_after_ms"] <= RECONNECT_SPREAD_MS[1]
            with pytest.raises(ConnectionClosed):
                while True:
                    ws.receive(timeout=5)
        assert served.process.wait(timeout=10) == 0
        assert "2 live connections asked to reconnect" in served.stderr.read_text()
        assert "Traceback" not in served.stderr.read_text()
    finally:
        served.stop()


def _messages(ws: Client) -> Iterator[dict]:
    """Messages as they come; fails after 10 s of silence."""
    while True:
        frame = ws.receive(timeout=10)
        assert frame is not None, "the server went silent"
        yield json.loads(frame)


def test_one_worker_without_redis_and_one_per_core_with_it():
    cores = len(os.sched_getaffinity(0))
    assert worker_count({"SERVER_WORKERS": None, "REDIS_URL": None}) == 1  # routes live in the worker's memory
    assert worker_count({"SERVER_WORKERS": None, "REDIS_URL": "redis://127.0.0.1:6379/0"}) == cores
    assert worker_count({"SERVER_WORKERS": 3, "REDIS_URL": None}) == 3  # a setting given wins
