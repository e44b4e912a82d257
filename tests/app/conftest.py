"""Fixtures of the volunteer API tests: every test runs on SQLite and on PostgreSQL, each with its own database."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError

from app import create_app
from app.core.db import Base

POSTGRES_ADMIN_URL = os.environ.get("LOTSE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("LOTSE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def missing(message: str) -> None:
    """A server the tests need is not running: a failure in CI, else a skip."""
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def new_postgres_database() -> Iterator[str]:
    """An empty database of its own in the PostgreSQL server, dropped afterwards (runs do not collide)."""
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        connection = admin.connect()
    except OperationalError as exc:
        missing(f"PostgreSQL is not running at {POSTGRES_ADMIN_URL} (.ci/run starts it): {exc.orig}")
    name = f"lotse_test_{os.getpid()}_{secrets.token_hex(4)}"
    connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.close()
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url():
    """A database of this test session's own."""
    with new_postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis server of the tests (each test keeps to a key prefix of its own)."""
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.exceptions.ConnectionError as exc:
        missing(f"Redis is not running at {REDIS_URL} (.ci/run starts it): {exc}")
    return REDIS_URL


@contextmanager
def redis_prefix(url: str) -> Iterator[str]:
    """A key prefix of its own (REDIS_PREFIX) on the tests' Redis; its keys are deleted afterwards."""
    prefix = f"lotse-test-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        yield prefix
    finally:
        client = redis.Redis.from_url(url)
        keys = list(client.scan_iter(match=f"{prefix}:*"))
        if keys:
            client.delete(*keys)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'lotse.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture(scope="session")
def shared_volunteer_app(database_url, city_graph):
    """One app on the city per database (its snap index takes a moment to build)."""
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "OVERLAY_REBUILD_INTERVAL_S": 0},
                     graph=city_graph)
    app.extensions["test.planner"] = app.extensions["lotse.planner"]
    yield app
    app.extensions["lotse.db"].engine.dispose()


@pytest.fixture()
def vapp(shared_volunteer_app):
    """The app with an empty database, full rate limits, no listeners and the graph as loaded."""
    app = shared_volunteer_app
    with app.extensions["lotse.db"].engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    with app.extensions["lotse.overlay"].lock:  # not while a background rebuild swaps graphs
        app.extensions["lotse.graph"] = app.extensions["lotse.base_graph"]
        app.extensions["lotse.planner"] = app.extensions["test.planner"]
    app.extensions["lotse.rate_limiter"].storage.reset()
    app.extensions["lotse.report_listeners"].clear()
    app.extensions["lotse.obstacles"].invalidate()
    return app
