"""Helpers for tests on walk graphs: rows by OSM id, copies with some facts set, known elements of the city, and
the cost of the cheapest path found by a plain Dijkstra, without the planner's A* and bounds."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from routing.graph import WalkGraph
from routing.planner import Planner
from routing.spatial import Snap

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


def plain_dijkstra_cost(planner: Planner, start: Snap, end: Snap, costs) -> float:
    """The cheapest cost from `start` to `end` (on different edges) under `costs` (`Planner.costs`), by one plain
    Dijkstra over the planner's whole edge-based graph: a state per directed edge, an arc per move between two,
    weighing the move plus the next edge; the start reaches both directions of its edge for the part walked, and
    the end edge's unwalked part is taken off on arrival. inf when the end cannot be reached."""
    table, edge_count = planner.table, planner.graph.edge_count
    directed, arc = costs.arrays.directed, costs.arrays.arc
    source = table.directed_count

    def share(snap: Snap) -> float:
        length = float(planner.graph.edge_length[snap.edge])
        return min(max(snap.offset_m / length, 0.0), 1.0) if length > 0 else 0.0

    start_share, end_share = share(start), share(end)
    start_cost, end_cost = float(directed[start.edge]), float(directed[end.edge])
    tails = np.concatenate([table.arc_from, [source, source]])
    heads = np.concatenate([table.arc_to, [start.edge, start.edge + edge_count]])
    weights = np.concatenate([arc + directed[table.arc_to], [start_cost * (1 - start_share), start_cost * start_share]])
    usable = np.isfinite(weights)
    # scipy drops explicit zeros; a nanometre per arc keeps zero-cost moves without changing any answer we compare.
    matrix = csr_matrix((weights[usable] + 1e-9, (tails[usable], heads[usable])), shape=(source + 1, source + 1))
    reached = dijkstra(matrix, directed=True, indices=source)
    if not math.isfinite(end_cost):
        return math.inf
    return min(float(reached[end.edge]) - end_cost * (1 - end_share),
               float(reached[end.edge + edge_count]) - end_cost * end_share)
