"""Read OpenStreetMap data with osmnx and keep what a pedestrian may walk on.

The result is an osmnx MultiDiGraph (lat/lon, OSM ids and the tags in `settings.NODE_TAGS`/`WAY_TAGS`) that
`routing.graph.build_walk_graph` turns into the compact walk graph. osmnx and its pandas/geopandas stack are
imported here only, so the server, which loads a cached graph, never pays for them.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path
from typing import TYPE_CHECKING
from xml.etree.ElementTree import ParseError
from xml.sax import SAXException

from routing import settings
from routing.errors import OsmInputError

if TYPE_CHECKING:
    import networkx as nx

SUPPORTED_SUFFIXES = (".osm", ".osm.gz", ".osm.bz2", ".xml", ".xml.gz", ".xml.bz2")


def _configure_osmnx() -> None:
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
    """Return `path` as a Path if it names a readable OSM XML file, else raise OsmInputError saying what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise OsmInputError(f"Map file not found: {path}")
    name = path.name.lower()
    if name.endswith(".pbf"):
        raise OsmInputError(
            f"{path.name} is an OSM PBF file, which Lotse does not read; convert it to OSM XML first, "
            f"for example: osmium cat {path.name} -o {path.name[:-4]}.gz"
        )
    if not name.endswith(SUPPORTED_SUFFIXES):
        raise OsmInputError(f"{path.name} is not an OSM XML file (expected .osm, .osm.gz or .osm.bz2)")
    return path


def graph_from_file(path: str | Path) -> nx.MultiDiGraph:
    """Parse an OSM XML file (.osm, .osm.gz, .osm.bz2) into an unsimplified, two-way osmnx graph of all ways."""
    path = check_osm_path(path)
    _configure_osmnx()
    import osmnx as ox

    try:
        return ox.graph_from_xml(path, bidirectional=True, simplify=False, retain_all=True)
    except (ParseError, SAXException, UnicodeDecodeError) as exc:
        raise OsmInputError(f"{path.name} is not valid OSM XML ({exc})") from exc
    except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as exc:
        raise OsmInputError(f"{path.name} cannot be read, it may be truncated or damaged ({exc})") from exc
    except ox._errors.InsufficientResponseError as exc:
        raise OsmInputError(f"{path.name} contains no OSM nodes or ways") from exc


def graph_from_place(place: str) -> nx.MultiDiGraph:
    """Download the ways of a named place (e.g. "Kaiserslautern, Germany") through osmnx; needs the internet."""
    _configure_osmnx()
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
