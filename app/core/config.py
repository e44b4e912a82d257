"""Configuration: every deployment setting with its default, and the one place that reads the environment.

Each setting can be given as a `LOTSE_<NAME>` environment variable (JSON values are parsed: numbers, true/false),
by the command line, or by the `config` a test passes to `create_app`, in rising order of precedence.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from routing import settings as domain

PREFIX = "LOTSE_"

DEFAULTS: dict[str, Any] = {
    # The map
    "OSM": None,  # an OpenStreetMap file
    "PLACE": None,  # or a place osmnx downloads
    "CACHE_DIR": None,  # built graphs; default routing.settings.CACHE_DIR
    "SNAP_LIMIT_M": domain.SNAP_LIMIT_M,
    # Web maps of volunteers and staff: background tiles under the app's own layers; empty = none (works offline)
    "TILE_URL": "",  # e.g. "https://tile.openstreetmap.org/{z}/{x}/{y}.png" (mind the tile server's usage policy)
    "TILE_ATTRIBUTION": "© OpenStreetMap-Mitwirkende",  # shown on the map whenever tiles are drawn
    # The server process (`lotse serve`, gunicorn): one worker holds a thousand walkers; more workers need
    # REDIS_URL so that routes and live sessions are shared between them.
    "SERVER_WORKERS": None,  # default: one per core with REDIS_URL, else 1 (app.core.server.worker_count)
    "SERVER_WORKER_CLASS": "gevent",  # a greenlet per socket, CPU-heavy planning in real threads; or "gthread"
    "SERVER_THREADS": 8,  # threads per worker, for "gthread" only
    "SERVER_SWITCH_INTERVAL_MS": 1.0,  # longest a planning thread holds the GIL while the loop waits (Python: 5)
    "SERVER_WORKER_CONNECTIONS": 4000,  # sockets a gevent worker holds at once (walkers plus HTTP requests)
    "SERVER_TIMEOUT_S": 30,  # a worker silent this long (a stuck loop) is killed and replaced
    "SERVER_GRACEFUL_TIMEOUT_S": 10,  # on SIGTERM, requests under way get this long; sockets are told to reconnect
    "SERVER_ACCESS_LOG": "-",  # "-" = standard output, else a file; empty = none. Paths only: no query strings
    "SERVER_PROXY_HOPS": 0,  # proxies in front (nginx: 1) whose X-Forwarded-For/-Proto are trusted for the address
    # HTTP
    "MAX_CONTENT_LENGTH": 64 * 1024,
    "SECRET_KEY": None,  # signs sessions; default: a key kept in the instance folder
    "SESSION_COOKIE_SECURE": None,  # default: on, except when TESTING (the test client speaks plain http)
    "SESSION_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": 30 * 24 * 3600,
    # Storage
    "DATABASE_URL": None,  # default: SQLite in the instance folder; a private in-memory one when TESTING
    "USAGE_FLUSH_INTERVAL_S": 5.0,  # route-usage counts are written this often
    "USAGE_FLUSH_ROUTES": 200,  # or after this many routes
    # Speech
    "SPEECH_ENGINES": "gtts,espeak",  # in order of preference; gTTS needs the internet
    "SPEECH_CACHE_DIR": None,  # default: <instance path>/speech
    "SPEECH_CACHE_MB": 200,
    "SPEECH_PROCESSES": 2,  # eSpeak NG processes at once
    "SPEECH_QUEUE": 8,  # renders waiting for one; beyond, 503 busy with Retry-After
    "SPEECH_PRERENDER_QUEUE": 1000,  # texts queued to render ahead (the oldest go first)
    # Shared state of several server processes: rate limits, planned routes and news of reports and facts, in Redis
    "REDIS_URL": None,  # e.g. redis://127.0.0.1:6379/0; unset: each process keeps its own (one process serves)
    "REDIS_PREFIX": "lotse",  # every key and channel starts with it: apps sharing one Redis stay apart
    "REDIS_TIMEOUT_S": 0.5,  # a Redis that does not answer within this costs a request no more (then local)
    "ROUTE_STORE_TTL_S": 12 * 3600,  # a planned route in Redis outlives its last start or resume by this
    # Volunteers
    "RATE_LIMIT_LOGIN": "5/minute",  # per IP and email
    "RATE_LIMIT_LOGIN_IP": "8/minute;40/hour",  # per IP, whatever the emails
    "RATE_LIMIT_REGISTER": "5/minute;20/hour",  # per IP
    "PASSWORD_HASHES_AT_ONCE": 2,  # Argon2 hashes running at once, 64 MiB each
    "PASSWORD_HASH_WAIT_S": 1.0,  # then 503 with Retry-After
    "RATE_LIMIT_REPORTS": "30/hour",  # per volunteer
    "OVERLAY_REBUILD_INTERVAL_S": 30.0,  # accepted quest facts reach routing within this many seconds
    # Live guidance
    "LIVE_FRAMES_PER_SECOND": 20,  # per socket; a flood beyond it is dropped
    "LIVE_MAX_FRAME_BYTES": 64 * 1024,
    "ROUTE_STORE_SIZE": 2000,  # planned routes kept for walkers to start on, at most 20 per client address
    "SOCK_SERVER_OPTIONS": {"ping_interval": 25, "max_message_size": 1024 * 1024},
}


def from_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The settings named by `LOTSE_*` variables, values parsed as JSON where they are JSON (as Flask does)."""
    environ = os.environ if environ is None else environ
    found: dict[str, Any] = {}
    for key, raw in environ.items():
        if not key.startswith(PREFIX):
            continue
        try:
            found[key[len(PREFIX):]] = json.loads(raw)
        except ValueError:
            found[key[len(PREFIX):]] = raw
    return found


def load(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Defaults, then the environment, then `overrides`."""
    return {**DEFAULTS, **from_environment(), **(overrides or {})}


def setting(name: str, given: Any = None) -> Any:
    """One setting for the command line: `given` (an option) when set, else the environment, else the default."""
    return given if given is not None else load().get(name)
