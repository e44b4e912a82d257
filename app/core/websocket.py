"""The server side of a WebSocket, read by the request's own greenlet or thread: what flask-sock (simple-websocket)
did for live guidance, at less than half the cost per message.

simple-websocket reads each socket in a second greenlet that hands every message over through an Event, and with
pings on it waits for each message in a selector made anew for each wait: three greenlet switches, a selector and an
Event per fix, a second greenlet's stack per walker. Here the handler reads its socket itself (wsproto parses the
frames, as it did under simple-websocket), and one greenlet or thread per process pings every socket
(`Pinger`): a socket whose pong has not come by the next ping is closed, as simple-websocket did.

The behaviour on the wire is simple-websocket's: no subprotocol, text messages as str, fragments joined, a message
over `max_message_bytes` closes the socket (1009), a frame that breaks the protocol gets the close code wsproto names
for it, a ping its pong, a close its answer. No extension is accepted, per-message deflate neither, whatever the
phone offers: live guidance's messages are a few hundred bytes, which deflate hardly shrinks (a progress message: 112
to 104), yet each socket would keep a zlib compressor and decompressor for its lifetime (85 MB resident for 1000
compressors alone) and pay zlib on every message.
"""

from __future__ import annotations

import socket
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, Response, request
from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Ping,
    Pong,
    Request,
    TextMessage,
)
from wsproto.frame_protocol import CloseReason
from wsproto.utilities import LocalProtocolError

RECEIVE_BYTES = 4096  # a fix is about 150 bytes; a start with a resume list a few kB


class ConnectionClosed(Exception):
    """The socket is closed (by the other side, by a protocol error or by us)."""


class WebSocket:
    """A WebSocket accepted on the request's socket (`accept`); `receive` and `send` from the handler, `send` and
    `close` also from other greenlets or threads (one at a time: the send lock)."""

    def __init__(self, sock: Any, max_message_bytes: int | None) -> None:
        self._sock = sock
        self._protocol = WSConnection(ConnectionType.SERVER)
        self._max_message_bytes = max_message_bytes
        self._received: deque[str | bytes] = deque()  # whole messages not yet returned by `receive`
        self._fragments: list[str | bytes] = []  # of a message not yet finished
        self._fragments_bytes = 0
        self._send_lock = threading.Lock()  # a frame is written whole before the next (a greenlet may yield mid-send)
        self.connected = False
        self.pong_received = True

    # ------------------------------------------------------------------------------------------ handshake
    def accept(self, environ: dict[str, Any]) -> None:
        """Answer the upgrade request (already parsed by the WSGI server) with 101 Switching Protocols."""
        lines = [b"GET / HTTP/1.1\r\n"]
        for key, value in environ.items():
            if key.startswith("HTTP_"):
                header = "-".join(part.capitalize() for part in key[5:].split("_"))
                lines.append(f"{header}: {value}\r\n".encode())
        lines.append(b"\r\n")
        self._protocol.receive_data(b"".join(lines))
        for event in self._protocol.events():
            if isinstance(event, Request):
                self._sock.sendall(self._protocol.send(AcceptConnection()))
                self.connected = True
        if not self.connected:
            raise ValueError("Not a WebSocket handshake")

    # --------------------------------------------------------------------------------------------- frames
    def receive(self) -> str | bytes:
        """The next whole message; ConnectionClosed when the socket closes before one comes."""
        while not self._received:
            if not self.connected:
                raise ConnectionClosed()
            try:
                data = self._sock.recv(RECEIVE_BYTES)
            except OSError:  # reset, or closed by `close` (a failed ping) from elsewhere
                data = b""
            if not data:
                self.connected = False
                raise ConnectionClosed()
            try:
                self._protocol.receive_data(data)
                self._handle_events()
            except LocalProtocolError:  # data after the close: nothing more to read
                self.connected = False
        return self._received.popleft()

    def _handle_events(self) -> None:
        for event in self._protocol.events():
            if isinstance(event, (TextMessage, BytesMessage)):
                if self._max_message_bytes and self._fragments_bytes + len(event.data) > self._max_message_bytes:
                    self.close(CloseReason.MESSAGE_TOO_BIG, "Message is too big")
                    return
                if event.message_finished and not self._fragments:
                    self._received.append(event.data)  # the usual case: a message in one frame
                    continue
                self._fragments.append(event.data)
                self._fragments_bytes += len(event.data)
                if event.message_finished:
                    self._received.append(("" if isinstance(event, TextMessage) else b"").join(self._fragments))
                    self._fragments, self._fragments_bytes = [], 0
            elif isinstance(event, Ping):
                self._write(event.response())
            elif isinstance(event, Pong):
                self.pong_received = True
            elif isinstance(event, CloseConnection):  # from the phone, or a frame that broke the protocol
                self._write(event.response())
                self.connected = False
                return

    # ---------------------------------------------------------------------------------------------- output
    def send(self, data: str | bytes) -> None:
        """Send a text message (a str) or a binary one (bytes); ConnectionClosed when the socket is closed."""
        if not self.connected:
            raise ConnectionClosed()
        self._write(BytesMessage(data=data) if isinstance(data, bytes) else TextMessage(data=data))

    def ping(self) -> None:
        """Ping the other side; its pong sets `pong_received`."""
        self.pong_received = False
        self._write(Ping())

    def close(self, code: int = CloseReason.NORMAL_CLOSURE, reason: str | None = None) -> None:
        """Send a close frame; the socket reads nothing more. ConnectionClosed when it is closed already."""
        if not self.connected:
            raise ConnectionClosed()
        self.connected = False
        try:
            self._write(CloseConnection(code, reason))
        except (OSError, LocalProtocolError):
            pass  # gone already: closed all the same

    def shutdown(self) -> None:
        """End the socket at once: a `receive` waiting on it raises ConnectionClosed."""
        self.connected = False
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # closed already

    def _write(self, event: Any) -> None:
        with self._send_lock:
            try:
                self._sock.sendall(self._protocol.send(event))
            except (LocalProtocolError, OSError):  # a close handshake under way (nothing more may be sent), or gone
                self.connected = False
                raise ConnectionClosed() from None


class Pinger:
    """Pings every open socket of the process each `interval_s` and ends those whose last pong has not come: one
    greenlet (or thread) for all sockets instead of a timer on every read. The pings of a round are spread over the
    interval, so that a thousand do not hold the loop at once."""

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self._sockets: weakref.WeakSet[WebSocket] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def add(self, ws: WebSocket) -> None:
        with self._lock:
            self._sockets.add(ws)
            if self._thread is None or not self._thread.is_alive():  # started here: after gunicorn's fork
                self._thread = threading.Thread(target=self._run, name="websocket-pinger", daemon=True)
                self._thread.start()

    def discard(self, ws: WebSocket) -> None:
        with self._lock:
            self._sockets.discard(ws)

    def _run(self) -> None:
        while True:
            with self._lock:
                sockets = list(self._sockets)
            if not sockets:
                time.sleep(self.interval_s)
            for ws in sockets:
                time.sleep(self.interval_s / len(sockets))
                try:
                    if not ws.pong_received:
                        ws.close(CloseReason.POLICY_VIOLATION, "Ping/Pong timeout")
                        ws.shutdown()
                    elif ws.connected:
                        ws.ping()
                except ConnectionClosed:
                    ws.shutdown()


def route(app: Flask, path: str, handler: Callable[[WebSocket], None]) -> None:
    """Serve WebSockets at `path` with `handler(ws)`; the socket is closed when it returns. Settings from the app's
    SOCK_SERVER_OPTIONS: `ping_interval` (seconds, None: no pings) and `max_message_size` (bytes)."""
    options = app.config.get("SOCK_SERVER_OPTIONS", {})
    pinger = Pinger(float(options["ping_interval"])) if options.get("ping_interval") else None
    max_message_bytes = options.get("max_message_size")

    @wraps(handler)
    def websocket_route() -> Response:
        environ = request.environ
        mode = "gunicorn" if "gunicorn.socket" in environ else "werkzeug"
        sock = environ.get("gunicorn.socket") or environ.get("werkzeug.socket")
        if sock is None:
            raise RuntimeError("No socket in the WSGI environment: serve with gunicorn or Werkzeug")
        ws = WebSocket(sock, max_message_bytes)
        ws.accept(environ)
        if pinger is not None:
            pinger.add(ws)
        try:
            handler(ws)
        except ConnectionClosed:
            pass
        finally:
            if pinger is not None:
                pinger.discard(ws)
            try:
                ws.close()
            except ConnectionClosed:
                pass
        return _AnsweredResponse(mode)

    app.add_url_rule(path, view_func=websocket_route, websocket=True)


class _AnsweredResponse(Response):
    """What the view returns once the socket has been spoken on: nothing more is written to it."""

    def __init__(self, mode: str) -> None:
        super().__init__()
        self.mode = mode

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.mode == "gunicorn":
            raise StopIteration()  # gunicorn's workers take it as "the connection is handled" and close it
        return super().__call__(*args, **kwargs)  # Werkzeug's development server writes this, as it did
