"""The report API: volunteers create, list and vote on obstacle reports; staff resolve, reject and work on them.
The rules (types, validity, effect on routing, vote outcome) are `routing.obstacles`; the queries the staff pages
need are the public functions here.

Lifecycle: new → confirmed (a second volunteer says "yes" on site, or staff made it) → resolved or rejected (by
staff, or by the volunteers' "no" votes outnumbering the "yes" ones); a new or confirmed report past its
`valid_until` is expired. Which reports steer walkers (the trust rules) and which merge is `routing.obstacles`.
Public listings never say who reported: staff ask with `include=staff`.
On top, the city's workflow (staff only): work status new → in_progress → fixed, with an assignee and notes; "fixed"
closes the report with status `fixed`, which the volunteers see.
Every change is written to the audit log (`ReportEvent`) in the same transaction as the change itself.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta, timezone
from typing import Annotated, Any, Literal

from flask import Blueprint, Flask, current_app, has_request_context, jsonify, request, url_for
from pydantic import Field
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from app.core import db, security, shared
from app.core.inputs import (
    BBox,
    Body,
    Id,
    Number,
    Query,
    Reply,
    Text,
    comma_separated,
    parse_body,
    parse_query,
    validate,
)
from app.core.models import Report, ReportEvent, ReportVote, User, iso_utc, utcnow
from routing import tags
from routing.errors import LotseError
from routing.obstacles import (
    CONFIRMED_OUTCOMES,
    MAX_VALIDITY,
    OPEN,
    REJECTED_OUTCOMES,
    REPORT_TYPES,
    SEVERITIES,
    TRUSTED_WINDOW,
    VOTES,
    WORK_STATUSES,
    effective_status,
    in_force,
    merges,
    reporter_trusted,
    routing_effect,
    vote_outcome,
)
from routing.planner import Obstacle

bp = Blueprint("reports", __name__, url_prefix="/api/reports")
security.protect(bp)
log = logging.getLogger(__name__)

ReportListener = Callable[[dict[str, Any]], None]
# News to the other server processes (app.core.shared): their obstacles and their walkers
REPORTS_CHANGED = "reports_changed"
REPORT_CONFIRMED = "report_confirmed"

REPORT_STATUSES = ("new", "confirmed", "resolved", "fixed", "rejected", "expired")  # what a report shows
STATUSES = ("active", *REPORT_STATUSES, "all")  # what a listing filters by
DESCRIPTION_MAX = 1000
LIST_LIMIT = 200
RADIUS_MAX_M = 5000.0


def active_obstacles(db_session: Session, now: datetime) -> tuple[Obstacle, ...]:
    """The obstacles of every new or confirmed report valid at `now`, in report order (a stable cache key); those not
    in force (unconfirmed, see `routing.obstacles`) as notes that cost nothing. No free text goes to the planner."""
    reports = list(db_session.scalars(
        select(Report).where(Report.status.in_(OPEN), Report.valid_from <= now, Report.valid_until > now)
        .order_by(Report.id)
    ))
    trusted = trusted_reporters(db_session, (report.reporter_id for report in reports if report.status == "new"))
    obstacles = []
    for report in reports:
        severity, penalty_m = routing_effect(report.type, report.severity, report_in_force(report, trusted))
        obstacles.append(Obstacle(
            severity=severity, kind=report.type, lat=report.lat, lon=report.lon,
            penalty_m=penalty_m, valid_from=report.valid_from, valid_until=report.valid_until,
        ))
    return tuple(obstacles)


def trusted_reporters(db_session: Session, reporter_ids: Iterable[int]) -> set[int]:
    """The reporters among `reporter_ids` whose record lets their new reports count (`reporter_trusted`): judged on
    each one's last `TRUSTED_WINDOW` decided reports, newest first."""
    reporter_ids = set(reporter_ids)
    if not reporter_ids:
        return set()
    rank = func.row_number().over(partition_by=Report.reporter_id,
                                  order_by=(Report.updated_at.desc(), Report.id.desc())).label("rank")
    recent = (select(Report.reporter_id, Report.status, rank)
              .where(Report.reporter_id.in_(reporter_ids), Report.status.in_(CONFIRMED_OUTCOMES | REJECTED_OUTCOMES))
              .subquery())
    outcomes: dict[int, list[str]] = defaultdict(list)
    for reporter_id, status in db_session.execute(
            select(recent.c.reporter_id, recent.c.status).where(recent.c.rank <= TRUSTED_WINDOW)
            .order_by(recent.c.reporter_id, recent.c.rank)):
        outcomes[reporter_id].append(status)
    return {reporter_id for reporter_id, statuses in outcomes.items() if reporter_trusted(statuses)}


def report_in_force(report: Report, trusted: set[int]) -> bool:
    """Whether the (open) report steers walkers, given the trusted reporters."""
    return in_force(report.status, report.type, report.severity, report.reporter_id in trusted)


class ActiveObstacles:
    """`app.extensions["lotse.obstacles"]()`: the obstacles in force now, for the planner on every route.

    Kept in memory and read again after a report changed in this process, when a report's validity starts or ends,
    and at least every `max_age_s` (for changes made by another process, e.g. a command).
    """

    def __init__(self, app: Flask, max_age_s: float = 10.0) -> None:
        self._app = app
        self._max_age = timedelta(seconds=max_age_s)
        self._lock = threading.Lock()
        self._obstacles: tuple[Obstacle, ...] | None = None
        self._expires = datetime.min.replace(tzinfo=timezone.utc)

    def __call__(self) -> tuple[Obstacle, ...]:
        now = utcnow()
        with self._lock:
            if self._obstacles is None or now >= self._expires:
                with db.app_session(self._app) as db_session:
                    self._obstacles = active_obstacles(db_session, now)
                    starts = db_session.scalar(select(func.min(Report.valid_from))
                                               .where(Report.status.in_(OPEN), Report.valid_from > now))
                ends = [obstacle.valid_until for obstacle in self._obstacles]
                self._expires = min([now + self._max_age, *ends, *([starts] if starts else [])])
            return self._obstacles

    def invalidate(self) -> None:
        with self._lock:
            self._obstacles = None


def init_app(app: Flask) -> None:
    """Feed active reports to the planner; listeners in `lotse.report_listeners` are called with the report's dict
    after a report became confirmed (live guidance subscribes to announce it and re-plan), in this process and,
    by the news bus, in every other."""
    obstacles = app.extensions["lotse.obstacles"] = ActiveObstacles(app)
    app.extensions.setdefault("lotse.report_listeners", [])
    bus = shared.bus_of(app)

    def confirmed_elsewhere(report: dict[str, Any]) -> None:
        obstacles.invalidate()  # the re-planned routes must go around it
        _tell_listeners(app, report)

    def missed_news(deaf_since: float) -> None:
        obstacles.invalidate()  # changes may have been missed meanwhile
        for report in confirmed_since(app, datetime.fromtimestamp(deaf_since, UTC)):
            _tell_listeners(app, report)

    bus.on(REPORTS_CHANGED, lambda _: obstacles.invalidate())
    bus.on(shared.RECONNECTED, missed_news)
    bus.on(REPORT_CONFIRMED, confirmed_elsewhere)


def confirmed_since(app: Flask, since: datetime) -> list[dict[str, Any]]:
    """The reports in force now that were changed since `since` and are confirmed: what a process that did not hear
    the others for a while tells its walkers (a walker told already is not told again)."""
    now = utcnow()
    with db.app_session(app) as db_session:
        reports = list(db_session.scalars(select(Report).where(Report.status == "confirmed",
                                                               Report.updated_at >= since)))
        return [report for report in report_dicts(db_session, reports, now) if report["routing"]["in_force"]]


def _changed() -> None:
    """After a commit that changed a report: routes planned from now on see it, in every process."""
    current_app.extensions["lotse.obstacles"].invalidate()
    shared.bus_of(current_app).publish(REPORTS_CHANGED)


def notify_confirmed(report: dict[str, Any]) -> None:
    """Tell every listener, here and in the other server processes."""
    _tell_listeners(current_app, report)
    shared.bus_of(current_app).publish(REPORT_CONFIRMED, report)


def _tell_listeners(app: Flask, report: dict[str, Any]) -> None:
    """One that fails is logged and does not stop the others or the request."""
    listeners: list[ReportListener] = app.extensions["lotse.report_listeners"]
    for listener in list(listeners):
        try:
            listener(report)
        except Exception:
            log.exception("Report listener %r failed", listener)


# ----------------------------------------------------------------------------------------------- input
ReportText = Annotated[Text, Field(max_length=DESCRIPTION_MAX)]


class NewReport(Body):
    type: Literal[tuple(REPORT_TYPES)]
    lat: Number
    lon: Number
    severity: Literal[SEVERITIES] = "medium"
    description: ReportText = ""
    valid_from: Text | None = None  # ISO 8601 with a zone; default now
    valid_until: Text | None = None  # default: the type's usual validity


ISO_TIME_MAX = 35  # "2024-05-01T12:00:00.123456+02:00" and a little


class ReportFilters(Query):
    """The type, work-status and date filters of a report query: the report API, the staff pages and exports alike."""

    type: comma_separated(tuple(REPORT_TYPES)) | None = Field(
        None, description="One or more report types, comma-separated")
    work_status: Literal[WORK_STATUSES] | None = None
    since: str | None = Field(None, max_length=ISO_TIME_MAX,
                              description="Reported at or after: a date (2024-05-01) or an ISO 8601 time")
    until: str | None = Field(None, max_length=ISO_TIME_MAX,
                              description="Reported before: an ISO 8601 time, or a date (to its end)")


class ReportQuery(ReportFilters):
    lat: Number | None = Field(None, description="With lon: reports within radius_m, nearest first")
    lon: Number | None = Field(None, description="See lat")
    radius_m: Annotated[float, Field(gt=0, le=RADIUS_MAX_M, allow_inf_nan=False)] = 500.0
    bbox: BBox | None = Field(None, description="south,west,north,east in degrees")
    status: Literal[STATUSES] = "active"
    include: Literal["staff"] | None = Field(None, description="Staff only: add reporter, assignee, work note")


class Vote(Body):
    answer: Literal[VOTES]


class StaffNote(Body):
    note: ReportText = ""


class WorkChange(Body):
    work_status: Literal[WORK_STATUSES] | None = None
    assignee_id: Id | None = None  # a staff account, or null to unassign
    note: ReportText = ""


# ---------------------------------------------------------------------------------------- replies (documented)
class RoutingState(Reply):
    effect: Literal["block", "penalty", "note"]
    penalty_m: float
    in_force: bool = Field(description="Whether it steers walkers yet (the trust rules)")


class ReportOut(Reply):
    """A report as anyone sees it: never who reported, only whether it is the viewer's own (`mine`)."""

    id: int
    type: Literal[tuple(REPORT_TYPES)]
    status: Literal[REPORT_STATUSES]
    severity: Literal[SEVERITIES]
    description: str
    lat: float
    lon: float
    edge: int
    osm_way_id: int
    valid_from: datetime
    valid_until: datetime
    created_at: datetime
    updated_at: datetime
    mine: bool
    work_status: Literal[WORK_STATUSES]
    votes: dict[Literal[VOTES], int]
    routing: RoutingState
    distance_m: float | None = Field(None, description="Only near a point: metres from it")


class Person(Reply):
    id: int
    name: str
    email: str


class StaffReportOut(ReportOut):
    """A report as staff see it (`include=staff`): with who reported, the assignee and the latest work note."""

    reporter_id: int
    reporter: Person | None
    assignee: Person | None
    work_note: str


class ReportReply(Reply):
    report: ReportOut
    merged: bool | None = Field(None, description="Only when a new report merged into this open one")


class ReportList(Reply):
    reports: list[ReportOut | StaffReportOut] = Field(max_length=LIST_LIMIT)


class ReportEventOut(Reply):
    action: Literal["created", "merged", "vote", "confirmed", "resolved", "rejected", "work", "fixed"]
    actor_id: int | None = Field(description="null: the votes decided")
    at: datetime
    detail: dict[str, Any]


class ReportEvents(Reply):
    events: list[ReportEventOut]


def parse_time(value: object, field: str) -> datetime:
    """An ISO 8601 time with a zone (`2024-05-01T08:00:00Z`, `...+02:00`) as aware UTC."""
    if not isinstance(value, str):
        raise LotseError(f'"{field}" must be an ISO 8601 time', field=field)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise LotseError(f'"{field}" must be an ISO 8601 time', field=field) from None
    if parsed.tzinfo is None:
        raise LotseError(f'"{field}" needs a time zone, e.g. Z or +02:00', field=field)
    return parsed.astimezone(timezone.utc)


def _validity(body: NewReport, report_type: str, now: datetime) -> tuple[datetime, datetime]:
    valid_from = parse_time(body.valid_from, "valid_from") if body.valid_from is not None else now
    if body.valid_until is not None:
        valid_until = parse_time(body.valid_until, "valid_until")
    else:
        valid_until = valid_from + REPORT_TYPES[report_type].default_validity
    if not valid_from < valid_until <= valid_from + MAX_VALIDITY:
        raise LotseError('"valid_until" must be after "valid_from", within a year', field="valid_until")
    return valid_from, valid_until


# ---------------------------------------------------------------------------------------------- output
def report_dict(report: Report, votes: dict[str, int], now: datetime, trusted: set[int],
                viewer: User | None = None) -> dict[str, Any]:
    """A report as the API shows it: never who reported (the list is public), only whether it is the viewer's own
    (`mine`); `routing.in_force` says whether it steers walkers yet."""
    status = effective_status(report, now)
    steering = status in OPEN and report_in_force(report, trusted)
    severity, penalty_m = routing_effect(report.type, report.severity, steering)
    return {
        "id": report.id,
        "type": report.type,
        "status": status,
        "severity": report.severity,
        "description": report.description,
        "lat": report.lat,
        "lon": report.lon,
        "edge": report.edge,
        "osm_way_id": report.osm_way_id,
        "valid_from": iso_utc(report.valid_from),
        "valid_until": iso_utc(report.valid_until),
        "created_at": iso_utc(report.created_at),
        "updated_at": iso_utc(report.updated_at),
        "mine": viewer is not None and report.reporter_id == viewer.id,
        "work_status": report.work_status,
        "votes": {answer: votes.get(answer, 0) for answer in VOTES},
        "routing": {"effect": severity, "penalty_m": penalty_m, "in_force": steering},
    }


def report_dicts(db_session: Session, reports: list[Report], now: datetime) -> list[dict[str, Any]]:
    """`report_dict` of each report, with its votes and its reporter's trust, as the current user sees it (outside a
    request: as nobody's)."""
    votes = vote_counts(db_session, [report.id for report in reports])
    trusted = trusted_reporters(db_session, (report.reporter_id for report in reports))
    viewer = security.current_user() if has_request_context() else None
    return [report_dict(report, votes[report.id], now, trusted, viewer) for report in reports]


def vote_counts(db_session: Session, report_ids: list[int]) -> dict[int, dict[str, int]]:
    """Votes per answer of each report."""
    counts: dict[int, dict[str, int]] = {report_id: {} for report_id in report_ids}
    if report_ids:
        rows = db_session.execute(
            select(ReportVote.report_id, ReportVote.answer, func.count())
            .where(ReportVote.report_id.in_(report_ids)).group_by(ReportVote.report_id, ReportVote.answer)
        )
        for report_id, answer, count in rows:
            counts[report_id][answer] = count
    return counts


def _event(db_session: Session, report: Report, actor: User | None, action: str, **detail: Any) -> None:
    db_session.add(ReportEvent(report_id=report.id, actor_id=actor.id if actor else None, action=action,
                               detail=detail))


def _get_open(db_session: Session, report_id: int, now: datetime) -> Report:
    """The report, locked against concurrent votes (PostgreSQL; SQLite writers are serialised); 409 if closed."""
    report = db_session.get(Report, report_id, with_for_update=True)
    if report is None:
        raise LotseError(code="report_not_found", status=404)
    if effective_status(report, now) not in OPEN:
        raise LotseError(code="report_closed", status=409)
    return report


# ----------------------------------------------------------------------------------------------- views
@bp.post("")
def create():
    """`{"type", "lat", "lon", "severity", "description"?, "valid_from"?, "valid_until"?}` → the report (201), or
    the open report of the same type on the same way a few metres away that it merged into (200, `merged`)."""
    user = security.require_user()
    security.rate_limit("reports", str(user.id))  # every attempt counts, a refused one too
    body = parse_body(NewReport, codes={"lat": "bad_coordinate", "lon": "bad_coordinate"})
    report_type, severity, description = body.type, body.severity, body.description
    now = utcnow()
    valid_from, valid_until = _validity(body, report_type, now)
    graph = current_app.extensions["lotse.graph"]
    snap = current_app.extensions["lotse.index"].snap(body.lat, body.lon)
    osm_way_id = int(graph.way_osm_id[graph.edge_way[snap.edge]])
    db_session = db.session()
    same = _same_obstacle(db_session, report_type, osm_way_id, snap.lat, snap.lon, now)
    if same is not None:
        return _merge(db_session, same, user, now)
    report = Report(
        type=report_type, status="confirmed" if user.role == "staff" else "new", severity=severity,
        description=description.strip(), lat=snap.lat, lon=snap.lon, reported_lat=body.lat,
        reported_lon=body.lon, edge=snap.edge, osm_way_id=osm_way_id,
        valid_from=valid_from, valid_until=valid_until, reporter_id=user.id, created_at=now, updated_at=now,
    )
    db_session.add(report)
    db_session.flush()
    _event(db_session, report, user, "created", type=report_type, severity=severity,
           valid_from=iso_utc(valid_from), valid_until=iso_utc(valid_until))
    [result] = report_dicts(db_session, [report], now)  # in the transaction: the listeners may plan routes
    db_session.commit()
    _changed()
    if result["routing"]["in_force"]:
        notify_confirmed(result)
    response = jsonify(report=result)
    response.headers["Location"] = url_for("reports.show", report_id=report.id)
    return response, 201


def _same_obstacle(db_session: Session, report_type: str, osm_way_id: int, lat: float, lon: float,
                   now: datetime) -> Report | None:
    """The nearest open report a new one at this snapped point merges into (`routing.obstacles.merges`), locked."""
    candidates = db_session.scalars(
        select(Report).where(Report.status.in_(OPEN), Report.valid_until > now, Report.type == report_type,
                             Report.osm_way_id == osm_way_id).order_by(Report.id).with_for_update())
    near = [(_distance_m(lat, lon, other.lat, other.lon), other) for other in candidates]
    near = [(distance, other) for distance, other in near
            if merges(report_type, osm_way_id, other.type, other.osm_way_id, distance)]
    return min(near, key=lambda pair: pair[0])[1] if near else None


def _merge(db_session: Session, report: Report, user: User, now: datetime):
    """A second report of the same obstacle: a "yes" vote when it comes from another account, else nothing new."""
    if report.reporter_id == user.id:
        _event(db_session, report, user, "merged", vote=False)
        [result] = report_dicts(db_session, [report], now)
        db_session.commit()
    else:
        result = _cast_vote(db_session, report, user, "yes", now, merged=True)
    response = jsonify(report=result, merged=True)
    response.headers["Location"] = url_for("reports.show", report_id=report.id)
    return response, 200


@bp.get("")
def index():
    """Reports near `lat`,`lon` within `radius_m` (default 500) or in `bbox=south,west,north,east`, by `status`.

    Status `active` (default) is new or confirmed and valid now; nearest first when a point is given, newest first
    otherwise; at most 200. Filters: `type` (one or more, comma-separated), `work_status`, `since` and `until`
    (reported at or after / before: an ISO 8601 time with a zone, or a date, `until` then meaning its end).
    `include=staff` (staff only) adds who reported each report, its assignee and the latest work note.
    """
    now = utcnow()
    query = parse_query(ReportQuery, codes={"lat": "bad_coordinate", "lon": "bad_coordinate"})
    include = query.include
    if include:
        security.require_staff()
    clauses = status_clauses(query.status, now) + filter_clauses(query)
    lat, lon = query.lat, query.lon
    centre = None
    if lat is not None or lon is not None:
        if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise LotseError(code="bad_coordinate", status=400)
        radius = query.radius_m
        centre = (lat, lon, radius)
        dlat = radius / tags.METRES_PER_DEGREE
        dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
        clauses += [Report.lat.between(lat - dlat, lat + dlat), Report.lon.between(lon - dlon, lon + dlon)]
    elif query.bbox is not None:
        south, west, north, east = query.bbox
        clauses += [Report.lat.between(south, north), Report.lon.between(west, east)]
    db_session = db.session()
    query = select(Report).where(*clauses).order_by(Report.created_at.desc(), Report.id.desc())
    reports = list(db_session.scalars(query.limit(None if centre else LIST_LIMIT)))
    if centre:
        distances = {report.id: _distance_m(centre[0], centre[1], report.lat, report.lon) for report in reports}
        reports = sorted((r for r in reports if distances[r.id] <= centre[2]), key=lambda r: distances[r.id])
        reports = reports[:LIST_LIMIT]
    items = report_dicts(db_session, reports, now)
    if centre:
        for item in items:
            item["distance_m"] = round(distances[item["id"]], 1)
    if include:
        add_staff_details(db_session, items, reports)
    return jsonify(reports=items)


def filter_clauses(filters: ReportFilters) -> list[ColumnElement[bool]]:
    """The clauses of a report query's `type`, `work_status`, `since` and `until` filters."""
    clauses: list[ColumnElement[bool]] = []
    if filters.type:
        clauses.append(Report.type.in_(filters.type))
    if filters.work_status:
        clauses.append(Report.work_status == filters.work_status)
    if filters.since:
        clauses.append(Report.created_at >= parse_day_or_time(filters.since, "since"))
    if filters.until:
        clauses.append(Report.created_at < parse_day_or_time(filters.until, "until", end_of_day=True))
    return clauses


def parse_day_or_time(value: str, field: str, end_of_day: bool = False) -> datetime:
    """`2024-05-01` (UTC midnight; with `end_of_day` the next one) or an ISO 8601 time with a zone."""
    if len(value) == 10:
        try:
            day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=timezone.utc)
        except ValueError:
            raise LotseError(f'"{field}" must be a date (2024-05-01) or an ISO 8601 time', field=field) from None
        return day + timedelta(days=1) if end_of_day else day
    try:
        return parse_time(value, field)
    except LotseError:
        raise LotseError(f'"{field}" must be a date (2024-05-01) or an ISO 8601 time', field=field) from None


def add_staff_details(db_session: Session, items: list[dict[str, Any]], reports: list[Report]) -> None:
    """Staff only: who reported (`reporter_id`; `reporter`: id, name, email), who is assigned, the latest work
    note."""
    user_ids = {report.reporter_id for report in reports} | {report.assignee_id for report in reports
                                                            if report.assignee_id is not None}
    users = {user.id: user for user in db_session.scalars(select(User).where(User.id.in_(user_ids)))} \
        if user_ids else {}

    def person(user_id: int | None) -> dict[str, Any] | None:
        user = users.get(user_id)
        return None if user is None else {"id": user.id, "name": user.name, "email": user.email}

    for item, report in zip(items, reports):
        item["reporter_id"] = report.reporter_id
        item["reporter"] = person(report.reporter_id)
        item["assignee"] = person(report.assignee_id)
        item["work_note"] = report.work_note


def status_clauses(status: str, now: datetime) -> list[ColumnElement[bool]]:
    """The clauses of a status filter: a stored status, `active` (open and valid now), `open` (open and not expired,
    whether or not its validity has started), `expired` or `all`."""
    if status == "open":
        return [Report.status.in_(OPEN), Report.valid_until > now]
    if status == "active":
        return [Report.status.in_(OPEN), Report.valid_from <= now, Report.valid_until > now]
    if status in OPEN:
        return [Report.status == status, Report.valid_until > now]
    if status == "expired":
        return [Report.status.in_(OPEN), Report.valid_until <= now]
    if status == "all":
        return []
    return [Report.status == status]


def _distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Equirectangular distance: exact enough within a city."""
    dy = (lat2 - lat1) * tags.METRES_PER_DEGREE
    dx = (lon2 - lon1) * tags.METRES_PER_DEGREE * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot(dx, dy)


@bp.get("/<id:report_id>")
def show(report_id: int):
    """One report with its vote counts."""
    db_session = db.session()
    report = db_session.get(Report, report_id)
    if report is None:
        raise LotseError(code="report_not_found", status=404)
    return jsonify(report=report_dicts(db_session, [report], utcnow())[0])


@bp.post("/<id:report_id>/votes")
def vote(report_id: int):
    """`{"answer": "yes" | "no" | "unsure"}`: is the obstacle there? Not for the reporter (403)."""
    user = security.require_user()
    answer = parse_body(Vote).answer
    now = utcnow()
    db_session = db.session()
    report = _get_open(db_session, report_id, now)
    if report.reporter_id == user.id:
        raise LotseError(code="own_report", status=403)
    return jsonify(report=_cast_vote(db_session, report, user, answer, now))


def _cast_vote(db_session: Session, report: Report, user: User, answer: str, now: datetime,
               **detail: Any) -> dict[str, Any]:
    """Record `user`'s answer (a later one replaces theirs), apply `vote_outcome`, commit, tell the listeners when
    the report became confirmed; returns the report's dict."""
    existing = db_session.scalar(select(ReportVote).where(ReportVote.report_id == report.id,
                                                          ReportVote.user_id == user.id))
    if existing is None:
        db_session.add(ReportVote(report_id=report.id, user_id=user.id, answer=answer, created_at=now))
    else:
        existing.answer, existing.created_at = answer, now
    _event(db_session, report, user, "vote", answer=answer, **detail)
    db_session.flush()
    votes = vote_counts(db_session, [report.id])[report.id]
    before = report.status
    report.status = vote_outcome(before, votes.get("yes", 0), votes.get("no", 0))
    report.updated_at = now
    if report.status != before:
        _event(db_session, report, None, report.status, yes=votes.get("yes", 0), no=votes.get("no", 0))
    [result] = report_dicts(db_session, [report], now)  # in the transaction: the listeners may plan routes
    db_session.commit()
    _changed()
    if report.status == "confirmed" and before == "new":
        notify_confirmed(result)
    return result


def _close(report_id: int, status: str):
    staff = security.require_staff()
    note = parse_body(StaffNote).note
    now = utcnow()
    db_session = db.session()
    report = _get_open(db_session, report_id, now)
    report.status, report.updated_at = status, now
    _event(db_session, report, staff, status, note=note.strip())
    db_session.commit()
    _changed()
    return jsonify(report=report_dicts(db_session, [report], now)[0])


@bp.post("/<id:report_id>/resolve")
def resolve(report_id: int):
    """Staff: the obstacle has gone. `{"note"?}`."""
    return _close(report_id, "resolved")


@bp.post("/<id:report_id>/reject")
def reject(report_id: int):
    """Staff: the report was wrong. `{"note"?}`."""
    return _close(report_id, "rejected")


@bp.get("/<id:report_id>/events")
def events(report_id: int):
    """Staff: the report's audit log, oldest first."""
    security.require_staff()
    db_session = db.session()
    if db_session.get(Report, report_id) is None:
        raise LotseError(code="report_not_found", status=404)
    rows = db_session.scalars(select(ReportEvent).where(ReportEvent.report_id == report_id).order_by(ReportEvent.id))
    return jsonify(events=[
        {"action": row.action, "actor_id": row.actor_id, "at": iso_utc(row.at), "detail": row.detail} for row in rows
    ])


@bp.post("/<id:report_id>/work")
def work(report_id: int):
    """Staff: the city's workflow. `{"work_status"?: "new" | "in_progress" | "fixed", "assignee_id"?: staff id or
    null, "note"?}`; "fixed" closes the report with status `fixed`. Only open reports (409 otherwise)."""
    staff = security.require_staff()
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise LotseError("The body must be a JSON object", field="body", code="bad_json")
    return jsonify(report=update_work(staff, report_id, body))


def update_work(staff: User, report_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """Apply a staff workflow change (the API above and the staff pages); audit-logged as `work` (and `fixed`)."""
    change = validate(WorkChange, body)
    note = change.note
    db_session = db.session()
    assignee_id = change.assignee_id
    if "assignee_id" in body and assignee_id is not None:
        assignee = db_session.get(User, assignee_id)
        if assignee is None or assignee.role != "staff":
            raise LotseError('"assignee_id" must be the id of a staff account, or null', field="assignee_id")
    now = utcnow()
    report = _get_open(db_session, report_id, now)
    detail: dict[str, Any] = {}
    if change.work_status is not None and change.work_status != report.work_status:
        report.work_status = detail["work_status"] = change.work_status
    if "assignee_id" in body and assignee_id != report.assignee_id:
        report.assignee_id = detail["assignee_id"] = assignee_id
    if note.strip():
        report.work_note = detail["note"] = note.strip()
    if detail:
        report.updated_at = now
        _event(db_session, report, staff, "work", **detail)
    if report.work_status == "fixed":
        report.status = "fixed"
        _event(db_session, report, staff, "fixed", note=note.strip())
    db_session.commit()
    _changed()
    return report_dicts(db_session, [report], now)[0]
