"""Storage (app.core.db): durable SQLite settings, migrations, `lotse db upgrade`, and no acknowledged write lost when the
server is killed with SIGKILL, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from alembic.config import Config
from alembic.script import ScriptDirectory
from click.testing import CliRunner
from sqlalchemy import inspect, select, text

from app import create_app
from app.cli import main
from app.core.db import MIGRATIONS_DIR, Base, head_revisions, make_engine, normalise_url, schema_is_current, upgrade
from app.core.models import Report
from routing.obstacles import REPORT_TYPES
from tests.conftest import MINI_OSM

LOTSE = Path(sys.executable).parent / "lotse"
ON_MINI_MAP = {"lat": 49.44405, "lon": 7.7685}  # beside Fackelstraße on tests/fixtures/mini.osm
REPORT_KINDS = list(REPORT_TYPES)


def head_revision() -> str:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config).get_current_head()


def test_sqlite_is_durable_and_waits_for_writers(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'lotse.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL: fsync at every commit
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def test_postgres_urls_use_psycopg_3():
    assert normalise_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"


def test_schema_is_at_the_newest_migration(vapp):
    engine = vapp.extensions["lotse.db"].engine
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == head_revision()
    assert set(inspect(engine).get_table_names()) == {*Base.metadata.tables, "alembic_version"}


def test_db_upgrade_command(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    for _ in range(2):  # a second upgrade changes nothing
        result = CliRunner().invoke(main, ["db", "upgrade", "--database-url", url])
        assert result.exit_code == 0, result.output
        assert "up to date" in result.output
    assert "reports" in inspect(make_engine(url)).get_table_names()


def test_a_current_schema_is_known_without_alembic(tmp_path):
    assert head_revisions() == {head_revision()}  # the files read as Alembic reads them
    engine = make_engine(f"sqlite:///{tmp_path / 'lotse.db'}")
    assert not schema_is_current(engine)  # a new database
    upgrade(engine, "0001")
    assert not schema_is_current(engine)
    upgrade(engine)
    assert schema_is_current(engine)


def test_test_apps_get_a_private_database(mini_graph):
    first, second = (create_app({"TESTING": True}, graph=mini_graph) for _ in range(2))
    assert first.config["DATABASE_URL"] == "sqlite://"
    with first.extensions["lotse.db"].engine.begin() as connection:
        connection.execute(text("INSERT INTO users (email, name, password_hash, role, session_epoch, created_at) "
                                "VALUES ('a@b.de', 'A', 'x', 'volunteer', 0, '2024-01-01 00:00:00')"))
    with second.extensions["lotse.db"].engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM users")).scalar() == 0


# ------------------------------------------------------------------------------------------ kill -9


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(url: str, port: int, workdir: Path) -> subprocess.Popen:
    """`lotse serve` on the mini map and `url`, answering on `port` (waits until it does)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("LOTSE_")}
    env.update(LOTSE_DATABASE_URL=url, LOTSE_SECRET_KEY="kill-test", LOTSE_SESSION_COOKIE_SECURE="false",
               LOTSE_RATE_LIMIT_REPORTS="1000000/hour")
    with (workdir / "server.log").open("ab") as log:
        process = subprocess.Popen(
            [str(LOTSE), "serve", "--osm", str(MINI_OSM), "--cache-dir", str(workdir / "cache"), "--port", str(port)],
            cwd=workdir, env=env, stdout=log, stderr=log,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, (workdir / "server.log").read_text()
        try:
            if requests.get(f"http://127.0.0.1:{port}/api/health", timeout=2).ok:
                return process
        except requests.ConnectionError:
            time.sleep(0.1)
    process.kill()
    pytest.fail("lotse serve did not answer within 60 s")


def logged_in(base: str, name: str) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # talk to the local server, whatever proxy the environment names
    session.headers["X-CSRF-Token"] = session.get(f"{base}/api/csrf", timeout=10).json()["csrf_token"]
    response = session.post(f"{base}/api/accounts/register", timeout=10,
                            json={"name": name, "email": f"{name}@example.org", "password": "eine lange Passphrase"})
    assert response.status_code == 201, response.text
    session.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return session


def test_no_acknowledged_report_is_lost_when_the_server_is_killed(database_url, tmp_path):
    url = f"sqlite:///{tmp_path / 'kill.db'}" if database_url.startswith("sqlite") else database_url
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = serve(url, port, tmp_path)
    acknowledged: list[int] = []
    try:
        sessions = [logged_in(base, f"burst{os.getpid()}x{time.monotonic_ns()}x{i}") for i in range(4)]

        def burst(session: requests.Session) -> None:
            for n in range(10_000):
                # Apart in type and place: reports of one type a few metres apart would merge into one.
                spot = {"lat": 49.4430 + (n % 20) * 0.00015, "lon": ON_MINI_MAP["lon"]}
                kind = REPORT_KINDS[(n // 20) % len(REPORT_KINDS)]
                try:
                    response = session.post(f"{base}/api/reports", timeout=10,
                                            json={"type": kind, "description": f"burst {n}", **spot})
                except requests.RequestException:
                    return  # the server is gone
                if response.status_code == 201:
                    acknowledged.append(response.json()["report"]["id"])

        threads = [threading.Thread(target=burst, args=(session,)) for session in sessions]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while len(acknowledged) < 60 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(process.pid, signal.SIGKILL)  # mid-burst: requests are in flight
        for thread in threads:
            thread.join(timeout=30)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert len(acknowledged) >= 60

    restarted = serve(url, port, tmp_path)
    try:
        engine = make_engine(url)
        with engine.connect() as connection:
            stored = set(connection.scalars(select(Report.id).where(Report.id.in_(acknowledged))))
        engine.dispose()
        assert stored == set(acknowledged)
        last = requests.get(f"{base}/api/reports/{max(acknowledged)}", timeout=10)
        assert last.status_code == 200 and last.json()["report"]["description"].startswith("burst")
    finally:
        restarted.terminate()
        restarted.wait(timeout=10)
