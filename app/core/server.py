"""The production server of `lotse serve`: gunicorn, built in-process so that nothing but this package is needed.

The app (and with it the walk graph) is created once in the master process before the workers are forked
(gunicorn's preload), so a worker starts in milliseconds and the graph's pages are shared. The default worker is
gevent: a greenlet per connection holds a thousand walkers' sockets in one process at about half the memory of a
thread each; planning and eSpeak NG run in real threads (`app.core.threads`). gevent's monkey-patching is applied
before the app is imported, so every lock and thread the app creates is a gevent one from the start.

On SIGTERM each worker stops accepting, tells every live socket to reconnect (`reconnect` in docs/protocol.md) and
closes it, lets requests under way finish within the graceful timeout and exits.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication
from werkzeug.middleware.proxy_fix import ProxyFix

from app.core.config import load
from app.core.threads import gevent_patched

log = logging.getLogger(__name__)

STARTUP_GREENLETS_S = 0.05  # the longest wait for the greenlets an app starts at creation to finish (see `load`)
MAX_REQUEST_LINE = 8190  # gunicorn's largest
# Access log lines without query strings: `/api/snap?lat=...` or `/api/speech?text=...` would be a location trace.
ACCESS_LOG_FORMAT = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'


def options(host: str, port: int, settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """gunicorn's settings from ours (`SERVER_*` in app.core.config)."""
    settings = load() if settings is None else settings
    return {
        "bind": [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"],
        "workers": worker_count(settings),
        "worker_class": str(settings["SERVER_WORKER_CLASS"]),
        "threads": int(settings["SERVER_THREADS"]),
        "worker_connections": int(settings["SERVER_WORKER_CONNECTIONS"]),
        "timeout": int(settings["SERVER_TIMEOUT_S"]),
        "graceful_timeout": int(settings["SERVER_GRACEFUL_TIMEOUT_S"]),
        "accesslog": settings["SERVER_ACCESS_LOG"] or None,
        "access_log_format": ACCESS_LOG_FORMAT,
        "errorlog": "-",
        # As long a request line as nginx passes by default (8 KB), not gunicorn's 4 KB, whose refusal is an HTML
        # page instead of the API's JSON error.
        "limit_request_line": MAX_REQUEST_LINE,
        "preload_app": True,
        "control_socket_disable": True,  # two servers on one machine (tests, a bench) would share its path
        "post_fork": _after_fork,
        "post_worker_init": _on_worker_ready,
    }


def worker_count(settings: dict[str, Any]) -> int:
    """`SERVER_WORKERS` when set; else one worker per core when REDIS_URL is set, and one without it.

    Without Redis a planned route and a walker's resume data live in the memory of the worker that planned it,
    and gunicorn hands each connection to whichever worker accepts first: a walker would often start or resume
    on a worker that never saw the route. So one worker serves then (its gevent loop holds a thousand sockets).
    With Redis every worker reads every route and hears all news, and the load spreads over the cores."""
    if settings.get("SERVER_WORKERS") is not None:
        return int(settings["SERVER_WORKERS"])
    return len(os.sched_getaffinity(0)) if settings.get("REDIS_URL") else 1


class LotseServer(BaseApplication):
    """gunicorn running the app that `make_app` creates (once, in the master)."""

    def __init__(self, make_app: Callable[[], Flask], settings: dict[str, Any], proxy_hops: int = 0) -> None:
        self._make_app = make_app
        self._settings = settings
        self._proxy_hops = proxy_hops
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._settings.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        app = self._make_app()
        if self._proxy_hops:
            # Behind nginx every client would be 127.0.0.1: one address for rate limits and the route store's
            # per-client bound. Trust exactly as many forwarding proxies as there are.
            app.wsgi_app = ProxyFix(app.wsgi_app, x_for=self._proxy_hops, x_proto=self._proxy_hops)
        if gevent_patched():
            import gevent

            # Greenlets the app started (the in-memory rate-limit storage's expiry timer) run to their end here; a fork
            # would copy them half-started into every worker, where they fail with a traceback. The loop returns as
            # soon as it has nothing left to do (at once, usually); a greenlet that keeps running (a Redis listener)
            # only holds the start up for the timeout.
            gevent.wait(timeout=STARTUP_GREENLETS_S)
        # Everything loaded so far (the graph, the planner, the app) lives as long as the process: out of the
        # garbage collector's sight. A full collection walked those 170,000 objects in 0.2 to 0.8 s, every walker's
        # answer waiting meanwhile, and wrote to their pages, which the fork would otherwise share (Python's gc docs:
        # freeze before fork). `lotse serve` disabled the collector until here (app.cli): one collection now finds
        # what the start left behind (replaced logging handlers, whose late end at exit printed a traceback).
        gc.collect()
        gc.freeze()
        gc.enable()
        return app


def run(make_app: Callable[[], Flask], host: str, port: int) -> None:
    """Serve the app `make_app` creates on host:port until SIGTERM or SIGINT."""
    settings = options(host, port)
    # A planning thread holding the interpreter makes every walker's answer wait for the end of its turn.
    sys.setswitchinterval(float(load()["SERVER_SWITCH_INTERVAL_MS"]) / 1000)
    if settings["worker_class"] == "gevent":
        from gevent import monkey

        monkey.patch_all()
    LotseServer(make_app, settings, int(load()["SERVER_PROXY_HOPS"])).run()


def _after_fork(_server: Any, worker: Any) -> None:
    """A forked worker must not share the master's database connections (opened by the schema upgrade)."""
    database = worker.app.wsgi().extensions.get("lotse.db")
    if database is not None:
        database.engine.dispose(close=False)


def _on_worker_ready(worker: Any) -> None:
    """Chain our goodbye to the worker's SIGTERM handler (which stops the accept loop)."""
    app: Flask = worker.app.wsgi()
    stop_worker = signal.getsignal(signal.SIGTERM)

    def on_terminate(signum: int, frame: Any) -> None:
        stop_worker(signum, frame)
        # Out of the signal handler, where sending on sockets must not block: a greenlet under gevent (a thread's
        # start would wait on the loop, which a signal handler may not), else a thread.
        if gevent_patched():
            import gevent

            gevent.spawn(_say_goodbye, app)
        else:
            threading.Thread(target=_say_goodbye, args=(app,), name="lotse-goodbye", daemon=True).start()

    signal.signal(signal.SIGTERM, on_terminate)


def _say_goodbye(app: Flask) -> None:
    from app.walker.live import ask_everyone_to_reconnect

    told = ask_everyone_to_reconnect(app)
    log.warning("Shutting down: %d live connections asked to reconnect", told)
