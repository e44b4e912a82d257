"""City staff: the accessibility gap review as server-rendered pages under `/staff` (German first, `?lang=en`).

Pages: overview (`/staff/`), gaps (`/staff/gaps`), map (`/staff/map`), reports (`/staff/reports`, one report with
its workflow at `/staff/reports/ID`), login and logout; downloads in `app.staff.exports`. Every page is for staff
accounts only (a volunteer gets 403), with the shared login, session and CSRF checks of `app.core.security`.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from pydantic import Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.community import reports
from app.core import db, security, usage
from app.core.inputs import ID_MAX, Query, ascii_int, parse_query
from app.core.language import current_language
from app.core.models import Report, ReportEvent, User, utcnow
from app.staff.charts import bar_chart, line_chart
from app.staff.filters import GapFilters, StaffReportFilters, filtered_gaps, gap_filters
from app.staff.gaps import per_graph, service
from app.staff.stats import report_stats, summary
from app.staff.svgmap import map_svg
from routing.errors import LotseError
from routing.gaps import KINDS, VALUES
from routing.obstacles import OPEN, REPORT_TYPES, WORK_STATUSES
from routing.phrases import LANGUAGES

bp = Blueprint("staff", __name__, url_prefix="/staff", template_folder="../../templates")

PAGE_SIZE = 100
MAP_REPORT_LIMIT = 2000
MAP_FILTERS = ("kind", "value", "cell", "street")  # the gap table's filters, which the web map's gap layers share
_PUBLIC_ENDPOINTS = frozenset({"staff.login"})
PAGE_MAX = 100_000


class PageNumber(Query):
    """A page of a staff table."""

    page: Annotated[int, Field(ge=1, le=PAGE_MAX)] = 1


class GapPage(GapFilters, PageNumber):
    """A page of the gap table, with its filters."""


@bp.before_request
def guard():
    """Staff only (others: the login page, or 403); form posts need the session's CSRF token."""
    security.check_csrf()
    if request.endpoint in _PUBLIC_ENDPOINTS:
        return None
    if security.current_user() is None:
        return redirect(url_for("staff.login", next=request.full_path, lang=current_language().code))
    security.require_staff()
    return None


@bp.errorhandler(LotseError)
def page_error(exc: LotseError):
    """Errors of the staff pages as a page in the page's language."""
    return _render("staff/error.html", status=exc.status,
                   message=current_language().message(exc.code, **{"field": "", **exc.params})), exc.status


def _link(endpoint: str, **args: Any) -> str:
    """A URL that keeps the page language."""
    args = {key: value for key, value in args.items() if value not in (None, "") and key != "lang"}
    return url_for(endpoint, lang=current_language().code, **args)


def _render(template: str, **context: Any) -> str:
    language = current_language()
    other = next(code for code in LANGUAGES if code != language.code)
    switch_args = {**request.args.to_dict(), "lang": other}
    return render_template(
        template, t=language.table("staff"), lang=language.code, other_lang=other, user=security.current_user(),
        csrf_token=security.csrf_token(), lang_switch=f"{request.path}?{urlencode(switch_args)}", link=_link,
        pct=language.percent, num=language.number,
        kinds=KINDS, gap_values=VALUES, report_types=REPORT_TYPES, work_statuses=WORK_STATUSES,
        min_count=usage.MIN_SHOWN, **context)


def _safe_next(target: str) -> bool:
    """A redirect target after login: a path under /staff, printable ASCII, no scheme or host (no CRLF into the
    Location header, no open redirect)."""
    return (target.startswith("/staff") and target.isascii() and target.isprintable() and "\\" not in target
            and not target.startswith("//") and len(target) <= 2000)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """A staff member logs in (the same accounts, checks and limits as the volunteer API)."""
    error = None
    next_url = request.values.get("next", "")
    if not _safe_next(next_url):
        next_url = _link("staff.overview")
    if request.method == "POST":
        try:
            user = security.authenticate(request.form.get("email", ""), request.form.get("password", ""))
        except LotseError as exc:
            if exc.status != 401:  # rate limited or busy: the error page says so
                raise
            error = current_language().message("bad_login")
        else:
            security.log_in(user)
            return redirect(next_url, 303)
    status = 401 if error else 200
    # After an error the email stays (only the password is typed again).
    return _render("staff/login.html", error=error, next_url=next_url,
                   email=request.form.get("email", "")[:254]), status


@bp.post("/logout")
def logout():
    security.log_out()
    return redirect(_link("staff.login"), 303)


@bp.get("/")
def overview():
    data = summary(db.session())
    t = current_language().table("staff")
    weekly = data["reports"]["weekly"]
    bars = bar_chart([w["start"][5:] for w in weekly], [("opened", t["chart_opened"], [w["opened"] for w in weekly]),
                                                          ("fixed", t["chart_fixed"], [w["fixed"] for w in weekly])],
                     "chart-reports-title")
    coverage_points = [w["known_rate"] or 0.0 for w in data["coverage_weekly"]]
    line = line_chart([w["start"][5:] for w in data["coverage_weekly"]], coverage_points, "chart-coverage-title",
                      current_language())
    return _render("staff/overview.html", data=data, bars=bars, line=line)


@bp.get("/gaps")
def gap_page():
    filters = parse_query(GapPage)
    page = filters.page
    selected = filtered_gaps(filters)
    analysis = service(current_app).analysis()
    pages = max(1, math.ceil(len(selected) / PAGE_SIZE))
    rows = selected[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
    cells = sorted({gap["cell"] for gap in analysis.gaps}, key=_cell_order)
    return _render("staff/gaps.html", rows=rows, total=len(selected), page=page, pages=pages, filters=filters,
                   args=request.args.to_dict(), cells=cells)


@bp.get("/map")
def map_page():
    filters = gap_filters()
    analysis = service(current_app).analysis()
    selected = filtered_gaps(filters.model_copy(update={"sort": "priority"}))
    now = utcnow()
    db_session = db.session()
    open_reports = list(db_session.scalars(
        select(Report).where(Report.status.in_(OPEN), Report.valid_until > now)
        .order_by(Report.created_at.desc()).limit(MAP_REPORT_LIMIT)))
    svg, shown_gaps, shown_reports = map_svg(analysis, selected, open_reports, filters.cell)
    cells = sorted({gap["cell"] for gap in analysis.gaps}, key=_cell_order)
    bounds = analysis.grid.bbox(filters.cell) if filters.cell else current_app.extensions["lotse.index"].bounds
    return _render("staff/map.html", svg=svg, shown_gaps=shown_gaps, shown_reports=shown_reports, filters=filters,
                   cells=cells, args=request.args.to_dict(), web_map=_web_map_settings(list(bounds)))


def _web_map_settings(bounds: list[float]) -> dict[str, Any]:
    """What static/staff/map.js needs: where to look, the table's filters for the gap layers, the layers' URLs, the
    tiles (if any) and its texts in the page language."""
    t = current_language().table("staff")
    return {
        "bounds": bounds, "lang": current_language().code, "kinds": list(KINDS),  # in order: tojson sorts keys
        "filters": {key: value for key, value in request.args.items() if key in MAP_FILTERS and value},
        "tile_url": current_app.config["TILE_URL"] or None, "tile_attribution": current_app.config["TILE_ATTRIBUTION"],
        "gaps_url": url_for("gaps_api.api_gap_map"), "graph_url": url_for("map_api.graph"),
        "reports_url": url_for("map_api.reports"), "gap_table_url": url_for("staff.gap_page"),
        "report_url": url_for("staff.report_detail", report_id=0)[:-1],
        "texts": {
            "kinds": {kind: t[f"kind_short_{kind}"] for kind in KINDS},
            "values": {value: t[f"value_{value}"] for value in VALUES},
            "highways": {key[len("highway_"):]: label for key, label in t.items() if key.startswith("highway_")},
            "types": {report_type: t[f"type_{report_type}"] for report_type in REPORT_TYPES},
            **{key: t[f"web_map_{key}"] for key in ("reports", "graph", "cluster", "cluster_link", "row_link",
                                                    "report_link", "zoom_in", "zoom_out", "layers")},
            "unnamed": t["unnamed"],
        },
    }


def _cell_order(label: str) -> tuple[int, str]:
    letters = label.rstrip("0123456789")
    return int(label[len(letters):]), letters


@bp.get("/reports")
def report_page():
    now = utcnow()
    filters = parse_query(StaffReportFilters)
    status = filters.status or "open"
    clauses = reports.status_clauses(status, now) + reports.filter_clauses(filters)
    page = parse_query(PageNumber).page
    db_session = db.session()
    total = db_session.scalar(select(func.count()).select_from(Report).where(*clauses))
    rows = list(db_session.scalars(select(Report).where(*clauses).order_by(Report.created_at.desc(), Report.id.desc())
                                   .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
    items = report_rows(db_session, rows, now)
    stats = report_stats(db_session, now)
    return _render("staff/reports.html", rows=items, total=total, page=page,
                   pages=max(1, math.ceil(total / PAGE_SIZE)), status=status, args=request.args.to_dict(),
                   stats=stats, statuses=("open", *reports.STATUSES[1:]))


def report_rows(db_session: Session, rows: list[Report], now: datetime) -> list[dict[str, Any]]:
    items = reports.report_dicts(db_session, rows, now)
    reports.add_staff_details(db_session, items, rows)
    names = _way_names()
    grid = service(current_app).analysis().grid
    to_xy = current_app.extensions["lotse.index"].project
    for item in items:
        item["street"] = names.get(item["osm_way_id"], "")
        item["cell"] = grid.cell(*to_xy(item["lat"], item["lon"]))
        item["age_days"] = (now - datetime.fromisoformat(item["created_at"])).days
    return items


def _way_names() -> dict[int, str]:
    """Street names by way OSM id (names never change with accepted facts: the graph as loaded)."""
    return per_graph("way_names", current_app.extensions["lotse.base_graph"], lambda graph: {
        int(osm): graph.texts["name"][code]
        for osm, code in zip(graph.way_osm_id.tolist(), graph.way_columns["name"].tolist())})


@bp.route("/reports/<id:report_id>", methods=["GET", "POST"])
def report_detail(report_id: int):
    db_session = db.session()
    error, status = None, 200
    if request.method == "POST":
        try:
            reports.update_work(security.current_user(), report_id, _work_form())
        except LotseError as exc:
            db_session.rollback()
            if exc.status == 404:
                raise
            error, status = current_language().message(exc.code, **{"field": "", **exc.params}), exc.status
        else:
            return redirect(_link("staff.report_detail", report_id=report_id, saved=1), 303)
    report = db_session.get(Report, report_id)
    if report is None:
        raise LotseError(code="report_not_found", status=404)
    now = utcnow()
    item = report_rows(db_session, [report], now)[0]
    events = ReportEvent
    log = db_session.execute(select(events, User.name).outerjoin(User, User.id == events.actor_id)
                             .where(events.report_id == report_id).order_by(events.id)).all()
    staff_members = list(db_session.scalars(select(User).where(User.role == "staff").order_by(User.name)))
    return _render("staff/report.html", report=item, log=log, staff_members=staff_members, error=error,
                   saved=request.args.get("saved") == "1", is_open=item["status"] in OPEN), status


def _work_form() -> dict[str, Any]:
    """The report page's workflow form as the body of `reports.update_work`: an empty assignee unassigns, one that
    is not a whole number of ASCII digits in the ids' range is refused (never read as "nobody")."""
    body: dict[str, Any] = {"work_status": request.form.get("work_status", ""), "note": request.form.get("note", "")}
    assignee = request.form.get("assignee_id", "")
    body["assignee_id"] = ascii_int(assignee, 1, ID_MAX) if assignee else None
    if assignee and body["assignee_id"] is None:
        raise LotseError('"assignee_id" must be the id of a staff account', field="assignee_id")
    return body
