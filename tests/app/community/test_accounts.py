"""Volunteer accounts (app.community.accounts, app.core.security): register, log in and out, CSRF, rate limits, staff accounts."""

from __future__ import annotations

import json
import time

from click.testing import CliRunner

from app import create_app
from app.cli import main
from tests.app.conftest import redis_prefix
from tests.app.volunteer_helpers import PASSWORD, client_of, error_of, make_user, volunteer

NEW = {"name": "Vera Freiwillig", "email": " Vera@Example.org ", "password": "eine lange Passphrase"}


def fresh_client(app):
    """An anonymous client that fetched its CSRF token the way the web app does."""
    client = app.test_client()
    token = client.get("/api/csrf").get_json()["csrf_token"]
    client.environ_base["HTTP_X_CSRF_TOKEN"] = token
    return client


def test_register_logs_in_with_a_safe_cookie(vapp):
    client = fresh_client(vapp)
    response = client.post("/api/accounts/register", json=NEW)
    assert response.status_code == 201
    body = response.get_json()
    assert body["user"]["email"] == "vera@example.org"
    assert body["user"]["role"] == "volunteer"
    assert "password" not in json.dumps(body)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    # A login gets a new CSRF token; the old one no longer works.
    old = client.environ_base["HTTP_X_CSRF_TOKEN"]
    assert body["csrf_token"] != old
    assert error_of(client.post("/api/accounts/logout"), 403)["code"] == "csrf_failed"
    assert client.get("/api/accounts/me").get_json()["user"]["name"] == "Vera Freiwillig"


def test_cookies_are_secure_unless_testing(mini_graph):
    app = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "k"}, graph=mini_graph)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    response = app.test_client().get("/api/csrf")
    assert "Secure" in response.headers["Set-Cookie"]


def test_register_refuses_a_taken_email_and_a_short_password(vapp):
    client = fresh_client(vapp)
    assert client.post("/api/accounts/register", json=NEW).status_code == 201
    other = fresh_client(vapp)
    assert error_of(other.post("/api/accounts/register", json=NEW), 409)["code"] == "email_taken"
    error = error_of(other.post("/api/accounts/register", json={**NEW, "email": "b@example.org", "password": "kurz"}),
                     400)
    assert error["code"] == "weak_password"
    assert "mindestens 10" in error["message"]
    error = error_of(other.post("/api/accounts/register", json={**NEW, "email": "kein-at"}), 400)
    assert error["code"] == "bad_request" and "email" in error["message"]


def test_login_wrong_password_and_logout(vapp):
    make_user(vapp, "Lena")
    client = fresh_client(vapp)
    wrong = client.post("/api/accounts/login", json={"email": "lena@example.org", "password": "falsch falsch"})
    assert error_of(wrong, 401)["code"] == "bad_login"
    unknown = client.post("/api/accounts/login", json={"email": "nobody@example.org", "password": PASSWORD,
                                                       "lang": "en"})
    assert error_of(unknown, 401)["message"] == "The email address or the password is wrong."
    assert error_of(client.get("/api/accounts/me"), 401)["code"] == "login_required"

    response = client.post("/api/accounts/login", json={"email": "LENA@example.org", "password": PASSWORD})
    assert response.status_code == 200
    client.environ_base["HTTP_X_CSRF_TOKEN"] = response.get_json()["csrf_token"]
    assert client.get("/api/accounts/me").get_json()["user"]["email"] == "lena@example.org"
    with client.session_transaction() as session:
        stolen = dict(session)

    assert client.post("/api/accounts/logout").status_code == 204
    assert error_of(client.get("/api/accounts/me"), 401)["code"] == "login_required"
    # A copy of the cookie from before the logout is worth nothing either.
    replay = vapp.test_client()
    with replay.session_transaction() as session:
        session.update(stolen)
    assert error_of(replay.get("/api/accounts/me"), 401)["code"] == "login_required"


def test_state_changes_need_the_csrf_token(vapp):
    user = make_user(vapp, "Mia")
    client = client_of(vapp, user)
    del client.environ_base["HTTP_X_CSRF_TOKEN"]
    for path, body in [("/api/accounts/logout", {}), ("/api/reports", {"type": "other", "lat": 49.4447, "lon": 7.769}),
                       ("/api/quests/answer", {"quest": "node/1/kerb", "answer": "flush"}),
                       ("/api/reports/1/votes", {"answer": "yes"})]:
        error = error_of(client.post(path, json=body), 403)
        assert error["code"] == "csrf_failed"
        assert error["message"].startswith("Die Sicherheitsprüfung ist fehlgeschlagen")
    client.environ_base["HTTP_X_CSRF_TOKEN"] = "forged"
    assert error_of(client.post("/api/accounts/logout"), 403)["code"] == "csrf_failed"
    # Reading needs no token, nor does planning a route (anonymous and free of side effects).
    assert client.get("/api/accounts/me").status_code == 200
    route = client.post("/api/route", json={"from": {"lat": 49.4447, "lon": 7.7690},
                                            "to": {"lat": 49.4430, "lon": 7.7700}})
    assert route.status_code == 200


def test_login_is_rate_limited_per_ip_and_email(vapp, monkeypatch):
    monkeypatch.setitem(vapp.config, "RATE_LIMIT_LOGIN", "3/minute")
    make_user(vapp, "Olga")
    client = fresh_client(vapp)
    attempt = {"email": "olga@example.org", "password": "nicht das Passwort"}
    for _ in range(3):
        assert client.post("/api/accounts/login", json=attempt).status_code == 401
    response = client.post("/api/accounts/login", json={**attempt, "password": PASSWORD})
    error = error_of(response, 429)
    assert error["code"] == "rate_limited"
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert f"{response.headers['Retry-After']} Sekunden" in error["message"]
    other = client.post("/api/accounts/login", json={"email": "someone@example.org", "password": PASSWORD})
    assert other.status_code == 401


def test_a_login_flood_from_one_address_is_limited_whatever_the_emails(vapp):
    client = fresh_client(vapp)
    statuses = [client.post("/api/accounts/login", json={"email": f"user{i}@example.org", "password": "x" * 12})
                .status_code for i in range(30)]
    assert 429 in statuses[:10] and set(statuses[statuses.index(429):]) == {429}
    assert set(statuses[:statuses.index(429)]) == {401}
    staff_form = client.post("/staff/login", data={"email": "amt@example.org", "password": "x" * 12})
    assert staff_form.status_code == 429  # one limit for the staff login and the API
    other = fresh_client(vapp)
    other.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert other.post("/api/accounts/login", json={"email": "user0@example.org", "password": "x" * 12}).status_code \
        == 401


def test_registrations_are_limited_per_address(vapp):
    statuses = [fresh_client(vapp).post("/api/accounts/register", json={
        "name": "N", "email": f"n{i}@example.org", "password": "x" * 12}).status_code for i in range(8)]
    assert statuses[:5] == [201] * 5 and statuses[5:] == [429] * 3


def test_password_hashes_beyond_the_cap_get_a_fast_503(vapp, monkeypatch):
    monkeypatch.setitem(vapp.config, "PASSWORD_HASH_WAIT_S", 0.05)
    slots = vapp.extensions["lotse.hash_slots"]
    held = [slots.acquire(blocking=False) for _ in range(vapp.config["PASSWORD_HASHES_AT_ONCE"])]
    assert all(held)  # every slot busy, as under a flood of logins
    try:
        started = time.monotonic()
        response = fresh_client(vapp).post("/api/accounts/login", json={"email": "a@example.org",
                                                                         "password": "x" * 12, "lang": "en"})
        assert time.monotonic() - started < 1.0
        assert error_of(response, 503)["code"] == "busy" and response.headers["Retry-After"] == "1"
    finally:
        for _ in held:
            slots.release()
    assert fresh_client(vapp).post("/api/accounts/login", json={"email": "a@example.org",
                                                                 "password": "x" * 12}).status_code == 401


def test_create_staff_command(vapp, database_url):
    runner = CliRunner()
    args = ["create-staff", "--database-url", database_url, "--email", "Amt@Kaiserslautern.de", "--name", "Sam"]
    result = runner.invoke(main, [*args, "--password-stdin"], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["role"] == "staff"
    again = runner.invoke(main, [*args, "--password-stdin"], input=PASSWORD + "\n")
    assert again.exit_code == 1 and "exists already" in again.output
    short = runner.invoke(main, ["create-staff", "--database-url", database_url, "--email", "b@example.org",
                                 "--name", "B", "--password-stdin"], input="kurz\n")
    assert short.exit_code == 1 and "10 to 1024 characters" in short.output

    client = fresh_client(vapp)
    response = client.post("/api/accounts/login", json={"email": "amt@kaiserslautern.de", "password": PASSWORD})
    assert response.get_json()["user"]["role"] == "staff"


def test_staff_only_actions_are_403_for_volunteers(vapp):
    staff = volunteer(vapp, "Sam", role="staff")
    reporter = volunteer(vapp, "Rita")
    created = reporter.post("/api/reports", json={"type": "other", "lat": 49.4447, "lon": 7.7690})
    report_id = created.get_json()["report"]["id"]
    for path in (f"/api/reports/{report_id}/resolve", f"/api/reports/{report_id}/reject"):
        error = error_of(reporter.post(path, json={}), 403)
        assert error["code"] == "staff_only"
        assert error_of(client_of(vapp).post(path, json={}), 401)["code"] == "login_required"
    assert error_of(reporter.get(f"/api/reports/{report_id}/events"), 403)["code"] == "staff_only"
    assert staff.get(f"/api/reports/{report_id}/events").status_code == 200


def test_two_processes_share_the_login_limit_through_redis(city_graph, redis_url):
    """With LOTSE_REDIS_URL the limits live in Redis: a flood spread over two server processes is one flood."""
    with redis_prefix(redis_url) as prefix:
        apps = [create_app({"TESTING": True, "REDIS_URL": redis_url, "REDIS_PREFIX": prefix}, graph=city_graph)
                for _ in range(2)]
        statuses = []
        for i in range(12):
            client = fresh_client(apps[i % 2])
            statuses.append(client.post("/api/accounts/login", json={"email": f"u{i}@example.org",
                                                                      "password": "x" * 12}).status_code)
        for app in apps:
            app.extensions["lotse.bus"].stop()
    assert statuses[:8] == [401] * 8 and statuses[8:] == [429] * 4
