"""Several towns in one graph: the centre extract and a shifted copy of it, written as one PBF, imported, and
planned on. A route in one town is the route planned on that town alone, whatever else the graph holds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import osmium
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from routing.cache import build_graph
from routing.graph import WalkGraph
from routing.plan import plan_route
from routing.planner import Planner
from routing.profiles import resolve
from routing.spatial import EdgeIndex
from tests.conftest import SHARED_OSM
from tests.graph_helpers import plain_dijkstra_cost

CENTRE_OSM = SHARED_OSM / "kaiserslautern_cc.osm.gz"
ID_SHIFT = 10**10
LON_SHIFT = 0.05  # about 3.6 km east: the copy touches nothing of the original


def write_two_towns(target: Path, copies: tuple[int, ...] = (0, 1)) -> Path:
    """The centre and its copy shifted east (ids and coordinates), as one file; `copies=(1,)`: the copy alone."""
    with osmium.SimpleWriter(str(target)) as writer:
        for copy in copies:
            for node in osmium.FileProcessor(str(CENTRE_OSM), osmium.osm.NODE):
                location = osmium.osm.Location(node.location.lon + copy * LON_SHIFT, node.location.lat)
                writer.add_node(node.replace(id=node.id + copy * ID_SHIFT, location=location))
        for copy in copies:
            for way in osmium.FileProcessor(str(CENTRE_OSM), osmium.osm.WAY):
                writer.add_way(way.replace(id=way.id + copy * ID_SHIFT,
                                           nodes=[node.ref + copy * ID_SHIFT for node in way.nodes]))
    return target


@pytest.fixture(scope="module")
def towns(tmp_path_factory) -> tuple[Planner, Planner]:
    """Planners on the centre alone and on the two towns."""
    graphs = [build_graph(CENTRE_OSM), build_graph(write_two_towns(tmp_path_factory.mktemp("towns") / "two.osm.pbf"))]
    return tuple(Planner(graph, EdgeIndex(graph)) for graph in graphs)


def largest_piece(graph: WalkGraph) -> np.ndarray:
    """The edges of the largest connected piece of the graph (the extract's cut leaves a few loose ones)."""
    ones = np.ones(graph.edge_count)
    adjacency = coo_matrix((ones, (graph.edge_u, graph.edge_v)), shape=(graph.node_count, graph.node_count))
    _, piece = connected_components(adjacency, directed=False)
    return np.flatnonzero(piece[graph.edge_u] == np.bincount(piece).argmax())


def pairs(graph: WalkGraph, count: int = 40) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """Seeded pairs of points 200-1500 m apart in the largest connected piece, a third along the first segment of an
    edge: no point lies equally near two edges, as a node does (two ways drawn over the same nodes do, and the
    index snaps to the one of the lower OSM id in either planner)."""
    rng = np.random.default_rng(16)
    edges = largest_piece(graph)

    def point(edge: int) -> tuple[float, float, float, float]:
        first = graph.geom_offsets[edge]
        x, y, lat, lon = (graph.geom_x, graph.geom_y, graph.geom_lat, graph.geom_lon)
        return tuple(float(c[first] + (c[first + 1] - c[first]) / 3) for c in (x, y, lat, lon))

    found = []
    while len(found) < count:
        (ax, ay, *a), (bx, by, *b) = (point(edge) for edge in rng.choice(edges, size=2))
        if 200 <= np.hypot(ax - bx, ay - by) <= 1500:
            found.append((tuple(a), tuple(b)))
    return found


def walked_ways(planner: Planner, origin, destination) -> tuple[list[int], float]:
    """The OSM ways (of the original town) a blind walker's route walks, and its length.

    Not the instructions: a landmark at a node lies equally near each edge there, and which one the spatial index
    places it on depends on what else the index holds, so a landmark at the route's turn may be said or not.
    """
    route = plan_route(planner, origin, destination, "blind")
    ways = [int(planner.graph.way_osm_id[planner.graph.edge_way[piece.edge]]) % ID_SHIFT for piece in route.edges]
    return ways, route.distance_m


def test_the_two_towns_are_one_graph_with_both_copies(towns):
    alone, both = towns
    assert both.graph.node_count == 2 * alone.graph.node_count
    assert both.graph.edge_count == 2 * alone.graph.edge_count
    assert both.graph.meta["crs"] == alone.graph.meta["crs"]


def test_routes_in_the_first_town_are_those_planned_on_it_alone(towns):
    alone, both = towns
    for origin, destination in pairs(alone.graph):
        assert walked_ways(both, origin, destination) == walked_ways(alone, origin, destination)


# On Guimarães-Platz a pedestrian way (24904590) and a service road (45073855) are drawn over the same two nodes.
GUIMARAES_PLATZ = (49.43637, 7.768113333333333)
HBF_NORTH = (49.44550666666667, 7.772036666666667)


def test_a_point_on_two_ways_over_the_same_nodes_snaps_to_one_way_in_town_and_region(towns):
    # The spatial index returned either way depending on what else it held, so the region's blind route ended on
    # the pedestrian way (2794.57) and the town's on the service road (2796.31). Both searches were exact.
    blind = resolve("blind")
    found = []
    for planner in towns:
        start, end = planner.index.snap(*HBF_NORTH), planner.index.snap(*GUIMARAES_PLATZ)
        assert int(planner.graph.way_osm_id[planner.graph.edge_way[end.edge]]) == 24904590
        costs = planner.costs(blind)
        path = planner.search(start, end, costs)
        assert path.cost == pytest.approx(plain_dijkstra_cost(planner, start, end, costs), abs=1e-3)
        found.append(path.cost)
    assert found[0] == pytest.approx(found[1], abs=1e-6)


def walked_nodes(planner: Planner, origin, destination) -> list[int]:
    """The OSM nodes (of the original town) between the edges a blind walker's route walks."""
    graph = planner.graph
    route = plan_route(planner, origin, destination, "blind")
    ends = [(int(graph.edge_u[piece.edge]), int(graph.edge_v[piece.edge])) for piece in route.edges]
    shared = [(set(a) & set(b)).pop() for a, b in zip(ends, ends[1:])]
    return [int(graph.node_osm_id[node]) % ID_SHIFT for node in shared]


def test_routes_in_the_copy_pass_the_same_nodes_as_in_the_original(towns):
    # The same nodes, not always the same ways: two ways drawn over the same nodes are equally long in the
    # original, and the copy, elsewhere in the UTM zone, measures one of them a trace shorter.
    alone, both = towns
    for origin, destination in pairs(alone.graph):
        shifted = ((origin[0], origin[1] + LON_SHIFT), (destination[0], destination[1] + LON_SHIFT))
        assert walked_nodes(both, *shifted) == walked_nodes(alone, origin, destination)
        assert walked_ways(both, *shifted)[1] == pytest.approx(walked_ways(alone, origin, destination)[1], rel=1e-3)


def test_two_files_are_one_region_whose_towns_the_search_tells_apart(tmp_path):
    """The centre and a shifted copy given as two files: one graph, two areas, and the same address in each town
    found once per town, the nearer first."""
    from routing.geocoder import Geocoder

    copy = write_two_towns(tmp_path / "copy.osm.pbf", copies=(1,))
    region = build_graph([CENTRE_OSM, copy])
    centre = build_graph(CENTRE_OSM)
    areas = region.meta["areas"]
    assert [(area["name"], area["file"]) for area in areas] == [("kaiserslautern_cc", CENTRE_OSM.name),
                                                                ("copy", "copy.osm.pbf")]
    assert [area["nodes"] for area in areas] == [centre.node_count, centre.node_count] == [region.node_count // 2] * 2
    assert [area["addresses"] for area in areas] == [len(centre.address_lat)] * 2
    assert areas[1]["bbox"][1] == pytest.approx(areas[0]["bbox"][1] + LON_SHIFT, abs=1e-6)

    street = centre.texts["address_street"][centre.address_street[0]]
    number = centre.texts["address_number"][centre.address_number[0]]
    lat, lon = float(centre.address_lat[0]), float(centre.address_lon[0])
    geocoder = Geocoder(region)
    found = [place for place in geocoder.search(f"{street} {number}") if place.name == f"{street} {number}"]
    assert sorted(place.area for place in found) == ["copy", "kaiserslautern_cc"]
    near_copy = geocoder.search(f"{street} {number}", near=(lat, lon + LON_SHIFT))[0]
    assert (near_copy.area, near_copy.lon) == ("copy", pytest.approx(lon + LON_SHIFT, abs=1e-6))
    streets = [place for place in geocoder.search(street) if place.kind == "street" and place.name == street]
    assert sorted(place.area for place in streets) == ["copy", "kaiserslautern_cc"]
    assert len({place.id for place in streets}) == 2
