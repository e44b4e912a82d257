"""Hostile input on every path (app.core.inputs): a clear 400 (or 404 for an id that cannot exist) in the request's
language, never a 5xx, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.app.volunteer_helpers import CSRF, PASSWORD, client_of, error_of, make_user, volunteer

CENTRE = {"lat": 49.4447, "lon": 7.7690}
JSON_POSTS = ["/api/route", "/api/accounts/register", "/api/accounts/login", "/api/reports", "/api/reports/1/votes",
              "/api/reports/1/resolve", "/api/reports/1/reject", "/api/reports/1/work", "/api/quests/answer"]


@pytest.fixture()
def staff(vapp):
    return volunteer(vapp, "Sam", role="staff")


def post_raw(client, path: str, text: str, **headers: str):
    return client.post(path, data=text, content_type="application/json", headers=headers)


@pytest.mark.parametrize("path", JSON_POSTS)
def test_json_nested_a_thousand_deep_is_a_400_in_the_request_language(vapp, staff, path):
    nested = "[" * 1000 + "]" * 1000
    for text in (nested, '{"lang": "en", "x": ' + nested + "}"):
        response = post_raw(staff, path, text, **{"Accept-Language": "en"})
        error = error_of(response, 400)
        assert error["code"] in ("bad_json", "bad_request")
        assert error["message"].startswith("The request")


@pytest.mark.parametrize("path", ["/api/route", "/api/reports"])
def test_four_hundred_digit_numbers_are_a_400(vapp, staff, path):
    huge = "9" * 400
    text = ('{"from": {"lat": %s, "lon": 7.77}, "to": {"lat": 49.45, "lon": 7.78}}' % huge if path == "/api/route"
            else '{"type": "other", "lat": %s, "lon": 7.77}' % huge)
    assert error_of(post_raw(staff, path, text), 400)["code"] == "bad_coordinate"


@pytest.mark.parametrize("report_id", ["2147483648", "9223372036854775808", "9" * 400, "0", "²"])
def test_ids_beyond_the_column_are_404(vapp, staff, report_id):
    for method, suffix, body in (("get", "", None), ("post", "/votes", {"answer": "yes"}), ("get", "/events", None),
                                 ("post", "/resolve", {}), ("post", "/work", {"note": "x"})):
        response = getattr(staff, method)(f"/api/reports/{report_id}{suffix}", json=body)
        assert response.status_code == 404, (suffix, response.get_data(as_text=True))
        assert response.is_json
    assert staff.get(f"/staff/reports/{report_id}").status_code == 404


def test_assignee_ids_beyond_the_column_and_of_the_wrong_type_are_400(vapp, staff):
    report = volunteer(vapp, "Rita").post("/api/reports", json={"type": "other", **CENTRE}).get_json()["report"]
    for assignee in (2**31, 2**63, "1", True, 1.5, [1]):
        error = error_of(staff.post(f"/api/reports/{report['id']}/work", json={"assignee_id": assignee}), 400)
        assert "assignee_id" in error["message"]
    me = staff.get("/api/accounts/me").get_json()["user"]["id"]
    assert staff.post(f"/api/reports/{report['id']}/work", json={"assignee_id": me}).status_code == 200
    for assignee in ("²", "٣", "2147483648", "9" * 400, "1.5", "-1"):
        form = staff.post(f"/staff/reports/{report['id']}", data={"assignee_id": assignee, "work_status": "new",
                                                                  "csrf_token": "test-csrf-token"})
        assert form.status_code == 400 and 'role="alert"' in form.get_data(as_text=True), assignee
    # A bad number is never read as "nobody": the assignee stays.
    assert staff.get("/api/reports?include=staff&status=all").get_json()["reports"][0]["assignee"]["id"] == me


@pytest.mark.parametrize(("path", "args"), [
    ("/api/geocode", {"q": "Rathaus", "limit": "²"}),
    ("/api/geocode", {"q": "Rathaus", "limit": "٣"}),
    ("/api/gaps", {"limit": "²"}),
    ("/api/gaps", {"offset": "²"}),
    ("/api/reports", {"lat": "4٩.44", "lon": "7.76"}),
    ("/api/reports", {"bbox": "1e400,0,1,1"}),
    ("/api/quests", {"lat": "49.44", "lon": "7.76", "radius": "1e400"}),
])
def test_unicode_digits_and_huge_numbers_in_query_strings_are_400(vapp, staff, path, args):
    error_of(staff.get(path, query_string=args), 400)


def test_unicode_digits_in_staff_pages_and_quests(vapp, staff):
    assert staff.get("/staff/reports", query_string={"page": "²"}).status_code == 400
    answering = volunteer(vapp, "Otto")
    error = error_of(answering.post("/api/quests/answer", json={"quest": "node/²/step_count", "answer": "3"}), 404)
    assert error["code"] == "quest_not_found"
    quests = answering.get("/api/quests", query_string={**CENTRE, "radius": 1000}).get_json()["quests"]
    steps = next((quest for quest in quests if quest["id"].endswith("/step_count")), None)
    if steps is not None:
        for count in ("²", "٣", "9" * 400, True, 2.5):
            response = answering.post("/api/quests/answer", json={"quest": steps["id"], "answer": count})
            assert error_of(response, 400)["code"] == "bad_answer"


@pytest.mark.parametrize("bad", ["\ud800", "a\x00b"], ids=["lone-surrogate", "nul"])
@pytest.mark.parametrize(("path", "field", "body"), [
    ("/api/accounts/register", "name", {"name": "X", "email": "x@example.org", "password": "lang genug 123"}),
    ("/api/accounts/register", "email", {"name": "X", "email": "x@example.org", "password": "lang genug 123"}),
    ("/api/accounts/register", "password", {"name": "X", "email": "x@example.org", "password": "lang genug 123"}),
    ("/api/accounts/login", "password", {"email": "x@example.org", "password": "lang genug 123"}),
    ("/api/accounts/login", "email", {"email": "x@example.org", "password": "lang genug 123"}),
    ("/api/reports", "description", {"type": "other", **CENTRE, "description": ""}),
    ("/api/reports/{id}/resolve", "note", {"note": ""}),
    ("/api/reports/{id}/work", "note", {"note": ""}),
])
def test_text_fields_refuse_lone_surrogates_and_nul_naming_the_field(vapp, staff, path, field, body, bad):
    if "{id}" in path:
        report = volunteer(vapp, "Rita").post("/api/reports", json={"type": "other", **CENTRE}).get_json()["report"]
        path = path.format(id=report["id"])
    value = body[field] + bad
    client = staff if path.startswith("/api/reports") else client_of(vapp)
    error = error_of(client.post(path, json={**body, field: value, "lang": "en"}), 400)
    assert f"“{field}”" in error["message"]


@pytest.mark.parametrize("value", [["construction"], {"a": 1}, 7, None, True])
def test_type_fields_must_be_strings(vapp, staff, value):
    error = error_of(staff.post("/api/reports", json={"type": value, **CENTRE, "lang": "en"}), 400)
    assert "“type”" in error["message"]
    assert error_of(staff.post("/api/reports/1/votes", json={"answer": [value]}), 400)


def test_the_staff_login_redirects_only_to_staff_paths(vapp):
    make_user(vapp, "Sam", "staff")
    for target in ("/staff\r\nSet-Cookie: x=1", "//evil.example/staff", "https://evil.example/", "/staff\\..",
                   "/staff/\x00", "/staff/reports?status=new"):
        vapp.extensions["lotse.rate_limiter"].storage.reset()
        response = client_of(vapp).post("/staff/login", data={"email": "sam@example.org", "password": PASSWORD,
                                                              "next": target, "csrf_token": CSRF})
        assert response.status_code == 303
        location = response.headers["Location"]
        if target == "/staff/reports?status=new":
            assert location == target
        else:
            assert location.split("?")[0] == "/staff/"  # the overview, whatever was asked for
        assert "Set-Cookie: x" not in str(response.headers)


def test_an_oversized_body_is_the_documented_413_too_large(vapp, staff):
    big = '{"description": "' + "x" * (70 * 1024) + '"}'
    assert error_of(post_raw(staff, "/api/reports", big), 413)["code"] == "too_large"
    document = client_of(vapp).get("/api/openapi.json").get_json()
    with_body = [operation for item in document["paths"].values() for operation in item.values()
                 if "requestBody" in operation]
    assert len(with_body) > 10 and all("413" in operation["responses"] for operation in with_body)
