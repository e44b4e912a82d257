"""Building, caching and reloading walk graphs (routing.cache), and the errors for unreadable map sources."""

from __future__ import annotations

import dataclasses
import gzip
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from routing import settings
from routing.cache import BUILD_STAGES, cache_path, cached_graph, load_graph, source_hash
from routing.errors import OsmInputError
from routing.graph import WalkGraph
from tests.conftest import MINI_OSM, SHARED_OSM

CAMPUS_OSM = SHARED_OSM / "kaiserslautern_uni.osm.gz"


@pytest.fixture()
def tmp_cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def mini_cache_file(cache_dir: Path) -> Path:
    return cache_path(source_hash(MINI_OSM), cache_dir)


def load_with_stages(cache_dir: Path, osm: Path = MINI_OSM) -> tuple[WalkGraph, list[str]]:
    stages: list[str] = []
    graph = load_graph(osm, cache_dir=cache_dir, progress=stages.append)
    return graph, stages


def test_cache_path_names_key_and_version(tmp_cache):
    key = source_hash(MINI_OSM)
    assert len(key) == 64
    assert cache_path(key, tmp_cache) == tmp_cache / f"walkgraph-{key[:24]}-v{settings.GRAPH_VERSION}.npz"


def test_first_load_builds_and_second_reuses_the_cache(tmp_cache):
    assert cached_graph(MINI_OSM, cache_dir=tmp_cache) is None
    built, stages = load_with_stages(tmp_cache)
    assert stages == list(BUILD_STAGES)
    path = mini_cache_file(tmp_cache)
    assert path.is_file()
    assert built.meta["cache_file"] == str(path)
    assert list(tmp_cache.iterdir()) == [path]  # no partial file left behind
    written = path.stat().st_mtime_ns

    started = time.perf_counter()
    reused, stages = load_with_stages(tmp_cache)
    elapsed = time.perf_counter() - started
    assert stages == []  # nothing was built
    assert elapsed < 1.0
    assert reused.meta["cache_file"] == str(path)
    assert path.stat().st_mtime_ns == written
    assert reused.node_count == built.node_count == 22
    np.testing.assert_array_equal(reused.edge_length, built.edge_length)
    np.testing.assert_array_equal(reused.node_osm_id, built.node_osm_id)
    assert reused.stats() == built.stats()
    assert cached_graph(MINI_OSM, cache_dir=tmp_cache).meta["cache_file"] == str(path)


def test_string_paths_are_accepted(tmp_cache):
    graph = load_graph(str(MINI_OSM), cache_dir=tmp_cache)
    assert graph.edge_count == 21
    assert load_graph(str(MINI_OSM), cache_dir=tmp_cache).meta["cache_file"] == str(mini_cache_file(tmp_cache))


@pytest.mark.parametrize("content", [b"\x00\x01garbage" * 200, b"", b"not a numpy file\n"], ids=["binary", "empty", "text"])
def test_corrupt_cache_is_rebuilt(tmp_cache, content):
    path = mini_cache_file(tmp_cache)
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    assert cached_graph(MINI_OSM, cache_dir=tmp_cache) is None
    graph, stages = load_with_stages(tmp_cache)
    assert stages == list(BUILD_STAGES)
    assert graph.node_count == 22
    assert WalkGraph.load(path).edge_count == 21  # the damaged file was replaced


def test_truncated_cache_is_rebuilt(tmp_cache):
    load_graph(MINI_OSM, cache_dir=tmp_cache)
    path = mini_cache_file(tmp_cache)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    graph = load_graph(MINI_OSM, cache_dir=tmp_cache)
    assert graph.node_count == 22
    assert WalkGraph.load(path).node_count == 22


def test_cache_with_missing_arrays_is_rebuilt(tmp_cache):
    path = mini_cache_file(tmp_cache)
    path.parent.mkdir(parents=True)
    np.savez(path, node_osm_id=np.arange(3))
    graph, stages = load_with_stages(tmp_cache)
    assert stages == list(BUILD_STAGES)
    assert graph.node_count == 22


def test_stale_graph_version_is_rebuilt(tmp_cache, mini_graph):
    path = mini_cache_file(tmp_cache)
    old = dataclasses.replace(mini_graph, meta={**mini_graph.meta, "graph_version": 0})
    old.save(path)
    assert WalkGraph.load(path).meta["graph_version"] == 0
    assert cached_graph(MINI_OSM, cache_dir=tmp_cache) is None
    graph, stages = load_with_stages(tmp_cache)
    assert stages == list(BUILD_STAGES)
    assert graph.meta["graph_version"] == settings.GRAPH_VERSION
    assert WalkGraph.load(path).meta["graph_version"] == settings.GRAPH_VERSION


def test_cache_of_another_source_is_rebuilt(tmp_cache, mini_graph):
    path = mini_cache_file(tmp_cache)
    dataclasses.replace(mini_graph, meta={**mini_graph.meta, "source_hash": "0" * 64}).save(path)
    assert cached_graph(MINI_OSM, cache_dir=tmp_cache) is None
    graph, stages = load_with_stages(tmp_cache)
    assert stages == list(BUILD_STAGES)
    assert graph.meta["source_hash"] == source_hash(MINI_OSM)


def test_cache_key_follows_the_file_content(tmp_path, tmp_cache):
    osm = tmp_path / "map.osm"
    shutil.copy(MINI_OSM, osm)
    first = load_graph(osm, cache_dir=tmp_cache)
    assert "Rosenweg" in first.texts["name"]
    osm.write_text(MINI_OSM.read_text(encoding="utf-8").replace("Rosenweg", "Rosengasse"), encoding="utf-8")
    assert source_hash(osm) != source_hash(MINI_OSM)
    assert cached_graph(osm, cache_dir=tmp_cache) is None
    second = load_graph(osm, cache_dir=tmp_cache)
    assert second.meta["cache_file"] != first.meta["cache_file"]
    assert "Rosengasse" in second.texts["name"] and "Rosenweg" not in second.texts["name"]
    assert len(list(tmp_cache.glob("walkgraph-*.npz"))) == 2
    # The same bytes under another name share the cache entry.
    same = tmp_path / "copy.osm"
    shutil.copy(MINI_OSM, same)
    assert source_hash(same) == source_hash(MINI_OSM)
    assert cache_path(source_hash(same), tmp_cache) == Path(first.meta["cache_file"])


def test_meta_describes_the_source(tmp_cache):
    graph = load_graph(MINI_OSM, cache_dir=tmp_cache)
    assert graph.meta["source"] == str(MINI_OSM)
    assert graph.meta["source_hash"] == source_hash(MINI_OSM)
    assert graph.meta["graph_version"] == settings.GRAPH_VERSION
    assert graph.meta["crs"] == "EPSG:32632"
    assert graph.meta["build_seconds"] >= 0


def test_no_source_at_all(tmp_cache):
    with pytest.raises(ValueError, match="map file or a place"):
        load_graph(cache_dir=tmp_cache)


def test_place_without_cache_is_not_cached(tmp_cache):
    assert cached_graph(place="Kaiserslautern, Germany", cache_dir=tmp_cache) is None


# ----------------------------------------------------------------------------------------- bad inputs

ONLY_A_BUILDING = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="hand">
  <node id="1" version="1" lat="49.4430" lon="7.7670"/>
  <node id="2" version="1" lat="49.4430" lon="7.7680"/>
  <node id="3" version="1" lat="49.4436" lon="7.7680"/>
  <way id="10" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="1"/><tag k="building" v="yes"/></way>
</osm>
"""
ONLY_A_MOTORWAY = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="hand">
  <node id="1" version="1" lat="49.4430" lon="7.7670"/>
  <node id="2" version="1" lat="49.4430" lon="7.7680"/>
  <way id="10" version="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="motorway"/></way>
</osm>
"""


def write_input(tmp_path: Path, kind: str) -> Path:
    """Write one kind of unusable map source into tmp_path and return its path."""
    if kind == "missing":
        return tmp_path / "nowhere.osm"
    if kind == "txt":
        path = tmp_path / "map.txt"
        path.write_text(MINI_OSM.read_text(encoding="utf-8"), encoding="utf-8")
    elif kind == "pbf":
        path = tmp_path / "kaiserslautern.osm.pbf"
        path.write_bytes(b"\x00\x00\x00\x0d\n\tOSMHeader" + bytes(range(64)))
    elif kind == "not_xml":
        path = tmp_path / "map.osm"
        path.write_text("This is a shopping list, not a map.\nMilk\nBread\n", encoding="utf-8")
    elif kind == "truncated_gz":
        path = tmp_path / "campus.osm.gz"
        path.write_bytes(CAMPUS_OSM.read_bytes()[:20_000])
    elif kind == "empty_gz":
        path = tmp_path / "empty.osm.gz"
        path.write_bytes(gzip.compress(b""))
    elif kind == "zero_bytes":
        path = tmp_path / "zero.osm"
        path.write_bytes(b"")
    elif kind == "no_elements":
        path = tmp_path / "void.osm"
        path.write_text('<?xml version="1.0"?>\n<osm version="0.6"></osm>\n', encoding="utf-8")
    elif kind == "only_building":
        path = tmp_path / "building.osm"
        path.write_text(ONLY_A_BUILDING, encoding="utf-8")
    elif kind == "only_motorway":
        path = tmp_path / "motorway.osm"
        path.write_text(ONLY_A_MOTORWAY, encoding="utf-8")
    elif kind == "directory":
        path = tmp_path / "folder.osm"
        path.mkdir()
    else:
        raise AssertionError(kind)
    return path


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("missing", r"^Map file not found: .*nowhere\.osm$"),
        ("directory", r"^Map file not found: .*folder\.osm$"),
        ("txt", r"^map\.txt is not an OSM file \(expected \.osm, \.osm\.gz, \.osm\.bz2 or \.osm\.pbf\)$"),
        ("pbf", r"^kaiserslautern\.osm\.pbf is not a valid OSM PBF file, or it is damaged \("),
        ("not_xml", r"^map\.osm is not valid OSM XML \("),
        ("truncated_gz", r"^campus\.osm\.gz cannot be read, it may be truncated or damaged \("),
        ("empty_gz", r"^empty\.osm\.gz is not valid OSM XML \("),
        ("zero_bytes", r"^zero\.osm is not valid OSM XML \("),
        ("no_elements", r"^void\.osm contains no OSM nodes or ways$"),
        ("only_building", r"^The map contains no ways a pedestrian may walk on$"),
        ("only_motorway", r"^The map contains no ways a pedestrian may walk on$"),
    ],
)
def test_bad_input_raises_osm_input_error(tmp_path, tmp_cache, kind, message):
    path = write_input(tmp_path, kind)
    with pytest.raises(OsmInputError, match=message) as info:
        load_graph(path, cache_dir=tmp_cache)
    assert info.value.code == "bad_map"
    assert "Traceback" not in str(info.value)
    # Nothing half-built is cached.
    assert not tmp_cache.exists() or not any(tmp_cache.iterdir())


# ----------------------------------------------------------------------------------------- several files

CENTRE_OSM = SHARED_OSM / "kaiserslautern_cc.osm.gz"


def test_several_files_are_one_region_graph_cached_once_whatever_their_order(tmp_cache):
    centre, campus = load_graph(CENTRE_OSM, cache_dir=tmp_cache), load_graph(CAMPUS_OSM, cache_dir=tmp_cache)
    region = load_graph([CENTRE_OSM, CAMPUS_OSM], cache_dir=tmp_cache)
    areas = region.meta["areas"]
    assert [(area["name"], area["file"]) for area in areas] == [
        ("kaiserslautern_cc", "kaiserslautern_cc.osm.gz"), ("kaiserslautern_uni", "kaiserslautern_uni.osm.gz")]
    for area, town in zip(areas, (centre, campus)):
        south, west, north, east = area["bbox"]  # each file's extent holds every node of its own graph
        assert south <= town.node_lat.min() and town.node_lat.max() <= north
        assert west <= town.node_lon.min() and town.node_lon.max() <= east
        assert area["nodes"] >= town.node_count and area["addresses"] >= len(town.address_lat)
    assert region.meta["built_at"] and region.meta["source_hash"]
    assert set(region.way_osm_id.tolist()) == set(centre.way_osm_id.tolist()) | set(campus.way_osm_id.tolist())
    assert set(region.landmark_osm_id.tolist()) == set(centre.landmark_osm_id.tolist()) | set(
        campus.landmark_osm_id.tolist())
    assert len(set(region.node_osm_id.tolist())) == region.node_count  # a node in both extracts is one node
    stages: list[str] = []
    again = load_graph([str(CAMPUS_OSM), CENTRE_OSM], cache_dir=tmp_cache, progress=stages.append)
    assert stages == []  # the same region, from the cache
    assert again.meta["cache_file"] == region.meta["cache_file"]
    assert len(list(tmp_cache.iterdir())) == 3


def test_a_region_with_a_bad_file_names_it(tmp_path, tmp_cache):
    broken = write_input(tmp_path, "not_xml")
    with pytest.raises(OsmInputError, match=r"^map\.osm is not valid OSM XML \("):
        load_graph([CENTRE_OSM, broken], cache_dir=tmp_cache)
    with pytest.raises(OsmInputError, match=r"^Map file not found: .*nowhere\.osm$"):
        load_graph([CENTRE_OSM, tmp_path / "nowhere.osm"], cache_dir=tmp_cache)
    assert not tmp_cache.exists() or not any(tmp_cache.iterdir())


def test_the_cache_keeps_the_planners_moves_as_enumerated(tmp_cache):
    """Loading a cached graph skips enumerating its moves; what the planner gets is what enumerating gives."""
    from routing.costs import MOVE_ARRAYS, ArcTable, enumerate_moves

    load_graph(CAMPUS_OSM, cache_dir=tmp_cache)
    loaded = cached_graph(CAMPUS_OSM, cache_dir=tmp_cache)
    assert set(loaded.arcs) == set(MOVE_ARRAYS)
    enumerated = enumerate_moves(loaded)
    for name in MOVE_ARRAYS:
        np.testing.assert_array_equal(loaded.arcs[name], enumerated[name], err_msg=name)
    stored = ArcTable.build(loaded)
    built = ArcTable.build(dataclasses.replace(loaded, arcs={}))
    crossing_arcs = np.flatnonzero(built.arc_crossings > 0)
    assert len(crossing_arcs) > 10
    assert [stored.crossing(arc) for arc in crossing_arcs] == [built.crossing(arc) for arc in crossing_arcs]
    np.testing.assert_array_equal(stored.arc_turn, built.arc_turn)
