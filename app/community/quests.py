"""Quests: small questions to volunteers about accessibility facts OpenStreetMap lacks near them.

A quest is a missing fact on one graph element, with an id such as `node/123/tactile_paving`. Two volunteers who
give the same answer make it an accepted fact, which overlays the OSM data in routing (`app.overlay`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import select

from app.core import db
from app.community import facts as overlay
from app.core import security
from app.community.accounts import json_body
from app.core.errors import ApiError, RequestError
from app.core.models import AcceptedFact, QuestAnswer, utcnow
from routing import tags
from routing.graph import WalkGraph
from routing.phrases import LANGUAGES, load_table
from routing.spatial import check_coordinate

bp = Blueprint("quests", __name__, url_prefix="/api/quests")
security.protect(bp)

QUEST_LIMIT = 20
RADIUS_DEFAULT_M = 250.0
RADIUS_MAX_M = 1000.0
AGREEING_ANSWERS = 2
_SIGNALS = tags.CROSSING_KINDS.index("traffic_signals")
# Streets whose sidewalks are worth asking about (service roads and living streets seldom have one).
SIDEWALK_HIGHWAYS = frozenset({"primary", "primary_link", "secondary", "secondary_link", "tertiary", "tertiary_link",
                               "unclassified", "residential"})
# Ways walked on their own surface (a road's surface is not its sidewalk's).
SURFACE_HIGHWAYS = frozenset({"footway", "path", "pedestrian", "track", "cycleway", "bridleway"})


def _highway(graph: WalkGraph) -> np.ndarray:
    return np.array(graph.texts["highway"], dtype=object)[graph.way_columns["highway"]]


def _mapped_crossing(graph: WalkGraph) -> np.ndarray:
    return graph.node_columns["crossing"] != 0


def _signal_crossing(graph: WalkGraph) -> np.ndarray:
    return graph.node_columns["crossing"] == _SIGNALS


def _steps(graph: WalkGraph) -> np.ndarray:
    return _highway(graph) == "steps"


def _surface_unknown(graph: WalkGraph) -> np.ndarray:
    surface = np.array(graph.texts["surface"], dtype=object)[graph.way_columns["surface"]]
    footway = np.array(graph.texts["footway"], dtype=object)[graph.way_columns["footway"]]
    return np.isin(_highway(graph), list(SURFACE_HIGHWAYS)) & (surface == "") & (footway != "crossing")


# Which elements each quest asks about: a mask over the graph's nodes or ways where the fact is unknown.
QUEST_ELEMENTS: dict[str, Callable[[WalkGraph], np.ndarray]] = {
    "tactile_paving": lambda g: _mapped_crossing(g) & (g.node_columns["tactile_paving"] == tags.UNKNOWN),
    "acoustic_signal": lambda g: _signal_crossing(g) & (g.node_columns["acoustic_signal"] == tags.UNKNOWN),
    "vibration": lambda g: _signal_crossing(g) & (g.node_columns["vibration"] == tags.UNKNOWN),
    "kerb": lambda g: _mapped_crossing(g) & (g.node_columns["kerb"] == 0),
    "step_count": lambda g: _steps(g) & (g.way_columns["step_count"] < 0),
    "handrail": lambda g: _steps(g) & (g.way_columns["handrail"] == tags.UNKNOWN),
    "sidewalk": lambda g: np.isin(_highway(g), list(SIDEWALK_HIGHWAYS)) & (g.way_columns["sidewalk"] == 0),
    "surface": _surface_unknown,
}


# --------------------------------------------------------------------------------------------- finding
def _nearby(graph: WalkGraph, x: float, y: float, radius: float) -> list[tuple[float, str, int, int]]:
    """(distance, key, element row, geometry point or -1) of every open quest within `radius` metres."""
    found: list[tuple[float, str, int, int]] = []
    node_distance = np.hypot(graph.node_x - x, graph.node_y - y)
    near_nodes = node_distance <= radius
    # A way is as near as its nearest geometry point.
    point_distance = np.hypot(graph.geom_x - x, graph.geom_y - y)
    points = np.flatnonzero(point_distance <= radius)
    point_edge = np.searchsorted(graph.geom_offsets, points, side="right") - 1
    point_way = graph.edge_way[point_edge]
    order = np.lexsort((point_distance[points], point_way))
    first = np.concatenate([[True], point_way[order][1:] != point_way[order][:-1]]) if len(order) else order
    nearest_point = dict(zip(point_way[order][first].tolist(), points[order][first].tolist()))
    for key, elements in QUEST_ELEMENTS.items():
        mask = elements(graph)
        if overlay.FACT_KINDS[key].element == "node":
            found.extend((float(node_distance[row]), key, int(row), -1) for row in np.flatnonzero(mask & near_nodes))
        else:
            found.extend((float(point_distance[point]), key, way, point)
                         for way, point in nearest_point.items() if mask[way])
    found.sort()
    return found


def _name(graph: WalkGraph, element: str, row: int) -> str:
    """The street a crossing crosses, or the way's own name; "" when unnamed."""
    if element == "way":
        return graph.way_text("name", row)
    names = [graph.way_text("name", way) for way in graph.roads_at(row)]
    return next((name for name in names if name), "")


def _phrases(key: str, name: str) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """The question and each answer's label, German first."""
    questions, labels = {}, {}
    for lang in LANGUAGES:
        entry = load_table(f"quests_{lang}")[key]
        questions[lang] = entry["question_named"].format(name=name) if name else entry["question"]
        for value, label in entry["answers"].items():
            labels.setdefault(value, {})[lang] = label
    return questions, labels


def quest_dict(graph: WalkGraph, distance: float, key: str, row: int, point: int) -> dict[str, Any]:
    """A quest as the API shows it: where, what is asked in German and English, which answers are allowed."""
    kind = overlay.FACT_KINDS[key]
    osm_id = int((graph.node_osm_id if kind.element == "node" else graph.way_osm_id)[row])
    if kind.element == "node":
        lat, lon = float(graph.node_lat[row]), float(graph.node_lon[row])
    else:
        lat, lon = float(graph.geom_lat[point]), float(graph.geom_lon[point])
    question, labels = _phrases(key, _name(graph, kind.element, row))
    quest: dict[str, Any] = {
        "id": f"{kind.element}/{osm_id}/{key}", "element": kind.element, "osm_id": osm_id, "key": key,
        "lat": lat, "lon": lon, "distance_m": round(distance, 1), "question": question,
    }
    if kind.answers:
        quest["answer_type"] = "choice"
        quest["answers"] = [{"value": value, "label": labels[value]} for value in kind.answers]
    else:
        quest.update(answer_type="count", min=1, max=overlay.MAX_STEP_COUNT)
    if key == "sidewalk":
        # Left and right are the way's: the arrow shows its drawing direction where the volunteer is.
        edge = int(np.searchsorted(graph.geom_offsets, point, side="right") - 1)
        ends = graph.edge_latlon(edge)
        along = [ends[0], ends[-1]] if graph.edge_forward[edge] else [ends[-1], ends[0]]
        quest["along"] = [{"lat": lat_, "lon": lon_} for lat_, lon_ in along]
    return quest


# ----------------------------------------------------------------------------------------------- views
@bp.get("")
def index():
    """Up to 20 open quests nearest to `lat`,`lon` within `radius` metres (default 250, at most 1000).

    Quests already accepted, or answered by the logged-in volunteer, are left out.
    """
    lat, lon = check_coordinate(request.args.get("lat"), request.args.get("lon"))
    try:
        radius = float(request.args.get("radius", RADIUS_DEFAULT_M))
    except ValueError:
        radius = math.nan
    if not 0 < radius <= RADIUS_MAX_M:
        raise RequestError(f'"radius" must be more than 0 and at most {RADIUS_MAX_M:.0f}', field="radius")
    graph = current_app.extensions["lotse.graph"]
    x, y = current_app.extensions["lotse.index"].project(lat, lon)
    candidates = [quest_dict(graph, *found) for found in _nearby(graph, x, y, radius)[:10 * QUEST_LIMIT]]
    ids = [quest["id"] for quest in candidates]
    db_session = db.session()
    # The graph may not have the newest accepted facts yet (it is rebuilt in the background).
    done = set(db_session.scalars(select(AcceptedFact.quest_id).where(AcceptedFact.quest_id.in_(ids))))
    user = security.current_user()
    if user is not None:
        done |= set(db_session.scalars(select(QuestAnswer.quest_id).where(QuestAnswer.user_id == user.id,
                                                                           QuestAnswer.quest_id.in_(ids))))
    return jsonify(quests=[quest for quest in candidates if quest["id"] not in done][:QUEST_LIMIT])


def _quest(quest_id: object) -> tuple[overlay.FactKind, int]:
    """The quest's kind and OSM id; 404 unless it is a quest of the map as loaded (whatever was accepted since)."""
    if not isinstance(quest_id, str):
        raise RequestError('"quest" must be a quest id such as node/123/tactile_paving', field="quest")
    element, _, rest = quest_id.partition("/")
    osm_id, _, key = rest.partition("/")
    kind = overlay.FACT_KINDS.get(key)
    if kind is None or kind.element != element or not osm_id.isdigit():
        raise ApiError(404, "quest_not_found")
    graph = current_app.extensions["lotse.base_graph"]
    rows = np.flatnonzero((graph.node_osm_id if element == "node" else graph.way_osm_id) == int(osm_id))
    if len(rows) == 0 or not _base_quests()[key][rows[0]]:
        raise ApiError(404, "quest_not_found")
    return kind, int(osm_id)


def _base_quests() -> dict[str, np.ndarray]:
    """QUEST_ELEMENTS on the map as loaded, which never changes: worked out once per app."""
    masks = current_app.extensions.get("lotse.base_quests")
    if masks is None:
        graph = current_app.extensions["lotse.base_graph"]
        masks = current_app.extensions["lotse.base_quests"] = {key: elements(graph)
                                                               for key, elements in QUEST_ELEMENTS.items()}
    return masks


def _answer_value(kind: overlay.FactKind, answer: object) -> str:
    """The answer as stored: one of the kind's answers, or a count as decimal digits."""
    if kind.answers:
        if answer not in kind.answers:
            raise ApiError(400, "bad_answer")
        return str(answer)
    if isinstance(answer, bool) or not isinstance(answer, (int, str)) or not str(answer).isdigit():
        raise ApiError(400, "bad_answer")
    if not 1 <= int(answer) <= overlay.MAX_STEP_COUNT:
        raise ApiError(400, "bad_answer")
    return str(int(answer))


@bp.post("/answer")
def answer():
    """`{"quest": id, "answer": value}`; the second agreeing volunteer makes it an accepted fact."""
    user = security.require_user()
    body = json_body("quest", "answer")
    kind, osm_id = _quest(body.get("quest"))
    value = _answer_value(kind, body.get("answer"))
    quest_id = f"{kind.element}/{osm_id}/{kind.key}"
    now = utcnow()
    db_session = db.session()
    db.lock(db_session, quest_id)  # two volunteers agreeing at the same moment still make one fact
    if db_session.scalar(select(AcceptedFact.id).where(AcceptedFact.quest_id == quest_id)) is not None:
        raise ApiError(409, "quest_done")
    mine = db_session.scalar(select(QuestAnswer).where(QuestAnswer.quest_id == quest_id,
                                                       QuestAnswer.user_id == user.id))
    if mine is None:
        db_session.add(QuestAnswer(quest_id=quest_id, user_id=user.id, answer=value, created_at=now))
    else:
        mine.answer, mine.created_at = value, now
    db_session.flush()
    agreeing = len(db_session.scalars(select(QuestAnswer.id).where(QuestAnswer.quest_id == quest_id,
                                                                   QuestAnswer.answer == value)).all())
    accepted = agreeing >= AGREEING_ANSWERS
    if accepted:
        db_session.add(AcceptedFact(quest_id=quest_id, element=kind.element, osm_id=osm_id, key=kind.key,
                                    value=value, accepted_at=now))
    db_session.commit()
    if accepted:
        overlay.refresh_later(current_app._get_current_object())
    return jsonify(quest=quest_id, answer=value, accepted=accepted)
