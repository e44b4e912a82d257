"""Obstacle reports as the routing domain sees them: the report types, how long each lasts, what a report does to
the edge it is on, and how volunteers' votes decide a report's status."""

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


def obstacle_for(report_type: str, severity: str) -> tuple[str, float]:
    """The planner's view of a report: ("block", 0) or ("penalty", metres of detour it is worth)."""
    if severity == "blocking" or (severity == "high" and report_type in _BLOCKING_WHEN_HIGH):
        return "block", 0.0
    return "penalty", REPORT_TYPES[report_type].penalty_m * _SEVERITY_FACTOR[severity]


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
