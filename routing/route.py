"""The `Route` value: what the walker will meet, in order, with every unknown kept visible.

Built from a planner `Path`: geometry, length, duration, each crossing (streets crossed, control, acoustic signal,
vibration, button, tactile paving, island: each yes/no/unknown), steps, barriers, surfaces and the data gaps.
"""

from __future__ import annotations

import math
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from routing import tags
from routing.costs import ArcTable
from routing.planner import Path, Planner
from routing.profiles import Preferences

# Extra seconds a walker typically spends at each kind of place, added to walking time.
WAIT_AT_SIGNALS_S = 30.0
WAIT_AT_CROSSING_S = 10.0
SECONDS_PER_STEP = 0.8
SECONDS_PER_UNKNOWN_STEPS = 10.0
# A zigzag over a road: at most this much road between two footways, turns of at least ZIGZAG_TURN_DEG that leave a
# net change of direction below ZIGZAG_STRAIGHT_DEG.
ZIGZAG_M = 10.0
ZIGZAG_TURN_DEG = 45.0
ZIGZAG_STRAIGHT_DEG = 45.0
# Whether each surface class (tags.SURFACE_CLASSES, by code) is rough: a lookup, cheaper per route than np.isin.
_ROUGH_CLASS = np.array([name in tags.ROUGH_SURFACES for name in tags.SURFACE_CLASSES])


@dataclass
class RouteEdge:
    """One walked piece of an edge, in walking direction."""

    edge: int
    forward: bool
    start_m: float  # distance from the route's start where this piece begins
    length_m: float
    from_m: float  # metres into the edge, in walking direction, where this piece begins (not 0 only at the start)
    way_osm_id: int
    name: str
    highway: str


@dataclass
class Crossing:
    """A street crossing on the route; facts are yes/no/unknown, never guessed."""

    distance_m: float
    lat: float
    lon: float
    node_osm_id: int
    streets: list[dict[str, Any]]
    mapped: bool  # a crossing mapped in OSM, or one inferred where a footway passes through a road
    control: str  # traffic_signals, zebra, marked, unmarked, unknown
    signals: str  # yes with control unknown: the junction has lights, a light for this crossing is not mapped
    acoustic_signal: str
    vibration: str
    button_operated: str
    tactile_paving: str
    island: str
    kerb: str
    arms: int = 1  # separate crossings here: each arm of a junction whose crossed arms all lie on one side
    arms_side: str = "both"  # left or right: every arm crossed lies on that side of the walk


@dataclass
class Route:
    """A planned route, JSON-ready through `to_dict`."""

    route_id: str
    profile: str
    distance_m: float
    duration_s: float
    lat: np.ndarray  # geometry in walking order
    lon: np.ndarray
    edges: list[RouteEdge]
    crossings: list[Crossing]
    steps: list[dict[str, Any]]
    barriers: list[dict[str, Any]]
    surfaces: dict[str, float]
    data_gaps: list[dict[str, Any]]
    preferences: dict[str, Any]
    explanation: dict[str, Any] = field(default_factory=dict)
    instructions: list[Any] = field(default_factory=list)  # routing.guidance.wording.Instruction
    tracking: dict[str, Any] = field(default_factory=dict)  # routing.tracking.tracking_rules, for the phone
    # What the words come from, in no language: the maneuvers and the shortest route's summary (for the
    # explanation). Another language words the same maneuvers, so the instructions keep their indexes and ids.
    maneuvers: list[Any] = field(default_factory=list, repr=False)  # routing.guidance.maneuvers.Maneuver
    shortest: dict[str, Any] = field(default_factory=dict, repr=False)  # path_summary of the shortest route

    def to_dict(self, edge_detail: bool = True) -> dict[str, Any]:
        """The route as the API returns it; geometry as a GeoJSON LineString (lon, lat order). `edge_detail` False
        leaves out `edges`, each walked piece of the graph, which a walker's phone does not need (a third of the
        answer on a long route)."""
        coordinates = np.round(np.column_stack([self.lon, self.lat]), 7).tolist()
        answer = {
            "route_id": self.route_id,
            "profile": self.profile,
            "distance_m": round(self.distance_m, 1),
            "duration_s": round(self.duration_s),
            "geometry": {"type": "LineString", "coordinates": coordinates},
            "edges": [edge.__dict__ for edge in self.edges],
            "crossings": [crossing.__dict__ for crossing in self.crossings],
            "steps": self.steps,
            "barriers": self.barriers,
            "surfaces": self.surfaces,
            "data_gaps": self.data_gaps,
            "preferences": self.preferences,
            "explanation": self.explanation,
            "instructions": [{**instruction.to_dict(), "id": instruction_id(self.route_id, instruction.index)}
                             for instruction in self.instructions],
            "tracking": self.tracking,
        }
        if not edge_detail:
            del answer["edges"]
        return answer


def instruction_id(route_id: str, index: int) -> str:
    """An instruction's stable id: the same on every connection and reload, so what was said is said once."""
    return f"{route_id}-{index}"


@dataclass
class _Walk:
    """The per-edge arrays of a path that both the Route and the route summary need."""

    directed: list[int]
    arcs: list[int]  # Path.arcs: the arc of each move, arcs[i - 1] from piece i - 1 to piece i
    edges: np.ndarray
    forward: np.ndarray
    walked: np.ndarray
    starts: np.ndarray
    ways: np.ndarray
    entry_nodes: np.ndarray


def _walk(planner: Planner, path: Path) -> _Walk:
    graph = planner.graph
    directed = np.asarray(path.directed)
    edges = directed % graph.edge_count
    forward = directed < graph.edge_count
    walked = graph.edge_length[edges] * planner.shares(path.directed, path.start, path.end)
    return _Walk(
        directed=path.directed,
        arcs=path.arcs,
        edges=edges,
        forward=forward,
        walked=walked,
        starts=np.concatenate([[0.0], np.cumsum(walked)[:-1]]),
        ways=graph.edge_way[edges],
        entry_nodes=np.where(forward, graph.edge_u[edges], graph.edge_v[edges]),
    )


def _crossings(table: ArcTable, walk: _Walk) -> list[Crossing]:
    crossings = []
    starts, walked = walk.starts.tolist(), walk.walked.tolist()
    for i in range(1, len(walk.directed)):
        facts = table.crossing(walk.arcs[i - 1])
        if facts is not None:
            crossings.append(Crossing(distance_m=round(starts[i], 1), **facts))
        elif walked[i] < ZIGZAG_M and _zigzag_across(table, walk, i):  # (a long piece is no zigzag)
            crossings.append(_zigzag_crossing(table, walk, i, round(starts[i], 1)))
    return crossings


def _zigzag_across(table: ArcTable, walk: _Walk, i: int) -> bool:
    """Whether piece i is a few metres of road between two footways that leave it on opposite sides (a turn one
    way onto the road, the other way off it, a net straight line): the walker crosses that road there, although the
    map joins the footways to it at two nodes instead of one."""
    graph = table.graph
    if i + 1 >= len(walk.directed) or walk.walked[i] >= ZIGZAG_M:
        return False
    roads = graph.way_is_road[walk.ways[i - 1: i + 2]]
    if not roads[1] or roads[0] or roads[2]:
        return False
    arcs = walk.arcs[i - 1: i + 1]
    if min(arcs) < 0 or table.crossing(arcs[1]) is not None:
        return False
    onto, off = (float(table.arc_turn[arc]) for arc in arcs)
    return onto * off < 0 and abs(onto + off) < ZIGZAG_STRAIGHT_DEG and min(abs(onto), abs(off)) >= ZIGZAG_TURN_DEG


def _zigzag_crossing(table: ArcTable, walk: _Walk, i: int, distance_m: float) -> Crossing:
    """The crossing of a zigzag over a road: nothing is mapped there, so every fact is unknown. (The planner does
    not see it: its costs are per junction, and this crossing spans two.)"""
    graph = table.graph
    node = int(walk.entry_nodes[i])
    road = graph.street([int(walk.ways[i])])
    return Crossing(
        distance_m=distance_m, lat=float(graph.node_lat[node]), lon=float(graph.node_lon[node]),
        node_osm_id=int(graph.node_osm_id[node]),
        streets=[{"name": road.name, "highway": road.highway, "lanes": road.lanes, "maxspeed_kmh": road.maxspeed_kmh,
                  "way_osm_ids": list(road.way_osm_ids)}],
        mapped=False, control="unknown", signals="unknown", acoustic_signal="unknown", vibration="unknown",
        button_operated="unknown", tactile_paving="unknown", island="unknown", kerb="unknown")


def build_route(planner: Planner, path: Path, profile: str, prefs: Preferences) -> Route:
    """Describe a planned path for the walker."""
    graph = planner.graph
    table = planner.table
    walk = _walk(planner, path)
    lat, lon = _geometry(planner, path, walk)
    starts, walked = walk.starts.tolist(), walk.walked.tolist()
    ways = walk.ways

    names, highways = graph.texts["name"], graph.texts["highway"]
    name_codes, highway_codes = graph.way_columns["name"][ways].tolist(), graph.way_columns["highway"][ways].tolist()
    way_ids = graph.way_osm_id[ways].tolist()
    forward = walk.forward.tolist()
    first_length = float(graph.edge_length[walk.edges[0]])
    first_from = path.start.offset_m if forward[0] else first_length - path.start.offset_m
    from_m = [round(first_from, 1)] + [0.0] * (len(walked) - 1)
    # Positional in RouteEdge's field order (edge, forward, start_m, length_m, from_m, way_osm_id, name, highway):
    # keywords took a third of building the pieces.
    edges = [
        RouteEdge(edge, forward[i], round(starts[i], 1), round(walked[i], 1), from_m[i], way_ids[i],
                  names[name_codes[i]], highways[highway_codes[i]])
        for i, edge in enumerate(walk.edges.tolist())
    ]
    crossings = _crossings(table, walk)

    barriers: list[dict[str, Any]] = []
    barrier_codes = graph.node_columns["barrier"][walk.entry_nodes]
    for i in np.flatnonzero(barrier_codes[1:]).tolist():
        node = int(walk.entry_nodes[i + 1])
        barriers.append({"kind": tags.BARRIER_KINDS[barrier_codes[i + 1]], "distance_m": round(starts[i + 1], 1),
                         "node_osm_id": int(graph.node_osm_id[node]),
                         "lat": float(graph.node_lat[node]), "lon": float(graph.node_lon[node])})

    steps: list[dict[str, Any]] = []
    steps_code = highways.index("steps") if "steps" in highways else -1
    for i in [i for i, code in enumerate(highway_codes) if code == steps_code]:
        facts = graph.way_attributes(int(ways[i]))
        steps.append({
            "distance_m": round(starts[i], 1), "length_m": round(walked[i], 1), "way_osm_id": facts["osm_id"],
            "direction": graph.step_direction(int(walk.edges[i]), int(walk.entry_nodes[i])),
            "step_count": facts["step_count"], "handrail": facts["handrail"], "ramp": facts["ramp"],
        })

    surface_metres = np.bincount(graph.way_columns["surface_class"][ways], weights=walk.walked,
                                 minlength=len(tags.SURFACE_CLASSES))
    surfaces = {tags.SURFACE_CLASSES[code]: round(float(metres), 1) for code, metres in enumerate(surface_metres)
                if metres > 0}
    on_roads = graph.way_is_road[ways]
    sidewalk_unknown_m = float(walk.walked[on_roads & (graph.way_columns["sidewalk"][ways] == 0)].sum())

    distance = float(walk.walked.sum())
    duration = distance / prefs.walking_speed_mps
    duration += sum(WAIT_AT_SIGNALS_S if c.signals == "yes" else WAIT_AT_CROSSING_S for c in crossings)
    duration += sum(s["step_count"] * SECONDS_PER_STEP if s["step_count"] is not None else SECONDS_PER_UNKNOWN_STEPS
                    for s in steps)
    return Route(
        route_id=uuid.uuid4().hex[:16],
        profile=profile,
        distance_m=distance,
        duration_s=duration,
        lat=lat,
        lon=lon,
        edges=edges,
        crossings=crossings,
        steps=steps,
        barriers=barriers,
        surfaces=surfaces,
        data_gaps=_data_gaps(crossings, steps, surfaces.get("unknown", 0.0), sidewalk_unknown_m),
        preferences=_preferences_dict(prefs),
    )


@lru_cache(maxsize=64)
def _preferences_dict(prefs: Preferences) -> dict[str, Any]:
    return asdict(prefs)


def _geometry(planner: Planner, path: Path, walk: _Walk) -> tuple[np.ndarray, np.ndarray]:
    """The path's lat/lon points in walking order, cut at the snapped start and end."""
    graph = planner.graph
    offsets = graph.geom_offsets
    last = len(walk.directed) - 1

    def end_piece(i: int) -> tuple[np.ndarray, np.ndarray]:
        edge = int(walk.edges[i])
        first, stop = offsets[edge], offsets[edge + 1]
        lat, lon = _clip(graph, edge, graph.geom_lat[first:stop], graph.geom_lon[first:stop],
                         *_walked_interval(graph, edge, path, walk, i))
        if not walk.forward[i]:
            lat, lon = lat[::-1], lon[::-1]
        return (lat[1:], lon[1:]) if i > 0 else (lat, lon)  # the first point repeats the previous piece's last

    pieces = [end_piece(0)]
    if last > 1:
        # The whole edges between, in one gather: each edge's points in walking order but its first.
        edges, forward = walk.edges[1:last], walk.forward[1:last]
        firsts, stops = offsets[edges], offsets[edges + 1]
        counts = stops - firsts - 1
        begins = np.where(forward, firsts + 1, stops - 2)
        steps = np.where(forward, 1, -1)
        within = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        points = np.repeat(begins, counts) + np.repeat(steps, counts) * within
        pieces.append((graph.geom_lat[points], graph.geom_lon[points]))
    if last > 0:
        pieces.append(end_piece(last))
    return np.concatenate([lat for lat, _ in pieces]), np.concatenate([lon for _, lon in pieces])


def _walked_interval(graph, edge: int, path: Path, walk: _Walk, position: int) -> tuple[float, float]:
    """The walked part of an end edge as distances from its u end (snap offsets use the same geometry metres)."""
    length = float(graph.edge_length[edge])
    if len(walk.directed) == 1:
        low, high = sorted((path.start.offset_m, path.end.offset_m))
        return low, high
    snap = path.start if position == 0 else path.end
    leaving = position == 0  # the start edge is walked away from the snap point, the end edge towards it
    if bool(walk.forward[position]) == leaving:
        return snap.offset_m, length
    return 0.0, snap.offset_m


def _clip(graph, edge: int, lat: np.ndarray, lon: np.ndarray, low: float, high: float) -> tuple[np.ndarray, np.ndarray]:
    """An edge's points between two distances from u, with interpolated points at both cuts."""
    first, stop = graph.geom_offsets[edge], graph.geom_offsets[edge + 1]
    xs, ys = graph.geom_x[first:stop], graph.geom_y[first:stop]
    along = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(xs), np.diff(ys)))])
    inside = (along > low) & (along < high)
    cut_lat = np.concatenate([[np.interp(low, along, lat)], lat[inside], [np.interp(high, along, lat)]])
    cut_lon = np.concatenate([[np.interp(low, along, lon)], lon[inside], [np.interp(high, along, lon)]])
    return cut_lat, cut_lon


def _data_gaps(crossings: list[Crossing], steps: list[dict[str, Any]], surface_unknown_m: float,
               sidewalk_unknown_m: float) -> list[dict[str, Any]]:
    """What the map does not say about this route, where it matters for safety or comfort."""
    gaps: list[dict[str, Any]] = []

    def add(kind: str, where: list[float]) -> None:
        if where:
            gaps.append({"kind": kind, "count": len(where), "at_m": where})

    add("crossing_control_unknown", [c.distance_m for c in crossings if c.control == "unknown"])
    add("acoustic_signal_unknown", [c.distance_m for c in crossings if c.signals == "yes" and c.acoustic_signal == "unknown"])
    add("tactile_paving_unknown", [c.distance_m for c in crossings if c.tactile_paving == "unknown"])
    add("step_count_unknown", [s["distance_m"] for s in steps if s["step_count"] is None])
    add("handrail_unknown", [s["distance_m"] for s in steps if s["handrail"] == "unknown"])
    for kind, metres in (("surface_unknown", surface_unknown_m), ("sidewalk_unknown", sidewalk_unknown_m)):
        if metres >= 1:
            gaps.append({"kind": kind, "length_m": round(metres)})
    return gaps


def _summary(crossings: list[dict[str, Any]], steps: int, rough_m: float, length_m: float) -> dict[str, Any]:
    """Counts from crossing facts (ArcTable.crossing dicts, or a Crossing's __dict__)."""
    unsignalled: Counter[str] = Counter()
    for crossing in crossings:
        if crossing["signals"] != "yes":
            for name in [street["name"] for street in crossing["streets"] if street["name"]] or [""]:
                unsignalled[name] += 1
    return {
        "crossings": len(crossings),
        "unsignalled": unsignalled,
        "big_road_crossings": sum(any(s["highway"] in tags.BIG_ROADS for s in c["streets"]) for c in crossings),
        "unknown_crossings": sum(c["control"] == "unknown" for c in crossings),
        "steps": steps,
        "rough_m": rough_m,
        "length_m": length_m,
    }


def route_summary(route: Route) -> dict[str, Any]:
    """What the explanation compares between two routes, from a described Route."""
    rough = sum(route.surfaces.get(name, 0.0) for name in tags.ROUGH_SURFACES)
    return _summary([crossing.__dict__ for crossing in route.crossings], len(route.steps), rough, route.distance_m)


def path_summary(planner: Planner, path: Path) -> dict[str, Any]:
    """The same summary straight from a path, without describing it in full (for the shortest route)."""
    graph = planner.graph
    walk = _walk(planner, path)
    highways = graph.texts["highway"]
    steps_code = highways.index("steps") if "steps" in highways else -1
    table = planner.table
    return _summary(
        [facts for facts in map(table.crossing, path.arcs) if facts is not None],
        int((graph.way_columns["highway"][walk.ways] == steps_code).sum()),
        float(walk.walked[_ROUGH_CLASS[graph.way_columns["surface_class"][walk.ways]]].sum()),
        float(walk.walked.sum()),
    )


def round_metres(value: float) -> int:
    """Distances as said: 5 m steps below 100 m, 10 m steps above."""
    step = 5 if value < 100 else 10
    return int(step * math.floor(value / step + 0.5))
