"""Accepted volunteer facts laid over the OpenStreetMap data: a copy of the walk graph with the facts in its columns.

Neither the OSM file nor the cached graph is changed; the app keeps the graph as loaded (`lotse.base_graph`) and
serves a copy with every accepted fact applied (`lotse.graph`, with its planner), rebuilt when a fact is accepted.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from flask import Flask
from sqlalchemy import select

from app.core import db
from app.core.models import AcceptedFact
from routing import tags
from routing.graph import WalkGraph
from routing.planner import Planner

log = logging.getLogger(__name__)

MAX_STEP_COUNT = 500
SURFACES = ("asphalt", "concrete", "paving_stones", "sett", "unhewn_cobblestone", "compacted", "fine_gravel",
            "gravel", "ground", "grass")


@dataclass(frozen=True)
class FactKind:
    """A fact volunteers can supply: on nodes or ways, the graph column and OSM tag it fills, its answers.

    `answers` empty means a count from 1 to MAX_STEP_COUNT.
    """

    key: str
    element: str
    osm_tag: str
    answers: tuple[str, ...]


FACT_KINDS = {kind.key: kind for kind in (
    FactKind("tactile_paving", "node", "tactile_paving", ("yes", "no")),
    FactKind("acoustic_signal", "node", "traffic_signals:sound", ("yes", "no")),
    FactKind("vibration", "node", "traffic_signals:vibration", ("yes", "no")),
    FactKind("kerb", "node", "kerb", ("lowered", "raised", "flush")),
    FactKind("step_count", "way", "step_count", ()),
    FactKind("handrail", "way", "handrail", ("yes", "no")),
    FactKind("sidewalk", "way", "sidewalk", ("both", "left", "right", "no", "separate")),
    FactKind("surface", "way", "surface", SURFACES),
)}
_ENUMS = {"kerb": tags.KERB_KINDS, "sidewalk": tags.SIDEWALK_KINDS}
_TRI = {"yes": tags.YES, "no": tags.NO}


@dataclass(frozen=True)
class Fact:
    """One accepted fact: `key` (a FACT_KINDS key) of OSM element `element`/`osm_id` is `value`."""

    element: str
    osm_id: int
    key: str
    value: str

    @property
    def quest_id(self) -> str:
        return f"{self.element}/{self.osm_id}/{self.key}"


def _encoded(key: str, value: str) -> int:
    """The stored column value of an answer (surface is a text column and handled by the caller)."""
    if key in _ENUMS:
        return _ENUMS[key].index(value)
    if key == "step_count":
        return int(value)
    return _TRI[value]


def overlay(graph: WalkGraph, facts: Iterable[Fact]) -> WalkGraph:
    """A copy of `graph` with `facts` written into its node and way columns; `graph` itself is not changed.

    Facts about elements not in this graph are skipped; only the columns that change are copied.
    """
    node_columns, way_columns, texts = dict(graph.node_columns), dict(graph.way_columns), dict(graph.texts)
    node_row = dict(zip(graph.node_osm_id.tolist(), range(graph.node_count)))
    way_row = dict(zip(graph.way_osm_id.tolist(), range(len(graph.way_osm_id))))
    copied: set[int] = set()

    def writable(columns: dict[str, np.ndarray], name: str) -> np.ndarray:
        if id(columns[name]) not in copied:
            columns[name] = columns[name].copy()
            copied.add(id(columns[name]))
        return columns[name]

    applied = 0
    for fact in facts:
        row = (node_row if fact.element == "node" else way_row).get(fact.osm_id)
        if row is None:
            continue
        if fact.key == "surface":
            if fact.value not in texts["surface"]:
                texts["surface"] = [*texts["surface"], fact.value]
            writable(way_columns, "surface")[row] = texts["surface"].index(fact.value)
            writable(way_columns, "surface_class")[row] = tags.surface_class(fact.value)
        else:
            columns = node_columns if fact.element == "node" else way_columns
            writable(columns, fact.key)[row] = _encoded(fact.key, fact.value)
        applied += 1
    return dataclasses.replace(graph, node_columns=node_columns, way_columns=way_columns, texts=texts,
                               meta={**graph.meta, "accepted_facts": applied})


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
        graph = overlay(app.extensions["lotse.base_graph"], facts)
        planner = Planner(graph, app.extensions["lotse.index"])
        app.extensions["lotse.planner"] = planner
        app.extensions["lotse.graph"] = graph
    return graph


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
