"""Read OpenStreetMap data and keep what a pedestrian may walk on.

Map files (OSM XML, plain or compressed, and PBF) are streamed with pyosmium: first the ways, keeping the walkable
ones and the outlines that name a landmark or carry an address; then the nodes, keeping only those the kept ways
use and the tagged ones (landmarks, addresses); then the ways once more for the segments other ways draw between
walk nodes, which decide the order of the edges. Memory grows with the walkable part of the file, not with the
whole file. The result, a `routing.graph.WalkNetwork`, has the nodes, edges (in the same order) and tags that
osmnx's reading and simplification give (`walkable_graph`), which stays for downloads of a named place
(`graph_from_place`). osmnx and its pandas/geopandas stack are imported only there, so the server, which loads a
cached graph, never pays for them.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import groupby, pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from routing import settings
from routing.errors import OsmInputError
from routing.tags import METRES_PER_DEGREE

if TYPE_CHECKING:
    import networkx as nx

    from routing.graph import ClosedRoads, WalkNetwork

# File name endings of the map files read, and the pyosmium format of each.
FILE_FORMATS = {
    ".osm": "osm", ".xml": "osm", ".osm.gz": "osm.gz", ".xml.gz": "osm.gz", ".osm.bz2": "osm.bz2",
    ".xml.bz2": "osm.bz2", ".pbf": "pbf",
}
# How often (in elements read) the reader reports its counts.
COUNT_EVERY = 10_000
# When osmnx added a way's segment: (way's place in the file) * 2 * SEGMENT_SLOTS, plus SEGMENT_SLOTS for the
# pass against the way's drawing, plus the segment's place in the way (OSM ways have at most 2,000 nodes).
SEGMENT_SLOTS = 1 << 20

# Told what is being counted ("ways", "nodes", then "edges" built) and how many so far.
Counts = Callable[[str, int], None]

_WAY_TAG_KEYS = frozenset(settings.WAY_TAGS)
_NODE_TAG_KEYS = frozenset(settings.NODE_TAGS)
_JUNCTION_TAG_KEYS = frozenset(settings.NODE_TAGS_KEPT_AS_JUNCTIONS)


def configure_osmnx() -> None:
    """Make osmnx keep the tags of `settings.NODE_TAGS` and `settings.WAY_TAGS`, and keep quiet."""
    import osmnx as ox

    ox.settings.useful_tags_node = list(settings.NODE_TAGS)
    ox.settings.useful_tags_way = list(settings.WAY_TAGS)
    ox.settings.log_console = False


def is_walkable_way(tags: dict[str, str]) -> bool:
    """Whether a pedestrian may use a way with these tags (rules and value sets in `routing.settings`)."""
    highway = tags.get("highway")
    foot = tags.get("foot")
    if highway not in settings.WALKABLE_HIGHWAYS or foot in settings.NO_ACCESS_VALUES or tags.get("motorroad") == "yes":
        return False
    if highway in settings.FOOT_PERMISSION_REQUIRED and foot not in settings.FOOT_ALLOWED_VALUES:
        return False
    if tags.get("access") in settings.NO_ACCESS_VALUES and foot not in settings.FOOT_ALLOWED_VALUES:
        return False
    return not (tags.get("area") == "yes" and highway not in settings.WALKABLE_AREA_HIGHWAYS)


def check_osm_path(path: str | Path) -> Path:
    """Return `path` as a Path if it names a readable OSM file (XML or PBF), else raise OsmInputError saying what is
    wrong."""
    path = Path(path)
    if not path.is_file():
        raise OsmInputError(f"Map file not found: {path}")
    if _file_format(path) is None:
        raise OsmInputError(f"{path.name} is not an OSM file (expected .osm, .osm.gz, .osm.bz2 or .osm.pbf)")
    return path


def _file_format(path: Path) -> str | None:
    name = path.name.lower()
    return next((kind for suffix, kind in FILE_FORMATS.items() if name.endswith(suffix)), None)


# ------------------------------------------------------------------------------------------- streaming read
@dataclass
class _Ways:
    """Ways kept by the first pass, in file order: ids, places in the file, tags, node references (flat, with
    offsets)."""

    osm_id: list[int] = field(default_factory=list)
    position: list[int] = field(default_factory=list)
    tags: list[dict[str, str]] = field(default_factory=list)
    offsets: array = field(default_factory=lambda: array("q", [0]))
    refs: array = field(default_factory=lambda: array("q"))

    def add(self, osm_id: int, position: int, tags: dict[str, str], refs: list[int]) -> None:
        self.osm_id.append(osm_id)
        self.position.append(position)
        self.tags.append(tags)
        self.refs.extend(refs)
        self.offsets.append(len(self.refs))


@dataclass
class _Nodes:
    """What the second pass keeps: the needed nodes' locations (in file order) and tags, landmarks, addresses."""

    osm_id: array = field(default_factory=lambda: array("q"))
    lon: array = field(default_factory=lambda: array("d"))
    lat: array = field(default_factory=lambda: array("d"))
    tags: dict[int, dict[str, str]] = field(default_factory=dict)  # needed nodes with a tag of settings.NODE_TAGS
    landmarks: list[dict[str, Any]] = field(default_factory=list)
    addresses: list[dict[str, Any]] = field(default_factory=list)


def _names_a_landmark(tags: dict[str, str]) -> bool:
    """Whether an outline (a way nobody walks on) is a named landmark."""
    kind = landmark_kind(tags)
    return kind is not None and kind != "entrance" and bool(tags.get("name"))


def _has_address(tags: dict[str, str]) -> bool:
    return bool(tags.get("addr:street") and tags.get("addr:housenumber"))


def _stream(path: Path, entity: Any) -> Iterator[Any]:
    """The objects of one kind (osmium.osm.NODE, WAY) in an OSM file, pyosmium's read errors as OsmInputError."""
    import osmium

    try:
        yield from osmium.FileProcessor(osmium.io.File(str(path), _file_format(path)), entity)
    except RuntimeError as exc:
        raise _read_error(path, exc) from exc


def _read_error(path: Path, exc: RuntimeError) -> OsmInputError:
    """What is wrong with a file pyosmium could not read, in plain words."""
    message = str(exc)
    if message.startswith("XML"):
        return OsmInputError(f"{path.name} is not valid OSM XML ({message})")
    if _file_format(path) == "pbf":
        return OsmInputError(f"{path.name} is not a valid OSM PBF file, or it is damaged ({message})")
    return OsmInputError(f"{path.name} cannot be read, it may be truncated or damaged ({message})")


def merge_osm_files(paths: Iterable[str | Path], target: Path) -> Path:
    """Write several OSM files as one PBF at `target`, each node and way once and all in id order, so a way drawn
    across two extracts' border is one way and the towns connect where their ways do.

    pyosmium merges in memory: the files' objects are held (compactly, as libosmium buffers) while they are written.
    """
    import osmium

    reader = osmium.MergeInputReader()
    for path in map(check_osm_path, paths):
        try:
            reader.add_buffer(path.read_bytes(), _file_format(path))
        except RuntimeError as exc:
            raise _read_error(path, exc) from exc
    with osmium.SimpleWriter(str(target), overwrite=True) as writer:
        reader.apply(writer)
    return target


def _read_ways(path: Path, counts: Counts) -> tuple[_Ways, _Ways, _Ways, int]:
    """First pass: the walkable ways, the roads closed to walkers (`is_closed_road`) and the outlines worth keeping,
    each with its node references without repeats in a row (as osmnx reads them); and how many ways the file has."""
    import osmium

    walkable, closed, outlines = _Ways(), _Ways(), _Ways()
    read = 0
    for read, way in enumerate(_stream(path, osmium.osm.WAY), 1):
        if read % COUNT_EVERY == 0:
            counts("ways", read)
        tags = {tag.k: tag.v for tag in way.tags if tag.k in _WAY_TAG_KEYS}
        if is_walkable_way(tags):
            kept = walkable
        elif is_closed_road(tags):
            kept = closed
        elif _names_a_landmark(tags) or _has_address(tags):
            kept = outlines
        else:
            continue
        refs = [ref for ref, _ in groupby(node.ref for node in way.nodes)]
        if len(refs) >= 2:
            kept.add(way.id, read - 1, tags, refs)
    counts("ways", read)
    return walkable, closed, outlines, read


def _other_segments(path: Path, walkable: _Ways, walk_nodes: set[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Third pass, over the ways again: when osmnx added each segment between two walk nodes of the other ways (a
    building drawn over a footway's nodes, say) and its ends. osmnx lists a node's neighbours in the order their
    first segment was added, whatever the way, and the graph keeps osmnx's order of edges."""
    import osmium

    walkable_positions = set(walkable.position)
    added, a, b = array("q"), array("q"), array("q")
    for position, way in enumerate(_stream(path, osmium.osm.WAY)):
        if position in walkable_positions:
            continue
        refs = [ref for ref, _ in groupby(node.ref for node in way.nodes)]
        for segment, (start, end) in enumerate(pairwise(refs)):
            if start in walk_nodes and end in walk_nodes:
                added.append(position * 2 * SEGMENT_SLOTS + segment)
                a.append(start)
                b.append(end)
    return np.array(added, dtype=np.int64), np.array(a, dtype=np.int64), np.array(b, dtype=np.int64)


def _read_nodes(path: Path, needed: set[int], counts: Counts) -> tuple[_Nodes, int]:
    """Second pass: locations and tags of the needed nodes, and the landmark and address nodes of the whole file;
    and how many nodes the file has."""
    import osmium

    nodes = _Nodes()
    read = 0
    for read, node in enumerate(_stream(path, osmium.osm.NODE), 1):
        if read % COUNT_EVERY == 0:
            counts("nodes", read)
        osm_id = node.id
        is_needed = osm_id in needed
        if is_needed:
            location = node.location
            nodes.osm_id.append(osm_id)
            nodes.lon.append(location.lon)
            nodes.lat.append(location.lat)
        if not node.tags:
            continue
        tags = {tag.k: tag.v for tag in node.tags if tag.k in _NODE_TAG_KEYS}
        if not tags:
            continue
        if is_needed:
            nodes.tags[osm_id] = tags
        kind = landmark_kind(tags)
        if kind is not None or _has_address(tags):
            location = node.location
            lat, lon = location.lat, location.lon
            if kind is not None:
                nodes.landmarks.append({"osm_id": osm_id, "kind": kind, "name": tags.get("name", ""),
                                        "lat": lat, "lon": lon})
            if _has_address(tags):
                nodes.addresses.append({"street": tags["addr:street"], "number": tags["addr:housenumber"],
                                        "lat": lat, "lon": lon})
    counts("nodes", read)
    return nodes, read


class _Locations:
    """The needed nodes sorted by OSM id, for looking up node references."""

    def __init__(self, nodes: _Nodes) -> None:
        ids = np.array(nodes.osm_id, dtype=np.int64)
        self.file_position = np.argsort(ids, kind="stable")
        self.ids = ids[self.file_position]
        self.lon = np.array(nodes.lon, dtype=np.float64)[self.file_position]
        self.lat = np.array(nodes.lat, dtype=np.float64)[self.file_position]

    def find(self, refs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each reference's place in the sorted nodes, and whether the file has that node at all."""
        if not len(self.ids):
            return np.zeros(len(refs), dtype=np.int64), np.zeros(len(refs), dtype=bool)
        place = np.minimum(np.searchsorted(self.ids, refs), len(self.ids) - 1)
        return place, self.ids[place] == refs


def _outline_centres(outlines: _Ways, locations: _Locations) -> list[tuple[int, dict[str, str], float, float]]:
    """OSM id, tags and centre (the mean of its distinct nodes) of each outline that has nodes in the file.

    Ordered as osmnx meets them, by the earliest of their nodes in the file, then in file order: the order decides
    which of two outlines with the same address is kept.
    """
    refs = np.array(outlines.refs, dtype=np.int64)
    offsets = np.array(outlines.offsets, dtype=np.int64)
    found = []
    for way in range(len(outlines.osm_id)):
        place, known = locations.find(np.unique(refs[offsets[way]:offsets[way + 1]]))
        place = place[known]
        if len(place):
            found.append((int(locations.file_position[place].min()), way, float(locations.lat[place].mean()),
                          float(locations.lon[place].mean())))
    found.sort()
    return [(outlines.osm_id[way], outlines.tags[way], lat, lon) for _, way, lat, lon in found]


def read_osm_file(path: str | Path, counts: Counts | None = None
                  ) -> tuple[WalkNetwork, list[dict[str, Any]], list[dict[str, Any]], ClosedRoads]:
    """Stream an OSM file (.osm, .osm.gz, .osm.bz2, .osm.pbf) into its walk network, landmarks, addresses (each
    address once) and the closed roads it meets, reporting to `counts` how many ways and nodes have been read and
    edges built."""
    path = check_osm_path(path)
    report = counts or (lambda what, count: None)
    walkable, closed_ways, outlines, way_count = _read_ways(path, report)
    walk_nodes = set(walkable.refs)
    closed = _closed_roads_met(closed_ways, walk_nodes)
    nodes, node_count = _read_nodes(path, walk_nodes.union(outlines.refs), report)
    other_segments = _other_segments(path, walkable, walk_nodes)
    del walk_nodes
    if not node_count and not way_count:
        raise OsmInputError(f"{path.name} contains no OSM nodes or ways")
    locations = _Locations(nodes)
    landmarks = nodes.landmarks
    addresses: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for address in nodes.addresses:
        _add_address(addresses, address)
    for osm_id, tags, lat, lon in _outline_centres(outlines, locations):
        if _names_a_landmark(tags):
            landmarks.append({"osm_id": osm_id, "kind": landmark_kind(tags), "name": tags["name"],
                              "lat": lat, "lon": lon})
        if _has_address(tags):
            street, number = tags["addr:street"], tags["addr:housenumber"]
            _add_address(addresses, {"street": street, "number": number, "lat": lat, "lon": lon})
    network = _walk_network(walkable, locations, nodes.tags, other_segments, set(closed))
    report("edges", len(network.edge_u))
    return network, landmarks, [address for same in addresses.values() for address in same], closed


def _add_address(addresses: dict[tuple[str, str], list[dict[str, Any]]], address: dict[str, Any]) -> None:
    """Keep an address unless one of the same street and number lies within settings.ADDRESS_SAME_PLACE_M."""
    same = addresses.setdefault((address["street"], address["number"]), [])
    lat, lon = address["lat"], address["lon"]
    for kept in same:
        north = (kept["lat"] - lat) * METRES_PER_DEGREE
        east = (kept["lon"] - lon) * METRES_PER_DEGREE * math.cos(math.radians(lat))
        if math.hypot(north, east) <= settings.ADDRESS_SAME_PLACE_M:
            return
    same.append(address)


def _closed_roads_met(closed: _Ways, walk_nodes: set[int]) -> ClosedRoads:
    """For each walk node on a closed road, the closed roads there (as `closed_roads` finds them in osmnx's graph)."""
    met: dict[int, dict[int, dict[str, Any]]] = {}
    for way, osm_id in enumerate(closed.osm_id):
        tags = closed.tags[way]
        road = {"osm_id": osm_id, "name": tags.get("name", ""), "highway": tags["highway"]}
        for ref in closed.refs[closed.offsets[way]:closed.offsets[way + 1]]:
            if ref in walk_nodes:
                met.setdefault(ref, {})[osm_id] = road
    return {node: list(roads.values()) for node, roads in met.items()}


def _walk_network(ways: _Ways, locations: _Locations, node_tags: dict[int, dict[str, str]],
                  other_segments: tuple[np.ndarray, np.ndarray, np.ndarray], crossed: set[int]) -> WalkNetwork:
    """Cut the walkable ways into edges between graph nodes, as osmnx's `simplify_graph` merges them.

    A node is a graph node (an endpoint) where ways meet, where a way ends or passes it twice, where it does not
    have two distinct neighbours, where it carries a tag of `settings.NODE_TAGS_KEPT_AS_JUNCTIONS`, or where a closed
    road is `crossed`. A closed way
    touching nothing has no endpoint and is dropped (osmnx removes such rings). A node the file lacks cuts its way.
    """
    from routing.graph import WalkNetwork

    refs = np.array(ways.refs, dtype=np.int64)
    offsets = np.array(ways.offsets, dtype=np.int64)
    ref_way = np.repeat(np.arange(len(ways.osm_id)), np.diff(offsets))
    ref_added = np.array(ways.position, dtype=np.int64)[ref_way] * 2 * SEGMENT_SLOTS + np.arange(len(refs)) - \
        offsets[ref_way]  # when osmnx added the segment that starts at this node
    ref_place, known = locations.find(refs)
    piece_start = np.zeros(len(refs), dtype=bool)
    piece_start[offsets[:-1]] = True
    piece_start[1:] |= ~known[:-1]
    ref_place, ref_way, ref_added, piece_start = ref_place[known], ref_way[known], ref_added[known], piece_start[known]

    # Segments are consecutive nodes of one piece; per node, count them and their ways and neighbours.
    joined = ~piece_start[1:]
    seg_a, seg_b, seg_way = ref_place[:-1][joined], ref_place[1:][joined], ref_way[:-1][joined]
    other_added, other_a, other_b = other_segments
    raw_added = np.concatenate([ref_added[:-1][joined], other_added])
    raw_a = np.concatenate([seg_a, locations.find(other_a)[0]])
    raw_b = np.concatenate([seg_b, locations.find(other_b)[0]])
    size = len(locations.ids)
    ends, neighbours = np.concatenate([seg_a, seg_b]), np.concatenate([seg_b, seg_a])
    end_ways = np.concatenate([seg_way, seg_way])
    segments = np.bincount(ends, minlength=size)
    way_low, way_high = np.full(size, len(ways.osm_id)), np.full(size, -1)
    np.minimum.at(way_low, ends, end_ways)
    np.maximum.at(way_high, ends, end_ways)
    neighbour_low, neighbour_high = np.full(size, size), np.full(size, -1)
    np.minimum.at(neighbour_low, ends, neighbours)
    np.maximum.at(neighbour_high, ends, neighbours)
    endpoint = (segments != 2) | (way_low != way_high) | (neighbour_low == neighbour_high)
    tagged = [osm_id for osm_id, tags in node_tags.items() if not _JUNCTION_TAG_KEYS.isdisjoint(tags)]
    junctions, known_junction = locations.find(np.array(tagged + sorted(crossed), dtype=np.int64))
    endpoint[junctions[known_junction]] = True
    endpoint &= segments > 0

    # Pieces of one node have no segment; an open piece ends at endpoints (it may have been cut at a missing node).
    in_segment = segments[ref_place] > 0
    ref_place, ref_way, piece_start = ref_place[in_segment], ref_way[in_segment], piece_start[in_segment]
    starts = np.flatnonzero(piece_start)
    stops = np.append(starts[1:], len(ref_place))[:len(starts)]
    open_piece = ref_place[starts] != ref_place[stops - 1]
    endpoint[ref_place[starts[open_piece]]] = True
    endpoint[ref_place[stops[open_piece] - 1]] = True
    sequence, sequence_way, sequence_start = _pieces_from_endpoints(ref_place, ref_way, starts, stops, endpoint)

    # An edge runs from each endpoint to the next one of the same piece; it is stored from its lower node index.
    at_end = np.flatnonzero(endpoint[sequence])
    piece = np.cumsum(sequence_start)
    same_piece = piece[at_end[1:]] == piece[at_end[:-1]]
    first, last = at_end[:-1][same_piece], at_end[1:][same_piece]
    node_index = np.cumsum(endpoint) - 1
    u, v = node_index[sequence[first]], node_index[sequence[last]]
    forward = u <= v
    low_place = np.where(forward, sequence[first], sequence[last])
    step_place = np.where(forward, sequence[first + 1], sequence[last - 1])  # the first step from the low end
    order = _osmnx_edge_order(raw_a, raw_b, raw_added, len(seg_a), size, np.minimum(u, v), low_place,
                              np.where(forward, sequence[last], sequence[first]), step_place,
                              sequence_way[first], forward, first)
    first, last, u, v, forward = first[order], last[order], u[order], v[order], forward[order]
    lengths = last - first + 1
    geom_offsets = np.concatenate([[0], np.cumsum(lengths)])
    step = np.arange(geom_offsets[-1]) - np.repeat(geom_offsets[:-1], lengths)
    points = np.where(np.repeat(forward, lengths), np.repeat(first, lengths) + step, np.repeat(last, lengths) - step)
    geom_place = sequence[points]
    # Ways are numbered as osmnx meets them: in edge order.
    way_of_edge = sequence_way[first]
    distinct, first_edge, edge_way = np.unique(way_of_edge, return_index=True, return_inverse=True)
    renumber = np.empty(len(distinct), dtype=np.int64)
    renumber[np.argsort(first_edge, kind="stable")] = np.arange(len(distinct))
    edge_way = renumber[edge_way]
    used_ways = distinct[np.argsort(first_edge, kind="stable")]
    node_place = np.flatnonzero(endpoint)
    node_osm_id = locations.ids[node_place]
    return WalkNetwork(
        node_osm_id=node_osm_id,
        node_lon=locations.lon[node_place],
        node_lat=locations.lat[node_place],
        node_tags={i: node_tags[osm_id] for i, osm_id in enumerate(node_osm_id.tolist()) if osm_id in node_tags},
        way_osm_id=[ways.osm_id[way] for way in used_ways.tolist()],
        way_tags=[ways.tags[way] for way in used_ways.tolist()],
        edge_u=np.where(forward, u, v),
        edge_v=np.where(forward, v, u),
        edge_way=edge_way,
        edge_forward=forward,
        geom_offsets=geom_offsets,
        geom_osm_id=locations.ids[geom_place],
        geom_lon=locations.lon[geom_place],
        geom_lat=locations.lat[geom_place],
    )


def _osmnx_edge_order(raw_a: np.ndarray, raw_b: np.ndarray, raw_added: np.ndarray, walkable: int, size: int,
                      low_index: np.ndarray, low_place: np.ndarray, high_place: np.ndarray, step_place: np.ndarray,
                      edge_way: np.ndarray, along: np.ndarray, position: np.ndarray) -> np.ndarray:
    """The order in which osmnx lists the edges, so that everything that follows the edges' order (the streets met
    at a node, ties between equally near edges) comes out as when osmnx read the files.

    osmnx lists an edge under its lower-indexed end, by the place of the other end among that node's neighbours.
    Neighbours come in the order their first segment (`raw_*`, of any way) was added: way by way in file order,
    each way's segments along its drawing, then against it (the first `walkable` segments are of walkable ways;
    a neighbour met only on other ways is dropped with them). Merged edges whose ends have no walkable segment
    of their own come after all neighbours, in the order of the first step of the first of them. Parallel edges: direct ones
    first, then merged ones by their first step.
    """
    keys = np.concatenate([raw_a * size + raw_b, raw_b * size + raw_a])
    added = np.concatenate([raw_added, raw_added + SEGMENT_SLOTS])
    by_key = np.lexsort((added, keys))
    keys, added = keys[by_key], added[by_key]
    first_of_key = np.concatenate([[True], keys[1:] != keys[:-1]]) if len(keys) else np.zeros(0, dtype=bool)
    keys, added = keys[first_of_key], added[first_of_key]
    walkable_keys = np.unique(np.concatenate([raw_a[:walkable] * size + raw_b[:walkable],
                                              raw_b[:walkable] * size + raw_a[:walkable]]))

    def first_added(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        key = a * size + b
        place = np.minimum(np.searchsorted(keys, key), max(len(keys) - 1, 0))
        return np.where(keys[place] == key, added[place], -1) if len(keys) else np.full(len(key), -1)

    direct_key = low_place * size + high_place
    has_direct = np.isin(direct_key, walkable_keys)
    direct = np.where(has_direct, first_added(low_place, high_place), -1)
    merged = step_place != high_place
    step_added = first_added(low_place, step_place)
    _, pair = np.unique(low_place * size + high_place, return_inverse=True)
    first_step = np.full(len(pair), np.iinfo(np.int64).max)  # of all merged edges between the same two ends
    np.minimum.at(first_step, pair, step_added)
    slot = np.where(direct >= 0, direct, (1 << 56) + first_step[pair])
    return np.lexsort((position, ~along, edge_way, np.where(merged, step_added, 0), merged, slot, low_index))


def _pieces_from_endpoints(ref_place: np.ndarray, ref_way: np.ndarray, starts: np.ndarray, stops: np.ndarray,
                           endpoint: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pieces' nodes in a row with each piece's way and start, every piece beginning and ending at an endpoint.

    Only a closed way can begin elsewhere: it is turned to begin at its first endpoint, or left out if it has none.
    """
    begins_at_end = endpoint[ref_place[starts]]
    keep = np.repeat(begins_at_end, stops - starts)
    piece_start = np.zeros(len(ref_place), dtype=bool)
    piece_start[starts] = True
    places, ways, piece_starts = [ref_place[keep]], [ref_way[keep]], [piece_start[keep]]
    for start, stop in zip(starts[~begins_at_end].tolist(), stops[~begins_at_end].tolist()):
        ring = ref_place[start:stop - 1]  # without the closing node, which repeats the first
        inner = np.flatnonzero(endpoint[ring])
        if len(inner):
            places.append(np.concatenate([ring[inner[0]:], ring[:inner[0] + 1]]))
            ways.append(np.full(len(ring) + 1, ref_way[start]))
            piece_starts.append(np.arange(len(ring) + 1) == 0)
    return np.concatenate(places), np.concatenate(ways), np.concatenate(piece_starts)


# ----------------------------------------------------------------------------------------- osmnx (places)
def graph_from_place(place: str) -> nx.MultiDiGraph:
    """Download the ways of a named place (e.g. "Kaiserslautern, Germany") through osmnx; needs the internet."""
    configure_osmnx()
    import osmnx as ox
    import requests

    try:
        return ox.graph_from_place(place, network_type="all", simplify=False, retain_all=True)
    except requests.exceptions.RequestException as exc:
        raise OsmInputError(
            f'Cannot download "{place}" from OpenStreetMap: no connection to its servers. '
            "Use a map file instead: --osm FILE (or LOTSE_OSM=FILE)."
        ) from exc
    except (ox._errors.InsufficientResponseError, TypeError, ValueError) as exc:
        raise OsmInputError(f'OpenStreetMap knows no place called "{place}" ({exc})') from exc


def landmark_kind(tags: dict[str, str]) -> str | None:
    """What kind of landmark a node is (bus_stop, station, entrance, shop or the amenity), or None."""
    if tags.get("highway") == "bus_stop" or tags.get("public_transport") == "platform":
        return "bus_stop"
    if tags.get("railway") in ("station", "halt"):
        return "station"
    if "entrance" in tags:
        return "entrance"
    if not tags.get("name"):
        return None
    if tags.get("amenity") in settings.LANDMARK_AMENITIES:
        return tags["amenity"]
    if "shop" in tags:
        return "shop"
    return "attraction" if tags.get("tourism") in ("attraction", "museum", "artwork") else None


def outlines(graph: nx.MultiDiGraph) -> dict[int, dict[str, object]]:
    """Ways a pedestrian does not walk on (buildings and the like), with their tags and the centre of their nodes."""
    outlines: dict[int, dict[str, object]] = {}
    for u, v, tags in graph.edges(data=True):
        if is_walkable_way(tags):
            continue
        way = outlines.setdefault(int(tags["osmid"]), {"tags": tags, "nodes": set()})
        way["nodes"].update((u, v))
    for way in outlines.values():
        nodes = [graph.nodes[node] for node in way["nodes"]]
        way["lat"] = sum(node["y"] for node in nodes) / len(nodes)
        way["lon"] = sum(node["x"] for node in nodes) / len(nodes)
    return outlines


def landmarks(graph: nx.MultiDiGraph, ways: dict[int, dict[str, object]]) -> list[dict[str, object]]:
    """Landmark nodes and named landmark outlines (a theatre's building, say; `ways` from `outlines`) of a raw
    osmnx graph.

    Take them before filtering: most are on no walkable way.
    """
    found = []
    for osm_id, tags in graph.nodes(data=True):
        kind = landmark_kind(tags)
        if kind is not None:
            found.append({"osm_id": int(osm_id), "kind": kind, "name": tags.get("name", ""),
                          "lat": float(tags["y"]), "lon": float(tags["x"])})
    for osm_id, way in ways.items():
        kind = landmark_kind(way["tags"])
        if kind is not None and kind != "entrance" and way["tags"].get("name"):
            found.append({"osm_id": osm_id, "kind": kind, "name": way["tags"]["name"],
                          "lat": way["lat"], "lon": way["lon"]})
    return found


def addresses(graph: nx.MultiDiGraph, ways: dict[int, dict[str, object]]) -> list[dict[str, object]]:
    """Street-and-number addresses on nodes and on outlines (`ways` from `outlines`), each once."""
    found: dict[tuple[str, str], dict[str, object]] = {}
    places = [(tags, float(tags["y"]), float(tags["x"])) for _, tags in graph.nodes(data=True)]
    places += [(way["tags"], way["lat"], way["lon"]) for way in ways.values()]
    for tags, lat, lon in places:
        street, number = tags.get("addr:street"), tags.get("addr:housenumber")
        if street and number:
            found.setdefault((street, number), {"street": street, "number": number, "lat": lat, "lon": lon})
    return list(found.values())


CLOSED_ROAD_ATTR = "lotse:closed_road"  # marks a node where a closed road meets a walkable way


def is_closed_road(tags: dict[str, str]) -> bool:
    """A road that carries traffic but that a pedestrian may not use (a service road with access=private|no):
    left out of the walk graph, but still a street to cross where a walkable way meets it."""
    return tags.get("highway") in settings.ROAD_HIGHWAYS and not is_walkable_way(tags) and \
        tags.get("access") in settings.NO_ACCESS_VALUES and tags.get("area") != "yes"


def closed_roads(graph: nx.MultiDiGraph) -> dict[int, list[dict[str, object]]]:
    """For each node of a raw osmnx graph where a closed road (`is_closed_road`) meets a walkable way, the closed
    roads there: OSM way id, name and highway."""
    walkable, closed = set(), {}
    for u, v, tags in graph.edges(data=True):
        if is_walkable_way(tags):
            walkable.update((u, v))
        elif is_closed_road(tags):
            osm_id = int(tags["osmid"][0] if isinstance(tags["osmid"], list) else tags["osmid"])
            road = {"osm_id": osm_id, "name": str(tags.get("name", "")), "highway": str(tags["highway"])}
            for node in (u, v):
                closed.setdefault(node, {})[osm_id] = road
    return {node: list(roads.values()) for node, roads in closed.items() if node in walkable}


def walkable_graph(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """Keep only walkable ways and the nodes they use, then merge chains of untagged nodes into single edges.

    A node stays a graph node where ways meet or where it carries a tag in `settings.NODE_TAGS_KEPT_AS_JUNCTIONS`
    (a crossing, a barrier, ...), so no fact is hidden inside an edge; edges of different ways are never merged.
    """
    import osmnx as ox

    graph = graph.copy()
    # Nodes where a road the walker may not use meets a walkable way stay graph nodes: it is crossed there.
    for node in closed_roads(graph):
        graph.nodes[node][CLOSED_ROAD_ATTR] = True
    graph.remove_edges_from(
        [(u, v, k) for u, v, k, tags in graph.edges(keys=True, data=True) if not is_walkable_way(tags)]
    )
    graph.remove_nodes_from([node for node, degree in graph.degree() if degree == 0])
    if graph.number_of_edges() == 0:
        raise OsmInputError("The map contains no ways a pedestrian may walk on")
    return ox.simplify_graph(
        graph,
        node_attrs_include=[*settings.NODE_TAGS_KEPT_AS_JUNCTIONS, CLOSED_ROAD_ATTR],
        edge_attrs_differ=["osmid"],
        track_merged=True,  # keeps the OSM ids of the nodes inside each merged edge
    )
