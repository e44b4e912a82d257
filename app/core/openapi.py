"""The OpenAPI 3.1 document of every HTTP path: the REST API, the pages, the PWA's files and the live socket's
upgrade (its messages are in docs/protocol.md). Bodies and query strings come from the pydantic models the views
parse them with (`app.core.inputs`), so what is documented is what is accepted; every error is the `Error` object
with one of the codes of `data/messages`; a body over 64 KB is 413 `too_large`."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from app.core.language import MESSAGES_DIR
from routing.phrases import LANGUAGES


def _error_schema() -> dict[str, Any]:
    """`{"error": {"code", "message"}}`; the codes are those with a message (the English table lists them all)."""
    codes = sorted(json.loads((MESSAGES_DIR / "en.json").read_text(encoding="utf-8")))
    return {"type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["code", "message"],
        "properties": {"code": {"type": "string", "enum": codes},
                       "message": {"type": "string", "description": "In the request's language"}}}}}

_TRI = {"type": "string", "enum": ["yes", "no", "unknown"]}


def _error_responses(codes: str = "bad_request (naming the field), bad_coordinate, off_map") -> dict[str, Any]:
    body = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    return {"400": {"description": f"Bad input, in the request's language: {codes}", "content": body},
            "413": {"description": "too_large: a body over 64 KB", "content": body},
            "429": {"description": "rate_limited: too many requests from this address (Retry-After)",
                    "content": body},
            "default": {"description": "Any other error (internal: a bug, logged)", "content": body}}


_HEALTH = {"type": "object", "required": ["status", "graph", "attribution", "profiles"], "properties": {
    "status": {"const": "ok"}, "attribution": {"type": "string"},
    "graph": {"type": "object", "properties": {"source": {"type": ["string", "null"]},
                                               "graph_version": {"type": ["integer", "string", "null"]},
                                               "nodes": {"type": "integer"}, "edges": {"type": "integer"}}},
    "profiles": {"type": "object", "description": "Profile names, the default and named preference values"}}}
_GEOCODE_RESULTS = {"type": "object", "required": ["results"], "properties": {"results": {
    "type": "array", "maxItems": 20, "items": {"type": "object", "required": ["id", "name", "kind", "kind_label",
                                                                               "lat", "lon"],
                                               "properties": {"id": {"type": "string"}, "name": {"type": "string"},
                                                              "kind": {"type": "string"},
                                                              "kind_label": {"type": "string"},
                                                              "lat": {"type": "number"}, "lon": {"type": "number"}}}}}}
_ROUTE_ERRORS = ("bad_json (not a JSON object), bad_request (naming the field), bad_coordinate, off_map, "
                 "bad_preference (profile or prefs), no_route_no_connection, no_route_blocked, no_route_detour_limit, "
                 "no_route_same_place")


def openapi_document() -> dict[str, Any]:
    """Build the document from the views' models and the pages' list."""
    from app.core.inputs import query_parameters
    from app.walker.api import GeocodeQuery, PositionQuery

    return {
        "openapi": "3.1.0",
        "info": {"title": "Lotse API", "version": "0.1.0",
                 "description": "Walking routes for blind and visually impaired people. Map data © OpenStreetMap "
                                "contributors, ODbL. Live guidance: the WebSocket /ws/guide, docs/protocol.md."},
        "paths": {
            "/api/health": {"get": {"summary": "Status, the loaded map and the profiles a route may be planned with",
                                    "responses": {"200": {"description": "OK", "content": {"application/json": {
                                        "schema": _HEALTH}}}}}},
            "/api/snap": {"get": {
                "summary": "Nearest walkable way to a position",
                "parameters": query_parameters(PositionQuery),
                "responses": {"200": {"description": "The snapped position and the way's facts", "content": {
                    "application/json": {"schema": {"type": "object", "required": ["snap", "edge"], "properties": {
                        "snap": {"type": "object"}, "edge": {"type": "object"}}}}}},
                              **_error_responses()},
            }},
            "/api/route": {"post": {
                "summary": "Plan an accessible walking route",
                "parameters": [
                    {"name": "detail", "in": "query", "schema": {"type": "string", "enum": ["edges"]},
                     "description": "`edges` adds `edges` to the answer: each walked piece of the graph (edge, "
                                    "direction, metres, way, name, highway). Left out by default."}],
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/RouteRequest"}}}},
                "responses": {"200": {"description": "The route", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Route"}}}}, **_error_responses(_ROUTE_ERRORS)},
            }},
            "/api/geocode": {"get": {
                "summary": "Destinations from the loaded map: addresses, streets, stops, shops, named places",
                "parameters": query_parameters(GeocodeQuery),
                "responses": {"200": {"description": "At most 20 places, nearest first when lat and lon are given; `area`: the town of a region, else null",
                                      "content": {"application/json": {"schema": _GEOCODE_RESULTS}}},
                              **_error_responses()},
            }},
            "/api/speech": {"get": {
                "summary": "Audio of an instruction (gTTS online, eSpeak NG offline; engine in X-Speech-Engine)",
                "parameters": [
                    {"name": "text", "in": "query", "required": True, "schema": {"type": "string", "maxLength": 500}},
                    {"name": "lang", "in": "query", "schema": {"type": "string", "enum": list(LANGUAGES)}}],
                "responses": {"200": {"description": "Audio; the engine in X-Speech-Engine", "content": {
                    "audio/mpeg": {}, "audio/wav": {}}}, **_error_responses("bad_request (naming the field)"),
                              "503": {"description": "speech_unavailable: no engine works or all are busy "
                                                     "(Retry-After); speak the text on the device",
                                      "content": {"application/json": {
                                          "schema": {"$ref": "#/components/schemas/Error"}}}}},
            }},
            "/api/openapi.json": {"get": {"summary": "This document", "responses": {"200": {
                "description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}}}}},
            **_staff_paths(),
            **_volunteer_paths(),
            **_page_paths(),
        },
        "components": {"schemas": {
            **_model_schemas(),
            "Error": _error_schema(),
            "Crossing": {"type": "object", "properties": {
                "distance_m": {"type": "number"}, "streets": {"type": "array"}, "mapped": {"type": "boolean"},
                "control": {"type": "string", "enum": ["traffic_signals", "zebra", "marked", "unmarked", "unknown"]},
                "signals": _TRI, "acoustic_signal": _TRI, "vibration": _TRI, "button_operated": _TRI,
                "tactile_paving": _TRI, "island": _TRI,
                "arms": {"type": "integer", "minimum": 1,
                         "description": "Separate crossings here: each arm of a junction whose arms all lie on one "
                                        "side of the walk"},
                "arms_side": {"type": "string", "enum": ["left", "right", "both"]}}},
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
                          "edges": {"type": "array", "description": "Only with `?detail=edges`"},
                          "explanation": {"type": "object"}, "instructions": {"type": "array"}}},
        }},
    }


# --------------------------------------------------------------------------- gaps and reports (city staff review)
def _json_errors(*statuses: str) -> dict[str, Any]:
    body = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    texts = {"400": "Bad input (the error names the field)", "401": "Not logged in",
             "403": "Not allowed (not staff, own report, or a missing X-CSRF-Token)", "404": "No such report",
             "409": "The report is closed", "413": "too_large: a body over 64 KB",
             "429": "Too many requests (Retry-After)",
             "503": "Busy: too many password checks at once (Retry-After)"}
    return {**{status: {"description": texts[status], "content": body} for status in statuses},
            "default": {"description": "Any other error", "content": body}}


def _map_paths(geojson: dict[str, Any]) -> dict[str, Any]:
    """The web maps' own layers (app.community.map_api)."""
    from app.community.map_api import BoxQuery, MapQuery
    from app.core.inputs import query_parameters

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
            "parameters": query_parameters(MapQuery), "responses": {"200": geojson, **_json_errors("400")}}},
        "/api/map/reports": {"get": {
            "summary": "Reports in force in a box as points (id, type, severity, status; no reporters)",
            "parameters": query_parameters(BoxQuery), "responses": {"200": geojson, **_json_errors("400")}}},
        "/api/map/quests": {"get": {
            "summary": "Open quests in a box of at most 1 km across as points, at most 20",
            "parameters": query_parameters(BoxQuery), "responses": {"200": geojson, **_json_errors("400")}}},
    }


def _staff_paths() -> dict[str, Any]:
    from app.community.reports import ReportQuery
    from app.core.inputs import query_parameters
    from app.staff.gap_api import GapMapQuery, GapQuery

    geojson = {"description": "A GeoJSON FeatureCollection (sent as application/json)", "content": {
        "application/json": {"schema": {"type": "object", "required": ["type", "features"], "properties": {
            "type": {"const": "FeatureCollection"}, "features": {"type": "array"}}}}}}
    return {
        "/api/gaps": {"get": {
            "summary": "Accessibility gaps in the map data, most urgent first",
            "description": "Priority = planned routes passing the gap (anonymous counts; below 5 count as none and "
                           "are shown as null) times one plus the road's size.",
            "parameters": query_parameters(GapQuery),
            "responses": {"200": _reply("A page of the gaps", "GapList"), **_json_errors("400")},
        }},
        "/api/gaps/map": {"get": {
            "summary": "Gaps in a box as GeoJSON points for the staff map, grouped at low zoom",
            "description": "The filters of /api/gaps; below zoom 17 the gaps of one kind in each 64 px square are one "
                           "point with `count` and the `bbox` of its gaps.",
            "parameters": query_parameters(GapMapQuery),
            "responses": {"200": geojson, **_json_errors("400")},
        }},
        **_map_paths(geojson),
        "/api/gaps/summary": {"get": {
            "summary": "Gap counts by kind, grid cell and street; coverage per attribute now and per week; reports "
                       "by status, type, work status, age and week (no reporters)",
            "responses": {"200": _reply("The summary the staff overview shows", "GapSummary")},
        }},
        "/api/reports": {"get": {
            "summary": "Obstacle reports near a point or in a box, with filters (no reporter, unless staff)",
            "parameters": query_parameters(ReportQuery),
            "responses": {"200": _reply("At most 200 reports", "ReportList"), **_json_errors("400", "401", "403")},
        },
            "post": _operation("Report an obstacle (logged in); merges into an open report of the same type on the "
                               "same way within 10 m (200, merged)", "NewReport",
                               {"201": "ReportReply", "200": "ReportReply"}, ("400", "401", "403", "429"))},
    }


# -------------------------------------------------------------- the volunteer API, from the models it parses with
def _models() -> dict[str, Any]:
    from app.community import accounts, quests, reports

    return {"Registration": accounts.Registration, "Login": accounts.Login, "NewReport": reports.NewReport,
            "Vote": reports.Vote, "StaffNote": reports.StaffNote, "WorkChange": reports.WorkChange,
            "QuestAnswer": quests.QuestAnswerBody}


def _replies() -> dict[str, Any]:
    """The response bodies the views send (`app.core.inputs.Reply`), by their component name."""
    from app.community import accounts, quests, reports
    from app.staff import gap_api, map_reload, stats

    return {"CsrfToken": accounts.CsrfToken, "LoggedIn": accounts.LoggedIn, "Me": accounts.Me,
            "ReportReply": reports.ReportReply, "ReportList": reports.ReportList,
            "ReportEvents": reports.ReportEvents, "QuestList": quests.QuestList, "AnswerTaken": quests.AnswerTaken,
            "ReloadStatus": map_reload.ReloadStatus, "ReloadStarted": map_reload.ReloadStarted,
            "GapList": gap_api.GapList, "GapSummary": stats.GapSummary}


@cache  # the models do not change while the server runs; generating their schemas is the document's main cost
def _model_schemas() -> dict[str, Any]:
    from app.core.inputs import AbsentNotNull, ReplySchema
    from app.walker.planning import RouteBody

    schemas = {}
    models = [(name, model, {}) for name, model in _models().items()]
    models.append(("RouteRequest", RouteBody, {"schema_generator": AbsentNotNull}))
    models += [(name, model, {"schema_generator": ReplySchema, "mode": "serialization"})
               for name, model in _replies().items()]
    for name, model, options in models:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}", **options)
        schemas.update(schema.pop("$defs", {}))
        schemas[name] = schema
    return schemas


def _reply(description: str, name: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{name}"}}}}


def _operation(summary: str, body: str | None, replies: dict[str, str | None], errors: tuple[str, ...],
               parameters: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """An operation of the volunteer API: `replies` names the reply model of each success status (None: no
    body)."""
    responses = {status: _reply("OK", name) if name else {"description": "Done"} for status, name in replies.items()}
    operation: dict[str, Any] = {"summary": summary, "parameters": parameters or [], "responses": {
        **responses, **_json_errors(*errors, *(("413",) if body is not None else ()))}}
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": {"$ref": f"#/components/schemas/{body}"}}}}
    return operation


def _volunteer_paths() -> dict[str, Any]:
    from app.community.quests import QuestQuery
    from app.core.inputs import ID_MAX, query_parameters

    report_id = [{"name": "id", "in": "path", "required": True,
                  "schema": {"type": "integer", "minimum": 1, "maximum": ID_MAX, "examples": [1]}}]
    staff_post = ("400", "401", "403", "404", "409")
    return {
        "/api/csrf": {"get": _operation("The session's CSRF token: send it as X-CSRF-Token with every POST of the "
                                        "volunteer API", None, {"200": "CsrfToken"}, ())},
        "/api/accounts/register": {"post": _operation("A volunteer account, logged in", "Registration",
                                                      {"201": "LoggedIn"},
                                                      ("400", "403", "409", "429", "503"))},
        "/api/accounts/login": {"post": _operation("Log in; a fresh CSRF token", "Login", {"200": "LoggedIn"},
                                                   ("400", "401", "403", "429", "503"))},
        "/api/accounts/logout": {"post": _operation("End every session of the user", None, {"204": None},
                                                    ("403",))},
        "/api/accounts/me": {"get": _operation("The logged-in user", None, {"200": "Me"}, ("401",))},
        "/api/reports/{id}": {"get": _operation("One report with its votes (no reporter)", None,
                                                {"200": "ReportReply"}, ("404",),
                                                report_id)},
        "/api/reports/{id}/votes": {"post": _operation("Is the obstacle there? Not for the reporter", "Vote",
                                                       {"200": "ReportReply"}, ("400", "401", "403", "404", "409"), report_id)},
        "/api/staff/map/reload": {
            "get": _operation("Staff: how the last map reload went (status idle, importing or failed; error; "
                              "data_version served)", None, {"200": "ReloadStatus"}, ("401", "403")),
            "post": _operation("Staff: import the configured map files again in the background and swap the new map "
                               "in; walks under way keep their routes", None, {"202": "ReloadStarted"},
                               ("401", "403", "409"))},
        "/api/reports/{id}/resolve": {"post": _operation("Staff: the obstacle has gone", "StaffNote",
                                                         {"200": "ReportReply"},
                                                         staff_post, report_id)},
        "/api/reports/{id}/reject": {"post": _operation("Staff: the report was wrong", "StaffNote",
                                                        {"200": "ReportReply"},
                                                        staff_post, report_id)},
        "/api/reports/{id}/events": {"get": _operation("Staff: the report's audit log", None,
                                                       {"200": "ReportEvents"},
                                                       ("401", "403", "404"), report_id)},
        "/api/reports/{id}/work": {"post": _operation(
            "Staff: the city's workflow (new, in_progress, fixed), assignee and a note; fixed closes the report",
            "WorkChange", {"200": "ReportReply"}, staff_post, report_id)},
        "/api/quests": {"get": _operation("Up to 20 open quests near a point", None,
                                          {"200": "QuestList"}, ("400",),
                                          query_parameters(QuestQuery))},
        "/api/quests/answer": {"post": _operation("Answer a quest; two agreeing volunteers make a fact",
                                                  "QuestAnswer", {"200": "AnswerTaken"},
                                                  ("400", "401", "403", "404", "409"))},
    }


# ------------------------------------------------------------------ pages, the PWA's files and the live socket
def _page(summary: str, content: str = "text/html", staff: bool = True,
          parameters: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    responses: dict[str, Any] = {"200": {"description": "OK", "content": {content: {}}}}
    if staff:
        responses["302"] = {"description": "Not logged in: to /staff/login?next=..."}
        responses["403"] = {"description": "Logged in, not staff (an HTML page)", "content": {"text/html": {}}}
    responses["404"] = {"description": "No such page or file", "content": {content: {}, "application/json": {
        "schema": {"$ref": "#/components/schemas/Error"}}}}
    return {"summary": summary, "parameters": parameters or [], "responses": responses}


def _page_paths() -> dict[str, Any]:
    """What a browser loads: the PWA, the staff pages and their downloads (HTML forms post with a csrf_token field),
    and the WebSocket's upgrade."""
    from app.core.inputs import ID_MAX

    fmt = [{"name": "fmt", "in": "path", "required": True, "schema": {"type": "string", "enum": ["csv", "geojson"]}}]
    report_id = [{"name": "report_id", "in": "path", "required": True,
                  "schema": {"type": "integer", "minimum": 1, "maximum": ID_MAX}}]
    form = {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {"type": "object"}}}}
    login = _page("The staff login form", staff=False)
    login_post = dict(_page("Log in: to `next` (a /staff path) or the overview", staff=False), requestBody=form)
    login_post["responses"]["303"] = {"description": "Logged in"}
    too_large = {"description": "too_large: a form over 64 KB", "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/Error"}}}}
    login_post["responses"]["413"] = too_large
    detail_post = dict(_page("Change a report's workflow, resolve or reject it", parameters=report_id),
                       requestBody=form)
    detail_post["responses"]["303"] = {"description": "Saved: back to the report"}
    detail_post["responses"]["400"] = {"description": "A field of the form is wrong: the page again, saying which",
                                       "content": {"text/html": {}}}
    detail_post["responses"]["409"] = {"description": "The report is closed: the page again, saying so",
                                       "content": {"text/html": {}}}
    detail_post["responses"]["413"] = too_large
    return {
        "/": {"get": _page("The walker's app (PWA)", staff=False)},
        "/sw.js": {"get": _page("The PWA's service worker (no-cache)", "text/javascript", staff=False)},
        "/manifest.webmanifest": {"get": _page("The PWA's manifest", "application/manifest+json", staff=False)},
        "/static/{filename}": {"get": _page("The PWA's files", "application/octet-stream", staff=False, parameters=[
            {"name": "filename", "in": "path", "required": True, "schema": {"type": "string"}}])},
        "/ws/guide": {"get": {
            "summary": "Live guidance: a WebSocket of JSON text frames (messages in docs/protocol.md)",
            "parameters": [{"name": "lang", "in": "query", "schema": {"type": "string", "enum": list(LANGUAGES)}}],
            "responses": {"101": {"description": "Switching to the WebSocket"},
                          "400": {"description": "Not a WebSocket upgrade"}}}},
        "/staff/login": {"get": login, "post": login_post},
        "/staff/logout": {"post": {"summary": "Log out (form with csrf_token)", "requestBody": form,
                                   "responses": {"303": {"description": "To the login page"},
                                                 "403": {"description": "csrf_failed"}, "413": too_large}}},
        "/staff/": {"get": _page("Overview: gaps, coverage, reports")},
        "/staff/gaps": {"get": _page("Gaps, with the filters of /api/gaps and `page`")},
        "/staff/map": {"get": _page("The gap map")},
        "/staff/reports": {"get": _page("Reports, with status, type, work status and date filters")},
        "/staff/reports/{report_id}": {"get": _page("One report with its votes and audit log",
                                                    parameters=report_id), "post": detail_post},
        "/staff/export/gaps.{fmt}": {"get": _page("Every gap with the page's filters, CSV or GeoJSON",
                                                  "application/octet-stream", parameters=fmt)},
        "/staff/export/reports.{fmt}": {"get": _page("Every report with the page's filters, CSV or GeoJSON",
                                                     "application/octet-stream", parameters=fmt)},
        "/staff/export/facts.osc": {"get": _page("Accepted quest answers as osmChange (404 osm_file_missing without "
                                                 "the map's OSM file)", "application/xml")},
    }
