"""Passwords, sessions, CSRF and rate limits for the volunteer API.

Passwords are hashed with Argon2id (argon2-cffi, RFC 9106 parameters). Sessions are Flask's signed cookies (Secure,
HttpOnly, SameSite=Lax); every state-changing call to the volunteer API must carry the session's CSRF token in the
`X-CSRF-Token` header.

Rate limits are counted by `limits` (moving windows, in Redis when `LOTSE_REDIS_URL` is set so that every process
shares them, else in this process's memory), called where the key is known (`rate_limit`); not through
Flask-Limiter's extension, whose hooks ran on every request, `/api/route` too, to find no limit there. Logins are
limited per address and email and, whatever the emails, per address; registrations per address. At most `PASSWORD_HASHES_AT_ONCE` Argon2 hashes (64 MiB each) run at once: a
request that waits longer than `PASSWORD_HASH_WAIT_S` for one gets 503 with `Retry-After`, so a login flood can
neither exhaust the memory nor slow down route planning.
"""

from __future__ import annotations

import hmac
import logging
import math
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Blueprint, Flask, current_app, g, has_app_context, request, session
from limits import parse_many
from limits.errors import StorageError
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import select

from app.core import db
from app.core.inputs import is_text
from app.core.models import User
from routing.errors import LotseError

log = logging.getLogger(__name__)

_HASHER = PasswordHasher()
PASSWORD_MAX_LENGTH = 1024  # hashing a megabyte "password" is a cheap way to burn the server's time
_STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


# ------------------------------------------------------------------------------------------------ passwords
@contextmanager
def _hash_slot() -> Iterator[None]:
    """Hold one of the app's password-hash slots while hashing (none outside an app, e.g. `lotse create-staff`);
    503 `busy` with `Retry-After` when none frees up within `PASSWORD_HASH_WAIT_S`."""
    slots: threading.BoundedSemaphore | None = current_app.extensions.get("lotse.hash_slots") \
        if has_app_context() else None
    if slots is None:
        yield
        return
    if not slots.acquire(timeout=current_app.config["PASSWORD_HASH_WAIT_S"]):
        raise LotseError(code="busy", status=503, headers={"Retry-After": "1"}, retry_after_s=1)
    try:
        yield
    finally:
        slots.release()


def hash_password(password: str) -> str:
    with _hash_slot():
        return _HASHER.hash(password)


@cache
def _dummy_hash() -> str:
    """Verified when the email is unknown, so a wrong email costs as long as a wrong password (no account probing)."""
    return _HASHER.hash(secrets.token_hex(16))


def verify_password(user: User | None, password: str) -> bool:
    """Whether `password` is the user's; takes as long for an unknown user. Rehashes when the parameters changed."""
    with _hash_slot():
        try:
            _HASHER.verify(user.password_hash if user else _dummy_hash(), password)
        except (VerificationError, InvalidHashError):
            return False
        if user is None:
            return False
        if _HASHER.check_needs_rehash(user.password_hash):
            user.password_hash = _HASHER.hash(password)
        return True


def init_app(app: Flask) -> None:
    """Session signing key, rate limiter and password-hash slots."""
    _ensure_secret_key(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", app.config["REDIS_PREFIX"])
    # Its errors as limits' StorageError: no need to import redis to catch them (none without Redis).
    storage = storage_from_string(app.config["RATELIMIT_STORAGE_URI"], wrap_exceptions=True)
    app.extensions["lotse.rate_limiter"] = MovingWindowRateLimiter(storage)
    # While the shared storage (Redis) is down, each process counts for itself: limits still hold, per process.
    app.extensions["lotse.local_rate_limiter"] = MovingWindowRateLimiter(MemoryStorage())
    app.extensions["lotse.hash_slots"] = threading.BoundedSemaphore(app.config["PASSWORD_HASHES_AT_ONCE"])


def _ensure_secret_key(app: Flask) -> None:
    """Sign sessions with `SECRET_KEY`, else with a key kept in the instance folder (0600) so restarts keep them;
    a test app gets a random one."""
    if app.config.get("SECRET_KEY"):
        return
    if app.testing:
        app.config["SECRET_KEY"] = secrets.token_hex(32)
        return
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32), encoding="ascii")
    app.config["SECRET_KEY"] = path.read_text(encoding="ascii").strip()


def authenticate(email: object, password: object) -> User:
    """The account with this email and password, for the volunteer API and the staff login alike.

    401 `bad_login` for a wrong email or password; 429 when the address used up its login limit, or the address and
    email theirs; 503 when too many hashes are running. The slow hash runs outside any transaction.
    """
    email = email.strip().lower() if isinstance(email, str) and is_text(email) else ""
    rate_limit("login_ip", request.remote_addr or "")
    rate_limit("login", f"{request.remote_addr}|{email}")
    db_session = db.session()
    user = db_session.scalar(select(User).where(User.email == email)) if email else None
    db_session.commit()  # no transaction, and no write lock, during the slow hash
    if not isinstance(password, str) or len(password) > PASSWORD_MAX_LENGTH or not is_text(password) \
            or not verify_password(user, password):
        raise LotseError(code="bad_login", status=401)
    db_session.commit()  # a rehashed password
    return user


# ------------------------------------------------------------------------------------------------- sessions
def log_in(user: User) -> str:
    """Start a fresh session for `user`; returns its new CSRF token (a login never keeps an old one)."""
    session.clear()
    session.permanent = True
    session["uid"] = user.id
    session["epoch"] = user.session_epoch
    return csrf_token()


def log_out() -> None:
    """End the session, and every other session of the same user (signed cookies cannot be revoked one by one)."""
    user = current_user()
    if user is not None:
        user.session_epoch += 1
        db.session().commit()
    session.clear()


def current_user() -> User | None:
    """The logged-in user of this request, or None (also for a cookie from before the user logged out)."""
    if "user" not in g:
        user = None
        if "uid" in session:
            user = db.session().get(User, session["uid"])
            if user is not None and user.session_epoch != session.get("epoch"):
                user = None
        g.user = user
    return g.user


def require_user() -> User:
    user = current_user()
    if user is None:
        raise LotseError(code="login_required", status=401)
    return user


def require_staff() -> User:
    user = require_user()
    if user.role != "staff":
        raise LotseError(code="staff_only", status=403)
    return user


# ----------------------------------------------------------------------------------------------------- CSRF
def csrf_token() -> str:
    """The session's CSRF token, made on first use."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def check_csrf() -> None:
    """Refuse a state-changing request without the session's token, in the `X-CSRF-Token` header (API) or the
    `csrf_token` form field (staff pages)."""
    if request.method not in _STATE_CHANGING:
        return
    expected = session.get("csrf")
    given = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token", "")
    if not expected or not hmac.compare_digest(expected.encode(), given.encode()):
        raise LotseError(code="csrf_failed", status=403)


def protect(blueprint: Blueprint) -> None:
    """Check the CSRF token on every state-changing request to `blueprint`."""
    blueprint.before_request(check_csrf)


# ----------------------------------------------------------------------------------------------- rate limits
def rate_limit(name: str, key: str) -> None:
    """Count one event of `key`; raise 429 with `Retry-After` when it is over a limit in config
    `RATE_LIMIT_<NAME>` (`limits` notation: `"10/minute"`, `"8/minute;40/hour"`)."""
    strategy = current_app.extensions["lotse.rate_limiter"]
    scope = (current_app.config["RATELIMIT_KEY_PREFIX"], name, key)  # the prefix keeps apps on one Redis apart
    for item in parse_many(current_app.config[f"RATE_LIMIT_{name.upper()}"]):
        try:
            allowed = strategy.hit(item, *scope)
        except StorageError as exc:
            log.warning("rate-limit storage unreachable (%s); counting in this process", exc)
            strategy = current_app.extensions["lotse.local_rate_limiter"]
            allowed = strategy.hit(item, *scope)
        if not allowed:
            reset_at = strategy.get_window_stats(item, *scope).reset_time
            retry_after = max(1, math.ceil(reset_at - time.time()))
            raise LotseError(code="rate_limited", status=429, headers={"Retry-After": str(retry_after)},
                             retry_after_s=retry_after)
