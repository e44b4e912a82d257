"""Gap analysis (routing.gaps, app.staff.gaps) and anonymous route-usage counts (app.core.usage): what counts as a gap, the grid, coverage
over time, the priority order on a map where the answer is known, and counting planned routes."""

from __future__ import annotations

import dataclasses
import json
import time
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from sqlalchemy import inspect, select

from app import create_app
from app.core import db, usage
from app.core.language import language
from app.core.models import AcceptedFact, RouteUsage
from app.staff import gaps
from app.walker.live import LiveConnection
from routing import tags
from routing.gaps import KINDS, Grid, coverage, week_start
from routing.gaps import analyse as analysis_of
from routing.graph import WalkGraph, edge_keys
from routing.quests import QUEST_ELEMENTS

M_PER_DEG_LAT, M_PER_DEG_LON = 111_194.9, 72_301.6  # the mini map's conversion (tests/fixtures/mini_osm.md)


def mini_point(x: float, y: float) -> dict[str, float]:
    """A position on the mini map from its x/y metres."""
    return {"lat": 49.4440 + y / M_PER_DEG_LAT, "lon": 7.7690 + x / M_PER_DEG_LON}


def with_facts(graph: WalkGraph, nodes: dict[tuple[int, str], int], ways: dict[tuple[int, str], int]) -> WalkGraph:
    """A copy of `graph` with some node and way columns set (OSM id, column) → stored value."""
    node_columns = {name: values.copy() for name, values in graph.node_columns.items()}
    way_columns = {name: values.copy() for name, values in graph.way_columns.items()}
    for (osm_id, column), value in nodes.items():
        node_columns[column][int(np.flatnonzero(graph.node_osm_id == osm_id)[0])] = value
    for (osm_id, column), value in ways.items():
        way_columns[column][int(np.flatnonzero(graph.way_osm_id == osm_id)[0])] = value
    return dataclasses.replace(graph, node_columns=node_columns, way_columns=way_columns)


@pytest.fixture()
def mini_app(mini_graph):
    app = create_app({"TESTING": True, "USAGE_FLUSH_INTERVAL_S": 3600}, graph=mini_graph)
    yield app
    app.extensions["lotse.db"].engine.dispose()


def set_usage(app, edges: dict[str, int], nodes: dict[int, int], routes: int) -> None:
    with db.app_session(app, write=True) as session:
        session.add_all([RouteUsage(kind="edge", key=key, count=count) for key, count in edges.items()])
        session.add_all([RouteUsage(kind="node", key=str(key), count=count) for key, count in nodes.items()])
        session.add(RouteUsage(kind="total", key="routes", count=routes))
    usage.counter_of(app).reset()


# ------------------------------------------------------------------------------------------------ analysis
def test_the_mini_map_has_exactly_its_one_gap(mini_graph):
    """Everything on the mini map is mapped except Rosenweg's sidewalks (the signalled crossing on Mainzer Straße has
    tactile paving and sound, the steps a count and a handrail; Fackelstraße and Mainzer Straße have sidewalk tags)."""
    analysis = analysis_of(mini_graph)
    assert [gap["id"] for gap in analysis.gaps] == ["way/103/sidewalk"]
    gap = analysis.gaps[0]
    assert gap == {**gap, "kind": "sidewalk", "value": "unknown", "street": "Rosenweg", "highway": "residential",
                   "size": 1, "quest": "sidewalk", "element": "way", "osm_id": 103}
    coverage = {row["attribute"]: row for row in analysis.coverage}
    assert coverage["tactile_paving"] == {"attribute": "tactile_paving", "element": "node", "total": 2, "known": 1,
                                          "unknown": 1, "known_rate": 0.5}  # crossings 6 (yes) and 8 (unknown)
    assert coverage["acoustic_signal"]["known_rate"] == 1.0
    assert coverage["sidewalk"]["total"] == 3 and coverage["sidewalk"]["known"] == 2
    # Crossing places: the two mapped crossings and the inferred one where Schulpfad passes Fackelstraße.
    assert (coverage["crossing_mapped"]["total"], coverage["crossing_mapped"]["known"]) == (3, 2)


def test_each_kind_of_gap_on_the_mini_map(mini_graph):
    graph = with_facts(mini_graph, nodes={(6, "acoustic_signal"): tags.NO, (6, "tactile_paving"): tags.UNKNOWN},
                       ways={(108, "handrail"): tags.UNKNOWN, (108, "step_count"): -1})
    found = {gap["id"]: gap for gap in analysis_of(graph).gaps}
    assert set(found) == {"node/6/crossing_tactile_paving", "node/6/signal_acoustic", "way/108/steps_handrail",
                          "way/108/steps_count", "way/103/sidewalk"}
    assert found["node/6/signal_acoustic"]["value"] == "no"
    assert found["node/6/signal_acoustic"]["street"] == "Mainzer Straße"
    assert found["node/6/signal_acoustic"]["highway"] == "primary" and found["node/6/signal_acoustic"]["size"] == 4
    assert found["way/108/steps_handrail"]["size"] == 0
    # The unmarked crossing of Rosenweg (residential) is no main-road crossing: no tactile paving gap there.
    assert "node/8/crossing_tactile_paving" not in found


def test_city_gaps_agree_with_the_graph(city_graph):
    analysis = analysis_of(city_graph)
    counts = {kind: sum(gap["kind"] == kind for gap in analysis.gaps) for kind in KINDS}
    highway = np.array(city_graph.texts["highway"], dtype=object)[city_graph.way_columns["highway"]]
    steps = highway == "steps"
    assert counts["steps_handrail"] == int((steps & (city_graph.way_columns["handrail"] != tags.YES)).sum())
    assert counts["steps_count"] == int((steps & (city_graph.way_columns["step_count"] < 0)).sum())
    assert counts["sidewalk"] == int(QUEST_ELEMENTS["sidewalk"](city_graph).sum())
    assert 0 < counts["signal_acoustic"] <= city_graph.stats()["crossings_mapped"]
    assert counts["crossing_tactile_paving"] > 0
    assert len({gap["id"] for gap in analysis.gaps}) == len(analysis.gaps)
    # Every gap lies in the grid cell it names.
    for gap in analysis.gaps[::50]:
        south, west, north, east = analysis.grid.bbox(gap["cell"])
        assert south - 1e-4 <= gap["lat"] <= north + 1e-4 and west - 1e-4 <= gap["lon"] <= east + 1e-4, gap


def test_grid_cells_are_named_like_a_street_map():
    grid = Grid(x0=0.0, y1=5000.0, columns=30, rows=9, crs="EPSG:32632")
    assert grid.cell(10, 4990) == "A1"
    assert grid.cell(510, 4990) == "B1"
    assert grid.cell(10, 4400) == "A2"
    assert grid.cell(26 * 500 + 1, 4990) == "AA1"
    assert grid.position("AA1") == (26, 0)
    assert grid.position("B9") == (1, 8)
    for bad in ("", "A0", "A10", "a1", "1A", "A-1", "AE1"):
        assert grid.position(bad) is None, bad
    assert grid.cell(-100, 6000) == "A1"  # clamped onto the grid


# ------------------------------------------------------------------------------------------------ priority
def test_priority_order_on_a_map_where_the_answer_is_known(mini_app, mini_graph):
    """Routes passing × (1 + road size): 30 routes over the steps (size 0) beat 5 over the signal on Mainzer Straße
    (primary, size 4: 25), which beat 12 along Fackelstraße (residential, size 1: 24); Rosenweg's 4 routes are
    fewer than 5, so they are not shown and count for nothing."""
    mini_app.extensions["lotse.graph"] = with_facts(
        mini_graph, nodes={(6, "acoustic_signal"): tags.UNKNOWN},
        ways={(108, "handrail"): tags.UNKNOWN, (101, "sidewalk"): 0})
    set_usage(mini_app, edges={"108:19-20": 30, "101:1-2": 12, "101:2-3": 3, "101:3-4": 7, "103:3-8": 4,
                               "103:8-9": 2}, nodes={6: 5}, routes=40)
    with mini_app.test_request_context():
        ranked = gaps.service(mini_app).ranked()
    assert [(gap["id"], gap["routes"], gap["priority"], gap["rank"]) for gap in ranked] == [
        ("way/108/steps_handrail", 30, 30, 1),
        ("node/6/signal_acoustic", 5, 25, 2),
        ("way/101/sidewalk", 12, 24, 3),
        ("way/103/sidewalk", None, 0, 4),
    ]
    body = mini_app.test_client().get("/api/gaps").get_json()
    assert [gap["id"] for gap in body["gaps"]] == [gap[0] for gap in [
        ("way/108/steps_handrail",), ("node/6/signal_acoustic",), ("way/101/sidewalk",), ("way/103/sidewalk",)]]
    assert body["min_count"] == 5 and body["total"] == 4
    by_routes = mini_app.test_client().get("/api/gaps?sort=routes").get_json()["gaps"]
    assert [gap["routes"] for gap in by_routes] == [30, 12, 5, None]


def test_without_counts_the_bigger_road_comes_first(mini_app, mini_graph):
    mini_app.extensions["lotse.graph"] = with_facts(
        mini_graph, nodes={(6, "acoustic_signal"): tags.UNKNOWN},
        ways={(108, "handrail"): tags.UNKNOWN, (101, "sidewalk"): 0})
    set_usage(mini_app, edges={"108:19-20": 4}, nodes={6: 1}, routes=4)
    ranked = mini_app.test_client().get("/api/gaps").get_json()["gaps"]
    assert [gap["id"] for gap in ranked] == ["node/6/signal_acoustic", "way/101/sidewalk", "way/103/sidewalk",
                                             "way/108/steps_handrail"]
    assert all(gap["routes"] is None and gap["priority"] == 0 for gap in ranked)
    summary = mini_app.test_client().get("/api/gaps/summary").get_json()
    assert summary["routes_counted"] is None  # 4 routes: fewer than 5


def test_a_new_graph_is_analysed_again(mini_app, mini_graph):
    client = mini_app.test_client()
    assert client.get("/api/gaps").get_json()["total"] == 1
    mini_app.extensions["lotse.graph"] = with_facts(mini_graph, nodes={}, ways={(103, "sidewalk"): 1})
    assert client.get("/api/gaps").get_json()["total"] == 0


# ---------------------------------------------------------------------------------------------- coverage
def test_coverage_over_time_adds_the_facts_accepted_each_week(mini_app):
    now = datetime.now(timezone.utc)
    monday = week_start(now.date())
    three_weeks_ago = datetime.combine(monday - timedelta(weeks=3), datetime.min.time(), tzinfo=timezone.utc)
    with db.app_session(mini_app, write=True) as session:
        session.add(AcceptedFact(quest_id="way/103/sidewalk", element="way", osm_id=103, key="sidewalk",
                                 value="both", accepted_at=three_weeks_ago + timedelta(hours=5)))
        session.add(AcceptedFact(quest_id="node/8/tactile_paving", element="node", osm_id=8, key="tactile_paving",
                                 value="no", accepted_at=now - timedelta(days=400)))  # before the chart's weeks
    with mini_app.app_context(), db.app_session(mini_app) as session:
        history = gaps.coverage_history(session, coverage(mini_app.extensions["lotse.base_graph"]), now, 6)
    assert [week["start"] for week in history] == [(monday - timedelta(weeks=5 - i)).isoformat() for i in range(6)]
    sidewalk = [week["by_attribute"]["sidewalk"] for week in history]
    assert sidewalk == [pytest.approx(2 / 3, abs=1e-4)] * 2 + [1.0] * 4
    assert all(week["by_attribute"]["tactile_paving"] == 1.0 for week in history)
    assert history[-1]["known_rate"] > history[0]["known_rate"]


# ------------------------------------------------------------------------------------------------- usage
def test_planned_routes_are_counted_anonymously(mini_app):
    client = mini_app.test_client()
    body = {"from": mini_point(-185, 15), "to": mini_point(78, 60)}  # Schillerplatz to the Mainzer Straße sidewalk
    routes = [client.post("/api/route", json=body).get_json() for _ in range(2)]
    assert all("route_id" in route for route in routes)
    counter = usage.counter_of(mini_app)
    assert counter.flush() > 0
    with db.app_session(mini_app) as session:
        rows = {(row.kind, row.key): row.count for row in session.scalars(select(RouteUsage))}
    keys = edge_keys(mini_app.extensions["lotse.base_graph"])
    walked = {keys[edge["edge"]] for edge in routes[0]["edges"]}
    crossed = {str(crossing["node_osm_id"]) for crossing in routes[0]["crossings"]}
    assert crossed, "the route crosses Mainzer Straße"
    assert rows == {("total", "routes"): 2, **{("edge", key): 2 for key in walked},
                    **{("node", key): 2 for key in crossed}}
    # Counts only: no route, position, time or person is stored.
    columns = {column["name"] for column in inspect(mini_app.extensions["lotse.db"].engine).get_columns("route_usage")}
    assert columns == {"kind", "key", "count"}
    assert counter.flush() == 0  # nothing pending
    assert counter.snapshot().routes == 2


def test_live_guidance_routes_are_counted_too(mini_app):
    sent: list[str] = []
    connection = LiveConnection(mini_app, sent.append, language("de"))
    with mini_app.app_context():
        connection.handle(json.dumps({"type": "start", "from": mini_point(-185, 15), "to": mini_point(78, 60)}))
    assert json.loads(sent[0])["type"] == "started", sent[:1]
    usage.counter_of(mini_app).flush()
    assert usage.counter_of(mini_app).snapshot().routes == 1


def test_a_failing_route_listener_does_not_break_planning(mini_app):
    def broken(_route) -> None:
        raise RuntimeError("listener bug")

    mini_app.extensions["lotse.route_listeners"].insert(0, broken)
    response = mini_app.test_client().post("/api/route", json={"from": mini_point(-185, 15),
                                                               "to": mini_point(78, 60)})
    assert response.status_code == 200
    assert usage.counter_of(mini_app).flush() > 0  # the counter after it still ran


def test_counts_are_written_in_the_background(mini_graph, tmp_path):
    app = create_app({"TESTING": True, "USAGE_FLUSH_INTERVAL_S": 0.1, "DATABASE_URL": f"sqlite:///{tmp_path}/l.db"},
                     graph=mini_graph)
    try:
        app.test_client().post("/api/route", json={"from": mini_point(-185, 15), "to": mini_point(78, 60)})
        counter = usage.counter_of(app)
        deadline = datetime.now() + timedelta(seconds=10)
        while datetime.now() < deadline:
            with db.app_session(app) as session:
                total = session.scalar(select(RouteUsage.count).where(RouteUsage.kind == "total"))
            if total == 1:
                break
            time.sleep(0.1)
        assert total == 1
        assert counter.flush() == 0
        assert not usage.counter_of(create_app({"TESTING": True}, graph=mini_graph)).background  # in memory
    finally:
        app.extensions["lotse.db"].engine.dispose()


def test_counts_below_five_are_never_shown():
    assert [usage.shown(count) for count in (None, 0, 1, 4, 5, 17)] == [None, None, None, None, 5, 17]
