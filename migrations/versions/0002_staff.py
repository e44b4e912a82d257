"""City staff: the report workflow (work status, assignee, note) and anonymous route-usage counts.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("work_status", sa.String(16), nullable=False, server_default="new"))
        batch.add_column(sa.Column("assignee_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("work_note", sa.Text(), nullable=False, server_default=""))
        batch.create_foreign_key("fk_reports_assignee_id_users", "users", ["assignee_id"], ["id"])
        batch.create_index("ix_reports_created_at", ["created_at"])
    op.create_table(
        "route_usage",
        sa.Column("kind", sa.String(8), primary_key=True),
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("count", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("route_usage")
    with op.batch_alter_table("reports") as batch:
        batch.drop_index("ix_reports_created_at")
        batch.drop_constraint("fk_reports_assignee_id_users", type_="foreignkey")
        for column in ("work_note", "assignee_id", "work_status"):
            batch.drop_column(column)
