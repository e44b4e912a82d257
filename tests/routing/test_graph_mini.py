"""The compact walk graph of the hand-made map tests/fixtures/mini.osm (expectations from tests/fixtures/mini_osm.md)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from routing import settings
from routing.graph import Street, WalkGraph

# Node pairs of every expected edge and its haversine length in metres (mini_osm.md, "Ways").
EXPECTED_EDGES = {
    (1, 2): 70.0, (2, 3): 70.0, (3, 4): 60.0,  # 101 Fackelstraße
    (5, 6): 80.0, (6, 4): 50.0, (4, 7): 100.0,  # 102 Mainzer Straße
    (3, 8): 60.0, (8, 9): 70.0,  # 103 Rosenweg
    (10, 11): 80.0, (11, 13): 140.0,  # 104 sidewalk, node 12 merged
    (14, 6): 8.0, (6, 11): 8.0,  # 105 signalled crossing
    (15, 8): 40.0, (8, 16): 35.0,  # 106 footway across Rosenweg
    (17, 2): 50.0, (2, 18): 35.0, (18, 19): 35.0,  # 107 Schulpfad
    (19, 20): 8.0,  # 108 steps
    (20, 21): 40.0,  # 109 upper footway
    (1, 23): 63.5,  # 110 Schillerplatz, node 22 merged
    (9, 24): 60.0,  # 111 cycleway
}
WALKABLE_WAYS = set(range(101, 112))
EXCLUDED_WAYS = {120, 121, 122, 123, 124}


def node(g: WalkGraph, osm_id: int) -> int:
    """Graph index of an OSM node; fails if the node is not (exactly once) in the graph."""
    found = np.flatnonzero(g.node_osm_id == osm_id)
    assert len(found) == 1, f"OSM node {osm_id} found {len(found)} times"
    return int(found[0])


def way(g: WalkGraph, osm_id: int) -> int:
    found = np.flatnonzero(g.way_osm_id == osm_id)
    assert len(found) == 1, f"OSM way {osm_id} found {len(found)} times"
    return int(found[0])


def edge(g: WalkGraph, a: int, b: int) -> int:
    """The edge between two OSM nodes, in either direction."""
    u, v = node(g, a), node(g, b)
    found = np.flatnonzero(((g.edge_u == u) & (g.edge_v == v)) | ((g.edge_u == v) & (g.edge_v == u)))
    assert len(found) == 1, f"edge {a}-{b} found {len(found)} times"
    return int(found[0])


# ------------------------------------------------------------------------------------------------ sizes


def test_counts(mini_graph):
    assert mini_graph.node_count == 22
    assert mini_graph.edge_count == 21
    assert len(mini_graph.way_osm_id) == 11


def test_nodes_are_junctions_and_tagged_nodes_only(mini_graph):
    # The 24 walkable nodes minus the untagged interior nodes 12 and 22, which are merged into edges.
    assert sorted(mini_graph.node_osm_id.tolist()) == [n for n in range(1, 25) if n not in (12, 22)]


def test_walkable_ways_only(mini_graph):
    assert set(mini_graph.way_osm_id.tolist()) == WALKABLE_WAYS
    assert not EXCLUDED_WAYS & set(mini_graph.way_osm_id.tolist())
    assert set(mini_graph.way_osm_id[mini_graph.edge_way].tolist()) == WALKABLE_WAYS


def test_excluded_and_unconnected_nodes_are_absent(mini_graph):
    everywhere = set(mini_graph.node_osm_id.tolist()) | set(mini_graph.geom_osm_id.tolist())
    assert 25 not in everywhere  # the bus stop is on no way
    assert not everywhere & set(range(30, 47))  # nodes of the excluded ways and the building


def test_edge_set(mini_graph):
    pairs = {
        frozenset((int(mini_graph.node_osm_id[u]), int(mini_graph.node_osm_id[v])))
        for u, v in zip(mini_graph.edge_u, mini_graph.edge_v)
    }
    assert pairs == {frozenset(pair) for pair in EXPECTED_EDGES}


# ---------------------------------------------------------------------------------------- node facts


def test_signalled_crossing_node_6(mini_graph):
    attributes = mini_graph.node_attributes(node(mini_graph, 6))
    assert attributes["osm_id"] == 6
    assert attributes["lat"] == pytest.approx(49.4435503)
    assert attributes["lon"] == pytest.approx(7.7699682)
    assert attributes["crossing"] == "traffic_signals"
    assert attributes["crossing_signals"] == "yes"
    assert attributes["crossing_markings"] == "yes"
    assert attributes["crossing_island"] == "no"
    assert attributes["acoustic_signal"] == "yes"
    assert attributes["vibration"] == "yes"
    assert attributes["button_operated"] == "yes"
    assert attributes["tactile_paving"] == "yes"
    assert attributes["traffic_signals"] is False  # highway=crossing, not highway=traffic_signals
    assert attributes["kerb"] == "unknown"
    assert attributes["barrier"] == "none"


def test_unmarked_crossing_node_8_keeps_unknown_facts_unknown(mini_graph):
    attributes = mini_graph.node_attributes(node(mini_graph, 8))
    assert attributes["crossing"] == "unmarked"
    # crossing=unmarked states both: no markings and no signals.
    assert attributes["crossing_markings"] == "no"
    assert attributes["crossing_signals"] == "no"
    for fact in ("crossing_island", "tactile_paving", "acoustic_signal", "vibration", "button_operated", "kerb",
                 "elevator"):
        assert attributes[fact] == "unknown", fact
    assert attributes["kerb_height_m"] is None
    assert attributes["barrier"] == "none"
    assert attributes["traffic_signals"] is False


def test_kerb_node_14(mini_graph):
    attributes = mini_graph.node_attributes(node(mini_graph, 14))
    assert attributes["kerb"] == "lowered"
    assert attributes["kerb_height_m"] == 0.02
    assert attributes["tactile_paving"] == "yes"
    assert attributes["crossing"] == "none"
    assert attributes["acoustic_signal"] == "unknown"


def test_bollard_node_18(mini_graph):
    attributes = mini_graph.node_attributes(node(mini_graph, 18))
    assert attributes["barrier"] == "bollard"
    assert attributes["kerb"] == "unknown"
    assert attributes["crossing"] == "none"
    # The bollard sits on Schulpfad between node 2 and the steps.
    assert sorted(int(mini_graph.node_osm_id[mini_graph.other_end(e, node(mini_graph, 18))])
                  for e in mini_graph.edges_at(node(mini_graph, 18))) == [2, 19]


def test_traffic_signals_junction_node_4_is_not_a_crossing(mini_graph):
    attributes = mini_graph.node_attributes(node(mini_graph, 4))
    assert attributes["traffic_signals"] is True
    assert attributes["crossing"] == "none"
    assert attributes["crossing_signals"] == "unknown"
    assert attributes["tactile_paving"] == "unknown"


def test_plain_junction_node_3_has_no_facts(mini_graph):
    attributes = mini_graph.node_attributes(node(mini_graph, 3))
    assert attributes["crossing"] == "none"
    assert attributes["traffic_signals"] is False
    assert attributes["barrier"] == "none"
    assert attributes["tactile_paving"] == "unknown"


# ---------------------------------------------------------------------------------------- edge facts


def test_fackelstrasse(mini_graph):
    for a, b in ((1, 2), (2, 3), (3, 4)):
        attributes = mini_graph.edge_attributes(edge(mini_graph, a, b))
        assert attributes["way_osm_id"] == 101
        assert attributes["name"] == "Fackelstraße"
        assert attributes["highway"] == "residential"
        assert attributes["maxspeed_kmh"] == 30.0
        assert attributes["sidewalk"] == "both"
        assert attributes["lit"] == "yes"
        assert attributes["surface"] == "asphalt"
        assert attributes["surface_class"] == "paved"
        assert attributes["lanes"] is None
        assert {attributes["u_osm_id"], attributes["v_osm_id"]} == {a, b}


def test_mainzer_strasse(mini_graph):
    attributes = mini_graph.edge_attributes(edge(mini_graph, 4, 7))
    assert attributes["way_osm_id"] == 102
    assert attributes["name"] == "Mainzer Straße"
    assert attributes["highway"] == "primary"
    assert attributes["lanes"] == 4
    assert attributes["maxspeed_kmh"] == 50.0
    assert attributes["sidewalk"] == "separate"
    assert attributes["lit"] == "unknown"


def test_steps_way_108(mini_graph):
    steps = edge(mini_graph, 19, 20)
    attributes = mini_graph.edge_attributes(steps)
    assert attributes["way_osm_id"] == 108
    assert attributes["highway"] == "steps"
    assert attributes["step_count"] == 12
    assert attributes["handrail"] == "yes"
    assert attributes["incline"] == 1
    assert attributes["surface_class"] == "paving_stones"
    assert mini_graph.step_direction(steps, node(mini_graph, 19)) == "up"
    assert mini_graph.step_direction(steps, node(mini_graph, 20)) == "down"


def test_step_direction_without_incline_is_unknown(mini_graph):
    assert mini_graph.step_direction(edge(mini_graph, 20, 21), node(mini_graph, 20)) == "unknown"


def test_edge_forward_follows_the_way_drawing_direction(mini_graph):
    # Way 107 is drawn 17 → 2 → 18 → 19; way 102 is drawn 5 → 6 → 4 → 7.
    for a, b in ((17, 2), (2, 18), (18, 19), (5, 6), (6, 4), (4, 7), (19, 20)):
        e = edge(mini_graph, a, b)
        drawn_from_u = int(mini_graph.node_osm_id[mini_graph.edge_u[e]]) == a
        assert bool(mini_graph.edge_forward[e]) == drawn_from_u, (a, b)


def test_cycleway(mini_graph):
    attributes = mini_graph.edge_attributes(edge(mini_graph, 9, 24))
    assert attributes["highway"] == "cycleway"
    assert attributes["shared_with_bicycles"] == "yes"
    assert attributes["segregated"] == "no"


def test_footways_are_not_shared_with_bicycles(mini_graph):
    assert mini_graph.edge_attributes(edge(mini_graph, 2, 18))["shared_with_bicycles"] == "no"
    assert mini_graph.edge_attributes(edge(mini_graph, 2, 18))["name"] == "Schulpfad"
    assert mini_graph.edge_attributes(edge(mini_graph, 8, 16))["name"] == ""


def test_crossing_footway_105(mini_graph):
    attributes = mini_graph.edge_attributes(edge(mini_graph, 14, 6))
    assert attributes["footway"] == "crossing"
    assert attributes["crossing"] == "traffic_signals"


def test_way_text(mini_graph):
    assert mini_graph.way_text("name", way(mini_graph, 110)) == "Schillerplatz"
    assert mini_graph.way_text("highway", way(mini_graph, 110)) == "pedestrian"
    assert mini_graph.way_text("footway", way(mini_graph, 104)) == "sidewalk"


# ------------------------------------------------------------------------------------ lengths, geometry


@pytest.mark.parametrize(("pair", "length"), EXPECTED_EDGES.items(), ids=[f"{a}-{b}" for a, b in EXPECTED_EDGES])
def test_edge_length(mini_graph, pair, length):
    e = edge(mini_graph, *pair)
    assert float(mini_graph.edge_length[e]) == pytest.approx(length, rel=0.005)
    assert mini_graph.edge_attributes(e)["length_m"] == pytest.approx(length, rel=0.005)


def test_total_length(mini_graph):
    assert float(mini_graph.edge_length.sum()) == pytest.approx(1162.5, rel=0.005)
    assert mini_graph.stats()["length_km"] == 1.2


def test_edge_geometry_runs_from_u_to_v(mini_graph):
    for e in range(mini_graph.edge_count):
        points = mini_graph.edge_latlon(e)
        u, v = int(mini_graph.edge_u[e]), int(mini_graph.edge_v[e])
        assert len(points) >= 2
        assert points[0] == (mini_graph.node_lat[u], mini_graph.node_lon[u])
        assert points[-1] == (mini_graph.node_lat[v], mini_graph.node_lon[v])
        ids = mini_graph.geom_osm_id[mini_graph.geom_offsets[e] : mini_graph.geom_offsets[e + 1]]
        assert ids[0] == mini_graph.node_osm_id[u] and ids[-1] == mini_graph.node_osm_id[v]


def test_edge_length_is_the_sum_of_its_segments(mini_graph):
    for e in range(mini_graph.edge_count):
        start, end = mini_graph.geom_offsets[e], mini_graph.geom_offsets[e + 1]
        segments = np.hypot(np.diff(mini_graph.geom_x[start:end]), np.diff(mini_graph.geom_y[start:end]))
        assert float(mini_graph.edge_length[e]) == pytest.approx(segments.sum(), abs=1e-3)


def test_merged_edges_keep_their_interior_nodes(mini_graph):
    sidewalk = edge(mini_graph, 11, 13)
    ids = mini_graph.geom_osm_id[mini_graph.geom_offsets[sidewalk] : mini_graph.geom_offsets[sidewalk + 1]].tolist()
    assert ids in ([11, 12, 13], [13, 12, 11])
    assert len(mini_graph.edge_latlon(sidewalk)) == 3
    assert mini_graph.edge_latlon(sidewalk)[1] == (pytest.approx(49.4441799), pytest.approx(7.7700789))
    square = edge(mini_graph, 1, 23)
    ids = mini_graph.geom_osm_id[mini_graph.geom_offsets[square] : mini_graph.geom_offsets[square + 1]].tolist()
    assert ids in ([1, 22, 23], [23, 22, 1])


def test_metric_coordinates_are_utm_32(mini_graph):
    assert mini_graph.meta["crs"] == "EPSG:32632"
    n1, n4 = node(mini_graph, 1), node(mini_graph, 4)
    # Nodes 1 and 4 lie on one parallel, 200 m apart (UTM grid north is turned by about 1° here, so y differs).
    distance = math.hypot(mini_graph.node_x[n4] - mini_graph.node_x[n1], mini_graph.node_y[n4] - mini_graph.node_y[n1])
    assert distance == pytest.approx(200.0, rel=0.005)
    assert 395_000 < mini_graph.node_x[n1] < 420_000 and 5_470_000 < mini_graph.node_y[n1] < 5_485_000


# ------------------------------------------------------------------------------------------- adjacency


def test_adjacency(mini_graph):
    at_8 = mini_graph.edges_at(node(mini_graph, 8))
    assert sorted(int(mini_graph.node_osm_id[mini_graph.other_end(e, node(mini_graph, 8))]) for e in at_8) == [
        3, 9, 15, 16,
    ]
    dead_ends = {int(mini_graph.node_osm_id[n]) for n in range(mini_graph.node_count)
                 if len(mini_graph.edges_at(n)) == 1}
    assert dead_ends == {5, 7, 10, 13, 14, 15, 16, 17, 21, 23, 24}


def test_roads_at(mini_graph):
    assert sorted(int(mini_graph.way_osm_id[w]) for w in mini_graph.roads_at(node(mini_graph, 4))) == [101, 102]
    assert sorted(int(mini_graph.way_osm_id[w]) for w in mini_graph.roads_at(node(mini_graph, 3))) == [101, 103]
    assert mini_graph.roads_at(node(mini_graph, 11)) == []


# ------------------------------------------------------------------------------------------- crossings

FACKELSTRASSE = Street("Fackelstraße", "residential", None, 30.0, (101,))
ROSENWEG = Street("Rosenweg", "residential", None, None, (103,))
MAINZER_STRASSE = Street("Mainzer Straße", "primary", 4, 50.0, (102,))


def crossed(g: WalkGraph, at: int, came_from: int | None, going_to: int | None) -> list[Street]:
    """Streets crossed at OSM node `at` arriving from OSM node `came_from` and leaving towards `going_to`."""
    in_edge = edge(g, came_from, at) if came_from is not None else None
    out_edge = edge(g, at, going_to) if going_to is not None else None
    return g.crossed_streets(node(g, at), in_edge, out_edge)


def test_along_fackelstrasse_through_node_3_crosses_rosenweg(mini_graph):
    assert crossed(mini_graph, 3, 2, 4) == [ROSENWEG]
    assert crossed(mini_graph, 3, 4, 2) == [ROSENWEG]


def test_along_mainzer_strasse_through_node_4_crosses_fackelstrasse(mini_graph):
    assert crossed(mini_graph, 4, 6, 7) == [FACKELSTRASSE]


def test_turning_from_fackelstrasse_into_mainzer_strasse_crosses_nothing(mini_graph):
    assert crossed(mini_graph, 4, 3, 7) == []
    assert crossed(mini_graph, 4, 3, 6) == []


def test_schulpfad_through_node_2_crosses_fackelstrasse_without_a_crossing_node(mini_graph):
    assert crossed(mini_graph, 2, 17, 18) == [FACKELSTRASSE]
    assert crossed(mini_graph, 2, 18, 17) == [FACKELSTRASSE]
    assert mini_graph.node_attributes(node(mini_graph, 2))["crossing"] == "none"
    assert mini_graph.node_osm_id[mini_graph.unmapped_crossing_nodes()].tolist() == [2]


def test_turning_from_schulpfad_into_fackelstrasse_crosses_nothing(mini_graph):
    assert crossed(mini_graph, 2, 17, 1) == []
    assert crossed(mini_graph, 2, 18, 3) == []


def test_along_fackelstrasse_past_schulpfad_crosses_nothing(mini_graph):
    assert crossed(mini_graph, 2, 1, 3) == []


def test_footway_through_node_6_crosses_mainzer_strasse(mini_graph):
    streets = crossed(mini_graph, 6, 14, 11)
    assert streets == [MAINZER_STRASSE]
    assert streets[0].lanes == 4
    assert streets[0].maxspeed_kmh == 50.0


def test_footway_106_through_node_8_crosses_rosenweg(mini_graph):
    assert crossed(mini_graph, 8, 15, 16) == [ROSENWEG]


def test_walking_along_rosenweg_through_its_crossing_crosses_nothing(mini_graph):
    assert crossed(mini_graph, 8, 3, 9) == []


def test_unnamed_roads_are_told_apart_by_way_id(mini_graph):
    assert mini_graph.street_key(way(mini_graph, 106)) == "way:106"
    assert mini_graph.street_key(way(mini_graph, 101)) == "Fackelstraße"


# ------------------------------------------------------------------------------------------------ stats


def test_stats(mini_graph):
    stats = mini_graph.stats()
    assert {key: stats[key] for key in stats if key != "tagged_attributes"} == {
        "nodes": 22,
        "edges": 21,
        "ways": 11,
        "landmarks": 2,  # bus stop 25 beside Fackelstraße, entrance 44 on the building far from any way
        "landmarks_near_ways": 1,
        "addresses": 0,
        "length_km": 1.2,
        "crossings_mapped": 2,
        "crossings_unmapped": 1,
        "traffic_signal_nodes": 1,
        "steps_ways": 1,
        "steps_edges": 1,
    }
    tagged = stats["tagged_attributes"]
    assert tagged["node.crossing"] == 2
    assert tagged["node.tactile_paving"] == 2  # nodes 6 and 14
    assert tagged["node.kerb"] == 1
    assert tagged["node.kerb_height_m"] == 1
    assert tagged["node.barrier"] == 1
    assert tagged["node.acoustic_signal"] == 1
    assert tagged["way.step_count"] == 1
    assert tagged["way.handrail"] == 1
    assert tagged["way.incline"] == 1
    assert tagged["way.lanes"] == 1
    assert tagged["way.maxspeed_kmh"] == 2
    assert tagged["way.sidewalk"] == 2
    assert tagged["way.lit"] == 1
    assert tagged["way.surface"] == 3
    assert "node.elevator" not in tagged  # nothing mapped, so not listed
    assert all(count > 0 for count in tagged.values())


def test_meta(mini_graph):
    assert mini_graph.meta["graph_version"] == settings.GRAPH_VERSION
    assert mini_graph.meta["source"].endswith("mini.osm")
    assert len(mini_graph.meta["source_hash"]) == 64
    assert math.isfinite(mini_graph.meta["build_seconds"])


def test_landmarks_are_kept_and_placed_on_the_nearest_way(mini_graph):
    bus_stop = int(np.flatnonzero(mini_graph.landmark_osm_id == 25)[0])
    assert mini_graph.texts["landmark_kind"][mini_graph.landmark_kind[bus_stop]] == "bus_stop"
    assert mini_graph.texts["landmark_name"][mini_graph.landmark_name[bus_stop]] == "Rathaus"
    edge = int(mini_graph.landmark_edge[bus_stop])
    assert mini_graph.way_text("name", int(mini_graph.edge_way[edge])) == "Fackelstraße"
    entrance = int(np.flatnonzero(mini_graph.landmark_osm_id == 44)[0])
    assert mini_graph.landmark_edge[entrance] == -1  # more than 30 m from every walkable way
