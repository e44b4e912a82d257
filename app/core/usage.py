"""Anonymous route-usage counts: how many planned routes passed each edge and each crossing node.

Only aggregated counters are kept (table `route_usage`: kind, key, count): never a route, a position, a time or who
asked. Planning stays fast: a route only adds to counters in memory; one background thread writes them with an
UPSERT every `USAGE_FLUSH_INTERVAL_S` seconds (or sooner after `USAGE_FLUSH_ROUTES` routes). Counts below
`MIN_SHOWN` are never shown, and the priority of a gap treats them as nothing.

Every planned route (POST /api/route, the live guidance's start and re-route) goes to the listeners in
`app.extensions["lotse.route_listeners"]` (`route_planned`); the counter is one of them.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
import weakref
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module

from flask import Flask
from sqlalchemy import select
from sqlalchemy.pool import StaticPool

from app.core.db import Database
from app.core.models import RouteUsage
from app.core.threads import in_real_thread
from routing.graph import WalkGraph, edge_keys
from routing.route import Route

log = logging.getLogger(__name__)

MIN_SHOWN = 5  # counts below this are "fewer than 5": never shown, and no weight in priorities
RouteListener = Callable[[Route], None]


def route_planned(app: Flask, route: Route) -> None:
    """Tell every route listener about a planned route; one that fails is logged and does not stop the others."""
    for listener in list(app.extensions.get("lotse.route_listeners", ())):
        try:
            listener(route)
        except Exception:
            log.exception("Route listener %r failed", listener)


def shown(count: int | None) -> int | None:
    """A count as it may be shown: None when below MIN_SHOWN."""
    return count if count is not None and count >= MIN_SHOWN else None


@dataclass
class UsageSnapshot:
    """The counts as stored plus those flushed since: `edges` by edge key, `nodes` by node OSM id."""

    edges: dict[str, int]
    nodes: dict[int, int]
    routes: int
    version: int


class UsageCounter:
    """Counts in memory, written by the flusher thread; `snapshot()` for the gap analysis."""

    def __init__(self, database: Database, graph: WalkGraph, flush_interval_s: float, flush_routes: int,
                 max_age_s: float = 60.0, background: bool = True) -> None:
        self._database = database
        self.background = background
        self._keys = edge_keys(graph)  # facts only fill columns; a new map brings its own (`use_graph`)
        self.flush_interval_s = flush_interval_s
        self.flush_routes = flush_routes
        self._max_age_s = max_age_s
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._pending: Counter[tuple[str, str]] = Counter()
        self._pending_routes = 0
        self._last_flush = time.monotonic()
        self._snapshot: UsageSnapshot | None = None
        self._snapshot_read = 0.0
        self._version = 0

    def use_graph(self, graph: WalkGraph) -> None:
        """Count the routes of a newly loaded map by its edges' keys (which stay the same where the map did)."""
        self._keys = edge_keys(graph)

    # ----------------------------------------------------------------------------------------- counting
    def record(self, route: Route) -> None:
        """Count one planned route: each edge and each crossing node once, however often the route passes it."""
        edges = {self._keys[edge.edge] for edge in route.edges}
        nodes = {str(crossing.node_osm_id) for crossing in route.crossings}
        with self._lock:
            self._pending.update(("edge", key) for key in edges)
            self._pending.update(("node", key) for key in nodes)
            self._pending[("total", "routes")] += 1
            self._pending_routes += 1
            due = self._pending_routes >= self.flush_routes
        if not self.background:
            return
        _Flusher.watch(self)
        if due:
            _Flusher.wake()

    def due(self, now: float) -> bool:
        with self._lock:
            return bool(self._pending) and (now - self._last_flush >= self.flush_interval_s
                                            or self._pending_routes >= self.flush_routes)

    def flush(self) -> int:
        """Write the pending counts (one transaction, one UPSERT per row); returns how many rows changed."""
        with self._flush_lock:
            with self._lock:
                pending, self._pending = self._pending, Counter()
                self._pending_routes = 0
                self._last_flush = time.monotonic()
            if not pending:
                return 0
            rows = [{"kind": kind, "key": key, "count": count} for (kind, key), count in sorted(pending.items())]
            try:
                with self._database.writer() as session, session.begin():
                    # The engine's own dialect, loaded with it: importing PostgreSQL's at start cost an embedded
                    # server 26 ms.
                    dialect = import_module(f"sqlalchemy.dialects.{session.get_bind().dialect.name}")
                    insert = dialect.insert(RouteUsage)
                    statement = insert.on_conflict_do_update(
                        index_elements=[RouteUsage.kind, RouteUsage.key],
                        set_={"count": RouteUsage.count + insert.excluded.count})
                    session.execute(statement, rows)
            except Exception:
                with self._lock:  # keep the counts for the next try
                    self._pending.update(pending)
                raise
            with self._lock:
                if self._snapshot is not None:
                    self._add(self._snapshot, pending)
            return len(rows)

    def _add(self, snapshot: UsageSnapshot, counts: Counter[tuple[str, str]]) -> None:
        for (kind, key), count in counts.items():
            if kind == "edge":
                snapshot.edges[key] = snapshot.edges.get(key, 0) + count
            elif kind == "node":
                snapshot.nodes[int(key)] = snapshot.nodes.get(int(key), 0) + count
            else:
                snapshot.routes += count
        self._version += 1
        snapshot.version = self._version

    # ------------------------------------------------------------------------------------------ reading
    def snapshot(self) -> UsageSnapshot:
        """The stored counts (read again at least every `max_age_s`, for other processes' counts)."""
        now = time.monotonic()
        with self._lock:
            if self._snapshot is not None and now - self._snapshot_read < self._max_age_s:
                return self._snapshot
        with self._database.reader() as session:
            rows = session.execute(select(RouteUsage.kind, RouteUsage.key, RouteUsage.count)).all()
        snapshot = UsageSnapshot({}, {}, 0, 0)
        for kind, key, count in rows:
            if kind == "edge":
                snapshot.edges[key] = count
            elif kind == "node":
                snapshot.nodes[int(key)] = count
            elif kind == "total":
                snapshot.routes = count
        with self._lock:
            self._version += 1
            snapshot.version = self._version
            self._snapshot, self._snapshot_read = snapshot, now
        return snapshot

    def reset(self) -> None:
        """Forget pending counts and the snapshot (tests, after emptying the table)."""
        with self._lock:
            self._pending.clear()
            self._pending_routes = 0
            self._snapshot = None


class _Flusher:
    """One daemon thread for every app of the process; it holds the counters weakly (a test app may go away)."""

    _counters: weakref.WeakSet[UsageCounter] = weakref.WeakSet()
    _wake = threading.Event()
    _thread: threading.Thread | None = None
    _lock = threading.Lock()

    @classmethod
    def watch(cls, counter: UsageCounter) -> None:
        with cls._lock:
            cls._counters.add(counter)
            if cls._thread is None:
                cls._thread = threading.Thread(target=cls._run, name="lotse-usage", daemon=True)
                cls._thread.start()
                atexit.register(cls.flush_all)

    @classmethod
    def wake(cls) -> None:
        cls._wake.set()

    @classmethod
    def _run(cls) -> None:
        while True:
            cls._wake.wait(timeout=1.0)
            cls._wake.clear()
            now = time.monotonic()
            for counter in list(cls._counters):
                if counter.due(now):
                    try:
                        # Under the gevent server this "thread" is a greenlet on the loop, and SQLite's UPSERT of a
                        # few thousand rows would hold every socket for a quarter of a second: a real thread writes.
                        in_real_thread(counter.flush)
                    except Exception:
                        log.exception("Writing route-usage counts failed; they are kept for the next try")

    @classmethod
    def flush_all(cls) -> None:
        for counter in list(cls._counters):
            try:
                counter.flush()
            except Exception as exc:  # e.g. a test database already dropped
                log.warning("Writing route-usage counts at exit failed: %s", exc)


def init_app(app: Flask) -> None:
    """Count every planned route (listener in `lotse.route_listeners`)."""
    database: Database = app.extensions["lotse.db"]
    # A private in-memory database (test apps) has one connection for every thread: no writer in the background
    # there (its transactions would interleave with requests'); `flush()` is called by whoever needs the counts.
    counter = UsageCounter(database, app.extensions["lotse.base_graph"], float(app.config["USAGE_FLUSH_INTERVAL_S"]),
                           int(app.config["USAGE_FLUSH_ROUTES"]),
                           background=not isinstance(database.engine.pool, StaticPool))
    app.extensions["lotse.usage"] = counter
    app.extensions.setdefault("lotse.route_listeners", []).append(counter.record)


def counter_of(app: Flask) -> UsageCounter:
    return app.extensions["lotse.usage"]
