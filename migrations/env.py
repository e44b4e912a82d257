"""Alembic environment: run by `lotse db upgrade` (app.core.db.upgrade), which hands over an open connection."""

from __future__ import annotations

from alembic import context

from app.core import models  # noqa: F401  (registers the tables on Base.metadata for autogenerate)
from app.core.db import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Run the migrations with `lotse db upgrade`, which passes the database connection.")
# Batch mode lets later migrations alter SQLite tables, which SQLite's ALTER TABLE cannot do in place.
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
