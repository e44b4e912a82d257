"""The REST API blueprint."""

from __future__ import annotations

import threading
from dataclasses import asdict
from typing import Annotated, Any

from flask import Blueprint, current_app, jsonify, request
from pydantic import AfterValidator, Field, model_validator

from app.core.encoding import json_response
from app.core.inputs import Query, Text, parse_body, parse_query
from app.core.language import current_language
from app.core.openapi import openapi_document
from app.walker.planning import RouteBody, plan_and_store, route_request, wants_edge_detail
from routing.cache import data_version
from routing.errors import CoordinateError
from routing.geocoder import MAX_QUERY_CHARS, Geocoder
from routing.graph import WalkGraph
from routing.profiles import profile_choices
from routing.spatial import EdgeIndex, check_coordinate

bp = Blueprint("api", __name__, url_prefix="/api")
_GEOCODER_LOCK = threading.Lock()

ATTRIBUTION = "© OpenStreetMap contributors, ODbL 1.0 (openstreetmap.org/copyright)"


GEOCODE_RESULTS = (1, 20)  # a limit outside is taken as the nearest of these


class PositionQuery(Query):
    """`lat` and `lon` in a query string, in ASCII ("٤٩" is not a number here), checked as coordinates: anything
    wrong with them is `bad_coordinate`."""

    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]

    @model_validator(mode="before")
    @classmethod
    def _coordinates(cls, data: dict[str, Any]) -> dict[str, Any]:
        lat, lon = data.get("lat"), data.get("lon")
        if lat is None and lon is None and not cls.model_fields["lat"].is_required():
            return data  # an optional position, not given
        if not all(isinstance(text, str) and text.isascii() for text in (lat, lon)):
            raise CoordinateError("Latitude and longitude must be ASCII numbers")
        lat, lon = check_coordinate(lat, lon)
        return {**data, "lat": lat, "lon": lon}


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("a search text")
    return text


class GeocodeQuery(PositionQuery):
    q: Annotated[Text, Field(min_length=1, max_length=MAX_QUERY_CHARS), AfterValidator(_not_blank)]
    lat: Annotated[float, Field(ge=-90, le=90, description="With lon: nearest first")] | None = None
    lon: Annotated[float, Field(ge=-180, le=180)] | None = None
    limit: Annotated[int, Field(ge=0, le=10**9, description="Results, at most 20")] = 8


def graph() -> WalkGraph:
    return current_app.extensions["lotse.graph"]


def edge_index() -> EdgeIndex:
    return current_app.extensions["lotse.index"]


@bp.get("/health")
def health():
    """Readiness, what map is loaded (its areas, and a data version that changes with every new map or import)
    and which profiles a route may be planned with. `ready` is true: the app exists only with its graph, and
    `lotse serve` listens only once the app exists (a load balancer or a phone can take any answer at all as
    ready, and a refused connection as not yet)."""
    walk_graph = graph()
    return jsonify(
        status="ok",
        ready=True,
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
    query = parse_query(PositionQuery)
    result = edge_index().snap(query.lat, query.lon)
    walk_graph = graph()
    return jsonify(snap=asdict(result), edge=walk_graph.edge_attributes(result.edge))


@bp.post("/route")
def route():
    """Plan a route: `{"from": {"lat", "lon"}, "to": {...}, "profile", "prefs", "lang", "heading_deg", "guidance"}`
    → the described route with its instructions; `?detail=edges` adds each walked piece of the graph."""
    edge_detail = wants_edge_detail(request.args.get("detail"))
    stored = plan_and_store(current_app, route_request(parse_body(RouteBody), current_language()))
    return json_response(stored.route.to_dict(edge_detail))


@bp.get("/geocode")
def geocode():
    """Destinations matching `q` from the loaded map (addresses, streets, stops, shops, named places)."""
    query = parse_query(GeocodeQuery)
    near = None if query.lat is None else (query.lat, query.lon)
    limit = min(max(query.limit, GEOCODE_RESULTS[0]), GEOCODE_RESULTS[1])
    words = current_language().phrases
    labels = words["geocoder"]
    kinds = words["guidance"]["landmark_kinds"]
    results = [
        {"id": place.id, "name": place.name, "kind": place.kind, "lat": place.lat, "lon": place.lon, "area": place.area,
         "kind_label": labels.get(place.kind) or kinds.get(place.kind, [labels["place"]])[0] or labels["place"]}
        for place in geocoder().search(query.q, near, limit)
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
