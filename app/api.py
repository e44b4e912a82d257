"""The REST API blueprint."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, current_app, jsonify, request

from routing.graph import WalkGraph
from routing.spatial import EdgeIndex

bp = Blueprint("api", __name__, url_prefix="/api")

ATTRIBUTION = "© OpenStreetMap contributors, ODbL 1.0 (openstreetmap.org/copyright)"


def graph() -> WalkGraph:
    return current_app.extensions["lotse.graph"]


def edge_index() -> EdgeIndex:
    return current_app.extensions["lotse.index"]


@bp.get("/health")
def health():
    """Liveness plus what map is loaded."""
    walk_graph = graph()
    return jsonify(
        status="ok",
        graph={
            "source": walk_graph.meta.get("source"),
            "graph_version": walk_graph.meta.get("graph_version"),
            "nodes": walk_graph.node_count,
            "edges": walk_graph.edge_count,
        },
        attribution=ATTRIBUTION,
    )


@bp.get("/snap")
def snap():
    """The nearest walkable way to `lat`, `lon`: the edge's street and facts, the foot point and the distance."""
    result = edge_index().snap(request.args.get("lat"), request.args.get("lon"))
    walk_graph = graph()
    return jsonify(snap=asdict(result), edge=walk_graph.edge_attributes(result.edge))
