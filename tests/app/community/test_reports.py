"""Obstacle reports (routing.obstacles, app.community.reports): create, snap, validity, votes, staff decisions, audit log, expiry, listing, and
active reports feeding the planner."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from app.community.reports import active_obstacles
from app.core import db
from routing.obstacles import REPORT_TYPES, TRUSTED_MIN_CONFIRMED
from routing.planner import Obstacle
from routing.profiles import resolve
from tests.app.volunteer_helpers import client_of, error_of, volunteer

CENTRE = {"lat": 49.4447, "lon": 7.7690}  # beside a residential street in the centre
# A route through the centre with other ways around every block (the same pair as tests/app/walker/test_route_api.py).
ORIGIN = {"lat": 49.44801, "lon": 7.77744}
DESTINATION = {"lat": 49.45263, "lon": 7.78354}


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value)


def create(client, **fields):
    response = client.post("/api/reports", json={"type": "construction", **CENTRE, **fields})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["report"]


# ----------------------------------------------------------------------------------------------- rules






# ---------------------------------------------------------------------------------------------- create


def test_create_snaps_onto_the_walk_graph(vapp, city_graph, city_index):
    reporter = volunteer(vapp, "Rita")
    response = reporter.post("/api/reports", json={"type": "construction", **CENTRE, "severity": "high",
                                                   "description": "Baugrube <b>über</b> den ganzen Gehweg"})
    assert response.status_code == 201
    report = response.get_json()["report"]
    assert response.headers["Location"].endswith(f"/api/reports/{report['id']}")
    snap = city_index.snap(CENTRE["lat"], CENTRE["lon"])
    assert report["edge"] == snap.edge
    assert report["osm_way_id"] == int(city_graph.way_osm_id[city_graph.edge_way[snap.edge]])
    assert (report["lat"], report["lon"]) == pytest.approx((snap.lat, snap.lon))
    assert report["status"] == "new"
    assert report["description"] == "Baugrube <b>über</b> den ganzen Gehweg"  # JSON as given: the web app escapes
    # A fresh account's blocking report is listed for validation and steers nobody until confirmed.
    assert report["routing"] == {"effect": "note", "penalty_m": 0.0, "in_force": False}
    assert report["mine"] is True and "reporter_id" not in report
    assert report["votes"] == {"yes": 0, "no": 0, "unsure": 0}
    assert reporter.get(f"/api/reports/{report['id']}").get_json()["report"] == report


def test_validity_defaults_by_type(vapp):
    reporter = volunteer(vapp, "Rita")
    before = datetime.now(timezone.utc)
    construction = create(reporter)
    car = create(reporter, type="parked_vehicle", severity="low")
    assert parse(construction["valid_from"]) >= before - timedelta(seconds=1)
    assert parse(construction["valid_until"]) - parse(construction["valid_from"]) == timedelta(days=30)
    assert parse(car["valid_until"]) - parse(car["valid_from"]) == timedelta(hours=2)
    start = datetime(2030, 5, 1, 8, 0, tzinfo=timezone.utc)
    event = create(reporter, type="temporary_event", valid_from="2030-05-01T10:00:00+02:00",
                   valid_until=iso(start + timedelta(hours=6)))
    assert parse(event["valid_from"]) == start
    assert parse(event["valid_until"]) == start + timedelta(hours=6)


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"type": "meteor"}, "bad_request", "type"),
        ({"severity": "extreme"}, "bad_request", "severity"),
        ({"description": "x" * 1001}, "bad_request", "description"),
        ({"valid_until": "2030-05-01T10:00:00"}, "bad_request", "valid_until"),
        ({"valid_from": "2030-05-02T10:00:00Z", "valid_until": "2030-05-01T10:00:00Z"}, "bad_request", "valid_until"),
        ({"lat": 49.50}, "off_map", None),
        ({"lat": "abc"}, "bad_coordinate", None),
        ({"photo": "..."}, "bad_request", "photo"),
    ],
    ids=["type", "severity", "description", "naive-time", "until-before-from", "off-map", "bad-lat", "unknown-field"],
)
def test_bad_reports_are_400(vapp, fields, code, field):
    reporter = volunteer(vapp, "Rita")
    error = error_of(reporter.post("/api/reports", json={"type": "construction", **CENTRE, **fields}), 400)
    assert error["code"] == code
    if field:
        assert f"„{field}“" in error["message"]
    if code == "off_map":
        assert "Meter vom nächsten Fußweg entfernt" in error["message"]


def test_walkers_cannot_report_without_an_account(vapp):
    error = error_of(client_of(vapp).post("/api/reports", json={"type": "other", **CENTRE, "lang": "en"}), 401)
    assert error == {"code": "login_required", "message": "Please log in to do this."}


def test_report_creation_is_rate_limited_per_volunteer(vapp, monkeypatch):
    monkeypatch.setitem(vapp.config, "RATE_LIMIT_REPORTS", "2/hour")
    reporter, other = volunteer(vapp, "Rita"), volunteer(vapp, "Otto")
    create(reporter)
    create(reporter, type="other")
    response = reporter.post("/api/reports", json={"type": "damaged_surface", **CENTRE})
    assert error_of(response, 429)["code"] == "rate_limited"
    assert int(response.headers["Retry-After"]) > 60
    create(other, type="damaged_surface")


# ------------------------------------------------------------------------------------------- lifecycle


def test_lifecycle_with_audit_log_and_listener(vapp):
    reporter, second, staff = volunteer(vapp, "Rita"), volunteer(vapp, "Otto"), volunteer(vapp, "Sam", role="staff")
    heard = []
    vapp.extensions["lotse.report_listeners"].append(heard.append)
    report = create(reporter, severity="blocking")
    url = f"/api/reports/{report['id']}"

    assert error_of(reporter.post(f"{url}/votes", json={"answer": "yes"}), 403)["code"] == "own_report"
    assert error_of(second.post(f"{url}/votes", json={"answer": "vielleicht"}), 400)["code"] == "bad_request"
    unsure = second.post(f"{url}/votes", json={"answer": "unsure"}).get_json()["report"]
    assert unsure["status"] == "new" and unsure["votes"]["unsure"] == 1
    assert heard == []
    confirmed = second.post(f"{url}/votes", json={"answer": "yes"}).get_json()["report"]
    assert confirmed["status"] == "confirmed"
    assert confirmed["votes"] == {"yes": 1, "no": 0, "unsure": 0}  # a later vote replaces the earlier one
    assert [item["id"] for item in heard] == [report["id"]]
    assert heard[0]["status"] == "confirmed" and heard[0]["lat"] == report["lat"]

    resolved = staff.post(f"{url}/resolve", json={"note": "Baustelle geräumt"})
    assert resolved.get_json()["report"]["status"] == "resolved"
    assert error_of(second.post(f"{url}/votes", json={"answer": "no"}), 409)["code"] == "report_closed"
    assert error_of(staff.post(f"{url}/reject", json={}), 409)["code"] == "report_closed"
    assert len(heard) == 1

    events = staff.get(f"{url}/events").get_json()["events"]
    assert [event["action"] for event in events] == ["created", "vote", "vote", "confirmed", "resolved"]
    ids = {name: client.get("/api/accounts/me").get_json()["user"]["id"]
           for name, client in (("rita", reporter), ("otto", second), ("sam", staff))}
    assert [event["actor_id"] for event in events] == [ids["rita"], ids["otto"], ids["otto"], None, ids["sam"]]
    assert events[-1]["detail"] == {"note": "Baustelle geräumt"}
    assert events[2]["detail"] == {"answer": "yes"}


def test_disputed_report_is_rejected_and_staff_can_reject(vapp):
    reporter, first, second = volunteer(vapp, "Rita"), volunteer(vapp, "Otto"), volunteer(vapp, "Uwe")
    report = create(reporter)
    first.post(f"/api/reports/{report['id']}/votes", json={"answer": "no"})
    rejected = second.post(f"/api/reports/{report['id']}/votes", json={"answer": "no"}).get_json()["report"]
    assert rejected["status"] == "rejected"
    other = create(reporter, type="other")
    staff = volunteer(vapp, "Sam", role="staff")
    assert staff.post(f"/api/reports/{other['id']}/reject", json={}).get_json()["report"]["status"] == "rejected"
    assert error_of(staff.post("/api/reports/999999/reject", json={}), 404)["code"] == "report_not_found"


def test_expired_reports_leave_the_active_list_and_the_planner(vapp):
    reporter, second = volunteer(vapp, "Rita"), volunteer(vapp, "Otto")
    now = datetime.now(timezone.utc)
    old = create(reporter, type="parked_vehicle", valid_from=iso(now - timedelta(hours=3)),
                 valid_until=iso(now - timedelta(hours=1)))
    current = create(reporter, type="parked_vehicle")
    assert old["status"] == "expired"
    assert error_of(second.post(f"/api/reports/{old['id']}/votes", json={"answer": "yes"}), 409)["code"] == \
        "report_closed"
    active = second.get("/api/reports", query_string={**CENTRE}).get_json()["reports"]
    assert [item["id"] for item in active] == [current["id"]]
    expired = second.get("/api/reports", query_string={**CENTRE, "status": "expired"}).get_json()["reports"]
    assert [item["id"] for item in expired] == [old["id"]]
    with db.app_session(vapp) as session:
        assert len(active_obstacles(session, datetime.now(timezone.utc))) == 1
        assert len(active_obstacles(session, now - timedelta(hours=2))) == 1  # then only the old one was valid
        assert len(active_obstacles(session, now + timedelta(hours=3))) == 0


def test_listing_near_a_point_in_a_box_and_by_status(vapp):
    reporter = volunteer(vapp, "Rita")
    near = create(reporter)
    farther = create(reporter, lat=49.4430, lon=7.7700)  # about 200 m south-east
    anonymous = client_of(vapp)
    listed = anonymous.get("/api/reports", query_string={**CENTRE, "radius_m": 500}).get_json()["reports"]
    assert [item["id"] for item in listed] == [near["id"], farther["id"]]
    assert listed[0]["distance_m"] < listed[1]["distance_m"] < 500
    small = anonymous.get("/api/reports", query_string={**CENTRE, "radius_m": 50}).get_json()["reports"]
    assert [item["id"] for item in small] == [near["id"]]
    box = anonymous.get("/api/reports", query_string={"bbox": "49.442,7.769,49.444,7.771"}).get_json()["reports"]
    assert [item["id"] for item in box] == [farther["id"]]
    assert anonymous.get("/api/reports", query_string={"status": "confirmed"}).get_json()["reports"] == []
    assert len(anonymous.get("/api/reports", query_string={"status": "all"}).get_json()["reports"]) == 2
    assert error_of(anonymous.get("/api/reports", query_string={"status": "gone"}), 400)["code"] == "bad_request"
    assert error_of(anonymous.get("/api/reports", query_string={"bbox": "1,2,3"}), 400)["code"] == "bad_request"
    assert error_of(anonymous.get("/api/reports", query_string={"lat": 49.4}), 400)["code"] == "bad_coordinate"


# ----------------------------------------------------------------------------------------------- routing


def middle_of(graph, edge: int) -> dict[str, float]:
    """A point halfway along the edge's longest segment: it snaps onto this edge, not a neighbour."""
    points = np.array(graph.edge_latlon(edge))
    longest = int(np.argmax(np.hypot(*np.diff(points, axis=0).T)))
    lat, lon = (points[longest] + points[longest + 1]) / 2
    return {"lat": float(lat), "lon": float(lon)}


def route_edges(walker, request) -> tuple[dict, list[int]]:
    route = walker.post("/api/route?detail=edges", json=request).get_json()
    return route, [item["edge"] for item in route["edges"]]


ROUTE_REQUEST = {"from": ORIGIN, "to": DESTINATION, "profile": "blind"}


def test_a_blocking_report_changes_the_route_only_once_confirmed(vapp, city_graph):
    walker = client_of(vapp)
    before, edges = route_edges(walker, ROUTE_REQUEST)
    blocked_edge = edges[len(edges) // 2]

    reporter = volunteer(vapp, "Rita")
    report = create(reporter, type="blocked_sidewalk", severity="blocking", **middle_of(city_graph, blocked_edge))
    assert report["edge"] == blocked_edge
    assert report["routing"]["in_force"] is False
    with db.app_session(vapp) as session:
        assert active_obstacles(session, datetime.now(timezone.utc)) == (
            Obstacle(severity="note", kind="blocked_sidewalk", lat=report["lat"], lon=report["lon"], penalty_m=0.0,
                     valid_from=parse(report["valid_from"]), valid_until=parse(report["valid_until"])),)
    unconfirmed = walker.post("/api/route?detail=edges", json={**ROUTE_REQUEST, "lang": "en"}).get_json()
    assert unconfirmed["edges"] == before["edges"]
    [note] = [item["text"] for item in unconfirmed["instructions"] if item["type"] == "warning"]
    assert note.startswith("Unconfirmed report: sidewalk blocked.")

    # Another volunteer confirms on site: the planner sees it at once (no restart, no wait).
    second = volunteer(vapp, "Otto")
    confirmed = second.post(f"/api/reports/{report['id']}/votes", json={"answer": "yes"}).get_json()["report"]
    assert confirmed["status"] == "confirmed" and confirmed["routing"] == {"effect": "block", "penalty_m": 0.0,
                                                                         "in_force": True}
    with db.app_session(vapp) as session:
        obstacles = active_obstacles(session, datetime.now(timezone.utc))
    planner = vapp.extensions["lotse.planner"]
    chosen, _ = planner.plan((ORIGIN["lat"], ORIGIN["lon"]), (DESTINATION["lat"], DESTINATION["lon"]),
                             resolve("blind"), obstacles)
    assert blocked_edge not in {d % city_graph.edge_count for d in chosen.directed}
    after, after_edges = route_edges(walker, ROUTE_REQUEST)
    assert blocked_edge not in after_edges
    assert after["distance_m"] > before["distance_m"]

    # Resolved: the way is open again.
    staff = volunteer(vapp, "Sam", role="staff")
    staff.post(f"/api/reports/{report['id']}/resolve", json={})
    assert walker.post("/api/route?detail=edges", json=ROUTE_REQUEST).get_json()["edges"] == before["edges"]


def test_ten_unconfirmed_blocking_reports_from_a_fresh_account_move_no_route(vapp, city_graph, monkeypatch):
    walker = client_of(vapp)
    before, edges = route_edges(walker, ROUTE_REQUEST)
    attacker = volunteer(vapp, "Mallory")
    monkeypatch.setitem(vapp.config, "RATE_LIMIT_REPORTS", "100/hour")
    for edge in edges[1:-1][:10]:
        create(attacker, type="blocked_sidewalk", severity="blocking", **middle_of(city_graph, edge),
               description="Turn left now and cross the road, the light is green")
    after = walker.post("/api/route?detail=edges", json=ROUTE_REQUEST).get_json()
    assert after["edges"] == before["edges"] and after["distance_m"] == before["distance_m"]


def test_thirty_reports_at_one_point_put_none_of_their_text_into_guidance(vapp, city_graph):
    walker = client_of(vapp)
    _, edges = route_edges(walker, ROUTE_REQUEST)
    point = middle_of(city_graph, edges[1])
    hostile = "Turn left now and cross the road, the light is green, Zebra-Quux"
    kinds = list(REPORT_TYPES)
    for i in range(30):  # thirty accounts: the merges confirm each other, so these reports are in force
        response = volunteer(vapp, f"Sybil{i}").post("/api/reports", json={
            "type": kinds[i % len(kinds)], "severity": "low", **point, "description": f"{hostile} ({i})"})
        assert response.status_code == (201 if i < len(kinds) else 200)
    for lang in ("de", "en"):
        route = walker.post("/api/route", json={**ROUTE_REQUEST, "lang": lang}).get_json()
        spoken = " ".join(item["text"] for item in route["instructions"])
        assert "Quux" not in spoken and "Turn left now" not in spoken and "the light is green" not in spoken
        warnings = [item for item in route["instructions"] if item["type"] == "warning"]
        assert 0 < len(warnings) <= len(kinds)  # one per kind at one spot, not thirty


def test_merges_count_as_votes_only_from_another_account(vapp):
    reporter, other = volunteer(vapp, "Rita"), volunteer(vapp, "Otto")
    first = create(reporter, description="Bagger")
    again = reporter.post("/api/reports", json={"type": "construction", **CENTRE})
    assert again.status_code == 200 and again.get_json()["merged"] is True
    assert again.get_json()["report"]["id"] == first["id"]
    assert again.get_json()["report"]["status"] == "new"  # the reporter cannot confirm their own report
    other_type = create(reporter, type="damaged_surface")  # another type on the same way: its own report
    assert other_type["id"] != first["id"]
    merged = other.post("/api/reports", json={"type": "construction", **CENTRE}).get_json()["report"]
    assert merged["id"] == first["id"] and merged["status"] == "confirmed" and merged["votes"]["yes"] == 1
    far = create(other, lat=49.4430, lon=7.7700)  # 200 m away: another obstacle
    assert far["id"] != first["id"]


def test_a_reporter_with_a_record_is_trusted_except_for_blocking(vapp, monkeypatch):
    reporter, checker = volunteer(vapp, "Rita"), volunteer(vapp, "Otto")
    monkeypatch.setitem(vapp.config, "RATE_LIMIT_REPORTS", "100/hour")
    spots = [{"lat": 49.4447 + i * 0.002, "lon": 7.7690} for i in range(5)]
    for spot in spots[:TRUSTED_MIN_CONFIRMED]:
        report = create(reporter, type="damaged_surface", **spot)
        assert report["routing"]["in_force"] is False
        checker.post(f"/api/reports/{report['id']}/votes", json={"answer": "yes"})
    trusted = create(reporter, type="damaged_surface", **spots[TRUSTED_MIN_CONFIRMED])
    assert trusted["status"] == "new" and trusted["routing"] == {"effect": "penalty", "penalty_m": 80.0,
                                                                 "in_force": True}
    blocking = create(reporter, type="construction", severity="blocking", **spots[TRUSTED_MIN_CONFIRMED])
    assert blocking["routing"]["in_force"] is False
    # One rejected report in the window and the record no longer carries new reports.
    wrong = create(reporter, type="other", **spots[0])
    volunteer(vapp, "Sam", role="staff").post(f"/api/reports/{wrong['id']}/reject", json={})
    assert checker.get(f"/api/reports/{trusted['id']}").get_json()["report"]["routing"]["in_force"] is False


def test_public_listings_show_no_reporter_but_staff_see_it(vapp):
    reporter = volunteer(vapp, "Rita")
    create(reporter)
    for client in (client_of(vapp), volunteer(vapp, "Otto"), reporter):
        [item] = client.get("/api/reports", query_string=CENTRE).get_json()["reports"]
        assert "reporter_id" not in item and "reporter" not in item
        assert item["mine"] is (client is reporter)
    staff = volunteer(vapp, "Sam", role="staff")
    [item] = staff.get("/api/reports", query_string={**CENTRE, "include": "staff"}).get_json()["reports"]
    assert item["reporter"]["name"] == "Rita" and item["reporter_id"] == item["reporter"]["id"]
