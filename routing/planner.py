"""Plan the route a walker's profile prefers, within the detour they accept, and the shortest one to compare with.

Searches run in compiled code (A*, `routing.astar`) over the edge-based graph of `routing.costs`: one row per
directed edge; the start sits mid-edge and reaches both directions of its edge. The cost arrays are cached per set of
preferences and obstacles. A search settles states in order of their cost plus the straight line on, and stops once
the end is settled: it touches only the states near the walk, so the work per request grows with the walk, not with
the map.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import numpy as np

from routing.astar import AStar
from routing.costs import ArcTable, CostArrays, cost_arrays
from routing.errors import LotseError
from routing.graph import WalkGraph
from routing.profiles import Preferences
from routing.spatial import EdgeIndex, Snap

# The least reduced cost of a move: a search never goes round in zero-cost circles (and sums as scipy's Dijkstra did
# here before, whose explicit zeros meant "no arc").
_EPSILON = 1e-6
# A first search stops once the reduced cost passes `limit_factor` x straight-line metres + slack; if the end is not
# surely reached by then the search is repeated without a limit, so the bound saves time and never changes the answer.
# (It keeps the states beyond it out of the heap: cheaper, measured, than one search within the loose bound of the
# known path, although a few long walks are searched twice.)
_LIMIT_SLACK = 150.0
_LIMIT_FACTOR_LENGTH = 0.8
_LIMIT_FACTOR_PREFERRED = 2.2
# Blends of preference cost and plain length tried when the preferred route is longer than the accepted detour.
_DETOUR_BLENDS = (0.6, 0.3, 0.1, 0.0)


class NoRouteError(LotseError):
    """No route fits: `reason` is no_connection, blocked, detour_limit or same_place."""

    code = "no_route"

    def __init__(self, message: str, *, reason: str, **params: object) -> None:
        super().__init__(message, code=f"no_route_{reason}", reason=reason, **params)
        self.reason = reason


@dataclass(frozen=True)
class Obstacle:
    """A reported obstacle: where (an OSM node id, an OSM way id, or a point), how bad, and when it applies.

    It carries no free text: a walker hears only its kind (see `routing.obstacles` for the trust rules).
    """

    severity: str  # "block", "penalty", or "note" (unconfirmed: no cost, only a spoken note of its kind)
    kind: str = "other"  # what is there (construction, head_height, ...), for the warning a walker hears
    osm_node_id: int | None = None
    osm_way_id: int | None = None
    lat: float | None = None
    lon: float | None = None
    penalty_m: float = 100.0
    valid_from: datetime | None = None
    valid_until: datetime | None = None

    def active(self, now: datetime) -> bool:
        return (self.valid_from is None or self.valid_from <= now) and (self.valid_until is None or now < self.valid_until)

    @property
    def steers(self) -> bool:
        """Whether it changes costs (a note does not)."""
        return self.severity != "note"


@dataclass
class Path:
    """A search result: directed edges walked in order, the snapped ends, its cost under the search's costs."""

    directed: list[int]
    start: Snap
    end: Snap
    cost: float
    length_m: float
    # The arc of each move from one directed edge to the next (-1 where that move is not allowed): the cost of a
    # path, its crossings and its summary all read them, looked up once here.
    arcs: list[int] = field(default_factory=list, repr=False, compare=False)


@dataclass
class _Costs:
    arrays: CostArrays
    data: np.ndarray  # arc weights in the order of the search graph's rows (`ArcTable.row_arcs`)
    blocked: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    limit_factor: float = _LIMIT_FACTOR_PREFERRED
    # The cheapest cost of a metre anywhere: straight-line metres times this never overestimate what is left.
    metre_cost: float = 1.0
    # Plain-length costs have no turn or crossing costs, so they are searched on the smaller node graph.
    node_data: np.ndarray | None = None


class Planner:
    """Route planning on one WalkGraph; thread-safe, cheap per request."""

    def __init__(self, graph: WalkGraph, index: EdgeIndex, cache_size: int = 32) -> None:
        self.graph = graph
        self.index = index
        self.table = ArcTable.build(graph)
        table = self.table
        # A search state per directed edge, sitting at the node its edge ends at; its arcs are the moves on.
        self._states = _SearchGraph(table.row_offsets, table.arc_to[table.row_arcs].astype(np.int32),
                                    table.directed_to.astype(np.int32), AStar(table.directed_count))
        self._build_node_graph()
        self._search_lock = threading.Lock()  # one search at a time on each graph's AStar state
        self._cache: OrderedDict[tuple, _Costs] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    # ------------------------------------------------------------------------------------------- costs
    def costs(self, prefs: Preferences | None, obstacles: tuple[Obstacle, ...] = (), now: datetime | None = None) -> _Costs:
        """Cost arrays for preferences (None: plain length) and the obstacles active `now`, cached."""
        active = tuple(o for o in obstacles if o.steers and o.active(now or datetime.now(timezone.utc)))

        def make() -> _Costs:
            blocked, penalties = self._obstacle_edges(active)
            if prefs is None:
                costs = self._prepare(_length_costs(self.table, blocked), blocked, _LIMIT_FACTOR_LENGTH)
                costs.node_data = np.minimum.reduceat(costs.arrays.directed[self._node_arc_directed],
                                                      self._node_pair_starts)
                return costs
            return self._prepare(cost_arrays(self.table, prefs, blocked, penalties), blocked, _LIMIT_FACTOR_PREFERRED)

        return self._cached((prefs, active), make)

    def _cached(self, key: tuple, make: Callable[[], _Costs]) -> _Costs:
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        costs = make()
        with self._lock:
            self._cache[key] = costs
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return costs

    def _prepare(self, arrays: CostArrays, blocked: np.ndarray, limit_factor: float) -> _Costs:
        """Arc weights in the search matrix's order, and the cheapest metre for the A* bound."""
        weights = arrays.arc + arrays.directed[self.table.arc_to] + _EPSILON
        edge_count = self.graph.edge_count
        length = self.graph.edge_length
        measurable = (length > 0) & np.isfinite(arrays.directed[:edge_count])
        ratios = arrays.directed[:edge_count][measurable] / length[measurable]
        metre_cost = min(1.0, float(ratios.min())) if len(ratios) else 1.0
        return _Costs(arrays=arrays, data=weights[self.table.row_arcs], blocked=blocked,
                      limit_factor=limit_factor,
                      metre_cost=metre_cost)

    def _obstacle_edges(self, obstacles: tuple[Obstacle, ...]) -> tuple[np.ndarray, np.ndarray | None]:
        if not obstacles:
            return np.zeros(0, dtype=np.int64), None
        graph = self.graph
        penalties = np.zeros(graph.edge_count)
        blocked: list[int] = []
        for obstacle in obstacles:
            edges = self.obstacle_edges(obstacle)
            if obstacle.severity == "block":
                blocked.extend(edges.tolist())
            else:
                penalties[edges] += obstacle.penalty_m
        return np.unique(np.array(blocked, dtype=np.int64)), penalties

    def obstacle_edges(self, obstacle: Obstacle) -> np.ndarray:
        """The edges an obstacle affects: all edges of a way, all edges through a node, or the edge at a point."""
        graph = self.graph
        if obstacle.osm_way_id is not None:
            ways = np.flatnonzero(graph.way_osm_id == obstacle.osm_way_id)
            return np.flatnonzero(np.isin(graph.edge_way, ways))
        if obstacle.osm_node_id is not None:
            points = np.flatnonzero(graph.geom_osm_id == obstacle.osm_node_id)
            return np.unique(np.searchsorted(graph.geom_offsets, points, side="right") - 1)
        return np.array([self.index.snap(obstacle.lat, obstacle.lon).edge])

    # ------------------------------------------------------------------------------------------ search
    def _build_node_graph(self) -> None:
        """The node graph: one arc per ordered pair of neighbours (the cheapest of parallel edges)."""
        table = self.table
        directed = np.lexsort((table.directed_to, table.directed_from)).astype(np.int32)
        tails, heads = table.directed_from[directed], table.directed_to[directed]
        new_pair = np.concatenate([[True], (tails[1:] != tails[:-1]) | (heads[1:] != heads[:-1])])
        self._node_pair_starts = np.flatnonzero(new_pair)
        self._node_arc_directed = directed
        pair_tails, pair_heads = tails[new_pair], heads[new_pair]
        counts = np.bincount(pair_tails, minlength=self.graph.node_count)
        self._nodes = _SearchGraph(np.concatenate([[0], np.cumsum(counts)]).astype(np.int32),
                                   pair_heads.astype(np.int32), np.arange(self.graph.node_count, dtype=np.int32),
                                   AStar(self.graph.node_count))
        # Each pair as one ascending number, to find the directed edges between two neighbours when a node
        # sequence is turned back into edges: directed[starts[pair]:ends[pair]].
        self._node_pair_keys = pair_tails.astype(np.int64) * self.graph.node_count + pair_heads
        self._node_pair_ends = np.append(self._node_pair_starts[1:], len(directed))

    def _edges_between(self, nodes: list[int], directed_cost: np.ndarray) -> list[int]:
        """The directed edges that walk a sequence of neighbouring nodes: the cheapest where several join two."""
        if len(nodes) < 2:
            return []
        steps = np.asarray(nodes, dtype=np.int64)
        pairs = np.searchsorted(self._node_pair_keys, steps[:-1] * self.graph.node_count + steps[1:])
        starts, ends = self._node_pair_starts[pairs], self._node_pair_ends[pairs]
        edges = self._node_arc_directed[starts].tolist()
        for step in np.flatnonzero(ends - starts > 1).tolist():
            between = self._node_arc_directed[starts[step]:ends[step]].tolist()
            edges[step] = min(between, key=directed_cost.__getitem__)
        return edges

    def _search_nodes(self, start: Snap, end: Snap, costs: _Costs) -> Path | None:
        """`search` for plain-length costs, on nodes: no move between edges costs anything there."""
        graph = self.graph
        edge_count = graph.edge_count
        directed_cost = costs.arrays.directed
        start_edge, end_edge = start.edge, end.edge
        start_cost, end_cost = float(directed_cost[start_edge]), float(directed_cost[end_edge])
        start_share, end_share = self._share(start), self._share(end)
        candidates: list[tuple[float, list[int]]] = []
        if start_edge == end_edge and math.isfinite(start_cost):
            direction = start_edge if end_share >= start_share else start_edge + edge_count
            candidates.append((_part(start_cost, abs(end_share - start_share)), [direction]))

        metre_cost = costs.metre_cost
        h_source = math.hypot(start.x - end.x, start.y - end.y) * metre_cost
        start_u, start_v = int(graph.edge_u[start_edge]), int(graph.edge_v[start_edge])
        start_arcs = ((start_u, _part(start_cost, start_share)), (start_v, _part(start_cost, 1 - start_share)))
        end_u, end_v = int(graph.edge_u[end_edge]), int(graph.edge_v[end_edge])
        # Arriving at u walks end_share of the end edge on, at v the rest (none counts on an impassable end edge).
        arrivals_at = ((h_source + _part(end_cost, end_share), h_source + _part(end_cost, 1 - end_share))
                       if math.isfinite(end_cost) else (math.inf, math.inf))
        for limit in (costs.limit_factor * h_source + _LIMIT_SLACK, math.inf):
            decided, found = self._astar(self._nodes, costs.node_data, end, metre_cost, h_source, start_arcs,
                                         (end_u, end_v), arrivals_at, False, limit)
            arrivals = []
            if math.isfinite(end_cost):
                for (reduced, h, nodes), walked, direction in zip(found, (end_share, 1 - end_share),
                                                                  (end_edge, end_edge + edge_count)):
                    if math.isfinite(reduced):
                        arrivals.append((reduced + h_source - h + _part(end_cost, walked), nodes, direction))
            if decided or limit == math.inf or (
                    arrivals and min(cost for cost, _, _ in arrivals) <= limit + h_source - 2 * end_cost):
                break
        for cost, nodes, direction in arrivals:
            # Leaving the start point towards u walks the start edge backwards, towards v forwards.
            towards_u = nodes[0] == start_u and (start_u != start_v or start_share <= 0.5)
            path = [start_edge + edge_count if towards_u else start_edge, *self._edges_between(nodes, directed_cost),
                    direction]
            candidates.append((cost, path))
        if not candidates:
            return None
        cost, directed = min(candidates, key=lambda item: item[0])
        return Path(directed=directed, start=start, end=end, cost=cost, length_m=self.path_length(directed, start, end),
                    arcs=self.table.arcs_along(directed))

    def search(self, start: Snap, end: Snap, costs: _Costs, upper_bound: float = math.inf) -> Path | None:
        """The cheapest path from `start` to `end` under `costs`, or None when there is none.

        `upper_bound`, the cost of any known path between the two (e.g. the shortest one costed under `costs`), lets
        the search stop early and still be exact.
        """
        if costs.node_data is not None:
            return self._search_nodes(start, end, costs)
        graph = self.graph
        edge_count = graph.edge_count
        start_edge, end_edge = start.edge, end.edge
        start_cost = float(costs.arrays.directed[start_edge])
        end_cost = float(costs.arrays.directed[end_edge])
        start_share, end_share = self._share(start), self._share(end)

        candidates: list[tuple[float, list[int]]] = []
        if start_edge == end_edge and math.isfinite(start_cost):
            direction = start_edge if end_share >= start_share else start_edge + edge_count
            candidates.append((_part(start_cost, abs(end_share - start_share)), [direction]))

        # A* through Dijkstra on reduced costs w(a→b) - h(a) + h(b), h = straight-line metres to the end point times
        # the cheapest metre: a lower bound of any remaining cost, so reduced costs stay >= 0 and the answer exact.
        metre_cost = costs.metre_cost
        h_source = math.hypot(start.x - end.x, start.y - end.y) * metre_cost
        start_arcs = ((start_edge, _part(start_cost, 1 - start_share)),
                      (start_edge + edge_count, _part(start_cost, start_share)))
        # Arrival states cost at most the bound plus the end edge, and h there is at most the end edge's cost.
        bounded = upper_bound + 2 * end_cost - h_source + 1.0 if math.isfinite(upper_bound) else math.inf
        first_limit = min(costs.limit_factor * h_source + _LIMIT_SLACK, bounded)
        # Arriving on the end edge forward leaves 1 - end_share of it unwalked, backward end_share.
        arrivals_at = ((h_source - _part(end_cost, 1 - end_share), h_source - _part(end_cost, end_share))
                       if math.isfinite(end_cost) else (math.inf, math.inf))
        for limit in (first_limit, bounded):
            decided, found = self._astar(self._states, costs.data, end, metre_cost, h_source, start_arcs,
                                         (end_edge, end_edge + edge_count), arrivals_at, start_edge == end_edge, limit)
            # Arriving on the end edge from its u end (forward) or v end (backward), minus the part not walked.
            arrivals = []
            for (reduced, h, states), unwalked in zip(found, (1 - end_share, end_share)):
                if not (math.isfinite(reduced) and math.isfinite(end_cost)):
                    continue  # not reached, or an impassable end edge
                cost = reduced + h_source - h - _part(end_cost, unwalked)
                if not (start_edge == end_edge and len(states) == 1):  # (not straight from the start along its edge)
                    arrivals.append((cost, states))
            # Within the limit costs are exact; an arrival is surely best once the search decided it, or no state beyond
            # the limit can beat it (such a state's arrival costs more than limit + h_source - 2 * end_cost).
            if decided or limit == bounded or (
                    arrivals and min(cost for cost, _ in arrivals) <= limit + h_source - 2 * end_cost):
                break
        candidates.extend(arrivals)
        if not candidates:
            return None
        cost, directed = min(candidates, key=lambda item: item[0])
        return Path(directed=directed, start=start, end=end, cost=cost, length_m=self.path_length(directed, start, end),
                    arcs=self.table.arcs_along(directed))

    def _astar(self, graph: _SearchGraph, weights: np.ndarray, end: Snap, metre_cost: float, h_source: float,
               start_arcs: tuple[tuple[int, float], ...], watched: tuple[int, int], arrivals_at: tuple[float, float],
               not_first: bool, limit: float) -> list[tuple]:
        """A* on reduced costs over one of the search graphs with its arcs' `weights`, from the start, which reaches
        `start_arcs` (row, cost), until both `watched` rows are settled, or one whose arrival (reduced cost - h +
        its `arrivals_at`; with `not_first`, not straight from the start) the other cannot beat, or none is within
        `limit`: whether that decided the answer, and for each watched row (reduced cost, inf if not reached; its
        bound h; the rows walked from the start to it)."""
        with self._search_lock:
            return graph.astar.search(graph.indptr, graph.heads, weights, graph.row_node, self.graph.node_x,
                                      self.graph.node_y, end.x, end.y, metre_cost, h_source, start_arcs, *watched,
                                      *arrivals_at, not_first, limit, _EPSILON)

    def shares(self, path_edges: list[int], start: Snap, end: Snap) -> np.ndarray:
        """The fraction of each directed edge of a path that is walked: partial at the ends, whole between."""
        edge_count = self.graph.edge_count
        shares = np.ones(len(path_edges))
        start_share = self._share(start)
        end_share = self._share(end)
        if len(path_edges) == 1:
            shares[0] = abs(end_share - start_share)
            return shares
        shares[0] = 1 - start_share if path_edges[0] < edge_count else start_share
        shares[-1] = end_share if path_edges[-1] < edge_count else 1 - end_share
        return shares

    def _share(self, snap: Snap) -> float:
        """How far along its edge (from u, 0..1) a snapped point lies; 0 on an edge of no length."""
        length = float(self.graph.edge_length[snap.edge])
        return min(max(snap.offset_m / length, 0.0), 1.0) if length > 0 else 0.0

    def path_length(self, directed: list[int], start: Snap, end: Snap) -> float:
        """Metres walked along a path of directed edges from the start point to the end point."""
        lengths = self.graph.edge_length[np.asarray(directed) % self.graph.edge_count]
        return float((lengths * self.shares(directed, start, end)).sum())

    def path_cost(self, path: Path, costs: _Costs) -> float:
        """The cost of an existing path under other costs (to compare routes under one cost function)."""
        shares = self.shares(path.directed, path.start, path.end)
        edge_costs = costs.arrays.directed[np.asarray(path.directed)]
        total = float(np.where(shares > 0, edge_costs * shares, 0.0).sum())
        arc_costs = costs.arrays.arc
        for arc in path.arcs:
            total += float(arc_costs[arc]) if arc >= 0 else math.inf
        return total

    # -------------------------------------------------------------------------------------------- plan
    def plan(self, origin: tuple[Any, Any], destination: tuple[Any, Any], prefs: Preferences,
             obstacles: tuple[Obstacle, ...] = ()) -> tuple[Path, Path]:
        """The preferred path and the shortest walkable path between two positions.

        Raises CoordinateError / OffMapError for bad positions and NoRouteError saying why nothing fits.
        """
        start = self.index.snap(*origin)
        end = self.index.snap(*destination)
        if start.edge == end.edge and abs(start.offset_m - end.offset_m) < 1.0:
            raise NoRouteError("Start and destination are the same place", reason="same_place")
        shortest = self.search(start, end, self.costs(None, obstacles))
        if shortest is None:
            if obstacles and self.search(start, end, self.costs(None)) is not None:
                raise NoRouteError("Every route is blocked by reported obstacles", reason="blocked")
            raise NoRouteError("There is no walkable connection between start and destination", reason="no_connection")
        limit = shortest.length_m * prefs.max_detour + 1.0
        costs = self.costs(prefs, obstacles)
        preferred = self.search(start, end, costs, upper_bound=self.path_cost(shortest, costs))
        if preferred is not None and preferred.length_m <= limit:
            return preferred, shortest
        for blend in _DETOUR_BLENDS:
            candidate = self.search(start, end, self._blended(prefs, obstacles, blend))
            if candidate is not None and candidate.length_m <= limit:
                return candidate, shortest
        if preferred is None:
            raise NoRouteError("No route avoids what the preferences forbid (steps)", reason="no_connection")
        raise NoRouteError(
            f"Every route that fits the preferences is more than {round((prefs.max_detour - 1) * 100)} % longer than "
            f"the shortest walkable route ({shortest.length_m:.0f} m)",
            reason="detour_limit",
            max_detour_percent=round((prefs.max_detour - 1) * 100),
            shortest_m=round(shortest.length_m),
        )

    def _blended(self, prefs: Preferences, obstacles: tuple[Obstacle, ...], blend: float) -> _Costs:
        """Costs between the preferences (blend 1) and plain length (blend 0), keeping what is forbidden forbidden."""

        def make() -> _Costs:
            preferred = self.costs(prefs, obstacles)
            plain = self.costs(None, obstacles)
            passable = np.isfinite(preferred.arrays.directed)
            directed = np.full_like(plain.arrays.directed, math.inf)
            directed[passable] = blend * preferred.arrays.directed[passable] + (1 - blend) * plain.arrays.directed[passable]
            arrays = CostArrays(directed=directed, arc=blend * preferred.arrays.arc)
            return self._prepare(arrays, preferred.blocked, _LIMIT_FACTOR_PREFERRED)

        return self._cached(("blend", prefs, obstacles, blend), make)


@dataclass
class _SearchGraph:
    """A graph `Planner._astar` searches: CSR rows (`indptr`, `heads`), the node each row sits at (for the A* bound),
    and the compiled search's state for it."""

    indptr: np.ndarray
    heads: np.ndarray
    row_node: np.ndarray
    astar: AStar


def _part(cost: float, share: float) -> float:
    """The cost of walking `share` of an edge; walking none of an impassable edge costs nothing."""
    return cost * share if share > 0 else 0.0


def _length_costs(table: ArcTable, blocked: np.ndarray) -> CostArrays:
    """Plain walking length: what 'shortest walkable route' means; blocked edges stay impassable."""
    length = table.graph.edge_length.astype(np.float64)
    if len(blocked):
        length = length.copy()
        length[blocked] = math.inf
    return CostArrays(directed=np.concatenate([length, length]), arc=np.zeros(len(table.arc_from)))
