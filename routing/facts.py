"""Facts volunteers can supply, and laying accepted ones over the walk graph.

A fact is one answer two volunteers agreed on, about one OSM element (`node/123/tactile_paving = yes`). Neither the
OSM file nor the cached graph is changed: `overlay` returns a copy of the graph with the facts in its columns.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from routing import tags
from routing.graph import WalkGraph

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
    # The stored moves hold crossing controls and counts read from the columns: enumerated again when facts apply.
    return dataclasses.replace(graph, node_columns=node_columns, way_columns=way_columns, texts=texts,
                               meta={**graph.meta, "accepted_facts": applied}, arcs=graph.arcs if not applied else {})
