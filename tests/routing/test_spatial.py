"""Snapping positions onto the nearest walkable edge (routing.spatial)."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from routing.errors import CoordinateError, LotseError, OffMapError
from routing.graph import WalkGraph
from routing.spatial import EdgeIndex, check_coordinate

# mini.osm is laid out in metres east (x) / north (y) of this point, with these degree conversions (mini_osm.md).
ORIGIN_LAT, ORIGIN_LON = 49.4440, 7.7690
M_PER_DEG_LAT, M_PER_DEG_LON = 111194.9, 72301.6


def at(x: float, y: float) -> tuple[float, float]:
    """lat/lon of a point x metres east and y metres north of the mini map's origin."""
    return ORIGIN_LAT + y / M_PER_DEG_LAT, ORIGIN_LON + x / M_PER_DEG_LON


def node(g: WalkGraph, osm_id: int) -> int:
    return int(np.flatnonzero(g.node_osm_id == osm_id)[0])


def edge(g: WalkGraph, a: int, b: int) -> int:
    u, v = node(g, a), node(g, b)
    return int(np.flatnonzero(((g.edge_u == u) & (g.edge_v == v)) | ((g.edge_u == v) & (g.edge_v == u)))[0])


# ------------------------------------------------------------------------------------------- mini map


def test_point_beside_the_middle_of_fackelstrasse(mini_graph, mini_index):
    # 5 m north of the middle of the edge 1-2 (x -130 … -60).
    snap = mini_index.snap(*at(-95, 5))
    e = edge(mini_graph, 1, 2)
    assert snap.edge == e
    assert snap.distance_m == pytest.approx(5.0, abs=0.3)
    assert snap.offset_m == pytest.approx(float(mini_graph.edge_length[e]) / 2, abs=0.3)
    lat1, lon1 = mini_graph.node_lat[node(mini_graph, 1)], mini_graph.node_lon[node(mini_graph, 1)]
    lon2 = mini_graph.node_lon[node(mini_graph, 2)]
    assert snap.lat == pytest.approx(lat1, abs=2e-6)  # the street runs along the parallel 49.4440
    assert lon1 < snap.lon < lon2
    assert snap.lon == pytest.approx(at(-95, 0)[1], abs=2e-6)


def test_offset_is_measured_from_the_edge_u_end(mini_graph, mini_index):
    snap = mini_index.snap(*at(-110, 3))  # 20 m east of node 1
    e = edge(mini_graph, 1, 2)
    assert snap.edge == e
    from_node_1 = pytest.approx(20.0, abs=0.3)
    if int(mini_graph.edge_u[e]) == node(mini_graph, 1):
        assert snap.offset_m == from_node_1
    else:
        assert float(mini_graph.edge_length[e]) - snap.offset_m == from_node_1
    assert 0 <= snap.offset_m <= float(mini_graph.edge_length[e])


def test_foot_point_is_consistent(mini_index):
    snap = mini_index.snap(*at(-95, 5))
    x, y = mini_index.project(*at(-95, 5))
    assert math.hypot(x - snap.x, y - snap.y) == pytest.approx(snap.distance_m, abs=1e-6)
    assert mini_index.to_latlon(snap.x, snap.y) == (pytest.approx(snap.lat, abs=1e-9), pytest.approx(snap.lon, abs=1e-9))


def test_snaps_to_the_nearest_edge_not_the_nearest_node(mini_graph, mini_index):
    # 30 m west of the middle of Mainzer Straße's 100 m edge 4-7: every node is more than 55 m away.
    lat, lon = at(40, 50)
    x, y = mini_index.project(lat, lon)
    assert np.hypot(mini_graph.node_x - x, mini_graph.node_y - y).min() > 55
    snap = mini_index.snap(lat, lon)
    assert snap.edge == edge(mini_graph, 4, 7)
    assert snap.distance_m == pytest.approx(30.0, rel=0.01)
    assert snap.offset_m == pytest.approx(50.0, abs=0.5)


def test_point_on_a_node_snaps_with_zero_distance(mini_graph, mini_index):
    n = node(mini_graph, 9)
    snap = mini_index.snap(float(mini_graph.node_lat[n]), float(mini_graph.node_lon[n]))
    assert snap.distance_m == pytest.approx(0.0, abs=1e-6)
    assert n in (int(mini_graph.edge_u[snap.edge]), int(mini_graph.edge_v[snap.edge]))
    assert snap.offset_m == pytest.approx(0.0, abs=1e-6) or snap.offset_m == pytest.approx(
        float(mini_graph.edge_length[snap.edge]), abs=1e-3
    )


def test_a_point_equally_near_several_edges_snaps_to_the_way_of_the_lowest_osm_id(city_graph, city_index):
    # At a junction node every edge there is 0 m away; the choice depends on the map, not on the tree's layout.
    g = city_graph
    junctions = np.flatnonzero(np.diff(g.adjacency_offsets) >= 3)[:300]
    for n in junctions.tolist():
        snap = city_index.snap(float(g.node_lat[n]), float(g.node_lon[n]))
        assert int(g.way_osm_id[g.edge_way[snap.edge]]) == int(g.way_osm_id[g.edge_way[g.edges_at(n)]].min()), n


def test_numeric_strings_are_accepted(mini_index):
    lat, lon = at(-95, 5)
    by_string = mini_index.snap(f"{lat:.8f}", f"{lon:.8f}")
    assert by_string.edge == mini_index.snap(lat, lon).edge
    assert by_string.distance_m == pytest.approx(5.0, abs=0.3)


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        (float("nan"), 7.769),
        (49.444, float("nan")),
        ("nan", "7.769"),
        (float("inf"), 7.769),
        (49.444, float("-inf")),
        ("inf", "7.769"),
        ("abc", "7.769"),
        ("", "7.769"),
        (None, 7.769),
        (49.444, None),
        (91, 7.769),
        (-90.5, 7.769),
        (49.444, -181),
        (49.444, 180.01),
        (True, 7.769),
        (49.444, False),
        ([49.4], 7.769),
    ],
)
def test_bad_coordinates_raise_coordinate_error(mini_index, lat, lon):
    with pytest.raises(CoordinateError) as info:
        mini_index.snap(lat, lon)
    assert info.value.code == "bad_coordinate"
    assert isinstance(info.value, LotseError)
    assert str(info.value)


def test_check_coordinate_returns_floats():
    assert check_coordinate("49.5", "7.75") == (49.5, 7.75)
    assert check_coordinate(90, -180) == (90.0, -180.0)
    assert check_coordinate(-90, 180) == (-90.0, 180.0)


def test_point_a_kilometre_away_is_off_the_map(mini_index):
    # 1.1 km north of node 7 (70/100), the northernmost point of the network.
    lat, lon = at(70, 1200)
    with pytest.raises(OffMapError) as info:
        mini_index.snap(lat, lon)
    error = info.value
    assert error.code == "off_map"
    assert error.distance_m == pytest.approx(1100.0, rel=0.05)
    assert " is 1.1 km from the nearest walkable way" in str(error)
    assert f"{lat:.5f}, {lon:.5f}" in str(error)
    assert "150 m" in str(error)
    assert error.params == {"distance_m": round(error.distance_m), "limit_m": 150}


def test_off_map_distance_in_metres(mini_index):
    with pytest.raises(OffMapError) as info:
        mini_index.snap(*at(70, 500))  # 400 m north of node 7
    assert info.value.distance_m == pytest.approx(400.0, rel=0.05)
    match = re.search(r" is (\d+) m from the nearest walkable way", str(info.value))
    assert match, str(info.value)
    assert int(match.group(1)) == round(info.value.distance_m)


@pytest.mark.parametrize(("lat", "lon", "km"), [(1e-38, -89.6, 10_543), (-55.17, -1e-148, 11_638), (0, 180, 14_560)],
                         ids=["tropics-west", "south-atlantic", "antimeridian"])
def test_a_point_on_another_continent_is_off_the_map_by_its_distance_along_the_earth(mini_index, lat, lon, km):
    # Found by schemathesis: the first projects to infinity in the map's UTM zone, where no segment is "nearest".
    assert not math.isfinite(mini_index.project(1e-38, -89.6)[0])
    with pytest.raises(OffMapError) as info:
        mini_index.snap(lat, lon)
    assert info.value.distance_m / 1000 == pytest.approx(km, rel=0.01)


def test_custom_limit(mini_graph, mini_index):
    beside = at(-95, 5)
    with pytest.raises(OffMapError) as info:
        mini_index.snap(*beside, limit_m=3)
    assert info.value.distance_m == pytest.approx(5.0, abs=0.3)
    assert info.value.params["limit_m"] == 3
    assert "3 m away" in str(info.value)
    assert mini_index.snap(*beside, limit_m=6).edge == edge(mini_graph, 1, 2)
    far = at(70, 500)
    assert mini_index.snap(*far, limit_m=1000).edge == edge(mini_graph, 4, 7)
    strict = EdgeIndex(mini_graph, limit_m=3)
    with pytest.raises(OffMapError):
        strict.snap(*beside)
    assert strict.snap(*beside, limit_m=10).distance_m == pytest.approx(5.0, abs=0.3)


def test_bounds(mini_index):
    south, west, north, east = mini_index.bounds
    assert south == pytest.approx(49.4428309)  # nodes 5, 9, 10, 24
    assert north == pytest.approx(49.4448993)  # node 7
    assert west == pytest.approx(7.7663720)  # node 23
    assert east == pytest.approx(7.7700789)  # nodes 10-13


def test_projection_round_trip(mini_index):
    x, y = mini_index.project(ORIGIN_LAT, ORIGIN_LON)
    lat, lon = mini_index.to_latlon(x, y)
    assert lat == pytest.approx(ORIGIN_LAT, abs=1e-9)
    assert lon == pytest.approx(ORIGIN_LON, abs=1e-9)


# ------------------------------------------------------------------------------------------------ city


def all_segments(g: WalkGraph) -> tuple[np.ndarray, ...]:
    """Every straight piece of every edge: start x/y, end x/y, its edge and its distance from the edge's u end."""
    starts = np.arange(len(g.geom_x) - 1)
    starts = starts[~np.isin(starts, g.geom_offsets[1:-1] - 1)]
    edge_of = np.searchsorted(g.geom_offsets, starts, side="right") - 1
    lengths = np.hypot(np.diff(g.geom_x), np.diff(g.geom_y))
    lengths[g.geom_offsets[1:-1] - 1] = 0.0
    cumulative = np.concatenate([[0.0], np.cumsum(lengths)])
    along = cumulative[starts] - cumulative[g.geom_offsets[edge_of]]
    return g.geom_x[starts], g.geom_y[starts], g.geom_x[starts + 1], g.geom_y[starts + 1], edge_of, along


def distances_to_segments(x, y, x0, y0, x1, y1):
    dx, dy = x1 - x0, y1 - y0
    squared = dx * dx + dy * dy
    t = np.where(squared > 0, ((x - x0) * dx + (y - y0) * dy) / np.where(squared > 0, squared, 1), 0.0)
    t = np.clip(t, 0.0, 1.0)
    return np.hypot(x - (x0 + t * dx), y - (y0 + t * dy)), t * np.sqrt(squared)


@pytest.fixture(scope="module")
def city_points(city_graph, city_index):
    """500 positions up to 20 m from randomly chosen real nodes (seeded), as (lat, lon, x, y)."""
    rng = np.random.default_rng(20240611)
    nodes = rng.choice(city_graph.node_count, size=500, replace=False)
    angle = rng.uniform(0, 2 * np.pi, size=500)
    radius = rng.uniform(0, 20, size=500)
    points = []
    for n, a, r in zip(nodes, angle, radius):
        x = float(city_graph.node_x[n] + r * np.cos(a))
        y = float(city_graph.node_y[n] + r * np.sin(a))
        lat, lon = city_index.to_latlon(x, y)
        points.append((lat, lon, x, y))
    return points


def test_city_points_near_nodes_snap_within_25_m(city_graph, city_index, city_points):
    for lat, lon, _, _ in city_points:
        snap = city_index.snap(lat, lon)
        assert 0 <= snap.edge < city_graph.edge_count
        assert snap.distance_m <= 20.01  # the node the point was drawn around lies on an edge
        assert snap.distance_m < 25
        assert -1e-6 <= snap.offset_m <= float(city_graph.edge_length[snap.edge]) + 1e-3


def test_city_snap_finds_the_true_nearest_edge(city_graph, city_index, city_points):
    x0, y0, x1, y1, edge_of, along = all_segments(city_graph)
    for lat, lon, _, _ in city_points[:50]:
        snap = city_index.snap(lat, lon)
        x, y = city_index.project(lat, lon)
        distances, along_segment = distances_to_segments(x, y, x0, y0, x1, y1)
        best = float(distances.min())
        assert snap.distance_m == pytest.approx(best, abs=1e-6)
        # The returned edge reaches that distance (ties between edges meeting at a node are fine).
        on_edge = np.flatnonzero(edge_of == snap.edge)
        nearest_on_edge = on_edge[np.argmin(distances[on_edge])]
        assert float(distances[nearest_on_edge]) == pytest.approx(best, abs=1e-6)
        assert snap.offset_m == pytest.approx(float(along[nearest_on_edge] + along_segment[nearest_on_edge]), abs=1e-3)
        assert math.hypot(x - snap.x, y - snap.y) == pytest.approx(snap.distance_m, abs=1e-6)


def test_city_off_map(city_index):
    with pytest.raises(OffMapError) as info:
        city_index.snap(49.50, 7.769)  # about 5 km north of the extract
    assert 4000 < info.value.distance_m < 6000
    assert " km from the nearest walkable way" in str(info.value)
