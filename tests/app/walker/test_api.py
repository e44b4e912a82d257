"""The REST API (app.walker.api) and its JSON errors in German and English (app.core.errors)."""

from __future__ import annotations

import json

import pytest

from app import create_app
from app.core.language import MESSAGES_DIR
from tests.conftest import REPO

CITY_POINT = {"lat": "49.4447", "lon": "7.7690"}  # Kaiserslautern centre, beside a residential street
MESSAGES = {lang: json.loads((MESSAGES_DIR / f"{lang}.json").read_text(encoding="utf-8")) for lang in ("de", "en")}


@pytest.fixture(scope="module")
def client(city_graph):
    """One app on the whole city for this module (building its snap index takes a moment)."""
    return create_app({"TESTING": True}, graph=city_graph).test_client()


def error_of(response, status: int) -> dict:
    """The error object of a JSON error response, after checking its status and shape."""
    assert response.status_code == status
    assert response.is_json
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    assert body["error"]["message"]
    assert "Traceback" not in body["error"]["message"]
    return body["error"]


# ---------------------------------------------------------------------------------------------- health


def test_health_on_the_city(client, city_graph):
    response = client.get("/api/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["graph"]["nodes"] == city_graph.node_count
    assert body["graph"]["edges"] == city_graph.edge_count
    assert body["graph"]["source"] == city_graph.meta["source"]
    assert body["graph"]["source"].endswith("kaiserslautern.osm.gz")
    assert body["graph"]["graph_version"] == city_graph.meta["graph_version"]
    assert "OpenStreetMap" in body["attribution"]
    assert "ODbL" in body["attribution"]
    assert "blind" in body["profiles"]["names"] and body["profiles"]["preferences"]["unknown"]


def test_health_on_the_mini_map(mini_client):
    body = mini_client.get("/api/health").get_json()
    assert body["status"] == "ok"
    assert body["graph"]["nodes"] == 22
    assert body["graph"]["edges"] == 21
    assert body["graph"]["source"].endswith("mini.osm")


# ------------------------------------------------------------------------------------------------ snap


def test_snap_on_a_city_street(client, city_graph, city_index):
    response = client.get("/api/snap", query_string=CITY_POINT)
    assert response.status_code == 200
    body = response.get_json()
    expected = city_index.snap(49.4447, 7.7690)
    assert body["snap"]["edge"] == expected.edge
    assert body["snap"]["distance_m"] == pytest.approx(expected.distance_m)
    assert body["snap"]["distance_m"] < 20
    assert body["snap"]["lat"] == pytest.approx(49.4447, abs=2e-4)
    assert body["snap"]["lon"] == pytest.approx(7.7690, abs=3e-4)
    assert set(body["snap"]) == {"edge", "lat", "lon", "x", "y", "offset_m", "distance_m"}
    edge = body["edge"]
    assert edge == city_graph.edge_attributes(expected.edge)
    assert edge["name"]  # a named street
    assert edge["highway"] in {"residential", "living_street", "tertiary", "secondary", "primary", "pedestrian",
                               "footway", "service", "unclassified"}
    assert edge["length_m"] > 0
    assert edge["sidewalk"] in {"unknown", "both", "left", "right", "yes", "no", "separate"}
    assert edge["lit"] in {"unknown", "yes", "no"}


def test_snap_on_the_mini_map(mini_client):
    # 5 m north of the middle of Fackelstraße between nodes 1 and 2.
    response = mini_client.get("/api/snap", query_string={"lat": 49.4440 + 5 / 111194.9, "lon": 7.7690 - 95 / 72301.6})
    assert response.status_code == 200
    body = response.get_json()
    assert body["edge"]["name"] == "Fackelstraße"
    assert body["edge"]["way_osm_id"] == 101
    assert {body["edge"]["u_osm_id"], body["edge"]["v_osm_id"]} == {1, 2}
    assert body["edge"]["maxspeed_kmh"] == 30.0
    assert body["edge"]["sidewalk"] == "both"
    assert body["snap"]["distance_m"] == pytest.approx(5.0, abs=0.3)


# ---------------------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "query",
    [
        {"lon": "7.7690"},
        {"lat": "49.4447"},
        {},
        {"lat": "nan", "lon": "7.7690"},
        {"lat": "inf", "lon": "7.7690"},
        {"lat": "abc", "lon": "7.7690"},
        {"lat": "", "lon": "7.7690"},
        {"lat": "95", "lon": "7.7690"},
        {"lat": "49.4447", "lon": "-181"},
    ],
    ids=["no-lat", "no-lon", "nothing", "nan", "inf", "abc", "empty", "lat-95", "lon-181"],
)
def test_bad_coordinates_are_400(client, query):
    error = error_of(client.get("/api/snap", query_string=query), 400)
    assert error["code"] == "bad_coordinate"
    assert error["message"] == MESSAGES["de"]["bad_coordinate"]


def test_far_away_point_is_off_map(client):
    error = error_of(client.get("/api/snap", query_string={"lat": "49.50", "lon": "7.7690"}), 400)
    assert error["code"] == "off_map"
    assert error["message"].startswith("Die Position ist ")
    assert "Meter vom nächsten Fußweg entfernt" in error["message"]
    assert "mehr als 150 Meter" in error["message"]
    distance = int(error["message"].split()[3])
    assert 4000 < distance < 6000  # about 5 km north of the extract


def test_off_map_distance_matches_the_index(client, city_index):
    from routing.errors import OffMapError

    with pytest.raises(OffMapError) as info:
        city_index.snap(49.50, 7.7690)
    error = error_of(client.get("/api/snap", query_string={"lat": "49.50", "lon": "7.7690", "lang": "en"}), 400)
    assert error["message"] == MESSAGES["en"]["off_map"].format(distance_m=round(info.value.distance_m), limit_m=150)


@pytest.mark.parametrize(
    ("query", "headers", "lang"),
    [
        ({}, {}, "de"),
        ({}, {"Accept-Language": "de"}, "de"),
        ({}, {"Accept-Language": "de-DE,de;q=0.9,en;q=0.8"}, "de"),
        ({"lang": "en"}, {}, "en"),
        ({}, {"Accept-Language": "en"}, "en"),
        ({}, {"Accept-Language": "en-US,en;q=0.9"}, "en"),
        ({"lang": "en"}, {"Accept-Language": "de"}, "en"),
        ({"lang": "de"}, {"Accept-Language": "en"}, "de"),
        ({}, {"Accept-Language": "fr"}, "de"),
    ],
)
def test_error_language(client, query, headers, lang):
    error = error_of(client.get("/api/snap", query_string={"lat": "abc", "lon": "7.7690", **query}, headers=headers),
                     400)
    assert error["code"] == "bad_coordinate"
    assert error["message"] == MESSAGES[lang]["bad_coordinate"]


def test_english_off_map_message(client):
    error = error_of(client.get("/api/snap", query_string={"lat": "49.50", "lon": "7.7690", "lang": "en"}), 400)
    assert error["code"] == "off_map"
    assert error["message"].startswith("The position is ")
    assert "metres from the nearest footway" in error["message"]


def test_unknown_path_is_json_404(client):
    error = error_of(client.get("/api/nope"), 404)
    assert error == {"code": "not_found", "message": MESSAGES["de"]["not_found"]}
    error = error_of(client.get("/api/nope", headers={"Accept-Language": "en"}), 404)
    assert error == {"code": "not_found", "message": MESSAGES["en"]["not_found"]}


def test_wrong_method_is_json_405(client):
    error = error_of(client.post("/api/health"), 405)
    assert error == {"code": "method_not_allowed", "message": MESSAGES["de"]["method_not_allowed"]}
    error_of(client.delete("/api/snap", query_string=CITY_POINT), 405)


def test_oversized_body_is_json_413_too_large(client):
    body = b'{"lang": "en", "padding": "' + b"x" * (65 * 1024) + b'"}'
    error = error_of(client.post("/api/route", data=body, content_type="application/json"), 413)
    assert error == {"code": "too_large", "message": MESSAGES["de"]["too_large"]}
    error = error_of(client.post("/api/route", data=body, content_type="application/json",
                                 headers={"Accept-Language": "en"}), 413)
    assert error == {"code": "too_large", "message": MESSAGES["en"]["too_large"]}


@pytest.mark.parametrize(("headers", "lang"), [({}, "de"), ({"Accept-Language": "en"}, "en")])
def test_an_unsupported_language_is_a_400_in_a_language_the_client_reads(client, headers, lang):
    for path in ("/api/snap?lat=49.4447&lon=7.7690&lang=xx", "/api/geocode?q=Fackelstra%C3%9Fe&lang=fr"):
        error = error_of(client.get(path, headers=headers), 400)
        assert error == {"code": "bad_request", "message": MESSAGES[lang]["bad_request"].format(field="lang")}


def test_server_keeps_serving_after_errors(client):
    for query in ({"lat": "abc"}, {"lat": "nan", "lon": "7.7"}, {"lat": "49.50", "lon": "7.7690"}):
        assert client.get("/api/snap", query_string=query).status_code == 400
    assert client.get("/api/nope").status_code == 404
    assert client.post("/api/health").status_code == 405
    good = client.get("/api/snap", query_string=CITY_POINT)
    assert good.status_code == 200
    assert good.get_json()["edge"]["name"]
    assert client.get("/api/health").get_json()["status"] == "ok"


def test_every_error_code_has_a_message_in_both_languages():
    assert MESSAGES["de"].keys() == MESSAGES["en"].keys()
    for code in ("bad_request", "bad_coordinate", "off_map", "bad_map", "not_found", "method_not_allowed",
                 "too_large", "internal"):
        assert MESSAGES["de"][code] and MESSAGES["en"][code], code


def test_snap_limit_is_configurable(mini_graph):
    strict = create_app({"TESTING": True, "SNAP_LIMIT_M": 3}, graph=mini_graph).test_client()
    beside = {"lat": 49.4440 + 5 / 111194.9, "lon": 7.7690 - 95 / 72301.6}  # 5 m from Fackelstraße
    error = error_of(strict.get("/api/snap", query_string={**beside, "lang": "en"}), 400)
    assert error["code"] == "off_map"
    assert error["message"] == MESSAGES["en"]["off_map"].format(distance_m=5, limit_m=3)


# ------------------------------------------------------------------------------------------- home page


def test_home_page(client):
    if not (REPO / "static" / "index.html").exists():
        pytest.skip("static/index.html does not exist yet")
    response = client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "Lotse" in response.get_data(as_text=True)


def test_geocode_finds_destinations_with_labels_in_both_languages(client):
    german = client.get("/api/geocode", query_string={"q": "Pfalztheater", "lang": "de"}).json["results"]
    english = client.get("/api/geocode", query_string={"q": "Pfalztheater", "lang": "en"}).json["results"]
    assert german[0]["name"] == english[0]["name"] == "Pfalztheater"
    assert (german[0]["kind_label"], english[0]["kind_label"]) == ("Theater", "Theatre")
    address = client.get("/api/geocode", query_string={"q": "Fackelstraße 3"}).json["results"][0]
    assert (address["name"], address["kind_label"]) == ("Fackelstraße 3", "Adresse")


@pytest.mark.parametrize("query", [{}, {"q": ""}, {"q": "x" * 101}, {"q": "a", "lat": "nan", "lon": "7.7"},
                                   {"q": "a", "limit": "many"}])
def test_geocode_bad_input_is_400(client, query):
    response = client.get("/api/geocode", query_string=query)
    assert response.status_code == 400 and response.json["error"]["message"]
