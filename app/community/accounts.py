"""Volunteer accounts: register, log in and out, who am I, and the CSRF token for the volunteer API.

Walkers need no account. Staff accounts are made with `lotse create-staff`.
"""

from __future__ import annotations

from typing import Literal

from flask import Blueprint, jsonify, request
from pydantic import Field
from sqlalchemy.exc import IntegrityError

from app.core import db, security
from app.core.inputs import Body, Reply, Text, parse_body
from app.core.models import User
from routing.errors import LotseError

bp = Blueprint("accounts", __name__, url_prefix="/api")
security.protect(bp)

PASSWORD_MIN_LENGTH = 10


def normalise_email(value: object) -> str:
    """Lower-cased, trimmed; LotseError unless it looks like an address."""
    if not isinstance(value, str):
        raise LotseError('"email" must be a string', field="email")
    email = value.strip().lower()
    local, _, domain = email.partition("@")
    if not local or "." not in domain or len(email) > 254 or any(c.isspace() for c in email):
        raise LotseError('"email" is not an email address', field="email")
    return email


def check_name(value: object) -> str:
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > 80:
        raise LotseError('"name" must be 1 to 80 characters', field="name")
    return value.strip()


def check_password(value: object) -> str:
    if not isinstance(value, str):
        raise LotseError('"password" must be a string', field="password")
    if not PASSWORD_MIN_LENGTH <= len(value) <= security.PASSWORD_MAX_LENGTH:
        raise LotseError(code="weak_password", status=400, min_length=PASSWORD_MIN_LENGTH, max_length=security.PASSWORD_MAX_LENGTH)
    return value


class Registration(Body):
    name: Text
    email: Text
    password: Text


class Login(Body):
    email: Text
    password: Text


class UserOut(Reply):
    id: int
    name: str
    email: str
    role: Literal["volunteer", "staff"]


class Me(Reply):
    user: UserOut


class LoggedIn(Me):
    csrf_token: str = Field(description="Send it as X-CSRF-Token with every POST")


class CsrfToken(Reply):
    csrf_token: str


@bp.get("/csrf")
def csrf():
    """The session's CSRF token: send it as `X-CSRF-Token` with every POST to the volunteer API."""
    return jsonify(csrf_token=security.csrf_token())


@bp.post("/accounts/register")
def register():
    """`{"name", "email", "password"}` → a volunteer account, logged in (201)."""
    security.rate_limit("register", request.remote_addr or "")
    body = parse_body(Registration)
    name, email, password = check_name(body.name), normalise_email(body.email), check_password(body.password)
    db_session = db.session()
    user = User(name=name, email=email, password_hash=security.hash_password(password), role="volunteer")
    db_session.add(user)
    try:
        db_session.commit()
    except IntegrityError:
        db_session.rollback()
        raise LotseError(code="email_taken", status=409) from None
    return jsonify(user=user.to_dict(), csrf_token=security.log_in(user)), 201


@bp.post("/accounts/login")
def login():
    """`{"email", "password"}` → the user and a fresh CSRF token; 401 for a wrong email or password."""
    body = parse_body(Login)
    if len(body.password) > security.PASSWORD_MAX_LENGTH:
        raise LotseError(f'"password" must be at most {security.PASSWORD_MAX_LENGTH} characters', field="password")
    user = security.authenticate(normalise_email(body.email), body.password)
    return jsonify(user=user.to_dict(), csrf_token=security.log_in(user))


@bp.post("/accounts/logout")
def logout():
    """End the session, and every other session of the same user."""
    security.log_out()
    return "", 204


@bp.get("/accounts/me")
def me():
    """The logged-in user; 401 when there is none."""
    return jsonify(user=security.require_user().to_dict())
