"""The quest API: open quests near a volunteer (`routing.quests`), and answers, stored until enough agree to make
an accepted fact (`app.community.facts` lays it over the graph)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
from flask import Blueprint, current_app, jsonify
from pydantic import Field
from sqlalchemy import select

from app.community import facts
from app.core import db, security
from app.core.inputs import Body, Query, Reply, Text, ascii_int, parse_body, parse_query
from app.core.models import AcceptedFact, QuestAnswer, utcnow
from routing.errors import LotseError
from routing.facts import FACT_KINDS, FactKind
from routing.phrases import LANGUAGES
from routing.quests import AGREEING_ANSWERS, QUEST_ELEMENTS, answer_value, nearby, quest_dict

bp = Blueprint("quests", __name__, url_prefix="/api/quests")
security.protect(bp)

QUEST_LIMIT = 20
RADIUS_DEFAULT_M = 250.0
RADIUS_MAX_M = 1000.0


class QuestQuery(Query):
    lat: Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
    lon: Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
    radius: Annotated[float, Field(gt=0, le=RADIUS_MAX_M, allow_inf_nan=False,
                                   description="Metres around the point")] = RADIUS_DEFAULT_M


class QuestAnswerBody(Body):
    quest: Text
    answer: Text | int  # an answer of the quest's kind, or a step count


InEachLanguage = dict[Literal[tuple(LANGUAGES)], str]


class Choice(Reply):
    value: str
    label: InEachLanguage


class LatLon(Reply):
    lat: float
    lon: float


class QuestOut(Reply):
    """A question about one map element; `choice` quests list their answers, `count` quests take a number."""

    id: str = Field(examples=["node/123/tactile_paving"])
    element: Literal["node", "way"]
    osm_id: int
    key: Literal[tuple(FACT_KINDS)]
    lat: float
    lon: float
    distance_m: float
    question: InEachLanguage
    answer_type: Literal["choice", "count"]
    answers: list[Choice] | None = None
    min: int | None = None
    max: int | None = None
    along: list[LatLon] | None = Field(None, description="sidewalk quests: the way's drawing direction")


class QuestList(Reply):
    quests: list[QuestOut] = Field(max_length=QUEST_LIMIT)


class AnswerTaken(Reply):
    quest: str
    answer: str
    accepted: bool = Field(description="Whether it made an accepted fact")


# ----------------------------------------------------------------------------------------------- views
@bp.get("")
def index():
    """Up to 20 open quests nearest to `lat`,`lon` within `radius` metres (default 250, at most 1000).

    Quests already accepted, or answered by the logged-in volunteer, are left out.
    """
    query = parse_query(QuestQuery, codes={"lat": "bad_coordinate", "lon": "bad_coordinate"})
    lat, lon, radius = query.lat, query.lon, query.radius
    return jsonify(quests=open_quests(lat, lon, radius)[:QUEST_LIMIT])


def open_quests(lat: float, lon: float, radius: float) -> list[dict[str, Any]]:
    """The open quests within `radius` metres of `lat`,`lon`, nearest first (at most 10 × QUEST_LIMIT looked at):
    not accepted, and not answered by the logged-in volunteer."""
    graph = current_app.extensions["lotse.graph"]
    x, y = current_app.extensions["lotse.index"].project(lat, lon)
    candidates = [quest_dict(graph, *found) for found in nearby(graph, x, y, radius)[:10 * QUEST_LIMIT]]
    ids = [quest["id"] for quest in candidates]
    db_session = db.session()
    # The graph may not have the newest accepted facts yet (it is rebuilt in the background).
    done = set(db_session.scalars(select(AcceptedFact.quest_id).where(AcceptedFact.quest_id.in_(ids))))
    user = security.current_user()
    if user is not None:
        done |= set(db_session.scalars(select(QuestAnswer.quest_id).where(QuestAnswer.user_id == user.id,
                                                                           QuestAnswer.quest_id.in_(ids))))
    return [quest for quest in candidates if quest["id"] not in done]


def _quest(quest_id: object) -> tuple[FactKind, int]:
    """The quest's kind and OSM id; 404 unless it is a quest of the map as loaded (whatever was accepted since)."""
    if not isinstance(quest_id, str):
        raise LotseError('"quest" must be a quest id such as node/123/tactile_paving', field="quest")
    element, _, rest = quest_id.partition("/")
    osm_id, _, key = rest.partition("/")
    kind = FACT_KINDS.get(key)
    if kind is None or kind.element != element or ascii_int(osm_id, 1, 2**63 - 1) is None:
        raise LotseError(code="quest_not_found", status=404)
    graph = current_app.extensions["lotse.base_graph"]
    rows = np.flatnonzero((graph.node_osm_id if element == "node" else graph.way_osm_id) == int(osm_id))
    if len(rows) == 0 or not _base_quests()[key][rows[0]]:
        raise LotseError(code="quest_not_found", status=404)
    return kind, int(osm_id)


def _base_quests() -> dict[str, np.ndarray]:
    """QUEST_ELEMENTS on the map as loaded, which never changes: worked out once per app."""
    masks = current_app.extensions.get("lotse.base_quests")
    if masks is None:
        graph = current_app.extensions["lotse.base_graph"]
        masks = current_app.extensions["lotse.base_quests"] = {key: elements(graph)
                                                               for key, elements in QUEST_ELEMENTS.items()}
    return masks


@bp.post("/answer")
def answer():
    """`{"quest": id, "answer": value}`; the second agreeing volunteer makes it an accepted fact."""
    user = security.require_user()
    body = parse_body(QuestAnswerBody, codes={"answer": "bad_answer"})
    kind, osm_id = _quest(body.quest)
    value = answer_value(kind, body.answer)
    quest_id = f"{kind.element}/{osm_id}/{kind.key}"
    now = utcnow()
    db_session = db.session()
    db.lock(db_session, quest_id)  # two volunteers agreeing at the same moment still make one fact
    if db_session.scalar(select(AcceptedFact.id).where(AcceptedFact.quest_id == quest_id)) is not None:
        raise LotseError(code="quest_done", status=409)
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
        facts.fact_accepted(current_app._get_current_object())
    return jsonify(quest=quest_id, answer=value, accepted=accepted)
