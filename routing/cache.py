"""Build a walk graph once per map source and keep it on disk, keyed by the source's hash and GRAPH_VERSION.

A source is one OSM file, several files served as one region (merged, so ways crossing from one extract into the
next connect), or a place name downloaded through osmnx.

The build (pyosmium or osmnx, pyproj) is heavy and runs only when no valid cached graph exists; loading the cache needs
numpy alone. A cached file that cannot be read (damaged, truncated, written by another layout) is rebuilt.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
import time
import zipfile
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path

from routing import settings
from routing.graph import WalkGraph

log = logging.getLogger(__name__)

Progress = Callable[[str], None]
Counts = Callable[[str, int], None]  # as routing.osm_import.Counts: ("ways" | "nodes" | "edges", how many so far)
BUILD_STAGES = ("read OSM file", "keep walkable ways", "build compact graph", "write cache")
# One map file, or several read as one region.
MapFiles = Path | str | Sequence[Path | str]


def source_hash(path: Path) -> str:
    """SHA-256 of a file's bytes, so an edited map gets a new cache entry."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cache_path(key: str, cache_dir: Path | None = None) -> Path:
    """Where the graph for a source key is cached."""
    return (cache_dir or settings.CACHE_DIR) / f"walkgraph-{key[:24]}-v{settings.GRAPH_VERSION}.npz"


def map_files(osm_file: MapFiles | None) -> list[Path]:
    """The map files of a source as a list of paths ([] for none); a string may name several, comma-separated
    (as LOTSE_OSM does)."""
    if osm_file is None:
        return []
    if isinstance(osm_file, Path):
        return [osm_file]
    if isinstance(osm_file, str):
        return [Path(name.strip()) for name in osm_file.split(",") if name.strip()]
    return [path for item in osm_file for path in map_files(item)]


def _source_key(osm_file: MapFiles | None, place: str | None) -> tuple[str, str]:
    files = map_files(osm_file)
    if files:
        from routing.osm_import import check_osm_path

        paths = [check_osm_path(path) for path in files]
        if len(paths) == 1:
            return source_hash(paths[0]), str(paths[0])
        # Several files: the region's key does not depend on the order they are given in.
        hashes = ",".join(sorted(source_hash(path) for path in paths))
        return hashlib.sha256(f"region:{hashes}".encode()).hexdigest(), " + ".join(map(str, paths))
    if place:
        return hashlib.sha256(f"place:{place}".encode()).hexdigest(), place
    raise ValueError("Give a map file or a place name")


def build_graph(osm_file: MapFiles | None = None, place: str | None = None, progress: Progress | None = None,
                counts: Counts | None = None) -> WalkGraph:
    """Build a walk graph from OSM files (one, or several merged into one region) or (online) a place name,
    reporting each stage to `progress` and, while a file is read, how many ways and nodes have been read to
    `counts`. `meta["areas"]` describes each file (routing.areas), `meta["built_at"]` is when it was built (UTC)."""
    from routing import osm_import
    from routing.areas import describe_areas
    from routing.costs import enumerate_moves
    from routing.graph import build_walk_graph, compact_walk_graph
    from routing.spatial import place_landmarks

    report = progress or (lambda stage: None)
    key, source = _source_key(osm_file, place)
    files = map_files(osm_file)
    meta = {"source": source, "source_hash": key}
    started = time.perf_counter()
    report(BUILD_STAGES[0])
    if files:
        network, landmarks, addresses, closed = _read_files(files, counts)
        report(BUILD_STAGES[1])  # the reader kept the walkable ways as it read them
        report(BUILD_STAGES[2])
        graph = compact_walk_graph(network, landmarks, addresses, meta, closed)
    else:
        raw = osm_import.graph_from_place(place)
        report(BUILD_STAGES[1])
        walkable = osm_import.walkable_graph(raw)
        report(BUILD_STAGES[2])
        ways = osm_import.outlines(raw)
        graph = build_walk_graph(walkable, osm_import.landmarks(raw, ways), osm_import.addresses(raw, ways), meta,
                                 osm_import.closed_roads(raw))
    place_landmarks(graph)
    graph.arcs = enumerate_moves(graph)
    graph.meta["areas"] = describe_areas(graph, files, place)
    graph.meta["built_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    graph.meta["build_seconds"] = round(time.perf_counter() - started, 2)
    return graph


def _read_files(files: list[Path], counts: Counts | None):
    """Stream one map file, or several merged into one region file first (in a temporary directory)."""
    from routing import osm_import

    if len(files) == 1:
        return osm_import.read_osm_file(files[0], counts)
    with tempfile.TemporaryDirectory(prefix="lotse-region-") as work:
        return osm_import.read_osm_file(osm_import.merge_osm_files(files, Path(work) / "region.osm.pbf"), counts)


def cached_graph(
    osm_file: MapFiles | None = None, place: str | None = None, cache_dir: Path | None = None
) -> WalkGraph | None:
    """The cached walk graph of a source, or None when there is none or it is stale or damaged."""
    key, _ = _source_key(osm_file, place)
    path = cache_path(key, cache_dir)
    if not path.exists():
        return None
    try:
        graph = WalkGraph.load(path)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        log.warning("Cached graph %s cannot be read (%s); it will be rebuilt", path, exc)
        return None
    if graph.meta.get("graph_version") != settings.GRAPH_VERSION or graph.meta.get("source_hash") != key:
        log.warning("Cached graph %s is stale; it will be rebuilt", path)
        return None
    graph.meta["cache_file"] = str(path)
    return graph


def load_graph(
    osm_file: MapFiles | None = None,
    place: str | None = None,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
    counts: Counts | None = None,
) -> WalkGraph:
    """The walk graph for a source: from the cache when it is there and sound, else built (reporting to `progress`
    and `counts` as `build_graph` does) and cached."""
    graph = cached_graph(osm_file, place, cache_dir)
    if graph is not None:
        return graph
    graph = build_graph(osm_file, place, progress, counts)
    (progress or (lambda stage: None))(BUILD_STAGES[3])
    path = cache_path(graph.meta["source_hash"], cache_dir)
    graph.save(path)
    graph.meta["cache_file"] = str(path)
    return graph


def build_cache(osm_file: MapFiles | None = None, place: str | None = None, cache_dir: Path | None = None) -> None:
    """Make sure the source's graph is cached (a child process runs this, so a server never imports the build's
    heavy libraries and its memory stays what serving needs)."""
    load_graph(osm_file, place, cache_dir)


def data_version(graph: WalkGraph) -> str:
    """What identifies the data served: the source's key (a hash of the map files) and when it was built."""
    return f"{str(graph.meta.get('source_hash', ''))[:16]}@{graph.meta.get('built_at', 'unknown')}"
