"""Planned routes shared by every server process (Redis), so that a walk planned on one can be started and resumed
on another: `RedisRouteStore`, with the interface and the bounds of the in-process `RouteStore`
(`app.walker.planning.route_store` picks one; this module, and with it redis, is imported only with Redis).

A stored route is JSON (the Route with exact floats, its RouteRequest and client), compressed with zlib: a few
kilobytes a route. Written with orjson at zlib's fastest level, off the event loop (`in_real_thread`: zlib lets go of
the interpreter meanwhile): a third of the standard library's time at level 6, for 15 % more bytes. JSON rather than
pickle: a pickle from another process is code run on load, and JSON stays
readable by a newer release (tables carry their field names; a form it cannot read is a route no longer known).
"""

from __future__ import annotations

import logging
import time
import zlib
from dataclasses import asdict, fields
from typing import Any

import numpy as np
import orjson
import redis
from flask import Flask

from app.core import shared
from app.core.language import language
from app.core.threads import in_real_thread
from app.walker.planning import ROUTES_PER_CLIENT, RouteRequest, RouteStore, StoredRoute
from routing.guidance.wording import Instruction, WordingOptions
from routing.route import Crossing, Route, RouteEdge

log = logging.getLogger(__name__)
FORMAT = 1  # the stored form's version: another one is read as a route no longer known
_TABLES = {"edges": RouteEdge, "crossings": Crossing, "instructions": Instruction}
_COMPRESSION = 1  # zlib's fastest level
_PLAIN = ("route_id", "profile", "distance_m", "duration_s", "steps", "barriers", "surfaces", "data_gaps",
          "preferences", "explanation", "tracking")

# Store one route and keep the bounds, atomically (two processes may store for one client at once):
# KEYS: the route, its client's route ids (oldest first), every route id scored by when it was stored or started.
# ARGV: stored form, TTL s, route id, routes per client, routes in all, now (s), the route keys' prefix.
_ADD = """
local ttl = tonumber(ARGV[2])
redis.call('SET', KEYS[1], ARGV[1], 'EX', ttl)
redis.call('RPUSH', KEYS[2], ARGV[3])
redis.call('EXPIRE', KEYS[2], ttl)
redis.call('ZADD', KEYS[3], ARGV[6], ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', tonumber(ARGV[6]) - ttl)
while redis.call('LLEN', KEYS[2]) > tonumber(ARGV[4]) do
  local oldest = redis.call('LPOP', KEYS[2])
  redis.call('DEL', ARGV[7] .. oldest)
  redis.call('ZREM', KEYS[3], oldest)
end
local over = redis.call('ZCARD', KEYS[3]) - tonumber(ARGV[5])
if over > 0 then
  local oldest = redis.call('ZPOPMIN', KEYS[3], over)
  for i = 1, #oldest, 2 do redis.call('DEL', ARGV[7] .. oldest[i]) end
end
redis.call('EXPIRE', KEYS[3], ttl)
"""


# ------------------------------------------------------------------------------------------- stored form
def dump_stored(stored: StoredRoute) -> bytes:
    """The stored form of a route, its request and client."""
    route, request = stored.route, stored.request
    form = {
        "format": FORMAT,
        "client": stored.client,
        "request": {"origin": list(request.origin), "destination": list(request.destination),
                    "profile": request.profile, "prefs": request.prefs, "lang": request.language.code,
                    "wording": asdict(request.wording), "heading_deg": request.heading_deg},
        "route": {**{name: getattr(route, name) for name in _PLAIN},
                  "lat": route.lat, "lon": route.lon,
                  **{name: _table(getattr(route, name), kind) for name, kind in _TABLES.items()}},
    }
    return zlib.compress(orjson.dumps(form, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS), _COMPRESSION)


def load_stored(raw: bytes) -> StoredRoute:
    """The StoredRoute of `dump_stored`; ValueError for a form this release does not read."""
    try:
        form = orjson.loads(zlib.decompress(raw))
        if form.get("format") != FORMAT:
            raise ValueError(f"stored route format {form.get('format')!r}")
        request, route = form["request"], form["route"]
        return StoredRoute(
            route=Route(**{name: route[name] for name in _PLAIN},
                        lat=np.asarray(route["lat"], dtype=float), lon=np.asarray(route["lon"], dtype=float),
                        **{name: _rows(route[name], kind) for name, kind in _TABLES.items()}),
            request=RouteRequest(origin=tuple(request["origin"]), destination=tuple(request["destination"]),
                                 profile=request["profile"], prefs=request["prefs"], language=language(request["lang"]),
                                 wording=WordingOptions(**request["wording"]), heading_deg=request["heading_deg"]),
            client=form["client"])
    except (zlib.error, orjson.JSONDecodeError, KeyError, TypeError) as exc:
        raise ValueError(f"unreadable stored route: {exc!r}") from exc


def _table(items: list[Any], kind: type) -> dict[str, Any]:
    """Dataclass items as rows under one list of field names: the names once, not in every item."""
    names = [field.name for field in fields(kind)]
    return {"fields": names, "rows": [[getattr(item, name) for name in names] for item in items]}


def _rows(table: dict[str, Any], kind: type) -> list[Any]:
    return [kind(**dict(zip(table["fields"], row))) for row in table["rows"]]


# ------------------------------------------------------------------------------------------------ store
class RedisRouteStore:
    """Planned routes in Redis for `ttl_s` after they were stored or last started, bounded like `RouteStore`:
    at most `per_client` per client (its oldest goes), `size` in all (the oldest go).

    When Redis does not answer, routes are kept and found in this process's memory (a `RouteStore`), as without
    Redis: guidance goes on, only a walk cannot move to another process meanwhile.
    """

    def __init__(self, app: Flask, client: redis.Redis, size: int, ttl_s: int,
                 per_client: int = ROUTES_PER_CLIENT) -> None:
        self._redis = client
        self._route_prefix = shared.key(app, "route", "")
        self._client_prefix = shared.key(app, "client-routes", "")
        self._all = shared.key(app, "routes")
        self._size, self._ttl_s, self._per_client = size, int(ttl_s), per_client
        self._add = client.register_script(_ADD)
        self._local = RouteStore(size, per_client)

    def add(self, stored: StoredRoute) -> None:
        route_id = stored.route.route_id
        try:
            form = in_real_thread(dump_stored, stored)
            self._add(keys=[self._route_prefix + route_id, self._client_prefix + stored.client, self._all],
                      args=[form, self._ttl_s, route_id, self._per_client, self._size, time.time(),
                            self._route_prefix])
        except redis.RedisError as exc:
            log.warning("Route %s kept in this process only (Redis: %s)", route_id, exc)
            self._local.add(stored)

    def get(self, route_id: str) -> StoredRoute | None:
        """The route, its time to live renewed (a walk under way may be resumed for `ttl_s` more)."""
        try:
            with self._redis.pipeline(transaction=False) as pipe:
                pipe.getex(self._route_prefix + route_id, ex=self._ttl_s)
                pipe.zadd(self._all, {route_id: time.time()}, xx=True)
                raw, _ = pipe.execute()
        except redis.RedisError as exc:
            log.warning("Looking up route %s in this process only (Redis: %s)", route_id, exc)
            return self._local.get(route_id)
        if raw is None:
            return self._local.get(route_id)  # planned here while Redis was down, or gone
        try:
            return load_stored(raw)
        except ValueError as exc:
            log.warning("Route %s is not readable: %s", route_id, exc)
            return None

