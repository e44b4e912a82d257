"""Gap analysis (routing.gaps, app.staff.gaps) and anonymous route-usage counts (app.core.usage): what counts as a gap, the grid, coverage
over time, the priority order on a map where the answer is known, and counting planned routes."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect, select

from app import create_app
from app.core import db, usage
from app.core.language import language
from app.core.models import AcceptedFact, RouteUsage
from app.staff import gaps
from app.walker.live import LiveConnection
from routing import tags
from routing.gaps import coverage, week_start
from routing.graph import edge_keys
from tests.graph_helpers import with_facts

M_PER_DEG_LAT, M_PER_DEG_LON = 111_194.9, 72_301.6  # the mini map's conversion (tests/fixtures/mini_osm.md)


def mini_point(x: float, y: float) -> dict[str, float]:
    """A position on the mini map from its x/y metres."""
    return {"lat": 49.4440 + y / M_PER_DEG_LAT, "lon": 7.7690 + x / M_PER_DEG_LON}


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
    routes = [client.post("/api/route?detail=edges", json=body).get_json() for _ in range(2)]
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