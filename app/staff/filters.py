"""The gap filters of a staff request (the gap API, the pages and the exports alike) and the gaps they select."""

from __future__ import annotations

from typing import Any

from flask import current_app, request

from app.community import reports
from app.core.inputs import QUERY_TEXT_MAX, ascii_int
from app.staff.gaps import service
from routing.errors import LotseError
from routing.gaps import KINDS, SORTS, VALUES


def gap_filters(args) -> dict[str, Any]:
    """The gap filters of a request (API, pages and exports alike); RequestError for a bad one."""
    analysis = service(current_app).analysis()
    filters: dict[str, Any] = {}
    if args.get("kind"):
        kinds = args["kind"].split(",")
        if any(kind not in KINDS for kind in kinds):
            raise LotseError(f'"kind" must be one or more of {", ".join(KINDS)}', field="kind")
        filters["kind"] = kinds
    if args.get("value"):
        if args["value"] not in VALUES:
            raise LotseError('"value" must be "no" or "unknown"', field="value")
        filters["value"] = args["value"]
    if args.get("cell"):
        if analysis.grid.position(args["cell"]) is None:
            raise LotseError('"cell" must be a grid cell such as H3', field="cell")
        filters["cell"] = args["cell"]
    if args.get("street"):
        if len(args["street"]) > QUERY_TEXT_MAX:
            raise LotseError('"street" must be a street name', field="street")
        filters["street"] = args["street"]
    if args.get("bbox"):
        filters["bbox"] = reports.parse_bbox(args["bbox"])
    sort = args.get("sort", "priority")
    if sort not in SORTS:
        raise LotseError(f'"sort" must be one of {", ".join(SORTS)}', field="sort")
    filters["sort"] = sort
    return filters


def filtered_gaps(filters: dict[str, Any]) -> list[dict[str, Any]]:
    ranked = service(current_app).ranked()
    kinds = set(filters.get("kind", KINDS))
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
        order = KINDS.index if sort == "kind" else (lambda value: value)
        selected.sort(key=lambda gap: (order(gap[sort]), gap["rank"]))
    return selected


def int_arg(name: str, default: int, low: int, high: int) -> int:
    """A whole-number query argument in a range, `default` when absent."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    value = ascii_int(raw, low, high)
    if value is None:
        raise LotseError(f'"{name}" must be a whole number from {low} to {high}', field=name)
    return value
