"""The `Route` value: what the walker will meet, in order, with every unknown kept visible.

Built from a planner `Path`: geometry, length, duration, each crossing (streets crossed, control, acoustic signal,
vibration, button, tactile paving, island: each yes/no/unknown), steps, barriers, surfaces and the data gaps.
"""

from __future__ import annotations

import math
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from routing import tags
from routing.costs import ArcTable, crossing_control
from routing.graph import Street, WalkGraph
from routing.planner import Path
from routing.profiles import Preferences

# Extra seconds a walker typically spends at each kind of place, added to walking time.
WAIT_AT_SIGNALS_S = 30.0
WAIT_AT_CROSSING_S = 10.0
SECONDS_PER_STEP = 0.8
SECONDS_PER_UNKNOWN_STEPS = 10.0


@dataclass
class RouteEdge:
    """One walked piece of an edge, in walking direction."""

    edge: int
    forward: bool
    start_m: float  # distance from the route's start where this piece begins
    length_m: float
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
    signals: str
    acoustic_signal: str
    vibration: str
    button_operated: str
    tactile_paving: str
    island: str
    kerb: str


@dataclass
class Route:
    """A planned route, JSON-ready through `to_dict`."""

    route_id: str
    profile: str
    distance_m: float
    duration_s: float
    latlon: list[tuple[float, float]]
    edges: list[RouteEdge]
    crossings: list[Crossing]
    steps: list[dict[str, Any]]
    barriers: list[dict[str, Any]]
    surfaces: dict[str, float]
    data_gaps: list[dict[str, Any]]
    preferences: dict[str, Any]
    explanation: dict[str, Any] = field(default_factory=dict)
    instructions: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The route as the API returns it; geometry as a GeoJSON LineString (lon, lat order)."""
        result = asdict(self)
        result.pop("latlon")
        result["distance_m"] = round(self.distance_m, 1)
        result["duration_s"] = round(self.duration_s)
        result["geometry"] = {
            "type": "LineString",
            "coordinates": [[round(lon, 7), round(lat, 7)] for lat, lon in self.latlon],
        }
        return result


def _clip(values: np.ndarray, along: np.ndarray, start: float, end: float) -> list[float]:
    """Values of a polyline between two distances along it, interpolated at both cuts."""
    inside = values[(along > start) & (along < end)]
    return [float(np.interp(start, along, values)), *inside.tolist(), float(np.interp(end, along, values))]


def build_route(table: ArcTable, path: Path, profile: str, prefs: Preferences) -> Route:
    """Describe a planned path for the walker (`table` is the planner's, over the route's graph)."""
    graph = table.graph
    edge_count = graph.edge_count
    directed = np.asarray(path.directed)
    edge_ids = directed % edge_count
    forward = directed < edge_count
    lengths = graph.edge_length[edge_ids].astype(np.float64)
    # Along-edge interval (u → v direction) walked on each edge; only the first and last are partial.
    begin, end = np.zeros(len(directed)), lengths.copy()
    if len(directed) == 1:
        begin[0], end[0] = sorted((path.start.offset_m, path.end.offset_m))
    else:
        begin[0], end[0] = (path.start.offset_m, end[0]) if forward[0] else (0.0, path.start.offset_m)
        begin[-1], end[-1] = (0.0, path.end.offset_m) if forward[-1] else (path.end.offset_m, end[-1])
    walked = np.maximum(end - begin, 0.0)
    starts = np.concatenate([[0.0], np.cumsum(walked)[:-1]])
    ways = graph.edge_way[edge_ids]

    latlon: list[tuple[float, float]] = []
    for position, edge in enumerate(edge_ids.tolist()):
        piece = _edge_piece(graph, edge, float(lengths[position]), float(begin[position]), float(end[position]))
        piece = piece if forward[position] else piece[::-1]
        latlon.extend(piece if not latlon else piece[1:])

    names, highways = graph.texts["name"], graph.texts["highway"]
    name_codes, highway_codes = graph.way_columns["name"][ways], graph.way_columns["highway"][ways]
    edges = [
        RouteEdge(edge=int(edge), forward=bool(forward[i]), start_m=round(float(starts[i]), 1),
                  length_m=round(float(walked[i]), 1), way_osm_id=int(graph.way_osm_id[ways[i]]),
                  name=names[name_codes[i]], highway=highways[highway_codes[i]])
        for i, edge in enumerate(edge_ids.tolist())
    ]

    crossings: list[Crossing] = []
    barriers: list[dict[str, Any]] = []
    entry_nodes = np.where(forward, graph.edge_u[edge_ids], graph.edge_v[edge_ids])
    for i in range(1, len(directed)):
        node = int(entry_nodes[i])
        arc = table.arc_between(int(directed[i - 1]), int(directed[i]))
        if table.arc_crossings[arc] or graph.node_columns["crossing"][node]:
            crossing = _crossing(graph, node, int(edge_ids[i - 1]), int(edge_ids[i]), float(starts[i]),
                                 table.crossed_streets(arc))
            if crossing is not None:
                crossings.append(crossing)
        barrier = graph.node_columns["barrier"][node]
        if barrier:
            barriers.append({"kind": tags.BARRIER_KINDS[barrier], "distance_m": round(float(starts[i]), 1),
                             "node_osm_id": int(graph.node_osm_id[node]),
                             "lat": float(graph.node_lat[node]), "lon": float(graph.node_lon[node])})

    steps: list[dict[str, Any]] = []
    steps_code = highways.index("steps") if "steps" in highways else -1
    for i in np.flatnonzero(highway_codes == steps_code).tolist():
        facts = graph.way_attributes(int(ways[i]))
        steps.append({
            "distance_m": round(float(starts[i]), 1), "length_m": round(float(walked[i]), 1),
            "way_osm_id": facts["osm_id"], "direction": graph.step_direction(int(edge_ids[i]), int(entry_nodes[i])),
            "step_count": facts["step_count"], "handrail": facts["handrail"], "ramp": facts["ramp"],
        })

    surface_metres = np.bincount(graph.way_columns["surface_class"][ways], weights=walked,
                                 minlength=len(tags.SURFACE_CLASSES))
    surfaces = {tags.SURFACE_CLASSES[code]: round(float(metres), 1) for code, metres in enumerate(surface_metres)
                if metres > 0}
    on_roads = graph.way_is_road[ways]
    sidewalk_unknown_m = float(walked[on_roads & (graph.way_columns["sidewalk"][ways] == 0)].sum())

    distance = float(walked.sum())
    duration = distance / prefs.walking_speed_mps
    duration += sum(WAIT_AT_SIGNALS_S if c.signals == "yes" else WAIT_AT_CROSSING_S for c in crossings)
    duration += sum(s["step_count"] * SECONDS_PER_STEP if s["step_count"] is not None else SECONDS_PER_UNKNOWN_STEPS
                    for s in steps)
    return Route(
        route_id=uuid.uuid4().hex[:16],
        profile=profile,
        distance_m=distance,
        duration_s=duration,
        latlon=latlon,
        edges=edges,
        crossings=crossings,
        steps=steps,
        barriers=barriers,
        surfaces=surfaces,
        data_gaps=_data_gaps(crossings, steps, surfaces.get("unknown", 0.0), sidewalk_unknown_m),
        preferences=asdict(prefs),
    )


def _edge_piece(graph: WalkGraph, edge: int, length: float, begin: float, end: float) -> list[tuple[float, float]]:
    """(lat, lon) points of an edge between two distances from its u end."""
    first, stop = graph.geom_offsets[edge], graph.geom_offsets[edge + 1]
    lats, lons = graph.geom_lat[first:stop], graph.geom_lon[first:stop]
    if begin <= 0.0 and end >= length:
        return list(zip(lats.tolist(), lons.tolist()))
    xs, ys = graph.geom_x[first:stop], graph.geom_y[first:stop]
    along = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(xs), np.diff(ys)))])
    return list(zip(_clip(lats, along, begin, end), _clip(lons, along, begin, end)))


def _crossing(graph: WalkGraph, node: int, edge_in: int, edge_out: int, distance: float,
              streets: list[Street]) -> Crossing | None:
    kind = tags.CROSSING_KINDS[graph.node_columns["crossing"][node]]
    walked_on_footways = not (graph.way_is_road[graph.edge_way[edge_in]] or graph.way_is_road[graph.edge_way[edge_out]])
    if not streets and not (kind != "none" and walked_on_footways):
        return None
    control = crossing_control(graph, node, (edge_in, edge_out))
    node_facts = graph.node_attributes(node)
    signals = "yes" if control.startswith("signals") else "no" if control in ("zebra", "marked", "unmarked") else "unknown"
    return Crossing(
        distance_m=round(distance, 1),
        lat=node_facts["lat"],
        lon=node_facts["lon"],
        node_osm_id=node_facts["osm_id"],
        streets=[{"name": s.name, "highway": s.highway, "lanes": s.lanes, "maxspeed_kmh": s.maxspeed_kmh,
                  "way_osm_ids": list(s.way_osm_ids)} for s in streets],
        mapped=kind != "none" or control != "unmapped",
        control={"signals_acoustic": "traffic_signals", "signals_no_acoustic": "traffic_signals",
                 "signals_acoustic_unknown": "traffic_signals", "mapped_unknown": "unknown",
                 "unmapped": "unknown"}.get(control, control),
        signals=signals,
        acoustic_signal=node_facts["acoustic_signal"] if signals != "no" else "no",
        vibration=node_facts["vibration"] if signals != "no" else "no",
        button_operated=node_facts["button_operated"],
        tactile_paving=node_facts["tactile_paving"],
        island=node_facts["crossing_island"],
        kerb=node_facts["kerb"],
    )


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


def is_unsignalled(crossing: Crossing) -> bool:
    """A crossing without known traffic lights."""
    return crossing.signals != "yes"


def summary_counts(route: Route) -> dict[str, Any]:
    """Counts the explanation compares between two routes."""
    unsignalled: Counter[str] = Counter()
    big_roads = 0
    for crossing in route.crossings:
        names = [street["name"] for street in crossing.streets if street["name"]] or [""]
        if is_unsignalled(crossing):
            for name in names:
                unsignalled[name] += 1
        if any(street["highway"] in ("primary", "secondary", "trunk", "primary_link", "secondary_link")
               for street in crossing.streets):
            big_roads += 1
    return {
        "crossings": len(route.crossings),
        "unsignalled": unsignalled,
        "big_road_crossings": big_roads,
        "steps": len(route.steps),
        "unknown_crossings": sum(1 for c in route.crossings if c.control == "unknown"),
        "length_m": route.distance_m,
        "rough_m": sum(route.surfaces.get(name, 0.0) for name in ("cobblestone", "gravel", "unpaved")),
    }


def round_metres(value: float) -> int:
    """Distances as said: 5 m steps below 100 m, 10 m steps above."""
    step = 5 if value < 100 else 10
    return int(step * math.floor(value / step + 0.5))
