"""The REST API blueprint."""

from __future__ import annotations

import threading
from dataclasses import asdict

from flask import Blueprint, current_app, jsonify, request

from app import live, usage
from app.errors import LANGUAGES, RequestError, request_language
from app.openapi import openapi_document
from routing.geocoder import MAX_QUERY_CHARS, Geocoder
from routing.graph import WalkGraph
from routing.phrases import load_table
from routing.guidance.wording import WordingOptions
from routing.plan import plan_route
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
    """Liveness plus what map is loaded and which profiles a route may be planned with."""
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
        profiles=profile_choices(),
    )


@bp.get("/snap")
def snap():
    """The nearest walkable way to `lat`, `lon`: the edge's street and facts, the foot point and the distance."""
    result = edge_index().snap(request.args.get("lat"), request.args.get("lon"))
    walk_graph = graph()
    return jsonify(snap=asdict(result), edge=walk_graph.edge_attributes(result.edge))


def _position(body: dict, key: str) -> tuple[object, object]:
    value = body.get(key)
    if not isinstance(value, dict) or "lat" not in value or "lon" not in value:
        raise RequestError(f'"{key}" must be an object with "lat" and "lon"', field=key)
    return value["lat"], value["lon"]


@bp.post("/route")
def route():
    """Plan a route: `{"from": {"lat", "lon"}, "to": {...}, "profile", "prefs", "lang", "heading_deg", "guidance"}`
    → the described route with its instructions."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise RequestError("The body must be a JSON object", field="body", code="bad_json")
    unknown = set(body) - {"from", "to", "profile", "prefs", "lang", "heading_deg", "guidance"}
    if unknown:
        raise RequestError(f"Unknown fields: {', '.join(sorted(unknown))}", field=sorted(unknown)[0])
    lang = body.get("lang", "de")
    if lang not in LANGUAGES:
        raise RequestError('"lang" must be "de" or "en"', field="lang")
    profile = body.get("profile")
    if profile is not None and not isinstance(profile, str):
        raise RequestError('"profile" must be a string', field="profile")
    heading = body.get("heading_deg")
    if heading is not None and (isinstance(heading, bool) or not isinstance(heading, (int, float))
                                or not 0 <= heading <= 360):
        raise RequestError('"heading_deg" must be a number from 0 to 360', field="heading_deg")
    try:
        wording = WordingOptions(**live.wording_options(body))
    except live.FrameError as exc:
        raise RequestError(str(exc), field=str(exc.params.get("field", "guidance"))) from None
    origin, destination = _position(body, "from"), _position(body, "to")
    planned = plan_route(current_app.extensions["lotse.planner"], origin, destination, profile, body.get("prefs"),
                         lang, current_app.extensions["lotse.obstacles"](), wording, heading)
    current_app.extensions["lotse.routes"].add(
        live.StoredRoute(planned, (float(destination[0]), float(destination[1])), planned.profile,
                         body.get("prefs"), lang, wording))
    usage.route_planned(current_app, planned)  # anonymous usage counts (app.usage)
    return jsonify(planned.to_dict())


@bp.get("/geocode")
def geocode():
    """Destinations matching `q` from the loaded map (addresses, streets, stops, shops, named places)."""
    query = request.args.get("q", "")
    if not query.strip() or len(query) > MAX_QUERY_CHARS:
        raise RequestError(f"q must have 1 to {MAX_QUERY_CHARS} characters", field="q")
    lang = request_language()
    near = None
    if request.args.get("lat") is not None or request.args.get("lon") is not None:
        near = check_coordinate(request.args.get("lat"), request.args.get("lon"))
    try:
        limit = min(max(int(request.args.get("limit", 8)), 1), 20)
    except ValueError:
        raise RequestError("limit must be a whole number", field="limit") from None
    words = load_table(lang)
    labels = words["geocoder"]
    kinds = words["guidance"]["landmark_kinds"]
    results = [
        {"id": place.id, "name": place.name, "kind": place.kind, "lat": place.lat, "lon": place.lon,
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
