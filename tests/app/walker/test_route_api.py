"""POST /api/route on the city: the described route, every bad input as a 400 in the request's language, OpenAPI."""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, fields

import pytest

from app import create_app
from app.core.language import MESSAGES_DIR
from routing.errors import OffMapError
from routing.plan import plan_route
from routing.planner import NoRouteError
from routing.profiles import PROFILES, Preferences, resolve
from routing.route import round_metres

MESSAGES = {lang: json.loads((MESSAGES_DIR / f"{lang}.json").read_text(encoding="utf-8")) for lang in ("de", "en")}

# A pair where the blind profile walks about 30 m more than the shortest route to avoid unknown crossings.
ORIGIN = {"lat": 49.44801, "lon": 7.77744}
DESTINATION = {"lat": 49.45263, "lon": 7.78354}
FAR_AWAY = {"lat": 49.62, "lon": 7.7690}  # about 20 km north of the extract
# The shortest route here takes steps; every steps-free route is longer.
STEPS_ORIGIN = {"lat": 49.43236, "lon": 7.78408}
STEPS_DESTINATION = {"lat": 49.43526, "lon": 7.78621}
CROSSING_KEYS = {"distance_m", "lat", "lon", "node_osm_id", "streets", "mapped", "control", "signals",
                 "acoustic_signal", "vibration", "button_operated", "tactile_paving", "island", "kerb", "arms",
                 "arms_side"}


@pytest.fixture(scope="module")
def route_app(city_graph):
    return create_app({"TESTING": True}, graph=city_graph)


@pytest.fixture(scope="module")
def api(route_app):
    return route_app.test_client()


@pytest.fixture(scope="module")
def planner(route_app):
    return route_app.extensions["lotse.planner"]


@pytest.fixture(scope="module")
def openapi(api) -> dict:
    response = api.get("/api/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def post(api, body, **kwargs):
    return api.post("/api/route", json=body, **kwargs)


def post_raw(api, text: str | bytes, content_type: str = "application/json", **kwargs):
    return api.post("/api/route", data=text, content_type=content_type, **kwargs)


def error_of(response, status: int = 400) -> dict:
    """The error object of a JSON error response (400 unless said), after checking its shape."""
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.is_json
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    assert "Traceback" not in body["error"]["message"]
    return body["error"]


def message(lang: str, code: str, **params) -> str:
    params.setdefault("field", "body")
    return MESSAGES[lang][code].format(**params)


# ------------------------------------------------------------------------- a minimal OpenAPI 3.1 validator


def validate(instance, schema: dict, document: dict, where: str = "$") -> list[str]:
    """Problems of `instance` against the subset of JSON Schema the document uses ($ref, type, enum, const,
    required, properties, additionalProperties false, items, minimum, maximum)."""
    if "$ref" in schema:
        target = document
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return validate(instance, target, document, where)
    problems = []
    kinds = {"object": dict, "array": list, "string": str, "boolean": bool}
    kind = schema.get("type")
    if kind == "number" or kind == "integer":
        if isinstance(instance, bool) or not isinstance(instance, (int, float)) or \
                (kind == "integer" and not float(instance).is_integer()):
            return [f"{where}: {instance!r} is not a {kind}"]
        if "minimum" in schema and instance < schema["minimum"] or "maximum" in schema and instance > schema["maximum"]:
            problems.append(f"{where}: {instance!r} out of range")
    elif kind is not None and not isinstance(instance, kinds[kind]):
        return [f"{where}: {instance!r} is not {kind}"]
    if "const" in schema and instance != schema["const"]:
        problems.append(f"{where}: {instance!r} != {schema['const']!r}")
    if "enum" in schema and instance not in schema["enum"]:
        problems.append(f"{where}: {instance!r} not in {schema['enum']!r}")
    if isinstance(instance, dict):
        problems += [f"{where}: missing {key!r}" for key in schema.get("required", []) if key not in instance]
        properties = schema.get("properties", {})
        for key, value in instance.items():
            if key in properties:
                problems += validate(value, properties[key], document, f"{where}.{key}")
            elif schema.get("additionalProperties") is False:
                problems.append(f"{where}: unexpected {key!r}")
    if isinstance(instance, list) and "items" in schema:
        for i, item in enumerate(instance):
            problems += validate(item, schema["items"], document, f"{where}[{i}]")
    return problems


def schema(openapi: dict, name: str) -> dict:
    return openapi["components"]["schemas"][name]


# ------------------------------------------------------------------------------------------------ happy path


def test_route_on_the_city(api, planner, city_index):
    response = post(api, {"from": ORIGIN, "to": DESTINATION})
    assert response.status_code == 200
    body = response.get_json()
    expected = plan_route(planner, (ORIGIN["lat"], ORIGIN["lon"]), (DESTINATION["lat"], DESTINATION["lon"]))
    assert re.fullmatch(r"[0-9a-f]{16}", body["route_id"])
    assert body["route_id"] != expected.route_id
    assert body["profile"] == "blind"
    assert body["preferences"] == asdict(resolve("blind"))
    assert body["distance_m"] == round(expected.distance_m, 1)
    assert 700 < body["distance_m"] < 1200
    assert body["duration_s"] == round(expected.duration_s)
    assert body["duration_s"] >= body["distance_m"] / resolve("blind").walking_speed_mps
    geometry = body["geometry"]
    assert geometry["type"] == "LineString"
    assert len(geometry["coordinates"]) >= 2
    start, end = city_index.snap(ORIGIN["lat"], ORIGIN["lon"]), city_index.snap(DESTINATION["lat"], DESTINATION["lon"])
    (lon0, lat0), (lon1, lat1) = geometry["coordinates"][0], geometry["coordinates"][-1]
    assert math.hypot((lat0 - start.lat) * 111195, (lon0 - start.lon) * 72300) < 1.0  # [lon, lat]
    assert math.hypot((lat1 - end.lat) * 111195, (lon1 - end.lon) * 72300) < 1.0
    assert isinstance(body["crossings"], list) and body["crossings"]
    assert all(set(crossing) == CROSSING_KEYS for crossing in body["crossings"])
    assert [c["node_osm_id"] for c in body["crossings"]] == [c.node_osm_id for c in expected.crossings]
    assert isinstance(body["steps"], list)
    assert body["data_gaps"] == expected.data_gaps
    assert isinstance(body["instructions"], list)
    assert body["explanation"] == expected.explanation
    assert body["explanation"]["extra_m"] > 10
    assert body["explanation"]["text"].startswith(
        f"{round_metres(expected.distance_m - body['explanation']['shortest_m'])} Meter länger als der kürzeste Weg mit ")
    assert " Er vermeidet " in body["explanation"]["text"]


def test_route_explanation_in_english(api, planner):
    body = post(api, {"from": ORIGIN, "to": DESTINATION, "lang": "en"}).get_json()
    expected = plan_route(planner, (ORIGIN["lat"], ORIGIN["lon"]), (DESTINATION["lat"], DESTINATION["lon"]),
                          lang="en")
    assert body["explanation"] == expected.explanation
    assert " metres longer than the shortest route of " in body["explanation"]["text"]
    assert " It avoids " in body["explanation"]["text"]
    german = post(api, {"from": ORIGIN, "to": DESTINATION, "lang": "de"}).get_json()
    assert german["explanation"]["text"] != body["explanation"]["text"]
    assert german["distance_m"] == body["distance_m"]


def test_route_ids_differ_per_call(api):
    ids = {post(api, {"from": ORIGIN, "to": DESTINATION}).get_json()["route_id"] for _ in range(3)}
    assert len(ids) == 3


def test_profile_and_prefs_are_applied(api, planner):
    body = post(api, {"from": ORIGIN, "to": DESTINATION, "profile": "standard",
                      "prefs": {"steps": "never", "max_detour": 2}}).get_json()
    assert body["profile"] == "standard"
    assert body["preferences"] == asdict(resolve("standard", {"steps": "never", "max_detour": 2}))
    assert body["steps"] == []
    shortest = post(api, {"from": ORIGIN, "to": DESTINATION, "profile": "standard"}).get_json()
    assert shortest["preferences"]["steps"] == "use"


def test_detour_limit_error_in_both_languages(api, planner):
    prefs = {"steps": "never", "max_detour": 1.0}
    with pytest.raises(NoRouteError) as info:
        planner.plan((STEPS_ORIGIN["lat"], STEPS_ORIGIN["lon"]), (STEPS_DESTINATION["lat"], STEPS_DESTINATION["lon"]),
                     resolve("blind", prefs))
    assert info.value.reason == "detour_limit"
    for lang in ("de", "en"):
        error = error_of(post(api, {"from": STEPS_ORIGIN, "to": STEPS_DESTINATION, "prefs": prefs, "lang": lang}))
        assert error == {"code": "no_route_detour_limit",
                         "message": message(lang, "no_route_detour_limit", **info.value.params)}
    assert "0 Prozent länger als der kürzeste Weg mit" in message("de", "no_route_detour_limit", **info.value.params)


# ---------------------------------------------------------------------------------------------- bad input

A, B = ORIGIN, DESTINATION
BAD_BODIES = [
    ("missing-from", {"to": B}, "bad_request", {"field": "from"}),
    ("missing-to", {"from": A}, "bad_request", {"field": "to"}),
    ("empty-object", {}, "bad_request", {"field": "from"}),
    ("from-a-list", {"from": [49.448, 7.777], "to": B}, "bad_request", {"field": "from"}),
    ("from-a-string", {"from": "49.448,7.777", "to": B}, "bad_request", {"field": "from"}),
    ("to-without-lon", {"from": A, "to": {"lat": 49.45}}, "bad_request", {"field": "to"}),
    ("lat-abc", {"from": {"lat": "abc", "lon": 7.777}, "to": B}, "bad_coordinate", {}),
    ("lat-95", {"from": {"lat": 95, "lon": 7.777}, "to": B}, "bad_coordinate", {}),
    ("lon-minus-181", {"from": A, "to": {"lat": 49.45, "lon": -181}}, "bad_coordinate", {}),
    ("lat-null", {"from": {"lat": None, "lon": 7.777}, "to": B}, "bad_coordinate", {}),
    ("lat-true", {"from": {"lat": True, "lon": 7.777}, "to": B}, "bad_coordinate", {}),
    ("unknown-profile", {"from": A, "to": B, "profile": "wheelchair"}, "bad_preference", {"name": "wheelchair"}),
    ("profile-a-number", {"from": A, "to": B, "profile": 3}, "bad_request", {"field": "profile"}),
    ("unknown-pref", {"from": A, "to": B, "prefs": {"stairs": "never"}}, "bad_preference", {"name": "stairs"}),
    ("steps-3", {"from": A, "to": B, "prefs": {"steps": 3}}, "bad_preference", {"name": "steps"}),
    ("max-detour-x", {"from": A, "to": B, "prefs": {"max_detour": "x"}}, "bad_preference", {"name": "max_detour"}),
    ("max-detour-9", {"from": A, "to": B, "prefs": {"max_detour": 9}}, "bad_preference", {"name": "max_detour"}),
    ("handrail-yes", {"from": A, "to": B, "prefs": {"prefer_handrail": "yes"}}, "bad_preference",
     {"name": "prefer_handrail"}),
    ("prefs-a-list", {"from": A, "to": B, "prefs": ["steps"]}, "bad_preference", {"name": "prefs"}),
    ("unknown-field", {"from": A, "to": B, "via": A}, "bad_request", {"field": "via"}),
    ("same-place", {"from": A, "to": A}, "no_route_same_place", {}),
]


@pytest.mark.parametrize(("body", "code", "params"), [case[1:] for case in BAD_BODIES],
                         ids=[case[0] for case in BAD_BODIES])
@pytest.mark.parametrize("lang", ["de", "en"])
def test_bad_body_is_400_in_the_request_language(api, body, code, params, lang):
    request = dict(body, lang="en") if lang == "en" else body
    error = error_of(post(api, request))
    assert error == {"code": code, "message": message(lang, code, **params)}


def test_off_map_point_in_both_languages(api, city_index):
    with pytest.raises(OffMapError) as info:
        city_index.snap(FAR_AWAY["lat"], FAR_AWAY["lon"])
    assert 15_000 < info.value.distance_m < 25_000
    for lang in ("de", "en"):
        for body in ({"from": FAR_AWAY, "to": B, "lang": lang}, {"from": A, "to": FAR_AWAY, "lang": lang}):
            error = error_of(post(api, body))
            assert error == {"code": "off_map", "message": message(lang, "off_map", **info.value.params)}
    assert "150 Meter" in message("de", "off_map", **info.value.params)


@pytest.mark.parametrize(("lang_part", "lang"), [("", "de"), (', "lang": "en"', "en"), (', "lang": "de"', "de")])
def test_nan_in_a_raw_body(api, lang_part, lang):
    text = '{"from": {"lat": NaN, "lon": 7.777}, "to": {"lat": 49.45, "lon": 7.78}' + lang_part + "}"
    assert error_of(post_raw(api, text)) == {"code": "bad_coordinate", "message": message(lang, "bad_coordinate")}
    text = '{"from": {"lat": 49.448, "lon": Infinity}, "to": {"lat": 49.45, "lon": 7.78}' + lang_part + "}"
    assert error_of(post_raw(api, text)) == {"code": "bad_coordinate", "message": message(lang, "bad_coordinate")}


@pytest.mark.parametrize("text", ["not json", '{"from": ', "[1, 2]", '["from", "to"]', '"a string"', "42", "null", ""],
                         ids=["words", "truncated", "list", "list-of-strings", "string", "number", "null", "empty"])
def test_body_not_a_json_object(api, text):
    assert error_of(post_raw(api, text)) == {"code": "bad_json", "message": message("de", "bad_json")}
    english = error_of(post_raw(api, text, headers={"Accept-Language": "en"}))
    assert english == {"code": "bad_json", "message": message("en", "bad_json")}
    assert error_of(api.post("/api/route?lang=en", data=text, content_type="application/json"))["message"] == \
        message("en", "bad_json")


def test_json_without_json_content_type(api):
    text = json.dumps({"from": A, "to": B})
    assert error_of(post_raw(api, text, content_type="text/plain"))["code"] == "bad_json"


@pytest.mark.parametrize(("lang", "headers"), [("de", {}), ("en", {"Accept-Language": "en"})])
def test_unsupported_language(api, lang, headers):
    error = error_of(post(api, {"from": A, "to": B, "lang": "fr"}, headers=headers))
    assert error == {"code": "bad_request", "message": message(lang, "bad_request", field="lang")}


def test_body_over_64_kb(api):
    big = json.dumps({"from": A, "to": B, "prefs": {}, "padding": "x" * (65 * 1024)})
    assert len(big) > 64 * 1024
    assert error_of(post_raw(api, big), 413) == {"code": "too_large", "message": message("de", "too_large")}
    assert error_of(post_raw(api, big, headers={"Accept-Language": "en"}), 413) == \
        {"code": "too_large", "message": message("en", "too_large")}
    assert error_of(api.post("/api/route?lang=en", data=big, content_type="application/json"), 413)["message"] == \
        message("en", "too_large")
    # Just under the limit the size is not the problem: the unknown field is.
    fits = json.dumps({"from": A, "to": B, "padding": "x" * (60 * 1024)})
    assert error_of(post_raw(api, fits))["code"] == "bad_request"


def test_server_keeps_serving_after_bad_requests(api):
    for body in (case[1] for case in BAD_BODIES):
        assert post(api, body).status_code == 400
    for text in ("not json", "[1]", '{"from": {"lat": NaN, "lon": 7.7}, "to": {"lat": 49.45, "lon": 7.78}}'):
        assert post_raw(api, text).status_code == 400
    assert post_raw(api, "x" * (65 * 1024)).status_code == 413
    good = post(api, {"from": A, "to": B})
    assert good.status_code == 200
    assert good.get_json()["distance_m"] > 0
    assert api.get("/api/health").get_json()["status"] == "ok"


def test_get_is_answered_with_a_json_error(api):
    response = api.get("/api/route", headers={"Accept-Language": "en"})
    assert response.status_code in (404, 405)
    assert set(response.get_json()["error"]) == {"code", "message"}
    assert response.get_json()["error"]["message"] in (message("en", "not_found"), message("en", "method_not_allowed"))


def test_get_on_the_route_endpoint_is_method_not_allowed(api):
    response = api.get("/api/route")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"


# --------------------------------------------------------------------------------------------------- OpenAPI


def test_openapi_document(openapi):
    assert openapi["openapi"] == "3.1.0"
    assert openapi["info"]["title"]
    route = openapi["paths"]["/api/route"]["post"]
    assert route["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/RouteRequest"}
    assert route["responses"]["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Route"}
    assert route["responses"]["400"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_openapi_route_request_lists_every_preference(openapi):
    request = schema(openapi, "RouteRequest")
    assert request["required"] == ["from", "to"]
    assert set(request["properties"]) == {"from", "to", "profile", "prefs", "lang", "heading_deg", "guidance"}
    assert request["properties"]["profile"]["enum"] == list(PROFILES)
    prefs = request["properties"]["prefs"]["properties"]
    assert set(prefs) == {field.name for field in fields(Preferences)}
    kinds = {"str": "string", "float": "number", "bool": "boolean"}
    for field in fields(Preferences):
        assert prefs[field.name]["type"] == kinds[str(field.type)], field.name
    assert prefs["steps"]["enum"] == ["use", "avoid", "never"]
    assert prefs["unknown"]["enum"] == ["optimistic", "cautious"]
    # Every profile is a valid value of the prefs schema.
    for profile in PROFILES.values():
        assert validate(asdict(profile), request["properties"]["prefs"], openapi) == []


def test_requests_against_the_schema(openapi):
    request = {"$ref": "#/components/schemas/RouteRequest"}
    assert validate({"from": A, "to": B, "profile": "blind", "prefs": {"steps": "never"}, "lang": "en"},
                    request, openapi) == []
    for name, body, _, _ in BAD_BODIES:
        # Same place is well-formed (only the planner refuses it); the schema states no range for max_detour.
        if name not in ("same-place", "max-detour-9"):
            assert validate(body, request, openapi) != [], name


def test_a_real_response_matches_the_route_schema(api, openapi):
    body = post(api, {"from": A, "to": B, "lang": "en"}).get_json()
    route = schema(openapi, "Route")
    assert set(route["required"]) <= set(body)
    assert validate(body, {"$ref": "#/components/schemas/Route"}, openapi) == []
    assert set(schema(openapi, "Crossing")["properties"]) <= CROSSING_KEYS
    steps_body = post(api, {"from": STEPS_ORIGIN, "to": STEPS_DESTINATION, "profile": "standard"}).get_json()
    assert validate(steps_body, {"$ref": "#/components/schemas/Route"}, openapi) == []


def test_error_bodies_match_the_error_schema(api, openapi):
    for body in (case[1] for case in BAD_BODIES):
        assert validate(post(api, body).get_json(), {"$ref": "#/components/schemas/Error"}, openapi) == []


def test_a_flood_of_routes_from_one_address_evicts_no_other_walkers_route(city_graph):
    app = create_app({"TESTING": True, "ROUTE_STORE_SIZE": 40}, graph=city_graph)
    walker = app.test_client()
    walker.environ_base["REMOTE_ADDR"] = "198.51.100.1"
    mine = walker.post("/api/route", json={"from": ORIGIN, "to": DESTINATION}).get_json()["route_id"]
    flood = app.test_client()
    flood.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    request = {"from": ORIGIN, "to": {"lat": 49.4447, "lon": 7.7690}}
    flooded = [flood.post("/api/route", json=request).get_json()["route_id"] for _ in range(60)]
    store = app.extensions["lotse.routes"]
    assert store.get(mine) is not None and store.get(mine).client == "198.51.100.1"
    kept = [route_id for route_id in flooded if store.get(route_id) is not None]
    assert kept == flooded[-20:]  # the flooding address keeps only its own newest routes
