"""Staff downloads: gaps and reports as CSV (safe against spreadsheet formulas) and GeoJSON, accepted facts as
osmChange for a mapper to review."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path
from typing import Any

from flask import Response, current_app
from sqlalchemy import select

from app.community import reports
from app.community.facts import accepted_facts
from app.core import db
from app.core.inputs import parse_query
from app.core.models import Report, utcnow
from app.staff.filters import StaffReportFilters, filtered_gaps, gap_filters
from app.staff.pages import bp, report_rows
from routing.errors import LotseError
from routing.osmchange import write_osmchange

_GAP_FIELDS = ("rank", "id", "kind", "value", "element", "osm_id", "street", "highway", "size", "cell", "routes",
               "priority", "lat", "lon", "quest")
_REPORT_FIELDS = ("id", "type", "status", "work_status", "severity", "description", "lat", "lon", "osm_way_id",
                  "street", "cell", "created_at", "updated_at", "valid_from", "valid_until", "reporter_id",
                  "assignee", "work_note", "votes_yes", "votes_no")


def _csv(rows: list[dict[str, Any]], fields: tuple[str, ...], name: str) -> Response:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _csv_safe(row.get(key)) for key in fields})
    return _download(out.getvalue(), "text/csv; charset=utf-8", name)


def _csv_safe(value: Any) -> Any:
    """Text a spreadsheet would run as a formula is quoted with a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _download(body: str, mimetype: str, name: str) -> Response:
    response = Response(body, mimetype=mimetype.split(";")[0],
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    response.charset = "utf-8"
    return response


def _geojson(rows: list[dict[str, Any]], fields: tuple[str, ...], name: str) -> Response:
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]},
                 "properties": {key: row.get(key) for key in fields if key not in ("lat", "lon")}} for row in rows]
    body = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)
    return _download(body, "application/geo+json", name)


@bp.get("/export/gaps.<fmt>")
def export_gaps(fmt: str):
    """Every gap (with the page's filters), most urgent first."""
    rows = filtered_gaps(gap_filters())
    if fmt == "csv":
        return _csv(rows, _GAP_FIELDS, "lotse-gaps.csv")
    if fmt == "geojson":
        return _geojson(rows, _GAP_FIELDS, "lotse-gaps.geojson")
    raise LotseError(code="not_found", status=404)


@bp.get("/export/reports.<fmt>")
def export_reports(fmt: str):
    """Every report (status, type, work status and date filters as on the reports page), newest first."""
    if fmt not in ("csv", "geojson"):
        raise LotseError(code="not_found", status=404)
    now = utcnow()
    filters = parse_query(StaffReportFilters)
    clauses = reports.status_clauses(filters.status or "all", now) + reports.filter_clauses(filters)
    db_session = db.session()
    rows = list(db_session.scalars(select(Report).where(*clauses).order_by(Report.created_at.desc(),
                                                                           Report.id.desc())))
    items = report_rows(db_session, rows, now)
    for item in items:
        item["assignee"] = item["assignee"]["name"] if item["assignee"] else ""
        item["votes_yes"], item["votes_no"] = item["votes"]["yes"], item["votes"]["no"]
    if fmt == "csv":
        return _csv(items, _REPORT_FIELDS, "lotse-reports.csv")
    return _geojson(items, _REPORT_FIELDS, "lotse-reports.geojson")


@bp.get("/export/facts.osc")
def export_osmchange():
    """The accepted quest answers as osmChange (as `lotse export-osmchange`): needs the map's OSM file."""
    source = current_app.config.get("OSM") or current_app.extensions["lotse.base_graph"].meta.get("source")
    path = Path(str(source)) if source else None
    if path is None or not path.is_file():
        raise LotseError(code="osm_file_missing", status=404)
    facts = accepted_facts(db.session())
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "facts.osc"
        write_osmchange(path, facts, out)
        body = out.read_text(encoding="utf-8")
    return _download(body, "application/xml", "lotse-facts.osc")
