"""The OpenAPI 3.1 document of the REST API. The volunteer API's bodies come from the pydantic models the views
parse them with (`app.core.inputs`), so what is documented is what is accepted; every error is the `Error` object,
an oversized body included (400 `too_large`: the API answers every bad input with 400)."""

from __future__ import annotations

from typing import Any

from routing.phrases import LANGUAGES
from routing.profiles import PROFILES, Preferences

_POSITION = {
    "type": "object",
    "required": ["lat", "lon"],
    "properties": {"lat": {"type": "number", "minimum": -90, "maximum": 90},
                   "lon": {"type": "number", "minimum": -180, "maximum": 180}},
}
_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message"],
                             "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}},
}
_TRI = {"type": "string", "enum": ["yes", "no", "unknown"]}


def _error_responses() -> dict[str, Any]:
    body = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    return {"400": {"description": "Bad input, in the request's language (code too_large: a body over 64 KB)",
                    "content": body},
            "default": {"description": "Any other error, e.g. 429 with Retry-After", "content": body}}


def openapi_document() -> dict[str, Any]:
    """Build the document; preference names and types come from `Preferences` so they cannot drift."""
    pref_types = {"str": "string", "float": "number", "bool": "boolean"}
    preferences = {field: {"type": pref_types[str(kind)]} for field, kind in Preferences.__annotations__.items()}
    preferences["steps"]["enum"] = ["use", "avoid", "never"]
    preferences["unknown"]["enum"] = ["optimistic", "cautious"]
    return {
        "openapi": "3.1.0",
        "info": {"title": "Lotse API", "version": "0.1.0",
                 "description": "Walking routes for blind and visually impaired people. Map data © OpenStreetMap "
                                "contributors, ODbL."},
        "paths": {
            "/api/health": {"get": {"summary": "Status and loaded map", "responses": {"200": {"description": "OK"}}}},
            "/api/snap": {"get": {
                "summary": "Nearest walkable way to a position",
                "parameters": [{"name": name, "in": "query", "required": True, "schema": {"type": "number"}}
                               for name in ("lat", "lon")] + [
                    {"name": "lang", "in": "query", "schema": {"type": "string", "enum": list(LANGUAGES)}}],
                "responses": {"200": {"description": "The snapped position and the way's facts"},
                              **_error_responses()},
            }},
            "/api/route": {"post": {
                "summary": "Plan an accessible walking route",
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/RouteRequest"}}}},
                "responses": {"200": {"description": "The route", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Route"}}}}, **_error_responses()},
            }},
            "/api/geocode": {"get": {
                "summary": "Destinations from the loaded map: addresses, streets, stops, shops, named places",
                "parameters": [
                    {"name": "q", "in": "query", "required": True, "schema": {"type": "string", "maxLength": 100}},
                    {"name": "lat", "in": "query", "schema": {"type": "number"}},
                    {"name": "lon", "in": "query", "schema": {"type": "number"}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 20}},
                    {"name": "lang", "in": "query", "schema": {"type": "string", "enum": list(LANGUAGES)}}],
                "responses": {"200": {"description": "`results`: id, name, kind, kind_label, lat, lon, area (the town of a region, else null)"},
                              **_error_responses()},
            }},
            "/api/speech": {"get": {
                "summary": "Audio of an instruction (gTTS online, eSpeak NG offline; engine in X-Speech-Engine)",
                "parameters": [
                    {"name": "text", "in": "query", "required": True, "schema": {"type": "string", "maxLength": 500}},
                    {"name": "lang", "in": "query", "schema": {"type": "string", "enum": list(LANGUAGES)}}],
                "responses": {"200": {"description": "audio/mpeg or audio/wav"}, **_error_responses(),
                              "503": {"description": "No speech engine works; speak the text on the device"}},
            }},
            "/api/openapi.json": {"get": {"summary": "This document", "responses": {"200": {"description": "OK"}}}},
            **_staff_paths(),
            **_volunteer_paths(),
        },
        "components": {"schemas": {
            **_model_schemas(),
            "Error": _ERROR,
            "Gap": _GAP,
            "Position": _POSITION,
            "RouteRequest": {
                "type": "object",
                "required": ["from", "to"],
                "additionalProperties": False,
                "properties": {
                    "from": {"$ref": "#/components/schemas/Position"},
                    "to": {"$ref": "#/components/schemas/Position"},
                    "profile": {"type": "string", "enum": list(PROFILES), "default": "blind"},
                    "prefs": {"type": "object", "additionalProperties": False, "properties": preferences},
                    "lang": {"type": "string", "enum": list(LANGUAGES), "default": LANGUAGES[0]},
                    "heading_deg": {"type": "number", "minimum": 0, "maximum": 360,
                                    "description": "The walker's heading, for a clock-face departure"},
                    "guidance": {"type": "object", "additionalProperties": False, "properties": {
                        "verbosity": {"type": "string", "enum": ["brief", "normal", "detailed"]},
                        "clock_face": {"type": "boolean"},
                        "step_length_m": {"type": "number", "minimum": 0.3, "maximum": 1.5}}},
                },
            },
            "Crossing": {"type": "object", "properties": {
                "distance_m": {"type": "number"}, "streets": {"type": "array"}, "mapped": {"type": "boolean"},
                "control": {"type": "string", "enum": ["traffic_signals", "zebra", "marked", "unmarked", "unknown"]},
                "signals": _TRI, "acoustic_signal": _TRI, "vibration": _TRI, "button_operated": _TRI,
                "tactile_paving": _TRI, "island": _TRI}},
            "Route": {"type": "object",
                      "required": ["route_id", "distance_m", "duration_s", "geometry", "crossings", "steps",
                                   "data_gaps", "explanation", "instructions"],
                      "properties": {
                          "route_id": {"type": "string"}, "distance_m": {"type": "number"},
                          "duration_s": {"type": "number"},
                          "geometry": {"type": "object", "properties": {"type": {"const": "LineString"},
                                                                        "coordinates": {"type": "array"}}},
                          "crossings": {"type": "array", "items": {"$ref": "#/components/schemas/Crossing"}},
                          "steps": {"type": "array"}, "barriers": {"type": "array"},
                          "data_gaps": {"type": "array"}, "surfaces": {"type": "object"},
                          "explanation": {"type": "object"}, "instructions": {"type": "array"}}},
        }},
    }


# --------------------------------------------------------------------------- gaps and reports (city staff review)
_GAP_KINDS = ["crossing_tactile_paving", "signal_acoustic", "steps_handrail", "steps_count", "sidewalk"]
_GAP = {
    "type": "object",
    "description": "A map element where a blind walker may be let down; `routes` is null below 5 (never shown).",
    "properties": {
        "id": {"type": "string", "examples": ["node/123/signal_acoustic"]},
        "kind": {"type": "string", "enum": _GAP_KINDS}, "element": {"type": "string", "enum": ["node", "way"]},
        "osm_id": {"type": "integer"}, "lat": {"type": "number"}, "lon": {"type": "number"},
        "value": {"type": "string", "enum": ["no", "unknown"]}, "street": {"type": "string"},
        "highway": {"type": "string"}, "size": {"type": "integer", "minimum": 0, "maximum": 5},
        "cell": {"type": "string", "description": "500 m grid cell, column letter and row number from the north"},
        "quest": {"type": "string"}, "routes": {"type": ["integer", "null"], "minimum": 5},
        "priority": {"type": "integer"}, "rank": {"type": "integer", "minimum": 1},
    },
}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "schema": schema, "description": description}


def _json_errors(*statuses: str) -> dict[str, Any]:
    body = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    texts = {"400": "Bad input (the error names the field; too_large: a body over 64 KB)", "401": "Not logged in",
             "403": "Not allowed (not staff, own report, or a missing X-CSRF-Token)", "404": "No such report",
             "409": "The report is closed", "429": "Too many requests (Retry-After)",
             "503": "Busy: too many password checks at once (Retry-After)"}
    return {**{status: {"description": texts[status], "content": body} for status in statuses},
            "default": {"description": "Any other error", "content": body}}


def _map_paths(bbox: dict[str, Any], zoom: dict[str, Any], geojson: dict[str, Any]) -> dict[str, Any]:
    """The web maps' own layers (app.community.map_api)."""
    box = dict(bbox, required=True)
    return {
        "/api/map/config": {"get": {
            "summary": "Background tiles (null: none, the maps draw offline) and the extent",
            "responses": {"200": {"description": "The web maps' settings", "content": {"application/json": {"schema": {
                "type": "object",
                "required": ["bounds", "tile_url", "tile_attribution", "min_zoom", "max_zoom", "graph_min_zoom"],
                "properties": {
                    "bounds": {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4,
                               "description": "south, west, north, east of the map"},
                    "tile_url": {"type": ["string", "null"]}, "tile_attribution": {"type": "string"},
                    "min_zoom": {"type": "integer"}, "max_zoom": {"type": "integer"},
                    "graph_min_zoom": {"type": "integer"}}}}}}}}},
        "/api/map/graph": {"get": {
            "summary": "The walk graph in a box as lines (kind road, path or steps), simplified for the zoom",
            "description": "Empty below zoom 14; at most 4000 lines, roads first (`truncated`).",
            "parameters": [box, zoom], "responses": {"200": geojson, **_json_errors("400")}}},
        "/api/map/reports": {"get": {
            "summary": "Reports in force in a box as points (id, type, severity, status; no reporters)",
            "parameters": [box], "responses": {"200": geojson, **_json_errors("400")}}},
        "/api/map/quests": {"get": {
            "summary": "Open quests in a box of at most 1 km across as points, at most 20",
            "parameters": [box], "responses": {"200": geojson, **_json_errors("400")}}},
    }


def _staff_paths() -> dict[str, Any]:
    from app.community.reports import ReportQuery
    from app.core.inputs import query_parameters

    bbox = _query("bbox", {"type": "string"}, "south,west,north,east in degrees")
    zoom = _query("zoom", {"type": "integer", "minimum": 10, "maximum": 20, "default": 16}, "The map's zoom level")
    geojson = {"description": "A GeoJSON FeatureCollection", "content": {"application/geo+json": {}}}
    return {
        "/api/gaps": {"get": {
            "summary": "Accessibility gaps in the map data, most urgent first",
            "description": "Priority = planned routes passing the gap (anonymous counts; below 5 count as none and "
                           "are shown as null) times one plus the road's size.",
            "parameters": [
                _query("kind", {"type": "string"}, f"One or more of {', '.join(_GAP_KINDS)}, comma-separated"),
                _query("value", {"type": "string", "enum": ["no", "unknown"]}, "Only gaps with this value"),
                _query("cell", {"type": "string"}, "A 500 m grid cell such as H3"),
                _query("street", {"type": "string"}, "A street name (exact)"), bbox,
                _query("sort", {"type": "string", "enum": ["priority", "routes", "size", "kind", "street", "cell"],
                                "default": "priority"}, "Order"),
                _query("limit", {"type": "integer", "minimum": 1, "maximum": 5000, "default": 100}, "Page size"),
                _query("offset", {"type": "integer", "minimum": 0, "default": 0}, "Gaps to skip"),
            ],
            "responses": {"200": {"description": "`{total, limit, offset, min_count, cell_size_m, gaps}`",
                                  "content": {"application/json": {"schema": {"type": "object", "properties": {
                                      "total": {"type": "integer"},
                                      "gaps": {"type": "array", "items": {"$ref": "#/components/schemas/Gap"}}}}}}},
                          **_json_errors("400")},
        }},
        "/api/gaps/map": {"get": {
            "summary": "Gaps in a box as GeoJSON points for the staff map, grouped at low zoom",
            "description": "The filters of /api/gaps; below zoom 17 the gaps of one kind in each 64 px square are one "
                           "point with `count` and the `bbox` of its gaps.",
            "parameters": [dict(bbox, required=True), zoom,
                           _query("kind", {"type": "string"}, "One or more gap kinds, comma-separated"),
                           _query("value", {"type": "string", "enum": ["no", "unknown"]}, "Only gaps with this value"),
                           _query("cell", {"type": "string"}, "A 500 m grid cell such as H3"),
                           _query("street", {"type": "string"}, "A street name (exact)")],
            "responses": {"200": geojson, **_json_errors("400")},
        }},
        **_map_paths(bbox, zoom, geojson),
        "/api/gaps/summary": {"get": {
            "summary": "Gap counts by kind, grid cell and street; coverage per attribute now and per week; reports "
                       "by status, type, work status, age and week (no reporters)",
            "responses": {"200": {"description": "The summary the staff overview shows"}},
        }},
        "/api/reports": {"get": {
            "summary": "Obstacle reports near a point or in a box, with filters (no reporter, unless staff)",
            "parameters": query_parameters(ReportQuery),
            "responses": {"200": {"description": "`{reports: [...]}`, at most 200"},
                          **_json_errors("400", "401", "403")},
        },
            "post": _operation("Report an obstacle (logged in); merges into an open report of the same type on the "
                               "same way within 10 m (200, merged)", "NewReport", ("201", "200"),
                               ("400", "401", "403", "429"))},
    }


# -------------------------------------------------------------- the volunteer API, from the models it parses with
def _models() -> dict[str, Any]:
    from app.community import accounts, quests, reports

    return {"Registration": accounts.Registration, "Login": accounts.Login, "NewReport": reports.NewReport,
            "Vote": reports.Vote, "StaffNote": reports.StaffNote, "WorkChange": reports.WorkChange,
            "QuestAnswer": quests.QuestAnswerBody}


def _model_schemas() -> dict[str, Any]:
    schemas = {}
    for name, model in _models().items():
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[name] = schema
    return schemas


def _operation(summary: str, body: str | None, ok: tuple[str, ...], errors: tuple[str, ...],
               parameters: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": summary, "parameters": parameters or [],
                                 "responses": {**{status: {"description": "OK", "content": {"application/json": {
                                     "schema": {"type": "object"}}}} if status != "204" else {"description": "Done"}
                                     for status in ok}, **_json_errors(*errors)}}
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": {"$ref": f"#/components/schemas/{body}"}}}}
    return operation


def _volunteer_paths() -> dict[str, Any]:
    from app.community.quests import QuestQuery
    from app.core.inputs import ID_MAX, query_parameters

    report_id = [{"name": "id", "in": "path", "required": True,
                  "schema": {"type": "integer", "minimum": 1, "maximum": ID_MAX}}]
    staff_post = ("400", "401", "403", "404", "409")
    return {
        "/api/csrf": {"get": _operation("The session's CSRF token: send it as X-CSRF-Token with every POST of the "
                                        "volunteer API", None, ("200",), ())},
        "/api/accounts/register": {"post": _operation("A volunteer account, logged in", "Registration", ("201",),
                                                      ("400", "403", "409", "429", "503"))},
        "/api/accounts/login": {"post": _operation("Log in; a fresh CSRF token", "Login", ("200",),
                                                   ("400", "401", "403", "429", "503"))},
        "/api/accounts/logout": {"post": _operation("End every session of the user", None, ("204",), ("403",))},
        "/api/accounts/me": {"get": _operation("The logged-in user", None, ("200",), ("401",))},
        "/api/reports/{id}": {"get": _operation("One report with its votes (no reporter)", None, ("200",), ("404",),
                                                report_id)},
        "/api/reports/{id}/votes": {"post": _operation("Is the obstacle there? Not for the reporter", "Vote",
                                                       ("200",), ("400", "401", "403", "404", "409"), report_id)},
        "/api/reports/{id}/resolve": {"post": _operation("Staff: the obstacle has gone", "StaffNote", ("200",),
                                                         staff_post, report_id)},
        "/api/reports/{id}/reject": {"post": _operation("Staff: the report was wrong", "StaffNote", ("200",),
                                                        staff_post, report_id)},
        "/api/reports/{id}/events": {"get": _operation("Staff: the report's audit log", None, ("200",),
                                                       ("401", "403", "404"), report_id)},
        "/api/reports/{id}/work": {"post": _operation(
            "Staff: the city's workflow (new, in_progress, fixed), assignee and a note; fixed closes the report",
            "WorkChange", ("200",), staff_post, report_id)},
        "/api/quests": {"get": _operation("Up to 20 open quests near a point", None, ("200",), ("400",),
                                          query_parameters(QuestQuery))},
        "/api/quests/answer": {"post": _operation("Answer a quest; two agreeing volunteers make a fact",
                                                  "QuestAnswer", ("200",), ("400", "401", "403", "404", "409"))},
    }
