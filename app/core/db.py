"""The database: SQLAlchemy engine and per-request sessions from `DATABASE_URL`, schema migrations with Alembic.

SQLite is the embedded default; PostgreSQL (driver psycopg 3) is used when `DATABASE_URL` names one. SQLite runs in
WAL mode with synchronous=FULL, so a commit that was acknowledged survives a killed process and a power cut.

Alembic (11 MB of a server's memory) is needed only while migrating: the migration runs in a forked child process,
which exits when done, so a server never holds it (a private in-memory database, which only its own process can
see, is migrated in process).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app, g, request
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import StaticPool

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
_READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MIGRATION_LOCK = "lotse-migrations"  # the advisory lock every migrating process takes first


class Base(DeclarativeBase):
    """Base class of every table (see `app.models`)."""


@dataclass(frozen=True)
class Database:
    """One engine and its two session factories: readers, and writers that take the write lock up front."""

    engine: Engine
    reader: sessionmaker[Session]
    writer: sessionmaker[Session]


def default_url(instance_path: str, testing: bool = False) -> str:
    """The embedded default: an SQLite file in the app's instance folder; a test app's own database in memory."""
    return "sqlite://" if testing else f"sqlite:///{Path(instance_path) / 'lotse.db'}"


def normalise_url(url: str) -> str:
    """Plain `postgres://` and `postgresql://` URLs (as hosting platforms hand them out) use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str) -> Engine:
    """An engine for `url`: SQLite with durable pragmas and write transactions that lock at BEGIN, or PostgreSQL."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() != "sqlite":
        # Enough connections for 50 concurrent volunteers; pre-ping survives a restarted server.
        return create_engine(parsed, pool_size=20, max_overflow=40, pool_pre_ping=True)
    if parsed.database in (None, "", ":memory:"):
        # A private in-memory database (test apps): every session must share its one connection.
        engine = create_engine(parsed, poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, pool_size=20, max_overflow=40, connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def sqlite_pragmas(dbapi_connection, _record) -> None:
        # pysqlite would start transactions itself, too late for a write lock: the "begin" hook below does it.
        dbapi_connection.isolation_level = None
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "busy_timeout=30000"):
            dbapi_connection.execute(f"PRAGMA {pragma}")

    # SQLite lets one writer in at a time and makes the others retry with growing sleeps, which starves some of
    # them for seconds under load. Writers of this process queue on a lock instead and find SQLite free.
    write_lock = threading.Lock()

    @event.listens_for(engine, "begin")
    def sqlite_begin(connection) -> None:
        if not connection.get_execution_options().get("lotse_writer", False):
            connection.exec_driver_sql("BEGIN")
            return
        # A deferred transaction that reads and then writes fails at once when another writer came first; one that
        # takes SQLite's write lock at BEGIN cannot (other processes, e.g. a command, wait up to busy_timeout).
        write_lock.acquire()
        connection.info["lotse_write_lock"] = True
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine, "checkin")
    def sqlite_release(_dbapi_connection, record) -> None:
        # Back in the pool means committed or rolled back: the next writer may go.
        if record.info.pop("lotse_write_lock", False):
            write_lock.release()

    return engine


def begin(app: Flask) -> None:
    """Connect the app to `DATABASE_URL` and start bringing its schema up to date (`start_upgrade`): the app's
    creation goes on while a child migrates, and `init_app` waits for its end."""
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["lotse.db"] = Database(
        engine=engine,
        reader=sessionmaker(engine, expire_on_commit=False),
        writer=sessionmaker(engine.execution_options(lotse_writer=True), expire_on_commit=False),
    )
    app.extensions["lotse.schema_upgrade"] = start_upgrade(engine)


def init_app(app: Flask) -> None:
    """Wait until the schema `begin` is migrating is up to date.

    Each request gets its session from `session()`, closed at teardown.
    """
    app.extensions.pop("lotse.schema_upgrade")()

    @app.teardown_appcontext
    def close_session(_exc: BaseException | None) -> None:
        db_session = g.pop("db_session", None)
        if db_session is not None:
            db_session.close()


def session() -> Session:
    """This request's session; requests that change state (POST, ...) get a writer."""
    if "db_session" not in g:
        database: Database = current_app.extensions["lotse.db"]
        factory = database.reader if request.method in _READ_ONLY_METHODS else database.writer
        g.db_session = factory()
    return g.db_session


@contextmanager
def app_session(app: Flask, write: bool = False) -> Iterator[Session]:
    """A session outside a request (commands, background work), in one transaction committed on success."""
    database: Database = app.extensions["lotse.db"]
    with (database.writer if write else database.reader)() as db_session, db_session.begin():
        yield db_session


def lock(db_session: Session | Connection, key: str) -> None:
    """Serialise writers on `key` until the transaction ends (SQLite writers are serialised already)."""
    bind = db_session.get_bind() if isinstance(db_session, Session) else db_session
    if bind.dialect.name == "postgresql":
        db_session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to `revision` with the migrations in `migrations/` (`start_upgrade`, waiting for its end);
    RuntimeError when the migration failed (its traceback is in the error output)."""
    start_upgrade(engine, revision)()


def start_upgrade(engine: Engine, revision: str = "head") -> Callable[[], None]:
    """Start bringing the schema up to `revision` in a child process (see the module) unless the database is a
    private in-memory one or at `revision` already; returns the wait for its end, which raises RuntimeError when the
    migration failed.

    Server processes started at once migrate one after the other: on PostgreSQL the first takes a lock for the
    transaction, the others wait and then find the schema up to date (DDL is transactional there). (The embedded
    SQLite serves one process.)
    """
    if revision == "head" and schema_is_current(engine):
        return _nothing_to_wait_for  # a restart: no child, no Alembic (0.2 s of the start's CPU time)
    if isinstance(engine.pool, StaticPool) or not hasattr(os, "fork"):
        _migrate(engine, revision)
        return _nothing_to_wait_for
    child = os.fork()
    if child == 0:  # the child: migrate on connections of its own, then leave without the parent's exit handlers
        status = 1
        try:
            engine.dispose(close=False)
            _migrate(engine, revision)
            status = 0
        except Exception:
            import traceback

            traceback.print_exc()
        finally:
            os._exit(status)

    def migrated() -> None:
        _, status = os.waitpid(child, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"Migrating the database schema to {revision} failed (the error is logged above)")

    return migrated


def _nothing_to_wait_for() -> None:
    """The wait of an upgrade that was done at once."""


def head_revisions() -> set[str] | None:
    """The newest revisions of `migrations/` (those no other migration revises), read from the files' `revision` and
    `down_revision` lines as Alembic writes them, without importing Alembic; None when a file has no such lines."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        revision, down_revision = _REVISION_LINE.search(source), _DOWN_REVISION_LINE.search(source)
        if revision is None or down_revision is None:
            return None
        revisions.add(revision[1])
        revised.update(_QUOTED.findall(down_revision[1]))
    return revisions - revised


_REVISION_LINE = re.compile(r"^revision(?:\s*:[^=]+)?\s*=\s*[\"']([^\"']+)[\"']", re.MULTILINE)
_DOWN_REVISION_LINE = re.compile(r"^down_revision(?:\s*:[^=]+)?\s*=(.*)$", re.MULTILINE)
_QUOTED = re.compile(r"[\"']([^\"']+)[\"']")


def schema_is_current(engine: Engine) -> bool:
    """Whether the database's schema is at the newest migrations already (False when in doubt: Alembic decides)."""
    heads = head_revisions()
    if not heads:
        return False
    try:
        with engine.connect() as connection:
            applied = {row[0] for row in connection.exec_driver_sql("SELECT version_num FROM alembic_version")}
    except DBAPIError:  # no alembic_version table: a new database
        return False
    return applied == heads


def _migrate(engine: Engine, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        lock(connection, MIGRATION_LOCK)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
