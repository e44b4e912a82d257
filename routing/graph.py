"""The compact walk graph: the city's walkable ways as numpy arrays, cheap to load, query and route on.

Nodes are OSM nodes where ways meet or where something a walker must know is mapped (a crossing, a barrier, ...);
edges are undirected pieces of one OSM way between two such nodes, with their geometry from `u` to `v`. Per-node
and per-way facts are the typed columns of `routing.tags`; per-way columns are stored once per way and reached
through `edge_way`. Coordinates are kept twice: lat/lon for output, and x/y metres in the city's UTM zone.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from routing import settings, tags
from routing.errors import OsmInputError

if TYPE_CHECKING:
    import networkx as nx

NODE_COLUMNS = {column.name: column for column in tags.NODE_COLUMNS}
WAY_COLUMNS = {column.name: column for column in tags.WAY_COLUMNS}
_DTYPES = {"signed": np.int8, "tri": np.int8, "enum": np.int8, "bool": np.bool_, "float": np.float32, "int": np.int16, "text": np.int32}


@dataclass(frozen=True)
class Street:
    """A street met at a node: its name ("" if unnamed) and the facts that tell how hard it is to cross."""

    name: str
    highway: str
    lanes: int | None
    maxspeed_kmh: float | None
    way_osm_ids: tuple[int, ...]
    link_of: str = ""  # an unnamed slip road (*_link): the name of the road it joins, where one is mapped


@dataclass
class WalkGraph:
    """The walkable network of one map source; see the module docstring for the layout."""

    node_osm_id: np.ndarray
    node_lat: np.ndarray
    node_lon: np.ndarray
    node_x: np.ndarray
    node_y: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_way: np.ndarray
    edge_length: np.ndarray
    edge_forward: np.ndarray  # True where u → v follows the way's drawing direction (steps up/down depend on it)
    geom_offsets: np.ndarray  # edge e's geometry is geom_*[geom_offsets[e]:geom_offsets[e + 1]]
    geom_x: np.ndarray
    geom_y: np.ndarray
    geom_lat: np.ndarray
    geom_lon: np.ndarray
    geom_osm_id: np.ndarray
    way_osm_id: np.ndarray
    # Landmarks (bus stops, named shops and amenities, entrances) and where they lie on the network.
    landmark_osm_id: np.ndarray
    landmark_lat: np.ndarray
    landmark_lon: np.ndarray
    landmark_kind: np.ndarray  # index into texts["landmark_kind"]
    landmark_name: np.ndarray  # index into texts["landmark_name"]
    landmark_edge: np.ndarray  # nearest edge, -1 if farther than settings.LANDMARK_MAX_DISTANCE_M
    landmark_offset: np.ndarray  # metres from that edge's u end
    # Addresses (street and house number), for the destination search.
    address_street: np.ndarray  # index into texts["address_street"]
    address_number: np.ndarray  # index into texts["address_number"]
    address_lat: np.ndarray
    address_lon: np.ndarray
    # Roads the walker may not use (routing.osm_import.is_closed_road), at the graph nodes where they are crossed.
    closed_node: np.ndarray
    closed_osm_id: np.ndarray
    closed_name: np.ndarray  # index into texts["closed_name"]
    closed_highway: np.ndarray  # index into texts["closed_highway"]
    node_columns: dict[str, np.ndarray]
    way_columns: dict[str, np.ndarray]
    texts: dict[str, list[str]]  # vocabulary of each text column (way columns, landmark kind and name)
    meta: dict[str, Any]
    # The planner's moves between directed edges (routing.costs.enumerate_moves), kept in the cache file because
    # enumerating them takes longer than loading the rest; empty until built.
    arcs: dict[str, np.ndarray] = field(default_factory=dict)
    # Derived on construction, never stored.
    adjacency_offsets: np.ndarray = field(init=False, repr=False)
    adjacency_edges: np.ndarray = field(init=False, repr=False)
    way_is_road: np.ndarray = field(init=False, repr=False)
    _closed_at: dict[int, list[int]] = field(init=False, repr=False)
    # Filled as they are asked for (the planner asks for every node's roads and streets when it starts).
    _roads: dict[int, tuple[int, ...]] = field(init=False, repr=False, default_factory=dict)
    _street_keys: list[str] | None = field(init=False, repr=False, default=None)
    _streets: dict[tuple[int, ...], Street] = field(init=False, repr=False, default_factory=dict)
    _plain: dict[str, list] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        ends = np.concatenate([self.edge_u, self.edge_v])
        order = np.argsort(ends, kind="stable")
        self.adjacency_edges = (order % len(self.edge_u)).astype(np.int32)
        counts = np.bincount(ends, minlength=self.node_count)
        self.adjacency_offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
        highways = np.array(self.texts["highway"], dtype=object)
        road_highway = np.array([name in settings.ROAD_HIGHWAYS for name in highways], dtype=bool)
        self.way_is_road = road_highway[self.way_columns["highway"]] if len(highways) else np.zeros(0, bool)
        self._closed_at = {}
        for row, node in enumerate(self.closed_node.tolist()):
            self._closed_at.setdefault(node, []).append(row)

    # ----------------------------------------------------------------------------------------------- sizes
    @property
    def node_count(self) -> int:
        return len(self.node_osm_id)

    @property
    def edge_count(self) -> int:
        return len(self.edge_u)

    # ------------------------------------------------------------------------------------------ attributes
    def node_attributes(self, node: int) -> dict[str, Any]:
        """Everything known about a node, decoded: OSM id, lat/lon and each tag column (yes/no/unknown...)."""
        result: dict[str, Any] = {
            "osm_id": int(self.node_osm_id[node]),
            "lat": float(self.node_lat[node]),
            "lon": float(self.node_lon[node]),
        }
        for name, values in self.node_columns.items():
            result[name] = NODE_COLUMNS[name].decode(values[node])
        return result

    def way_attributes(self, way: int) -> dict[str, Any]:
        """Everything known about an OSM way, decoded."""
        result: dict[str, Any] = {"osm_id": int(self.way_osm_id[way])}
        for name, values in self.way_columns.items():
            column = WAY_COLUMNS[name]
            stored = values[way]
            result[name] = self.texts[name][stored] if column.kind == "text" else column.decode(stored)
        return result

    def way_text(self, column: str, way: int) -> str:
        """One text column of a way (name, highway, surface, ...) without decoding the rest."""
        return self.texts[column][self.way_columns[column][way]]

    def way_texts(self, column: str) -> np.ndarray:
        """One text column for every way, as an array of strings (e.g. `highway` to select ways by class)."""
        return np.array(self.texts[column], dtype=object)[self.way_columns[column]]

    def edge_attributes(self, edge: int) -> dict[str, Any]:
        """The edge's way attributes plus its own: length, end node and way OSM ids."""
        result = self.way_attributes(int(self.edge_way[edge]))
        result["way_osm_id"] = result.pop("osm_id")
        result.update(
            length_m=round(float(self.edge_length[edge]), 2),
            u_osm_id=int(self.node_osm_id[self.edge_u[edge]]),
            v_osm_id=int(self.node_osm_id[self.edge_v[edge]]),
        )
        return result

    def edge_latlon(self, edge: int) -> list[tuple[float, float]]:
        """The edge's geometry from u to v as (lat, lon) pairs."""
        start, end = self.geom_offsets[edge], self.geom_offsets[edge + 1]
        return list(zip(self.geom_lat[start:end].tolist(), self.geom_lon[start:end].tolist()))

    def edges_at(self, node: int) -> np.ndarray:
        """Ids of the edges that touch a node."""
        return self.adjacency_edges[self.adjacency_offsets[node] : self.adjacency_offsets[node + 1]]

    def other_end(self, edge: int, node: int) -> int:
        """The node at the far end of `edge` seen from `node`."""
        u, v = int(self.edge_u[edge]), int(self.edge_v[edge])
        return v if node == u else u

    def step_direction(self, edge: int, from_node: int) -> str:
        """Whether walking `edge` away from `from_node` goes `up` or `down` (from incline and way direction)."""
        incline = int(self.way_columns["incline"][self.edge_way[edge]])
        if incline == 0:
            return "unknown"
        along_way = bool(self.edge_forward[edge]) == (from_node == int(self.edge_u[edge]))
        return "up" if (incline > 0) == along_way else "down"

    # -------------------------------------------------------------------------------------------- crossings
    def street_key(self, way: int) -> str:
        """What identifies a street across the OSM ways it is split into: its name, or the way id if unnamed."""
        if self._street_keys is None:
            names = np.array(self.texts["name"], dtype=object)[self.way_columns["name"]].tolist()
            self._street_keys = [name or f"way:{osm_id}" for name, osm_id in zip(names, self.way_osm_id.tolist())]
        return self._street_keys[way]

    def closed_roads_at(self, node: int) -> list[Street]:
        """Roads the walker may not use that meet a node: crossed by walking past, never walked along."""
        return [Street(name=self.texts["closed_name"][self.closed_name[row]],
                       highway=self.texts["closed_highway"][self.closed_highway[row]], lanes=None, maxspeed_kmh=None,
                       way_osm_ids=(int(self.closed_osm_id[row]),)) for row in self._closed_at.get(node, [])]

    def roads_at(self, node: int) -> list[int]:
        """Ways carrying motor traffic that meet at a node (each way once)."""
        roads = self._roads.get(node)
        if roads is None:
            ways = self.edge_way[self.edges_at(node)].tolist()
            way_is_road = self._plain_list("way_is_road")
            roads = self._roads[node] = tuple(dict.fromkeys(way for way in ways if way_is_road[way]))
        return list(roads)

    def crossed_streets(self, node: int, in_edge: int | None, out_edge: int | None) -> list[Street]:
        """The streets a walker crosses at `node` when arriving on `in_edge` and leaving on `out_edge`.

        These are the roads meeting at the node other than the streets walked on: walking along one street past a
        junction crosses the side street; a footway passing through a road node crosses that road, mapped crossing
        or not; turning from a footway into a street crosses nothing. Roads the walker may not use (a private
        service road) are crossed like any other. Which sidewalk the walker is on is not mapped, so at a junction
        every other arm is reported.
        """
        edges = [edge for edge in (in_edge, out_edge) if edge is not None]
        edge_way, way_is_road = self._plain_list("edge_way"), self._plain_list("way_is_road")
        if self._is_crossing_place(node, edges) and len({way_is_road[edge_way[e]] for e in edges}) == 2:
            # Leaving a street onto a mapped crossing (or arriving from one) crosses that street.
            edges = [edge for edge in edges if not way_is_road[edge_way[edge]]]
        walked = {self.street_key(edge_way[edge]) for edge in edges}
        streets: dict[str, list[int]] = {}
        for way in self.roads_at(node):
            key = self.street_key(way)
            if key not in walked:
                streets.setdefault(key, []).append(way)
        found = [self._street(tuple(ways)) for ways in streets.values()]
        names = {street.name for street in found if street.name} | {key for key in walked if not key.startswith("way:")}
        return found + [road for road in self.closed_roads_at(node) if not road.name or road.name not in names]

    def _is_crossing_place(self, node: int, edges: list[int]) -> bool:
        """A crossing node, or a node where a footway=crossing way (or one with crossing tags) is walked."""
        if self.node_columns["crossing"][node]:
            return True
        edge_way, way_is_crossing = self._plain_list("edge_way"), self._plain_list("way_is_crossing")
        return any(way_is_crossing[edge_way[e]] for e in edges)

    def _plain_list(self, name: str) -> list:
        """A per-edge or per-way array as a Python list (made once), for the loops over every arc."""
        if name not in self._plain:
            if name == "way_is_crossing":
                footways = self.texts["footway"]
                crossing_way = footways.index("crossing") if "crossing" in footways else -1
                values = (self.way_columns["footway"] == crossing_way) | (self.way_columns["crossing"] != 0)
            else:
                values = getattr(self, name)
            self._plain[name] = values.tolist()
        return self._plain[name]

    def street(self, ways: list[int]) -> Street:
        """The street that the given ways (of one name) make up, with its size facts."""
        return self._street(tuple(ways))

    def _street(self, ways: tuple[int, ...]) -> Street:
        street = self._streets.get(ways)
        if street is None:
            street = self._streets[ways] = self._make_street(ways)
        return street

    def _make_street(self, ways: tuple[int, ...]) -> Street:
        lanes = [int(self.way_columns["lanes"][way]) for way in ways if self.way_columns["lanes"][way] >= 0]
        speeds = [float(self.way_columns["maxspeed_kmh"][way]) for way in ways]
        speeds = [speed for speed in speeds if not math.isnan(speed)]
        name, highway = self.way_text("name", ways[0]), self.way_text("highway", ways[0])
        return Street(
            name=name,
            highway=highway,
            lanes=max(lanes) if lanes else None,
            maxspeed_kmh=max(speeds) if speeds else None,
            way_osm_ids=tuple(int(self.way_osm_id[way]) for way in ways),
            link_of=self._joined_road(ways[0]) if highway.endswith("_link") and not name else "",
        )

    def _joined_road(self, link: int) -> str:
        """The name of the road of the slip road's class (primary for primary_link) that the slip road meets at one
        of its nodes; "" when none is mapped (or two differently named ones)."""
        main = self.way_text("highway", link).removesuffix("_link")
        edges = np.flatnonzero(self.edge_way == link)
        nodes = set(self.edge_u[edges].tolist()) | set(self.edge_v[edges].tolist())
        names = {self.way_text("name", int(self.edge_way[edge])) for node in nodes for edge in self.edges_at(node)
                 if self.way_text("highway", int(self.edge_way[edge])) == main}
        names.discard("")
        return names.pop() if len(names) == 1 else ""

    def unmapped_crossing_nodes(self) -> np.ndarray:
        """Nodes where a footway or path passes through a road without a mapped crossing: a street is crossed there."""
        crossing = self.node_columns["crossing"] != 0
        ends = np.concatenate([self.edge_u, self.edge_v])
        is_road = np.concatenate([self.way_is_road[self.edge_way]] * 2)
        road_edges = np.bincount(ends[is_road], minlength=self.node_count)
        other_edges = np.bincount(ends[~is_road], minlength=self.node_count)
        return np.flatnonzero((road_edges > 0) & (other_edges >= 2) & ~crossing)

    # ------------------------------------------------------------------------------------------------ stats
    def stats(self) -> dict[str, Any]:
        """Counts for the health endpoint and the benchmark: size, crossings, steps, tagged accessibility facts."""
        highway = np.array(self.texts["highway"], dtype=object)[self.way_columns["highway"]]
        steps_ways = highway == "steps"
        tagged = {}
        for name, values in self.node_columns.items():
            column = NODE_COLUMNS[name]
            tagged[f"node.{name}"] = int(_known(column, values).sum())
        for name, values in self.way_columns.items():
            if name not in ("highway", "name", "ref"):
                tagged[f"way.{name}"] = int(_known(WAY_COLUMNS[name], values).sum())
        return {
            "nodes": self.node_count,
            "edges": self.edge_count,
            "ways": len(self.way_osm_id),
            "length_km": round(float(self.edge_length.sum()) / 1000, 1),
            "crossings_mapped": int((self.node_columns["crossing"] != 0).sum()),
            "crossings_unmapped": len(self.unmapped_crossing_nodes()),
            "traffic_signal_nodes": int(self.node_columns["traffic_signals"].sum()),
            "steps_ways": int(steps_ways.sum()),
            "steps_edges": int(steps_ways[self.edge_way].sum()),
            "landmarks": len(self.landmark_osm_id),
            "landmarks_near_ways": int((self.landmark_edge >= 0).sum()),
            "addresses": len(self.address_lat),
            "tagged_attributes": {name: count for name, count in tagged.items() if count},
        }

    # ------------------------------------------------------------------------------------------- storage
    def save(self, path: Path) -> None:
        """Write the graph to one uncompressed .npz file (no pickles), atomically."""
        arrays = {name: getattr(self, name) for name in _CORE_ARRAYS}
        arrays.update({f"node.{name}": values for name, values in self.node_columns.items()})
        arrays.update({f"way.{name}": values for name, values in self.way_columns.items()})
        arrays.update({f"text.{name}": np.array(words, dtype=str) for name, words in self.texts.items()})
        arrays.update({f"arc.{name}": values for name, values in self.arcs.items()})
        arrays["meta"] = np.array(json.dumps(self.meta))
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial.npz")
        np.savez(partial, **arrays)
        partial.replace(path)

    @classmethod
    def load(cls, path: Path) -> WalkGraph:
        """Read a graph written by `save`; raises ValueError, KeyError or OSError if the file is damaged."""
        with np.load(path, allow_pickle=False) as data:
            core = {name: data[name] for name in _CORE_ARRAYS}
            node_columns = {name: data[f"node.{name}"] for name in NODE_COLUMNS}
            way_columns = {name: data[f"way.{name}"] for name in WAY_COLUMNS}
            texts = {key[len("text."):]: data[key].tolist() for key in data.files if key.startswith("text.")}
            arcs = {key[len("arc."):]: data[key] for key in data.files if key.startswith("arc.")}
            meta = json.loads(str(data["meta"]))
        return cls(**core, node_columns=node_columns, way_columns=way_columns, texts=texts, meta=meta, arcs=arcs)


_CORE_ARRAYS = (
    "node_osm_id", "node_lat", "node_lon", "node_x", "node_y", "edge_u", "edge_v", "edge_way", "edge_length",
    "edge_forward", "geom_offsets", "geom_x", "geom_y", "geom_lat", "geom_lon", "geom_osm_id", "way_osm_id",
    "landmark_osm_id", "landmark_lat", "landmark_lon", "landmark_kind", "landmark_name", "landmark_edge",
    "landmark_offset", "address_street", "address_number", "address_lat", "address_lon", "closed_node",
    "closed_osm_id", "closed_name", "closed_highway",
)


def _known(column: tags.Column, values: np.ndarray) -> np.ndarray:
    """Which stored values state a fact (not unknown / not absent)."""
    if column.kind == "float":
        return ~np.isnan(values)
    if column.kind == "int":
        return values >= 0
    return values != 0


def ranges(starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """starts[0], ..., stops[0] - 1, starts[1], ..., stops[1] - 1, ... in one array: the rows of several runs of a
    CSR array (an edge's segments, a node's arcs) at once."""
    counts = (stops - starts).astype(np.int64)
    return np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(int(counts.sum()))


def utm_epsg(lon: float, lat: float) -> int:
    """EPSG code of the WGS 84 UTM zone that contains a point."""
    zone = int((lon + 180) // 6) % 60 + 1
    return (32600 if lat >= 0 else 32700) + zone


def _first(value: Any) -> Any:
    """osmnx turns an attribute into a list when merged edges disagree; the first value stands for all."""
    return value[0] if isinstance(value, list) else value


# Roads a walker may not use but crosses, by the OSM id of the node where they meet the walk network: each road's
# OSM way id, name and highway class.
ClosedRoads = dict[int, list[dict[str, Any]]]


@dataclass
class WalkNetwork:
    """The walkable network as flat sequences, before it becomes a WalkGraph (the layout of the module docstring).

    Both readers produce it: the streaming one (`routing.osm_import.read_osm_file`) directly, the osmnx one through
    `network_from_osmnx`. Each edge runs from its lower-indexed end node; its geometry is
    geom_*[geom_offsets[e]:geom_offsets[e + 1]].
    """

    node_osm_id: Sequence[int]
    node_lon: Sequence[float]
    node_lat: Sequence[float]
    node_tags: dict[int, Mapping[str, str]]  # by node index; nodes without a tag in settings.NODE_TAGS are absent
    way_osm_id: Sequence[int]
    way_tags: list[Mapping[str, str]]  # the tags of settings.WAY_TAGS of each way
    edge_u: Sequence[int]
    edge_v: Sequence[int]
    edge_way: Sequence[int]
    edge_forward: Sequence[bool]
    geom_offsets: Sequence[int]
    geom_osm_id: Sequence[int]
    geom_lon: Sequence[float]
    geom_lat: Sequence[float]


def network_from_osmnx(graph: nx.MultiDiGraph) -> WalkNetwork:
    """The WalkNetwork of a simplified two-way osmnx graph (from `routing.osm_import.walkable_graph`)."""
    osm_nodes = list(graph.nodes)
    index = {osm_id: i for i, osm_id in enumerate(osm_nodes)}
    node_data = [graph.nodes[osm_id] for osm_id in osm_nodes]
    node_tags = {}
    for i, data in enumerate(node_data):
        kept = {key: value for key, value in data.items() if key in settings.NODE_TAGS}
        if kept:
            node_tags[i] = kept

    ways: dict[int, int] = {}
    way_tags: list[dict[str, Any]] = []
    edge_u, edge_v, edge_way, edge_forward, geom_offsets = [], [], [], [], [0]
    geom_lon: list[float] = []
    geom_lat: list[float] = []
    geom_osm_id: list[int] = []
    seen_loops: set[tuple[int, frozenset[int]]] = set()
    for u, v, data in graph.edges(data=True):
        # Every edge is present in both directions; keep the one from the lower node index (and one of each loop).
        if index[u] > index[v]:
            continue
        node_ids = [u] + [b for _, b in data["merged_edges"]] if "merged_edges" in data else [u, v]
        way_osm_id = int(_first(data["osmid"]))
        if u == v:
            loop = (way_osm_id, frozenset(node_ids))
            if loop in seen_loops:
                continue
            seen_loops.add(loop)
        if way_osm_id not in ways:
            ways[way_osm_id] = len(way_tags)
            way_tags.append({key: _first(value) for key, value in data.items() if key in settings.WAY_TAGS})
        if "geometry" in data:
            lons, lats = data["geometry"].xy
        else:
            lons, lats = (graph.nodes[u]["x"], graph.nodes[v]["x"]), (graph.nodes[u]["y"], graph.nodes[v]["y"])
        edge_u.append(index[u])
        edge_v.append(index[v])
        edge_way.append(ways[way_osm_id])
        edge_forward.append(not bool(_first(data.get("reversed", False))))
        geom_lon.extend(lons)
        geom_lat.extend(lats)
        geom_osm_id.extend(node_ids if len(node_ids) == len(lons) else [u] + [-1] * (len(lons) - 2) + [v])
        geom_offsets.append(len(geom_lon))
    return WalkNetwork(
        node_osm_id=osm_nodes, node_lon=[data["x"] for data in node_data], node_lat=[data["y"] for data in node_data],
        node_tags=node_tags, way_osm_id=list(ways), way_tags=way_tags, edge_u=edge_u, edge_v=edge_v,
        edge_way=edge_way, edge_forward=edge_forward, geom_offsets=geom_offsets, geom_osm_id=geom_osm_id,
        geom_lon=geom_lon, geom_lat=geom_lat,
    )


def _node_column(column: tags.Column, count: int, node_tags: dict[int, Mapping[str, str]]) -> np.ndarray:
    """A node column: the value of no tags everywhere, read from the tags only where a node has some."""
    values = np.full(count, column.read({}), dtype=_DTYPES[column.kind])
    for node, node_tag_values in node_tags.items():
        values[node] = column.read(node_tag_values)
    return values


def _way_columns(way_tags: list[Mapping[str, str]]) -> tuple[dict[str, np.ndarray], dict[str, list[str]]]:
    """The way columns and the vocabulary of each text column; ways with the same tags are read once."""
    distinct: dict[tuple[tuple[str, str], ...], int] = {}
    way_kind = [distinct.setdefault(tuple(sorted(tag_values.items())), len(distinct)) for tag_values in way_tags]
    kinds = [dict(items) for items in distinct]
    way_kind = np.array(way_kind, dtype=np.int64)
    way_columns, texts = {}, {}
    for name, column in WAY_COLUMNS.items():
        values = [column.read(tag_values) for tag_values in kinds]
        if column.kind == "text":
            texts[name] = sorted(set(values) | {""})
            position = {word: i for i, word in enumerate(texts[name])}
            values = [position[word] for word in values]
        way_columns[name] = np.array(values, dtype=_DTYPES[column.kind])[way_kind]
    return way_columns, texts


def _codes(words: list[str]) -> tuple[list[str], dict[str, int]]:
    """The sorted vocabulary of some words (with "") and each word's code in it."""
    vocabulary = sorted(set(words) | {""})
    return vocabulary, {word: code for code, word in enumerate(vocabulary)}


def build_walk_graph(graph: nx.MultiDiGraph, landmarks: list[dict[str, Any]], addresses: list[dict[str, Any]],
                     meta: dict[str, Any], closed: ClosedRoads | None = None) -> WalkGraph:
    """Turn a simplified two-way osmnx graph (from `routing.osm_import.walkable_graph`), the landmarks, the
    addresses and the closed roads by node (`routing.osm_import.landmarks`, `addresses`, `closed_roads`) into a
    WalkGraph."""
    return compact_walk_graph(network_from_osmnx(graph), landmarks, addresses, meta, closed)


def compact_walk_graph(network: WalkNetwork, landmarks: list[dict[str, Any]], addresses: list[dict[str, Any]],
                       meta: dict[str, Any], closed: ClosedRoads | None = None) -> WalkGraph:
    """Turn a WalkNetwork, the landmarks, the addresses and the closed roads met by node OSM id into a WalkGraph:
    project to UTM, measure the edges, encode the tags as columns (`routing.spatial.place_landmarks` then puts the
    landmarks on the network)."""
    from pyproj import Transformer

    if not len(network.node_osm_id):
        raise OsmInputError("The map contains no ways a pedestrian may walk on")
    node_lon = np.asarray(network.node_lon, dtype=np.float64)
    node_lat = np.asarray(network.node_lat, dtype=np.float64)
    geom_lon = np.asarray(network.geom_lon, dtype=np.float64)
    geom_lat = np.asarray(network.geom_lat, dtype=np.float64)
    epsg = utm_epsg(float(node_lon.mean()), float(node_lat.mean()))
    to_utm = Transformer.from_crs(4326, epsg, always_xy=True)
    node_x, node_y = to_utm.transform(node_lon, node_lat)
    geom_x, geom_y = to_utm.transform(geom_lon, geom_lat)
    offsets = np.asarray(network.geom_offsets, dtype=np.int32)
    segment = np.hypot(np.diff(geom_x), np.diff(geom_y))
    segment[offsets[1:-1] - 1] = 0.0  # the step from one edge's last point to the next edge's first is no segment
    cumulative = np.concatenate([[0.0], np.cumsum(segment)])
    edge_length = cumulative[offsets[1:] - 1] - cumulative[offsets[:-1]]

    node_count = len(node_lon)
    node_columns = {name: _node_column(column, node_count, network.node_tags) for name, column in NODE_COLUMNS.items()}
    way_columns, texts = _way_columns(network.way_tags)

    texts["landmark_kind"], kind_code = _codes([landmark["kind"] for landmark in landmarks])
    texts["landmark_name"], name_code = _codes([landmark["name"] for landmark in landmarks])
    texts["address_street"], street_code = _codes([address["street"] for address in addresses])
    texts["address_number"], number_code = _codes([address["number"] for address in addresses])
    node_index = {int(osm_id): i for i, osm_id in enumerate(network.node_osm_id)}
    crossed_closed = [(node_index[node], road) for node, roads in (closed or {}).items() if node in node_index
                      for road in roads]
    texts["closed_name"] = sorted({road["name"] for _, road in crossed_closed} | {""})
    texts["closed_highway"] = sorted({road["highway"] for _, road in crossed_closed} | {""})
    walk_graph = WalkGraph(
        closed_node=np.array([node for node, _ in crossed_closed], dtype=np.int32),
        closed_osm_id=np.array([road["osm_id"] for _, road in crossed_closed], dtype=np.int64),
        closed_name=np.array([texts["closed_name"].index(road["name"]) for _, road in crossed_closed], dtype=np.int32),
        closed_highway=np.array([texts["closed_highway"].index(road["highway"]) for _, road in crossed_closed],
                                dtype=np.int32),
        address_street=np.array([street_code[a["street"]] for a in addresses], dtype=np.int32),
        address_number=np.array([number_code[a["number"]] for a in addresses], dtype=np.int32),
        address_lat=np.array([a["lat"] for a in addresses], dtype=np.float64),
        address_lon=np.array([a["lon"] for a in addresses], dtype=np.float64),
        landmark_osm_id=np.array([landmark["osm_id"] for landmark in landmarks], dtype=np.int64),
        landmark_lat=np.array([landmark["lat"] for landmark in landmarks], dtype=np.float64),
        landmark_lon=np.array([landmark["lon"] for landmark in landmarks], dtype=np.float64),
        landmark_kind=np.array([kind_code[landmark["kind"]] for landmark in landmarks], dtype=np.int32),
        landmark_name=np.array([name_code[landmark["name"]] for landmark in landmarks], dtype=np.int32),
        landmark_edge=np.full(len(landmarks), -1, dtype=np.int32),
        landmark_offset=np.zeros(len(landmarks), dtype=np.float32),
        node_osm_id=np.asarray(network.node_osm_id, dtype=np.int64),
        node_lat=node_lat,
        node_lon=node_lon,
        node_x=np.asarray(node_x),
        node_y=np.asarray(node_y),
        edge_u=np.asarray(network.edge_u, dtype=np.int32),
        edge_v=np.asarray(network.edge_v, dtype=np.int32),
        edge_way=np.asarray(network.edge_way, dtype=np.int32),
        edge_length=edge_length.astype(np.float32),
        edge_forward=np.asarray(network.edge_forward, dtype=bool),
        geom_offsets=offsets,
        geom_x=np.asarray(geom_x),
        geom_y=np.asarray(geom_y),
        geom_lat=geom_lat,
        geom_lon=geom_lon,
        geom_osm_id=np.asarray(network.geom_osm_id, dtype=np.int64),
        way_osm_id=np.asarray(network.way_osm_id, dtype=np.int64),
        node_columns=node_columns,
        way_columns=way_columns,
        texts=texts,
        meta={**meta, "graph_version": settings.GRAPH_VERSION, "crs": f"EPSG:{epsg}"},
    )
    return walk_graph


def edge_keys(graph: WalkGraph) -> list[str]:
    """Each edge's stable key: `<way osm id>:<lower node osm id>-<higher node osm id>` (survives a graph rebuild)."""
    u = graph.node_osm_id[graph.edge_u]
    v = graph.node_osm_id[graph.edge_v]
    low, high = np.minimum(u, v).tolist(), np.maximum(u, v).tolist()
    ways = graph.way_osm_id[graph.edge_way].tolist()
    return [f"{way}:{a}-{b}" for way, a, b in zip(ways, low, high)]
