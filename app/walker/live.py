"""Live guidance over a WebSocket (`/ws/guide`): JSON text frames, protocol in docs/protocol.md.

Each connection runs in its own thread; a `LiveConnection` validates frames, keeps one `GuidanceSession` and turns
its updates into messages. Bad frames get an `error` message and the session lives on; a flood is throttled.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from flask import current_app

from app.core import websocket
from app.core.encoding import dumps
from app.core.errors import frame_error
from app.core.inputs import validate
from app.core.language import Language, current_language, resolve
from app.core.websocket import ConnectionClosed, WebSocket
from app.walker.planning import (
    RouteFields,
    RouteStore,
    StoredRoute,
    plan_and_store,
    replan,
    reword,
    route_request,
    route_store,
    wants_edge_detail,
)
from app.walker.speech import Prerender, audio_url
from routing.errors import LotseError
from routing.matching import WalkNetwork
from routing.numbers import finite_number
from routing.tracking import MAX_ACCURACY_M, Announcement, Fix, GuidanceSession, announcement_id, parse_announcement_id

MAX_SAID = 2000  # announcement ids a resuming phone may send (a long route has a few hundred)
# On shutdown phones are told to come back within this window, spread so that a thousand do not come at once.
RECONNECT_SPREAD_MS = (500, 3000)
SERVICE_RESTART = 1012  # the WebSocket close code for "the server restarts" (RFC 6455 registry)
GUIDE_PATH = "/ws/guide"
log = logging.getLogger(__name__)


class LiveConnection:
    """One walker's WebSocket: frames in, messages out through `send`."""

    def __init__(self, app: Any, send: Callable[[str], None], language: Language,
                 close: Callable[[int, str], None] | None = None) -> None:
        self.app = app
        self.send_text = send
        self.close_socket = close
        self.edge_detail = False  # routes in messages with their `edges` (the start message's `detail`)
        self.session: GuidanceSession | None = None
        self.stored: StoredRoute | None = None
        self.prerendering: Prerender | None = None  # this walker's route audio, cancelled when the socket closes
        self.language = language
        self.closed = False
        self._last_timestamp: float | None = None
        self._rate = float(app.config["LIVE_FRAMES_PER_SECOND"])
        self._max_frame_bytes = int(app.config["LIVE_MAX_FRAME_BYTES"])
        self._tokens = self._rate
        self._refilled = time.monotonic()
        self._throttled_at = 0.0
        self._reports_told: set[int] = set()  # confirmed reports this walker was warned of
        # Frames come from the socket's thread, report news from a request thread: one at a time per walker.
        self._lock = threading.RLock()

    # -------------------------------------------------------------------------------------------- frames
    def handle(self, frame: str | bytes) -> None:
        """Process one frame; every problem becomes an `error` message."""
        if not self._allow_frame():
            return
        with self._lock:
            self._handle(frame)

    def _handle(self, frame: str | bytes) -> None:
        try:
            if len(frame) > self._max_frame_bytes:
                raise LotseError("Frame too large", code="too_large")
            try:
                message = json.loads(frame)
            except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: absurdly deep nesting
                raise LotseError("Frame is not JSON", code="bad_json") from None
            if not isinstance(message, dict) or not isinstance(message.get("type"), str):
                raise LotseError("A message is a JSON object with a type", code="bad_message")
            handler = getattr(self, f"_on_{message['type']}", None)
            if handler is None:
                raise LotseError(f"Unknown message type {message['type']!r}", code="unknown_type", name=message["type"])
            handler(message)
        except LotseError as exc:
            self._error(exc)
        except ConnectionClosed:
            raise  # the walker has gone: nothing to answer
        except Exception:  # a bug must cost the walker one answer, never the session
            log.exception("Live frame failed")
            self._error(LotseError(code="internal", status=500))

    def _allow_frame(self) -> bool:
        """Token bucket of LIVE_FRAMES_PER_SECOND frames a second; beyond it frames are dropped with one error a
        second, so a flood costs the server almost nothing."""
        now = time.monotonic()
        self._tokens = min(self._rate, self._tokens + (now - self._refilled) * self._rate)
        self._refilled = now
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        if now - self._throttled_at >= 1.0:
            self._throttled_at = now
            self._error(LotseError(code="too_many_frames"))
        return False

    # ------------------------------------------------------------------------------------------ messages
    def _on_start(self, message: dict[str, Any]) -> None:
        language = resolve(message.get("lang"), self.language, "bad_message")
        edge_detail = wants_edge_detail(message.get("detail"), "bad_field")
        store: RouteStore = self.app.extensions["lotse.routes"]
        replanned = False  # the route id was unknown: a new route from where the walker is
        if "route_id" in message:
            if not isinstance(message["route_id"], str):
                raise LotseError("route_id must be a string", code="bad_field", field="route_id")
            stored = store.get(message["route_id"])
            if stored is None and "to" not in message:
                raise LotseError("No route with this id (plan it again)", code="unknown_route")
            if stored is None:  # evicted, or planned by another process: the destination is enough
                stored, replanned = self._plan(message, language), True
            elif stored.request.language != language and "lang" in message:
                stored = reword(self.app, stored, language)
        else:
            stored = self._plan(message, language)
        self.stored = stored
        self.language = stored.request.language
        self.edge_detail = edge_detail
        # A route read back from elsewhere (without its map matcher) is on the map served now.
        network = stored.network or self.app.extensions["lotse.network"]
        index = network.index
        progress = message.get("progress_m")
        if progress is not None and not replanned:
            progress = _number(message, "progress_m", 0, stored.route.distance_m + 1.0)  # JSON rounds to 0.1 m
            said = _said(message, stored.route.route_id)
        self.session = GuidanceSession(stored.route, stored.route.instructions, index.project, self.language.code,
                                       stored.request.wording, network)
        self._last_timestamp = None
        self._send({"type": "started", "route": stored.route.to_dict(self.edge_detail)})
        if progress is None:
            for announcement in self.session.start():
                self._announce(announcement)
        elif replanned:
            # Under way: the new route starts here, so nothing passed is on it; its ids are new, so the phone's
            # `said` cannot name them (the phone carries them over itself, docs/protocol.md).
            self.session.resume_replanned()
        else:  # resuming a walk under way: nothing already passed or already said is said again
            self.session.resume(progress, said)
        speech = self.app.extensions.get("lotse.speech")
        if speech is not None:
            if self.prerendering is not None:
                self.prerendering.cancel()
            self.prerendering = speech.prerender([i.text for i in stored.route.instructions], self.language.code)

    def _plan(self, message: dict[str, Any], language: Language) -> StoredRoute:
        """The route a `start` describes (`from`, `to`, `profile`, `prefs`, `guidance`), planned and stored."""
        return plan_and_store(self.app, route_request(validate(RouteFields, message, code="bad_field"), language))

    def _on_position(self, message: dict[str, Any]) -> None:
        if self.session is None:
            raise LotseError("Send start before positions", code="not_started")
        fix = _fix(message)
        if self._last_timestamp is not None and fix.timestamp_ms < self._last_timestamp:
            raise LotseError("Timestamps must not go backwards", code="bad_timestamp")
        self._last_timestamp = fix.timestamp_ms
        started = time.perf_counter()
        update = self.session.update(fix)
        for announcement in update.announcements:
            self._announce(announcement)
        if update.off_route is not None:
            self._send({"type": "off_route", "text": update.off_route})
            self._reroute(fix)
        if update.arrived is not None:
            self._send({"type": "arrived", "text": update.arrived})
        progress = update.progress
        self._send({"type": "progress", "remaining_m": progress.remaining_m,
                    "next_maneuver_m": progress.next_maneuver_m, "on_route": progress.on_route,
                    "arrived": progress.arrived,
                    "server_ms": round((time.perf_counter() - started) * 1000, 3)})

    def _reroute(self, fix: Fix) -> None:
        try:
            new = replan(self.app, self.stored, origin=(fix.lat, fix.lon))
        except LotseError as exc:
            self._error(exc)
            return
        self.stored = new
        text = self.session.reroute(new.route, new.route.instructions)
        self._send({"type": "rerouted", "route": new.route.to_dict(self.edge_detail), "text": text})

    def report_confirmed(self, report: dict[str, Any]) -> None:
        """A report was confirmed: if it lies on the rest of this walker's route, say so and plan again."""
        with self._lock:
            session = self.session
            if session is None or session.arrived or session.last_fix is None:
                return
            ahead = [piece for piece in session.route.edges
                     if piece.edge == report.get("edge") and piece.start_m + piece.length_m >= session.progress_m]
            # News heard again after the bus was cut off (`confirmed_since`) may be news this walker was told.
            if not ahead or report.get("id") in self._reports_told:
                return
            self._reports_told.add(report.get("id"))
            warnings = self.language.phrases["guidance"]["warning"]
            warning = warnings.get(report.get("type"), warnings["other"])
            self._instruction("warning", None, session.phrase("report_on_route", warning=warning))
            self._reroute(session.last_fix)

    def _on_repeat(self, message: dict[str, Any]) -> None:
        if self.session is None or self.session.last_text is None:
            raise LotseError("Nothing has been said yet", code="not_started")
        self._instruction("info", None, self.session.last_text)

    def _on_where_am_i(self, message: dict[str, Any]) -> None:
        if self.session is None:
            raise LotseError("Send start first", code="not_started")
        self._instruction("info", None, self.session.where_am_i(self.session.last_fix))

    def _on_pause(self, message: dict[str, Any]) -> None:
        if self.session is None:
            raise LotseError("Send start first", code="not_started")
        self.session.paused = True
        self._instruction("info", None, self.session.phrase("paused"))

    def _on_resume(self, message: dict[str, Any]) -> None:
        if self.session is None:
            raise LotseError("Send start first", code="not_started")
        self.session.paused = False
        self._instruction("info", None, self.session.phrase("resumed"))

    def _on_stop(self, message: dict[str, Any]) -> None:
        if self.session is not None:
            self._instruction("info", None, self.session.phrase("stopped"))
        self.session = None
        self.closed = True

    # ------------------------------------------------------------------------------------------- output
    def _announce(self, announcement: Announcement) -> None:
        """A route instruction, with its stable id: the phone says each id once, across reconnects."""
        said_id = announcement_id(self.session.route.route_id, announcement.index, announcement.phase)
        self._instruction(announcement.kind, announcement.index, announcement.text, said_id)

    def _instruction(self, kind: str, index: int | None, text: str, said_id: str | None = None) -> None:
        """An instruction message; answers to requests get an id of their own, never one said before."""
        self._send({"type": "instruction", "id": said_id or f"answer-{uuid.uuid4().hex[:12]}", "kind": kind,
                    "text": text, "audio_url": audio_url(text, self.language.code), "instruction_index": index})

    def _error(self, exc: LotseError) -> None:
        self._send(frame_error(exc, self.language))

    def _send(self, message: dict[str, Any]) -> None:
        self.send_text(dumps(message))

    def ask_to_reconnect(self) -> None:
        """The server is shutting down: tell the phone to connect again (it resumes with its route id, progress
        and said ids, so nothing is repeated), then close the socket. Between two frames, never within one."""
        with self._lock:
            delay = random.randint(*RECONNECT_SPREAD_MS)
            try:
                self._send({"type": "reconnect", "reason": "server_restart", "retry_after_ms": delay})
                if self.close_socket is not None:
                    self.close_socket(SERVICE_RESTART, "server restart")
            except ConnectionClosed:
                pass  # gone already
            self.closed = True


def _number(message: dict[str, Any], key: str, low: float, high: float, required: bool = True) -> float | None:
    value = message.get(key)
    if value is None and not required:
        return None
    number = finite_number(value)
    if number is None or not low <= number <= high:
        raise LotseError(f"{key} must be a number from {low:g} to {high:g}", code="bad_field", field=key)
    return number


def _said(message: dict[str, Any], route_id: str) -> set[tuple[int, str]]:
    """The `said` list of a resuming `start`: ids of announcements the phone has said (other routes' are ignored)."""
    said = message.get("said", [])
    if not isinstance(said, list) or len(said) > MAX_SAID or not all(isinstance(item, str) for item in said):
        raise LotseError(f"said must be a list of at most {MAX_SAID} ids", code="bad_field", field="said")
    return {parsed for item in said if (parsed := parse_announcement_id(route_id, item)) is not None}


def _fix(message: dict[str, Any]) -> Fix:
    lat, lon = _number(message, "lat", -90, 90), _number(message, "lon", -180, 180)
    accuracy = finite_number(message.get("accuracy_m"))
    if accuracy is not None and accuracy > MAX_ACCURACY_M:
        raise LotseError("Accuracy too low to guide", code="imprecise_position", limit_m=round(MAX_ACCURACY_M))
    return Fix(
        lat=lat,
        lon=lon,
        accuracy_m=_number(message, "accuracy_m", 0.1, MAX_ACCURACY_M),
        timestamp_ms=_number(message, "timestamp", 0, 1e15),
        heading_deg=_number(message, "heading_deg", 0, 360, required=False),
        speed_mps=_number(message, "speed_mps", 0, 50, required=False),
    )


def ask_everyone_to_reconnect(app: Any) -> int:
    """On shutdown: every live socket of this process is told to reconnect and closed; returns how many."""
    connections = list(app.extensions["lotse.connections"])
    for connection in connections:
        connection.ask_to_reconnect()
    return len(connections)


def register(app: Any) -> None:
    """Attach the WebSocket route and the live-guidance state to the app."""
    app.extensions["lotse.routes"] = route_store(app)  # in Redis when REDIS_URL is set: every process sees them
    app.extensions["lotse.connections"] = set()
    app.extensions["lotse.network"] = WalkNetwork(app.extensions["lotse.index"])  # for map matching the walkers
    def tell_walkers(report: dict[str, Any]) -> None:
        for connection in list(app.extensions["lotse.connections"]):
            connection.report_confirmed(report)

    app.extensions.setdefault("lotse.report_listeners", []).append(tell_walkers)
    websocket.route(app, GUIDE_PATH, guide)


def guide(ws: WebSocket) -> None:
    """One walker's live guidance."""
    app = current_app._get_current_object()
    connection = LiveConnection(app, ws.send, current_language(), ws.close)
    connections: set = app.extensions["lotse.connections"]
    connections.add(connection)
    try:
        while not connection.closed:
            connection.handle(ws.receive())
    except ConnectionClosed:
        pass
    except Exception:  # never let Flask answer with HTTP on a socket that is already a WebSocket
        log.exception("Live connection failed")
    finally:
        connections.discard(connection)
        if connection.prerendering is not None:
            connection.prerendering.cancel()
