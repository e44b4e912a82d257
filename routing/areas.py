"""The areas of a region graph: which map files it was built from, where each lies, and how much of the graph each
holds, so an operator sees what is served and the destination search can tell two towns' same-named streets apart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from routing.graph import WalkGraph

Bounds = tuple[float, float, float, float]  # south, west, north, east


def file_bounds(path: Path) -> Bounds:
    """The extent of every node of an OSM file (one streaming pass; the files' own bound tags are not read by
    pyosmium from every writer)."""
    import osmium

    south = west = np.inf
    north = east = -np.inf
    for node in osmium.FileProcessor(str(path), osmium.osm.NODE):
        if node.location.valid():
            lat, lon = node.location.lat, node.location.lon
            south, north, west, east = min(south, lat), max(north, lat), min(west, lon), max(east, lon)
    return float(south), float(west), float(north), float(east)


def describe_areas(graph: WalkGraph, files: list[Path], place: str | None = None) -> list[dict[str, Any]]:
    """One entry per map file (or the place): name, file, bounding box [south, west, north, east] and the graph's
    nodes, edges, landmarks and addresses inside it. A single source's box is the graph's own extent."""
    if not files:
        return [{"name": place, "file": None, **_contents(graph, _graph_bounds(graph))}]
    areas = []
    for path in files:
        bounds = _graph_bounds(graph) if len(files) == 1 else file_bounds(path)
        areas.append({"name": _area_name(path), "file": path.name, **_contents(graph, bounds)})
    return areas


def area_of(areas: list[dict[str, Any]], lat: float, lon: float) -> str | None:
    """The name of the first area whose box holds the point, None outside them all."""
    for area in areas:
        south, west, north, east = area["bbox"]
        if south <= lat <= north and west <= lon <= east:
            return area["name"]
    return None


def _area_name(path: Path) -> str:
    """A file's name without its OSM suffixes: kaiserslautern.osm.pbf -> kaiserslautern."""
    name = path.name
    for suffix in (".gz", ".bz2", ".pbf", ".osm", ".xml"):
        name = name.removesuffix(suffix)
    return name


def _graph_bounds(graph: WalkGraph) -> Bounds:
    if not graph.node_count:
        return (0.0, 0.0, 0.0, 0.0)
    return (float(graph.node_lat.min()), float(graph.node_lon.min()), float(graph.node_lat.max()),
            float(graph.node_lon.max()))


def _inside(lat: np.ndarray, lon: np.ndarray, bounds: Bounds) -> int:
    south, west, north, east = bounds
    return int(((lat >= south) & (lat <= north) & (lon >= west) & (lon <= east)).sum())


def _contents(graph: WalkGraph, bounds: Bounds) -> dict[str, Any]:
    edge_lat = (graph.node_lat[graph.edge_u] + graph.node_lat[graph.edge_v]) / 2
    edge_lon = (graph.node_lon[graph.edge_u] + graph.node_lon[graph.edge_v]) / 2
    return {"bbox": [round(value, 6) for value in bounds],
            "nodes": _inside(graph.node_lat, graph.node_lon, bounds),
            "edges": _inside(edge_lat, edge_lon, bounds),
            "landmarks": _inside(graph.landmark_lat, graph.landmark_lon, bounds),
            "addresses": _inside(graph.address_lat, graph.address_lon, bounds)}
