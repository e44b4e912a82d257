"""City staff: the accessibility gap review. Server-rendered pages under `/staff` (German first, `?lang=en`), the gap
API under `/api/gaps`, and exports (CSV, GeoJSON, osmChange).

Pages: overview (`/staff/`), gaps (`/staff/gaps`), map (`/staff/map`), reports (`/staff/reports`, one report with
its workflow at `/staff/reports/ID`), login and logout. Every page is for staff accounts only (a volunteer gets
403); every form post carries the session's CSRF token. The map is an inline SVG of the walk graph and never the only
way to the information: the tables carry the same.
"""

from __future__ import annotations

import csv
import hmac
import io
import json
import math
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import numpy as np
import shapely
from flask import (Blueprint, Flask, Response, current_app, g, jsonify, redirect, render_template, request, session,
                   url_for)
from markupsafe import Markup, escape
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.core import db
from app.staff import gaps
from app.community import reports
from app.core import security
from app.core import usage
from app.core.errors import ApiError, RequestError, messages, request_language
from app.core.models import Report, ReportEvent, User, utcnow
from routing.errors import LotseError
from routing.graph import WalkGraph
from routing.phrases import load_table

bp = Blueprint("staff", __name__, url_prefix="/staff", template_folder="../../templates")
api_bp = Blueprint("gaps_api", __name__, url_prefix="/api/gaps")

PAGE_SIZE = 100
API_LIMIT_DEFAULT = 100
API_LIMIT_MAX = 5000
WEEKS = 26
MAP_WIDTH_PX = 1000
MAP_REPORT_LIMIT = 2000
STREET_ROWS = 50
_AGE_BUCKETS = ((7, "under_7_days"), (30, "under_30_days"), (90, "under_90_days"))
_PUBLIC_ENDPOINTS = frozenset({"staff.login"})


def init_app(app: Flask) -> None:
    gaps.init_app(app)
    app.register_blueprint(bp)
    app.register_blueprint(api_bp)


# ================================================================================================ shared
def _lang() -> str:
    return request_language()


def phrases() -> dict[str, Any]:
    return load_table(f"staff_{_lang()}")


def _number(value: Any, digits: int = 0) -> str:
    """A number in the page's language: 1.234,5 in German, 1,234.5 in English."""
    if value is None:
        return ""
    text = f"{value:,.{digits}f}"
    if _lang() == "de":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def _percent(rate: float | None) -> str:
    return "" if rate is None else f"{_number(rate * 100, 1)} %"


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _gap_filters(args) -> dict[str, Any]:
    """The gap filters of a request (API, pages and exports alike); RequestError for a bad one."""
    analysis = gaps.service(current_app).analysis()
    filters: dict[str, Any] = {}
    if args.get("kind"):
        kinds = args["kind"].split(",")
        if any(kind not in gaps.KINDS for kind in kinds):
            raise RequestError(f'"kind" must be one or more of {", ".join(gaps.KINDS)}', field="kind")
        filters["kind"] = kinds
    if args.get("value"):
        if args["value"] not in ("no", "unknown"):
            raise RequestError('"value" must be "no" or "unknown"', field="value")
        filters["value"] = args["value"]
    if args.get("cell"):
        if analysis.grid.position(args["cell"]) is None:
            raise RequestError('"cell" must be a grid cell such as H3', field="cell")
        filters["cell"] = args["cell"]
    if args.get("street"):
        if len(args["street"]) > 200:
            raise RequestError('"street" must be a street name', field="street")
        filters["street"] = args["street"]
    if args.get("bbox"):
        filters["bbox"] = reports._bbox(args["bbox"])
    sort = args.get("sort", "priority")
    if sort not in gaps.SORTS:
        raise RequestError(f'"sort" must be one of {", ".join(gaps.SORTS)}', field="sort")
    filters["sort"] = sort
    return filters


def _filtered_gaps(filters: dict[str, Any]) -> list[dict[str, Any]]:
    ranked = gaps.service(current_app).ranked()
    kinds = set(filters.get("kind", gaps.KINDS))
    bbox = filters.get("bbox")
    selected = [gap for gap in ranked if gap["kind"] in kinds
                and ("value" not in filters or gap["value"] == filters["value"])
                and ("cell" not in filters or gap["cell"] == filters["cell"])
                and ("street" not in filters or gap["street"] == filters["street"])
                and (bbox is None or (bbox[0] <= gap["lat"] <= bbox[2] and bbox[1] <= gap["lon"] <= bbox[3]))]
    sort = filters.get("sort", "priority")
    if sort == "routes":
        selected.sort(key=lambda gap: (-(gap["routes"] or 0), gap["rank"]))
    elif sort == "size":
        selected.sort(key=lambda gap: (-gap["size"], gap["rank"]))
    elif sort in ("kind", "street", "cell"):
        order = gaps.KINDS.index if sort == "kind" else (lambda value: value)
        selected.sort(key=lambda gap: (order(gap[sort]), gap["rank"]))
    return selected


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise RequestError(f'"{name}" must be a whole number from {low} to {high}', field=name)
    return int(raw)


# -------------------------------------------------------------------------------------------- summaries
def report_stats(db_session: Session, now: datetime) -> dict[str, Any]:
    """Reports by status, open ones by type, work status and age, and opened/fixed per week (no reporters)."""
    by_status = dict.fromkeys(("new", "confirmed", "resolved", "fixed", "rejected", "expired"), 0)
    for status, count in db_session.execute(select(Report.status, func.count()).group_by(Report.status)):
        by_status[status] = by_status.get(status, 0) + count
    expired = db_session.execute(select(Report.status, func.count())
                                 .where(Report.status.in_(reports.OPEN), Report.valid_until <= now)
                                 .group_by(Report.status))
    for status, count in expired:
        by_status[status] -= count
        by_status["expired"] += count
    is_open = (Report.status.in_(reports.OPEN), Report.valid_until > now)
    open_by_type = dict.fromkeys(reports.REPORT_TYPES, 0)
    open_by_type.update(db_session.execute(select(Report.type, func.count()).where(*is_open)
                                           .group_by(Report.type)).all())
    open_by_work = dict.fromkeys(reports.WORK_STATUSES, 0)
    open_by_work.update(db_session.execute(select(Report.work_status, func.count()).where(*is_open)
                                           .group_by(Report.work_status)).all())
    ages = [func.coalesce(func.sum(case((Report.created_at > now - timedelta(days=days), 1), else_=0)), 0)
            for days, _ in _AGE_BUCKETS]
    row = db_session.execute(select(func.count(), *ages).where(*is_open)).one()
    total_open, within = row[0], list(row[1:])
    open_by_age = {"under_7_days": within[0], "7_to_30_days": within[1] - within[0],
                   "30_to_90_days": within[2] - within[1], "over_90_days": total_open - within[2]}
    mondays = gaps.weeks(now, WEEKS)
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
    by_kind = dict.fromkeys(gaps.KINDS, 0)
    for gap in ranked:
        by_kind[gap["kind"]] += 1
    cells = gaps.counts_by(ranked, "cell")
    for row in cells:
        row["bbox"] = _cell_bbox(analysis.grid, row["cell"])
    return {
        "generated_at": _iso(now),
        "graph": {"source": analysis.graph.meta.get("source"),
                  "accepted_facts": analysis.graph.meta.get("accepted_facts", 0)},
        "min_count": usage.MIN_SHOWN,
        "cell_size_m": gaps.CELL_M,
        "routes_counted": usage.shown(snapshot.routes),
        "gaps": {"total": len(ranked), "by_kind": by_kind},
        "top_gaps": ranked[:10],
        "cells": cells,
        "streets": gaps.counts_by([gap for gap in ranked if gap["street"]], "street")[:STREET_ROWS],
        "coverage": analysis.coverage,
        "coverage_weekly": gaps.coverage_history(db_session, service.base_coverage(), now, WEEKS),
        "reports": report_stats(db_session, now),
    }


_bbox_cache: dict[tuple[gaps.Grid, str], list[float]] = {}


def _cell_bbox(grid: gaps.Grid, cell: str) -> list[float]:
    key = (grid, cell)
    if key not in _bbox_cache:
        _bbox_cache[key] = grid.bbox(cell)
    return _bbox_cache[key]


# ============================================================================================ the gap API
@api_bp.get("")
def api_gaps():
    """Gaps, most urgent first: filters `kind`, `value`, `cell`, `street`, `bbox`; `sort`, `limit`, `offset`."""
    filters = _gap_filters(request.args)
    limit = _int_arg("limit", API_LIMIT_DEFAULT, 1, API_LIMIT_MAX)
    offset = _int_arg("offset", 0, 0, 10_000_000)
    selected = _filtered_gaps(filters)
    return jsonify(total=len(selected), limit=limit, offset=offset, min_count=usage.MIN_SHOWN,
                   cell_size_m=gaps.CELL_M, gaps=selected[offset:offset + limit])


@api_bp.get("/summary")
def api_summary():
    """Counts of gaps by kind, grid cell and street; coverage now and per week; reports by status, type, age."""
    return jsonify(summary(db.session()))


# ============================================================================================ the pages
@bp.before_request
def guard():
    """Staff only (others: the login page, or 403); form posts need the session's CSRF token."""
    g.lang = _lang()
    if request.method == "POST":
        expected = session.get("csrf", "")
        given = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token", "")
        if not expected or not hmac.compare_digest(expected.encode(), given.encode()):
            return _error_page(403, "csrf_failed")
    if request.endpoint in _PUBLIC_ENDPOINTS:
        return None
    user = security.current_user()
    if user is None:
        return redirect(url_for("staff.login", next=request.full_path, lang=g.lang))
    if user.role != "staff":
        return _error_page(403, "staff_only")
    return None


@bp.errorhandler(LotseError)
def page_error(exc: LotseError):
    status = getattr(exc, "status", 400)
    return _error_page(status, exc.code, **exc.params)


def _error_page(status: int, code: str, **params: Any):
    table = messages(_lang())
    template = table.get(code) or table["bad_request"]
    params.setdefault("field", "")
    return _render("staff/error.html", status=status, message=template.format(**params)), status


def _link(endpoint: str, **args: Any) -> str:
    """A URL that keeps the page language."""
    args = {key: value for key, value in args.items() if value not in (None, "") and key != "lang"}
    return url_for(endpoint, lang=_lang(), **args)


def _render(template: str, **context: Any) -> str:
    lang = _lang()
    user = security.current_user()
    other = "en" if lang == "de" else "de"
    switch_args = {**request.args.to_dict(), "lang": other}
    return render_template(
        template, t=phrases(), lang=lang, other_lang=other, user=user, csrf_token=security.csrf_token(),
        lang_switch=f"{request.path}?{urlencode(switch_args)}", link=_link, pct=_percent, num=_number,
        kinds=gaps.KINDS, report_types=reports.REPORT_TYPES, work_statuses=reports.WORK_STATUSES,
        min_count=usage.MIN_SHOWN, **context)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """A staff member logs in (the same accounts and limits as the volunteer API)."""
    error = None
    next_url = request.values.get("next", "")
    if not next_url.startswith("/staff") or next_url.startswith("//"):
        next_url = _link("staff.overview")
    if request.method == "POST":
        email = request.form.get("email", "").strip().lower()
        password = request.form.get("password", "")
        security.rate_limit("login", f"{request.remote_addr}|{email}")
        db_session = db.session()
        user = db_session.scalar(select(User).where(User.email == email)) if email else None
        db_session.commit()
        if len(password) <= 1024 and security.verify_password(user, password):
            db_session.commit()
            security.log_in(user)
            return redirect(next_url, 303)
        error = messages(_lang())["bad_login"]
    status = 401 if error else 200
    return _render("staff/login.html", error=error, next_url=next_url), status


@bp.post("/logout")
def logout():
    security.log_out()
    return redirect(_link("staff.login"), 303)


@bp.get("/")
def overview():
    data = summary(db.session())
    t = phrases()
    weekly = data["reports"]["weekly"]
    bars = bar_chart([w["start"][5:] for w in weekly], [("opened", t["chart_opened"], [w["opened"] for w in weekly]),
                                                          ("fixed", t["chart_fixed"], [w["fixed"] for w in weekly])],
                     "chart-reports-title")
    coverage_points = [w["known_rate"] or 0.0 for w in data["coverage_weekly"]]
    line = line_chart([w["start"][5:] for w in data["coverage_weekly"]], coverage_points, "chart-coverage-title")
    return _render("staff/overview.html", data=data, bars=bars, line=line)


@bp.get("/gaps")
def gap_page():
    filters = _gap_filters(request.args)
    page = _int_arg("page", 1, 1, 100_000)
    selected = _filtered_gaps(filters)
    analysis = gaps.service(current_app).analysis()
    pages = max(1, math.ceil(len(selected) / PAGE_SIZE))
    rows = selected[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
    cells = sorted({gap["cell"] for gap in analysis.gaps}, key=_cell_order)
    return _render("staff/gaps.html", rows=rows, total=len(selected), page=page, pages=pages, filters=filters,
                   args=request.args.to_dict(), cells=cells)


@bp.get("/map")
def map_page():
    filters = _gap_filters(request.args)
    analysis = gaps.service(current_app).analysis()
    selected = _filtered_gaps({**filters, "sort": "priority"})
    now = utcnow()
    db_session = db.session()
    open_reports = list(db_session.scalars(
        select(Report).where(Report.status.in_(reports.OPEN), Report.valid_until > now)
        .order_by(Report.created_at.desc()).limit(MAP_REPORT_LIMIT)))
    svg, shown_gaps, shown_reports = map_svg(analysis, selected, open_reports, filters.get("cell"))
    cells = sorted({gap["cell"] for gap in analysis.gaps}, key=_cell_order)
    return _render("staff/map.html", svg=svg, shown_gaps=shown_gaps, shown_reports=shown_reports, filters=filters,
                   cells=cells, args=request.args.to_dict())


def _cell_order(label: str) -> tuple[int, str]:
    letters = label.rstrip("0123456789")
    return int(label[len(letters):]), letters


@bp.get("/reports")
def report_page():
    now = utcnow()
    status = request.args.get("status", "open")
    if status not in (*reports.STATUSES, "open"):
        raise RequestError("status", field="status")
    clauses = _report_clauses(status, now)
    page = _int_arg("page", 1, 1, 100_000)
    db_session = db.session()
    total = db_session.scalar(select(func.count()).select_from(Report).where(*clauses))
    rows = list(db_session.scalars(select(Report).where(*clauses).order_by(Report.created_at.desc(), Report.id.desc())
                                   .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
    items = _report_rows(db_session, rows, now)
    stats = report_stats(db_session, now)
    return _render("staff/reports.html", rows=items, total=total, page=page,
                   pages=max(1, math.ceil(total / PAGE_SIZE)), status=status, args=request.args.to_dict(),
                   stats=stats, statuses=("open", *reports.STATUSES[1:]))


def _report_clauses(status: str, now: datetime) -> list:
    """The reports API's status and filter clauses, plus `open`: new or confirmed and not expired, whether or not
    their validity has started."""
    if status == "open":
        return [Report.status.in_(reports.OPEN), Report.valid_until > now] + reports.filter_clauses()
    return reports._status_clauses(status, now) + reports.filter_clauses()


def _report_rows(db_session: Session, rows: list[Report], now: datetime) -> list[dict[str, Any]]:
    votes = reports._vote_counts(db_session, [row.id for row in rows])
    items = [reports.report_dict(row, votes[row.id], now) for row in rows]
    reports.add_staff_details(db_session, items, rows)
    names = _way_names()
    grid = gaps.service(current_app).analysis().grid
    to_xy = current_app.extensions["lotse.index"].project
    for item in items:
        item["street"] = names.get(item["osm_way_id"], "")
        item["cell"] = grid.cell(*to_xy(item["lat"], item["lon"]))
        item["age_days"] = (now - datetime.fromisoformat(item["created_at"])).days
    return items


def _per_graph(name: str, graph: WalkGraph, make) -> Any:
    """A value worked out once per graph (kept in the app beside the graph it belongs to)."""
    cache = current_app.extensions.setdefault("lotse.staff_cache", {})
    held = cache.get(name)
    if held is None or held[0] is not graph:
        held = cache[name] = (graph, make(graph))
    return held[1]


def _way_names() -> dict[int, str]:
    """Street names by way OSM id (names never change with accepted facts: the graph as loaded)."""
    return _per_graph("way_names", current_app.extensions["lotse.base_graph"], lambda graph: {
        int(osm): graph.texts["name"][code]
        for osm, code in zip(graph.way_osm_id.tolist(), graph.way_columns["name"].tolist())})


@bp.route("/reports/<int:report_id>", methods=["GET", "POST"])
def report_detail(report_id: int):
    db_session = db.session()
    error = None
    if request.method == "POST":
        body: dict[str, Any] = {"work_status": request.form.get("work_status", ""),
                                "note": request.form.get("note", "")}
        assignee = request.form.get("assignee_id", "")
        body["assignee_id"] = int(assignee) if assignee.isdigit() else None
        try:
            reports.update_work(security.current_user(), report_id, body)
        except LotseError as exc:
            db_session.rollback()
            if getattr(exc, "status", 400) == 404:
                raise
            error = messages(_lang()).get(exc.code) or str(exc)
        else:
            return redirect(_link("staff.report_detail", report_id=report_id, saved=1), 303)
    report = db_session.get(Report, report_id)
    if report is None:
        raise ApiError(404, "report_not_found")
    now = utcnow()
    item = _report_rows(db_session, [report], now)[0]
    events = ReportEvent
    log = db_session.execute(select(events, User.name).outerjoin(User, User.id == events.actor_id)
                             .where(events.report_id == report_id).order_by(events.id)).all()
    staff_members = list(db_session.scalars(select(User).where(User.role == "staff").order_by(User.name)))
    return _render("staff/report.html", report=item, log=log, staff_members=staff_members, error=error,
                   saved=request.args.get("saved") == "1", is_open=item["status"] in reports.OPEN), \
        (409 if error else 200)


# =============================================================================================== exports
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
    rows = _filtered_gaps(_gap_filters(request.args))
    if fmt == "csv":
        return _csv(rows, _GAP_FIELDS, "lotse-gaps.csv")
    if fmt == "geojson":
        return _geojson(rows, _GAP_FIELDS, "lotse-gaps.geojson")
    raise ApiError(404, "not_found")


@bp.get("/export/reports.<fmt>")
def export_reports(fmt: str):
    """Every report (status, type, work status and date filters as on the reports page), newest first."""
    if fmt not in ("csv", "geojson"):
        raise ApiError(404, "not_found")
    now = utcnow()
    status = request.args.get("status", "all")
    if status not in (*reports.STATUSES, "open"):
        raise RequestError("status", field="status")
    clauses = _report_clauses(status, now)
    db_session = db.session()
    rows = list(db_session.scalars(select(Report).where(*clauses).order_by(Report.created_at.desc(),
                                                                           Report.id.desc())))
    items = _report_rows(db_session, rows, now)
    for item in items:
        item["assignee"] = item["assignee"]["name"] if item["assignee"] else ""
        item["votes_yes"], item["votes_no"] = item["votes"]["yes"], item["votes"]["no"]
    if fmt == "csv":
        return _csv(items, _REPORT_FIELDS, "lotse-reports.csv")
    return _geojson(items, _REPORT_FIELDS, "lotse-reports.geojson")


@bp.get("/export/facts.osc")
def export_osmchange():
    """The accepted quest answers as osmChange (as `lotse export-osmchange`): needs the map's OSM file."""
    from app.staff.osmchange import write_osmchange
    from app.community.facts import accepted_facts

    source = current_app.config.get("OSM") or current_app.extensions["lotse.base_graph"].meta.get("source")
    path = Path(str(source)) if source else None
    if path is None or not path.is_file():
        return _error_page(404, "osm_file_missing")
    facts = accepted_facts(db.session())
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "facts.osc"
        write_osmchange(path, facts, out)
        body = out.read_text(encoding="utf-8")
    return _download(body, "application/xml", "lotse-facts.osc")


# ============================================================================================ map, charts
_MAP_SYMBOLS = {"crossing_tactile_paving": "circle", "signal_acoustic": "square", "steps_handrail": "triangle",
                "steps_count": "triangle-down", "sidewalk": "diamond", "report": "cross"}


def _base_paths(graph: WalkGraph, x0: float, y1: float) -> dict[str, str]:
    """The walk graph as three SVG paths (roads, footways, steps) in metres from the grid's north-west corner,
    simplified to 3 m."""
    offsets = graph.geom_offsets
    coords = np.column_stack([graph.geom_x - x0, y1 - graph.geom_y])
    index = np.repeat(np.arange(graph.edge_count), np.diff(offsets))
    lines = shapely.simplify(shapely.linestrings(coords, indices=index), 3.0)
    highway = np.array(graph.texts["highway"], dtype=object)[graph.way_columns["highway"]][graph.edge_way]
    groups = {"roads": graph.way_is_road[graph.edge_way], "steps": highway == "steps"}
    groups["paths"] = ~groups["roads"] & ~groups["steps"]
    paths = {}
    for name, mask in groups.items():
        points, which = shapely.get_coordinates(lines[mask], return_index=True)
        points = np.round(points).astype(int)
        # Each line: an absolute move, then relative line-tos (short numbers: a third of the absolute size).
        steps = np.diff(points, axis=0, prepend=points[:1])
        parts = []
        previous = -1
        for (x, y), (dx, dy), line in zip(points.tolist(), steps.tolist(), which.tolist()):
            if line != previous:
                parts.append(f"M{x} {y}l")
            else:
                parts.append(f"{dx} {dy} ")
            previous = line
        paths[name] = "".join(parts).replace("l M", "M").replace(" M", "M")
    return paths


def map_svg(analysis: gaps.Analysis, selected: list[dict[str, Any]], open_reports: list[Report],
            cell: str | None) -> tuple[Markup, int, int]:
    """The map: walk graph, grid with cell names, gap and report markers; the caller gives it a text alternative."""
    grid = analysis.grid
    graph = current_app.extensions["lotse.base_graph"]
    paths = _per_graph("map_paths", graph, lambda graph: _base_paths(graph, grid.x0, grid.y1))
    if cell:
        west, south, east, north = grid.bounds_xy(cell)
        margin = gaps.CELL_M * 0.1
        view = (west - grid.x0 - margin, grid.y1 - north - margin, gaps.CELL_M + 2 * margin, gaps.CELL_M + 2 * margin)
    else:
        view = (0.0, 0.0, grid.columns * gaps.CELL_M, grid.rows * gaps.CELL_M)
    scale = view[2] / MAP_WIDTH_PX  # metres per pixel at the default width
    size = (5 if cell is None else 8) * scale
    index = {gap["id"]: i for i, gap in enumerate(analysis.gaps)}

    def inside(x: float, y: float) -> bool:
        return view[0] <= x <= view[0] + view[2] and view[1] <= y <= view[1] + view[3]

    markers: list[str] = []
    shown_gaps = 0
    for gap in selected:
        i = index[gap["id"]]
        x, y = float(analysis.x[i] - grid.x0), float(grid.y1 - analysis.y[i])
        if inside(x, y):
            shown_gaps += 1
            markers.append(f'<use href="#sym-{_MAP_SYMBOLS[gap["kind"]]}" class="gap {gap["kind"]}" '
                           f'x="{x:.0f}" y="{y:.0f}"/>')
    to_xy = current_app.extensions["lotse.index"].project
    shown_reports = 0
    for report in open_reports:
        px, py = to_xy(report.lat, report.lon)
        x, y = px - grid.x0, grid.y1 - py
        if inside(x, y):
            shown_reports += 1
            markers.append(f'<use href="#sym-cross" class="report" x="{x:.0f}" y="{y:.0f}"/>')
    grid_lines = []
    for column in range(grid.columns + 1):
        grid_lines.append(f"M{column * gaps.CELL_M:.0f} 0V{grid.rows * gaps.CELL_M:.0f}")
    for row in range(grid.rows + 1):
        grid_lines.append(f"M0 {row * gaps.CELL_M:.0f}H{grid.columns * gaps.CELL_M:.0f}")
    label_size = (gaps.CELL_M / 12) if cell else gaps.CELL_M / 3.5
    labels = "".join(
        f'<text x="{c * gaps.CELL_M + label_size * 0.3:.0f}" y="{r * gaps.CELL_M + label_size:.0f}">'
        f'{grid.label(c, r)}</text>' for r in range(grid.rows) for c in range(grid.columns))
    s = size
    symbols = (
        f'<symbol id="sym-circle" overflow="visible"><circle r="{s:.1f}"/></symbol>'
        f'<symbol id="sym-square" overflow="visible"><rect x="{-s:.1f}" y="{-s:.1f}" width="{2 * s:.1f}" '
        f'height="{2 * s:.1f}"/></symbol>'
        f'<symbol id="sym-triangle" overflow="visible"><path d="M0 {-s * 1.2:.1f}L{s * 1.1:.1f} {s * 0.8:.1f}'
        f'H{-s * 1.1:.1f}Z"/></symbol>'
        f'<symbol id="sym-triangle-down" overflow="visible"><path d="M0 {s * 1.2:.1f}L{s * 1.1:.1f} {-s * 0.8:.1f}'
        f'H{-s * 1.1:.1f}Z"/></symbol>'
        f'<symbol id="sym-diamond" overflow="visible"><path d="M0 {-s * 1.3:.1f}L{s * 1.3:.1f} 0L0 {s * 1.3:.1f}'
        f'L{-s * 1.3:.1f} 0Z"/></symbol>'
        f'<symbol id="sym-cross" overflow="visible"><path d="M{-s * 1.3:.1f} {-s * 0.4:.1f}H{-s * 0.4:.1f}'
        f'V{-s * 1.3:.1f}H{s * 0.4:.1f}V{-s * 0.4:.1f}H{s * 1.3:.1f}V{s * 0.4:.1f}H{s * 0.4:.1f}V{s * 1.3:.1f}'
        f'H{-s * 0.4:.1f}V{s * 0.4:.1f}H{-s * 1.3:.1f}Z"/></symbol>'
    )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="city-map" viewBox="{view[0]:.0f} {view[1]:.0f} '
        f'{view[2]:.0f} {view[3]:.0f}" role="img" aria-labelledby="map-caption" focusable="false" '
        f'style="--stroke:{scale:.2f}px; --label:{label_size:.0f}px">'
        f'<defs>{symbols}</defs>'
        f'<g aria-hidden="true"><path class="grid" d="{"".join(grid_lines)}"/>'
        f'<g class="cell-labels">{labels}</g>'
        f'<path class="paths" d="{paths["paths"]}"/><path class="roads" d="{paths["roads"]}"/>'
        f'<path class="steps" d="{paths["steps"]}"/>'
        f'<g class="markers">{"".join(markers)}</g></g></svg>'
    )
    return Markup(svg), shown_gaps, shown_reports


def bar_chart(labels: list[str], series: list[tuple[str, str, list[int]]], title_id: str) -> Markup:
    """Grouped bars, one group per label; series are told apart by fill and pattern, not by colour alone."""
    width, height, left, bottom, top = 760, 260, 40, 40, 10
    peak = max([1] + [value for _, _, values in series for value in values])
    step = _nice_step(peak)
    peak = math.ceil(peak / step) * step
    group = (width - left - 10) / max(len(labels), 1)
    bar = group * 0.8 / len(series)
    plot_h = height - bottom - top
    parts = []
    for tick in range(0, peak + 1, step):
        y = top + plot_h * (1 - tick / peak)
        parts.append(f'<line class="tick" x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}"/>'
                     f'<text class="axis" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>')
    for i, label in enumerate(labels):
        x0 = left + i * group + group * 0.1
        for j, (key, _, values) in enumerate(series):
            h = plot_h * values[i] / peak
            parts.append(f'<rect class="bar {key}" x="{x0 + j * bar:.1f}" y="{top + plot_h - h:.1f}" '
                         f'width="{bar:.1f}" height="{h:.1f}"/>')
        if (len(labels) - 1 - i) % 4 == 0:
            parts.append(f'<text class="axis" x="{x0 + group * 0.4:.1f}" y="{height - bottom + 16}" '
                         f'text-anchor="middle">{escape(label)}</text>')
    legend = "".join(
        f'<rect class="bar {key}" x="{left + k * 170}" y="{height - 16}" width="14" height="14"/>'
        f'<text class="axis" x="{left + k * 170 + 20}" y="{height - 4}">{escape(name)}</text>'
        for k, (key, name, _) in enumerate(series))
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{title_id}" focusable="false"><defs><pattern id="hatch" width="6" height="6" '
        f'patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" class="hatch-bg"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" class="hatch-line"/></pattern></defs>'
        f'<g aria-hidden="true">{"".join(parts)}{legend}</g></svg>')


def line_chart(labels: list[str], values: list[float], title_id: str) -> Markup:
    """One line of shares (0..1) over time, with percent ticks and a dot per point."""
    width, height, left, bottom, top = 760, 240, 48, 28, 10
    right = 24
    peak = max([0.05] + values)
    peak = min(1.0, math.ceil(peak * 10) / 10)
    plot_w, plot_h = width - left - right, height - bottom - top
    parts = []
    for k in range(0, 6):
        tick = peak * k / 5
        y = top + plot_h * (1 - k / 5)
        parts.append(f'<line class="tick" x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}"/>'
                     f'<text class="axis" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
                     f'{escape(_number(tick * 100, 0))} %</text>')
    n = max(len(values) - 1, 1)
    points = [(left + plot_w * i / n, top + plot_h * (1 - value / peak)) for i, value in enumerate(values)]
    parts.append('<polyline class="line" points="' + " ".join(f"{x:.1f},{y:.1f}" for x, y in points) + '"/>')
    parts.extend(f'<circle class="dot" cx="{x:.1f}" cy="{y:.1f}" r="3"/>' for x, y in points)
    for i, label in enumerate(labels):
        if (len(labels) - 1 - i) % 4 == 0:
            parts.append(f'<text class="axis" x="{points[i][0]:.1f}" y="{height - 8}" text-anchor="middle">'
                         f'{escape(label)}</text>')
    return Markup(f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
                  f'role="img" aria-labelledby="{title_id}" focusable="false"><g aria-hidden="true">'
                  f'{"".join(parts)}</g></svg>')


def _nice_step(peak: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000):
        if peak / step <= 6:
            return step
    return 10 ** math.ceil(math.log10(peak / 6))
