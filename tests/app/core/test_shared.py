"""Several real `lotse serve` processes sharing one PostgreSQL and one Redis (app.core.shared): a walk moves from one
process to another, a report confirmed or a fact accepted on one reaches the walkers of another, a process killed
mid-walk loses the walker nothing, usage counts add up, processes started at once all migrate and serve, and with
Redis down guidance goes on (news flows again once it is back)."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
import requests
from sqlalchemy import create_engine, text

from routing.cache import load_graph
from tests.app.conftest import REDIS_URL, new_postgres_database, redis_prefix
from tests.app.core.test_storage import free_port, head_revision, logged_in
from tests.app.walker.test_live import DESTINATION, ORIGIN, Walker, _walk, position
from tests.conftest import SHARED_OSM
from tests.graph_helpers import CROSSING

LOTSE = Path(sys.executable).parent / "lotse"
CENTRE_OSM = SHARED_OSM / "kaiserslautern_cc.osm.gz"
STARTUP_S = 120  # four processes loading the map at once on a small machine
TOLD_WITHIN_S = 2.0  # a report confirmed on one process reaches a walker on another (issue 17)


class Server:
    """One `lotse serve` process on a free port, in a process group of its own (so kill -9 takes its workers too,
    whichever server runs the app)."""

    def __init__(self, environment: dict[str, str], workdir: Path, name: str) -> None:
        self.port = free_port()
        self.http, self.ws = f"http://127.0.0.1:{self.port}", f"ws://127.0.0.1:{self.port}"
        self.log = workdir / f"{name}.log"
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(LOTSE), "serve", "--osm", str(CENTRE_OSM), "--cache-dir", str(workdir / "cache"),
                 "--port", str(self.port)],
                cwd=workdir, env=environment, stdout=log, stderr=log, start_new_session=True)

    def wait_until_healthy(self) -> None:
        deadline = time.monotonic() + STARTUP_S
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            try:
                if requests.get(f"{self.http}/api/health", timeout=2).ok:
                    return
            except requests.ConnectionError:
                time.sleep(0.2)
        pytest.fail(f"lotse serve did not answer within {STARTUP_S} s: {self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """kill -9, no goodbye."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def environment(database_url: str, prefix: str, workdir: Path, redis_url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("LOTSE_")}
    env.update(LOTSE_DATABASE_URL=database_url, LOTSE_REDIS_URL=redis_url, LOTSE_REDIS_PREFIX=prefix,
               LOTSE_SECRET_KEY="one key for every process", LOTSE_SESSION_COOKIE_SECURE="false",
               LOTSE_LIVE_FRAMES_PER_SECOND="100000", LOTSE_RATE_LIMIT_REGISTER="1000/minute",
               LOTSE_RATE_LIMIT_REPORTS="1000/hour", LOTSE_USAGE_FLUSH_INTERVAL_S="0.2",
               LOTSE_SPEECH_ENGINES="espeak", LOTSE_SPEECH_CACHE_DIR=str(workdir / "speech"),
               # One worker per process (with Redis the default is one per core): these tests say which process
               # holds a route while Redis is down, and a sibling worker would be a process of its own there.
               LOTSE_SERVER_WORKERS="1")
    return env


@contextmanager
def servers(count: int, database_url: str, prefix: str, workdir: Path, name: str,
            redis_url: str = REDIS_URL) -> Iterator[list[Server]]:
    """`count` processes started at once, each answering; stopped afterwards."""
    started = [Server(environment(database_url, prefix, workdir, redis_url), workdir, f"{name}{n}")
               for n in range(count)]
    try:
        for server in started:
            server.wait_until_healthy()
        yield started
    finally:
        for server in started:
            server.stop()


@pytest.fixture(scope="module")
def prefix(redis_url):
    with redis_prefix(redis_url) as name:
        yield name


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    path = tmp_path_factory.mktemp("shared")
    load_graph(CENTRE_OSM, cache_dir=path / "cache")  # built once here, then every server loads it
    return path


@pytest.fixture(scope="module")
def centre_graph(workdir):
    return load_graph(CENTRE_OSM, cache_dir=workdir / "cache")


@pytest.fixture(scope="module")
def database():
    with new_postgres_database() as url:
        yield url


@pytest.fixture(scope="module")
def pair(database, prefix, workdir):
    """Two processes on one database and one Redis."""
    with servers(2, database, prefix, workdir, "pair") as started:
        yield started


def http() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # the local servers, whatever proxy the environment names
    return session


def plan(server: Server) -> dict:
    response = http().post(f"{server.http}/api/route", json={"from": ORIGIN, "to": DESTINATION}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def instruction_ids(messages: list[dict]) -> list[str]:
    return [m["id"] for m in messages if m["type"] == "instruction"]


def first_turn(route: dict) -> dict:
    return next(i for i in route["instructions"] if i["type"] == "turn" and i["distance_m"] > 120)


def walk_to_the_turn(walker: Walker, route: dict) -> list[dict]:
    """After `started`: the instructions heard walking up to the first turn, whose "now" is said just before it."""
    said = [m for m in walker.drain() if m["type"] == "instruction"]
    said += _walk(walker, route, 0.0, first_turn(route)["distance_m"] - 1, 1_700_000_001_000)
    assert f"{first_turn(route)['id']}:now" in instruction_ids(said)
    return said


def resume_past_the_turn(server: Server, route: dict, said: list[dict]) -> list[dict]:
    """A phone that reconnects to `server` at the turn (its estimate 12 m behind) with what it has said, and walks
    on past the next instruction: what it hears. Nothing is said twice and guidance goes on."""
    turn = first_turn(route)
    walker = Walker(server.ws)
    try:
        walker.send({"type": "start", "route_id": route["route_id"], "progress_m": turn["distance_m"] - 12,
                     "said": instruction_ids(said)})
        assert walker.until("started")[-1]["route"] == route
        again = walker.drain()
        following = next(i for i in route["instructions"] if i["distance_m"] > turn["distance_m"] + 1)
        again += _walk(walker, route, turn["distance_m"] - 10, following["distance_m"] + 5, 1_700_000_500_000)
    finally:
        walker.close()
    ids = instruction_ids(said + again)
    assert len(ids) == len(set(ids)), "an instruction was said twice"
    assert not [m for m in again if m.get("instruction_index") == turn["index"]]
    assert instruction_ids(again), "guidance goes on after the move"
    return again


def test_a_walk_planned_on_one_process_is_started_and_resumed_on_the_other(pair):
    one, other = pair
    planned = plan(one)
    walker = Walker(other.ws)
    try:
        walker.send({"type": "start", "route_id": planned["route_id"]})
        assert walker.until("started")[-1]["route"] == planned  # the same route, to the last digit
        said = walk_to_the_turn(walker, planned)
    finally:
        walker.close()
    assert said[0]["text"] == planned["instructions"][0]["text"]
    resume_past_the_turn(one, planned, said)  # and back to the process that planned it


def confirm_a_report_ahead(server: Server, walker: Walker, graph) -> tuple[int, list[dict], float]:
    """A walker starts; two volunteers on `server` report an obstacle on the middle of its route and confirm it.
    Returns the edge, the messages the walker gets until it is re-routed and how long after the vote that took."""
    edge, voted = report_ahead_and_confirm(server, walker, graph)
    messages = walker.until("rerouted")
    return edge, messages, time.monotonic() - voted


def report_ahead_and_confirm(server: Server, walker: Walker, graph) -> tuple[int, float]:
    """`confirm_a_report_ahead` up to the vote: the edge and when (time.monotonic) it was confirmed."""
    started = walker.start(detail="edges")  # the walked pieces, to report on one
    walker.send(position())
    walker.until("progress")
    piece = started["route"]["edges"][len(started["route"]["edges"]) // 2]
    (lat1, lon1), (lat2, lon2) = graph.edge_latlon(piece["edge"])[:2]
    reporter, confirmer = (logged_in(server.http, f"{name}{secrets.token_hex(3)}") for name in ("rita", "carl"))
    report = reporter.post(f"{server.http}/api/reports", timeout=10, json={
        "type": "head_height_object", "lat": (lat1 + lat2) / 2, "lon": (lon1 + lon2) / 2, "severity": "high",
    }).json()["report"]
    assert report["edge"] == piece["edge"] and report["status"] == "new"
    voted = time.monotonic()
    vote = confirmer.post(f"{server.http}/api/reports/{report['id']}/votes", json={"answer": "yes"}, timeout=10)
    assert vote.json()["report"]["status"] == "confirmed"
    return piece["edge"], voted


def test_a_report_confirmed_on_one_process_reroutes_a_walker_on_the_other(pair, centre_graph):
    one, other = pair
    walker = Walker(other.ws)
    try:
        edge, messages, took = confirm_a_report_ahead(one, walker, centre_graph)
    finally:
        walker.close()
    assert took < TOLD_WITHIN_S, f"the walker on the other process heard it after {took:.2f} s"
    warning = next(m for m in messages if m["type"] == "instruction")
    assert warning["kind"] == "warning" and warning["text"].startswith("Neue Meldung auf Ihrem Weg.")
    assert edge not in {e["edge"] for e in messages[-1]["route"]["edges"]}  # the other process plans around it


def test_a_fact_accepted_on_one_process_reaches_the_routes_of_the_other(pair):
    one, other = pair
    quest = f"node/{CROSSING['osm_id']}/tactile_paving"
    over_it = {"from": {"lat": 49.4457, "lon": 7.7684}, "to": {"lat": 49.4447, "lon": 7.7690}}

    def tactile_paving_on(server: Server) -> str:
        route = http().post(f"{server.http}/api/route", json=over_it, timeout=30).json()
        [crossing] = [c for c in route["crossings"] if c["node_osm_id"] == CROSSING["osm_id"]]
        return crossing["tactile_paving"]

    assert tactile_paving_on(other) == "unknown"
    for name in ("anna", "ben"):
        answered = logged_in(one.http, f"{name}{secrets.token_hex(3)}").post(
            f"{one.http}/api/quests/answer", json={"quest": quest, "answer": "yes"}, timeout=10)
        assert answered.status_code == 200, answered.text
    assert answered.json()["accepted"] is True
    deadline = time.monotonic() + 10  # a rebuild of the graph takes a moment; the news itself milliseconds
    while tactile_paving_on(other) != "yes":
        assert time.monotonic() < deadline, "the accepted fact did not reach the other process"
        time.sleep(0.1)


def test_a_walker_whose_process_is_killed_resumes_on_another_without_repeats(pair, database, prefix, workdir):
    _, survivor = pair
    with servers(1, database, prefix, workdir, "doomed") as (doomed,):
        walker = Walker(doomed.ws)
        walker.send({"type": "start", "from": ORIGIN, "to": DESTINATION})  # planned and stored by the doomed one
        planned = walker.until("started")[-1]["route"]
        said = walk_to_the_turn(walker, planned)
        doomed.kill()  # mid-walk, the socket still open
    resume_past_the_turn(survivor, planned, said)


def test_usage_counts_of_every_process_add_up(pair, database):
    engine = create_engine(database)

    def routes_counted() -> int:
        with engine.connect() as connection:
            return connection.execute(text(
                "SELECT coalesce(sum(count), 0) FROM route_usage WHERE kind = 'total'")).scalar()

    try:
        deadline = time.monotonic() + 10  # what earlier tests planned is written first
        before = routes_counted()
        while time.monotonic() < deadline:
            time.sleep(1.0)
            if (now := routes_counted()) == before:
                break
            before = now
        for _ in range(5):
            for server in pair:
                plan(server)
        deadline = time.monotonic() + 10
        while routes_counted() < before + 10 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert routes_counted() == before + 10
    finally:
        engine.dispose()


def test_four_processes_started_at_once_all_migrate_and_serve(prefix, workdir):
    with new_postgres_database() as url, servers(4, url, prefix, workdir, "four") as started:
        for server in started:
            assert plan(server)["distance_m"] > 0
        engine = create_engine(url)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [
                head_revision()]
        engine.dispose()


class RedisServer:
    """A Redis of this test's own, to stop and start again (the shared one serves other tests)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                                         "--save", "", "--appendonly", "no"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                assert time.monotonic() < deadline and self.process.poll() is None, "redis-server did not start"
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def wait_for_listeners(self, channel: str, count: int, timeout_s: float = 20) -> None:
        """Until `count` processes listen on `channel` (a listener tries again at least every 5 s)."""
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + timeout_s
        while dict(client.pubsub_numsub(channel)).get(channel.encode(), 0) < count:
            assert time.monotonic() < deadline, f"not {count} processes listen on {channel}"
            time.sleep(0.1)


# Each server's gunicorn master listens for news too (the app is loaded before the fork) beside its one worker.
LISTENERS_OF_TWO_SERVERS = 4


@pytest.fixture()
def own_redis():
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer()
    server.start()
    yield server
    server.stop()


def test_with_redis_down_guidance_goes_on_and_news_flows_again_when_it_is_back(own_redis, workdir, centre_graph):
    prefix = "lotse-own"
    with new_postgres_database() as url, servers(2, url, prefix, workdir, "own", own_redis.url) as (one, other):
        own_redis.wait_for_listeners(f"{prefix}:news", LISTENERS_OF_TWO_SERVERS)
        own_redis.stop()
        planned = plan(one)  # kept in the planning process's memory
        walker = Walker(one.ws)
        try:
            walker.send({"type": "start", "route_id": planned["route_id"]})
            assert walker.until("started")[-1]["route"] == planned
            walker.send(position())
            assert walker.until("progress")[-1]["on_route"] is True
        finally:
            walker.close()
        elsewhere = Walker(other.ws)
        try:
            elsewhere.send({"type": "start", "route_id": planned["route_id"]})
            assert elsewhere.receive()["code"] == "unknown_route"  # plan again: the phone still has the destination
        finally:
            elsewhere.close()
        # Rate limits count in each process meanwhile: a login flood is still answered, and still limited.
        login = requests.Session()
        login.trust_env = False
        login.headers["X-CSRF-Token"] = login.get(f"{one.http}/api/csrf", timeout=10).json()["csrf_token"]
        answers = [login.post(f"{one.http}/api/accounts/login", timeout=10,
                              json={"email": f"flood{n}@example.org", "password": "falsch falsch"}).status_code
                   for n in range(10)]
        assert 500 not in answers and 429 in answers, answers

        own_redis.start()
        # Every listener again, the walker's worker among them: news published before it subscribed is not heard.
        own_redis.wait_for_listeners(f"{prefix}:news", LISTENERS_OF_TWO_SERVERS)
        walker = Walker(other.ws)
        try:
            _, _, took = confirm_a_report_ahead(one, walker, centre_graph)
        finally:
            walker.close()
        assert took < TOLD_WITHIN_S


def test_a_report_confirmed_while_redis_is_down_reaches_the_other_process_walkers_once_it_is_back(
        own_redis, workdir, centre_graph):
    prefix = "lotse-deaf"
    with new_postgres_database() as url, servers(2, url, prefix, workdir, "deaf", own_redis.url) as (one, other):
        own_redis.wait_for_listeners(f"{prefix}:news", LISTENERS_OF_TWO_SERVERS)
        own_redis.stop()
        walker = Walker(other.ws)
        try:
            edge, _ = report_ahead_and_confirm(one, walker, centre_graph)  # the news is lost: nobody listens
            assert not [m for m in walker.drain() if m["type"] in ("instruction", "rerouted")]
            own_redis.start()
            messages = walker.until("rerouted")  # once the walker's worker hears the others again
            walker.send(position())
            later = walker.drain()
        finally:
            walker.close()
    warnings = [m for m in messages + later if m["type"] == "instruction" and m["kind"] == "warning"]
    assert [w["text"] for w in warnings] == [warnings[0]["text"]] and warnings[0]["text"].startswith("Neue Meldung")
    assert edge not in {e["edge"] for e in messages[-1]["route"]["edges"]}
