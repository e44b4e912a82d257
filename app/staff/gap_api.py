"""The gap API for city staff tools: `/api/gaps` (the gaps, filtered and sorted), `/api/gaps/summary`, and
`/api/gaps/map` (the gaps as GeoJSON for the staff map, grouped into clusters at low zoom)."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Annotated, Any

from flask import Blueprint, jsonify
from pydantic import Field

from app.community.map_api import DEFAULT_ZOOM, Zoom, feature_collection, metres_per_pixel, point
from app.core import db, usage
from app.core.inputs import BBox, Reply, parse_query
from app.staff.filters import GapFilters, filtered_gaps
from app.staff.stats import Gap, summary
from routing import tags
from routing.gaps import CELL_M

api_bp = Blueprint("gaps_api", __name__, url_prefix="/api/gaps")

API_LIMIT_DEFAULT = 100
API_LIMIT_MAX = 5000
CLUSTER_BELOW_ZOOM = 17  # from this zoom on every gap is its own marker
CLUSTER_PX = 64  # gaps of one kind within a square this many screen pixels wide make one cluster
OFFSET_MAX = 10_000_000


class GapQuery(GapFilters):
    """`/api/gaps`: the filters and a page of the list."""

    limit: Annotated[int, Field(ge=1, le=API_LIMIT_MAX, description="Page size")] = API_LIMIT_DEFAULT
    offset: Annotated[int, Field(ge=0, le=OFFSET_MAX, description="Gaps to skip")] = 0


class GapList(Reply):
    total: int = Field(description="Gaps the filters select")
    limit: int
    offset: int
    min_count: int = Field(description="Route counts below it are null")
    cell_size_m: float
    gaps: list[Gap] = Field(max_length=API_LIMIT_MAX)


class GapMapQuery(GapFilters):
    """`/api/gaps/map`: the filters, in a box, drawn for a zoom level."""

    bbox: BBox = Field(description="south,west,north,east in degrees")
    zoom: Zoom = DEFAULT_ZOOM


@api_bp.get("")
def api_gaps():
    """Gaps, most urgent first: filters `kind`, `value`, `cell`, `street`, `bbox`; `sort`, `limit`, `offset`."""
    query = parse_query(GapQuery)
    limit, offset = query.limit, query.offset
    selected = filtered_gaps(query)
    return jsonify(total=len(selected), limit=limit, offset=offset, min_count=usage.MIN_SHOWN,
                   cell_size_m=CELL_M, gaps=selected[offset:offset + limit])


@api_bp.get("/summary")
def api_summary():
    """Counts of gaps by kind, grid cell and street; coverage now and per week; reports by status, type, age."""
    return jsonify(summary(db.session()))


@api_bp.get("/map")
def api_gap_map():
    """The gaps in `bbox` (and the table filters `kind`, `value`, `cell`, `street`) as GeoJSON points; below zoom
    CLUSTER_BELOW_ZOOM the gaps of one kind in each square of CLUSTER_PX pixels are one point with a `count` and
    the `bbox` of its gaps (for a link to them in the table)."""
    query = parse_query(GapMapQuery)
    bbox, zoom = query.bbox, query.zoom
    selected = filtered_gaps(query)
    if zoom >= CLUSTER_BELOW_ZOOM:
        return jsonify(feature_collection([_gap_feature(gap) for gap in selected], clustered=False))
    size_lat = metres_per_pixel(zoom, (bbox[0] + bbox[2]) / 2) * CLUSTER_PX / tags.METRES_PER_DEGREE
    size_lon = size_lat / math.cos(math.radians((bbox[0] + bbox[2]) / 2))
    squares: dict[tuple[str, int, int], list[dict[str, Any]]] = defaultdict(list)
    for gap in selected:
        squares[(gap["kind"], math.floor(gap["lat"] / size_lat), math.floor(gap["lon"] / size_lon))].append(gap)
    features = []
    for (kind, _, _), gaps in squares.items():
        if len(gaps) == 1:
            features.append(_gap_feature(gaps[0]))
            continue
        lats, lons = [gap["lat"] for gap in gaps], [gap["lon"] for gap in gaps]
        features.append(point(sum(lats) / len(lats), sum(lons) / len(lons), {
            "kind": kind, "count": len(gaps),
            "bbox": [round(min(lats), 6), round(min(lons), 6), round(max(lats), 6), round(max(lons), 6)]}))
    return jsonify(feature_collection(features, clustered=True))


def _gap_feature(gap: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "kind", "value", "street", "highway", "cell", "rank", "element", "osm_id")
    return point(gap["lat"], gap["lon"], {"count": 1, **{key: gap[key] for key in keys}})
