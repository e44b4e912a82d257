"""Every reply of the volunteer and staff API is what the OpenAPI document says it is (the `Reply` models): a whole
volunteer's and staff member's day through the API, each success body checked against the documented schema of its
path, method and status, on SQLite and PostgreSQL. Schemathesis checks the same against a running server with
random input; this walks the paths random input rarely reaches (existing reports, merged reports, staff details)."""

from __future__ import annotations

import jsonschema_rs
import pytest

from tests.app.volunteer_helpers import PASSWORD, client_of, make_user, volunteer

CENTRE = {"lat": 49.4447, "lon": 7.7690}
BOX = "49.440,7.760,49.450,7.780"


@pytest.fixture()
def check(vapp):
    document = client_of(vapp).get("/api/openapi.json").get_json()
    seen: set[tuple[str, str]] = set()

    def conforms(response, path: str, method: str = "get") -> dict:
        """The response's body, after checking it against the document's schema for `path` (a template)."""
        status = str(response.status_code)
        assert response.status_code < 300, response.get_data(as_text=True)
        documented = document["paths"][path][method]["responses"][status]
        seen.add((path, method))
        if "content" not in documented:
            assert not response.get_data()
            return {}
        schema = documented["content"]["application/json"]["schema"]
        validator = jsonschema_rs.Draft202012Validator({**schema, "components": document["components"]})
        body = response.get_json()
        errors = [f"{error.instance_path}: {error.message}" for error in validator.iter_errors(body)]
        assert not errors, (path, method, status, errors[:5])
        return body

    conforms.seen = seen
    return conforms


def test_every_reply_of_the_volunteer_and_staff_api_is_as_documented(vapp, check):
    anonymous = client_of(vapp)
    check(anonymous.get("/api/csrf"), "/api/csrf")
    registered = check(anonymous.post("/api/accounts/register", json={
        "name": "Vera", "email": "vera@example.org", "password": PASSWORD}), "/api/accounts/register", "post")
    anonymous.environ_base["HTTP_X_CSRF_TOKEN"] = registered["csrf_token"]  # a login starts a fresh session
    check(anonymous.get("/api/accounts/me"), "/api/accounts/me")
    check(anonymous.post("/api/accounts/logout"), "/api/accounts/logout", "post")
    make_user(vapp, "Sam", "staff")
    staff = client_of(vapp)
    logged_in = check(staff.post("/api/accounts/login", json={"email": "sam@example.org", "password": PASSWORD}),
                      "/api/accounts/login", "post")
    staff.environ_base["HTTP_X_CSRF_TOKEN"] = logged_in["csrf_token"]

    reporter, other = volunteer(vapp, "Rita"), volunteer(vapp, "Otto")
    made = check(reporter.post("/api/reports", json={"type": "construction", "description": "Gerüst", **CENTRE}),
                 "/api/reports", "post")["report"]
    merged = check(other.post("/api/reports", json={"type": "construction", **CENTRE}), "/api/reports", "post")
    assert merged["merged"] is True
    second = check(reporter.post("/api/reports", json={"type": "other", "lat": 49.4430, "lon": 7.7700}),
                   "/api/reports", "post")["report"]
    path = f"/api/reports/{made['id']}"
    check(anonymous.get(path), "/api/reports/{id}")
    check(anonymous.get("/api/reports", query_string=CENTRE), "/api/reports")
    check(anonymous.get("/api/reports", query_string={"bbox": BOX, "status": "all"}), "/api/reports")
    listed = check(staff.get("/api/reports", query_string={"include": "staff", "status": "all", **CENTRE}),
                   "/api/reports")["reports"]
    assert listed and all("reporter" in item for item in listed)
    check(volunteer(vapp, "Uwe").post(f"{path}/votes", json={"answer": "unsure"}), "/api/reports/{id}/votes", "post")
    staff_id = make_user(vapp, "Sina", "staff")
    check(staff.post(f"{path}/work", json={"work_status": "in_progress", "assignee_id": staff_id, "note": "Bauamt"}),
          "/api/reports/{id}/work", "post")
    check(staff.post(f"{path}/resolve", json={"note": "weg"}), "/api/reports/{id}/resolve", "post")
    check(staff.post(f"/api/reports/{second['id']}/reject", json={}), "/api/reports/{id}/reject", "post")
    events = check(staff.get(f"{path}/events"), "/api/reports/{id}/events")["events"]
    assert {"created", "vote", "work", "resolved"} <= {event["action"] for event in events}

    quests = check(other.get("/api/quests", query_string={**CENTRE, "radius": 1000}), "/api/quests")["quests"]
    assert quests
    choice = next(quest for quest in quests if quest["answer_type"] == "choice")
    check(other.post("/api/quests/answer", json={"quest": choice["id"], "answer": choice["answers"][0]["value"]}),
          "/api/quests/answer", "post")

    check(staff.get("/api/gaps", query_string={"limit": 20}), "/api/gaps")
    check(staff.get("/api/gaps/summary"), "/api/gaps/summary")
    check(staff.get("/api/staff/map/reload"), "/api/staff/map/reload")
    check(staff.get("/api/accounts/me"), "/api/accounts/me")
    assert len(check.seen) == 18  # all but the map reload's start (tests/app/test_map_reload.py)
