"""City staff: permissions, the report workflow (new → in progress → fixed), report filters, the gap API and its
summary, the pages in German and English, and the exports parsed back (CSV, GeoJSON, osmChange)."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from html import unescape as html_unescape

import pytest

from app import create_app
from app.core import db, usage
from app.core.language import language
from app.core.models import AcceptedFact, Report, utcnow
from routing.gaps import KINDS
from tests.app.volunteer_helpers import CSRF, PASSWORD, client_of, error_of, make_user, volunteer
from tests.conftest import MINI_OSM

CENTRE = {"lat": 49.4447, "lon": 7.7690}
PAGES = ("/staff/", "/staff/gaps", "/staff/map", "/staff/reports")


@pytest.fixture()
def people(vapp):
    """A staff member, a second one, a volunteer who reports and one who votes: their clients and ids."""
    staff_id = make_user(vapp, "Stadt", "staff")
    other_staff = make_user(vapp, "Tiefbau", "staff")
    reporter_id = make_user(vapp, "Rita")
    return {"staff": client_of(vapp, staff_id), "staff_id": staff_id, "other_staff_id": other_staff,
            "reporter": client_of(vapp, reporter_id), "reporter_id": reporter_id,
            "voter": volunteer(vapp, "Volker")}


def create(client, **fields) -> dict:
    response = client.post("/api/reports", json={"type": "construction", **CENTRE, **fields})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["report"]


def set_created(app, report_id: int, when: datetime) -> None:
    with db.app_session(app, write=True) as session:
        report = session.get(Report, report_id)
        report.created_at = report.updated_at = when


# ---------------------------------------------------------------------------------------------- permissions
@pytest.mark.parametrize("path", PAGES + ("/staff/export/gaps.csv", "/staff/export/reports.csv"))
def test_volunteers_get_403_and_strangers_the_login(vapp, people, path):
    response = people["reporter"].get(path)
    assert response.status_code == 403
    assert response.mimetype == "text/html"
    assert language("de").messages["staff_only"] in response.get_data(as_text=True)
    anonymous = client_of(vapp).get(path)
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/staff/login?next=")


def test_staff_only_api_answers_in_json(vapp, people):
    report = create(people["reporter"])
    assert error_of(client_of(vapp).get("/api/reports?include=staff"), 401)["code"] == "login_required"
    assert error_of(people["reporter"].get("/api/reports?include=staff"), 403)["code"] == "staff_only"
    assert error_of(people["reporter"].post(f"/api/reports/{report['id']}/work", json={"work_status": "fixed"}),
                    403)["code"] == "staff_only"
    listed = people["staff"].get("/api/reports?include=staff").get_json()["reports"]
    assert listed[0]["reporter"] == {"id": people["reporter_id"], "name": "Rita", "email": "rita@example.org"}
    # The public list names no one.
    public = client_of(vapp).get("/api/reports").get_json()["reports"][0]
    assert "reporter" not in public and "assignee" not in public and "work_note" not in public
    assert public["work_status"] == "new"


def test_form_posts_need_the_csrf_token(vapp, people):
    report = create(people["reporter"])
    response = people["staff"].post(f"/staff/reports/{report['id']}", data={"work_status": "fixed"},
                                    headers={"X-CSRF-Token": ""})
    assert response.status_code == 403
    assert people["staff"].get(f"/api/reports/{report['id']}").get_json()["report"]["status"] == "new"


def test_login_page(vapp):
    make_user(vapp, "Petra", "staff")
    client = client_of(vapp)
    page = client.get("/staff/login")
    assert page.status_code == 200 and 'autocomplete="current-password"' in page.get_data(as_text=True)
    wrong = client.post("/staff/login", data={"csrf_token": CSRF, "email": "petra@example.org", "password": "nope"})
    assert wrong.status_code == 401 and 'role="alert"' in wrong.get_data(as_text=True)
    right = client.post("/staff/login", data={"csrf_token": CSRF, "email": "petra@example.org", "password": PASSWORD,
                                              "next": "//evil.example/staff"})
    assert right.status_code == 303 and right.headers["Location"].startswith("/staff/?")
    overview = client.get("/staff/")
    assert overview.status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', overview.get_data(as_text=True)).group(1)
    assert token != CSRF  # a login starts a new session with a new token
    assert client.post("/staff/logout", data={"csrf_token": CSRF}).status_code == 403
    assert client.post("/staff/logout", data={"csrf_token": token}).status_code == 303
    assert client.get("/staff/").status_code == 302


# ------------------------------------------------------------------------------------------------- workflow
def test_workflow_new_in_progress_fixed_closes_the_loop_for_volunteers(vapp, people):
    staff = people["staff"]
    report = create(people["reporter"])
    path = f"/api/reports/{report['id']}"
    body = staff.post(f"{path}/work", json={"work_status": "in_progress", "assignee_id": people["other_staff_id"],
                                            "note": "Tiefbauamt prüft"}).get_json()["report"]
    assert (body["status"], body["work_status"]) == ("new", "in_progress")
    detail = staff.get("/api/reports?include=staff&status=all").get_json()["reports"][0]
    assert detail["assignee"]["name"] == "Tiefbau" and detail["work_note"] == "Tiefbauamt prüft"
    # Still open: it still counts for routing.
    assert len(vapp.extensions["lotse.obstacles"]()) == 1
    fixed = staff.post(f"{path}/work", json={"work_status": "fixed", "note": "Baustelle geräumt"}).get_json()["report"]
    assert (fixed["status"], fixed["work_status"]) == ("fixed", "fixed")
    assert people["reporter"].get(path).get_json()["report"]["status"] == "fixed"  # the volunteer sees it
    assert vapp.extensions["lotse.obstacles"]() == ()
    assert [r["id"] for r in client_of(vapp).get("/api/reports?status=fixed").get_json()["reports"]] == [report["id"]]
    assert client_of(vapp).get("/api/reports").get_json()["reports"] == []  # no longer active
    events = staff.get(f"{path}/events").get_json()["events"]
    assert [event["action"] for event in events] == ["created", "work", "work", "fixed"]
    assert events[1]["detail"] == {"work_status": "in_progress", "assignee_id": people["other_staff_id"],
                                   "note": "Tiefbauamt prüft"}
    assert events[3]["actor_id"] == people["staff_id"]
    assert error_of(staff.post(f"{path}/work", json={"work_status": "in_progress"}), 409)["code"] == "report_closed"
    assert error_of(people["voter"].post(f"{path}/votes", json={"answer": "yes"}), 409)["code"] == "report_closed"


def test_workflow_rejects_bad_input(vapp, people):
    report = create(people["reporter"])
    path = f"/api/reports/{report['id']}/work"
    staff = people["staff"]
    assert error_of(staff.post(path, json={"work_status": "done"}), 400)["code"] == "bad_request"
    assert error_of(staff.post(path, json={"assignee_id": people["reporter_id"]}), 400)["message"]  # no staff
    assert error_of(staff.post(path, json={"assignee_id": "1"}), 400)
    assert error_of(staff.post(path, json={"note": "x" * 1001}), 400)
    assert error_of(staff.post(path, json={"priority": 1}), 400)
    assert error_of(staff.post("/api/reports/99999/work", json={"work_status": "fixed"}), 404)["code"] == \
        "report_not_found"
    assert staff.get(f"/api/reports/{report['id']}").get_json()["report"]["work_status"] == "new"


def test_workflow_through_the_report_page(vapp, people):
    report = create(people["reporter"], description="<script>alert(1)</script> Loch im Gehweg")
    staff = people["staff"]
    page = staff.get(f"/staff/reports/{report['id']}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'name="csrf_token"' in html and '<label for="work_status">' in html
    response = staff.post(f"/staff/reports/{report['id']}", data={
        "csrf_token": CSRF, "work_status": "in_progress", "assignee_id": str(people["staff_id"]), "note": "Vor Ort"})
    assert response.status_code == 303 and "saved=1" in response.headers["Location"]
    html = staff.get(response.headers["Location"]).get_data(as_text=True)
    assert "Gespeichert." in html and "Vor Ort" in html and "in Arbeit" in html
    staff.post(f"/staff/reports/{report['id']}", data={"csrf_token": CSRF, "work_status": "fixed",
                                                       "assignee_id": str(people["staff_id"])})
    html = staff.get(f"/staff/reports/{report['id']}?lang=en").get_data(as_text=True)
    assert "This report is closed (fixed)" in html and "<form method=\"post\" action=\"/staff/reports" not in html
    again = staff.post(f"/staff/reports/{report['id']}", data={"csrf_token": CSRF, "work_status": "new"})
    assert again.status_code == 409 and 'role="alert"' in again.get_data(as_text=True)
    assert staff.get("/staff/reports/99999").status_code == 404


# --------------------------------------------------------------------------------------------- report filters
def test_report_filters(vapp, people):
    reporter = people["reporter"]
    old = create(reporter, type="damaged_surface", valid_until=(utcnow() + timedelta(days=80)).isoformat())
    new = create(reporter, type="construction")
    other = create(reporter, type="parked_vehicle", lat=49.4450, lon=7.7700)
    set_created(vapp, old["id"], datetime(2026, 1, 10, 12, tzinfo=timezone.utc))
    client = client_of(vapp)

    def ids(query: str) -> list[int]:
        response = client.get(f"/api/reports?{query}")
        assert response.status_code == 200, response.get_data(as_text=True)
        return sorted(report["id"] for report in response.get_json()["reports"])

    assert ids("type=construction") == [new["id"]]
    assert ids("type=construction,parked_vehicle") == [new["id"], other["id"]]
    assert ids("until=2026-01-10") == [old["id"]]  # a date: to its end
    assert ids("since=2026-01-11") == [new["id"], other["id"]]
    assert ids("since=2026-01-10T12:00:00Z&until=2026-01-10T12:00:01%2B00:00") == [old["id"]]
    assert ids("work_status=new&type=damaged_surface") == [old["id"]]
    assert ids("bbox=49.4449,7.7695,49.4452,7.7705") == [other["id"]]
    for query, field in (("type=pothole", "type"), ("since=yesterday", "since"), ("until=2026-13-01", "until"),
                         ("since=2026-01-01T00:00:00", "since"), ("work_status=done", "work_status"),
                         ("status=open", "status"), ("bbox=1,2,3", "bbox"), ("include=everything", "include")):
        error = error_of(client.get(f"/api/reports?{query}"), 400)
        assert field in error["message"], (query, error)


# -------------------------------------------------------------------------------------------------- gap API
def test_gap_api_filters_and_errors(vapp):
    client = client_of(vapp)
    everything = client.get("/api/gaps?limit=5000").get_json()
    assert everything["total"] == len(everything["gaps"]) > 1000
    assert [gap["rank"] for gap in everything["gaps"]] == list(range(1, everything["total"] + 1))
    steps = client.get("/api/gaps?kind=steps_handrail,steps_count&limit=5000").get_json()
    assert {gap["kind"] for gap in steps["gaps"]} == {"steps_handrail", "steps_count"}
    cell = everything["gaps"][0]["cell"]
    in_cell = client.get(f"/api/gaps?cell={cell}&limit=5000").get_json()["gaps"]
    assert in_cell and all(gap["cell"] == cell for gap in in_cell)
    street = client.get("/api/gaps?street=Mannheimer Straße&limit=5000").get_json()["gaps"]
    assert street and all(gap["street"] == "Mannheimer Straße" for gap in street)
    south, west, north, east = 49.440, 7.760, 49.450, 7.780
    boxed = client.get(f"/api/gaps?bbox={south},{west},{north},{east}&limit=5000").get_json()["gaps"]
    assert boxed and all(south <= g["lat"] <= north and west <= g["lon"] <= east for g in boxed)
    page = client.get("/api/gaps?limit=10&offset=10").get_json()
    assert [gap["rank"] for gap in page["gaps"]] == list(range(11, 21))
    by_kind = client.get("/api/gaps?sort=kind&limit=5000").get_json()["gaps"]
    assert [KINDS.index(gap["kind"]) for gap in by_kind] == sorted(KINDS.index(g["kind"]) for g in by_kind)
    for query, field in (("kind=potholes", "kind"), ("cell=ZZ99", "cell"), ("cell=h3", "cell"), ("limit=0", "limit"),
                         ("limit=5001", "limit"), ("offset=-1", "offset"), ("sort=random", "sort"),
                         ("value=maybe", "value"), ("bbox=north", "bbox")):
        error = error_of(client.get(f"/api/gaps?{query}&lang=en"), 400)
        assert error["code"] == "bad_request" and field in error["message"], (query, error)


def test_summary(vapp, people):
    reporter, staff = people["reporter"], people["staff"]
    first = create(reporter, type="construction")
    create(reporter, type="construction", lat=49.4430, lon=7.7700)  # 200 m away: another obstacle
    create(reporter, type="damaged_surface")
    staff.post(f"/api/reports/{first['id']}/work", json={"work_status": "fixed"})
    body = client_of(vapp).get("/api/gaps/summary").get_json()
    assert body["gaps"]["total"] == sum(body["gaps"]["by_kind"].values()) > 1000
    assert sum(row["total"] for row in body["cells"]) == body["gaps"]["total"]
    assert body["cell_size_m"] == 500 and body["min_count"] == 5
    assert len(body["coverage_weekly"]) == 26 and body["coverage_weekly"][-1]["known_rate"] is not None
    assert {row["attribute"] for row in body["coverage"]} >= {"tactile_paving", "acoustic_signal", "handrail",
                                                              "step_count", "sidewalk"}
    reports = body["reports"]
    assert reports["by_status"]["fixed"] == 1 and reports["by_status"]["new"] == 2
    assert reports["open_by_type"]["construction"] == 1 and reports["open_by_type"]["damaged_surface"] == 1
    assert reports["open_by_age"]["under_7_days"] == 2 and reports["open"] == 2
    assert reports["weekly"][-1]["opened"] == 3 and reports["weekly"][-1]["fixed"] == 1
    assert "reporter" not in json.dumps(body)


def test_openapi_describes_the_new_endpoints(vapp):
    paths = client_of(vapp).get("/api/openapi.json").get_json()["paths"]
    assert {"/api/gaps", "/api/gaps/summary", "/api/reports", "/api/reports/{id}/work", "/api/gaps/map",
            "/api/map/config", "/api/map/graph", "/api/map/reports", "/api/map/quests"} <= set(paths)
    names = {parameter["name"] for parameter in paths["/api/reports"]["get"]["parameters"]}
    assert {"type", "status", "bbox", "since", "until", "include"} <= names


# ------------------------------------------------------------------------------------------------------ pages
@pytest.mark.parametrize("lang", ["de", "en"])
def test_pages_render_for_staff(vapp, people, lang):
    create(people["reporter"])
    for path in PAGES + ("/staff/map?cell=H3", "/staff/gaps?kind=sidewalk&page=2", "/staff/reports?status=all"):
        separator = "&" if "?" in path else "?"
        response = people["staff"].get(f"{path}{separator}lang={lang}")
        html = response.get_data(as_text=True)
        assert response.status_code == 200, (path, html[:500])
        assert f'<html lang="{lang}">' in html
        assert 'class="skip-link" href="#main"' in html and '<main id="main"' in html
        assert len(re.findall(r"<h1[ >]", html)) == 1
        assert 'href="/static/staff/staff.css"' in html
    overview = people["staff"].get(f"/staff/?lang={lang}").get_data(as_text=True)
    assert overview.count('aria-labelledby="chart-') == 2 and "<figcaption>" in overview
    assert "<th scope=\"col\" data-type=\"number\" aria-sort=\"ascending\"><button type=\"button\" class=\"sort\">" \
        in overview


def test_the_filter_form_sent_empty_shows_every_gap(vapp, people):
    total = client_of(vapp).get("/api/gaps").get_json()["total"]
    html = people["staff"].get("/staff/gaps?lang=en&kind=&value=&cell=&street=&sort=priority").get_data(as_text=True)
    assert f"100 of {total:,} entries" in html


def test_bad_page_filters_say_so_in_html(vapp, people):
    response = people["staff"].get("/staff/gaps?kind=nope")
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert 'role="alert"' in response.get_data(as_text=True)


def test_the_map_has_a_text_alternative_and_the_same_counts_as_the_tables(vapp, people):
    create(people["reporter"])
    html = people["staff"].get("/staff/map?kind=signal_acoustic").get_data(as_text=True)
    assert 'role="img" aria-labelledby="map-caption"' in html
    caption = re.search(r'<figcaption id="map-caption">(.*?)</figcaption>', html, re.S).group(1)
    total = client_of(vapp).get("/api/gaps?kind=signal_acoustic").get_json()["total"]
    assert f"{total} Lücken und 1 offene Meldungen" in caption
    assert html.count('<use href="#sym-square" class="gap signal_acoustic"') == total
    assert 'href="/staff/gaps?' in caption


def test_counts_below_five_read_fewer_than_5(vapp, people):
    counter = usage.counter_of(vapp)
    counter.reset()
    top = client_of(vapp).get("/api/gaps?limit=1").get_json()["gaps"][0]
    html = people["staff"].get("/staff/gaps?lang=en").get_data(as_text=True)
    assert top["routes"] is None and "fewer than 5" in html


# ---------------------------------------------------------------------------------------------------- exports
def test_gap_exports_parse_back(vapp, people):
    staff = people["staff"]
    expected = client_of(vapp).get("/api/gaps?kind=signal_acoustic&limit=5000").get_json()["gaps"]
    response = staff.get("/staff/export/gaps.csv?kind=signal_acoustic")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [row["id"] for row in rows] == [gap["id"] for gap in expected]
    # Ranks are the city-wide ones (a filter picks, it does not re-rank).
    assert [int(row["rank"]) for row in rows] == sorted(gap["rank"] for gap in expected)
    assert float(rows[0]["lat"]) == expected[0]["lat"]
    assert {row["routes"] for row in rows} == {""}  # fewer than 5: left empty
    geo = json.loads(staff.get("/staff/export/gaps.geojson?kind=signal_acoustic").get_data(as_text=True))
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) == len(expected)
    feature = geo["features"][0]
    assert feature["geometry"] == {"type": "Point", "coordinates": [expected[0]["lon"], expected[0]["lat"]]}
    assert feature["properties"]["id"] == expected[0]["id"] and feature["properties"]["kind"] == "signal_acoustic"
    everything = list(csv.DictReader(io.StringIO(staff.get("/staff/export/gaps.csv").get_data(as_text=True))))
    assert len(everything) == client_of(vapp).get("/api/gaps").get_json()["total"]
    assert staff.get("/staff/export/gaps.xlsx").status_code == 404


def test_report_exports_parse_back(vapp, people):
    staff = people["staff"]
    first = create(people["reporter"], description="=HYPERLINK(\"http://x\") Baustelle, \"groß\"")
    second = create(people["reporter"], type="damaged_surface", lat=49.4450, lon=7.7700)
    staff.post(f"/api/reports/{first['id']}/work", json={"work_status": "in_progress",
                                                          "assignee_id": people["staff_id"]})
    rows = list(csv.DictReader(io.StringIO(staff.get("/staff/export/reports.csv").get_data(as_text=True))))
    assert [int(row["id"]) for row in rows] == [second["id"], first["id"]]
    row = rows[1]
    assert row["description"] == "'=HYPERLINK(\"http://x\") Baustelle, \"groß\""  # no formula in a spreadsheet
    assert (row["work_status"], row["assignee"], row["type"]) == ("in_progress", "Stadt", "construction")
    assert "email" not in row and row["reporter_id"] == str(people["reporter_id"])
    only = list(csv.DictReader(io.StringIO(staff.get("/staff/export/reports.csv?type=damaged_surface")
                                           .get_data(as_text=True))))
    assert [int(row["id"]) for row in only] == [second["id"]]
    geo = json.loads(staff.get("/staff/export/reports.geojson").get_data(as_text=True))
    assert [feature["properties"]["id"] for feature in geo["features"]] == [second["id"], first["id"]]
    lon, lat = geo["features"][0]["geometry"]["coordinates"]
    assert lat == pytest.approx(49.4450, abs=2e-3) and lon == pytest.approx(7.7700, abs=2e-3)


def test_staff_report_lists_refuse_a_bad_filter_naming_it(vapp, people):
    staff = people["staff"]
    open_ones = staff.get("/staff/export/reports.csv?status=open")
    assert open_ones.status_code == 200
    for path, field in (("/staff/reports?status=gone", "status"), ("/staff/reports?type=pothole", "type"),
                        ("/staff/export/reports.csv?work_status=done", "work_status"),
                        ("/staff/export/reports.geojson?since=yesterday", "since")):
        response = staff.get(path)
        assert response.status_code == 400, path
        assert field in response.get_data(as_text=True), path


def test_osmchange_export_of_accepted_answers(mini_graph):
    app = create_app({"TESTING": True, "OSM": str(MINI_OSM)}, graph=mini_graph)
    staff = client_of(app, make_user(app, "Stadt", "staff"))
    with db.app_session(app, write=True) as session:
        session.add(AcceptedFact(quest_id="way/103/sidewalk", element="way", osm_id=103, key="sidewalk", value="both"))
        session.add(AcceptedFact(quest_id="node/8/tactile_paving", element="node", osm_id=8, key="tactile_paving",
                                 value="no"))
    response = staff.get("/staff/export/facts.osc")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    document = ET.fromstring(response.data)
    assert document.tag == "osmChange"
    modified = {(element.tag, element.get("id")): {tag.get("k"): tag.get("v") for tag in element.iter("tag")}
                for element in document.find("modify")}
    assert modified[("way", "103")]["sidewalk"] == "both" and modified[("way", "103")]["name"] == "Rosenweg"
    assert modified[("node", "8")]["tactile_paving"] == "no"
    # Without OSM configured the graph's own source is used; when that file is gone, the page says so.
    missing = create_app({"TESTING": True}, graph=dataclasses.replace(mini_graph, meta={**mini_graph.meta,
                                                                                     "source": "/nowhere.osm"}))
    response = client_of(missing, make_user(missing, "Stadt", "staff")).get("/staff/export/facts.osc")
    assert response.status_code == 404 and 'role="alert"' in response.get_data(as_text=True)


def test_every_highway_value_of_the_city_has_a_label_in_both_languages(city_graph):
    values = {value for value in city_graph.texts["highway"] if value}
    for code in ("de", "en"):
        staff = language(code).table("staff")
        missing = sorted(value for value in values if f"highway_{value}" not in staff)
        assert missing == [], (code, missing)
    assert language("de").table("staff")["highway_tertiary"] == "Kreisstraße"


def test_the_map_page_hands_the_table_filters_to_the_web_map(vapp, people):
    html = people["staff"].get("/staff/map?kind=sidewalk&value=unknown&street=Marktstra%C3%9Fe&sort=size&lang=en")
    assert html.status_code == 200
    text = html.get_data(as_text=True)
    settings = json.loads(html_unescape(re.search(r'<div id="web-map"[^>]* data-settings="([^"]*)"', text).group(1)))
    assert settings["filters"] == {"kind": "sidewalk", "value": "unknown", "street": "Marktstraße"}
    assert settings["lang"] == "en" and settings["kinds"] == list(KINDS) and settings["tile_url"] is None
    assert settings["texts"]["highways"]["residential"] == "Residential street"
    assert 'id="svg-map"' in text  # the drawn map for a browser without JavaScript
