"""Planned routes in Redis (app.walker.route_store): the stored form, the bounds per client and in all, the time to
live, and what happens when Redis does not answer. Two server processes sharing them: tests/app/core/test_shared.py."""

from __future__ import annotations

import pytest
import redis

from app import create_app
from app.walker.planning import RouteStore
from app.walker.route_store import RedisRouteStore, dump_stored, load_stored
from routing.tracking import GuidanceSession
from tests.app.conftest import redis_prefix
from tests.app.walker.test_live import DESTINATION, ORIGIN


@pytest.fixture()
def shared_app(redis_url, city_graph):
    """An app on Redis under a prefix of its own, small bounds."""
    with redis_prefix(redis_url) as prefix:
        app = create_app({"TESTING": True, "REDIS_URL": redis_url, "REDIS_PREFIX": prefix, "ROUTE_STORE_SIZE": 30,
                          "ROUTE_STORE_TTL_S": 600}, graph=city_graph)
        yield app
        app.extensions["lotse.bus"].stop()


def plan(app, client_address: str = "127.0.0.1", **body) -> dict:
    response = app.test_client().post("/api/route", json={"from": ORIGIN, "to": DESTINATION, **body},
                                      environ_base={"REMOTE_ADDR": client_address})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def test_redis_is_the_store_when_configured_and_memory_is_without(shared_app, app):
    assert isinstance(shared_app.extensions["lotse.routes"], RedisRouteStore)
    assert isinstance(app.extensions["lotse.routes"], RouteStore)


def test_the_stored_form_gives_back_the_same_route_and_guidance(shared_app):
    planned = plan(shared_app, lang="en", guidance={"verbosity": "detailed", "step_length_m": 0.7},
                   heading_deg=90)
    stored = shared_app.extensions["lotse.routes"].get(planned["route_id"])
    raw = dump_stored(stored)
    back = load_stored(raw)
    assert len(raw) < 20_000  # compact: a few kilobytes for a kilometre's walk
    assert back.route.to_dict() == stored.route.to_dict()
    assert back.route.to_dict(edge_detail=False) == planned  # the answer leaves the edges out unless asked
    assert (back.route.lat == stored.route.lat).all() and (back.route.lon == stored.route.lon).all()  # exact
    assert back.request == stored.request and back.client == stored.client == "127.0.0.1"
    index = shared_app.extensions["lotse.index"]
    network = shared_app.extensions["lotse.network"]
    sessions = [GuidanceSession(s.route, s.route.instructions, index.project, "en", s.request.wording, network)
                for s in (stored, back)]
    assert [a.text for a in sessions[0].start()] == [a.text for a in sessions[1].start()]


def test_a_form_of_another_release_is_no_known_route(shared_app):
    with pytest.raises(ValueError):
        load_stored(b"not zlib")
    planned = plan(shared_app)
    store = shared_app.extensions["lotse.routes"]
    client = redis.Redis.from_url(shared_app.config["REDIS_URL"])
    client.set(f"{shared_app.config['REDIS_PREFIX']}:route:{planned['route_id']}", b"x\x9c\x03\x00\x00\x00\x00\x01")
    assert store.get(planned["route_id"]) is None  # logged; the walker is asked to plan again


def test_a_flood_from_one_address_evicts_only_its_own_routes(shared_app):
    store = shared_app.extensions["lotse.routes"]
    walker = plan(shared_app, "10.0.0.1")["route_id"]
    flood = [plan(shared_app, "10.6.6.6")["route_id"] for _ in range(25)]
    assert store.get(walker) is not None
    kept = [route_id for route_id in flood if store.get(route_id) is not None]
    assert kept == flood[-20:]  # the newest 20 of the flooding address


def test_every_route_in_all_is_bounded_and_lives_for_the_ttl(shared_app):
    store = shared_app.extensions["lotse.routes"]
    ids = [plan(shared_app, f"10.1.0.{n}")["route_id"] for n in range(33)]  # 33 clients, 30 routes at most
    assert [store.get(route_id) is not None for route_id in ids] == [False] * 3 + [True] * 30
    client = redis.Redis.from_url(shared_app.config["REDIS_URL"])
    ttl = client.ttl(f"{shared_app.config['REDIS_PREFIX']}:route:{ids[-1]}")
    assert 590 <= ttl <= 600


def test_without_redis_routes_stay_in_the_process(shared_app):
    """Redis gone: routes are kept and found in this process's memory, and guidance goes on."""
    app = create_app({"TESTING": True, "REDIS_URL": "redis://127.0.0.1:1/0", "REDIS_PREFIX": "lotse-nowhere"},
                     graph=shared_app.extensions["lotse.base_graph"])
    try:
        planned = plan(app)
        stored = app.extensions["lotse.routes"].get(planned["route_id"])
        assert stored is not None and stored.route.route_id == planned["route_id"]
        assert app.extensions["lotse.bus"].publish("report_confirmed", {"id": 1}) is False
    finally:
        app.extensions["lotse.bus"].stop()
