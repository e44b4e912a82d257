"""Maneuvers: what a blind walker must be told along a route, computed as data before any wording.

Thresholds (degrees of change of walking direction; positive is to the right):
- below 30: straight on; 30 to 60: slight; 60 to 120: turn; 120 to 160: sharp; 160 and more: U-turn.
- At a junction (a node where the walker could go another way) a turn is said from 45 degrees on, or whenever
  the street name changes; below that, a fork where another way leaves within 30 degrees of the route's
  direction ("keep left"). A slight turn (below 60) onto the only way ahead, every other way turning at least
  OBVIOUS_MARGIN_DEG more sharply, is not said (a new name there is straight on into it). Where the way only
  bends (no other way to take) only bends of 120 degrees and more are said, because the cane and the way itself
  lead the walker round gentler ones; a sharper bend is said, as a walker led back on themselves by the way would
  think they had lost it.
Crossings, steps, barriers, elevators, bridges, tunnels, entering a pedestrian zone or shared space, landmarks
beside the way and reported obstacles each get their own maneuver. A run of driveways (`driveway_runs`): crossings
of unnamed service roads of which nothing is known, one after another along the same walked way with nothing
between them and at most RUN_GAP_M apart, can be told as one "driveways" maneuver at the first of them.

One message per spot (`at_spots`): the maneuvers said at a verbosity that lie less than SPOT_M after the first of
them are told together, the most important first (a turn, then crossings, then the rest, arriving last), but steps,
a lift or a barrier met before the turn are said before it, as walked. Turns at
one spot are one net turn: a right-then-left zigzag across a street is the crossing and straight on. Turns at the
start's spot are the direction to set off in ("Nach Südosten auf der Fischerstraße gehen.", not "Nach Nordwesten
... gehen. Umkehren.").
"""

from __future__ import annotations

import bisect
import math
import weakref
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from routing import settings, tags
from routing.obstacles import MERGE_RADIUS_M
from routing.planner import Obstacle, Planner
from routing.route import Route

SLIGHT_DEG, TURN_DEG, SHARP_DEG, UTURN_DEG = 30.0, 60.0, 120.0, 160.0
JUNCTION_TURN_DEG = 45.0
FORK_DEG = 30.0  # another way within this of the route's direction at a junction makes it a fork
BEND_TURN_DEG = 120.0
OBVIOUS_MARGIN_DEG = 45.0  # a slight turn is obvious where every other way turns this much more sharply
LANDMARK_OFF_LINE_M = 1.5  # a landmark nearer the walked line than this is on it, on no side
ARRIVE_AHEAD_M = 3.0  # a destination this close to the way is "ahead", not to one side
EDGE_POINT_M = 0.5  # a turn this close to the route's start or end is not said; nor a first piece this short
SPOT_M = 10.0  # maneuvers this close after the first of a spot are told as one message
RUN_GAP_M = 100.0  # driveways further apart than this are not one run: the walker would wait too long for the next
DRIVEWAY_HIGHWAYS = frozenset({"service"})  # unnamed roads of these classes are driveways, entrances to yards
DEPART_BEARING_M = 2.0  # the first direction is taken towards the route's first point at least this far away
COMPASS = ("north", "northeast", "east", "southeast", "south", "southwest", "west", "northwest")
# Areas whose start is said: walking there differs from walking on a sidewalk.
AREAS = {"pedestrian": "pedestrian_zone", "living_street": "shared_space"}
# Order of maneuvers at the same point of the route: what to do first, then what is there.
_ORDER = {"depart": 0, "turn": 1, "continue": 1, "fork": 1, "enter": 2, "bridge": 2, "tunnel": 2, "warning": 3,
          "barrier": 4, "elevator": 5, "steps": 5, "cross": 6, "driveways": 6, "landmark": 7, "arrive": 9}


@dataclass
class Maneuver:
    """One thing to tell the walker, at `distance_m` from the start; fields that do not apply are None."""

    type: str
    distance_m: float
    lat: float
    lon: float
    then_m: float | None = None  # metres from here to the next maneuver
    street: str | None = None  # name of the way walked from here ("" when it has none)
    way: str | None = None  # its highway class (footway, residential, pedestrian, steps, ...)
    modifier: str | None = None  # straight, slight_left, left, sharp_left, uturn, slight_right, right, sharp_right
    angle_deg: float | None = None
    clock: int | None = None  # 1..12: the direction as on a clock face, 12 straight ahead
    compass: str | None = None
    bearing_deg: float | None = None  # depart: the first direction, degrees clockwise from north
    crossing: dict[str, Any] | None = None  # driveways: count, length_m, highway, distances_m, node_osm_ids
    steps: dict[str, Any] | None = None
    barrier: str | None = None
    area: str | None = None
    landmark: dict[str, Any] | None = None
    warning: dict[str, Any] | None = None
    side: str | None = None  # arrive: left, right or ahead
    offset_m: float | None = None  # arrive: how far the destination lies beside the way
    unknowns: dict[str, Any] | None = None  # depart: what the map does not say about the route's crossings

    def to_dict(self) -> dict[str, Any]:
        """The fields that apply. Nested facts (a crossing's streets, a landmark) are shared, not copied: they are
        read only from here on, as the crossings of Route.to_dict already are, and copying them was a twentieth of
        plan_route's time."""
        return {key: value for key, value in self.__dict__.items() if value is not None}


# The order in which the maneuvers of one spot are told: what to do, then what is crossed, then what is there.
_SPOT_ORDER = {"depart": 0, "turn": 1, "continue": 1, "fork": 1, "cross": 2, "driveways": 2, "steps": 3, "elevator": 3,
               "barrier": 4, "warning": 4, "enter": 5, "bridge": 5, "tunnel": 5, "landmark": 6, "arrive": 9}


# What is said before a turn at the same spot when it comes first on the walk.
_BEFORE_TURN_WHEN_FIRST = frozenset({"steps", "elevator", "barrier"})


# What may lie between the start and a turn in the start's spot without it having to be said first.
_SAID_WITH_DEPART = frozenset({"depart", "landmark", "enter", "bridge", "tunnel"})


@dataclass
class Spot:
    """The maneuvers told as one message, in the order they are said; `street` and `way` are the way walked on
    after the spot when a net-straight zigzag left no turn to say it (else None)."""

    maneuvers: list[Maneuver]
    street: str | None = None
    way: str | None = None

    @property
    def lead(self) -> Maneuver:
        """The maneuver that names the message: arriving if the spot is the destination, else the first said."""
        return next((m for m in self.maneuvers if m.type == "arrive"), self.maneuvers[0])

    @property
    def distance_m(self) -> float:
        return min(m.distance_m for m in self.maneuvers)

    @property
    def straight_on_only(self) -> bool:
        """Nothing happens here but walking straight on into a way of another name."""
        return all(m.type == "continue" for m in self.maneuvers)


def at_spots(maneuvers: list[Maneuver]) -> list[Spot]:
    """Maneuvers in walking order grouped into spots: each spot takes every maneuver less than SPOT_M after its
    first one (anything after the arrival is told before it). Within a spot the
    turns (and forks) become one net turn, and a net turn below SLIGHT_DEG where a street is crossed is no turn at
    all."""
    groups: list[list[Maneuver]] = []
    for maneuver in maneuvers:
        if groups and (maneuver.distance_m - groups[-1][0].distance_m < SPOT_M or groups[-1][-1].type == "arrive"):
            groups[-1].append(maneuver)
        else:
            groups.append([maneuver])
    return [_spot(group) for group in groups]


def _spot(group: list[Maneuver]) -> Spot:
    if len(group) == 1:  # (most spots: nothing to join, set off after or order)
        return Spot(group)
    # A fork at the spot of a turn is part of that turn: the net direction says which way to take.
    ways_taken = ("turn", "continue", "fork")
    turns = [m for m in group if m.type in ways_taken]
    spot = Spot([m for m in group if m.type not in ways_taken])
    start = next((i for i, m in enumerate(spot.maneuvers) if m.type == "depart"), None)
    if start is not None and turns and all(t.type != "fork" for t in turns) and not any(
            m.type not in _SAID_WITH_DEPART and m.distance_m <= turns[0].distance_m for m in spot.maneuvers):
        # A turn a few metres from the start, with nothing to pass before it, is no turn to make but the way to set
        # off (a fork stays: which of two ways close together to take is not told by a direction alone).
        spot.maneuvers[start] = _set_off_after(spot.maneuvers[start], turns)
        turns = []
    if len(turns) > 1:
        net = (sum(t.angle_deg or 0.0 for t in turns) + 180) % 360 - 180
        first, last = turns[0], turns[-1]
        crossed = any(m.type == "cross" for m in group)
        if abs(net) < SLIGHT_DEG and crossed:
            spot.street, spot.way = last.street, last.way
            turns = []
        else:
            turns = [Maneuver("continue" if abs(net) < SLIGHT_DEG else "turn", first.distance_m, first.lat, first.lon,
                              street=last.street, way=last.way, modifier=modifier(net), angle_deg=round(net, 1),
                              clock=clock(net))]
    turned_at = min((t.distance_m for t in turns), default=math.inf)

    def order(m: Maneuver) -> float:
        # Steps, a lift or a barrier met before the turn are said before it: the walker meets them first.
        if m.type in _BEFORE_TURN_WHEN_FIRST and m.distance_m < turned_at:
            return _SPOT_ORDER["turn"] - 0.5
        return _SPOT_ORDER[m.type]

    spot.maneuvers = sorted(turns + spot.maneuvers, key=order)
    return spot


def _set_off_after(depart: Maneuver, turns: list[Maneuver]) -> Maneuver:
    """The departure in the direction and onto the way the route takes after the turns at its start."""
    net = sum(t.angle_deg or 0.0 for t in turns)
    bearing = ((depart.bearing_deg or 0.0) + net) % 360
    last = turns[-1]
    turned = replace(depart, street=last.street, way=last.way, compass=compass(bearing), bearing_deg=round(bearing, 1))
    if depart.angle_deg is not None:
        relative = (depart.angle_deg + net + 180) % 360 - 180
        turned.angle_deg, turned.clock, turned.modifier = round(relative, 1), clock(relative), modifier(relative)
    return turned


def modifier(angle: float) -> str:
    """The turn class of a signed change of direction (see the module docstring)."""
    size = abs(angle)
    if size < SLIGHT_DEG:
        return "straight"
    if size >= UTURN_DEG:
        return "uturn"
    side = "right" if angle > 0 else "left"
    if size < TURN_DEG:
        return f"slight_{side}"
    return f"sharp_{side}" if size >= SHARP_DEG else side


def clock(angle: float) -> int:
    """The hour on a clock face of a direction relative to ahead (12), turning right towards 3."""
    hour = round((angle % 360) / 30) % 12
    return 12 if hour == 0 else hour


def compass(bearing: float) -> str:
    """Eight-wind compass direction of a bearing in degrees."""
    return COMPASS[round((bearing % 360) / 45) % 8]


def _bearing(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial bearing between two close points, degrees clockwise from north."""
    dy = lat2 - lat1
    dx = (lon2 - lon1) * math.cos(math.radians(lat1))
    return math.degrees(math.atan2(dx, dy)) % 360


def build_maneuvers(planner: Planner, route: Route, destination: tuple[float, float] | None = None,
                    heading_deg: float | None = None, obstacles: tuple[Obstacle, ...] = ()) -> list[Maneuver]:
    """All maneuvers of a route in walking order, each with the distance to the next one."""
    graph = planner.graph
    derived = _derived(planner)
    edge_count = graph.edge_count
    edges = route.edges
    directed = [e.edge if e.forward else e.edge + edge_count for e in edges]
    # What the loop below reads per piece, read from the graph's arrays in one go.
    edge_ids = np.array([e.edge for e in edges], dtype=np.int64)
    way_ids = graph.edge_way[edge_ids]
    ways = way_ids.tolist()
    nodes = np.where([e.forward for e in edges], graph.edge_u[edge_ids], graph.edge_v[edge_ids])
    lats, lons = graph.node_lat[nodes].tolist(), graph.node_lon[nodes].tolist()
    barriers = graph.node_columns["barrier"][nodes].tolist()
    elevators = (graph.node_columns["elevator"][nodes] == tags.YES).tolist()
    structures = [(structure, graph.way_columns[structure][way_ids].tolist()) for structure in ("bridge", "tunnel")]
    maneuvers = [_depart(route, edges, heading_deg)]
    maneuvers[0].unknowns = crossing_unknowns(route)

    previous_steps_way = -1
    for i, edge in enumerate(edges):
        at = edge.start_m
        lat, lon = lats[i], lons[i]
        if i > 0:
            # No turn where the route has not yet left its start, and no turn, entry, bridge or tunnel where it has
            # already reached its end: a snap point at a junction leaves a piece of no length there, and the depart
            # or arrive says all there is to say.
            before_end = route.distance_m - at >= EDGE_POINT_M
            if at >= EDGE_POINT_M and before_end:
                turn = derived.turn(directed[i - 1], directed[i], edges[i - 1], edge)
                if turn is not None:
                    # Turning onto a crossing's few metres of footway is turning into the way beyond it.
                    beyond = _beyond_crossing_way(graph, edges, ways, i)
                    kind, turned, angle, hour = turn
                    maneuvers.append(Maneuver(kind, at, lat, lon, street=beyond.name, way=beyond.highway,
                                              modifier=turned, angle_deg=angle, clock=hour))
            if barriers[i]:
                maneuvers.append(Maneuver("barrier", at, lat, lon, barrier=tags.BARRIER_KINDS[barriers[i]]))
            if elevators[i]:
                maneuvers.append(Maneuver("elevator", at, lat, lon))
            area = AREAS.get(edge.highway)
            if area and AREAS.get(edges[i - 1].highway) != area and before_end:
                maneuvers.append(Maneuver("enter", at, lat, lon, area=area, street=edge.name, way=edge.highway))
            for structure, on_structure in structures:
                if on_structure[i] and not on_structure[i - 1] and before_end:
                    maneuvers.append(Maneuver(structure, at, lat, lon, street=edge.name))
        if edge.highway == "steps" and ways[i] != previous_steps_way:
            maneuvers.append(_steps(route, at, lat, lon, edge))
        previous_steps_way = ways[i] if edge.highway == "steps" else -1
        if edge.highway == "elevator":
            maneuvers.append(Maneuver("elevator", at, lat, lon))

    starts = [edge.start_m for edge in edges]
    for crossing in route.crossings:
        walked = _walked_to(edges, starts, crossing.distance_m)
        facts = crossing.__dict__.copy()  # the crossing's facts but where it is (a copy, then three out: cheaper)
        del facts["distance_m"], facts["lat"], facts["lon"]
        maneuvers.append(Maneuver("cross", crossing.distance_m, crossing.lat, crossing.lon, street=walked.name,
                                  way=walked.highway, crossing=facts))
    maneuvers.extend(_landmarks(planner, route))
    maneuvers.extend(_warnings(planner, route, obstacles))
    maneuvers.append(_arrive(planner, route, destination))
    maneuvers.sort(key=lambda m: (round(m.distance_m, 1), _ORDER[m.type]))
    for current, following in zip(maneuvers, maneuvers[1:]):
        current.then_m = round(following.distance_m - current.distance_m, 1)
    return maneuvers


def _walked_to(edges: list, starts: list[float], distance_m: float):
    """The piece of the route walked up to a point (the first piece for the start): the last that starts before it
    (`starts`, the pieces' start_m, never decrease)."""
    return edges[max(bisect.bisect_left(starts, distance_m) - 1, 0)]


def _is_driveway(maneuver: Maneuver) -> bool:
    """A crossing of one unnamed service road of which nothing is known (no control, no junction lights, no tactile
    paving, island or kerb): what a run of driveways may take in without leaving a known fact unsaid."""
    if maneuver.type != "cross":
        return False
    facts = maneuver.crossing or {}
    streets = facts.get("streets") or []
    return (len(streets) == 1 and not streets[0].get("name")
            and not streets[0].get("link_of") and streets[0].get("highway") in DRIVEWAY_HIGHWAYS
            and facts.get("signals") != "yes"
            and all(facts.get(fact, "unknown") == "unknown"
                    for fact in ("control", "acoustic_signal", "vibration", "button_operated", "tactile_paving",
                                 "island", "kerb")))


def _driveway_side(maneuver: Maneuver) -> str:
    """The side of a walk along a road a driveway joins on ("left", "right"), or "both" where it is crossed on any
    sidewalk (a walk on a footway of its own)."""
    return maneuver.crossing["streets"][0].get("side", "both")


def driveway_runs(maneuvers: list[Maneuver]) -> list[Maneuver]:
    """The maneuvers with each run of two or more driveways (see `_is_driveway`) one after another along the same
    walked way, on the same side of a walk along a road, at most RUN_GAP_M apart and with nothing between them,
    replaced by one "driveways" maneuver at the first of them. The maneuvers given are not changed."""
    result: list[Maneuver] = []
    run: list[Maneuver] = []

    def close_run() -> None:
        if len(run) < 2:
            result.extend(run)
        else:
            first, last = run[0], run[-1]
            length = round(last.distance_m - first.distance_m, 1)
            then_m = None if last.then_m is None else round(length + last.then_m, 1)
            result.append(Maneuver("driveways", first.distance_m, first.lat, first.lon, then_m=then_m,
                                   street=first.street, way=first.way, crossing={
                                       "count": len(run), "length_m": length,
                                       "highway": first.crossing["streets"][0]["highway"],
                                       "side": _driveway_side(first),
                                       "distances_m": [m.distance_m for m in run],
                                       "node_osm_ids": [m.crossing.get("node_osm_id") for m in run]}))
        run.clear()

    for maneuver in maneuvers:
        joins = (run and _is_driveway(maneuver) and (maneuver.street, maneuver.way) == (run[-1].street, run[-1].way)
                 and _driveway_side(maneuver) == _driveway_side(run[-1])
                 and maneuver.distance_m - run[-1].distance_m <= RUN_GAP_M)
        if not joins:
            close_run()
        if _is_driveway(maneuver):
            run.append(maneuver)
        else:
            result.append(maneuver)
    close_run()
    return result


# Crossing facts whose absence the route summary tells, in the order said.
UNKNOWN_CROSSING_FACTS = ("control", "acoustic_signal", "tactile_paving")


def crossing_unknowns(route: Route) -> dict[str, Any]:
    """How many of the route's crossings lack a fact that matters for safety, and which facts are lacking (a
    crossing's control, the acoustic signal of its lights, its tactile paving). Arms of one junction on one side of
    the walk count one each: each is a road with cars to cross."""
    lacking, total, facts = 0, 0, set()
    for crossing in route.crossings:
        total += crossing.arms
        missing = {"control"} if crossing.control == "unknown" else set()
        if crossing.control == "traffic_signals" and crossing.acoustic_signal == "unknown":
            missing.add("acoustic_signal")
        if crossing.tactile_paving == "unknown":
            missing.add("tactile_paving")
        lacking += crossing.arms if missing else 0
        facts |= missing
    return {"crossings": total, "lacking": lacking,
            "facts": [fact for fact in UNKNOWN_CROSSING_FACTS if fact in facts]}


def _depart(route: Route, edges: list, heading_deg: float | None) -> Maneuver:
    lat, lon = float(route.lat[0]), float(route.lon[0])
    # Bearing over the first few metres, so a snap point right at a vertex (a first piece of no length) still
    # gives a direction: towards the first point at least DEPART_BEARING_M away, else the route's end.
    along = _cumulative(route)
    far = min(int(np.searchsorted(along, min(DEPART_BEARING_M, float(along[-1])))), len(route.lat) - 1)
    bearing = _bearing(lat, lon, float(route.lat[far]), float(route.lon[far]))
    # The first piece that has a length: a start snapped onto a junction walks a piece of no length first.
    first = next((edge for edge in edges if edge.length_m >= EDGE_POINT_M), edges[0])
    maneuver = Maneuver("depart", 0.0, lat, lon, street=first.name, way=first.highway, compass=compass(bearing),
                        bearing_deg=round(bearing, 1), angle_deg=None)
    if heading_deg is not None and math.isfinite(heading_deg):
        relative = (bearing - heading_deg + 180) % 360 - 180
        maneuver.angle_deg = round(relative, 1)
        maneuver.clock = clock(relative)
        maneuver.modifier = modifier(relative)
    return maneuver


# A turn to say on a move, as (type, modifier, angle_deg, clock): the caller places it and names the way taken.
Turn = tuple[str, str, float, int]


def _turn(planner: Planner, before: int, after: int, edge_before, edge_after) -> Turn | None:
    """The turn (or fork, or straight on into a new name) to say on the move from directed edge `before` to
    `after`, or None."""
    node = int(planner.table.directed_to[before])
    table = planner.table
    arc = table.arc_between(before, after)
    angle = float(table.arc_turn[arc]) if arc >= 0 else 180.0
    renamed = edge_before.name != edge_after.name
    junction = len(planner.graph.edges_at(node)) > 2
    threshold = JUNCTION_TURN_DEG if junction else BEND_TURN_DEG
    # No forks on a pedestrian square or zone: its ways are lines across an open area the walker crosses freely.
    if abs(angle) < threshold and junction and "pedestrian" not in (edge_before.highway, edge_after.highway):
        side = _fork_side(planner, before, arc, angle, edge_before.highway)
        if side is not None:
            return "fork", side, round(angle, 1), clock(angle)
    if abs(angle) < threshold and not (junction and renamed):
        return None
    if junction and abs(angle) < TURN_DEG and _only_way_ahead(planner, before, arc, angle):
        # A slight bend onto the only way ahead, the others leaving much more sharply: the way itself leads the
        # walker on (as OSRM leaves an obvious turn unsaid); a new name there is walking straight on into it.
        if not renamed:
            return None
        return "continue", "straight", round(angle, 1), clock(angle)
    kind = "continue" if abs(angle) < SLIGHT_DEG else "turn"
    return kind, modifier(angle), round(angle, 1), clock(angle)


def _beyond_crossing_way(graph, edges: list, ways: list[int], i: int):
    """The piece walked after piece i and any footway=crossing pieces that follow it within SPOT_M."""
    footway = graph.texts["footway"]
    crossing_way = footway.index("crossing") if "crossing" in footway else -1
    j = i
    while (j + 1 < len(edges) and graph.way_columns["footway"][ways[j]] == crossing_way
           and edges[j + 1].start_m - edges[i].start_m < SPOT_M):
        j += 1
    return edges[j]


def _only_way_ahead(planner: Planner, before: int, arc: int, angle: float) -> bool:
    """Whether every other way at the junction turns at least OBVIOUS_MARGIN_DEG more sharply than the route's."""
    table = planner.table
    edge_count = planner.graph.edge_count
    for other in table.row_arcs[table.row_offsets[before]:table.row_offsets[before + 1]].tolist():
        if other == arc or int(table.arc_to[other]) % edge_count == before % edge_count:
            continue
        if abs(float(table.arc_turn[other])) < abs(angle) + OBVIOUS_MARGIN_DEG:
            return False
    return True


def _fork_side(planner: Planner, before: int, arc: int, angle: float, highway: str) -> str | None:
    """`keep_left` or `keep_right` where another way leaves the junction within FORK_DEG of the route's direction
    (so the walker could take it by mistake), else None. A road met from a footway is no such way: it is crossed."""
    table, graph = planner.table, planner.graph
    on_road = highway in settings.ROAD_HIGHWAYS
    others = []
    for other in table.row_arcs[table.row_offsets[before]:table.row_offsets[before + 1]].tolist():
        way = int(graph.edge_way[int(table.arc_to[other]) % graph.edge_count])
        if other == arc or (bool(graph.way_is_road[way]) and not on_road):
            continue
        turn = float(table.arc_turn[other])
        if abs(turn - angle) < FORK_DEG:
            others.append(turn)
    if not others:
        return None
    # The other way lies to the right of the route's: keep left (and the other way round).
    return "keep_left" if min(others, key=lambda t: abs(t - angle)) > angle else "keep_right"


def _steps(route: Route, at: float, lat: float, lon: float, edge) -> Maneuver:
    flight = next((s for s in route.steps if abs(s["distance_m"] - at) < 0.05), None)
    facts = {key: flight[key] for key in ("direction", "step_count", "handrail", "ramp")} if flight else {}
    return Maneuver("steps", at, lat, lon, steps=facts, street=edge.name, way="steps")


def _on_route(route: Route, edge: int, offset: float, length: float) -> float | None:
    """Distance from the route's start of the point `offset` metres from u on `edge`, if the route walks past it."""
    return _along_pieces([piece for piece in route.edges if piece.edge == edge], offset, length)


def _along_pieces(pieces: list, offset: float, length: float) -> float | None:
    """`_on_route` over the pieces of the route that walk the edge, in walking order."""
    for piece in pieces:
        along = offset if piece.forward else length - offset
        if piece.from_m - 0.05 <= along <= piece.from_m + piece.length_m + 0.05:
            return round(piece.start_m + along - piece.from_m, 1)
    return None


def _point_and_direction(graph, edge: int, offset: float, forward: bool) -> tuple[float, float, float, float]:
    """The point at `offset` metres from u on an edge, and the walking direction there."""
    first, stop = graph.geom_offsets[edge], graph.geom_offsets[edge + 1]
    xs, ys = graph.geom_x[first:stop], graph.geom_y[first:stop]
    along = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(xs), np.diff(ys)))])
    segment = int(min(max(np.searchsorted(along, offset, side="right") - 1, 0), len(xs) - 2))
    dx, dy = xs[segment + 1] - xs[segment], ys[segment + 1] - ys[segment]
    share = (offset - along[segment]) / (along[segment + 1] - along[segment]) if along[segment + 1] > along[segment] else 0.0
    x, y = xs[segment] + share * dx, ys[segment] + share * dy
    return float(x), float(y), float(dx if forward else -dx), float(dy if forward else -dy)


def _side_of(planner: Planner, edge: int, offset: float, forward: bool, lat: float, lon: float) -> tuple[str, float]:
    """On which side of the walking direction a point lies, and how far from the way."""
    x, y = planner.index.project(lat, lon)
    foot_x, foot_y, dx, dy = _point_and_direction(planner.graph, edge, offset, forward)
    side = "left" if dx * (y - foot_y) - dy * (x - foot_x) > 0 else "right"
    return side, math.hypot(x - foot_x, y - foot_y)


def _landmarks(planner: Planner, route: Route) -> list[Maneuver]:
    derived = _derived(planner)
    walked = {piece.edge: piece for piece in route.edges}
    # Each edge's pieces in walking order (an edge walked twice has two), so a landmark looks at its edge's alone.
    pieces_of: dict[int, list] = {}
    for piece in route.edges:
        pieces_of.setdefault(piece.edge, []).append(piece)
    found = []
    for place in sorted((place for edge in walked for place in derived.landmarks_on(edge)), key=lambda p: p.landmark):
        distance = _along_pieces(pieces_of[place.edge], place.offset, place.edge_length)
        if distance is None:
            continue
        # Walking the edge backwards turns its left into right.
        left = place.across > 0 if walked[place.edge].forward else place.across < 0
        found.append(Maneuver("landmark", distance, place.lat, place.lon, landmark={
            **place.facts,
            # On the walked line (a stop position on the road walked along, a node of the way) no side is known.
            "side": ("left" if left else "right") if place.away >= LANDMARK_OFF_LINE_M else "on_way",
        }))
    return found


@dataclass(frozen=True)
class _LandmarkPlace:
    """A landmark beside the edge it is near: where along the edge, and on which side of it for a walk from u to v
    (`across` > 0: on the left, < 0: on the right; negated walking backwards, as `_side_of` computes it)."""

    landmark: int
    edge: int
    offset: float
    edge_length: float
    lat: float
    lon: float
    across: float
    away: float  # metres from the way
    facts: dict[str, Any]  # kind, name, osm_id


class _Derived:
    """What the guidance of every route on one graph shares, each part worked out the first time a route needs it and
    kept (worked out up front it would cost a region more than loading it): the turn said at each move between two
    directed edges, and where the landmarks near each edge lie beside it. Dict writes are atomic: two threads at worst
    work one out twice, alike."""

    def __init__(self, planner: Planner) -> None:
        self._planner = weakref.proxy(planner)
        graph = planner.graph
        near = np.flatnonzero(graph.landmark_edge >= 0)
        self._landmarks_by_edge = near[np.argsort(graph.landmark_edge[near], kind="stable")]
        self._landmark_edges = graph.landmark_edge[self._landmarks_by_edge]
        self._places: dict[int, tuple[_LandmarkPlace, ...]] = {}
        self._directed_count = 2 * graph.edge_count
        self._turns: dict[int, tuple[str, str | None, float | None, int | None] | None] = {}

    def turn(self, before: int, after: int, edge_before, edge_after) -> Turn | None:
        """`_turn` of a move, remembered (the pieces walked are those of the
        directed edges, so their names are the edges'). At most _TURNS_KEPT moves are kept: a region's server
        that has planned everywhere starts the memo afresh rather than hold a turn for every move of the map."""
        key = before * self._directed_count + after
        said = self._turns.get(key, _UNSEEN)
        if said is _UNSEEN:
            if len(self._turns) >= _TURNS_KEPT:
                self._turns.clear()
            said = self._turns[key] = _turn(self._planner, before, after, edge_before, edge_after)
        return said

    def landmarks_on(self, edge: int) -> tuple[_LandmarkPlace, ...]:
        places = self._places.get(edge)
        if places is None:
            first, stop = np.searchsorted(self._landmark_edges, [edge, edge + 1]).tolist()
            places = self._places[edge] = tuple(self._place(landmark)
                                                for landmark in self._landmarks_by_edge[first:stop].tolist())
        return places

    def _place(self, landmark: int) -> _LandmarkPlace:
        planner, graph = self._planner, self._planner.graph
        edge, offset = int(graph.landmark_edge[landmark]), float(graph.landmark_offset[landmark])
        lat, lon = float(graph.landmark_lat[landmark]), float(graph.landmark_lon[landmark])
        x, y = planner.index.project(lat, lon)
        foot_x, foot_y, dx, dy = _point_and_direction(graph, edge, offset, True)
        return _LandmarkPlace(
            landmark=landmark, edge=edge, offset=offset, edge_length=float(graph.edge_length[edge]), lat=lat, lon=lon,
            across=dx * (y - foot_y) - dy * (x - foot_x), away=math.hypot(x - foot_x, y - foot_y),
            facts={"kind": graph.texts["landmark_kind"][graph.landmark_kind[landmark]],
                   "name": graph.texts["landmark_name"][graph.landmark_name[landmark]],
                   "osm_id": int(graph.landmark_osm_id[landmark])})


_TURNS_KEPT = 100_000  # about 15 MB of moves
_UNSEEN = object()  # a move whose turn is not kept (None is kept: nothing to say)
_DERIVED: weakref.WeakKeyDictionary[Planner, _Derived] = weakref.WeakKeyDictionary()


def _derived(planner: Planner) -> _Derived:
    derived = _DERIVED.get(planner)
    if derived is None:
        derived = _DERIVED[planner] = _Derived(planner)
    return derived


def _warnings(planner: Planner, route: Route, obstacles: tuple[Obstacle, ...]) -> list[Maneuver]:
    """A warning where a reported obstacle is on the route: at its point, else where its edge begins. One warning per
    kind within `MERGE_RADIUS_M` (thirty reports at one spot are one warning), an obstacle in force before a note."""
    warnings: list[Maneuver] = []
    for obstacle in sorted(obstacles, key=lambda o: not o.steers):
        affected = set(planner.obstacle_edges(obstacle).tolist())
        hits = [piece for piece in route.edges if piece.edge in affected]
        if not hits:
            continue
        distance = None
        if obstacle.lat is not None and obstacle.lon is not None:
            snap = planner.index.snap(obstacle.lat, obstacle.lon)
            distance = _on_route(route, snap.edge, snap.offset_m, float(planner.graph.edge_length[snap.edge]))
        distance = hits[0].start_m if distance is None else distance
        if any(w.warning["kind"] == obstacle.kind and abs(w.distance_m - distance) <= MERGE_RADIUS_M
               for w in warnings):
            continue
        position = min(int(np.searchsorted(_cumulative(route), distance)), len(route.lat) - 1)
        warnings.append(Maneuver("warning", distance, float(route.lat[position]), float(route.lon[position]),
                                 warning={"kind": obstacle.kind, "severity": obstacle.severity}))
    return warnings


def _cumulative(route: Route) -> np.ndarray:
    """Metres from the start at each point of the route's geometry (approximate: flat earth over a city)."""
    dy = np.diff(route.lat) * tags.METRES_PER_DEGREE
    dx = np.diff(route.lon) * tags.METRES_PER_DEGREE * math.cos(math.radians(float(route.lat[0])))
    return np.concatenate([[0.0], np.cumsum(np.hypot(dx, dy))])


def _arrive(planner: Planner, route: Route, destination: tuple[float, float] | None) -> Maneuver:
    lat, lon = float(route.lat[-1]), float(route.lon[-1])
    maneuver = Maneuver("arrive", round(route.distance_m, 1), lat, lon, side="ahead", offset_m=0.0)
    if destination is not None:
        last = route.edges[-1]
        length = float(planner.graph.edge_length[last.edge])
        end_along = last.from_m + last.length_m
        offset = end_along if last.forward else length - end_along
        side, away = _side_of(planner, last.edge, offset, last.forward, *destination)
        maneuver.offset_m = round(away, 1)
        maneuver.side = side if away >= ARRIVE_AHEAD_M else "ahead"
    return maneuver
