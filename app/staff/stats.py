"""What the staff overview counts: reports by status, type, work status and age, opened and fixed per week (never
who reported), and the gap summary."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any, Literal

from flask import current_app
from pydantic import Field
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.core import usage
from app.core.inputs import Reply
from app.core.models import Report, iso_utc, utcnow
from app.staff import gaps
from routing.gaps import CELL_M, KINDS, VALUES, Grid, counts_by, weeks
from routing.obstacles import OPEN, REPORT_TYPES, WORK_STATUSES

WEEKS = 26
STREET_ROWS = 50
_AGE_BUCKETS = ((7, "under_7_days"), (30, "under_30_days"), (90, "under_90_days"))


class Gap(Reply):
    """A map element where a blind walker may be let down; `routes` is null below `usage.MIN_SHOWN` (never
    shown)."""

    id: str = Field(examples=["node/123/signal_acoustic"])
    kind: Literal[KINDS]
    element: Literal["node", "way"]
    osm_id: int
    lat: float
    lon: float
    value: Literal[VALUES]
    street: str
    highway: str
    size: int = Field(ge=0, le=5)
    cell: str = Field(description="500 m grid cell, column letter and row number from the north")
    quest: str
    routes: int | None = Field(ge=usage.MIN_SHOWN)
    priority: int
    rank: int = Field(ge=1)


class WeekCounts(Reply):
    week: str = Field(examples=["2024-W18"])
    start: date
    opened: int
    fixed: int


class ReportStats(Reply):
    """Reports by status; open ones by type, work status and age; opened and fixed per week. No reporters."""

    total: int
    open: int
    by_status: dict[str, int]
    open_by_type: dict[Literal[tuple(REPORT_TYPES)], int]
    open_by_work_status: dict[Literal[WORK_STATUSES], int]
    open_by_age: dict[Literal["under_7_days", "7_to_30_days", "30_to_90_days", "over_90_days"], int]
    weekly: list[WeekCounts] = Field(min_length=WEEKS, max_length=WEEKS)


class GapSummary(Reply):
    """What the staff overview shows; counts of routes below `min_count` are null."""

    generated_at: datetime
    graph: dict[str, Any] = Field(description="The map's source and how many accepted facts it has")
    min_count: int
    cell_size_m: float
    routes_counted: int | None
    gaps: dict[str, Any] = Field(description="`total`, and `by_kind`: gaps of each kind")
    top_gaps: list[Gap] = Field(max_length=10)
    cells: list[dict[str, Any]]
    streets: list[dict[str, Any]] = Field(max_length=STREET_ROWS)
    coverage: list[dict[str, Any]]
    coverage_weekly: list[dict[str, Any]]
    reports: ReportStats


def report_stats(db_session: Session, now: datetime) -> dict[str, Any]:
    """Reports by status, open ones by type, work status and age, and opened/fixed per week (no reporters)."""
    by_status = dict.fromkeys(("new", "confirmed", "resolved", "fixed", "rejected", "expired"), 0)
    for status, count in db_session.execute(select(Report.status, func.count()).group_by(Report.status)):
        by_status[status] = by_status.get(status, 0) + count
    expired = db_session.execute(select(Report.status, func.count())
                                 .where(Report.status.in_(OPEN), Report.valid_until <= now)
                                 .group_by(Report.status))
    for status, count in expired:
        by_status[status] -= count
        by_status["expired"] += count
    is_open = (Report.status.in_(OPEN), Report.valid_until > now)
    open_by_type = dict.fromkeys(REPORT_TYPES, 0)
    open_by_type.update(db_session.execute(select(Report.type, func.count()).where(*is_open)
                                           .group_by(Report.type)).all())
    open_by_work = dict.fromkeys(WORK_STATUSES, 0)
    open_by_work.update(db_session.execute(select(Report.work_status, func.count()).where(*is_open)
                                           .group_by(Report.work_status)).all())
    ages = [func.coalesce(func.sum(case((Report.created_at > now - timedelta(days=days), 1), else_=0)), 0)
            for days, _ in _AGE_BUCKETS]
    row = db_session.execute(select(func.count(), *ages).where(*is_open)).one()
    total_open, within = row[0], list(row[1:])
    open_by_age = {"under_7_days": within[0], "7_to_30_days": within[1] - within[0],
                   "30_to_90_days": within[2] - within[1], "over_90_days": total_open - within[2]}
    mondays = weeks(now, WEEKS)
    start = datetime.combine(mondays[0], datetime.min.time(), tzinfo=timezone.utc)
    opened = [0] * WEEKS
    fixed = [0] * WEEKS
    for (created,) in db_session.execute(select(Report.created_at).where(Report.created_at >= start)):
        opened[min((created.date() - mondays[0]).days // 7, WEEKS - 1)] += 1
    for (updated,) in db_session.execute(select(Report.updated_at).where(Report.status == "fixed",
                                                                         Report.updated_at >= start)):
        fixed[min((updated.date() - mondays[0]).days // 7, WEEKS - 1)] += 1
    weekly = [{"week": f"{monday.isocalendar()[0]}-W{monday.isocalendar()[1]:02d}", "start": monday.isoformat(),
               "opened": opened[i], "fixed": fixed[i]} for i, monday in enumerate(mondays)]
    return {"total": sum(by_status.values()), "open": total_open, "by_status": by_status,
            "open_by_type": open_by_type, "open_by_work_status": open_by_work, "open_by_age": open_by_age,
            "weekly": weekly}


def summary(db_session: Session) -> dict[str, Any]:
    """Everything the overview shows: gaps by kind, cell and street, the most urgent gaps, coverage now and over the
    last weeks, reports."""
    now = utcnow()
    service = gaps.service(current_app)
    analysis = service.analysis()
    ranked = service.ranked()
    snapshot = usage.counter_of(current_app).snapshot()
    by_kind = dict.fromkeys(KINDS, 0)
    for gap in ranked:
        by_kind[gap["kind"]] += 1
    cells = counts_by(ranked, "cell")
    for row in cells:
        row["bbox"] = _cell_bbox(analysis.grid, row["cell"])
    return {
        "generated_at": iso_utc(now),
        "graph": {"source": analysis.graph.meta.get("source"),
                  "accepted_facts": analysis.graph.meta.get("accepted_facts", 0)},
        "min_count": usage.MIN_SHOWN,
        "cell_size_m": CELL_M,
        "routes_counted": usage.shown(snapshot.routes),
        "gaps": {"total": len(ranked), "by_kind": by_kind},
        "top_gaps": ranked[:10],
        "cells": cells,
        "streets": counts_by([gap for gap in ranked if gap["street"]], "street")[:STREET_ROWS],
        "coverage": analysis.coverage,
        "coverage_weekly": gaps.coverage_history(db_session, service.base_coverage(), now, WEEKS),
        "reports": report_stats(db_session, now),
    }


_bbox_cache: dict[tuple[Grid, str], list[float]] = {}


def _cell_bbox(grid: Grid, cell: str) -> list[float]:
    key = (grid, cell)
    if key not in _bbox_cache:
        _bbox_cache[key] = grid.bbox(cell)
    return _bbox_cache[key]
