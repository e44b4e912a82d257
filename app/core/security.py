"""Passwords, sessions, CSRF and rate limits for the volunteer API.

Passwords are hashed with Argon2id (argon2-cffi, RFC 9106 parameters). Sessions are Flask's signed cookies (Secure,
HttpOnly, SameSite=Lax); every state-changing call to the volunteer API must carry the session's CSRF token in the
`X-CSRF-Token` header. Rate limits are token buckets in this process: Lotse serves from one process.
"""

from __future__ import annotations

import hmac
import math
import secrets
import threading
import time
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Blueprint, Flask, current_app, g, request, session
from sqlalchemy import select

from app.core import db
from app.core.models import User
from routing.errors import LotseError

_HASHER = PasswordHasher()
PASSWORD_MAX_LENGTH = 1024  # hashing a megabyte "password" is a cheap way to burn the server's time
_STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_PERIODS_S = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


# ------------------------------------------------------------------------------------------------ passwords
def hash_password(password: str) -> str:
    return _HASHER.hash(password)


@cache
def _dummy_hash() -> str:
    """Verified when the email is unknown, so a wrong email costs as long as a wrong password (no account probing)."""
    return _HASHER.hash(secrets.token_hex(16))


def verify_password(user: User | None, password: str) -> bool:
    """Whether `password` is the user's; takes as long for an unknown user. Rehashes when the parameters changed."""
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
    """Session signing key and rate limiter."""
    _ensure_secret_key(app)
    app.extensions["lotse.rate_limiter"] = RateLimiter()


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

    401 `bad_login` for a wrong email or password; 429 when the address and email used up the login limit. The slow
    hash runs outside any transaction.
    """
    email = email.strip().lower() if isinstance(email, str) else ""
    rate_limit("login", f"{request.remote_addr}|{email}")
    db_session = db.session()
    user = db_session.scalar(select(User).where(User.email == email)) if email else None
    db_session.commit()  # no transaction, and no write lock, during the slow hash
    if not isinstance(password, str) or len(password) > PASSWORD_MAX_LENGTH or not verify_password(user, password):
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
class RateLimiter:
    """Token buckets per key: `count` events per period, refilled continuously; thread-safe."""

    def __init__(self) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last refill time)
        self._lock = threading.Lock()

    def take(self, key: str, count: int, period_s: float) -> float:
        """Take one token: 0 if there was one, else the seconds until there is."""
        now = time.monotonic()
        rate = count / period_s
        with self._lock:
            tokens, last = self._buckets.get(key, (float(count), now))
            tokens = min(float(count), tokens + (now - last) * rate)
            if tokens < 1:
                self._buckets[key] = (tokens, now)
                return (1 - tokens) / rate
            self._buckets[key] = (tokens - 1, now)
            if len(self._buckets) > 100_000:  # forget idle keys now and then; a forgotten key starts full
                self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < period_s}
            return 0.0

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()


def parse_limit(value: str) -> tuple[int, float]:
    """`"30/hour"` → (30, 3600.0); units second, minute, hour, day."""
    count, _, unit = value.partition("/")
    return int(count), float(_PERIODS_S[unit.strip()])


def rate_limit(name: str, key: str) -> None:
    """Raise 429 when `key` used up the limit set in config `RATE_LIMIT_<NAME>` (e.g. `"10/minute"`)."""
    count, period_s = parse_limit(current_app.config[f"RATE_LIMIT_{name.upper()}"])
    wait_s = current_app.extensions["lotse.rate_limiter"].take(f"{name}:{key}", count, period_s)
    if wait_s > 0:
        retry_after = math.ceil(wait_s)
        raise LotseError(code="rate_limited", status=429, headers={"Retry-After": str(retry_after)}, retry_after_s=retry_after)
