"""A* over a graph in CSR form, compiled by numba: the planner's searches, from a start to the best of a few targets.

A graph is CSR arrays (`indptr`, `heads`, and per cost set `weights`), a state per row, each state placed at a node
(`state_node`) whose metric position gives the bound h: straight-line metres to the end point times the cheapest
metre, which no remaining cost undercuts. The search is Dijkstra on the reduced costs max(w(a→b) - h(a) + h(b),
EPSILON) from the start, and stops as soon as no target left can beat the best one settled. Nothing is set up per
request but the states it touches (reset by the next search on the same scratch), so its work grows with the walk,
not with the map.

Why numba and not a graph library: scipy's `dijkstra` has no target to stop at, so it settles every state within
its limit, and wants a CSR matrix built per call (of a window of the map, or of all of it); networkit's Dijkstra
stops at a target but sets up arrays of every node per call and keeps its own copy of the weights per cost set;
igraph converts the weights of every edge per call; rustworkx calls back into Python per edge. numba compiles this
loop once (cached on disk beside the module), runs it without the GIL, and it touches only what the walk needs.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

import numba
import numpy as np

# Reduced costs below this are raised to it: the bound is consistent, so only rounding leaves any below zero.
EPSILON = 1e-6
_UNREACHED = -2  # predecessor of a state not reached
_START = -1  # predecessor of a state reached straight from the start


@dataclass
class _Scratch:
    """One thread's working arrays for one graph: every state unreached, and a heap with room for every arc."""

    distance: np.ndarray
    predecessor: np.ndarray
    settled: np.ndarray
    touched: np.ndarray  # the states reached by the last search, to reset before the next: touched[:touched_count]
    heap_keys: np.ndarray
    heap_states: np.ndarray
    touched_count: int = 0


@dataclass
class Found:
    """What one search found for each target: its reduced cost (inf if not settled) and whether the start led
    straight to it; `path(i)` is the states from the start to target i (valid until the thread's next search)."""

    reduced: list[float]
    from_start: list[bool]
    _predecessor: np.ndarray
    _targets: list[int]

    def path(self, target: int) -> list[int]:
        return _unwind(self._predecessor, self._targets[target]).tolist()


@dataclass
class Graph:
    """The fixed part of a searchable graph: CSR rows and heads, and where each state lies."""

    indptr: np.ndarray  # int32, a row per state
    heads: np.ndarray  # int32
    state_node: np.ndarray  # int32: the node each state sits at
    node_x: np.ndarray  # float64, metric
    node_y: np.ndarray
    _local: threading.local = field(default_factory=threading.local, repr=False)

    def search(self, weights: np.ndarray, end: tuple[float, float], metre_cost: float, h_source: float,
               starts: list[tuple[int, float]], targets: list[tuple[int, float]], limit: float = math.inf,
               skip_from_start: bool = False) -> Found:
        """A* from the start, which reaches each of `starts` (state, cost) at that cost, towards the point `end`.

        `h_source` is the bound at the start. A target (state, slack) settled at reduced cost r costs
        r + h_source - slack in all; the search stops once every target is settled, or no unsettled one can cost
        less than the best settled one (one reached straight from the start does not count when
        `skip_from_start`), or the reduced cost passes `limit`, as scipy's limit does.
        """
        scratch = self._scratch()
        target_states = np.array([state for state, _ in targets], dtype=np.int64)
        reduced = np.full(len(targets), math.inf)
        from_start = np.zeros(len(targets), dtype=np.bool_)
        scratch.touched_count = _astar(
            self.indptr, self.heads, weights, self.state_node, self.node_x, self.node_y, float(end[0]),
            float(end[1]), float(metre_cost), float(h_source),
            np.array([state for state, _ in starts], dtype=np.int64), np.array([cost for _, cost in starts]),
            target_states, np.array([slack for _, slack in targets]), float(limit), bool(skip_from_start),
            scratch.distance, scratch.predecessor, scratch.settled, scratch.touched, scratch.touched_count,
            scratch.heap_keys, scratch.heap_states, reduced, from_start)
        return Found(reduced.tolist(), from_start.tolist(), scratch.predecessor, target_states.tolist())

    def warm_up(self) -> None:
        """Compile the search (or load it from numba's cache) now, not on a walker's first request."""
        if len(self.indptr) > 1:
            self.search(np.zeros(len(self.heads)), (0.0, 0.0), 1.0, 0.0, [(0, 0.0)], [(0, 0.0)])

    def _scratch(self) -> _Scratch:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            states, room = len(self.indptr) - 1, len(self.heads) + 8
            scratch = self._local.scratch = _Scratch(
                distance=np.full(states, math.inf), predecessor=np.full(states, _UNREACHED, dtype=np.int64),
                settled=np.zeros(states, dtype=np.bool_), touched=np.zeros(states, dtype=np.int64),
                heap_keys=np.zeros(room), heap_states=np.zeros(room, dtype=np.int64))
        return scratch


@numba.njit(cache=True, nogil=True, inline="always")
def _push(keys: np.ndarray, states: np.ndarray, size: int, key: float, state: int) -> int:
    at = size
    while at > 0:
        parent = (at - 1) >> 1
        if keys[parent] <= key:
            break
        keys[at], states[at] = keys[parent], states[parent]
        at = parent
    keys[at], states[at] = key, state
    return size + 1


@numba.njit(cache=True, nogil=True, inline="always")
def _pop(keys: np.ndarray, states: np.ndarray, size: int) -> int:
    """Remove the smallest key (read it at keys[0], states[0] before); returns the new size."""
    size -= 1
    key, state = keys[size], states[size]
    at = 0
    while True:
        child = 2 * at + 1
        if child >= size:
            break
        if child + 1 < size and keys[child + 1] < keys[child]:
            child += 1
        if keys[child] >= key:
            break
        keys[at], states[at] = keys[child], states[child]
        at = child
    if size > 0:
        keys[at], states[at] = key, state
    return size


@numba.njit(cache=True, nogil=True)
def _bound(state: int, state_node, node_x, node_y, end_x: float, end_y: float, metre_cost: float) -> float:
    node = state_node[state]
    dx, dy = node_x[node] - end_x, node_y[node] - end_y
    return math.sqrt(dx * dx + dy * dy) * metre_cost


@numba.njit(cache=True, nogil=True)
def _astar(indptr, heads, weights, state_node, node_x, node_y, end_x, end_y, metre_cost, h_source, start_states,
           start_costs, target_states, target_slack, limit, skip_from_start, distance, predecessor, settled, touched,
           touched_count, heap_keys, heap_states, reduced, from_start) -> int:
    for i in range(touched_count):
        state = touched[i]
        distance[state], predecessor[state], settled[state] = math.inf, _UNREACHED, False
    count, size = 0, 0
    for j in range(len(start_states)):
        state = start_states[j]
        cost = start_costs[j] + _bound(state, state_node, node_x, node_y, end_x, end_y, metre_cost) - h_source
        cost = max(cost, EPSILON)
        if cost <= limit and cost < distance[state]:
            if distance[state] == math.inf:
                touched[count] = state
                count += 1
            distance[state], predecessor[state] = cost, _START
            size = _push(heap_keys, heap_states, size, cost, state)
    targets_left, best = len(target_states), math.inf
    while size > 0 and targets_left > 0:
        key, state = heap_keys[0], heap_states[0]
        size = _pop(heap_keys, heap_states, size)
        if settled[state] or key > distance[state]:
            continue  # an entry left behind by a cheaper one
        settled[state] = True
        for t in range(len(target_states)):
            if target_states[t] == state:
                reduced[t], from_start[t] = key, predecessor[state] == _START
                targets_left -= 1
                if not (skip_from_start and from_start[t]):
                    best = min(best, key + h_source - target_slack[t])
        if best < math.inf:
            beaten = True
            for t in range(len(target_states)):
                if reduced[t] == math.inf and key + h_source - target_slack[t] <= best:
                    beaten = False
            if beaten:
                break
        h_state = _bound(state, state_node, node_x, node_y, end_x, end_y, metre_cost)
        for arc in range(indptr[state], indptr[state + 1]):
            head = heads[arc]
            if settled[head]:
                continue
            step = (_bound(head, state_node, node_x, node_y, end_x, end_y, metre_cost) - h_state) + weights[arc]
            reached = key + max(step, EPSILON)
            if reached <= limit and reached < distance[head]:
                if distance[head] == math.inf:
                    touched[count] = head
                    count += 1
                distance[head], predecessor[head] = reached, state
                size = _push(heap_keys, heap_states, size, reached, head)
    return count


@numba.njit(cache=True, nogil=True)
def _unwind(predecessor: np.ndarray, state: int) -> np.ndarray:
    count, at = 1, state
    while predecessor[at] >= 0:
        at = predecessor[at]
        count += 1
    path = np.empty(count, dtype=np.int64)
    at = state
    for i in range(count - 1, -1, -1):
        path[i] = at
        at = predecessor[at]
    return path
