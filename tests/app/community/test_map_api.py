"""The web maps' own layers (app.community.map_api, and the gap layer in app.staff.gap_api): GeoJSON by bounding box,
the graph simplified by zoom and capped, reports and quests where they are, gaps clustered at low zoom."""

from __future__ import annotations

import json

import pytest
import shapely

from app.community import map_api
from app.staff.gap_api import CLUSTER_BELOW_ZOOM
from tests.app.volunteer_helpers import client_of, error_of, volunteer
from tests.graph_helpers import CROSSING

CENTRE = "49.4400,7.7600,49.4500,7.7750"  # Kaiserslautern's old town, south,west,north,east
SMALL = f"{CROSSING['lat'] - 0.001},{CROSSING['lon'] - 0.0015},{CROSSING['lat'] + 0.001},{CROSSING['lon'] + 0.0015}"
CITY = "49.40,7.70,49.48,7.85"


def geojson(client, path: str, **query) -> dict:
    response = client.get(path, query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["type"] == "FeatureCollection"
    return body


def inside(feature: dict, bbox: str) -> bool:
    south, west, north, east = (float(part) for part in bbox.split(","))
    geometry = shapely.geometry.shape(feature["geometry"])
    return geometry.intersects(shapely.box(west, south, east, north))


def test_config_says_no_tiles_by_default_and_where_the_map_is(vapp):
    body = client_of(vapp).get("/api/map/config").get_json()
    assert body["tile_url"] is None  # offline by default: the app's own layers only
    south, west, north, east = body["bounds"]
    assert south < CROSSING["lat"] < north and west < CROSSING["lon"] < east


def test_graph_by_box_simplified_by_zoom(vapp):
    client = client_of(vapp)
    near = geojson(client, "/api/map/graph", bbox=CENTRE, zoom=18)
    far = geojson(client, "/api/map/graph", bbox=CENTRE, zoom=14)
    assert len(near["features"]) > 500 and not near["truncated"]
    assert all(inside(feature, CENTRE) for feature in near["features"])
    assert {feature["properties"]["kind"] for feature in near["features"]} == {"road", "path", "steps"}
    assert any(feature["properties"]["name"] == "Fruchthallstraße" for feature in near["features"])
    points = lambda body: sum(len(f["geometry"]["coordinates"]) for f in body["features"])  # noqa: E731
    assert points(far) < points(near)  # fewer points for the same ways at a lower zoom
    assert all(len(f["geometry"]["coordinates"]) >= 2 for f in far["features"])
    # Below the graph's zoom the layer is empty rather than a grey smear; a whole city is capped, roads first.
    assert geojson(client, "/api/map/graph", bbox=CENTRE, zoom=map_api.GRAPH_MIN_ZOOM - 1)["features"] == []
    city = geojson(client, "/api/map/graph", bbox=CITY, zoom=map_api.GRAPH_MIN_ZOOM)
    assert city["truncated"] and len(city["features"]) == map_api.GRAPH_EDGE_LIMIT
    assert city["features"][0]["properties"]["kind"] == "road"


@pytest.mark.parametrize("query", [{}, {"bbox": "1,2"}, {"bbox": "49.45,7.76,49.44,7.77"}, {"bbox": "nan,1,2,3"},
                                   {"bbox": "1e999,7.76,49.45,7.77"}])
def test_bad_boxes_are_clear_errors(vapp, query):
    client = client_of(vapp)
    for path in ("/api/map/graph", "/api/map/reports", "/api/map/quests", "/api/gaps/map"):
        error = error_of(client.get(path, query_string=query), 400)
        assert error["code"] == "bad_request" and "bbox" in error["message"]


@pytest.mark.parametrize("zoom", ["nan", "1e999", "3", "21", "x" * 5000])
def test_bad_zooms_are_clear_errors(vapp, zoom):
    client = client_of(vapp)
    for path in ("/api/map/graph", "/api/gaps/map"):
        error = error_of(client.get(path, query_string={"bbox": CENTRE, "zoom": zoom}), 400)
        assert error["code"] == "bad_request" and "zoom" in error["message"]


def test_box_zoom_and_gap_filters_are_refused_in_the_request_language_naming_the_field(vapp):
    client = client_of(vapp)
    for path, args, field in (("/api/map/graph", {"bbox": CENTRE, "zoom": "²"}, "zoom"),
                              ("/api/map/reports", {"bbox": "49.44,7.76,49.45,7.7７"}, "bbox"),
                              ("/api/gaps/map", {"bbox": CENTRE, "kind": "sidewalk,potholes"}, "kind"),
                              ("/api/gaps/map", {"bbox": CENTRE, "street": "A\x00"}, "street"),
                              ("/api/gaps", {"cell": "ZZ99"}, "cell"),
                              ("/api/gaps", {"limit": "1" * 400}, "limit")):
        german = error_of(client.get(path, query_string=args, headers={"Accept-Language": "de"}), 400)
        english = error_of(client.get(path, query_string={**args, "lang": "en"}), 400)
        assert german["message"].startswith("Die Anfrage ist ungültig") and f"„{field}“" in german["message"]
        assert english["message"].startswith("The request is not valid") and f"“{field}”" in english["message"]
    # A fractional zoom (a pinch) is the nearest level; empty filters (an HTML form's unset fields) are absent.
    assert geojson(client, "/api/map/graph", bbox=CENTRE, zoom="17.6")["zoom"] == 18
    everything = client.get("/api/gaps", query_string={"limit": 1}).get_json()["total"]
    assert client.get("/api/gaps", query_string={"limit": 1, "kind": "", "value": "", "cell": "",
                                                 "street": ""}).get_json()["total"] == everything


def test_reports_in_force_where_they_are(vapp):
    reporter = volunteer(vapp, "Vera")
    made = reporter.post("/api/reports", json={"type": "construction", "lat": CROSSING["lat"],
                                               "lon": CROSSING["lon"]}).get_json()["report"]
    reporter.post("/api/reports", json={"type": "parked_vehicle", "lat": 49.4300, "lon": 7.7500})
    body = geojson(client_of(vapp), "/api/map/reports", bbox=SMALL)
    assert [feature["properties"]["id"] for feature in body["features"]] == [made["id"]]
    feature = body["features"][0]
    assert feature["geometry"]["coordinates"] == [round(made["lon"], 6), round(made["lat"], 6)]
    assert feature["properties"] == {"id": made["id"], "type": "construction", "severity": "medium",
                                     "status": "new"}
    assert "reporter_id" not in json.dumps(body)  # who reported what stays private


def test_quests_in_a_small_box_only(vapp):
    client = client_of(vapp)
    body = geojson(client, "/api/map/quests", bbox=SMALL)
    assert 0 < len(body["features"]) <= 20
    assert all(inside(feature, SMALL) for feature in body["features"])
    ids = {feature["properties"]["id"] for feature in body["features"]}
    assert f"node/{CROSSING['osm_id']}/tactile_paving" in ids
    assert error_of(client.get("/api/map/quests", query_string={"bbox": CITY}), 400)["code"] == "bad_request"


def test_gaps_cluster_at_low_zoom_and_share_the_table_filters(vapp):
    client = client_of(vapp)
    low = geojson(client, "/api/gaps/map", bbox=CITY, zoom=13)
    high = geojson(client, "/api/gaps/map", bbox=CENTRE, zoom=CLUSTER_BELOW_ZOOM)
    assert low["clustered"] and not high["clustered"]
    total = client.get("/api/gaps", query_string={"bbox": CITY, "limit": 1}).get_json()["total"]
    assert sum(feature["properties"]["count"] for feature in low["features"]) == total
    assert len(low["features"]) < total / 5
    cluster = next(feature for feature in low["features"] if feature["properties"]["count"] > 1)
    south, west, north, east = cluster["properties"]["bbox"]
    in_cluster = client.get("/api/gaps", query_string={"bbox": f"{south},{west},{north},{east}",
                                                       "kind": cluster["properties"]["kind"], "limit": 1})
    assert in_cluster.get_json()["total"] >= cluster["properties"]["count"]
    assert all(feature["properties"]["count"] == 1 and feature["properties"]["id"] for feature in high["features"])
    sidewalks = geojson(client, "/api/gaps/map", bbox=CENTRE, zoom=18, kind="sidewalk", value="unknown")
    assert sidewalks["features"]
    assert {(f["properties"]["kind"], f["properties"]["value"]) for f in sidewalks["features"]} == {
        ("sidewalk", "unknown")}
