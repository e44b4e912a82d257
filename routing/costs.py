"""Per-request costs on an edge-based view of the walk graph.

A walker's cost at a junction depends on where they come from and where they go: walking along a street past a side
street crosses it, turning into the side street does not. So the planner searches over *directed edges* (state =
"just walked this edge"), and every move from one directed edge to the next is an *arc* that carries the turn, the
change of street and the streets crossed at the node between them.

`ArcTable` holds what does not depend on preferences, computed once per graph. `cost_arrays` turns preferences into
the costs of directed edges and arcs with a handful of numpy operations per request.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from routing import tags
from routing.graph import WalkGraph
from routing.profiles import Preferences

# The planner's weight of crossing a street, by highway class: how much harder than a quiet residential street
# (a cost, finer than tags.ROAD_CLASS: slip roads and service roads are easier than their road).
CROSSING_WEIGHT = {
    "trunk": 3.0, "trunk_link": 2.5, "primary": 3.0, "primary_link": 2.5, "secondary": 2.5, "secondary_link": 2.0,
    "tertiary": 2.0, "tertiary_link": 1.5, "unclassified": 1.2, "road": 1.0, "residential": 1.0,
    "living_street": 0.5, "service": 0.5,
}

# What controls a crossing, as the planner distinguishes it.
CONTROLS = ("signals_acoustic", "signals_no_acoustic", "signals_acoustic_unknown", "zebra", "marked", "unmarked",
            "mapped_unknown", "unmapped", "junction_signals")
_CONTROL = {name: code for code, name in enumerate(CONTROLS)}
# The control as told to the walker: whether lights have sound is its own fact.
_CONTROL_SAID = {"signals_acoustic": "traffic_signals", "signals_no_acoustic": "traffic_signals",
                 "signals_acoustic_unknown": "traffic_signals", "zebra": "zebra", "marked": "marked",
                 "unmarked": "unmarked", "mapped_unknown": "unknown", "unmapped": "unknown",
                 "junction_signals": "unknown"}

# Turn classes by the absolute change of bearing in degrees; a bend below the first threshold is no turn.
TURN_THRESHOLDS_DEG = (30.0, 120.0, 160.0)
TURN_WEIGHTS = (0.0, 1.0, 1.5, 3.0)

_ROUGH = {tags.SURFACE_CLASSES.index(name) for name in tags.ROUGH_SURFACES}


def street_size(highway: str, lanes: int | None, maxspeed_kmh: float | None) -> float:
    """Relative difficulty of crossing a street: class, then more for many lanes and fast traffic."""
    size = CROSSING_WEIGHT.get(highway, 1.0)
    if lanes is not None and lanes >= 4:
        size *= 1.5
    elif lanes == 3:
        size *= 1.2
    if maxspeed_kmh is not None:
        size *= 1.3 if maxspeed_kmh >= 60 else 0.8 if maxspeed_kmh <= 30 else 1.0
    return size


def crossing_control(graph: WalkGraph, node: int, edges: tuple[int | None, ...]) -> str:
    """The control of the crossing at `node`, from the node's tags, else from a footway=crossing way walked on (its
    tags, or a signal node on it). A junction node highway=traffic_signals alone is `junction_signals`: the junction
    has lights, which says nothing sure about a light for the walker's crossing."""
    kind = tags.CROSSING_KINDS[graph.node_columns["crossing"][node]]
    acoustic = int(graph.node_columns["acoustic_signal"][node])
    if kind == "none":
        for edge in edges:
            if edge is not None:
                way_kind = tags.CROSSING_KINDS[graph.way_columns["crossing"][graph.edge_way[edge]]]
                if way_kind != "none":
                    kind = way_kind
        if kind == "none":
            signal = _signal_on_crossing_way(graph, node, edges)
            if signal is not None:
                kind, acoustic = "traffic_signals", int(graph.node_columns["acoustic_signal"][signal])
        if kind == "none" and graph.node_columns["traffic_signals"][node]:
            return "junction_signals"
    if kind == "traffic_signals":
        return {tags.YES: "signals_acoustic", tags.NO: "signals_no_acoustic"}.get(acoustic, "signals_acoustic_unknown")
    if kind in ("zebra", "marked", "unmarked"):
        return kind
    return "mapped_unknown" if kind == "unknown" else "unmapped"


def _signal_on_crossing_way(graph: WalkGraph, node: int, edges: tuple[int | None, ...]) -> int | None:
    """The other end of a walked footway=crossing edge when that node is a pedestrian signal (highway=
    traffic_signals or crossing=traffic_signals on the crossing way itself), else None."""
    footway = graph.texts["footway"]
    crossing_way = footway.index("crossing") if "crossing" in footway else -1
    signal_kind = tags.CROSSING_KINDS.index("traffic_signals")
    for edge in edges:
        if edge is None or graph.way_columns["footway"][graph.edge_way[edge]] != crossing_way:
            continue
        other = int(graph.edge_v[edge] if graph.edge_u[edge] == node else graph.edge_u[edge])
        if graph.node_columns["traffic_signals"][other] or graph.node_columns["crossing"][other] == signal_kind:
            return other
    return None


def _bearing(dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    return np.degrees(np.arctan2(dx, dy)) % 360


@dataclass
class ArcTable:
    """The edge-based graph of a WalkGraph: directed edges and the arcs between them, with their fixed facts."""

    graph: WalkGraph
    directed_from: np.ndarray  # node each directed edge starts at
    directed_to: np.ndarray
    start_bearing: np.ndarray  # degrees, of each directed edge's first and last segment
    end_bearing: np.ndarray
    arc_from: np.ndarray  # directed edge walked before the arc
    arc_to: np.ndarray  # directed edge walked after it
    arc_turn: np.ndarray  # signed change of bearing, degrees in (-180, 180]; positive is a right turn
    arc_street_change: np.ndarray
    arc_crossings: np.ndarray  # number of streets crossed at the node between the two edges
    arc_crossing_size: np.ndarray  # sum of street_size over them
    arc_control: np.ndarray  # index into CONTROLS (meaningful where arc_crossings > 0)
    arc_tactile: np.ndarray  # tags.TRI code of the crossing node's tactile paving
    arc_barrier: np.ndarray  # tags.BARRIER_KINDS code at the node between the two edges
    row_offsets: np.ndarray = field(init=False, repr=False)  # arcs leaving directed edge d: row_arcs[offsets[d]:...]
    row_arcs: np.ndarray = field(init=False, repr=False)
    _arc_index: dict[int, int] = field(init=False, repr=False)
    _crossing_nodes: np.ndarray = field(init=False, repr=False)
    # Filled as routes ask (`crossing`); dict writes are atomic, so threads at worst describe one crossing twice.
    _crossings: dict[int, dict[str, Any] | None] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.row_arcs = np.argsort(self.arc_from, kind="stable").astype(np.int32)
        counts = np.bincount(self.arc_from, minlength=self.directed_count)
        self.row_offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
        # Keyed by one number per move (before x directed count + after): cheaper to build than tuples.
        keys = self.arc_from.astype(np.int64) * self.directed_count + self.arc_to
        self._arc_index = dict(zip(keys.tolist(), range(len(keys))))
        self._crossing_nodes = self.graph.node_columns["crossing"] != 0

    def arc_between(self, before: int, after: int) -> int:
        """The arc from directed edge `before` to `after`; -1 if that move is not allowed."""
        return self._arc_index.get(before * self.directed_count + after, -1)

    def arcs_along(self, directed: list[int]) -> list[int]:
        """The arc of each move along a path of directed edges; -1 where a move is not allowed."""
        count, index = self.directed_count, self._arc_index
        return [index.get(before * count + after, -1) for before, after in zip(directed, directed[1:])]

    def crossing(self, arc: int) -> dict[str, Any] | None:
        """What a walker crosses on an arc, as JSON-ready facts (yes/no/unknown), or None if nothing is crossed.

        Described the first time a route asks, then kept (describing every crossing up front took longer than
        loading a region's graph).
        """
        if arc in self._crossings:
            return self._crossings[arc]
        node = int(self.directed_to[self.arc_from[arc]])
        # Each move its own description: which side the arms lie on depends on the direction walked.
        facts = self._describe_crossing(arc) if self.arc_crossings[arc] > 0 or self._crossing_nodes[node] else None
        self._crossings[arc] = facts
        return facts

    def _describe_crossing(self, arc: int) -> dict[str, Any] | None:
        graph = self.graph
        edge_count = graph.edge_count
        node = int(self.directed_to[self.arc_from[arc]])
        edge_in, edge_out = int(self.arc_from[arc]) % edge_count, int(self.arc_to[arc]) % edge_count
        kind = tags.CROSSING_KINDS[graph.node_columns["crossing"][node]]
        on_footways = not (graph.way_is_road[graph.edge_way[edge_in]] or graph.way_is_road[graph.edge_way[edge_out]])
        streets = graph.crossed_streets(node, edge_in, edge_out) if self.arc_crossings[arc] or kind != "none" else []
        if not streets and not (kind != "none" and on_footways):
            return None
        streets, arms, side, street_sides = self._arms(arc, node, streets)
        control = crossing_control(graph, node, (edge_in, edge_out))
        facts = graph.node_attributes(node)
        # A junction's lights are signals at the node, but the control of the walker's crossing stays unknown.
        signals = "yes" if control.startswith("signals") or control == "junction_signals" else \
            "no" if control in ("zebra", "marked", "unmarked") else "unknown"
        return {
            "lat": facts["lat"],
            "lon": facts["lon"],
            "node_osm_id": facts["osm_id"],
            # A slip road's dict also names the road it joins ("link_of"), where that is mapped.
            "streets": [{"name": street.name, "highway": street.highway, "lanes": street.lanes,
                         "maxspeed_kmh": street.maxspeed_kmh, "way_osm_ids": list(street.way_osm_ids),
                         **({"link_of": street.link_of} if street.link_of else {}),
                         **({"side": street_sides[index]} if street_sides else {})}
                        for index, street in enumerate(streets)],
            "arms": arms,
            "arms_side": side,
            "mapped": kind != "none" or control != "unmapped",
            "control": _CONTROL_SAID[control],
            "signals": signals,
            "acoustic_signal": facts["acoustic_signal"] if signals != "no" else "no",
            "vibration": facts["vibration"] if signals != "no" else "no",
            "button_operated": facts["button_operated"],
            "tactile_paving": facts["tactile_paving"],
            "island": facts["crossing_island"],
            "kerb": facts["kerb"],
        }

    def _arms(self, arc: int, node: int, streets: list) -> tuple[list, int, str, list[str] | None]:
        """The arms of the junction that a walk over `arc` crosses (each arm a road with cars of its own).

        Returns the crossed streets, in the order a walker on the side of the arms meets them when all arms lie on
        one side of the walk; the number of separate crossings there (every arm when they lie on one side, else 1:
        a road passed straight through is one crossing); that side ("left", "right", or "both", also when a road
        without geometry in the graph, one the walker may not use, is among them); and, for a walk along a road
        past arms on both sides or past one side street, the side of each street ("left", "right", or "both" for
        one whose arms lie on both sides): a walker on one sidewalk crosses only the streets on that side, and the
        map does not say which sidewalk is walked. None where that does not apply."""
        graph = self.graph
        edge_count = graph.edge_count
        arriving, leaving = int(self.arc_from[arc]), int(self.arc_to[arc])
        heading = float(self.end_bearing[arriving])
        turn = (float(self.start_bearing[leaving]) - heading + 180) % 360 - 180
        street_of = {way: index for index, street in enumerate(streets) for way in street.way_osm_ids}
        first_met: dict[int, float] = {}
        sides_of: dict[int, set[str]] = {}
        arms = 0
        for edge in graph.edges_at(node).tolist():
            street = street_of.get(int(graph.way_osm_id[graph.edge_way[edge]]))
            if street is None or edge in (arriving % edge_count, leaving % edge_count):
                continue
            directed = edge if int(graph.edge_u[edge]) == node else edge + edge_count
            angle = (float(self.start_bearing[directed]) - heading + 180) % 360 - 180
            right = angle > turn
            sides_of.setdefault(street, set()).add("right" if right else "left")
            arms += 1
            # Met first: on the right the arm nearest behind the walker (the largest angle), on the left the smallest.
            first_met[street] = min(first_met.get(street, 360.0), -angle if right else angle)
        sides = set().union(*sides_of.values())
        if len(first_met) < len(streets) or not sides:
            return streets, 1, "both", None
        ways = graph.edge_way
        along_road = (bool(graph.way_is_road[ways[arriving % edge_count]])
                      and graph.street_key(int(ways[arriving % edge_count])) == graph.street_key(
                          int(ways[leaving % edge_count])))
        if len(sides) == 1:
            side = sides.pop()
            if along_road and arms == 1:  # a side street on one side: crossed only on that side's sidewalk
                return streets, 1, side, [side] * len(streets)
            return [streets[index] for index in sorted(first_met, key=first_met.get)], arms, side, None
        one_sided = {side for street_sides in sides_of.values() if len(street_sides) == 1 for side in street_sides}
        if not along_road or one_sided != {"left", "right"}:
            return streets, 1, "both", None
        said = [next(iter(sides_of[i])) if len(sides_of[i]) == 1 else "both" for i in range(len(streets))]
        return streets, 1, "both", said

    @classmethod
    def build(cls, graph: WalkGraph) -> ArcTable:
        """The edge-based graph of `graph`: the moves its cache file holds (`store_moves`), else enumerated."""
        directed_from = np.concatenate([graph.edge_u, graph.edge_v])
        directed_to = np.concatenate([graph.edge_v, graph.edge_u])
        first, last = graph.geom_offsets[:-1], graph.geom_offsets[1:] - 1
        forward_start = _bearing(graph.geom_x[first + 1] - graph.geom_x[first], graph.geom_y[first + 1] - graph.geom_y[first])
        forward_end = _bearing(graph.geom_x[last] - graph.geom_x[last - 1], graph.geom_y[last] - graph.geom_y[last - 1])
        start_bearing = np.concatenate([forward_start, (forward_end + 180) % 360])
        end_bearing = np.concatenate([forward_end, (forward_start + 180) % 360])
        moves = graph.arcs if set(graph.arcs) == set(MOVE_ARRAYS) else enumerate_moves(graph)
        arc_from, arc_to = moves["arc_from"], moves["arc_to"]
        node_between = directed_to[arc_from]
        return cls(
            graph=graph,
            directed_from=directed_from,
            directed_to=directed_to,
            start_bearing=start_bearing,
            end_bearing=end_bearing,
            arc_from=arc_from,
            arc_to=arc_to,
            arc_turn=(start_bearing[arc_to] - end_bearing[arc_from] + 180) % 360 - 180,
            arc_street_change=moves["arc_street_change"],
            arc_crossings=moves["arc_crossings"],
            arc_crossing_size=moves["arc_crossing_size"],
            arc_control=moves["arc_control"],
            arc_tactile=graph.node_columns["tactile_paving"][node_between],
            arc_barrier=graph.node_columns["barrier"][node_between],
        )

    @property
    def directed_count(self) -> int:
        return len(self.directed_from)


# The arrays of `enumerate_moves`, kept in a graph's cache file (WalkGraph.arcs).
MOVE_ARRAYS = ("arc_from", "arc_to", "arc_street_change", "arc_crossings", "arc_crossing_size", "arc_control")


def enumerate_moves(graph: WalkGraph) -> dict[str, np.ndarray]:
    """Every allowed move between directed edges (no U-turn on the same edge), what it crosses and whether it
    changes street: a loop over every node's edges in Python, so it runs once, when a graph is built."""
    edge_count = graph.edge_count
    directed_from = np.concatenate([graph.edge_u, graph.edge_v])
    directed_to = np.concatenate([graph.edge_v, graph.edge_u])
    outgoing: list[list[int]] = [[] for _ in range(graph.node_count)]
    for directed, node in enumerate(directed_from.tolist()):
        outgoing[node].append(directed)
    edge_way = graph.edge_way.tolist()

    arc_from, arc_to, crossings, sizes, controls = [], [], [], [], []
    crossing_cache: dict[tuple[int, int, int], tuple[int, float, int]] = {}
    for directed, node in enumerate(directed_to.tolist()):
        edge_in = directed % edge_count
        has_roads = bool(graph.roads_at(node)) or bool(graph.closed_roads_at(node))
        for out in outgoing[node]:
            edge_out = out % edge_count
            if edge_out == edge_in and out != directed and graph.edge_u[edge_in] != graph.edge_v[edge_in]:
                continue  # turning back on the edge just walked
            arc_from.append(directed)
            arc_to.append(out)
            if not has_roads:
                crossings.append(0), sizes.append(0.0), controls.append(0)
                continue
            key = (node, edge_way[edge_in], edge_way[edge_out])
            if key not in crossing_cache:
                streets = graph.crossed_streets(node, edge_in, edge_out)
                crossing_cache[key] = (
                    len(streets),
                    sum(street_size(s.highway, s.lanes, s.maxspeed_kmh) for s in streets),
                    _CONTROL[crossing_control(graph, node, (edge_in, edge_out))] if streets else 0,
                )
            count, size, control = crossing_cache[key]
            crossings.append(count), sizes.append(size), controls.append(control)

    arc_from_a = np.array(arc_from, dtype=np.int32)
    arc_to_a = np.array(arc_to, dtype=np.int32)
    street_keys = np.array([graph.street_key(way) for way in range(len(graph.way_osm_id))], dtype=object)
    ways = graph.edge_way
    return {
        "arc_from": arc_from_a,
        "arc_to": arc_to_a,
        "arc_street_change": street_keys[ways[arc_from_a % edge_count]] != street_keys[ways[arc_to_a % edge_count]],
        "arc_crossings": np.array(crossings, dtype=np.int8),
        "arc_crossing_size": np.array(sizes, dtype=np.float64),
        "arc_control": np.array(controls, dtype=np.int8),
    }


def _control_factors(prefs: Preferences) -> np.ndarray:
    """Cost factor of each crossing control (index CONTROLS): lower is safer for this walker."""
    cautious = prefs.unknown == "cautious"
    acoustic = prefs.prefer_acoustic_signals
    factors = {
        "signals_acoustic": 0.4,
        "signals_no_acoustic": 0.8 if acoustic else 0.4,
        "signals_acoustic_unknown": (0.7 if cautious else 0.4) if acoustic else 0.4,
        "zebra": 0.8,
        "marked": 0.9,
        "unmarked": 1.2,
        "mapped_unknown": 1.2 if cautious else 0.9,
        "unmapped": 1.3 if cautious else 1.0,
    }
    factors["junction_signals"] = factors["signals_acoustic_unknown"]  # lights at the junction, likely for walkers
    return np.array([factors[name] for name in CONTROLS])


def _barrier_penalties(prefs: Preferences) -> np.ndarray:
    """Metres added for passing a barrier (index tags.BARRIER_KINDS); scaled with how much crossings matter."""
    scale = prefs.crossing_penalty_m / 40
    penalty = {"none": 0, "bollard": 10, "gate": 20, "kerb": 15, "cycle_barrier": 20, "lift_gate": 10,
               "turnstile": 30, "entrance": 0, "swing_gate": 20, "kissing_gate": 30, "chain": 15, "block": 10,
               "stile": 40, "other": 15}
    return np.array([penalty[name] * scale for name in tags.BARRIER_KINDS])


@dataclass(frozen=True)
class CostArrays:
    """Costs for one set of preferences: per directed edge, per arc; `math.inf` marks what may not be used."""

    directed: np.ndarray
    arc: np.ndarray  # cost of the move itself (turn, street change, crossings, barrier), not of the next edge


def cost_arrays(table: ArcTable, prefs: Preferences, blocked_edges: np.ndarray | None = None,
                edge_penalties: np.ndarray | None = None) -> CostArrays:
    """Costs of every directed edge and arc for `prefs`, with blocked edges at infinity and report penalties added."""
    graph = table.graph
    ways = graph.edge_way
    cautious = prefs.unknown == "cautious"
    length = graph.edge_length.astype(np.float64)
    factor = np.ones(graph.edge_count)
    surface = graph.way_columns["surface_class"][ways]
    factor[np.isin(surface, list(_ROUGH))] = prefs.rough_surface_factor
    shared = graph.way_columns["shared_with_bicycles"][ways]
    segregated = graph.way_columns["segregated"][ways]
    shared_unseparated = (shared == tags.YES) & (segregated != tags.YES)
    if cautious:
        shared_unseparated |= (shared == tags.UNKNOWN) & (segregated != tags.YES)
    factor[shared_unseparated] *= prefs.shared_bicycle_factor
    cost = length * factor

    steps = graph.texts["highway"].index("steps") if "steps" in graph.texts["highway"] else -1
    is_steps = graph.way_columns["highway"][ways] == steps
    if prefs.steps == "never":
        cost[is_steps] = math.inf
    elif prefs.steps == "avoid":
        handrail = graph.way_columns["handrail"][ways]
        count_known = graph.way_columns["step_count"][ways] >= 0
        extra = np.full(graph.edge_count, float(prefs.steps_penalty_m))
        if prefs.prefer_handrail:
            extra += np.where(handrail == tags.YES, 0.0, np.where(handrail == tags.NO, 0.5, 0.5 if cautious else 0.0)
                              ) * prefs.steps_penalty_m
        if cautious:
            extra += np.where(count_known, 0.0, 0.25 * prefs.steps_penalty_m)
        cost[is_steps] += extra[is_steps]
    if edge_penalties is not None:
        cost = cost + edge_penalties
    if blocked_edges is not None and len(blocked_edges):
        cost[blocked_edges] = math.inf

    turn = np.abs(table.arc_turn)
    turn_class = np.searchsorted(TURN_THRESHOLDS_DEG, turn)
    arc = np.asarray(TURN_WEIGHTS)[turn_class] * prefs.turn_penalty_m
    arc = arc + table.arc_street_change * prefs.street_change_penalty_m
    # Each crossed street weighs 1 + (its size - 1) * big_road_weight, at least 0.2.
    weighted = table.arc_crossings + (table.arc_crossing_size - table.arc_crossings) * prefs.big_road_weight
    weighted = np.maximum(weighted, 0.2 * table.arc_crossings)
    crossing = prefs.crossing_penalty_m * _control_factors(prefs)[table.arc_control] * weighted
    if prefs.prefer_tactile_paving:
        missing = np.where(table.arc_tactile == tags.NO, 1.0, np.where(table.arc_tactile == tags.UNKNOWN,
                                                                      0.5 if cautious else 0.0, 0.0))
        crossing = crossing + (table.arc_crossings > 0) * missing * 0.25 * prefs.crossing_penalty_m
    arc = arc + crossing + _barrier_penalties(prefs)[table.arc_barrier]
    return CostArrays(directed=np.concatenate([cost, cost]), arc=arc)
