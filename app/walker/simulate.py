"""Walk a route through the real WebSocket endpoint with GPS noise, and judge the guidance (`lotse simulate`).

The simulated walker moves along the route at a steady speed and sends one fix a second (simulated timestamps,
sent as fast as the server answers). With `detour_at_m` it takes a wrong turn there: it walks 50 m straight away
from the route, then follows the new route the server sends.
"""

from __future__ import annotations

import json
import logging
import math
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from simple_websocket import Client
from werkzeug.serving import make_server

from routing.phrases import LANGUAGES
from routing.tags import METRES_PER_DEGREE

DETOUR_LENGTH_M = 50.0
MAX_FIXES = 20_000


@dataclass
class Summary:
    """What a simulated walk showed about the guidance."""

    instructions: int = 0  # instructions reached that had to be announced (not departure, landmarks, arrival)
    prepared_before: int = 0  # of those, said early ("prepare") before the walker reached them
    announced_now_before: int = 0  # said at the spot ("now") before the walker passed them
    missed: list[int] = field(default_factory=list)
    false_off_route: int = 0
    detour_detected_after_s: float | None = None
    rerouted_after_s: float | None = None
    arrived: bool = False
    fixes: int = 0
    errors: list[str] = field(default_factory=list)


class _Walker:
    """Positions along a polyline in metres, with its lat/lon conversion."""

    def __init__(self, lat: list[float], lon: list[float]) -> None:
        self.lat0 = float(lat[0])
        self.metres_per_lon = METRES_PER_DEGREE * math.cos(math.radians(self.lat0))
        self.x = (np.asarray(lon) - lon[0]) * self.metres_per_lon
        self.y = (np.asarray(lat) - lat[0]) * METRES_PER_DEGREE
        self.lon0 = float(lon[0])
        self.along = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(self.x), np.diff(self.y)))])
        self.length = float(self.along[-1])

    def at(self, distance: float) -> tuple[float, float, float]:
        """x, y and bearing at a distance along the line."""
        distance = min(max(distance, 0.0), self.length)
        i = int(min(np.searchsorted(self.along, distance, side="right") - 1, len(self.x) - 2))
        span = self.along[i + 1] - self.along[i]
        t = (distance - self.along[i]) / span if span > 0 else 0.0
        dx, dy = self.x[i + 1] - self.x[i], self.y[i + 1] - self.y[i]
        return float(self.x[i] + t * dx), float(self.y[i] + t * dy), math.degrees(math.atan2(dx, dy)) % 360

    def latlon(self, x: float, y: float) -> tuple[float, float]:
        return self.lat0 + y / METRES_PER_DEGREE, self.lon0 + x / self.metres_per_lon

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        return (lon - self.lon0) * self.metres_per_lon, (lat - self.lat0) * METRES_PER_DEGREE

    def distance_to_line(self, x: float, y: float) -> float:
        x0, y0, dx, dy = self.x[:-1], self.y[:-1], np.diff(self.x), np.diff(self.y)
        t = np.clip(((x - x0) * dx + (y - y0) * dy) / np.maximum(dx * dx + dy * dy, 1e-9), 0, 1)
        return float(np.min(np.hypot(x - (x0 + t * dx), y - (y0 + t * dy))))


def serve_in_thread(app: Any) -> tuple[str, Callable[[], None]]:
    """Run the app on a free local port in a background thread; returns its ws URL base and a stop function."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log line per connection
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return f"ws://127.0.0.1:{port}", server.shutdown


def simulate(url: str, origin: tuple[float, float], destination: tuple[float, float], noise_m: float = 8.0,
             speed_mps: float = 1.3, detour_at_m: float | None = None, seed: int = 0, profile: str = "blind",
             lang: str = LANGUAGES[0], on_message: Callable[[dict[str, Any]], None] | None = None) -> Summary:
    """Walk from origin to destination through the server at `url` and return the summary."""
    rng = np.random.default_rng(seed)
    summary = Summary()
    ws = Client.connect(f"{url}/ws/guide")
    try:
        def send(message: dict[str, Any]) -> None:
            ws.send(json.dumps(message))

        def receive_until(kinds: set[str]) -> list[dict[str, Any]]:
            received = []
            while True:
                message = json.loads(ws.receive(timeout=30))
                if on_message:
                    on_message(message)
                received.append(message)
                if message["type"] in kinds:
                    return received

        send({"type": "start", "from": {"lat": origin[0], "lon": origin[1]},
              "to": {"lat": destination[0], "lon": destination[1]}, "profile": profile, "lang": lang})
        started = receive_until({"started", "error"})[-1]
        if started["type"] == "error":
            summary.errors.append(started["code"])
            return summary
        route = started["route"]
        # The departure, then whatever applies within the first metres (sent right after it).
        early = receive_until({"instruction"}) + _drain(ws, on_message)
        walker = _walker_for(route)
        pending = _pending(route)
        prepared: set[int] = set()
        now_said = {m["instruction_index"] for m in early if m["type"] == "instruction"}
        position = 0.0  # metres walked along the current route
        timestamp = 1_700_000_000_000.0
        detour_from: tuple[float, float, float] | None = None  # x, y, bearing where the wrong turn starts
        detour_walked = 0.0
        off_since: float | None = None
        at_end = 0
        done_detour = detour_at_m is None

        for _ in range(MAX_FIXES):
            timestamp += 1000.0
            if detour_from is None and not done_detour and position >= detour_at_m:
                x, y, bearing = walker.at(position)
                detour_from = (x, y, _away(walker, x, y, bearing))
            if detour_from is not None:
                detour_walked = min(detour_walked + speed_mps, DETOUR_LENGTH_M + 40)
                x = detour_from[0] + detour_walked * math.sin(math.radians(detour_from[2]))
                y = detour_from[1] + detour_walked * math.cos(math.radians(detour_from[2]))
                heading = detour_from[2]
            else:
                position = min(position + speed_mps, walker.length)
                x, y, heading = walker.at(position)
                # Everything at or before the walker's true position must have been said by now.
                for index, distance in list(pending.items()):
                    if distance <= position - 0.5:
                        summary.instructions += 1
                        summary.prepared_before += index in prepared
                        summary.announced_now_before += index in now_said
                        if index not in now_said:
                            summary.missed.append(index)
                        del pending[index]
            noisy_x, noisy_y = x + rng.normal(0, noise_m), y + rng.normal(0, noise_m)
            lat, lon = walker.latlon(noisy_x, noisy_y)
            truly_off = walker.distance_to_line(x, y) > max(25.0, 2 * noise_m)
            if truly_off and off_since is None:
                off_since = timestamp
            send({"type": "position", "lat": lat, "lon": lon, "accuracy_m": noise_m, "timestamp": timestamp,
                  "heading_deg": (heading + rng.normal(0, 10)) % 360, "speed_mps": speed_mps})
            summary.fixes += 1
            for message in receive_until({"progress", "error"}):
                kind = message["type"]
                if kind == "instruction" and message.get("instruction_index") is not None:
                    (prepared if message["kind"] == "prepare" else now_said).add(message["instruction_index"])
                elif kind == "off_route":
                    if detour_from is None:
                        summary.false_off_route += 1
                    elif summary.detour_detected_after_s is None:
                        # Noticed before the walker was that far from every part of the route counts as at once.
                        summary.detour_detected_after_s = (timestamp - (off_since or timestamp)) / 1000
                elif kind == "rerouted" and detour_from is not None:
                    summary.rerouted_after_s = (timestamp - (off_since or timestamp)) / 1000
                    route = message["route"]
                    walker, pending = _walker_for(route), _pending(route)
                    prepared, now_said = set(), set()
                    position, detour_from, done_detour = 0.0, None, True
                    off_since = None
                elif kind == "arrived":
                    summary.arrived = True
                elif kind == "error":
                    summary.errors.append(message["code"])
            if summary.arrived or (detour_from is not None and detour_walked >= DETOUR_LENGTH_M + 40):
                break
            if detour_from is None and position >= walker.length:
                at_end += 1
                if at_end > 10:  # the server had ten fixes at the destination and did not say so
                    break
        for index in pending:  # left at the very end of the route
            summary.instructions += 1
            summary.prepared_before += index in prepared
            summary.announced_now_before += index in now_said
            if index not in now_said:
                summary.missed.append(index)
        send({"type": "stop"})
        return summary
    finally:
        ws.close()


def _away(walker: _Walker, x: float, y: float, bearing: float) -> float:
    """The wrong turn's direction: left or right of the route, whichever leads farther from all of it."""
    def reach(direction: float) -> float:
        return walker.distance_to_line(x + DETOUR_LENGTH_M * math.sin(math.radians(direction)),
                                       y + DETOUR_LENGTH_M * math.cos(math.radians(direction)))

    return max(((bearing + 90) % 360, (bearing - 90) % 360), key=reach)


def _drain(ws: Client, on_message: Callable[[dict[str, Any]], None] | None) -> list[dict[str, Any]]:
    """Messages already sent, without waiting for more than a moment."""
    received = []
    while (frame := ws.receive(timeout=0.3)) is not None:
        message = json.loads(frame)
        if on_message:
            on_message(message)
        received.append(message)
    return received


def _walker_for(route: dict[str, Any]) -> _Walker:
    coordinates = route["geometry"]["coordinates"]
    return _Walker([c[1] for c in coordinates], [c[0] for c in coordinates])


def _pending(route: dict[str, Any]) -> dict[int, float]:
    """Instructions that must be announced, by index, with the distance where they apply."""
    return {index: instruction["distance_m"] for index, instruction in enumerate(route["instructions"])
            if index > 0 and instruction["type"] not in ("landmark", "arrive")}
