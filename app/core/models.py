"""The tables: volunteer accounts, obstacle reports with their votes and audit log, quest answers, accepted facts,
and anonymous route-usage counts.

The schema itself is created by the migrations in `migrations/`; keep both in step.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from app.core.db import Base


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def iso_utc(moment: datetime) -> str:
    """An aware time as ISO 8601 in UTC with a `Z`, as the API writes times."""
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in and out, on SQLite (which keeps no zone) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store aware UTC times only")
        value = value.astimezone(timezone.utc)
        # SQLite compares the stored text: one zone and one format keep that comparison right.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class User(Base):
    """A volunteer or a staff member; walkers have no account."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="volunteer")  # volunteer | staff
    # Part of every session cookie; logging out bumps it, which ends the user's signed cookies everywhere.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "email": self.email, "role": self.role}


class Report(Base):
    """An obstacle a volunteer reported, snapped onto the walk graph."""

    __tablename__ = "reports"
    __table_args__ = (
        Index("ix_reports_position", "lat", "lon"),
        Index("ix_reports_status_until", "status", "valid_until"),
        Index("ix_reports_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="new")  # new | confirmed | resolved | fixed | rejected
    severity: Mapped[str] = mapped_column(String(16))  # low | medium | high | blocking
    description: Mapped[str] = mapped_column(Text, default="")
    lat: Mapped[float] = mapped_column(Float)  # the snapped point on the walk graph
    lon: Mapped[float] = mapped_column(Float)
    reported_lat: Mapped[float] = mapped_column(Float)  # where the phone or the map said
    reported_lon: Mapped[float] = mapped_column(Float)
    edge: Mapped[int] = mapped_column(Integer)  # valid for the graph it was snapped on; the way id outlives it
    osm_way_id: Mapped[int] = mapped_column(BigInteger)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The city's workflow (staff): new → in_progress → fixed; "fixed" also closes the report (status "fixed").
    work_status: Mapped[str] = mapped_column(String(16), default="new")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    work_note: Mapped[str] = mapped_column(Text, default="")  # the latest note; every note is in the audit log


class ReportVote(Base):
    """One volunteer's answer to "is this obstacle there?": yes, no or unsure; a later answer replaces it."""

    __tablename__ = "report_votes"
    __table_args__ = (UniqueConstraint("report_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    answer: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReportEvent(Base):
    """The audit log: every change of a report, who made it (none for the system) and when."""

    __tablename__ = "report_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(16))  # created | vote | confirmed | resolved | rejected | work | fixed
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QuestAnswer(Base):
    """One volunteer's answer to a quest such as `node/123/tactile_paving`; a later answer replaces it."""

    __tablename__ = "quest_answers"
    __table_args__ = (UniqueConstraint("quest_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    quest_id: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    answer: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AcceptedFact(Base):
    """A fact two volunteers agreed on; it overlays the OSM data in routing and is exported as osmChange."""

    __tablename__ = "accepted_facts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    quest_id: Mapped[str] = mapped_column(String(64), unique=True)
    element: Mapped[str] = mapped_column(String(8))  # node | way
    osm_id: Mapped[int] = mapped_column(BigInteger)
    key: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(String(32))
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RouteUsage(Base):
    """How many planned routes passed an edge or a crossing node: counts only, never a route, position or time.

    `kind` is `edge` (key `<way osm id>:<lower node osm id>-<higher node osm id>`), `node` (a crossing's node OSM id)
    or `total` (key `routes`: every route counted).
    """

    __tablename__ = "route_usage"

    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)
