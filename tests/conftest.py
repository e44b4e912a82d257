"""Shared fixtures: the hand-made mini map, the real Kaiserslautern extract, and test apps on both."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import create_app
from routing.cache import load_graph
from routing.graph import WalkGraph
from routing.spatial import EdgeIndex

REPO = Path(__file__).resolve().parent.parent
MINI_OSM = REPO / "tests" / "fixtures" / "mini.osm"
SHARED_OSM = REPO.parent / "shared" / "osm"
CITY_OSM = SHARED_OSM / "kaiserslautern.osm.gz"


def file_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The URL of a new SQLite file: for a test app served by threads (`serve_in_thread`), where the in-memory
    database of test apps would hand its one connection to concurrent requests (one's BEGIN inside another's
    transaction)."""
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'lotse.db'}"


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("graph-cache")


@pytest.fixture(scope="session")
def mini_graph(cache_dir: Path) -> WalkGraph:
    return load_graph(MINI_OSM, cache_dir=cache_dir)


@pytest.fixture(scope="session")
def city_graph(cache_dir: Path) -> WalkGraph:
    if not CITY_OSM.exists():
        pytest.fail(f"The real extract is missing: {CITY_OSM} (the repository expects ../shared/osm beside it)")
    return load_graph(CITY_OSM, cache_dir=cache_dir)


@pytest.fixture(scope="session")
def mini_index(mini_graph: WalkGraph) -> EdgeIndex:
    return EdgeIndex(mini_graph)


@pytest.fixture(scope="session")
def city_index(city_graph: WalkGraph) -> EdgeIndex:
    return EdgeIndex(city_graph)


@pytest.fixture()
def app(city_graph: WalkGraph):
    return create_app({"TESTING": True}, graph=city_graph)


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def mini_client(mini_graph: WalkGraph):
    return create_app({"TESTING": True}, graph=mini_graph).test_client()
