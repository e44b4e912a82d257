"""The app's own map layers for the web maps of volunteers and staff, as GeoJSON by bounding box: the walk graph
(simplified by zoom), the reports in force and the open quests. Read-only; background tiles are optional
(`TILE_URL`), so a map drawn from these layers works offline.

`GET /api/map/config` says which tiles (if any) to draw under them and where the map is.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

import numpy as np
import shapely
from flask import Blueprint, current_app, jsonify
from pydantic import BeforeValidator, Field
from sqlalchemy import select

from app.community.quests import QUEST_LIMIT, open_quests
from app.community.reports import status_clauses
from app.core import db
from app.core.inputs import BBox, Query, finite, parse_query
from app.core.models import Report, utcnow
from app.staff.gaps import per_graph
from routing import tags
from routing.errors import LotseError
from routing.graph import WalkGraph

bp = Blueprint("map_api", __name__, url_prefix="/api/map")

MIN_ZOOM, MAX_ZOOM = 10, 20
GRAPH_MIN_ZOOM = 14  # below it a city's footways are a grey smear: the graph layer is left empty
GRAPH_EDGE_LIMIT = 4000  # at most this many edges in one answer (about 800 kB); roads first
SIMPLIFY_PX = 1.0  # simplified to about one screen pixel at the asked zoom
MAP_REPORT_LIMIT = 500
QUEST_BOX_MAX_M = 1000.0  # corner to corner: the quest search is a circle around the box's centre
EQUATOR_M_PER_PX_Z0 = 156_543.034  # web-mercator ground resolution at zoom 0 on the equator


def metres_per_pixel(zoom: int, lat: float) -> float:
    """Ground size of a screen pixel on a web-mercator map at `zoom` and latitude `lat`."""
    return EQUATOR_M_PER_PX_Z0 * math.cos(math.radians(lat)) / 2 ** zoom


def _nearest_level(value: object) -> object:
    """A fractional zoom ("16.4", as a pinch leaves a map) as the nearest level; other text as it is."""
    number = finite(value) if isinstance(value, str) else None
    return round(number) if number is not None else value


Zoom = Annotated[int, Field(ge=MIN_ZOOM, le=MAX_ZOOM, description="The map's zoom level"),
                 BeforeValidator(_nearest_level)]
DEFAULT_ZOOM = 16


class BoxQuery(Query):
    """A map layer's query: the box it covers."""

    bbox: BBox = Field(description="south,west,north,east in degrees")


class MapQuery(BoxQuery):
    """A map layer drawn for a zoom level."""

    zoom: Zoom = DEFAULT_ZOOM


def feature_collection(features: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features, **extra}


def point(lat: float, lon: float, properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
            "properties": properties}


# --------------------------------------------------------------------------------------------------- graph
class GraphLines:
    """The walk graph's edges as lon/lat lines with a tree to find them by box: built once per graph."""

    def __init__(self, graph: WalkGraph) -> None:
        offsets = graph.geom_offsets
        index = np.repeat(np.arange(graph.edge_count), np.diff(offsets))
        self.lines = shapely.linestrings(np.column_stack([graph.geom_lon, graph.geom_lat]), indices=index)
        self.tree = shapely.STRtree(self.lines)
        highway = graph.way_texts("highway")[graph.edge_way]
        self.kind = np.where(highway == "steps", "steps",
                             np.where(graph.way_is_road[graph.edge_way], "road", "path"))
        self.highway = highway
        self.name = graph.way_texts("name")[graph.edge_way]
        self.way_osm_id = graph.way_osm_id[graph.edge_way]

    def features(self, bbox: tuple[float, float, float, float], zoom: int) -> tuple[list[dict[str, Any]], bool]:
        """The edges in the box, simplified for `zoom`, roads first; and whether the limit cut some off."""
        south, west, north, east = bbox
        found = self.tree.query(shapely.box(west, south, east, north), predicate="intersects")
        found = found[np.argsort(self.kind[found] != "road", kind="stable")]
        truncated = len(found) > GRAPH_EDGE_LIMIT
        found = found[:GRAPH_EDGE_LIMIT]
        tolerance = SIMPLIFY_PX * metres_per_pixel(zoom, (south + north) / 2) / tags.METRES_PER_DEGREE
        simple = shapely.simplify(self.lines[found], tolerance)
        features = []
        for edge, line in zip(found.tolist(), simple):
            coordinates = np.round(shapely.get_coordinates(line), 6).tolist()
            features.append({"type": "Feature", "geometry": {"type": "LineString", "coordinates": coordinates},
                             "properties": {"kind": str(self.kind[edge]), "highway": str(self.highway[edge]),
                                            "name": str(self.name[edge]),
                                            "way_osm_id": int(self.way_osm_id[edge])}})
        return features, truncated


def graph_lines() -> GraphLines:
    return per_graph("map_graph_lines", current_app.extensions["lotse.base_graph"], GraphLines)


@bp.get("/config")
def config():
    """The background tiles (none when `TILE_URL` is empty) and the map's extent as south, west, north, east."""
    south, west, north, east = current_app.extensions["lotse.index"].bounds
    return jsonify(tile_url=current_app.config["TILE_URL"] or None,
                   tile_attribution=current_app.config["TILE_ATTRIBUTION"],
                   bounds=[south, west, north, east], min_zoom=MIN_ZOOM, max_zoom=MAX_ZOOM,
                   graph_min_zoom=GRAPH_MIN_ZOOM)


@bp.get("/graph")
def graph():
    """The walk graph in `bbox` as lines (`kind` road, path or steps; `highway`, `name`), simplified for `zoom`.

    Empty below zoom GRAPH_MIN_ZOOM; at most GRAPH_EDGE_LIMIT lines, roads first (`truncated` says so).
    """
    query = parse_query(MapQuery)
    zoom = query.zoom
    if zoom < GRAPH_MIN_ZOOM:
        return jsonify(feature_collection([], zoom=zoom, truncated=False))
    features, truncated = graph_lines().features(query.bbox, zoom)
    return jsonify(feature_collection(features, zoom=zoom, truncated=truncated))


# ------------------------------------------------------------------------------------------------- reports
@bp.get("/reports")
def reports():
    """The reports in force (new or confirmed, valid now) in `bbox` as points, newest first, at most 500."""
    south, west, north, east = parse_query(BoxQuery).bbox
    clauses = status_clauses("active", utcnow())
    rows = db.session().scalars(
        select(Report).where(*clauses, Report.lat.between(south, north), Report.lon.between(west, east))
        .order_by(Report.created_at.desc(), Report.id.desc()).limit(MAP_REPORT_LIMIT + 1)).all()
    features = [point(row.lat, row.lon, {"id": row.id, "type": row.type, "severity": row.severity,
                                         "status": row.status}) for row in rows[:MAP_REPORT_LIMIT]]
    return jsonify(feature_collection(features, truncated=len(rows) > MAP_REPORT_LIMIT))


# -------------------------------------------------------------------------------------------------- quests
@bp.get("/quests")
def quests():
    """Open quests in `bbox` (at most 1 km across) as points with `id`, `key` and the question, nearest to the box's
    centre first, at most 20; answered on the quests screen (`POST /api/quests/answer`)."""
    south, west, north, east = parse_query(BoxQuery).bbox
    lat, lon = (south + north) / 2, (west + east) / 2
    radius = math.hypot((north - south) * tags.METRES_PER_DEGREE,
                        (east - west) * tags.METRES_PER_DEGREE * math.cos(math.radians(lat))) / 2
    if radius > QUEST_BOX_MAX_M / 2:
        raise LotseError(f'"bbox" must be at most {QUEST_BOX_MAX_M:.0f} m across for quests', field="bbox")
    inside = [quest for quest in open_quests(lat, lon, radius)
              if south <= quest["lat"] <= north and west <= quest["lon"] <= east]
    features = [point(quest["lat"], quest["lon"], {"id": quest["id"], "key": quest["key"],
                                                   "question": quest["question"]})
                for quest in inside[:QUEST_LIMIT]]
    return jsonify(feature_collection(features, truncated=len(inside) > QUEST_LIMIT))
