"""What several server processes share through Redis (`REDIS_URL`): one client per process, and the news every
process's live sessions must hear (a report confirmed, a fact accepted), sent by pub/sub.

Without `REDIS_URL` one process serves and there is nothing to share: `publish` does nothing and no thread runs, and
the redis client library is never imported (6 MB of a server's memory).
With it, each process runs one listener thread that hands the other processes' news to the handlers registered
with `on` (in an app context). A process never hears its own news back: it has acted on it already, at once.
When Redis is down, news is lost (logged); the listener subscribes again, then tells its `RECONNECTED` handlers
since when it may have missed news (Unix time), and they read again what changed meanwhile.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
import weakref
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flask import Flask

if TYPE_CHECKING:
    import redis

log = logging.getLogger(__name__)

Handler = Callable[[Any], None]
RECONNECTED = "reconnected"  # told locally after the listener lost Redis and subscribed again; data: deaf since
RETRY_S = (0.2, 0.5, 1.0, 2.0, 5.0)  # waits between attempts to subscribe again, the last one repeated
POLL_S = 1.0  # how long one wait for news blocks, so a stopped listener ends soon
REDIS_CONNECTIONS = 100  # per process, as redis-py's default pool; each command holds one for well under a millisecond


def client_of(app: Flask) -> redis.Redis | None:
    """This process's Redis client, None without `REDIS_URL`."""
    return app.extensions.get("lotse.redis")


def key(app: Flask, *parts: str) -> str:
    """A Redis key (or channel) under the app's `REDIS_PREFIX`."""
    return ":".join((app.config["REDIS_PREFIX"], *parts))


class Bus:
    """News between the server processes: `publish` to the others, `on` to hear theirs."""

    def __init__(self, app: Flask, client: redis.Redis | None) -> None:
        self._app = app
        self._client = client
        self.channel = key(app, "news")
        self._handlers: defaultdict[str, list[Handler]] = defaultdict(list)
        self._origin = uuid.uuid4().hex  # this process: its own news comes back and is skipped
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.subscribed = threading.Event()  # set while the listener is subscribed (bench/shared_bench.py waits)

    def on(self, kind: str, handler: Handler) -> None:
        """Call `handler(data)` for each piece of news of `kind` from another process."""
        self._handlers[kind].append(handler)

    def publish(self, kind: str, data: Any = None) -> bool:
        """Tell the other processes (`data` must be JSON); False when there are none or Redis is down (logged)."""
        if self._client is None:
            return False
        import redis

        try:
            self._client.publish(self.channel, json.dumps({"origin": self._origin, "kind": kind, "data": data}))
        except redis.RedisError as exc:
            log.warning("Other server processes were not told of %s (Redis: %s)", kind, exc)
            return False
        return True

    # ------------------------------------------------------------------------------------------ listener
    def start(self) -> None:
        """Run the listener thread (once; again in a forked child, whose parent's thread did not come along)."""
        if self._client is None or (self._thread is not None and self._thread.is_alive()):
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._listen, name="lotse-news", daemon=True)
        self._thread.start()
        _BUSES.add(self)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=POLL_S * 3)

    def _after_fork(self) -> None:
        self._origin = uuid.uuid4().hex
        self._thread = None
        self.subscribed.clear()
        self.start()

    def _listen(self) -> None:
        import redis

        failures = 0
        heard_at = time.time()  # the last moment the listener was surely subscribed
        while not self._stop.is_set():
            try:
                with self._client.pubsub(ignore_subscribe_messages=True) as pubsub:
                    pubsub.subscribe(self.channel)
                    pubsub.get_message(timeout=POLL_S)  # the confirmation: subscribed from here on
                    self.subscribed.set()
                    if failures:
                        log.info("Hearing the other server processes again")
                        # From the start of the wait in which the loss came, less one wait: news sent before it
                        # but still unread when the connection broke is lost too.
                        self._dispatch(RECONNECTED, heard_at - POLL_S)
                    failures = 0
                    while not self._stop.is_set():
                        heard_at = time.time()
                        message = pubsub.get_message(timeout=POLL_S)
                        if message is not None:
                            self._receive(message["data"])
            except redis.RedisError as exc:
                self.subscribed.clear()
                wait = RETRY_S[min(failures, len(RETRY_S) - 1)]
                if not failures:
                    log.warning("Lost the other server processes' news (Redis: %s); trying again", exc)
                failures += 1
                self._stop.wait(wait)
        self.subscribed.clear()

    def _receive(self, raw: bytes | str) -> None:
        try:
            news = json.loads(raw)
            origin, kind, data = news["origin"], news["kind"], news.get("data")
        except (ValueError, TypeError, KeyError):
            log.warning("Ignored news that is not Lotse's on %s", self.channel)
            return
        if origin != self._origin:
            self._dispatch(kind, data)

    def _dispatch(self, kind: str, data: Any) -> None:
        """Each handler in turn; one that fails is logged and does not stop the others or the listener."""
        with self._app.app_context():
            for handler in list(self._handlers.get(kind, ())):
                try:
                    handler(data)
                except Exception:
                    log.exception("Handler %r of news %s failed", handler, kind)


_BUSES: weakref.WeakSet[Bus] = weakref.WeakSet()
if hasattr(os, "register_at_fork"):  # a server that forks workers from a loaded app (gunicorn --preload)
    os.register_at_fork(after_in_child=lambda: [bus._after_fork() for bus in list(_BUSES)])


def bus_of(app: Flask) -> Bus:
    return app.extensions["lotse.bus"]


def init_app(app: Flask) -> None:
    """Connect to `REDIS_URL` when set (`lotse.redis`) and set up the news bus (`lotse.bus`, listening)."""
    url = app.config.get("REDIS_URL")
    client = None
    if url:
        import redis

        timeout = float(app.config["REDIS_TIMEOUT_S"])
        # A request waits (up to the timeout) for one of the pool's connections instead of failing at once when all
        # are in use: a thousand walkers starting within seconds on one gevent worker used more than redis-py's 100,
        # and every start beyond them fell back to this process's memory and was told `unknown_route`.
        pool = redis.BlockingConnectionPool.from_url(
            url, max_connections=REDIS_CONNECTIONS, timeout=timeout, socket_timeout=timeout,
            socket_connect_timeout=timeout, health_check_interval=30)
        client = redis.Redis(connection_pool=pool)
    app.extensions["lotse.redis"] = client
    app.extensions["lotse.bus"] = Bus(app, client)
    app.extensions["lotse.bus"].start()
