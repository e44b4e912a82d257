"""Map updates without downtime, on a real `lotse serve` process: the map file is replaced, staff ask for a reload,
the server keeps guiding while it imports, swaps the new map in, and the walk under way finishes on its route."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from simple_websocket import Client

from routing.cache import load_graph
from tests.app.test_cli import free_port
from tests.conftest import SHARED_OSM
from tests.serving import stop

LOTSE = Path(sys.executable).parent / "lotse"
CENTRE_OSM = SHARED_OSM / "kaiserslautern_cc.osm.gz"
CAMPUS_OSM = SHARED_OSM / "kaiserslautern_uni.osm.gz"
ORIGIN = {"lat": 49.4447, "lon": 7.7690}  # Am Altenhof, by the Stiftskirche (city centre)
DESTINATION = {"lat": 49.4380, "lon": 7.7660}
STAFF = {"email": "karte@example.org", "password": "a long enough password"}


def _environment(tmp_path: Path) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith("LOTSE_") and "proxy" not in key.lower()}
    environment.update({"LOTSE_DATABASE_URL": f"sqlite:///{tmp_path / 'lotse.sqlite'}",
                        "LOTSE_SPEECH_ENGINES": "espeak", "LOTSE_SPEECH_CACHE_DIR": str(tmp_path / "speech"),
                        "LOTSE_SESSION_COOKIE_SECURE": "false",  # plain http on 127.0.0.1
                        "LOTSE_LIVE_FRAMES_PER_SECOND": "100000"})  # the walk is replayed faster than real time
    return environment


@pytest.fixture()
def server(tmp_path):
    """`lotse serve` on a copy of the centre extract that the test may replace; yields (base URL, map file)."""
    town = tmp_path / "town.osm.gz"
    shutil.copy(CENTRE_OSM, town)
    environment = _environment(tmp_path)
    subprocess.run([str(LOTSE), "create-staff", "--email", STAFF["email"], "--name", "Karte", "--password-stdin"],
                   input=STAFF["password"] + "\n", env=environment, cwd=tmp_path, check=True, capture_output=True,
                   text=True, timeout=60)
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen([str(LOTSE), "serve", "--osm", str(town), "--cache-dir", str(tmp_path / "cache"),
                                "--port", str(port)], cwd=tmp_path, env=environment, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "lotse serve did not answer within 120 s"
            try:
                if requests.get(f"{base}/api/health", timeout=2).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.3)
        yield base, town
    finally:
        stop(process)
        log.close()


class Walker:
    def __init__(self, base: str) -> None:
        self.ws = Client.connect(base.replace("http", "ws") + "/ws/guide")
        self.seen: list[str] = []  # the types of every message received

    def send(self, message: dict) -> None:
        self.ws.send(json.dumps(message))

    def until(self, kind: str, timeout: float = 20) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            frame = self.ws.receive(timeout=deadline - time.monotonic())
            assert frame is not None, f"no {kind} message"
            message = json.loads(frame)
            assert message["type"] != "error", message
            self.seen.append(message["type"])
            if message["type"] == kind:
                return message
        raise AssertionError(f"no {kind} message within {timeout} s")


def _fix(lat: float, lon: float, timestamp_ms: int) -> dict:
    return {"type": "position", "lat": lat, "lon": lon, "accuracy_m": 5, "timestamp": timestamp_ms}


def _staff_session(base: str) -> requests.Session:
    session = requests.Session()
    session.headers["X-CSRF-Token"] = session.get(f"{base}/api/csrf", timeout=10).json()["csrf_token"]
    login = session.post(f"{base}/api/accounts/login", json=STAFF, timeout=10)
    assert login.status_code == 200, login.text
    session.headers["X-CSRF-Token"] = login.json()["csrf_token"]
    return session


def test_a_new_map_is_swapped_in_while_a_walk_under_way_keeps_its_route(server, tmp_path):
    base, town = server
    before = requests.get(f"{base}/api/health", timeout=10).json()["graph"]
    assert [area["file"] for area in before["areas"]] == ["town.osm.gz"]

    walker = Walker(base)
    walker.send({"type": "start", "from": ORIGIN, "to": DESTINATION, "lang": "de"})
    route = walker.until("started")["route"]
    points = route["geometry"]["coordinates"]  # [lon, lat] along the route
    walker.send(_fix(points[0][1], points[0][0], 1_700_000_000_000))
    assert walker.until("progress")["on_route"] is True

    # Anyone but staff is refused; then the operator replaces the file and asks for the reload.
    stranger = requests.Session()
    stranger.headers["X-CSRF-Token"] = stranger.get(f"{base}/api/csrf", timeout=10).json()["csrf_token"]
    refused = stranger.post(f"{base}/api/staff/map/reload", timeout=10)
    assert (refused.status_code, refused.json()["error"]["code"]) == (401, "login_required")
    staff = _staff_session(base)
    shutil.copy(CAMPUS_OSM, town)
    started = staff.post(f"{base}/api/staff/map/reload", timeout=10)
    assert started.status_code == 202, started.text
    assert staff.post(f"{base}/api/staff/map/reload", timeout=10).json()["error"]["code"] == "reload_running"

    # The walker keeps being guided while the new map is imported and after it is swapped in.
    step = max(1, len(points) // 40)
    walked = 0
    deadline = time.monotonic() + 180
    while (status := staff.get(f"{base}/api/staff/map/reload", timeout=10).json())["status"] == "importing":
        assert time.monotonic() < deadline, "the reload did not finish within 180 s"
        walked = min(walked + step, len(points) // 2)
        walker.send(_fix(points[walked][1], points[walked][0], 1_700_000_000_000 + walked * 20_000))
        assert walker.until("progress")["on_route"] is True
        time.sleep(0.5)
    assert status["status"] == "idle", status
    after = requests.get(f"{base}/api/health", timeout=10).json()["graph"]
    assert after["data_version"] == status["data_version"] != before["data_version"]
    assert after["nodes"] != before["nodes"]
    assert after["areas"][0]["bbox"] != before["areas"][0]["bbox"]

    # The walk under way goes on to the end on the route it has, on the old map.
    for i in range(walked + 1, len(points), step):
        walker.send(_fix(points[i][1], points[i][0], 1_700_000_000_000 + i * 20_000))
        progress = walker.until("progress")
        assert progress["on_route"] is True
    walker.send(_fix(points[-1][1], points[-1][0], 1_700_000_000_000 + len(points) * 20_000))
    walker.until("progress")
    assert "arrived" in walker.seen and "off_route" not in walker.seen and "rerouted" not in walker.seen
    walker.ws.close()

    # The stored route still starts by id on a new connection (a walker who reconnects), with its own map.
    again = Walker(base)
    again.send({"type": "start", "route_id": route["route_id"]})
    assert again.until("started")["route"]["route_id"] == route["route_id"]
    again.send(_fix(points[1][1], points[1][0], 1_800_000_000_000))
    assert again.until("progress")["on_route"] is True
    again.ws.close()

    # Switching language on resuming re-words the route: it stays on the map it was planned on too.
    english = Walker(base)
    english.send({"type": "start", "route_id": route["route_id"], "lang": "en", "progress_m": 0})
    assert english.until("started")["route"]["route_id"] == route["route_id"]
    english.send(_fix(points[1][1], points[1][0], 1_800_000_000_000))
    assert english.until("progress")["on_route"] is True
    english.ws.close()

    # New routes are planned on the new map: the centre is off it now, the campus on it.
    old_place = requests.post(f"{base}/api/route", json={"from": ORIGIN, "to": DESTINATION}, timeout=30)
    assert (old_place.status_code, old_place.json()["error"]["code"]) == (400, "off_map")
    campus = load_graph(CAMPUS_OSM, cache_dir=tmp_path / "cache")
    here, there = int(campus.node_count * 0.25), int(campus.node_count * 0.75)
    new_route = requests.post(f"{base}/api/route", timeout=30, json={
        "from": {"lat": float(campus.node_lat[here]), "lon": float(campus.node_lon[here])},
        "to": {"lat": float(campus.node_lat[there]), "lon": float(campus.node_lon[there])}})
    assert new_route.status_code == 200, new_route.text


def test_a_broken_new_map_keeps_the_old_one_served(server):
    base, town = server
    before = requests.get(f"{base}/api/health", timeout=10).json()["graph"]
    town.write_bytes(b"\x1f\x8b not really gzip")
    staff = _staff_session(base)
    assert staff.post(f"{base}/api/staff/map/reload", timeout=10).status_code == 202
    deadline = time.monotonic() + 60
    while (status := staff.get(f"{base}/api/staff/map/reload", timeout=10).json())["status"] == "importing":
        assert time.monotonic() < deadline
        time.sleep(0.3)
    assert status["status"] == "failed" and "town.osm.gz" in status["error"]
    assert requests.get(f"{base}/api/health", timeout=10).json()["graph"] == before
    assert requests.post(f"{base}/api/route", json={"from": ORIGIN, "to": DESTINATION}, timeout=30).status_code == 200
