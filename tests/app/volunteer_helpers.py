"""Helpers of the volunteer API tests: accounts made straight in the database, logged-in test clients."""

from __future__ import annotations

from functools import cache

from flask import Flask
from flask.testing import FlaskClient

from app.core import db
from app.core.models import User
from app.core.security import hash_password

PASSWORD = "correct horse battery"
CSRF = "test-csrf-token"


@cache
def password_hash() -> str:
    """Argon2 is slow on purpose: hash the tests' one password once."""
    return hash_password(PASSWORD)


def make_user(app: Flask, name: str, role: str = "volunteer") -> int:
    """A user with PASSWORD and the email `<name>@example.org`; returns the id."""
    with db.app_session(app, write=True) as session:
        user = User(email=f"{name.lower()}@example.org", name=name, password_hash=password_hash(), role=role)
        session.add(user)
        session.flush()
        return user.id


def client_of(app: Flask, user_id: int | None = None) -> FlaskClient:
    """A test client with a CSRF token (sent on every request), logged in as `user_id` unless None."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["csrf"] = CSRF
        if user_id is not None:
            session["uid"], session["epoch"] = user_id, 0
    client.environ_base["HTTP_X_CSRF_TOKEN"] = CSRF
    return client


def volunteer(app: Flask, name: str, role: str = "volunteer") -> FlaskClient:
    """A logged-in client of a new user."""
    return client_of(app, make_user(app, name, role))


def error_of(response, status: int) -> dict:
    """The `{"code", "message"}` of a JSON error response, after checking its status and shape."""
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["message"] and "Traceback" not in body["error"]["message"]
    return body["error"]
