"""Helpers for tests on walk graphs: rows by OSM id, copies with some facts set, and known elements of the city."""

from __future__ import annotations

import dataclasses

import numpy as np

from routing.graph import WalkGraph

# A mapped crossing in the city centre without tactile paving data, and steps without and with a step count.
CROSSING = {"osm_id": 1182557368, "lat": 49.44525, "lon": 7.76858}
STEPS_UNCOUNTED = 136526310  # a flight of steps without step_count
STEPS_COUNTED = 31895804  # step_count=4 in OSM: nothing to ask


def node_row(graph: WalkGraph, osm_id: int) -> int:
    """The graph's row of an OSM node."""
    return int(np.flatnonzero(graph.node_osm_id == osm_id)[0])


def with_facts(graph: WalkGraph, nodes: dict[tuple[int, str], int], ways: dict[tuple[int, str], int]) -> WalkGraph:
    """A copy of `graph` with some node and way columns set (OSM id, column) → stored value."""
    node_columns = {name: values.copy() for name, values in graph.node_columns.items()}
    way_columns = {name: values.copy() for name, values in graph.way_columns.items()}
    for (osm_id, column), value in nodes.items():
        node_columns[column][node_row(graph, osm_id)] = value
    for (osm_id, column), value in ways.items():
        way_columns[column][int(np.flatnonzero(graph.way_osm_id == osm_id)[0])] = value
    return dataclasses.replace(graph, node_columns=node_columns, way_columns=way_columns)
