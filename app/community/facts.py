"""Accepted volunteer facts in the running app: read from the database and laid over the graph (`routing.facts`).

The app keeps the graph as loaded (`lotse.base_graph`) and serves a copy with every accepted fact applied
(`lotse.graph`, with its planner), rebuilt in the background when a fact is accepted, in this process and, by the
news bus (app.core.shared), in every other.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from dataclasses import dataclass, field

from flask import Flask
from sqlalchemy import select

from app.core import db, shared
from app.core.models import AcceptedFact
from app.core.threads import in_real_thread
from routing.facts import Fact, overlay
from routing.graph import WalkGraph
from routing.planner import Planner
from routing.spatial import EdgeIndex

log = logging.getLogger(__name__)
FACTS_ACCEPTED = "facts_accepted"  # news to the other server processes


@dataclass
class _OverlayState:
    lock: threading.Lock = field(default_factory=threading.Lock)
    tickets: itertools.count = field(default_factory=itertools.count)
    read_ticket: int = -1  # the ticket of the last rebuild, taken just before it read the facts
    wanted: threading.Event = field(default_factory=threading.Event)
    worker_lock: threading.Lock = field(default_factory=threading.Lock)
    worker: threading.Thread | None = None


def init_app(app: Flask) -> None:
    """Keep the graph as loaded (every rebuild starts from it) and apply the facts accepted so far."""
    app.extensions["lotse.base_graph"] = app.extensions["lotse.graph"]
    app.extensions["lotse.overlay"] = _OverlayState()
    with db.app_session(app) as db_session:
        any_fact = db_session.scalar(select(AcceptedFact.id).limit(1)) is not None
    if any_fact:
        apply_accepted_facts(app)
    bus = shared.bus_of(app)
    bus.on(FACTS_ACCEPTED, lambda _: refresh_later(app))
    bus.on(shared.RECONNECTED, lambda _: refresh_later(app))  # facts may have been accepted meanwhile


def fact_accepted(app: Flask) -> None:
    """After a commit that accepted a fact: every process rebuilds its graph soon."""
    refresh_later(app)
    shared.bus_of(app).publish(FACTS_ACCEPTED)


def accepted_facts(db_session) -> list[Fact]:
    """Every accepted fact, oldest first."""
    rows = db_session.scalars(select(AcceptedFact).order_by(AcceptedFact.id))
    return [Fact(row.element, row.osm_id, row.key, row.value) for row in rows]


def apply_accepted_facts(app: Flask) -> WalkGraph:
    """Overlay every accepted fact on the graph as loaded and swap it, with a new planner, into the app.

    A call waits for a rebuild in progress; when that rebuild read the facts after this call began, it already
    holds everything committed before, and this call returns without another rebuild. The snap index stays: it only
    knows geometry, which facts do not change.
    """
    state: _OverlayState = app.extensions["lotse.overlay"]
    ticket = next(state.tickets)
    with state.lock:
        if state.read_ticket > ticket:
            return app.extensions["lotse.graph"]
        state.read_ticket = next(state.tickets)
        with db.app_session(app) as db_session:
            facts = accepted_facts(db_session)
        graph = in_real_thread(overlay, app.extensions["lotse.base_graph"], facts)  # ~0.3 s: off the gevent loop
        planner = Planner(graph, app.extensions["lotse.index"])
        app.extensions["lotse.planner"] = planner
        app.extensions["lotse.graph"] = graph
    return graph


def swap_base_graph(app: Flask, graph: WalkGraph, index: EdgeIndex) -> None:
    """Serve a newly loaded map: `graph` becomes the graph as loaded, with every accepted fact laid over it, and
    `index` its snap index, all set at once. What was planned before keeps its own Route (and a walk under way
    its own session and map matcher); only what is planned from now on uses the new map."""
    from routing.matching import WalkNetwork

    state: _OverlayState = app.extensions["lotse.overlay"]
    # Each of these takes CPU for a while on a big map: in a real thread, off a gevent server's loop.
    network = in_real_thread(WalkNetwork, index)
    with state.lock:
        state.read_ticket = next(state.tickets)
        with db.app_session(app) as db_session:
            facts = accepted_facts(db_session)
        served = in_real_thread(overlay, graph, facts) if facts else graph
        planner = in_real_thread(Planner, served, index)
        app.extensions.update({"lotse.base_graph": graph, "lotse.index": index, "lotse.network": network,
                               "lotse.graph": served, "lotse.planner": planner})
        app.extensions.pop("lotse.geocoder", None)  # built again from the new map on its next use
        if "lotse.usage" in app.extensions:
            app.extensions["lotse.usage"].use_graph(graph)


def refresh_later(app: Flask) -> None:
    """Rebuild in the background: the answer that accepted a fact does not wait, and the facts accepted within
    `OVERLAY_REBUILD_INTERVAL_S` of a rebuild share the next one (a rebuild holds the interpreter for about 0.3 s
    on the city, which every request in that moment waits for)."""
    state: _OverlayState = app.extensions["lotse.overlay"]
    state.wanted.set()
    with state.worker_lock:
        if state.worker is None:
            state.worker = threading.Thread(target=_refresh_loop, args=(app, state), name="lotse-overlay",
                                            daemon=True)
            state.worker.start()


def _refresh_loop(app: Flask, state: _OverlayState) -> None:
    while state.wanted.wait():
        state.wanted.clear()
        try:
            apply_accepted_facts(app)
        except Exception:
            log.exception("Rebuilding the graph with accepted facts failed")
        time.sleep(float(app.config["OVERLAY_REBUILD_INTERVAL_S"]))
