"""Walks survive floods and restarts: a real `lotse serve` on the centre forgets a walker's route (a flood of
`/api/route` from the same address, then a restart), and the walker's phone resumes it from the destination it
carries, without hearing the departure again, and walks on to the end."""

from __future__ import annotations

import json

import pytest
import requests
from simple_websocket import Client

from app.walker.simulate import _walker_for
from tests.serving import lotse_server, run_lotse, server_env

ORIGIN = {"lat": 49.4447, "lon": 7.7690}  # Am Altenhof, by the Stiftskirche
DESTINATION = {"lat": 49.4380, "lon": 7.7660}
FLOOD_ORIGIN = {"lat": 49.4440, "lon": 7.7700}
WALKING_MPS = 1.3


class Phone:
    """The phone's side of the socket, keeping what it has heard as the PWA does (`said` ids)."""

    def __init__(self, base: str, said: list[str] | None = None, timestamp: int = 1_700_000_000_000) -> None:
        self.ws = Client.connect(base.replace("http", "ws", 1) + "/ws/guide")
        self.said = said if said is not None else []  # kept across connections, as the PWA keeps it
        self.timestamp = timestamp

    def send(self, message: dict) -> None:
        self.ws.send(json.dumps(message))

    def receive(self, timeout: float = 20) -> dict:
        frame = self.ws.receive(timeout=timeout)
        assert frame is not None, "the server said nothing"
        message = json.loads(frame)
        if message["type"] == "instruction" and message["instruction_index"] is not None:
            assert message["id"] not in self.said, f"said again: {message}"
            self.said.append(message["id"])
        return message

    def until(self, kind: str) -> list[dict]:
        messages = [self.receive()]
        while messages[-1]["type"] != kind:
            messages.append(self.receive())
        return messages

    def reconnect(self, base: str) -> Phone:
        self.close()
        return Phone(base, self.said, self.timestamp)

    def walk(self, route: dict, from_m: float, to_m: float, step_m: float = 8.0) -> list[dict]:
        """Fixes every `step_m` along the route from `from_m` to `to_m`, a second apart at walking pace; what the
        server answered (never an error, never off route)."""
        line = _walker_for(route)
        messages = []
        distance = from_m
        while distance < to_m:
            distance = min(distance + step_m, to_m)
            lat, lon = line.latlon(*line.at(distance)[:2])
            self.timestamp += int(step_m / WALKING_MPS * 1000)
            self.send({"type": "position", "lat": lat, "lon": lon, "accuracy_m": 5, "timestamp": self.timestamp,
                       "speed_mps": WALKING_MPS})
            answers = self.until("progress")
            assert not [m for m in answers if m["type"] in ("error", "off_route")], answers
            messages += answers
        return messages

    def close(self) -> None:
        if self.ws.connected:  # a stopped server has closed it
            self.ws.close()


def resume(phone: Phone, route: dict, progress_m: float, at: dict) -> list[dict]:
    """The PWA's resuming `start`: the route id, how far it got, what it said, and where to."""
    phone.send({"type": "start", "route_id": route["route_id"], "progress_m": progress_m, "said": phone.said,
                "from": {"lat": at["lat"], "lon": at["lon"]}, "to": DESTINATION, "profile": "blind"})
    return phone.until("started")


@pytest.fixture()
def env(tmp_path):
    env = server_env(tmp_path, live_frames_per_second=1000)
    run_lotse(env, "db", "upgrade")
    return env


def test_a_flood_and_a_restart_do_not_end_a_walk(env, tmp_path):
    log = tmp_path / "server.log"
    with lotse_server(env, log) as server:
        route = requests.post(f"{server.base}/api/route", json={"from": ORIGIN, "to": DESTINATION}, timeout=30).json()
        steps = [i for i in route["instructions"] if i["type"] not in ("landmark", "arrive")]
        assert len(steps) >= 4, route["instructions"]
        phone = Phone(server.base)
        phone.send({"type": "start", "route_id": route["route_id"]})
        assert phone.until("started")[-1]["route"]["route_id"] == route["route_id"]
        here = steps[2]
        progress = phone.walk(route, 0.0, here["distance_m"])[-1]
        assert progress["on_route"] and phone.said

        # A flood from the walker's own address (a shared network, a script) evicts the walker's route ...
        flood = {"from": FLOOD_ORIGIN, "to": DESTINATION}
        for _ in range(25):
            assert requests.post(f"{server.base}/api/route", json=flood, timeout=30).ok
        phone = phone.reconnect(server.base)
        phone.send({"type": "start", "route_id": route["route_id"]})
        assert phone.receive()["code"] == "unknown_route"  # gone, and without a destination nothing to do
        # ... but a phone that says where it goes walks on, and hears nothing again.
        messages = resume(phone, route, here["distance_m"], here)
        assert [m["type"] for m in messages] == ["started"]
        new = messages[-1]["route"]
        said = len(phone.said)
        assert new["route_id"] != route["route_id"]
        assert new["distance_m"] == pytest.approx(route["distance_m"] - here["distance_m"], abs=60)
        assert phone.ws.receive(timeout=0.5) is None  # the departure is not said again
        progress = phone.walk(new, 0.0, 150.0)[-1]
        assert progress["on_route"] and progress["remaining_m"] == pytest.approx(new["distance_m"] - 150, abs=20)
        assert len(phone.said) > said  # the walk goes on: the next turns are said
        line = _walker_for(new)
        here = {"distance_m": 150.0, **dict(zip(("lat", "lon"), line.latlon(*line.at(150)[:2]), strict=True))}
    assert "Traceback" not in log.read_text(errors="replace")

    # Another process (a restart, or the next one behind a balancer) has never seen the route.
    with lotse_server(env, log) as server:
        phone = phone.reconnect(server.base)
        messages = resume(phone, new, here["distance_m"], here)
        assert [m["type"] for m in messages] == ["started"]
        last = messages[-1]["route"]
        assert phone.ws.receive(timeout=0.5) is None
        heard = phone.walk(last, 0.0, last["distance_m"])
        assert any(m["type"] == "arrived" for m in heard)
        assert heard[-1]["arrived"] is True
        phone.close()
    assert "Traceback" not in log.read_text(errors="replace")


def test_a_forgotten_route_not_yet_walked_starts_with_the_departure(env, tmp_path):
    with lotse_server(env, tmp_path / "server.log") as server:
        phone = Phone(server.base)
        phone.send({"type": "start", "route_id": "0123456789abcdef", "from": ORIGIN, "to": DESTINATION, "lang": "en"})
        started = phone.receive()
        assert started["type"] == "started" and started["route"]["route_id"] != "0123456789abcdef"
        departure = phone.receive()
        assert departure["type"] == "instruction" and departure["instruction_index"] == 0
        assert departure["text"] == started["route"]["instructions"][0]["text"]
        phone.send({"type": "start", "route_id": "0123456789abcdef", "to": DESTINATION, "progress_m": 10})
        assert phone.receive() == {"type": "error", "code": "bad_field",
                                   "message": "The field “from” is missing or has a value that is not allowed."}
        phone.close()
