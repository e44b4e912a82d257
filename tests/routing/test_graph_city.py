"""The walk graph of the real Kaiserslautern extract (../shared/osm/kaiserslautern.osm.gz), checked against the file."""

from __future__ import annotations

import gzip
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import numpy as np
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from routing import settings
from routing.graph import WalkGraph
from routing.osm_import import is_walkable_way
from tests.conftest import CITY_OSM


@dataclass
class RawOsm:
    node_coords: dict[int, tuple[float, float]]
    way_tags: dict[int, dict[str, str]]  # ways with a highway tag only
    way_nodes: dict[int, list[int]]  # their node references


@pytest.fixture(scope="module")
def raw_city() -> RawOsm:
    """The extract's node coordinates and highway ways' tags, read straight from the XML (about half a second)."""
    coords: dict[int, tuple[float, float]] = {}
    ways: dict[int, dict[str, str]] = {}
    way_nodes: dict[int, list[int]] = {}
    with gzip.open(CITY_OSM) as file:
        for _, element in ET.iterparse(file):
            if element.tag == "node":
                coords[int(element.get("id"))] = (float(element.get("lat")), float(element.get("lon")))
                element.clear()
            elif element.tag == "way":
                way_tags = {tag.get("k"): tag.get("v") for tag in element.iter("tag")}
                if "highway" in way_tags:
                    ways[int(element.get("id"))] = way_tags
                    way_nodes[int(element.get("id"))] = [int(nd.get("ref")) for nd in element.iter("nd")]
                element.clear()
    return RawOsm(coords, ways, way_nodes)


def graph_ways(g: WalkGraph) -> set[int]:
    return set(g.way_osm_id.tolist())


def test_size(city_graph):
    assert 8000 <= city_graph.node_count <= 10000
    assert 10000 <= city_graph.edge_count <= 13000
    assert 4000 <= len(city_graph.way_osm_id) <= 6500
    assert 400 <= city_graph.stats()["length_km"] <= 600


def test_array_shapes_agree(city_graph):
    g = city_graph
    for name in ("node_lat", "node_lon", "node_x", "node_y"):
        assert len(getattr(g, name)) == g.node_count, name
    for name in ("edge_v", "edge_way", "edge_length", "edge_forward"):
        assert len(getattr(g, name)) == g.edge_count, name
    assert len(g.geom_offsets) == g.edge_count + 1
    assert g.geom_offsets[0] == 0 and g.geom_offsets[-1] == len(g.geom_x) == len(g.geom_osm_id)
    assert np.diff(g.geom_offsets).min() >= 2
    assert g.edge_u.min() >= 0 and max(g.edge_u.max(), g.edge_v.max()) < g.node_count
    assert g.edge_way.max() < len(g.way_osm_id)
    for name, values in g.node_columns.items():
        assert len(values) == g.node_count, name
    for name, values in g.way_columns.items():
        assert len(values) == len(g.way_osm_id), name
    assert len(set(g.node_osm_id.tolist())) == g.node_count
    assert len(set(g.way_osm_id.tolist())) == len(g.way_osm_id)


def test_edge_lengths_are_the_sum_of_their_segments(city_graph):
    g = city_graph
    segments = np.hypot(np.diff(g.geom_x), np.diff(g.geom_y))
    segments[g.geom_offsets[1:-1] - 1] = 0.0  # no segment joins one edge's end to the next edge's start
    cumulative = np.concatenate([[0.0], np.cumsum(segments)])
    expected = cumulative[g.geom_offsets[1:] - 1] - cumulative[g.geom_offsets[:-1]]
    np.testing.assert_allclose(g.edge_length, expected, rtol=1e-6, atol=1e-3)


def test_edge_lengths_are_positive_unless_the_source_gives_one_point_twice(city_graph):
    g = city_graph
    zero = np.flatnonzero(g.edge_length <= 0)
    assert (g.edge_length >= 0).all()
    # The extract rounds coordinates to 5 decimals, so a few short steps have both ends on the same coordinate.
    assert len(zero) < 20
    for e in zero:
        lat, lon = zip(*g.edge_latlon(int(e)))
        assert len(set(lat)) == 1 and len(set(lon)) == 1, f"edge {e} has a real geometry but length 0"
    assert float(np.median(g.edge_length)) > 10.0


def test_crs_and_bounds(city_graph):
    g = city_graph
    assert g.meta["crs"] == "EPSG:32632"
    assert g.meta["graph_version"] == settings.GRAPH_VERSION
    for lat in (g.node_lat, g.geom_lat):
        assert 49.418 <= lat.min() and lat.max() <= 49.457
    for lon in (g.node_lon, g.geom_lon):
        assert 7.717 <= lon.min() and lon.max() <= 7.821
    # UTM zone 32 metres around Kaiserslautern.
    assert 400_000 < g.node_x.min() < g.node_x.max() < 420_000
    assert 5_470_000 < g.node_y.min() < g.node_y.max() < 5_485_000


def test_geometry_points_are_the_osm_nodes(city_graph, raw_city):
    g = city_graph
    lat = np.array([raw_city.node_coords[osm_id][0] for osm_id in g.geom_osm_id.tolist()])
    lon = np.array([raw_city.node_coords[osm_id][1] for osm_id in g.geom_osm_id.tolist()])
    np.testing.assert_array_equal(g.geom_lat, lat)
    np.testing.assert_array_equal(g.geom_lon, lon)
    starts, ends = g.geom_offsets[:-1], g.geom_offsets[1:] - 1
    np.testing.assert_array_equal(g.geom_osm_id[starts], g.node_osm_id[g.edge_u])
    np.testing.assert_array_equal(g.geom_osm_id[ends], g.node_osm_id[g.edge_v])
    np.testing.assert_array_equal(g.geom_lat[starts], g.node_lat[g.edge_u])
    np.testing.assert_array_equal(g.geom_lon[ends], g.node_lon[g.edge_v])


def test_no_motorways_or_construction(city_graph, raw_city):
    highways = np.array(city_graph.texts["highway"], dtype=object)[city_graph.way_columns["highway"]]
    assert not {"motorway", "motorway_link", "construction", "proposed"} & set(highways.tolist())
    motorways = {osm_id for osm_id, way_tags in raw_city.way_tags.items() if way_tags["highway"].startswith("motorway")}
    assert len(motorways) >= 5  # the extract has A 6 and A 63 pieces
    assert not motorways & graph_ways(city_graph)


def test_ways_closed_to_pedestrians_are_absent(city_graph, raw_city):
    foot_no = {osm_id for osm_id, way_tags in raw_city.way_tags.items() if way_tags.get("foot") == "no"}
    private = {
        osm_id for osm_id, way_tags in raw_city.way_tags.items()
        if way_tags.get("access") in ("private", "no") and way_tags.get("foot") not in settings.FOOT_ALLOWED_VALUES
    }
    assert len(foot_no) >= 3 and len(private) >= 100
    assert not foot_no & graph_ways(city_graph)
    assert not private & graph_ways(city_graph)


def test_graph_ways_are_exactly_the_walkable_ways(city_graph, raw_city):
    # Ways the extract's bounding box cut down to a single node have no segment to walk on.
    walkable = {
        osm_id for osm_id, way_tags in raw_city.way_tags.items()
        if is_walkable_way(way_tags) and len(set(raw_city.way_nodes[osm_id]) & raw_city.node_coords.keys()) >= 2
    }
    assert len(walkable) > 5000
    assert graph_ways(city_graph) == walkable


def test_way_columns_match_the_file(city_graph, raw_city):
    g = city_graph
    for w, osm_id in enumerate(g.way_osm_id.tolist()):
        way_tags = raw_city.way_tags[osm_id]
        assert g.way_text("highway", w) == way_tags["highway"]
        assert g.way_text("name", w) == way_tags.get("name", "")


def test_accessibility_facts_are_present(city_graph):
    stats = city_graph.stats()
    assert stats["crossings_mapped"] >= 170
    assert stats["steps_ways"] >= 400
    assert stats["steps_edges"] >= stats["steps_ways"]
    assert stats["traffic_signal_nodes"] >= 150
    assert int((city_graph.way_columns["step_count"] >= 0).sum()) >= 100
    assert int((city_graph.node_columns["tactile_paving"] != 0).sum()) >= 1
    assert stats["tagged_attributes"]["node.crossing"] == stats["crossings_mapped"]
    assert stats["tagged_attributes"]["way.step_count"] >= 100
    assert all(count > 0 for count in stats["tagged_attributes"].values())


def test_most_of_the_city_is_one_connected_network(city_graph):
    g = city_graph
    matrix = coo_matrix((np.ones(g.edge_count), (g.edge_u, g.edge_v)), shape=(g.node_count, g.node_count))
    count, labels = connected_components(matrix, directed=False)
    assert count >= 1
    assert np.bincount(labels).max() >= 0.9 * g.node_count


@pytest.mark.parametrize("name", ["Fackelstraße", "Eisenbahnstraße", "Mainzer Straße", "Pariser Straße", "Marktstraße"])
def test_known_streets_exist(city_graph, name):
    assert name in city_graph.texts["name"]
    ways = np.flatnonzero(city_graph.way_columns["name"] == city_graph.texts["name"].index(name))
    assert len(ways) >= 1
    assert np.isin(ways, city_graph.edge_way).all()


def test_street_types(city_graph):
    def highways(name: str) -> set[str]:
        ways = np.flatnonzero(city_graph.way_columns["name"] == city_graph.texts["name"].index(name))
        return {city_graph.way_text("highway", int(w)) for w in ways}

    assert "pedestrian" in highways("Fackelstraße")  # the pedestrian zone of the centre
    assert highways("Mainzer Straße") & settings.ROAD_HIGHWAYS
    assert highways("Pariser Straße") & settings.ROAD_HIGHWAYS


def test_unmapped_crossings_are_road_nodes_without_a_crossing(city_graph):
    g = city_graph
    unmapped = g.unmapped_crossing_nodes()
    assert len(unmapped) == g.stats()["crossings_unmapped"] > 0
    assert (g.node_columns["crossing"][unmapped] == 0).all()
    for n in unmapped[:50].tolist():
        assert g.roads_at(n), n


def test_save_load_round_trip(city_graph, tmp_path):
    path = tmp_path / "city.npz"
    city_graph.save(path)
    assert path.exists() and not list(tmp_path.glob("*.partial*"))
    loaded = WalkGraph.load(path)
    for name in ("node_osm_id", "node_lat", "node_lon", "node_x", "node_y", "edge_u", "edge_v", "edge_way",
                 "edge_length", "edge_forward", "geom_offsets", "geom_x", "geom_y", "geom_lat", "geom_lon",
                 "geom_osm_id", "way_osm_id", "adjacency_offsets", "adjacency_edges", "way_is_road"):
        original, copy = getattr(city_graph, name), getattr(loaded, name)
        assert original.dtype == copy.dtype, name
        np.testing.assert_array_equal(original, copy, err_msg=name)
    assert loaded.node_columns.keys() == city_graph.node_columns.keys()
    for name, values in city_graph.node_columns.items():
        np.testing.assert_array_equal(values, loaded.node_columns[name], err_msg=name)
    for name, values in city_graph.way_columns.items():
        np.testing.assert_array_equal(values, loaded.way_columns[name], err_msg=name)
    assert loaded.texts == city_graph.texts
    assert loaded.meta == city_graph.meta
    assert loaded.stats() == city_graph.stats()
