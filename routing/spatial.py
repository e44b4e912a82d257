"""Snap a position onto the nearest walkable edge (not node), so a walker mid-block is placed mid-block.

The index holds every straight segment of every edge's projected geometry in a shapely STRtree (a packed R-tree
in C); the nearest segment is found there and the exact foot point computed with a few float operations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import shapely

from routing import settings
from routing.errors import CoordinateError, OffMapError
from routing.graph import WalkGraph, ranges
from routing.utm import UTM

# Segments this much farther than the nearest are as near: two ways drawn over the same nodes (a pedestrian way and
# a service road on one square) lie at one distance, give or take rounding.
_TIE_M = 1e-3


@dataclass(frozen=True)
class Snap:
    """A position placed on the graph: the edge, the foot point, its offset from the edge's `u` end, the distance."""

    edge: int
    lat: float
    lon: float
    x: float
    y: float
    offset_m: float
    distance_m: float


@dataclass
class Candidates:
    """Edges near a point, one row each: the edge, the nearest point on it (metres from its u end, and x/y), the
    distance to it and the direction of the edge there (degrees from north, in drawing direction)."""

    edge: np.ndarray
    offset_m: np.ndarray
    distance_m: np.ndarray
    bearing_deg: np.ndarray

    @classmethod
    def empty(cls) -> Candidates:
        nothing = np.zeros(0)
        return cls(nothing.astype(np.int64), nothing, nothing, nothing)

    def __len__(self) -> int:
        return len(self.edge)


def check_coordinate(lat: object, lon: object) -> tuple[float, float]:
    """Return (lat, lon) as floats, or raise CoordinateError for non-numbers, NaN, infinity or out-of-range values."""
    try:
        lat_f, lon_f = float(lat), float(lon)  # type: ignore[arg-type]  # query strings too
    except (TypeError, ValueError, OverflowError):  # OverflowError: an integer too long for a float
        raise CoordinateError(f"Latitude and longitude must be numbers, got {lat!r}, {lon!r}") from None
    if isinstance(lat, bool) or isinstance(lon, bool) or not (math.isfinite(lat_f) and math.isfinite(lon_f)):
        raise CoordinateError(f"Latitude and longitude must be finite numbers, got {lat!r}, {lon!r}")
    if not (-90 <= lat_f <= 90 and -180 <= lon_f <= 180):
        raise CoordinateError(f"Coordinate out of range: latitude {lat_f} (−90…90), longitude {lon_f} (−180…180)")
    return lat_f, lon_f


class EdgeIndex:
    """Nearest-edge queries over a WalkGraph."""

    def __init__(self, graph: WalkGraph, limit_m: float = settings.SNAP_LIMIT_M) -> None:
        self.graph = graph
        self.limit_m = limit_m
        starts = np.arange(len(graph.geom_x) - 1)
        # A segment joins two consecutive geometry points of the same edge.
        starts = np.setdiff1d(starts, graph.geom_offsets[1:-1] - 1, assume_unique=True)
        self._x0, self._y0 = graph.geom_x[starts], graph.geom_y[starts]
        self._dx, self._dy = graph.geom_x[starts + 1] - self._x0, graph.geom_y[starts + 1] - self._y0
        self._edge = (np.searchsorted(graph.geom_offsets, starts, side="right") - 1).astype(np.int32)
        # Distance along the edge at each segment's start: cumulative length minus the edge's first point's.
        step = np.hypot(np.diff(graph.geom_x), np.diff(graph.geom_y))
        cumulative = np.concatenate([[0.0], np.cumsum(step)])
        self._along = cumulative[starts] - cumulative[graph.geom_offsets[self._edge]]
        segments = shapely.linestrings(
            np.stack([self._x0, self._y0, self._x0 + self._dx, self._y0 + self._dy], axis=1).reshape(-1, 2, 2)
        )
        self._tree = shapely.STRtree(segments)
        # Each edge's segments are consecutive (by their first geometry point): edge e has segments
        # _edge_first[e] to _edge_first[e + 1] - 1.
        self._edge_first = np.searchsorted(self._edge, np.arange(graph.edge_count + 1))
        self._utm = UTM(graph.meta["crs"])

    @cached_property
    def bounds(self) -> tuple[float, float, float, float]:
        """(south, west, north, east) of the walkable network."""
        g = self.graph
        return float(g.node_lat.min()), float(g.node_lon.min()), float(g.node_lat.max()), float(g.node_lon.max())

    def project(self, lat: float, lon: float) -> tuple[float, float]:
        """lat/lon to the graph's metric x/y."""
        return self._utm.forward(lon, lat)

    def to_latlon(self, x: float, y: float) -> tuple[float, float]:
        """The graph's metric x/y to lat/lon."""
        lon, lat = self._utm.inverse(x, y)
        return lat, lon

    def snap(self, lat: object, lon: object, limit_m: float | None = None) -> Snap:
        """The nearest point on a walkable edge; CoordinateError for bad input, OffMapError beyond the limit."""
        lat_f, lon_f = check_coordinate(lat, lon)
        limit = self.limit_m if limit_m is None else limit_m
        x, y = self.project(lat_f, lon_f)
        point = shapely.Point(x, y)
        found, distances = self._tree.query_nearest(point, max_distance=limit, return_distance=True, all_matches=False)
        if len(found) == 0:
            distance = self._distance_anywhere(x, y, lat_f, lon_f)
            raise OffMapError(self._off_map_message(distance, lat_f, lon_f, limit), distance_m=distance, limit_m=limit)
        segment = self._first_of_equally_near(point, float(distances[0]))
        # As Python floats: the same numbers, without numpy's cost per scalar operation.
        x0, y0 = float(self._x0[segment]), float(self._y0[segment])
        dx, dy = float(self._dx[segment]), float(self._dy[segment])
        squared = dx * dx + dy * dy
        t = 0.0 if squared == 0 else min(1.0, max(0.0, ((x - x0) * dx + (y - y0) * dy) / squared))
        foot_x, foot_y = x0 + t * dx, y0 + t * dy
        foot_lat, foot_lon = self.to_latlon(foot_x, foot_y)
        return Snap(
            edge=int(self._edge[segment]),
            lat=foot_lat,
            lon=foot_lon,
            x=foot_x,
            y=foot_y,
            offset_m=float(self._along[segment]) + t * math.sqrt(squared),
            distance_m=math.hypot(x - foot_x, y - foot_y),
        )

    def candidates(self, x: float, y: float, radius_m: float) -> Candidates:
        """Every edge with a point within `radius_m` of (x, y): its nearest point, for map matching."""
        segments = self._tree.query(shapely.Point(x, y), predicate="dwithin", distance=radius_m)
        if len(segments) == 0:
            return Candidates.empty()
        x0, y0, dx, dy = self._x0[segments], self._y0[segments], self._dx[segments], self._dy[segments]
        squared = np.maximum(dx * dx + dy * dy, 1e-9)
        # np.minimum and np.maximum: np.clip's numbers without its overhead (this runs on every walker's every fix)
        t = np.minimum(np.maximum(((x - x0) * dx + (y - y0) * dy) / squared, 0.0), 1.0)
        foot_x, foot_y = x0 + t * dx, y0 + t * dy
        distance = np.hypot(x - foot_x, y - foot_y)
        # The nearest segment of each edge stands for the edge.
        edges = self._edge[segments]
        order = np.lexsort((distance, edges))
        first = order[np.concatenate([[True], np.diff(edges[order]) != 0])]
        return Candidates(
            edge=edges[first].astype(np.int64),
            offset_m=self._along[segments][first] + t[first] * np.sqrt(squared[first]),
            distance_m=distance[first],
            bearing_deg=np.degrees(np.arctan2(dx[first], dy[first])) % 360,
        )

    def nearest_on_edges(self, edges: np.ndarray, x: float, y: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The nearest point of each of `edges` to (x, y): its x, its y and the edge's direction there (degrees from
        north, in drawing direction); for map matching, where a point is looked at on a way already chosen."""
        first, last = self._edge_first[edges], self._edge_first[edges + 1]
        owner = np.repeat(np.arange(len(edges)), last - first)
        segments = ranges(first, last)
        x0, y0, dx, dy = self._x0[segments], self._y0[segments], self._dx[segments], self._dy[segments]
        squared = np.maximum(dx * dx + dy * dy, 1e-9)
        t = np.minimum(np.maximum(((x - x0) * dx + (y - y0) * dy) / squared, 0.0), 1.0)
        foot_x, foot_y = x0 + t * dx, y0 + t * dy
        order = np.lexsort((np.hypot(x - foot_x, y - foot_y), owner))
        nearest = order[np.concatenate([[True], np.diff(owner[order]) != 0])]
        return foot_x[nearest], foot_y[nearest], np.degrees(np.arctan2(dx[nearest], dy[nearest])) % 360

    def _first_of_equally_near(self, point: shapely.Point, nearest_m: float) -> int:
        """Of the segments as near as the nearest (see _TIE_M), the one of the lowest way OSM id, then edge id.

        The tree returns any one of equally near segments, and which depends on what else it holds; this choice
        depends on the map alone, so a point snaps to the same way in a town as in a region that contains it.
        """
        near = self._tree.query(point, predicate="dwithin", distance=nearest_m + _TIE_M)
        if len(near) == 1:  # (the common case: nothing to choose between)
            return int(near[0])
        edges = self._edge[near]
        ways = self.graph.way_osm_id[self.graph.edge_way[edges]]
        return int(near[np.lexsort((near, edges, ways))[0]])

    def _distance_anywhere(self, x: float, y: float, lat: float, lon: float) -> float:
        if math.isfinite(x) and math.isfinite(y):
            nearest = self._tree.query_nearest(shapely.Point(x, y), return_distance=True, all_matches=False)
            if len(nearest[1]):
                return float(nearest[1][0])
        # Too far for the map's projection (another continent): along the Earth to the map's centre (pyproj only
        # here, so a server does not hold it for the rare such position).
        from pyproj import Geod

        south, west, north, east = self.bounds
        return float(Geod(ellps="WGS84").inv(lon, lat, (west + east) / 2, (south + north) / 2)[2])

    @staticmethod
    def _off_map_message(distance: float, lat: float, lon: float, limit: float) -> str:
        where = f"{distance / 1000:.1f} km" if distance >= 1000 else f"{distance:.0f} m"
        return (
            f"The position {lat:.5f}, {lon:.5f} is {where} from the nearest walkable way; "
            f"positions more than {limit:.0f} m away cannot be placed on the map."
        )


def place_landmarks(graph: WalkGraph) -> None:
    """Snap each landmark to its nearest edge, so guidance can find those beside a route by edge."""
    index = EdgeIndex(graph, limit_m=settings.LANDMARK_MAX_DISTANCE_M)
    for i, (lat, lon) in enumerate(zip(graph.landmark_lat.tolist(), graph.landmark_lon.tolist())):
        try:
            snap = index.snap(lat, lon)
        except OffMapError:
            continue
        graph.landmark_edge[i] = snap.edge
        graph.landmark_offset[i] = snap.offset_m
