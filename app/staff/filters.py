"""The filters of a staff request (the gap API, the pages and the exports alike): the gaps they select, and the
report lists'."""

from __future__ import annotations

from typing import Any, Literal

from flask import current_app
from pydantic import Field, field_validator

from app.community.reports import STATUSES, ReportFilters
from app.core.inputs import BBox, Query, Text, comma_separated, parse_query
from app.staff.gaps import service
from routing.gaps import KINDS, SORTS, VALUES

GapKinds = comma_separated(KINDS)


class StaffReportFilters(ReportFilters):
    """A staff list of reports (the reports page, the export): the report filters and a status, "open" among them
    (absent: the page's or the export's own default)."""

    status: Literal[(*STATUSES, "open")] | None = None


class GapFilters(Query):
    """The gap filters of a staff request: the gap API, the pages and the exports alike."""

    kind: GapKinds | None = Field(None, description="One or more gap kinds, comma-separated")
    value: Literal[VALUES] | None = Field(None, description="Only gaps with this value")
    cell: str | None = Field(None, max_length=8, description="A 500 m grid cell such as H3")
    street: Text | None = Field(None, description="A street name (exact)")
    bbox: BBox | None = Field(None, description="south,west,north,east in degrees")
    sort: Literal[SORTS] = Field("priority", description="Order")

    @field_validator("cell")
    @classmethod
    def _a_cell_of_the_map(cls, cell: str | None) -> str | None:
        if cell is not None and service(current_app).analysis().grid.position(cell) is None:
            raise ValueError("must be a grid cell of the map such as H3")
        return cell


def gap_filters() -> GapFilters:
    """The request's gap filters (a 400 naming the first wrong one)."""
    return parse_query(GapFilters)


def filtered_gaps(filters: GapFilters) -> list[dict[str, Any]]:
    """The gaps `filters` select, in their order."""
    ranked = service(current_app).ranked()
    kinds = set(filters.kind or KINDS)
    bbox = filters.bbox
    selected = [gap for gap in ranked if gap["kind"] in kinds
                and (filters.value is None or gap["value"] == filters.value)
                and (filters.cell is None or gap["cell"] == filters.cell)
                and (filters.street is None or gap["street"] == filters.street)
                and (bbox is None or (bbox[0] <= gap["lat"] <= bbox[2] and bbox[1] <= gap["lon"] <= bbox[3]))]
    sort = filters.sort
    if sort == "routes":
        selected.sort(key=lambda gap: (-(gap["routes"] or 0), gap["rank"]))
    elif sort == "size":
        selected.sort(key=lambda gap: (-gap["size"], gap["rank"]))
    elif sort in ("kind", "street", "cell"):
        order = KINDS.index if sort == "kind" else (lambda value: value)
        selected.sort(key=lambda gap: (order(gap[sort]), gap["rank"]))
    return selected

