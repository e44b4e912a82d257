"""The OpenAPI 3.1 document of the REST API (kept beside the blueprint it describes)."""

from __future__ import annotations

from typing import Any

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
    return {"400": {"description": "Bad input, in the request's language", "content": body},
            "413": {"description": "Body over 64 KB", "content": body}}


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
                    {"name": "lang", "in": "query", "schema": {"type": "string", "enum": ["de", "en"]}}],
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
                    {"name": "lang", "in": "query", "schema": {"type": "string", "enum": ["de", "en"]}}],
                "responses": {"200": {"description": "`results`: id, name, kind, kind_label, lat, lon"},
                              **_error_responses()},
            }},
            "/api/speech": {"get": {
                "summary": "Audio of an instruction (gTTS online, eSpeak NG offline; engine in X-Speech-Engine)",
                "parameters": [
                    {"name": "text", "in": "query", "required": True, "schema": {"type": "string", "maxLength": 500}},
                    {"name": "lang", "in": "query", "schema": {"type": "string", "enum": ["de", "en"]}}],
                "responses": {"200": {"description": "audio/mpeg or audio/wav"}, **_error_responses(),
                              "503": {"description": "No speech engine works; speak the text on the device"}},
            }},
            "/api/openapi.json": {"get": {"summary": "This document", "responses": {"200": {"description": "OK"}}}},
        },
        "components": {"schemas": {
            "Error": _ERROR,
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
                    "lang": {"type": "string", "enum": ["de", "en"], "default": "de"},
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
