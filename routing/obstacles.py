"""Obstacle reports as the routing domain sees them: the report types, how long each lasts, what a report does to
the edge it is on, how volunteers' votes decide a report's status, and when a report is trusted enough to steer
walkers.

Trust rules (a report is an attacker's cheapest way to steer a blind walker):
- A report changes routes and guidance only when it is *in force*: confirmed (another volunteer's "yes" on site, or
  made or confirmed by staff), or new from a *trusted reporter* (`TRUSTED_MIN_CONFIRMED` of the reporter's last
  `TRUSTED_WINDOW` decided reports confirmed, none of them rejected). A report that would block the way always needs
  confirmation, however trusted its reporter.
- Until then it is listed for validation and at most adds a short spoken note of its type ("Unconfirmed report:
  construction site"); it costs the planner nothing.
- Walkers never hear a report's free text, in force or not; staff and validating volunteers read it.
- A report of the same type on the same way within `MERGE_RADIUS_M` of an open one merges into it; the merge
  counts as a "yes" vote only when it comes from another account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any


@dataclass(frozen=True)
class ReportType:
    """How long a report of this type lasts unless the reporter says, and its detour cost at medium severity."""

    default_validity: timedelta
    penalty_m: float


REPORT_TYPES = {
    "construction": ReportType(timedelta(days=30), 200.0),
    "blocked_sidewalk": ReportType(timedelta(days=1), 200.0),
    "parked_vehicle": ReportType(timedelta(hours=2), 100.0),  # a parked car or e-scooter on the way
    "head_height_object": ReportType(timedelta(days=30), 300.0),  # a cane does not find it: the worst surprise
    "damaged_surface": ReportType(timedelta(days=90), 80.0),
    "tactile_paving_damaged": ReportType(timedelta(days=90), 100.0),  # missing or damaged tactile paving
    "acoustic_signal_broken": ReportType(timedelta(days=30), 200.0),
    "steps_without_handrail": ReportType(timedelta(days=365), 100.0),
    "temporary_event": ReportType(timedelta(days=1), 150.0),
    "other": ReportType(timedelta(days=7), 100.0),
}
SEVERITIES = ("low", "medium", "high", "blocking")
_SEVERITY_FACTOR = {"low": 0.5, "medium": 1.0, "high": 2.0}
# A high-severity report of these types means the way cannot be walked at all.
_BLOCKING_WHEN_HIGH = frozenset({"construction", "blocked_sidewalk"})
OPEN = ("new", "confirmed")
WORK_STATUSES = ("new", "in_progress", "fixed")
VOTES = ("yes", "no", "unsure")
MAX_VALIDITY = timedelta(days=366)
# Decided statuses: what became of a report once volunteers or staff looked at it.
CONFIRMED_OUTCOMES = frozenset({"confirmed", "resolved", "fixed"})
REJECTED_OUTCOMES = frozenset({"rejected"})
TRUSTED_MIN_CONFIRMED = 3
TRUSTED_WINDOW = 10  # the reporter's last decided reports that count
MERGE_RADIUS_M = 10.0


def obstacle_for(report_type: str, severity: str) -> tuple[str, float]:
    """The planner's view of a report: ("block", 0) or ("penalty", metres of detour it is worth)."""
    if severity == "blocking" or (severity == "high" and report_type in _BLOCKING_WHEN_HIGH):
        return "block", 0.0
    return "penalty", REPORT_TYPES[report_type].penalty_m * _SEVERITY_FACTOR[severity]


def reporter_trusted(recent_outcomes: list[str]) -> bool:
    """Whether a reporter's record lets their new reports count at once: `recent_outcomes` are the statuses of
    their decided reports, newest first (only the first `TRUSTED_WINDOW` count)."""
    window = [status for status in recent_outcomes if status in CONFIRMED_OUTCOMES | REJECTED_OUTCOMES]
    window = window[:TRUSTED_WINDOW]
    return (not any(status in REJECTED_OUTCOMES for status in window)
            and sum(status in CONFIRMED_OUTCOMES for status in window) >= TRUSTED_MIN_CONFIRMED)


def in_force(status: str, report_type: str, severity: str, trusted_reporter: bool) -> bool:
    """Whether a report (open and valid) changes routes and guidance, or is only a note awaiting confirmation."""
    if status == "confirmed":
        return True
    if status != "new":
        return False
    return trusted_reporter and obstacle_for(report_type, severity)[0] != "block"


def routing_effect(report_type: str, severity: str, in_force_now: bool) -> tuple[str, float]:
    """What the planner and guidance do with an open report: `obstacle_for` when in force, else ("note", 0): no
    cost, a spoken note of its type."""
    return obstacle_for(report_type, severity) if in_force_now else ("note", 0.0)


def merges(first_type: str, first_way: int, second_type: str, second_way: int, distance_m: float) -> bool:
    """Whether two reports are the same obstacle: one type, one way, within `MERGE_RADIUS_M`."""
    return first_type == second_type and first_way == second_way and distance_m <= MERGE_RADIUS_M


def effective_status(report: Any, now: datetime) -> str:
    """The stored status, or `expired` for an open report past its validity."""
    return "expired" if report.status in OPEN and report.valid_until <= now else report.status


def vote_outcome(status: str, yes: int, no: int) -> str:
    """The status after a vote. `yes` and `no` count other volunteers than the reporter, whose report is a yes.

    One yes confirms a new report. More noes than yeses (the reporter included) and at least two noes close it:
    a new report was wrong (rejected), a confirmed obstacle has gone (resolved).
    """
    if no >= 2 and no > yes + 1:
        return "rejected" if status == "new" else "resolved"
    if status == "new" and yes >= 1:
        return "confirmed"
    return status
