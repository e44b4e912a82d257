"""The streaming reader (routing.osm_import.read_osm_file, pyosmium) against osmnx's reading and simplification of
the same file, on the real extracts; PBF, bz2 and plain XML give the same graph; edge cases of the cutting."""

from __future__ import annotations

import bz2
import gzip
import math
from pathlib import Path

import numpy as np
import osmium
import pytest

from routing.graph import WalkGraph, build_walk_graph, compact_walk_graph
from routing.osm_import import (
    COUNT_EVERY,
    addresses,
    closed_roads,
    configure_osmnx,
    landmarks,
    outlines,
    read_osm_file,
    walkable_graph,
)
from routing.spatial import place_landmarks
from tests.conftest import CITY_OSM, SHARED_OSM

CENTRE_OSM = SHARED_OSM / "kaiserslautern_cc.osm.gz"


def streamed(path: Path) -> WalkGraph:
    network, found_landmarks, found_addresses, closed = read_osm_file(path)
    graph = compact_walk_graph(network, found_landmarks, found_addresses, {}, closed)
    place_landmarks(graph)
    return graph


def through_osmnx(path: Path) -> WalkGraph:
    """The graph as osmnx reads and simplifies the file (the reading Lotse used before pyosmium)."""
    import osmnx as ox

    configure_osmnx()
    raw = ox.graph_from_xml(path, bidirectional=True, simplify=False, retain_all=True)
    ways = outlines(raw)
    graph = build_walk_graph(walkable_graph(raw), landmarks(raw, ways), addresses(raw, ways), {}, closed_roads(raw))
    place_landmarks(graph)
    return graph


def edge_key(g: WalkGraph, edge: int) -> tuple:
    """An edge independent of its index and stored direction: its way and its OSM nodes, the lower-id end first,
    and whether that direction follows the way's drawing."""
    nodes = tuple(g.geom_osm_id[g.geom_offsets[edge]:g.geom_offsets[edge + 1]].tolist())
    forward = bool(g.edge_forward[edge])
    if nodes[::-1] < nodes:
        nodes, forward = nodes[::-1], not forward
    return int(g.way_osm_id[g.edge_way[edge]]), nodes, forward


def edges(g: WalkGraph) -> list[tuple]:
    return sorted((*edge_key(g, e), round(float(g.edge_length[e]), 2)) for e in range(g.edge_count))


def placed_landmarks(g: WalkGraph) -> list[tuple]:
    """Landmarks with the nodes of the edge they are placed on (two ways drawn over the same nodes are equally
    near, and which one a landmark is placed on depends on the edges' order)."""
    found = []
    for i in range(len(g.landmark_osm_id)):
        edge = int(g.landmark_edge[i])
        found.append((int(g.landmark_osm_id[i]), g.texts["landmark_kind"][g.landmark_kind[i]],
                      g.texts["landmark_name"][g.landmark_name[i]], edge_key(g, edge)[1] if edge >= 0 else None,
                      float(g.landmark_lat[i]), float(g.landmark_lon[i])))
    return sorted(found)


def address_book(g: WalkGraph) -> list[tuple]:
    return sorted((g.texts["address_street"][g.address_street[i]], g.texts["address_number"][g.address_number[i]],
                   float(g.address_lat[i]), float(g.address_lon[i])) for i in range(len(g.address_lat)))


def assert_same_places(mine: list[tuple], reference: list[tuple]) -> None:
    """Same items, the last two fields (lat, lon) equal up to rounding (an outline's centre is a mean of floats)."""
    assert [item[:-2] for item in mine] == [item[:-2] for item in reference]
    np.testing.assert_allclose([item[-2:] for item in mine], [item[-2:] for item in reference], rtol=0, atol=1e-9)


def assert_same_graph(mine: WalkGraph, reference: WalkGraph) -> None:
    np.testing.assert_array_equal(mine.node_osm_id, reference.node_osm_id)
    np.testing.assert_array_equal(mine.node_lat, reference.node_lat)
    np.testing.assert_array_equal(mine.node_lon, reference.node_lon)
    for name, values in reference.node_columns.items():
        np.testing.assert_array_equal(mine.node_columns[name], values, err_msg=name)
    assert edges(mine) == edges(reference)
    ways = {int(osm_id): mine.way_attributes(i) for i, osm_id in enumerate(mine.way_osm_id)}
    reference_ways = {int(osm_id): reference.way_attributes(i) for i, osm_id in enumerate(reference.way_osm_id)}
    assert _nan_free(ways) == _nan_free(reference_ways)
    assert_same_places(placed_landmarks(mine), placed_landmarks(reference))
    assert_same_places(address_book(mine), address_book(reference))
    assert closed_crossings(mine) == closed_crossings(reference)
    assert mine.stats() == reference.stats()


def closed_crossings(g: WalkGraph) -> list[tuple]:
    """The closed roads met, by node OSM id: road id, name, highway."""
    return sorted((int(g.node_osm_id[g.closed_node[i]]), int(g.closed_osm_id[i]),
                   g.texts["closed_name"][g.closed_name[i]], g.texts["closed_highway"][g.closed_highway[i]])
                  for i in range(len(g.closed_node)))


def _nan_free(ways: dict[int, dict]) -> dict[int, dict]:
    """Way attributes with NaN (unknown numbers, which never compare equal) spelled out."""
    return {osm_id: {k: "NaN" if isinstance(v, float) and math.isnan(v) else v for k, v in attrs.items()}
            for osm_id, attrs in ways.items()}


@pytest.fixture(scope="module")
def centre_streamed() -> WalkGraph:
    return streamed(CENTRE_OSM)


@pytest.mark.parametrize("path", [CENTRE_OSM, CITY_OSM], ids=["centre", "city"])
def test_streaming_reader_builds_the_graph_osmnx_builds(path):
    assert_same_graph(streamed(path), through_osmnx(path))


def as_pbf(source: Path, target: Path) -> Path:
    with osmium.SimpleWriter(str(target)) as writer:
        for item in osmium.FileProcessor(str(source)):
            writer.add(item)
    return target


@pytest.mark.parametrize("form", ["pbf", "bz2", "plain"])
def test_pbf_bz2_and_plain_xml_give_the_same_graph(tmp_path, centre_streamed, form):
    if form == "pbf":
        path = as_pbf(CENTRE_OSM, tmp_path / "centre.osm.pbf")
    elif form == "bz2":
        path = tmp_path / "centre.osm.bz2"
        path.write_bytes(bz2.compress(gzip.decompress(CENTRE_OSM.read_bytes())))
    else:
        path = tmp_path / "centre.osm"
        path.write_bytes(gzip.decompress(CENTRE_OSM.read_bytes()))
    assert_same_graph(streamed(path), centre_streamed)


def test_counts_report_ways_nodes_and_edges_while_reading():
    heard: list[tuple[str, int]] = []
    network, _, _, _ = read_osm_file(CITY_OSM, lambda what, count: heard.append((what, count)))
    ways = [count for what, count in heard if what == "ways"]
    nodes = [count for what, count in heard if what == "nodes"]
    assert [what for what, _ in heard] == ["ways"] * len(ways) + ["nodes"] * len(nodes) + ["edges"]
    # The city has 21,706 ways and 98,828 nodes: a report every COUNT_EVERY of them, and the total at the end.
    assert ways == [*range(COUNT_EVERY, 21_706, COUNT_EVERY), 21_706]
    assert nodes == [*range(COUNT_EVERY, 98_828, COUNT_EVERY), 98_828]
    assert heard[-1] == ("edges", len(network.edge_u)) == ("edges", 11_442)


def write_osm(tmp_path: Path, nodes: dict[int, tuple[float, float] | tuple[float, float, dict]],
              ways: dict[int, tuple[list[int], dict[str, str]]]) -> Path:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for osm_id, (lat, lon, *tags) in nodes.items():
        tag_xml = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in (tags[0] if tags else {}).items())
        lines.append(f'<node id="{osm_id}" version="1" lat="{lat}" lon="{lon}">{tag_xml}</node>')
    for osm_id, (refs, tags) in ways.items():
        body = "".join(f'<nd ref="{ref}"/>' for ref in refs) + "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
        lines.append(f'<way id="{osm_id}" version="1">{body}</way>')
    path = tmp_path / "hand.osm"
    path.write_text("\n".join(lines + ["</osm>"]), encoding="utf-8")
    return path


SQUARE = {1: (49.4430, 7.7670), 2: (49.4430, 7.7680), 3: (49.4436, 7.7680), 4: (49.4436, 7.7670),
          5: (49.4440, 7.7690), 6: (49.4445, 7.7695)}
FOOTWAY = {"highway": "footway"}


def test_rings_touching_nothing_are_dropped_and_those_touching_a_way_become_a_loop(tmp_path):
    alone = write_osm(tmp_path, SQUARE, {10: ([1, 2, 3, 4, 1], FOOTWAY), 11: ([5, 6], FOOTWAY)})
    g = streamed(alone)
    assert g.way_osm_id.tolist() == [11]
    touching = write_osm(tmp_path, SQUARE, {10: ([1, 2, 3, 4, 1], FOOTWAY), 11: ([3, 5, 6], FOOTWAY)})
    g = streamed(touching)
    assert edges(g) == edges(through_osmnx(touching))
    loop = [e for e in range(g.edge_count) if g.edge_u[e] == g.edge_v[e]]
    assert len(loop) == 1
    assert g.geom_osm_id[g.geom_offsets[loop[0]]:g.geom_offsets[loop[0] + 1]].tolist() == [3, 4, 1, 2, 3]


def test_a_node_missing_from_the_file_cuts_its_way_instead_of_joining_its_neighbours(tmp_path):
    path = write_osm(tmp_path, {i: SQUARE[i] for i in (1, 2, 4)}, {10: ([1, 2, 3, 4], FOOTWAY)})
    g = streamed(path)
    assert g.node_osm_id.tolist() == [1, 2]
    assert edges(g) == [(10, (1, 2), True, pytest.approx(72.5, abs=0.1))]


def test_tagged_nodes_stay_graph_nodes_and_repeated_nodes_are_read_once(tmp_path):
    nodes = {**SQUARE, 2: (49.4430, 7.7680, {"kerb": "lowered"})}
    path = write_osm(tmp_path, nodes, {10: ([1, 1, 2, 3, 3, 4], FOOTWAY)})
    g = streamed(path)
    assert g.node_osm_id.tolist() == [1, 2, 4]
    assert edges(g) == edges(through_osmnx(path))
    assert [key[1] for key in edges(g)] == [(1, 2), (2, 3, 4)]
