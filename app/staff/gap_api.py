"""The gap API for city staff tools: `/api/gaps` (the gaps, filtered and sorted) and `/api/gaps/summary`."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from app.core import db, usage
from app.staff.filters import filtered_gaps, gap_filters, int_arg
from app.staff.stats import summary
from routing.gaps import CELL_M

api_bp = Blueprint("gaps_api", __name__, url_prefix="/api/gaps")

API_LIMIT_DEFAULT = 100
API_LIMIT_MAX = 5000


@api_bp.get("")
def api_gaps():
    """Gaps, most urgent first: filters `kind`, `value`, `cell`, `street`, `bbox`; `sort`, `limit`, `offset`."""
    filters = gap_filters(request.args)
    limit = int_arg("limit", API_LIMIT_DEFAULT, 1, API_LIMIT_MAX)
    offset = int_arg("offset", 0, 0, 10_000_000)
    selected = filtered_gaps(filters)
    return jsonify(total=len(selected), limit=limit, offset=offset, min_count=usage.MIN_SHOWN,
                   cell_size_m=CELL_M, gaps=selected[offset:offset + limit])


@api_bp.get("/summary")
def api_summary():
    """Counts of gaps by kind, grid cell and street; coverage now and per week; reports by status, type, age."""
    return jsonify(summary(db.session()))
