"""Walk a route through the real WebSocket endpoint with GPS noise, and judge the guidance (`lotse simulate`).

The simulated walker moves along the route at a steady speed and sends one fix a second (simulated timestamps,
sent as fast as the server answers). With `detour_at_m` it takes a wrong turn there: it walks 50 m straight away
from the route; with `wrong_way` (e.g. `wrong_turn`: the wrong street at a junction) it follows another way; then it
follows the new route the server sends. With `reconnect_at_m` the connection drops there and the walk resumes on a
new one, as the phone does: route id, last progress and the ids of what it has already said.
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
from simple_websocket import Client, ConnectionClosed
from sqlalchemy.pool import StaticPool
from werkzeug.serving import make_server

from app.walker.live import GUIDE_PATH
from routing.phrases import LANGUAGES
from routing.tags import METRES_PER_DEGREE

DETOUR_LENGTH_M = 50.0
# A wrong way leaves the route: from 20 m along it on (every 10 m, up to DETOUR_LENGTH_M) the walker is at least
# this share of the metres walked away from the route. A way that cuts a corner back onto the route, or runs beside
# it (a footway a few metres off, the other side of the road), is no wrong turn.
WRONG_WAY_CHECKS_M = (20.0, 30.0, 40.0, 50.0)
WRONG_WAY_AWAY_SHARE = 0.4
MAX_FIXES = 20_000


@dataclass
class Summary:
    """What a simulated walk showed about the guidance."""

    instructions: int = 0  # instructions reached that had to be announced (not departure, landmarks, arrival)
    prepared_before: int = 0  # of those, said early ("prepare") before the walker reached them
    announced_now_before: int = 0  # said at the spot ("now") before the walker passed them
    missed: list[int] = field(default_factory=list)  # not said at the spot before the walker passed them
    late: list[int] = field(default_factory=list)  # of those, said at the spot only after the walker passed it
    false_off_route: int = 0
    left_route: bool = False  # the walker took the wrong way (detour_at_m or wrong_way)
    detour_detected_after_s: float | None = None  # from leaving the route to the off_route message
    rerouted_after_s: float | None = None
    off_route_text: str | None = None
    reconnects: int = 0
    repeats: list[str] = field(default_factory=list)  # announcement ids said more than once
    closed: bool = False  # the socket closed (or the server stopped answering) before the walk was over
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
    """Run the app on a free local port in a background thread; returns its ws URL base and a stop function.

    Each request runs in a thread of its own: the app's database must give each its own connection, which the
    in-memory database of test apps cannot (its one connection would be shared by concurrent requests).
    """
    if isinstance(app.extensions["lotse.db"].engine.pool, StaticPool):
        raise ValueError("serve_in_thread needs a database with a connection per thread (a file or a server), "
                         "not the in-memory one of test apps")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log line per connection
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return f"ws://127.0.0.1:{port}", server.shutdown


WrongWay = Callable[[dict[str, Any]], "tuple[float, list[tuple[float, float]]] | None"]


def simulate(url: str, origin: tuple[float, float], destination: tuple[float, float], noise_m: float = 8.0,
             speed_mps: float = 1.3, detour_at_m: float | None = None, seed: int = 0, profile: str = "blind",
             lang: str = LANGUAGES[0], on_message: Callable[[dict[str, Any]], None] | None = None, *,
             wrong_way: WrongWay | None = None, reconnect_at_m: float | None = None) -> Summary:
    """Walk from origin to destination through the server at `url` and return the summary.

    `detour_at_m`: a wrong turn at right angles there. `wrong_way(route)`: where the walker leaves the route and the
    way (lat, lon points) it takes then. `reconnect_at_m`: the connection drops there and the walk resumes.
    """
    rng = np.random.default_rng(seed)
    summary = Summary()
    client = _Connection(url, on_message, summary)
    try:
        client.send({"type": "start", "from": {"lat": origin[0], "lon": origin[1]},
                     "to": {"lat": destination[0], "lon": destination[1]}, "profile": profile, "lang": lang,
                     "detail": "edges"})  # `wrong_way` follows the route's edges
        started = client.receive_until({"started", "error"})[-1]
        if started["type"] == "error":
            summary.errors.append(started["code"])
            return summary
        route = started["route"]
        client.receive_until({"instruction"})
        client.drain()  # the departure, then whatever applies within the first metres (sent right after it)
        walker, pending = _walker_for(route), _pending(route)
        position = 0.0  # metres walked along the current route
        timestamp = 1_700_000_000_000.0
        detour = _detour(walker, route, detour_at_m, wrong_way)  # (at_m, the way taken) or None
        on_detour: _Walker | None = None
        detour_walked = 0.0
        left_at = timestamp  # when the walker left the route
        at_end = 0
        reconnect_at = reconnect_at_m

        for _ in range(MAX_FIXES):
            timestamp += 1000.0
            if on_detour is None and detour is not None and position >= detour[0]:
                on_detour, left_at, detour = detour[1], timestamp - 1000.0, None
                summary.left_route = True
            if reconnect_at is not None and position >= reconnect_at:
                reconnect_at = None
                client.reconnect(route)
            if on_detour is not None:
                detour_walked = min(detour_walked + speed_mps, on_detour.length)
                x, y, heading = on_detour.at(detour_walked)
                x, y = walker.xy(*on_detour.latlon(x, y))
            else:
                position = min(position + speed_mps, walker.length)
                x, y, heading = walker.at(position)
                # Everything at or before the walker's true position must have been said by now.
                for index, distance in list(pending.items()):
                    if distance <= position - 0.5:
                        _judge(summary, client, route, index)
                        del pending[index]
            lat, lon = walker.latlon(x + rng.normal(0, noise_m), y + rng.normal(0, noise_m))
            client.send({"type": "position", "lat": lat, "lon": lon, "accuracy_m": noise_m, "timestamp": timestamp,
                         "heading_deg": (heading + rng.normal(0, 10)) % 360, "speed_mps": speed_mps})
            summary.fixes += 1
            for message in client.receive_until({"progress", "error"}):
                kind = message["type"]
                if kind == "off_route":
                    if on_detour is None:
                        summary.false_off_route += 1
                    elif summary.detour_detected_after_s is None:
                        summary.detour_detected_after_s = (timestamp - left_at) / 1000
                        summary.off_route_text = message["text"]
                elif kind == "rerouted":
                    if on_detour is not None:
                        summary.rerouted_after_s = (timestamp - left_at) / 1000
                    route = message["route"]
                    walker, pending = _walker_for(route), _pending(route)
                    position, on_detour = 0.0, None
                elif kind == "progress":
                    client.progress_m = route["distance_m"] - message["remaining_m"]
                elif kind == "arrived":
                    summary.arrived = True
                elif kind == "error":
                    summary.errors.append(message["code"])
            if summary.arrived or (on_detour is not None and detour_walked >= on_detour.length):
                break
            if on_detour is None and position >= walker.length:
                at_end += 1
                if at_end > 10:  # the server had ten fixes at the destination and did not say so
                    break
        if on_detour is None:  # left at the very end of the route (a walk that ends on a detour never got there)
            for index in pending:
                _judge(summary, client, route, index)
        client.send({"type": "stop"})
    except (ConnectionClosed, TimeoutError):
        summary.closed = True
    finally:
        summary.repeats = sorted(client.repeats)
        client.close()
    return summary


class _Connection:
    """The phone's side of the socket: what it has said (by announcement id), and reconnecting as the app does."""

    def __init__(self, url: str, on_message: Callable[[dict[str, Any]], None] | None, summary: Summary) -> None:
        self.url, self.on_message, self.summary = url, on_message, summary
        self.ws = self._connect()
        self.said: set[str] = set()
        self.repeats: set[str] = set()
        self.passed: dict[str, int] = {}  # instruction id -> index, for instructions the walker has passed
        self.progress_m = 0.0  # the phone's last known progress on the route

    def send(self, message: dict[str, Any]) -> None:
        self.ws.send(json.dumps(message))

    def receive_until(self, kinds: set[str]) -> list[dict[str, Any]]:
        received = []
        while True:
            frame = self.ws.receive(timeout=30)
            if frame is None:
                raise TimeoutError("the server did not answer within 30 s")
            received.append(self._take(json.loads(frame)))
            if received[-1]["type"] in kinds:
                return received

    def drain(self) -> list[dict[str, Any]]:
        """Messages already sent, without waiting for more than a moment."""
        received = []
        while (frame := self.ws.receive(timeout=0.3)) is not None:
            received.append(self._take(json.loads(frame)))
        return received

    def _take(self, message: dict[str, Any]) -> dict[str, Any]:
        if self.on_message:
            self.on_message(message)
        if message["type"] == "instruction" and message.get("instruction_index") is not None:
            if message["id"] in self.said:
                self.repeats.add(message["id"])
            self.said.add(message["id"])
            instruction_id, _, phase = message["id"].rpartition(":")
            if phase == "now" and instruction_id in self.passed:  # "now" after the walker passed the spot
                self.summary.late.append(self.passed[instruction_id])
        return message

    def _connect(self) -> Client:
        return Client.connect(self.url + GUIDE_PATH)

    def reconnect(self, route: dict[str, Any]) -> None:
        """Drop the connection and resume on a new one where the phone thinks it is."""
        self.ws.close()
        self.summary.reconnects += 1
        self.ws = self._connect()
        self.send({"type": "start", "route_id": route["route_id"], "progress_m": round(self.progress_m, 1),
                   "said": sorted(self.said)})
        self.receive_until({"started"})
        self.drain()

    def close(self) -> None:
        try:
            self.ws.close()
        except ConnectionClosed:
            pass


def _judge(summary: Summary, client: _Connection, route: dict[str, Any], index: int) -> None:
    """An instruction the walker has just passed: said at the spot before it, or missed."""
    instruction_id = route["instructions"][index]["id"]
    client.passed[instruction_id] = index
    summary.instructions += 1
    summary.prepared_before += f"{instruction_id}:prepare" in client.said
    if f"{instruction_id}:now" in client.said:
        summary.announced_now_before += 1
    else:
        summary.missed.append(index)


def _detour(walker: _Walker, route: dict[str, Any], detour_at_m: float | None,
            wrong_way: WrongWay | None) -> tuple[float, _Walker] | None:
    """Where the walker leaves the route and the way it takes: the caller's, or straight away at right angles."""
    if wrong_way is not None:
        taken = wrong_way(route)
        if taken is None:
            return None
        at, points = taken
        return at, _Walker([p[0] for p in points], [p[1] for p in points])
    if detour_at_m is None:
        return None
    x, y, bearing = walker.at(detour_at_m)
    away = _away(walker, x, y, bearing)
    end_x = x + (DETOUR_LENGTH_M + 40) * math.sin(math.radians(away))
    end_y = y + (DETOUR_LENGTH_M + 40) * math.cos(math.radians(away))
    (lat0, lon0), (lat1, lon1) = walker.latlon(x, y), walker.latlon(end_x, end_y)
    return detour_at_m, _Walker([lat0, lat1], [lon0, lon1])


def wrong_turn(graph: Any, route: dict[str, Any], after_m: float, length_m: float = DETOUR_LENGTH_M + 40
               ) -> tuple[float, list[tuple[float, float]]] | None:
    """At the first junction after `after_m` where the route turns, the way a walker takes by mistake: the one
    nearest to straight on that is not the route's, followed for `length_m`, straightest at every junction, where
    it leads away from the route (`WRONG_WAY_CHECKS_M`, `WRONG_WAY_AWAY_SHARE`).
    Returns (where it leaves the route, metres from the start; its lat/lon points), None without such a junction."""
    pieces = route["edges"]
    route_edges = {piece["edge"] for piece in pieces}
    route_line = _walker_for(route)
    for before, after in zip(pieces, pieces[1:]):
        if before["start_m"] + before["length_m"] < after_m or before["edge"] == after["edge"]:
            continue
        node = int(graph.edge_v[before["edge"]] if before["forward"] else graph.edge_u[before["edge"]])
        arriving = (_leaving_bearing(graph, before["edge"], node) + 180) % 360  # the walking direction
        onward = _leaving_bearing(graph, after["edge"], node)
        if _angle(onward, arriving) < 40:
            continue  # the route goes on straight here
        others = [int(e) for e in graph.edges_at(node) if int(e) not in route_edges
                  and _angle(_leaving_bearing(graph, int(e), node), onward) > 40
                  and _angle(_leaving_bearing(graph, int(e), node), arriving) < 60]
        if not others:
            continue
        edge = min(others, key=lambda e: _angle(_leaving_bearing(graph, e, node), arriving))
        points, walked = [(float(graph.node_lat[node]), float(graph.node_lon[node]))], 0.0
        while walked < length_m:
            line = graph.edge_latlon(edge)
            points += (line if int(graph.edge_u[edge]) == node else line[::-1])[1:]
            walked += float(graph.edge_length[edge])
            previous, node = edge, graph.other_end(edge, node)
            heading = (_leaving_bearing(graph, previous, node) + 180) % 360
            onward_edges = [int(e) for e in graph.edges_at(node) if int(e) != previous]
            if not onward_edges:
                break
            edge = min(onward_edges, key=lambda e: _angle(_leaving_bearing(graph, e, node), heading))
        taken = _Walker([p[0] for p in points], [p[1] for p in points])
        if any(route_line.distance_to_line(*route_line.xy(*taken.latlon(*taken.at(walked)[:2])))
               < WRONG_WAY_AWAY_SHARE * walked for walked in WRONG_WAY_CHECKS_M):
            continue  # back on the route or beside it: try the next junction
        return before["start_m"] + before["length_m"], points
    return None


def _leaving_bearing(graph: Any, edge: int, node: int) -> float:
    """The direction in which `edge` leaves `node`, over its first geometry segment."""
    line = graph.edge_latlon(edge)
    if int(graph.edge_u[edge]) != node:
        line = line[::-1]
    (lat0, lon0), (lat1, lon1) = line[0], line[1]
    return math.degrees(math.atan2((lon1 - lon0) * math.cos(math.radians(lat0)), lat1 - lat0)) % 360


def _angle(a: float, b: float) -> float:
    """The angle between two bearings, 0 to 180 degrees."""
    return abs((a - b + 180) % 360 - 180)


def _away(walker: _Walker, x: float, y: float, bearing: float) -> float:
    """The wrong turn's direction: left or right of the route, whichever leads farther from all of it."""
    def reach(direction: float) -> float:
        return walker.distance_to_line(x + DETOUR_LENGTH_M * math.sin(math.radians(direction)),
                                       y + DETOUR_LENGTH_M * math.cos(math.radians(direction)))

    return max(((bearing + 90) % 360, (bearing - 90) % 360), key=reach)


def _walker_for(route: dict[str, Any]) -> _Walker:
    coordinates = route["geometry"]["coordinates"]
    return _Walker([c[1] for c in coordinates], [c[0] for c in coordinates])


def _pending(route: dict[str, Any]) -> dict[int, float]:
    """Instructions that must be announced, by index, with the distance where they apply."""
    return {index: instruction["distance_m"] for index, instruction in enumerate(route["instructions"])
            if index > 0 and instruction["type"] not in ("landmark", "arrive")}
