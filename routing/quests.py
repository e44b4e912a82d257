"""Quests: small questions to volunteers about accessibility facts OpenStreetMap lacks near them.

A quest is a missing fact on one graph element, with an id such as `node/123/tactile_paving`. AGREEING_ANSWERS
volunteers who give the same answer make it an accepted fact (`routing.facts`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from routing import tags
from routing.errors import LotseError
from routing.facts import FACT_KINDS, MAX_STEP_COUNT, FactKind
from routing.graph import WalkGraph
from routing.phrases import LANGUAGES, load_table

AGREEING_ANSWERS = 2
_SIGNALS = tags.CROSSING_KINDS.index("traffic_signals")
# Streets whose sidewalks are worth asking about (service roads and living streets seldom have one).
SIDEWALK_HIGHWAYS = frozenset({"primary", "primary_link", "secondary", "secondary_link", "tertiary", "tertiary_link",
                               "unclassified", "residential"})
# Ways walked on their own surface (a road's surface is not its sidewalk's).
SURFACE_HIGHWAYS = frozenset({"footway", "path", "pedestrian", "track", "cycleway", "bridleway"})


def _mapped_crossing(graph: WalkGraph) -> np.ndarray:
    return graph.node_columns["crossing"] != 0


def _signal_crossing(graph: WalkGraph) -> np.ndarray:
    return graph.node_columns["crossing"] == _SIGNALS


def _steps(graph: WalkGraph) -> np.ndarray:
    return graph.way_texts("highway") == "steps"


def _surface_unknown(graph: WalkGraph) -> np.ndarray:
    surface, footway = graph.way_texts("surface"), graph.way_texts("footway")
    return np.isin(graph.way_texts("highway"), list(SURFACE_HIGHWAYS)) & (surface == "") & (footway != "crossing")


# Which elements each quest asks about: a mask over the graph's nodes or ways where the fact is unknown.
QUEST_ELEMENTS: dict[str, Callable[[WalkGraph], np.ndarray]] = {
    "tactile_paving": lambda g: _mapped_crossing(g) & (g.node_columns["tactile_paving"] == tags.UNKNOWN),
    "acoustic_signal": lambda g: _signal_crossing(g) & (g.node_columns["acoustic_signal"] == tags.UNKNOWN),
    "vibration": lambda g: _signal_crossing(g) & (g.node_columns["vibration"] == tags.UNKNOWN),
    "kerb": lambda g: _mapped_crossing(g) & (g.node_columns["kerb"] == 0),
    "step_count": lambda g: _steps(g) & (g.way_columns["step_count"] < 0),
    "handrail": lambda g: _steps(g) & (g.way_columns["handrail"] == tags.UNKNOWN),
    "sidewalk": lambda g: np.isin(g.way_texts("highway"), list(SIDEWALK_HIGHWAYS)) & (g.way_columns["sidewalk"] == 0),
    "surface": _surface_unknown,
}


# --------------------------------------------------------------------------------------------- finding
def nearby(graph: WalkGraph, x: float, y: float, radius: float) -> list[tuple[float, str, int, int]]:
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
        if FACT_KINDS[key].element == "node":
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
    kind = FACT_KINDS[key]
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
        quest.update(answer_type="count", min=1, max=MAX_STEP_COUNT)
    if key == "sidewalk":
        # Left and right are the way's: the arrow shows its drawing direction where the volunteer is.
        edge = int(np.searchsorted(graph.geom_offsets, point, side="right") - 1)
        ends = graph.edge_latlon(edge)
        along = [ends[0], ends[-1]] if graph.edge_forward[edge] else [ends[-1], ends[0]]
        quest["along"] = [{"lat": lat_, "lon": lon_} for lat_, lon_ in along]
    return quest


def answer_value(kind: FactKind, answer: object) -> str:
    """The answer as stored: one of the kind's answers, or a count as decimal digits."""
    if kind.answers:
        if answer not in kind.answers:
            raise LotseError(code="bad_answer")
        return str(answer)
    if isinstance(answer, bool) or not isinstance(answer, (int, str)) or not str(answer).isdigit():
        raise LotseError(code="bad_answer")
    if not 1 <= int(answer) <= MAX_STEP_COUNT:
        raise LotseError(code="bad_answer")
    return str(int(answer))
