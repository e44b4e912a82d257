"""Live guidance over a WebSocket (`/ws/guide`): JSON text frames, protocol in docs/protocol.md.

Each connection runs in its own thread; a `LiveConnection` validates frames, keeps one `GuidanceSession` and turns
its updates into messages. Bad frames get an `error` message and the session lives on; a flood is throttled.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_sock import Sock

from app.core.errors import LANGUAGES, messages
from app.walker.speech import audio_url
from app.core.usage import route_planned
from routing.errors import LotseError
from routing.guidance.wording import WordingOptions
from routing.phrases import load_table
from routing.plan import plan_route
from routing.route import Route
from routing.tracking import MAX_ACCURACY_M, Fix, GuidanceSession

sock = Sock()

MAX_FRAME_BYTES = 64 * 1024
FRAMES_PER_SECOND = 20
ROUTE_STORE_SIZE = 2000


@dataclass
class StoredRoute:
    """A planned route and what it was planned with, so a walker can start on it and be re-routed alike."""

    route: Route
    destination: tuple[float, float]
    profile: str
    prefs: dict[str, Any] | None
    lang: str
    wording: WordingOptions


class RouteStore:
    """The most recently planned routes by id (bounded; old ones are forgotten)."""

    def __init__(self, size: int = ROUTE_STORE_SIZE) -> None:
        self._routes: OrderedDict[str, StoredRoute] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def add(self, stored: StoredRoute) -> None:
        with self._lock:
            self._routes[stored.route.route_id] = stored
            if len(self._routes) > self._size:
                self._routes.popitem(last=False)

    def get(self, route_id: str) -> StoredRoute | None:
        with self._lock:
            return self._routes.get(route_id)


class FrameError(LotseError):
    """A frame the protocol does not allow; `code` names the problem."""

    def __init__(self, code: str, message: str, **params: object) -> None:
        super().__init__(message, **params)
        self.code = code


class LiveConnection:
    """One walker's WebSocket: frames in, messages out through `send`."""

    def __init__(self, app: Any, send: Callable[[str], None]) -> None:
        self.app = app
        self.send_text = send
        self.session: GuidanceSession | None = None
        self.stored: StoredRoute | None = None
        self.lang = "de"
        self.closed = False
        self._next_id = 0
        self._last_timestamp: float | None = None
        self._rate = float(app.config.get("LIVE_FRAMES_PER_SECOND", FRAMES_PER_SECOND))
        self._tokens = self._rate
        self._refilled = time.monotonic()
        self._throttled_at = 0.0
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
            if len(frame) > MAX_FRAME_BYTES:
                raise FrameError("too_large", "Frame over 64 KB")
            try:
                message = json.loads(frame)
            except (ValueError, UnicodeDecodeError):
                raise FrameError("bad_json", "Frame is not JSON") from None
            if not isinstance(message, dict) or not isinstance(message.get("type"), str):
                raise FrameError("bad_message", "A message is a JSON object with a type")
            handler = getattr(self, f"_on_{message['type']}", None)
            if handler is None:
                raise FrameError("unknown_type", f"Unknown message type {message['type']!r}", name=message["type"])
            handler(message)
        except LotseError as exc:
            self._error(exc.code, exc.params)

    def _allow_frame(self) -> bool:
        """Token bucket of 20 frames a second (LIVE_FRAMES_PER_SECOND); beyond it frames are dropped with one error a
        second, so a flood costs the server almost nothing."""
        now = time.monotonic()
        self._tokens = min(self._rate, self._tokens + (now - self._refilled) * self._rate)
        self._refilled = now
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        if now - self._throttled_at >= 1.0:
            self._throttled_at = now
            self._error("too_many_frames", {})
        return False

    # ------------------------------------------------------------------------------------------ messages
    def _on_start(self, message: dict[str, Any]) -> None:
        lang = message.get("lang", self.lang)
        if lang not in LANGUAGES:
            raise FrameError("bad_message", "lang must be de or en", field="lang")
        self.lang = lang
        store: RouteStore = self.app.extensions["lotse.routes"]
        if "route_id" in message:
            stored = store.get(str(message["route_id"]))
            if stored is None:
                raise FrameError("unknown_route", "No route with this id (plan it again)")
            if stored.lang != lang and "lang" in message:
                stored = self._plan(stored.route.lat[0], stored.route.lon[0], stored.destination, stored.profile,
                                    stored.prefs, lang, stored.wording)
        else:
            origin, destination = _position(message, "from"), _position(message, "to")
            wording = WordingOptions(**wording_options(message))
            stored = self._plan(*origin, destination, message.get("profile"), message.get("prefs"), lang, wording)
        self.stored = stored
        self.lang = stored.lang
        index = self.app.extensions["lotse.index"]
        progress = message.get("progress_m")
        if progress is not None:
            progress = _number(message, "progress_m", 0, stored.route.distance_m + 1.0)  # JSON rounds to 0.1 m
        self.session = GuidanceSession(stored.route, stored.route.instructions, index.project, self.lang,
                                       stored.wording)
        self._last_timestamp = None
        self._send({"type": "started", "route": stored.route.to_dict()})
        if progress is None:
            for announcement in self.session.start():
                self._instruction(announcement.kind, announcement.index, announcement.text)
        else:  # resuming a walk under way: nothing already passed is said again
            self.session.resume(progress)
        speech = self.app.extensions.get("lotse.speech")
        if speech is not None:
            speech.prerender([i.text for i in stored.route.instructions], self.lang)

    def _plan(self, lat: float, lon: float, destination: tuple[float, float], profile: str | None,
              prefs: dict[str, Any] | None, lang: str, wording: WordingOptions) -> StoredRoute:
        route = plan_route(self.app.extensions["lotse.planner"], (lat, lon), destination, profile, prefs, lang,
                           self.app.extensions["lotse.obstacles"](), wording)
        stored = StoredRoute(route, (float(destination[0]), float(destination[1])), route.profile, prefs, lang, wording)
        self.app.extensions["lotse.routes"].add(stored)
        route_planned(self.app, route)  # anonymous usage counts (app.usage)
        return stored

    def _on_position(self, message: dict[str, Any]) -> None:
        if self.session is None:
            raise FrameError("not_started", "Send start before positions")
        fix = _fix(message)
        if self._last_timestamp is not None and fix.timestamp_ms < self._last_timestamp:
            raise FrameError("bad_timestamp", "Timestamps must not go backwards")
        self._last_timestamp = fix.timestamp_ms
        started = time.perf_counter()
        update = self.session.update(fix)
        for announcement in update.announcements:
            self._instruction(announcement.kind, announcement.index, announcement.text)
        if update.off_route is not None:
            self._send({"type": "off_route", "text": update.off_route})
            self._reroute(fix)
        if update.arrived is not None:
            self._send({"type": "arrived", "text": update.arrived})
        progress = update.progress
        self._send({"type": "progress", "remaining_m": progress.remaining_m,
                    "next_maneuver_m": progress.next_maneuver_m, "on_route": progress.on_route,
                    "server_ms": round((time.perf_counter() - started) * 1000, 3)})

    def _reroute(self, fix: Fix) -> None:
        stored = self.stored
        try:
            new = self._plan(fix.lat, fix.lon, stored.destination, stored.profile, stored.prefs, stored.lang,
                             stored.wording)
        except LotseError as exc:
            self._error(exc.code, exc.params)
            return
        self.stored = new
        text = self.session.reroute(new.route, new.route.instructions)
        self._send({"type": "rerouted", "route": new.route.to_dict(), "text": text})

    def report_confirmed(self, report: dict[str, Any]) -> None:
        """A report was confirmed: if it lies on the rest of this walker's route, say so and plan again."""
        with self._lock:
            session = self.session
            if session is None or session.arrived or session.last_fix is None:
                return
            ahead = [piece for piece in session.route.edges
                     if piece.edge == report.get("edge") and piece.start_m + piece.length_m >= session.progress_m]
            if not ahead:
                return
            warnings = load_table(self.lang)["guidance"]["warning"]
            warning = warnings.get(report.get("type"), warnings["other"])
            self._instruction("warning", None, session.phrase("report_on_route", warning=warning))
            self._reroute(session.last_fix)

    def _on_repeat(self, message: dict[str, Any]) -> None:
        if self.session is None or self.session.last_text is None:
            raise FrameError("not_started", "Nothing has been said yet")
        self._instruction("info", None, self.session.last_text)

    def _on_where_am_i(self, message: dict[str, Any]) -> None:
        if self.session is None:
            raise FrameError("not_started", "Send start first")
        self._instruction("info", None, self.session.where_am_i(self.session.last_fix))

    def _on_pause(self, message: dict[str, Any]) -> None:
        if self.session is None:
            raise FrameError("not_started", "Send start first")
        self.session.paused = True
        self._instruction("info", None, self.session.phrase("paused"))

    def _on_resume(self, message: dict[str, Any]) -> None:
        if self.session is None:
            raise FrameError("not_started", "Send start first")
        self.session.paused = False
        self._instruction("info", None, self.session.phrase("resumed"))

    def _on_stop(self, message: dict[str, Any]) -> None:
        if self.session is not None:
            self._instruction("info", None, self.session.phrase("stopped"))
        self.session = None
        self.closed = True

    # ------------------------------------------------------------------------------------------- output
    def _instruction(self, kind: str, index: int | None, text: str) -> None:
        self._next_id += 1
        self._send({"type": "instruction", "id": str(self._next_id), "kind": kind, "text": text,
                    "audio_url": audio_url(text, self.lang), "instruction_index": index})

    def _error(self, code: str, params: dict[str, Any]) -> None:
        table = messages(self.lang)
        template = table.get(code) or table["bad_message"]
        try:
            text = template.format(**params)
        except (KeyError, IndexError):
            text = table["bad_message"]
        self._send({"type": "error", "code": code, "message": text})

    def _send(self, message: dict[str, Any]) -> None:
        self.send_text(json.dumps(message, ensure_ascii=False))


def _number(message: dict[str, Any], key: str, low: float, high: float, required: bool = True) -> float | None:
    value = message.get(key)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not low <= value <= high:
        raise FrameError("bad_field", f"{key} must be a number from {low:g} to {high:g}", field=key)
    return float(value)


def _position(message: dict[str, Any], key: str) -> tuple[float, float]:
    value = message.get(key)
    if not isinstance(value, dict):
        raise FrameError("bad_field", f"{key} must be an object with lat and lon", field=key)
    return _number(value, "lat", -90, 90), _number(value, "lon", -180, 180)


def _fix(message: dict[str, Any]) -> Fix:
    lat, lon = _position({"position": message}, "position")
    accuracy = message.get("accuracy_m")
    if isinstance(accuracy, (int, float)) and not isinstance(accuracy, bool) and accuracy > MAX_ACCURACY_M:
        raise FrameError("imprecise_position", "Accuracy too low to guide", limit_m=round(MAX_ACCURACY_M))
    return Fix(
        lat=lat,
        lon=lon,
        accuracy_m=_number(message, "accuracy_m", 0.1, MAX_ACCURACY_M),
        timestamp_ms=_number(message, "timestamp", 0, 1e15),
        heading_deg=_number(message, "heading_deg", 0, 360, required=False),
        speed_mps=_number(message, "speed_mps", 0, 50, required=False),
    )


def wording_options(message: dict[str, Any]) -> dict[str, Any]:
    options = message.get("guidance") or {}
    if not isinstance(options, dict):
        raise FrameError("bad_field", "guidance must be an object", field="guidance")
    allowed = {"verbosity", "clock_face", "step_length_m"}
    unknown = set(options) - allowed
    if unknown:
        raise FrameError("bad_field", "Unknown guidance option", field=sorted(unknown)[0])
    if options.get("verbosity", "normal") not in ("brief", "normal", "detailed"):
        raise FrameError("bad_field", "verbosity must be brief, normal or detailed", field="verbosity")
    if "clock_face" in options and not isinstance(options["clock_face"], bool):
        raise FrameError("bad_field", "clock_face must be true or false", field="clock_face")
    if options.get("step_length_m") is not None:
        _number(options, "step_length_m", 0.3, 1.5)
    return options


def register(app: Any) -> None:
    """Attach the WebSocket route and the live-guidance state to the app."""
    app.config.setdefault("SOCK_SERVER_OPTIONS", {"ping_interval": 25, "max_message_size": 1024 * 1024})
    app.extensions["lotse.routes"] = RouteStore()
    app.extensions["lotse.connections"] = set()
    def tell_walkers(report: dict[str, Any]) -> None:
        for connection in list(app.extensions["lotse.connections"]):
            connection.report_confirmed(report)

    app.extensions.setdefault("lotse.report_listeners", []).append(tell_walkers)
    sock.init_app(app)


@sock.route("/ws/guide")
def guide(ws: Any) -> None:
    """One walker's live guidance."""
    app = current_app._get_current_object()
    connection = LiveConnection(app, ws.send)
    connections: set = app.extensions["lotse.connections"]
    connections.add(connection)
    try:
        while not connection.closed:
            frame = ws.receive()
            if frame is None:
                break
            connection.handle(frame)
    finally:
        connections.discard(connection)
