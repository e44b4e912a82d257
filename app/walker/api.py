"""The REST API blueprint."""

from __future__ import annotations

import threading
from dataclasses import asdict

from flask import Blueprint, current_app, jsonify, request

from app.core.inputs import ascii_int
from app.core.language import current_language
from app.core.openapi import openapi_document
from app.walker.planning import parse_route_request, plan_and_store
from routing.cache import data_version
from routing.errors import LotseError
from routing.geocoder import MAX_QUERY_CHARS, Geocoder
from routing.graph import WalkGraph
from routing.profiles import profile_choices
from routing.spatial import EdgeIndex, check_coordinate

bp = Blueprint("api", __name__, url_prefix="/api")
_GEOCODER_LOCK = threading.Lock()

ATTRIBUTION = "© OpenStreetMap contributors, ODbL 1.0 (openstreetmap.org/copyright)"


def graph() -> WalkGraph:
    return current_app.extensions["lotse.graph"]


def edge_index() -> EdgeIndex:
    return current_app.extensions["lotse.index"]


@bp.get("/health")
def health():
    """Liveness plus what map is loaded (its areas, and a data version that changes with every new map or import)
    and which profiles a route may be planned with."""
    walk_graph = graph()
    return jsonify(
        status="ok",
        graph={
            "source": walk_graph.meta.get("source"),
            "graph_version": walk_graph.meta.get("graph_version"),
            "nodes": walk_graph.node_count,
            "edges": walk_graph.edge_count,
            "areas": walk_graph.meta.get("areas", []),
            "data_version": data_version(walk_graph),
        },
        attribution=ATTRIBUTION,
        profiles=profile_choices(),
    )


@bp.get("/snap")
def snap():
    """The nearest walkable way to `lat`, `lon`: the edge's street and facts, the foot point and the distance."""
    result = edge_index().snap(request.args.get("lat"), request.args.get("lon"))
    walk_graph = graph()
    return jsonify(snap=asdict(result), edge=walk_graph.edge_attributes(result.edge))


@bp.post("/route")
def route():
    """Plan a route: `{"from": {"lat", "lon"}, "to": {...}, "profile", "prefs", "lang", "heading_deg", "guidance"}`
    → the described route with its instructions."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise LotseError("The body must be a JSON object", field="body", code="bad_json")
    stored = plan_and_store(current_app, parse_route_request(body, current_language()))
    return jsonify(stored.route.to_dict())


@bp.get("/geocode")
def geocode():
    """Destinations matching `q` from the loaded map (addresses, streets, stops, shops, named places)."""
    query = request.args.get("q", "")
    if not query.strip() or len(query) > MAX_QUERY_CHARS:
        raise LotseError(f"q must have 1 to {MAX_QUERY_CHARS} characters", field="q")
    near = None
    if request.args.get("lat") is not None or request.args.get("lon") is not None:
        near = check_coordinate(request.args.get("lat"), request.args.get("lon"))
    limit = ascii_int(request.args.get("limit", "8"), 0, 10**9)
    if limit is None:
        raise LotseError("limit must be a whole number", field="limit")
    limit = min(max(limit, 1), 20)
    words = current_language().phrases
    labels = words["geocoder"]
    kinds = words["guidance"]["landmark_kinds"]
    results = [
        {"id": place.id, "name": place.name, "kind": place.kind, "lat": place.lat, "lon": place.lon, "area": place.area,
         "kind_label": labels.get(place.kind) or kinds.get(place.kind, [labels["place"]])[0] or labels["place"]}
        for place in geocoder().search(query, near, limit)
    ]
    return jsonify(results=results)


def geocoder() -> Geocoder:
    """The app's geocoder, built on first use (a fraction of a second)."""
    with _GEOCODER_LOCK:
        if "lotse.geocoder" not in current_app.extensions:
            current_app.extensions["lotse.geocoder"] = Geocoder(graph())
    return current_app.extensions["lotse.geocoder"]


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 description of this API."""
    return jsonify(openapi_document())
