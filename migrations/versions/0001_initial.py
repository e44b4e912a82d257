"""Initial schema: users, reports with votes and audit events, quest answers, accepted facts.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("session_epoch", sa.Integer(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
    )
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("reported_lat", sa.Float(), nullable=False),
        sa.Column("reported_lon", sa.Float(), nullable=False),
        sa.Column("edge", sa.Integer(), nullable=False),
        sa.Column("osm_way_id", sa.BigInteger(), nullable=False),
        sa.Column("valid_from", _TIME, nullable=False),
        sa.Column("valid_until", _TIME, nullable=False),
        sa.Column("reporter_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
    )
    op.create_index("ix_reports_position", "reports", ["lat", "lon"])
    op.create_index("ix_reports_status_until", "reports", ["status", "valid_until"])
    op.create_table(
        "report_votes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("report_id", sa.Integer(), sa.ForeignKey("reports.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("answer", sa.String(8), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.UniqueConstraint("report_id", "user_id"),
    )
    op.create_table(
        "report_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("report_id", sa.Integer(), sa.ForeignKey("reports.id", ondelete="CASCADE"), nullable=False),
        sa.Column("actor_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("at", _TIME, nullable=False),
    )
    op.create_index("ix_report_events_report_id", "report_events", ["report_id"])
    op.create_table(
        "quest_answers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("quest_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("answer", sa.String(32), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.UniqueConstraint("quest_id", "user_id"),
    )
    op.create_index("ix_quest_answers_quest_id", "quest_answers", ["quest_id"])
    op.create_table(
        "accepted_facts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("quest_id", sa.String(64), nullable=False, unique=True),
        sa.Column("element", sa.String(8), nullable=False),
        sa.Column("osm_id", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.String(32), nullable=False),
        sa.Column("value", sa.String(32), nullable=False),
        sa.Column("accepted_at", _TIME, nullable=False),
    )


def downgrade() -> None:
    for table in ("accepted_facts", "quest_answers", "report_events", "report_votes", "reports", "users"):
        op.drop_table(table)
